#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

#define BUF_MIN_ALLOC 64

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t need;

	if (n > b->max - b->len)
		return -1;
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t ncap = b->cap ? b->cap : BUF_MIN_ALLOC;

		size_t limit = b->max < SIZE_MAX ? b->max + 1 : SIZE_MAX;

		while (ncap < need && ncap <= SIZE_MAX / 2)
			ncap *= 2;
		if (ncap < need || ncap > limit)
			ncap = need > limit ? need : limit;
		b->data = xrealloc(b->data, ncap);
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *
buf_detach(struct buf *b)
{
	/* what is kept is kept at its size, not the buffer's doubled room */
	char *s = b->data ? (b->cap > b->len + 1 + 64 ? xrealloc(b->data, b->len + 1) : b->data) :
	    xstrdup("");

	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return s;
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

int
buf_add_escaped(struct buf *b, const char *s, size_t len, int quote)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = quote ? "&quot;" : NULL; break;
		default: rep = NULL; break;
		}
		if (rep == NULL)
			continue;
		if (buf_add(b, s + start, i - start) == -1 || buf_addstr(b, rep) == -1)
			return -1;
		start = i + 1;
	}
	return buf_add(b, s + start, len - start);
}
