/*
 * xmalloc: allocation that cannot fail. Out of memory in the daemon is fatal
 * (see STYLE.md, "Errors"): callers never check for NULL.
 */
#ifndef FEEDMILL_XMALLOC_H
#define FEEDMILL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf: a formatted, freshly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
