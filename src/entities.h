/*
 * entities: HTML named character references (the WHATWG list), for the
 * undeclared &nbsp; &eacute; &rsquo; ... that real feeds carry.
 */
#ifndef FEEDMILL_ENTITIES_H
#define FEEDMILL_ENTITIES_H

#include <stddef.h>

/*
 * A DTD fragment declaring every HTML entity (except XML's five), for expat
 * to read as a document's external subset. Sets *len.
 */
const char *entities_html_dtd(size_t *len);

#endif
