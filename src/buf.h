/*
 * buf: a growable byte buffer with a hard cap (after curl's dynbuf and git's
 * strbuf). The contents are always NUL-terminated, so b->data can be used as
 * a C string when no NUL was added. Growing past the cap is an error the
 * caller handles (the input was too large), never a crash; running out of
 * memory below the cap is fatal, as everywhere in feedmill.
 *
 *   struct buf b;
 *   buf_init(&b, MAX_FIELD_BYTES);
 *   if (buf_add(&b, s, n) == -1) ... too large ...
 *   buf_release(&b);
 */
#ifndef FEEDMILL_BUF_H
#define FEEDMILL_BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NULL until the first byte is added */
	size_t	 len;
	size_t	 cap;	/* allocated bytes */
	size_t	 max;	/* hard limit on len */
};

/* Prepare an empty buffer that refuses to hold more than max bytes. */
void buf_init(struct buf *b, size_t max);
/* Append n bytes; -1 (and b unchanged) if that would pass the cap. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
/* Append n bytes escaped for HTML text (&, <, >), and '"' too when quote
 * is set (inside an attribute value); -1 past the cap. */
int buf_add_escaped(struct buf *b, const char *s, size_t n, int quote);
/* Empty the buffer but keep its memory for reuse. */
void buf_reset(struct buf *b);
/* Free the memory; the buffer is empty and may be used again. */
void buf_release(struct buf *b);
/* Hand the contents over as a malloc'd string ("" if empty); b is emptied. */
char *buf_detach(struct buf *b);
/* The contents as a C string, "" when empty. */
const char *buf_str(const struct buf *b);

#endif
