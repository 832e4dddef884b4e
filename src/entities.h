/*
 * entities: HTML named character references (the WHATWG list), for the
 * undeclared &nbsp; &eacute; &rsquo; ... that real feeds carry.
 */
#ifndef FEEDMILL_ENTITIES_H
#define FEEDMILL_ENTITIES_H

#include <stddef.h>

/*
 * A DTD fragment declaring the HTML 4 entities (except XML's five), for
 * expat to read as a document's external subset. Sets *len.
 */
const char *entities_html_dtd(size_t *len);

/* The UTF-8 text of any HTML5 entity `name` (no '&' or ';'), or NULL. */
const char *entities_lookup(const char *name);

#endif
