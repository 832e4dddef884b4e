/*
 * match: the many-pattern matcher over normalised keys, checked as its
 * users see it (match.h): whole words and phrases, open (prefix) patterns,
 * overlaps, the offsets reported, UTF-8, edge texts, and 20 000 generated
 * patterns against a naive scan on random texts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "normalise.h"
#include "tap.h"
#include "xmalloc.h"

/* ---- collecting what a scan reports ---- */

struct hit {
	uint32_t	 id;
	size_t		 end;
};

struct hits {
	struct hit	*v;
	size_t		 n;
	size_t		 alloc;
	int		 ordered;	/* ends never went down */
};

static void
collect(uint32_t id, size_t end, void *arg)
{
	struct hits *h = arg;

	if (h->n > 0 && end < h->v[h->n - 1].end)
		h->ordered = 0;
	if (h->n == h->alloc) {
		h->alloc = h->alloc ? 2 * h->alloc : 16;
		h->v = xrealloc(h->v, h->alloc * sizeof(*h->v));
	}
	h->v[h->n].id = id;
	h->v[h->n++].end = end;
}

static void
hits_init(struct hits *h)
{
	memset(h, 0, sizeof(*h));
	h->ordered = 1;
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Scan text (a key) with m into h (sorted by end, then id). */
static void
scan(const struct matcher *m, const char *text, struct hits *h)
{
	hits_init(h);
	matcher_scan(m, text, strlen(text), collect, h);
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), hit_cmp);
}

/* How many times id was reported, and (the last) end it had. */
static size_t
count_id(const struct hits *h, int id, size_t *end)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++)
		if ((int)h->v[i].id == id) {
			n++;
			if (end != NULL)
				*end = h->v[i].end;
		}
	return n;
}

/* A matcher of the given patterns (open when the string ends in '*'),
 * their ids into ids. */
static struct matcher *
make(const char *const *pats, size_t n, int *ids)
{
	struct matcher *m = matcher_new();

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(pats[i]);
		int open = len > 0 && pats[i][len - 1] == '*';
		char *k = xstrndup(pats[i], open ? len - 1 : len);

		ids[i] = matcher_add(m, k, open);
		free(k);
	}
	matcher_build(m);
	return m;
}

/* Does scanning text report pattern id exactly want times? */
static void
expect(const struct matcher *m, const char *text, int id, size_t want,
    const char *pat)
{
	struct hits h;
	char name[512];

	scan(m, text, &h);
	snprintf(name, sizeof(name), "'%s' found %zu time(s) in '%s'", pat, want, text);
	tap_is_int((long long)count_id(&h, id, NULL), (long long)want, name);
	free(h.v);
}

/* ---- the cases a user checks by hand ---- */

static void
test_words(void)
{
	static const char *const pats[] = { "election", "border guard", "river basin" };
	int ids[3];
	struct matcher *m = make(pats, 3, ids);

	tap_is_int(ids[0], 0, "ids are numbered from 0...");
	tap_is_int(ids[1], 1, "...in the order added (1)");
	tap_is_int(ids[2], 2, "...in the order added (2)");
	tap_is_int((long long)matcher_count(m), 3, "matcher_count counts the patterns");
	expect(m, "the election was held", ids[0], 1, pats[0]);
	expect(m, "election", ids[0], 1, pats[0]);
	expect(m, "election election election", ids[0], 3, pats[0]);
	expect(m, "elections were held", ids[0], 0, pats[0]);
	expect(m, "preelection talks", ids[0], 0, pats[0]);
	expect(m, "electio n", ids[0], 0, pats[0]);
	expect(m, "a border guard said", ids[1], 1, pats[1]);
	expect(m, "border guard", ids[1], 1, pats[1]);
	expect(m, "border and guard", ids[1], 0, pats[1]);
	expect(m, "border guards", ids[1], 0, pats[1]);
	expect(m, "the border guardian", ids[1], 0, pats[1]);
	expect(m, "crossborder guard", ids[1], 0, pats[1]);
	expect(m, "border", ids[1], 0, pats[1]);
	expect(m, "the river basin border guard election", ids[2], 1, pats[2]);
	expect(m, "the river basin border guard election", ids[1], 1, pats[1]);
	expect(m, "the river basin border guard election", ids[0], 1, pats[0]);
	matcher_free(m);
}

static void
test_closed(void)
{
	static const char *const pats[] = { "arm" };
	int ids[1];
	struct matcher *m = make(pats, 1, ids);

	expect(m, "army", ids[0], 0, "arm");
	expect(m, "harm", ids[0], 0, "arm");
	expect(m, "the harmed army", ids[0], 0, "arm");
	expect(m, "farms arms", ids[0], 0, "arm");
	expect(m, "arm", ids[0], 1, "arm");
	expect(m, "an arm and a harm", ids[0], 1, "arm");
	expect(m, "arm arm", ids[0], 2, "arm");
	matcher_free(m);
}

static void
test_open(void)
{
	static const char *const pats[] = { "traffick*", "human traffick*" };
	int ids[2];
	struct matcher *m = make(pats, 2, ids);

	expect(m, "trafficking", ids[0], 1, "traffick*");
	expect(m, "traffickers", ids[0], 1, "traffick*");
	expect(m, "traffick", ids[0], 1, "traffick*");
	expect(m, "untrafficked", ids[0], 0, "traffick*");
	expect(m, "traffic", ids[0], 0, "traffick*");
	expect(m, "the trafficked and the traffickers", ids[0], 2, "traffick*");
	expect(m, "human trafficking", ids[1], 1, "human traffick*");
	expect(m, "human trafficking", ids[0], 1, "traffick*");
	expect(m, "inhuman trafficking", ids[1], 0, "human traffick*");
	expect(m, "humane trafficking", ids[1], 0, "human traffick*");
	expect(m, "human untrafficked", ids[1], 0, "human traffick*");
	matcher_free(m);

	/* an open and a closed pattern of the same key are two patterns */
	{
		struct matcher *m2 = matcher_new();
		int c = matcher_add(m2, "arm", 0), o = matcher_add(m2, "arm", 1);
		struct hits h;

		tap_ok(c >= 0 && o >= 0 && c != o, "'arm' and 'arm*' are distinct patterns");
		matcher_build(m2);
		scan(m2, "army arm", &h);
		tap_is_int((long long)count_id(&h, c, NULL), 1, "closed 'arm' in 'army arm': once");
		tap_is_int((long long)count_id(&h, o, NULL), 2, "open 'arm*' in 'army arm': twice");
		free(h.v);
		matcher_free(m2);
	}
}

static void
test_overlaps(void)
{
	static const char *const pats[] = { "border guard", "guard", "border",
	    "guard border", "border guard border" };
	int ids[5];
	struct matcher *m = make(pats, 5, ids);
	const char *text = "border guard border guard";
	struct hits h;
	size_t end = 0;

	scan(m, text, &h);
	tap_is_int((long long)count_id(&h, ids[0], NULL), 2, "overlapping: 'border guard' twice");
	tap_is_int((long long)count_id(&h, ids[1], NULL), 2, "overlapping: 'guard' (its suffix) twice");
	tap_is_int((long long)count_id(&h, ids[2], NULL), 2, "overlapping: 'border' (its prefix) twice");
	tap_is_int((long long)count_id(&h, ids[3], &end), 1, "overlapping: 'guard border' once");
	tap_is_int((long long)end, 19, "'guard border' ends at 19");
	tap_is_int((long long)count_id(&h, ids[4], &end), 1, "overlapping: 'border guard border' once");
	tap_is_int((long long)end, 19, "'border guard border' ends at 19");
	tap_is_int((long long)h.n, 8, "and nothing else");
	free(h.v);

	/* the suffix alone, and the longer pattern's start alone */
	expect(m, "a guard", ids[1], 1, "guard");
	expect(m, "a guard", ids[0], 0, "border guard");
	expect(m, "border guardian", ids[1], 0, "guard");
	expect(m, "border guardian", ids[2], 1, "border");
	matcher_free(m);
}

static void
test_offsets(void)
{
	static const char *const pats[] = { "the", "end", "the end", "en*", "e" };
	int ids[5];
	struct matcher *m = make(pats, 5, ids);
	/*            0123456789012345678901 */
	const char *text = "the start and the end";
	struct hits h, raw;
	const struct hit want[] = {
		{ (uint32_t)ids[0], 3 },	/* the */
		{ (uint32_t)ids[0], 17 },	/* the */
		{ (uint32_t)ids[3], 20 },	/* en* (ends at the 'n') */
		{ (uint32_t)ids[1], 21 },	/* end */
		{ (uint32_t)ids[2], 21 },	/* the end */
	};
	int same;

	hits_init(&raw);
	matcher_scan(m, text, strlen(text), collect, &raw);
	tap_ok(raw.ordered, "occurrences come in the order they end");
	free(raw.v);
	scan(m, text, &h);
	same = h.n == sizeof(want) / sizeof(*want);
	for (size_t i = 0; same && i < h.n; i++) {
		const struct hit *w = &want[i];
		int found = 0;

		for (size_t j = 0; j < h.n; j++)
			found |= h.v[j].id == w->id && h.v[j].end == w->end;
		same = found;
	}
	if (!tap_ok(same, "matches at the start and the end, with their end offsets"))
		for (size_t i = 0; i < h.n; i++)
			printf("#   got id %u end %zu\n", h.v[i].id, h.v[i].end);
	free(h.v);

	/* a single word text, matched whole and as a prefix */
	scan(m, "end", &h);
	tap_ok(h.n == 2 && count_id(&h, ids[1], NULL) == 1 && count_id(&h, ids[3], NULL) == 1,
	    "a text that is one pattern: 'end' and 'en*'");
	{
		size_t e1 = 0, e2 = 0;

		count_id(&h, ids[1], &e1);
		count_id(&h, ids[3], &e2);
		tap_ok(e1 == 3 && e2 == 2, "their ends: 3 and 2");
	}
	free(h.v);

	/* a one-letter word at the very start and the very end */
	scan(m, "e x e", &h);
	{
		int ok = count_id(&h, ids[4], NULL) == 2;

		ok = ok && h.v[0].id == (uint32_t)ids[4] && h.v[0].end == 1;
		ok = ok && h.v[h.n - 1].id == (uint32_t)ids[4] && h.v[h.n - 1].end == 5;
		tap_ok(ok, "'e' at offset 0 (end 1) and at the last byte (end 5)");
	}
	free(h.v);
	matcher_free(m);
}

static void
test_duplicates(void)
{
	struct matcher *m = matcher_new();
	int a = matcher_add(m, "border guard", 0);
	int b = matcher_add(m, "guard", 0);
	int c = matcher_add(m, "border guard", 0);
	int d = matcher_add(m, "traffick", 1);
	int e = matcher_add(m, "traffick", 1);
	struct hits h;

	tap_is_int(c, a, "the same pattern added again returns the first id");
	tap_is_int(e, d, "the same open pattern added again returns the first id");
	tap_ok(a != b && b != d, "different patterns have different ids");
	tap_is_int((long long)matcher_count(m), 3, "a pattern added twice counts once");
	tap_is_int(matcher_add(m, "", 0), -1, "an empty pattern is refused");
	tap_is_int(matcher_add(m, "", 1), -1, "an empty open pattern is refused");
	matcher_build(m);
	scan(m, "border guard", &h);
	tap_is_int((long long)count_id(&h, a, NULL), 1, "a duplicate pattern is reported once per occurrence");
	free(h.v);
	tap_is_int(matcher_add(m, "late", 0), -1, "no pattern is added after matcher_build");
	scan(m, "late", &h);
	tap_is_int((long long)h.n, 0, "and a refused late pattern is not found");
	free(h.v);
	matcher_free(m);
}

static void
test_utf8(void)
{
	struct matcher *m = matcher_new();
	char *k1 = normalise_key("Выборы"), *k2 = normalise_key("Čovjek");
	int v, c, raw, mh;
	struct hits h;
	char *text;

	tap_is_str(k1, "выборы", "normalise_key folds Cyrillic case");
	v = matcher_add(m, k1, 0);
	c = matcher_add(m, k2, 0);
	raw = matcher_add(m, "čovjek", 0);	/* bytes as given, marks kept */
	mh = matcher_add(m, "menschenhandel", 1);
	matcher_build(m);

	text = normalise_key("Президентские ВЫБОРЫ прошли; перевыборы нет. ČOVJEK i čovjek");
	scan(m, text, &h);
	tap_is_int((long long)count_id(&h, v, NULL), 1, "Cyrillic 'выборы' found once, not inside 'перевыборы'");
	tap_is_int((long long)count_id(&h, c, NULL), 2, "'čovjek' (as a key) found twice");
	{
		size_t end = 0;
		const char *p = strstr(text, "выборы");

		count_id(&h, v, &end);
		tap_ok(p != NULL && end == (size_t)(p - text) + strlen("выборы"),
		    "the end of a UTF-8 match is a byte offset just past it");
	}
	free(h.v);
	free(text);

	scan(m, "čovjek čovjeka", &h);
	tap_is_int((long long)count_id(&h, raw, NULL), 1, "a raw UTF-8 pattern matches whole words only");
	free(h.v);
	scan(m, "menschenhandels menschenhandel", &h);
	tap_is_int((long long)count_id(&h, mh, NULL), 2, "an open pattern matches the word and its longer forms");
	free(h.v);
	scan(m, "выбор", &h);
	tap_is_int((long long)h.n, 0, "a Cyrillic prefix of a closed pattern does not match");
	free(h.v);
	/* a text cut inside a character must not match or crash */
	{
		const char *w = "выборы";

		hits_init(&h);
		matcher_scan(m, w, strlen(w) - 1, collect, &h);
		tap_is_int((long long)h.n, 0, "a text cut inside the last character does not match");
		free(h.v);
	}
	free(k1);
	free(k2);
	matcher_free(m);
}

static void
test_edges(void)
{
	struct matcher *m = matcher_new();
	struct hits h;
	int a;
	char pat[MATCH_MAX_PATTERN + 1], *text;

	matcher_build(m);
	scan(m, "anything at all", &h);
	tap_is_int((long long)h.n, 0, "a matcher with no patterns finds nothing");
	free(h.v);
	scan(m, "", &h);
	tap_is_int((long long)h.n, 0, "...nor in an empty text");
	free(h.v);
	tap_is_int((long long)matcher_count(m), 0, "and counts no patterns");
	matcher_free(m);

	m = matcher_new();
	a = matcher_add(m, "word", 0);
	matcher_add(m, "w", 1);
	matcher_build(m);
	scan(m, "", &h);
	tap_is_int((long long)h.n, 0, "an empty text has no matches");
	free(h.v);
	hits_init(&h);
	matcher_scan(m, "word", 0, collect, &h);
	tap_is_int((long long)h.n, 0, "len 0 reads nothing of the text");
	free(h.v);
	hits_init(&h);
	matcher_scan(m, "word words", 4, collect, &h);
	tap_ok(h.n == 2 && count_id(&h, a, NULL) == 1, "len bounds the text: 'word' in the first 4 bytes");
	free(h.v);
	hits_init(&h);
	matcher_scan(m, "words", 4, collect, &h);
	tap_is_int((long long)count_id(&h, a, NULL), 1,
	    "the end of len is a word's end: 'word' in 'words' cut at 4");
	free(h.v);
	scan(m, "x y z", &h);
	tap_is_int((long long)h.n, 0, "bytes no pattern uses find nothing");
	free(h.v);
	matcher_free(m);

	/* a pattern of MATCH_MAX_PATTERN bytes still works */
	m = matcher_new();
	for (size_t i = 0; i < MATCH_MAX_PATTERN; i++)
		pat[i] = i % 8 == 7 ? ' ' : (char)('a' + i % 7);
	pat[MATCH_MAX_PATTERN - 1] = 'z';
	pat[MATCH_MAX_PATTERN] = '\0';
	a = matcher_add(m, pat, 0);
	tap_ok(a >= 0, "a pattern of MATCH_MAX_PATTERN bytes is added");
	matcher_build(m);
	text = xasprintf("start %s end", pat);
	scan(m, text, &h);
	tap_is_int((long long)count_id(&h, a, NULL), 1, "and found");
	free(h.v);
	free(text);
	matcher_free(m);
}

/* ---- many patterns against a naive scan ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A word of 1 to max_letters letters from a small alphabet, so that
 * words share prefixes and suffixes; sometimes a two-byte letter. */
struct word {
	char	 s[64];
	size_t	 n;
};

static size_t max_letters = 7;

static void
random_word(struct word *w)
{
	static const char *const letters[] = { "a", "b", "c", "d", "e", "é", "ж" };
	size_t len = 1 + rnd((uint32_t)max_letters);

	w->n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *l = letters[rnd(i == 0 ? 5 : 7)];

		memcpy(w->s + w->n, l, strlen(l));
		w->n += strlen(l);
	}
	w->s[w->n] = '\0';
}

struct pattern {
	char	*key;
	size_t	 len;
	int	 open;
	int	 id;
	int	 repeat;	/* an earlier pattern is the same */
};

static int
pattern_cmp(const void *a, const void *b)
{
	const struct pattern *x = *(const struct pattern *const *)a;
	const struct pattern *y = *(const struct pattern *const *)b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	if (x->open != y->open)
		return x->open - y->open;
	return x < y ? -1 : x > y;
}

/* Every occurrence of every pattern, the slow way. */
static void
naive(const struct pattern *p, size_t np, const char *text, struct hits *h)
{
	size_t len = strlen(text);

	hits_init(h);
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && text[i - 1] != ' ')
			continue;	/* a match starts a word */
		for (size_t k = 0; k < np; k++) {
			size_t pl = p[k].len;

			if (p[k].id < 0 || p[k].repeat || i + pl > len || memcmp(text + i, p[k].key, pl) != 0)
				continue;
			if (!p[k].open && i + pl < len && text[i + pl] != ' ')
				continue;	/* and, closed, ends one */
			collect((uint32_t)p[k].id, i + pl, h);
		}
	}
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), hit_cmp);
}

/*
 * WANT distinct patterns of words up to letters long; a pattern may be
 * open only if its last word has at least min_open bytes (the matcher
 * filters words by the shortest open prefix: this checks the filter at
 * each of its lengths, and long words, whose hash reads several chunks).
 */
static void
test_many(size_t want_distinct, size_t letters, size_t min_open)
{
	enum { MAXPAT = 40000, NTEXT = 6, TEXT_WORDS = 400 };
	const size_t WANT = want_distinct;
	char name[200];
	struct pattern *p = xcalloc(MAXPAT, sizeof(*p));
	size_t npat = 0;
	struct matcher *m = matcher_new();
	struct word w;
	size_t distinct = 0, total = 0;
	int ids_ok = 1, all_ok = 1, ids_same = 1;
	struct match_ids ids = { NULL, 0, 0 };

	max_letters = letters;
	/* until 20 000 distinct patterns: short words come up more than once */
	for (size_t i = 0; distinct < WANT && i < MAXPAT; i++, npat++) {
		char key[256];
		size_t nw = rnd(4) == 0 ? 2 + rnd(2) : 1, o = 0;

		for (size_t j = 0; j < nw; j++) {
			random_word(&w);
			if (j > 0)
				key[o++] = ' ';
			memcpy(key + o, w.s, w.n + 1);
			o += w.n;
		}
		p[i].key = xstrdup(key);
		p[i].len = o;
		p[i].open = rnd(5) == 0 && w.n >= min_open;	/* w: the last word */
		p[i].id = matcher_add(m, p[i].key, p[i].open);
		if (p[i].id < 0)
			ids_ok = 0;
		else if ((size_t)p[i].id == distinct)
			distinct++;
		else if ((size_t)p[i].id > distinct)
			ids_ok = 0;	/* ids are dense */
	}
	/* the same key and openness: the same id; else different ids */
	{
		struct pattern **sorted = xmalloc(npat * sizeof(*sorted));

		for (size_t i = 0; i < npat; i++)
			sorted[i] = &p[i];
		qsort(sorted, npat, sizeof(*sorted), pattern_cmp);
		for (size_t i = 1; i < npat; i++) {
			const struct pattern *a = sorted[i - 1], *b = sorted[i];
			int same = a->open == b->open && strcmp(a->key, b->key) == 0;

			if (same != (a->id == b->id))
				ids_ok = 0;
			if (same)
				sorted[i]->repeat = 1;
		}
		free(sorted);
	}
	snprintf(name, sizeof(name), "%zu distinct generated patterns (words of up to %zu "
	    "letters, open ones ending in %zu bytes or more): ids dense, repeats share them",
	    WANT, letters, min_open);
	tap_ok(ids_ok && distinct == WANT, name);
	tap_is_int((long long)matcher_count(m), (long long)distinct, "matcher_count is the distinct patterns");
	matcher_build(m);

	for (int t = 0; t < NTEXT; t++) {
		char *text = xmalloc(TEXT_WORDS * 64);
		size_t o = 0;
		struct hits got, want;
		int same;

		for (int j = 0; j < TEXT_WORDS; j++) {
			if (j > 0)
				text[o++] = ' ';
			if (rnd(3) == 0) {	/* a pattern's words */
				const char *k = p[rnd((uint32_t)npat)].key;

				memcpy(text + o, k, strlen(k));
				o += strlen(k);
			} else {
				random_word(&w);
				memcpy(text + o, w.s, w.n);
				o += w.n;
			}
		}
		text[o] = '\0';
		hits_init(&got);
		matcher_scan(m, text, o, collect, &got);
		if (!got.ordered)
			all_ok = 0;
		/* matcher_scan_ids: the same ids in the same order */
		ids.n = 0;
		matcher_scan_ids(m, text, o, &ids);
		if (ids.n != got.n)
			ids_same = 0;
		for (size_t i = 0; ids_same && i < got.n; i++)
			ids_same = ids.v[i] == got.v[i].id;
		if (got.n > 1)
			qsort(got.v, got.n, sizeof(*got.v), hit_cmp);
		naive(p, npat, text, &want);
		same = got.n == want.n;
		for (size_t i = 0; same && i < got.n; i++)
			same = got.v[i].id == want.v[i].id && got.v[i].end == want.v[i].end;
		if (!same) {
			all_ok = 0;
			printf("# text %d: matcher %zu matches, naive %zu\n", t, got.n, want.n);
			for (size_t i = 0; i < got.n && i < want.n; i++)
				if (got.v[i].id != want.v[i].id || got.v[i].end != want.v[i].end) {
					printf("#   first difference at %zu: got id %u end %zu, "
					    "want id %u end %zu\n", i, got.v[i].id, got.v[i].end,
					    want.v[i].id, want.v[i].end);
					break;
				}
		}
		total += want.n;
		free(got.v);
		free(want.v);
		free(text);
	}
	tap_ok(all_ok, "random texts: the matcher reports exactly what a naive scan finds, in end order");
	tap_ok(ids_same, "matcher_scan_ids gives the same ids in the same order");
	free(ids.v);
	tap_ok(total > 1000, "and the texts had plenty of matches to compare");
	printf("# %zu distinct patterns, %zu matches compared\n", distinct, total);
	for (size_t i = 0; i < npat; i++)
		free(p[i].key);
	free(p);
	matcher_free(m);
}

int
main(void)
{
	test_words();
	test_closed();
	test_open();
	test_overlaps();
	test_offsets();
	test_duplicates();
	test_utf8();
	test_edges();
	test_many(20000, 7, 0);
	for (size_t min_open = 2; min_open <= 6; min_open++)
		test_many(2000, 12, min_open);
	return tap_done();
}
