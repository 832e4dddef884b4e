/*
 * entities: HTML named character references (the WHATWG list), for the
 * undeclared &nbsp; &eacute; &rsquo; ... that real feeds carry.
 */
#ifndef FEEDMILL_ENTITIES_H
#define FEEDMILL_ENTITIES_H

/* The UTF-8 text of entity `name` (without '&' and ';'), or NULL. */
const char *entities_lookup(const char *name);

#endif
