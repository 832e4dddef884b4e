/*
 * uri: RFC 3986 reference resolution (section 5.2), for xml:base and the
 * relative links feeds are full of. curl's URL API is not used here because
 * it rewrites what it resolves (fragment-only and empty references, schemes
 * it does not know) where RFC 3986 says to keep them.
 */
#ifndef FEEDMILL_URI_H
#define FEEDMILL_URI_H

/* Browsers and servers give up on longer URLs; nested xml:base must not
 * grow past it. */
#define URI_MAX_BYTES (8 * 1024)

/*
 * Resolve ref against base. Returns a malloc'd string: the target URI, or a
 * copy of ref when base is NULL or itself not absolute (nothing better is
 * known); NULL when ref or the result would be longer than URI_MAX_BYTES.
 * Leading and trailing whitespace of ref is ignored.
 */
char *uri_resolve(const char *base, const char *ref);

/* 1 if s starts with a scheme ("http:", "tag:", "urn:"), else 0. */
int uri_is_absolute(const char *s);

#endif
