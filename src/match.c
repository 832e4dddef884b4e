/*
 * match: Aho-Corasick over normalised keys (see match.h).
 *
 * The text is read as " " key " " and a pattern as " words " (closed) or
 * " words" (open), so a match always starts at a word's start and, unless
 * open, ends at a word's end: no boundary checks while scanning. Bytes no
 * pattern uses share one class that leads back to the root.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "xmalloc.h"

#define ROOT	0u
#define NO_PATTERN	UINT32_MAX

struct node {
	uint32_t	 child;		/* first child, or 0 (the root is no child) */
	uint32_t	 sibling;	/* next child of the same parent, or 0 */
	uint32_t	 fail;
	uint32_t	 dict;		/* nearest proper suffix state with a pattern, or 0 */
	uint32_t	 pattern;	/* the pattern ending here, or NO_PATTERN */
	unsigned char	 byte;
};

struct matcher {
	struct node	*nodes;
	size_t		 nnodes;
	size_t		 alloc;
	size_t		 npatterns;
	int		 built;
	unsigned char	 class[256];	/* byte -> class; 0: no pattern has it */
	size_t		 nclasses;
	uint32_t	*delta;		/* state * nclasses + class -> state */
};

struct matcher *
matcher_new(void)
{
	struct matcher *m = xcalloc(1, sizeof(*m));

	m->alloc = 64;
	m->nodes = xcalloc(m->alloc, sizeof(*m->nodes));
	m->nnodes = 1;
	m->nodes[ROOT].pattern = NO_PATTERN;
	return m;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	free(m->nodes);
	free(m->delta);
	free(m);
}

size_t
matcher_count(const struct matcher *m)
{
	return m->npatterns;
}

/* The child of n for byte c, made if make; 0 when absent or full. */
static uint32_t
child(struct matcher *m, uint32_t n, unsigned char c, int make)
{
	uint32_t k;

	for (k = m->nodes[n].child; k != 0; k = m->nodes[k].sibling)
		if (m->nodes[k].byte == c)
			return k;
	if (!make || m->nnodes >= MATCH_MAX_STATES)
		return 0;
	if (m->nnodes == m->alloc) {
		m->alloc *= 2;
		m->nodes = xrealloc(m->nodes, m->alloc * sizeof(*m->nodes));
	}
	k = (uint32_t)m->nnodes++;
	memset(&m->nodes[k], 0, sizeof(m->nodes[k]));
	m->nodes[k].byte = c;
	m->nodes[k].pattern = NO_PATTERN;
	m->nodes[k].sibling = m->nodes[n].child;
	m->nodes[n].child = k;
	return k;
}

int
matcher_add(struct matcher *m, const char *key, int open)
{
	size_t len = strlen(key);
	uint32_t n = ROOT;

	if (m->built || len == 0 || len > MATCH_MAX_PATTERN)
		return -1;
	if ((n = child(m, n, ' ', 1)) == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((n = child(m, n, (unsigned char)key[i], 1)) == 0)
			return -1;
	if (!open && (n = child(m, n, ' ', 1)) == 0)
		return -1;
	if (m->nodes[n].pattern == NO_PATTERN)
		m->nodes[n].pattern = (uint32_t)m->npatterns++;
	return (int)m->nodes[n].pattern;
}

void
matcher_build(struct matcher *m)
{
	uint32_t *queue, head = 0, tail = 0;
	size_t nc;

	if (m->built)
		return;
	m->built = 1;
	for (size_t i = 1; i < m->nnodes; i++)
		m->class[m->nodes[i].byte] = 1;
	nc = 1;
	for (int c = 0; c < 256; c++)
		if (m->class[c])
			m->class[c] = (unsigned char)nc++;
	m->nclasses = nc;
	m->delta = xcalloc(m->nnodes * nc, sizeof(*m->delta));

	/* breadth first, so that a node's fail state is complete before it */
	queue = xmalloc(m->nnodes * sizeof(*queue));
	for (uint32_t k = m->nodes[ROOT].child; k != 0; k = m->nodes[k].sibling) {
		m->nodes[k].fail = ROOT;
		m->delta[m->class[m->nodes[k].byte]] = k;
		queue[tail++] = k;
	}
	while (head < tail) {
		uint32_t u = queue[head++];
		uint32_t *row = &m->delta[(size_t)u * nc];
		const uint32_t *frow = &m->delta[(size_t)m->nodes[u].fail * nc];

		memcpy(row, frow, nc * sizeof(*row));
		row[0] = ROOT;
		for (uint32_t k = m->nodes[u].child; k != 0; k = m->nodes[k].sibling) {
			uint32_t f = frow[m->class[m->nodes[k].byte]];

			m->nodes[k].fail = f;
			m->nodes[k].dict = m->nodes[f].pattern != NO_PATTERN ?
			    f : m->nodes[f].dict;
			row[m->class[m->nodes[k].byte]] = k;
			queue[tail++] = k;
		}
	}
	free(queue);
}

static inline void
report(const struct matcher *m, uint32_t s, size_t end, matcher_fn *fn, void *arg)
{
	if (m->nodes[s].pattern == NO_PATTERN)
		s = m->nodes[s].dict;
	while (s != ROOT) {
		fn(m->nodes[s].pattern, end, arg);
		s = m->nodes[s].dict;
	}
}

void
matcher_scan(const struct matcher *m, const char *key, size_t len,
    matcher_fn *fn, void *arg)
{
	const size_t nc = m->nclasses;
	const unsigned char *p = (const unsigned char *)key;
	uint32_t s;

	if (!m->built || m->nnodes == 1)
		return;
	s = m->delta[m->class[' ']];		/* the space before the text */
	for (size_t i = 0; i < len; i++) {
		s = m->delta[(size_t)s * nc + m->class[p[i]]];
		if (m->nodes[s].pattern != NO_PATTERN || m->nodes[s].dict != ROOT)
			report(m, s, p[i] == ' ' ? i : i + 1, fn, arg);
	}
	s = m->delta[(size_t)s * nc + m->class[' ']];	/* and after it */
	if (m->nodes[s].pattern != NO_PATTERN || m->nodes[s].dict != ROOT)
		report(m, s, len, fn, arg);
}
