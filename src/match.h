/*
 * match: many word patterns found in one pass over a text (Aho-Corasick).
 *
 * Texts and patterns are keys as normalise_key() makes them: words of
 * case-folded letters and digits separated by single spaces. A pattern is
 * one or more whole words ("border guard"); an open pattern's last word
 * may continue ("traffick" open matches "trafficking"). The automaton runs
 * over words: a scan costs a hash lookup a word of the text (and a short
 * walk down the trie of open patterns' last words), whatever the number
 * of patterns.
 */
#ifndef FEEDMILL_MATCH_H
#define FEEDMILL_MATCH_H

#include <stddef.h>
#include <stdint.h>

/* Longer patterns are refused; the automaton stops growing here. */
#define MATCH_MAX_PATTERN	256
#define MATCH_MAX_STATES	(4u * 1024 * 1024)

struct matcher;

struct matcher *matcher_new(void);
void matcher_free(struct matcher *m);

/*
 * Add a pattern (a key, see above; NUL-terminated); open: its last word may
 * continue. Returns its id, numbered from 0 in the order added; adding the
 * same pattern again returns the first id. -1 for an empty pattern, one
 * longer than MATCH_MAX_PATTERN, or when the automaton is full. Only before matcher_build().
 */
int matcher_add(struct matcher *m, const char *key, int open);
/* Patterns added so far. */
size_t matcher_count(const struct matcher *m);

/* Compile the automaton; after this only matcher_scan(). */
void matcher_build(struct matcher *m);

/*
 * Report every occurrence of every pattern in key[0..len) as
 * fn(id, end, arg), end being the offset just past the match in key;
 * occurrences come in the order they end.
 */
typedef void matcher_fn(uint32_t id, size_t end, void *arg);
void matcher_scan(const struct matcher *m, const char *key, size_t len,
    matcher_fn *fn, void *arg);

/*
 * The same scan for a caller that wants only the ids: each occurrence's
 * id appended to ids->v[ids->n...] in the same order (v grows as needed;
 * start with all zero, free v when done). No call a match, which counts
 * when most words of a text are patterns, as in a learned model.
 */
struct match_ids {
	uint32_t	*v;
	size_t		 n;
	size_t		 cap;
};
void matcher_scan_ids(const struct matcher *m, const char *key, size_t len,
    struct match_ids *ids);

#endif
