/*
 * match: Aho-Corasick over the words of normalised keys (see match.h).
 *
 * A key is words separated by single spaces, so the automaton runs over
 * words, not bytes: each word of the text is looked up once in a table of
 * the words patterns use (a word no pattern has sends the automaton back
 * to its root at once), and the automaton's states are pattern prefixes
 * counted in words, with their transitions in one hash table. A byte
 * automaton over thousands of learned terms needs a table of megabytes,
 * read at random once per byte; this one reads a few small tables once
 * per word.
 *
 * What a scan reads is laid out for it once built (a learned model makes
 * every table bigger than the cache, so each read at random counts):
 * - a word's slot is 16 bytes (its first 8 bytes, its length, its id);
 *   what the word leads to from the root is kept by id, beside a filter
 *   of the other states with a transition on it;
 * - the transitions from states other than the root are copied into a
 *   table of their own by (state, word), each with what the scan needs
 *   of the state it reaches, behind a bit table of (state, word) pairs;
 * - words are found, hashed and compared 8 bytes at a time.
 *
 * An open pattern's last word is a prefix: the prefixes form a small byte
 * trie that a word of the text is walked down (most words leave it after
 * a byte or two) if a bit filter of the prefixes' first bytes lets it,
 * and an open pattern is the pair (the state its other words reach, its
 * prefix), kept in the transition table under the prefix's id with
 * OPEN_SYMBOL set.
 *
 * Words are split at every space, so a text or pattern with two spaces in
 * a row has an empty word between them: the matches are exactly those of
 * the patterns' bytes starting at a word's start and, unless open, ending
 * at a word's end.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "xmalloc.h"

#define ROOT		0u
#define NONE		UINT32_MAX
#define OPEN_SYMBOL	0x80000000u	/* a prefix id, not a word id */
#define EMPTY_KEY	UINT64_MAX
#define PFILTER_BITS	16

/* a state: the words of some pattern's beginning */
struct state {
	uint32_t	 fail;		/* the longest proper suffix that is a state */
	uint32_t	 dict;		/* the nearest such suffix with a closed pattern */
	uint32_t	 odict;		/* ... with open patterns */
	uint32_t	 pattern;	/* the closed pattern ending here, or NONE */
	int		 has_open;	/* an open pattern continues from here */
};

/* the transition table: (state, word id) -> state, and
 * (state, prefix id | OPEN_SYMBOL) -> open pattern */
struct edge {
	uint64_t	 key;
	uint32_t	 value;
};

/* the words the patterns use: a scan reads one slot a word of the text,
 * so slots are small, and what a known word leads to is kept apart */
struct word_slot {
	uint64_t	 head;		/* the word's first 8 bytes, see word_chunk() */
	uint32_t	 len;
	uint32_t	 id;		/* NONE: empty slot */
};

/* a word by id */
struct word_info {
	uint32_t	 off;		/* in the pool */
	uint32_t	 root;		/* built: the root's transition on it, or NONE */
	uint32_t	 root_pattern;	/* built: the closed pattern ending there */
	uint64_t	 follows;	/* built: a filter of the states other than
				 * the root with a transition on it, see
				 * state_bit() */
};

/* a transition on a word from a state other than the root, with what a
 * scan needs of the state it leads to (a read of the states is a cache
 * miss with thousands of them) */
struct word_step {
	uint32_t	 from;
	uint32_t	 word;		/* NONE: an empty slot */
	uint32_t	 to;
	uint32_t	 pattern;	/* to's */
	uint32_t	 dict;		/* to's */
	uint32_t	 fail;		/* to's */
};

/* the prefix trie of open patterns' last words */
struct pnode {
	uint32_t	 child;		/* first child, or 0 */
	uint32_t	 sibling;
	uint32_t	 prefix;	/* the prefix id ending here, or NONE */
	unsigned char	 byte;
};

struct matcher {
	int		 built;
	size_t		 npatterns;

	struct state	*states;
	size_t		 nstates, states_alloc;

	struct edge	*edges;
	size_t		 edges_size, nedges;	/* size: a power of two */

	struct word_slot *words;
	size_t		 words_size, nwords;
	unsigned	 words_shift;	/* 64 - log2(words_size) */
	struct word_info *winfo;	/* [nwords] */
	size_t		 winfo_alloc;
	/* built: the word transitions not from the root, in a table of their
	 * own by (state, word): the transition table also holds the root's
	 * transitions and the open patterns, and its entries say nothing of
	 * the state they lead to */
	struct word_step *steps;
	unsigned	 steps_shift;	/* 64 - log2(its size) */
	/* built: a bit for each of those transitions, by (state, word):
	 * "of", "the" and "osce" follow hundreds of states in a model's word
	 * pairs, past what a word's follows can tell apart; this one is read
	 * from a table of some kilobytes, and spares most probes of the
	 * steps, which are a cache miss */
	uint64_t	*step_filter;
	unsigned	 step_filter_shift;
	char		*pool;
	size_t		 pool_len, pool_alloc;

	struct pnode	*pnodes;
	size_t		 npnodes, pnodes_alloc;
	size_t		 nprefixes;
	/* built: a filter of the first pfilter_len bytes of words that can
	 * start down the trie (pfilter_len is at most 4 and no prefix is
	 * shorter); 0: none, every word walks the trie */
	size_t		 pfilter_len;
	uint64_t	*pfilter;
	/* built: the prefix trie as a table over byte classes */
	unsigned char	 pclass[256];	/* 0: no prefix has the byte */
	size_t		 pnc;
	uint32_t	*pdelta;	/* node * pnc + class -> node, 0: none */
	uint32_t	*pprefix;	/* node -> prefix id, or NONE */
};

/* ---- hashing ---- */

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static inline uint64_t
edge_key(uint32_t state, uint32_t symbol)
{
	return (uint64_t)state << 32 | symbol;
}

/* A state's bit in a word's follows filter. */
static inline uint64_t
state_bit(uint32_t state)
{
	return 1ull << ((state * 0x9e3779b1u) >> 26);
}

static inline size_t
edge_slot(const struct matcher *m, uint64_t key)
{
	size_t mask = m->edges_size - 1, i = (size_t)mix64(key) & mask;

	while (m->edges[i].key != EMPTY_KEY && m->edges[i].key != key)
		i = (i + 1) & mask;
	return i;
}

static uint32_t
edge_get(const struct matcher *m, uint32_t state, uint32_t symbol)
{
	size_t i;

	if (m->nedges == 0)
		return NONE;
	i = edge_slot(m, edge_key(state, symbol));
	return m->edges[i].key == EMPTY_KEY ? NONE : m->edges[i].value;
}

static void
edges_grow(struct matcher *m)
{
	struct edge *old = m->edges;
	size_t n = m->edges_size;

	m->edges_size = n ? 2 * n : 1024;
	m->edges = xmalloc(m->edges_size * sizeof(*m->edges));
	for (size_t i = 0; i < m->edges_size; i++)
		m->edges[i].key = EMPTY_KEY;
	for (size_t i = 0; i < n; i++)
		if (old[i].key != EMPTY_KEY)
			m->edges[edge_slot(m, old[i].key)] = old[i];
	free(old);
}

/* The value under (state, symbol), set to make() if absent; NONE when
 * absent and make returns NONE. */
static uint32_t
edge_put(struct matcher *m, uint32_t state, uint32_t symbol, uint32_t (*make)(struct matcher *))
{
	uint64_t key = edge_key(state, symbol);
	size_t i;
	uint32_t v;

	if (2 * (m->nedges + 1) > m->edges_size)
		edges_grow(m);
	i = edge_slot(m, key);
	if (m->edges[i].key != EMPTY_KEY)
		return m->edges[i].value;
	if ((v = make(m)) == NONE)
		return NONE;
	m->edges[i].key = key;
	m->edges[i].value = v;
	m->nedges++;
	return v;
}

/*
 * A word's hash reads it 8 bytes at a time. In a scan a word is mostly
 * not the text's last, and one unaligned load and a mask is cheaper than
 * a loop over its bytes; what is at the text's end is read a byte at a
 * time. Either way the chunk is the same number: bytes in increasing
 * significance, zero above the word's end.
 */
static inline uint64_t
word_chunk(const unsigned char *s, size_t n, int may_overread)
{
	uint64_t v = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (may_overread) {
		memcpy(&v, s, sizeof(v));
		return n >= 8 ? v : v & ((1ull << (8 * n)) - 1);
	}
#else
	(void)may_overread;
#endif
	if (n > 8)
		n = 8;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)s[i] << (8 * i);
	return v;
}

/*
 * head: the first chunk, already read. A multiply a chunk, no final mix:
 * the slot is taken from the product's top bits (Fibonacci hashing), so
 * a short word's hash is one multiply between its load and its slot.
 */
static inline uint64_t
word_hash(const unsigned char *s, size_t n, uint64_t head, size_t avail)
{
	uint64_t h = (head ^ n) * 0x9e3779b97f4a7c15ull;

	for (size_t i = 8; i < n; i += 8)
		h = (h ^ (h >> 31) ^ word_chunk(s + i, n - i, i + 8 <= avail)) *
		    0x9e3779b97f4a7c15ull;
	return h;
}

/*
 * Whether the pool's word a and the text's word s, both n > 8 bytes long
 * and the same in their first 8, are the same: a chunk at a time, as the
 * hash reads them (the pool has 8 bytes to spare at its end; s has avail
 * bytes readable).
 */
static inline int
words_equal(const char *a, const char *s, size_t n, size_t avail)
{
	const unsigned char *ua = (const unsigned char *)a, *us = (const unsigned char *)s;

	for (size_t i = 8; i < n; i += 8)
		if (word_chunk(ua + i, n - i, 1) != word_chunk(us + i, n - i, i + 8 <= avail))
			return 0;
	return 1;
}

static inline size_t
word_slot(const struct matcher *m, const char *s, size_t n, uint64_t h, uint64_t head,
    size_t avail)
{
	size_t mask = m->words_size - 1, i = (size_t)(h >> m->words_shift);
	const struct word_slot *w;

	for (;; i = (i + 1) & mask) {
		w = &m->words[i];
		if (w->id == NONE)
			return i;
		if (w->head == head && w->len == n &&
		    (n <= 8 || words_equal(m->pool + m->winfo[w->id].off, s, n, avail)))
			return i;
	}
}

static void
words_grow(struct matcher *m)
{
	struct word_slot *old = m->words;
	size_t n = m->words_size;

	m->words_size = n ? 2 * n : 1024;
	m->words_shift = n ? m->words_shift - 1 : 64 - 10;
	m->words = xmalloc(m->words_size * sizeof(*m->words));
	for (size_t i = 0; i < m->words_size; i++)
		m->words[i].id = NONE;
	for (size_t i = 0; i < n; i++) {
		if (old[i].id == NONE)
			continue;
		const char *s = m->pool + m->winfo[old[i].id].off;
		uint64_t h = word_hash((const unsigned char *)s, old[i].len, old[i].head,
		    old[i].len);

		m->words[word_slot(m, s, old[i].len, h, old[i].head, old[i].len)] = old[i];
	}
	free(old);
}

/* The id of word s[0..n), made if absent. */
static uint32_t
word_id(struct matcher *m, const char *s, size_t n)
{
	uint64_t h, head = word_chunk((const unsigned char *)s, n, 0);
	size_t i;

	if (2 * (m->nwords + 1) > m->words_size)
		words_grow(m);
	h = word_hash((const unsigned char *)s, n, head, n);
	i = word_slot(m, s, n, h, head, n);
	if (m->words[i].id != NONE)
		return m->words[i].id;
	/* 8 bytes to spare at the end: see words_equal() */
	if (m->pool_len + n + 1 + 8 > m->pool_alloc) {
		while (m->pool_len + n + 1 + 8 > m->pool_alloc)
			m->pool_alloc = m->pool_alloc ? 2 * m->pool_alloc : 4096;
		m->pool = xrealloc(m->pool, m->pool_alloc);
	}
	memcpy(m->pool + m->pool_len, s, n);
	m->pool[m->pool_len + n] = '\0';
	m->words[i].head = head;
	m->words[i].id = (uint32_t)m->nwords++;
	m->words[i].len = (uint32_t)n;
	if (m->nwords > m->winfo_alloc) {
		m->winfo_alloc = m->winfo_alloc ? 2 * m->winfo_alloc : 256;
		m->winfo = xrealloc(m->winfo, m->winfo_alloc * sizeof(*m->winfo));
	}
	m->winfo[m->words[i].id].off = (uint32_t)m->pool_len;
	m->winfo[m->words[i].id].root = NONE;
	m->winfo[m->words[i].id].root_pattern = NONE;
	m->winfo[m->words[i].id].follows = 0;
	m->pool_len += n + 1;
	return m->words[i].id;
}

/* ---- building ---- */

static size_t
total_nodes(const struct matcher *m)
{
	return m->nstates + m->npnodes;
}

static uint32_t
new_state(struct matcher *m)
{
	struct state *s;

	if (total_nodes(m) >= MATCH_MAX_STATES)
		return NONE;
	if (m->nstates == m->states_alloc) {
		m->states_alloc = m->states_alloc ? 2 * m->states_alloc : 64;
		m->states = xrealloc(m->states, m->states_alloc * sizeof(*m->states));
	}
	s = &m->states[m->nstates];
	s->fail = ROOT;
	s->dict = s->odict = s->pattern = NONE;
	s->has_open = 0;
	return (uint32_t)m->nstates++;
}

static uint32_t
new_pattern(struct matcher *m)
{
	return (uint32_t)m->npatterns++;
}

/* The prefix trie's node for byte c under n, made if make; 0 if absent or full. */
static uint32_t
pchild(struct matcher *m, uint32_t n, unsigned char c, int make)
{
	uint32_t k;

	for (k = m->pnodes[n].child; k != 0; k = m->pnodes[k].sibling)
		if (m->pnodes[k].byte == c)
			return k;
	if (!make || total_nodes(m) >= MATCH_MAX_STATES)
		return 0;
	if (m->npnodes == m->pnodes_alloc) {
		m->pnodes_alloc *= 2;
		m->pnodes = xrealloc(m->pnodes, m->pnodes_alloc * sizeof(*m->pnodes));
	}
	k = (uint32_t)m->npnodes++;
	memset(&m->pnodes[k], 0, sizeof(m->pnodes[k]));
	m->pnodes[k].byte = c;
	m->pnodes[k].prefix = NONE;
	m->pnodes[k].sibling = m->pnodes[n].child;
	m->pnodes[n].child = k;
	return k;
}

/* The id of prefix s[0..n), made if absent; NONE when full. */
static uint32_t
prefix_id(struct matcher *m, const char *s, size_t n)
{
	uint32_t k = 0;

	for (size_t i = 0; i < n; i++)
		if ((k = pchild(m, k, (unsigned char)s[i], 1)) == 0)
			return NONE;
	if (m->pnodes[k].prefix == NONE)
		m->pnodes[k].prefix = (uint32_t)m->nprefixes++;
	return m->pnodes[k].prefix;
}

struct matcher *
matcher_new(void)
{
	struct matcher *m = xcalloc(1, sizeof(*m));

	new_state(m);	/* the root */
	m->pnodes_alloc = 64;
	m->pnodes = xcalloc(m->pnodes_alloc, sizeof(*m->pnodes));
	m->npnodes = 1;	/* the prefix trie's root: the empty prefix */
	m->pnodes[0].prefix = NONE;
	return m;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	free(m->states);
	free(m->edges);
	free(m->words);
	free(m->winfo);
	free(m->steps);
	free(m->step_filter);
	free(m->pool);
	free(m->pnodes);
	free(m->pdelta);
	free(m->pprefix);
	free(m->pfilter);
	free(m);
}

size_t
matcher_count(const struct matcher *m)
{
	return m->npatterns;
}

int
matcher_add(struct matcher *m, const char *key, int open)
{
	size_t len = strlen(key), start = 0;
	uint32_t s = ROOT, id;

	if (m->built || len == 0 || len > MATCH_MAX_PATTERN)
		return -1;
	for (;;) {
		const char *sp = memchr(key + start, ' ', len - start);
		size_t end = sp ? (size_t)(sp - key) : len;

		if (end == len && open) {
			uint32_t p = prefix_id(m, key + start, end - start);

			if (p == NONE)
				return -1;
			id = edge_put(m, s, p | OPEN_SYMBOL, new_pattern);
			m->states[s].has_open = 1;
			return (int)id;
		}
		s = edge_put(m, s, word_id(m, key + start, end - start), new_state);
		if (s == NONE)
			return -1;
		if (end == len)
			break;
		start = end + 1;
	}
	if (m->states[s].pattern == NONE)
		m->states[s].pattern = new_pattern(m);
	return (int)m->states[s].pattern;
}

/* The filter's bit for a word's first pfilter_len bytes, from its head
 * (see word_chunk()). */
static inline uint32_t
pfilter_bit(const struct matcher *m, uint64_t head)
{
	uint64_t v = head & ((1ull << (8 * m->pfilter_len)) - 1);

	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> (64 - PFILTER_BITS));
}

static inline int
pfilter_has(const struct matcher *m, uint64_t head)
{
	uint32_t bit = pfilter_bit(m, head);

	return (m->pfilter[bit / 64] >> (bit % 64)) & 1;
}

/*
 * Most words of a text start down the trie of open prefixes and leave it
 * a byte or two later, a dependent load a byte. A filter of the paths at
 * the depth of the shortest prefix (at most 4) turns most of them away
 * with one bit. Any word whose first bytes are not a path cannot reach a
 * prefix.
 */
static void
build_prefix_filter(struct matcher *m)
{
	struct { uint32_t node; uint32_t depth; unsigned char path[4]; } *stack;
	size_t min = SIZE_MAX, top = 0;

	stack = xmalloc(m->npnodes * sizeof(*stack));
	stack[top].node = 0;
	stack[top++].depth = 0;
	while (top > 0) {
		uint32_t n = stack[--top].node, d = stack[top].depth;

		if (m->pnodes[n].prefix != NONE && d < min)
			min = d;
		for (uint32_t k = m->pnodes[n].child; k != 0; k = m->pnodes[k].sibling) {
			stack[top].node = k;
			stack[top++].depth = d + 1;
		}
	}
	if (min == 0 || min == SIZE_MAX)
		goto out;
	m->pfilter_len = min < 4 ? min : 4;
	m->pfilter = xcalloc((1u << PFILTER_BITS) / 64, sizeof(*m->pfilter));
	memset(stack[top].path, 0, sizeof(stack[top].path));
	stack[top].node = 0;
	stack[top++].depth = 0;
	while (top > 0) {
		uint32_t n = stack[--top].node, d = stack[top].depth;
		unsigned char path[4];

		memcpy(path, stack[top].path, sizeof(path));
		if (d == m->pfilter_len) {
			uint32_t bit = pfilter_bit(m, word_chunk(path, d, 0));

			m->pfilter[bit / 64] |= 1ull << (bit % 64);
			continue;
		}
		for (uint32_t k = m->pnodes[n].child; k != 0; k = m->pnodes[k].sibling) {
			stack[top].node = k;
			stack[top].depth = d + 1;
			memcpy(stack[top].path, path, sizeof(path));
			stack[top++].path[d] = m->pnodes[k].byte;
		}
	}
out:
	free(stack);
}

/*
 * The prefix trie as a table over the byte classes its prefixes use, its
 * rows in breadth-first order: most words leave the trie after a byte or
 * two, so the rows they read are the first few, together in the cache.
 */
static void
build_prefixes(struct matcher *m)
{
	size_t nc = 1, head = 0, tail = 0;
	uint32_t *order = xmalloc(m->npnodes * sizeof(*order));	/* row -> node */
	uint32_t *row = xmalloc(m->npnodes * sizeof(*row));	/* node -> row */

	for (size_t i = 1; i < m->npnodes; i++)
		m->pclass[m->pnodes[i].byte] = 1;
	for (int c = 0; c < 256; c++)
		if (m->pclass[c])
			m->pclass[c] = (unsigned char)nc++;
	m->pnc = nc;
	order[tail++] = 0;
	while (head < tail) {
		uint32_t n = order[head++];

		row[n] = (uint32_t)(head - 1);
		for (uint32_t k = m->pnodes[n].child; k != 0; k = m->pnodes[k].sibling)
			order[tail++] = k;
	}
	m->pdelta = xcalloc(m->npnodes * nc, sizeof(*m->pdelta));
	m->pprefix = xmalloc(m->npnodes * sizeof(*m->pprefix));
	for (size_t r = 0; r < m->npnodes; r++) {
		uint32_t n = order[r];

		m->pprefix[r] = m->pnodes[n].prefix;
		for (uint32_t k = m->pnodes[n].child; k != 0; k = m->pnodes[k].sibling)
			m->pdelta[r * nc + m->pclass[m->pnodes[k].byte]] = row[k];
	}
	free(order);
	free(row);
	build_prefix_filter(m);
}

static inline uint64_t
step_hash(uint32_t state, uint32_t word)
{
	return ((uint64_t)state << 32 | word) * 0x9e3779b97f4a7c15ull;
}

static inline int
step_filter_has(const struct matcher *m, uint64_t h)
{
	uint32_t bit = (uint32_t)(h >> m->step_filter_shift);

	return (m->step_filter[bit / 64] >> (bit % 64)) & 1;
}

/* The transition on word from state (not the root), or NULL; h is their
 * step_hash(). */
static inline const struct word_step *
word_step(const struct matcher *m, uint32_t state, uint32_t word, uint64_t h)
{
	size_t mask = ((size_t)1 << (64 - m->steps_shift)) - 1;

	for (size_t i = (size_t)(h >> m->steps_shift);; i = (i + 1) & mask) {
		const struct word_step *st = &m->steps[i];

		if (st->word == NONE)
			return NULL;
		if (st->word == word && st->from == state)
			return st;
	}
}

/* The word transitions from states other than the root, with what a scan
 * needs of the states they lead to, and the filters in front of them. */
static void
build_steps(struct matcher *m)
{
	size_t n = 0, size;
	unsigned bits, filter_bits;

	for (size_t i = 0; i < m->edges_size; i++) {
		uint32_t parent = (uint32_t)(m->edges[i].key >> 32);
		uint32_t symbol = (uint32_t)m->edges[i].key;

		if (m->edges[i].key == EMPTY_KEY || parent == ROOT || (symbol & OPEN_SYMBOL))
			continue;
		m->winfo[symbol].follows |= state_bit(parent);
		n++;
	}
	/* at most half full; the filter 16 bits a transition (about 6%
	 * false), 4 kbit to 1 Mbit */
	for (bits = 4; ((size_t)1 << bits) < 2 * n; bits++)
		;
	for (filter_bits = 12; filter_bits < 20 && ((size_t)1 << filter_bits) < 16 * n;
	    filter_bits++)
		;
	size = (size_t)1 << bits;
	m->steps_shift = 64 - bits;
	m->steps = xmalloc(size * sizeof(*m->steps));
	for (size_t i = 0; i < size; i++)
		m->steps[i].word = NONE;
	m->step_filter_shift = 64 - filter_bits;
	m->step_filter = xcalloc(((size_t)1 << filter_bits) / 64, sizeof(*m->step_filter));
	for (size_t i = 0; i < m->edges_size; i++) {
		uint32_t parent = (uint32_t)(m->edges[i].key >> 32);
		uint32_t symbol = (uint32_t)m->edges[i].key;
		const struct state *to;
		uint64_t h = step_hash(parent, symbol);
		uint32_t bit = (uint32_t)(h >> m->step_filter_shift);
		size_t k;

		if (m->edges[i].key == EMPTY_KEY || parent == ROOT || (symbol & OPEN_SYMBOL))
			continue;
		to = &m->states[m->edges[i].value];
		m->step_filter[bit / 64] |= 1ull << (bit % 64);
		for (k = (size_t)(h >> m->steps_shift); m->steps[k].word != NONE;
		    k = (k + 1) & (size - 1))
			;
		m->steps[k].from = parent;
		m->steps[k].word = symbol;
		m->steps[k].to = m->edges[i].value;
		m->steps[k].pattern = to->pattern;
		m->steps[k].dict = to->dict;
		m->steps[k].fail = to->fail;
	}
}

void
matcher_build(struct matcher *m)
{
	uint32_t *first, *next, *child_of, *symbol_of, *queue, head = 0, tail = 0;

	if (m->built)
		return;
	m->built = 1;
	build_prefixes(m);

	/* each state's children, as lists through the word transitions */
	first = xmalloc(m->nstates * sizeof(*first));
	next = xmalloc((m->nedges + 1) * sizeof(*next));
	child_of = xmalloc((m->nedges + 1) * sizeof(*child_of));
	symbol_of = xmalloc((m->nedges + 1) * sizeof(*symbol_of));
	for (size_t i = 0; i < m->nstates; i++)
		first[i] = NONE;
	for (size_t i = 0, k = 0; i < m->edges_size; i++) {
		uint32_t parent, symbol;

		if (m->edges[i].key == EMPTY_KEY)
			continue;
		parent = (uint32_t)(m->edges[i].key >> 32);
		symbol = (uint32_t)m->edges[i].key;
		if (symbol & OPEN_SYMBOL)
			continue;
		child_of[k] = m->edges[i].value;
		symbol_of[k] = symbol;
		next[k] = first[parent];
		first[parent] = (uint32_t)k++;
	}

	/* breadth first, so that a state's fail state is complete before it */
	queue = xmalloc(m->nstates * sizeof(*queue));
	for (uint32_t e = first[ROOT]; e != NONE; e = next[e]) {
		m->states[child_of[e]].fail = ROOT;
		queue[tail++] = child_of[e];
	}
	while (head < tail) {
		uint32_t u = queue[head++];
		struct state *su = &m->states[u];

		if (u != ROOT && su->fail != ROOT) {
			const struct state *f = &m->states[su->fail];

			su->dict = f->pattern != NONE ? su->fail : f->dict;
			su->odict = f->has_open ? su->fail : f->odict;
		} else {
			su->dict = NONE;
			su->odict = m->states[ROOT].has_open ? ROOT : NONE;
		}
		for (uint32_t e = first[u]; e != NONE; e = next[e]) {
			uint32_t v = child_of[e], f = su->fail, to;

			for (;;) {
				if ((to = edge_get(m, f, symbol_of[e])) != NONE)
					break;
				if (f == ROOT)
					break;
				f = m->states[f].fail;
			}
			m->states[v].fail = to != NONE ? to : ROOT;
			queue[tail++] = v;
		}
	}
	free(queue);
	free(first);
	free(next);
	free(child_of);
	free(symbol_of);
	/* the root's transitions in the word table: most steps that are not
	 * from the root fall back to it, so this saves a lookup a word */
	/* winfo[nwords]: what a word no pattern has leads to (nothing) */
	m->winfo = xrealloc(m->winfo, (m->nwords + 1) * sizeof(*m->winfo));
	m->winfo_alloc = m->nwords + 1;
	m->winfo[m->nwords].off = 0;
	m->winfo[m->nwords].root = NONE;
	m->winfo[m->nwords].root_pattern = NONE;
	m->winfo[m->nwords].follows = 0;
	for (size_t i = 0; i < m->nwords; i++) {
		struct word_info *wi = &m->winfo[i];

		wi->root = edge_get(m, ROOT, (uint32_t)i);
		if (wi->root != NONE)
			wi->root_pattern = m->states[wi->root].pattern;
	}
	build_steps(m);
}

/* ---- scanning ---- */

/* The open patterns of prefix p (ending at end) from state s and its
 * suffixes. */
static inline __attribute__((always_inline)) void
report_open(const struct matcher *m, uint32_t s, uint32_t p, size_t end, matcher_fn *fn,
    void *arg)
{
	uint32_t u = m->states[s].has_open ? s : m->states[s].odict, id;

	for (; u != NONE; u = m->states[u].odict)
		if ((id = edge_get(m, u, p | OPEN_SYMBOL)) != NONE)
			fn(id, end, arg);
}

/*
 * Where the word at p[start] ends: the next space, or len. Eight bytes at
 * a time while eight remain: most words are shorter, so the first load
 * finds the space with no branch a byte to mispredict (the lowest byte
 * flagged by the zero-byte test is always a true space).
 */
static inline size_t
word_end(const unsigned char *p, size_t start, size_t len)
{
	size_t i = start;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

	for (; i + 8 <= len; i += 8) {
		uint64_t v, x, z;

		memcpy(&v, p + i, sizeof(v));
		x = v ^ (ones * ' ');
		if ((z = (x - ones) & ~x & highs) != 0)
			return i + (size_t)__builtin_ctzll(z) / 8;
	}
#endif
	while (i < len && p[i] != ' ')
		i++;
	return i;
}

/* The scan, inlined into each of its two callers below with fn known. */
static inline __attribute__((always_inline)) void
scan(const struct matcher *m, const char *key, size_t len, matcher_fn *fn, void *arg)
{
	const unsigned char *p = (const unsigned char *)key;
	const int open = m->nprefixes > 0;
	/* the state, its fail if known (else NONE: read it when needed), and
	 * the root's child on the last word: a root's child fails to the root */
	uint32_t s = ROOT, s_fail = ROOT, last_root = NONE;
	size_t start = 0;

	if (!m->built || m->npatterns == 0)
		return;
	for (;;) {
		const unsigned char *wp = p + start;
		size_t end = word_end(p, start, len), n = end - start;
		uint64_t head = word_chunk(wp, n, start + 8 <= len);
		const struct word_info *w;
		const struct word_step *step = NULL;
		uint32_t id = NONE;

		/* open patterns first: their matches end inside the word or at
		 * its end, and reports go in the order they end */
		if (open && (m->pfilter_len == 0 || (n >= m->pfilter_len &&
		    pfilter_has(m, head)))) {
			uint32_t node = 0;

			if (m->pprefix[0] != NONE)
				report_open(m, s, m->pprefix[0], start, fn, arg);
			for (size_t i = start; i < end; i++) {
				if ((node = m->pdelta[(size_t)node * m->pnc + m->pclass[p[i]]]) == 0)
					break;
				if (m->pprefix[node] != NONE)
					report_open(m, s, m->pprefix[node], i + 1, fn, arg);
			}
		}

		/* then the word itself: a step of the automaton. A word no
		 * pattern has reads the last info, which leads nowhere */
		if (m->nwords > 0)
			id = m->words[word_slot(m, key + start, n,
			    word_hash(wp, n, head, len - start), head, len - start)].id;
		w = &m->winfo[id != NONE ? id : m->nwords];

		/* the longest suffix of s with a transition on the word */
		while (s != ROOT) {
			if ((w->follows & state_bit(s)) != 0) {
				uint64_t h = step_hash(s, id);

				if (step_filter_has(m, h) &&
				    (step = word_step(m, s, id, h)) != NULL)
					break;
			}
			if (s_fail == NONE)
				s_fail = m->states[s].fail;
			s = s_fail;
			s_fail = s == last_root ? ROOT : NONE;
		}
		if (s == ROOT) {
			/* the common step, read from the word's info */
			s = w->root != NONE ? w->root : ROOT;
			s_fail = ROOT;
			if (w->root_pattern != NONE)
				fn(w->root_pattern, end, arg);
		} else {
			s = step->to;
			s_fail = step->fail;
			if (step->pattern != NONE)
				fn(step->pattern, end, arg);
			for (uint32_t u = step->dict; u != NONE; u = m->states[u].dict) {
				if (u == w->root) {
					/* the word alone: a root's child, whose
					 * dict is empty */
					fn(w->root_pattern, end, arg);
					break;
				}
				fn(m->states[u].pattern, end, arg);
			}
		}
		last_root = w->root;
		if (end >= len)
			break;
		start = end + 1;
	}
}

void
matcher_scan(const struct matcher *m, const char *key, size_t len,
    matcher_fn *fn, void *arg)
{
	scan(m, key, len, fn, arg);
}

static void
append_id(uint32_t id, size_t end, void *arg)
{
	struct match_ids *ids = arg;

	(void)end;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 256;
		ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
	}
	ids->v[ids->n++] = id;
}

void
matcher_scan_ids(const struct matcher *m, const char *key, size_t len,
    struct match_ids *ids)
{
	scan(m, key, len, append_id, ids);
}
