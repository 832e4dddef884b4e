/*
 * digest_only [options] CONF: digest.h's digest_compose over a store of
 * releases first stored in the last day, with nothing around it. Three
 * modes, each meant to run in a process of its own, so that the peak RSS
 * (getrusage ru_maxrss) of each says what that step cost:
 *
 *   --load      fill an empty state_dir: every configured source gets its
 *               row and feed title (store_source_sync, store_source_save,
 *               as after a first poll), then --older releases first seen
 *               before the digest's window (none by default), then
 *               --releases releases first seen in the window, stored as
 *               dedup_entry and the tagger store them:
 *               store_release_insert (with paragraph hashes),
 *               store_delivery_put for each source that delivered it,
 *               store_release_set_fields; in transactions of --batch
 *   --baseline  load the configuration and the taxonomy (tagger_load),
 *               open the store, count its releases, and exit: the memory
 *               every process that composes a digest starts from
 *   (default)   the same, then digest_compose for the first (and only)
 *               [digest NAME] of CONF at --now, --rounds times; the runs
 *               are not stored (no store_digest_add), so every round is
 *               the digest's first run and looks back DIGEST_FIRST_WINDOW
 *               (24 h). Then one more round with the wrapped calls timed
 *               (below), for where the time goes.
 *
 * The releases are those of bench/publish_only.c (same grammar, same
 * shape): a title of about ten words; a body of 2.5 to 4.2 KB of HTML in
 * 5 to 13 <p> paragraphs, 70% with typographic quotes and names with
 * diacritics, some with a link or an ampersand, 40% ending with a shared
 * boilerplate paragraph; its plain text and its lead paragraph as summary
 * (up to 600 bytes), as dedup stores them; uid, fingerprint and content
 * hash made as dedup makes them; an author on 40%; 1 to 3 of the
 * taxonomy's fields (origin "text", with a score) and 1 source (75%) or 2
 * (25%), drawn with skewed weights. Release i depends only on --seed, i,
 * --now and the counts. The window's releases are first seen evenly over
 * [now - 23 h, now), published 5 to 90 minutes before; a second source's
 * delivery comes up to an hour after the first (never after now). The
 * older ones are first seen evenly over the year before now - 25 h.
 *
 * The driver is linked with -Wl,--wrap for every function it defines a
 * __wrap_ for below (bench/digest finds the WRAP(...) and MEMWRAP lines):
 *   - the store and mail calls digest.c makes, and qsort; in the profiled
 *     round each is counted and timed (two clock_gettime calls a call).
 *     What is left of digest_compose's time is digest.c's own work
 *     (escaping the HTML part, joining strings) and malloc. The timed
 *     rounds run with the timing off.
 *   - malloc, calloc, realloc, free and vasprintf, as libfeedmill.a calls
 *     them: each round notes the bytes (malloc_usable_size) feedmill's code
 *     holds at most during the compose, above what it held before. SQLite's
 *     own allocations (its page cache, in libsqlite3.so) are not wrapped;
 *     sqlite3_memory_highwater gives them.
 *
 * Peak RSS is getrusage's ru_maxrss, with /proc/self/status's VmHWM beside
 * it. Linux carries ru_maxrss over execve (it starts from the peak of the
 * address space the exec replaced), so a driver exec'd from a large
 * process reports that process's peak until it passes it; bench/digest
 * starts it through a shell that forks it. VmHWM is the new address
 * space's own: the two agree when the start was clean.
 *
 * Options:
 *   --load | --baseline   the mode (default: compose)
 *   --releases N   (--load) releases in the digest's window (default 2000)
 *   --older N      (--load) releases first seen before it (default 0)
 *   --rounds N     (compose) timed composes (default 7)
 *   --batch N      (--load) releases per transaction (500)
 *   --seed N       (--load) default 20260302
 *   --now T        the digest's time, Unix seconds (default 1772431200,
 *                  2026-03-02T06:00:00Z); --load and compose must agree
 *   --in-transaction (compose) compose between store_begin and
 *                  store_commit (nothing is written; both are timed), as
 *                  when the daemon's loop iteration already holds its
 *                  transaction: SQLite then takes its read lock once, not
 *                  once a statement. Without it the compose runs outside
 *                  any transaction, as `feedmill digest` does.
 *   --message FILE (compose) write the last round's message there
 *
 * Prints on stdout, tab-separated, for bench/digest to read:
 *   taxonomy FIELDS PATH
 *   digest NAME MAX_ITEMS
 *   sources N                         (--load)
 *   load RELEASES OLDER SECONDS DELIVERIES FIELD_ROWS HTML_BYTES   (--load)
 *   db_bytes BYTES                    (the database and its WAL)
 *   releases N                        (in the store)
 *   rss NAME MAXRSS_KB VMHWM_KB       (getrusage ru_maxrss, and VmHWM of
 *                                      /proc/self/status; NAME: loaded,
 *                                      baseline, setup, first, rounds)
 *   sqlite NAME USED HIGHWATER        (sqlite3_memory_used/_highwater)
 *   compose ROUND WALL_S CPU_S ITEMS CANDIDATES MESSAGE_BYTES HEAP_PEAK
 *                                     (ROUND 0 is the profiled one;
 *                                      HEAP_PEAK: bytes, see above)
 *   prof NAME CALLS SECONDS           (each wrapped call, profiled round)
 * Exit status 1 on any error, which is printed on stderr.
 *
 * Linked against a build tree's libfeedmill.a; see bench/digest.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "conf.h"
#include "digest.h"
#include "mail.h"
#include "store.h"
#include "tag.h"

#define HOUR		3600LL
#define DAY		(24 * HOUR)
#define YEAR_SECONDS	(365 * DAY)
/* 2026-03-02T06:00:00Z */
#define DEFAULT_NOW	1772431200LL
#define MAX_FIELDS	3
#define MAX_SOURCES	2
#define MAX_PARAS	16

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("digest_only: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the wrapped calls: time ---- */

enum {
	P_FIRST_START, P_LAST_END, P_CANDIDATES, P_RELEASE_GET, P_RELEASE_FIELDS,
	P_RELEASE_SOURCES, P_SOURCE_GET, P_MAIL_WRAP, P_MAIL_QP, P_MAIL_HEADER, P_QSORT,
	P_N
};

static const char *const prof_names[P_N] = {
	"store_digest_first_start", "store_digest_last_end", "store_digest_candidates",
	"store_release_head", "store_release_fields", "store_release_sources",
	"store_source_get", "mail_wrap", "mail_qp", "mail_header", "qsort",
};

static struct {
	unsigned long	 calls;
	double		 seconds;
} prof[P_N];
static int prof_on;

#define PROF_IN		double prof_t0 = prof_on ? clock_s() : 0
#define PROF_OUT(k)	do { if (prof_on) { prof[k].calls++; \
			    prof[k].seconds += clock_s() - prof_t0; } } while (0)
/* A wrapper for fn(params) returning ret, calling __real_fn(args). */
#define WRAP(k, ret, fn, params, args) \
	ret __real_##fn params; \
	ret __wrap_##fn params; \
	ret __wrap_##fn params \
	{ \
		PROF_IN; \
		ret r = __real_##fn args; \
		PROF_OUT(k); \
		return r; \
	}
#define WRAPV(k, fn, params, args) \
	void __real_##fn params; \
	void __wrap_##fn params; \
	void __wrap_##fn params \
	{ \
		PROF_IN; \
		__real_##fn args; \
		PROF_OUT(k); \
	}

/* bench/digest reads the names after "WRAP(P_..., type, " and "WRAPV(P_..., "
 * to link with -Wl,--wrap=NAME: keep one a line. */
WRAP(P_FIRST_START, int, store_digest_first_start, (struct store *s, const char *d, int64_t *o), (s, d, o))
WRAP(P_LAST_END, int, store_digest_last_end, (struct store *s, const char *d, int64_t *o), (s, d, o))
WRAP(P_CANDIDATES, int, store_digest_candidates, (struct store *s, const char *d, int64_t a, int64_t b, struct store_candidate **v, size_t *n), (s, d, a, b, v, n))
WRAP(P_RELEASE_GET, int, store_release_head, (struct store *s, int64_t id, struct store_release *o), (s, id, o))
WRAP(P_RELEASE_FIELDS, int, store_release_fields, (struct store *s, int64_t id, struct store_field **v, size_t *n), (s, id, v, n))
WRAP(P_RELEASE_SOURCES, int, store_release_sources, (struct store *s, int64_t id, char ***v, size_t *n), (s, id, v, n))
WRAP(P_SOURCE_GET, int, store_source_get, (struct store *s, const char *name, struct store_source *o), (s, name, o))
WRAPV(P_MAIL_WRAP, mail_wrap, (struct buf *b, const char *t, const char *indent, int width), (b, t, indent, width))
WRAPV(P_MAIL_QP, mail_qp, (struct buf *b, const char *t), (b, t))
WRAPV(P_MAIL_HEADER, mail_header, (struct buf *b, const char *name, const char *value), (b, name, value))
WRAPV(P_QSORT, qsort, (void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)), (base, n, size, cmp))

/* ---- the wrapped calls: memory ---- */

/*
 * The bytes libfeedmill's code (and this driver) holds through malloc,
 * counted by malloc_usable_size, and the most it held between two calls
 * since heap_mark() (a realloc that copies holds both blocks for a moment;
 * that is not counted).
 * A free of memory libc allocated inside a call not wrapped here (strdup,
 * getline) makes the count low by that much, never high: the peak above
 * the mark stays right for a compose, which frees only what it allocated
 * through these calls, vasprintf's included.
 */
static long long heap_cur, heap_peak;

static void
heap_add(long long n)
{
	heap_cur += n;
	if (heap_cur > heap_peak)
		heap_peak = heap_cur;
}

static long long
heap_mark(void)
{
	heap_peak = heap_cur;
	return heap_cur;
}

/* MEMWRAP: malloc calloc realloc free vasprintf (bench/digest reads this
 * line) */
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
int __real_vasprintf(char **, const char *, va_list);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
void __wrap_free(void *);
int __wrap_vasprintf(char **, const char *, va_list);

void *
__wrap_malloc(size_t n)
{
	void *p = __real_malloc(n);

	if (p != NULL)
		heap_add((long long)malloc_usable_size(p));
	return p;
}

void *
__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);

	if (p != NULL)
		heap_add((long long)malloc_usable_size(p));
	return p;
}

void *
__wrap_realloc(void *old, size_t n)
{
	long long before = old != NULL ? (long long)malloc_usable_size(old) : 0;
	void *p = __real_realloc(old, n);

	if (p != NULL)
		heap_add((long long)malloc_usable_size(p) - before);
	return p;
}

void
__wrap_free(void *p)
{
	if (p != NULL)
		heap_cur -= (long long)malloc_usable_size(p);
	__real_free(p);
}

int
__wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	int r = __real_vasprintf(out, fmt, ap);

	if (r >= 0)
		heap_add((long long)malloc_usable_size(*out));
	return r;
}

#include "bench_gen.h"

/* The digest's time, and the releases before and in its window. */
static int64_t now = DEFAULT_NOW;
static uint64_t n_older, n_window = 2000;
/* Compose between store_begin and store_commit (--in-transaction). */
static int in_transaction;

/* Release i: everything but the hashes, which the caller makes. */
static void
gen_release(struct rel_gen *g, uint64_t seed, uint64_t i)
{
	size_t target, nparas = 0;
	const char *main_topic;

	g->r.s = mix(seed ^ mix(i + 1));
	g->typo = unit(&g->r) < 0.70;
	sb_reset(&g->title);
	sb_reset(&g->html);
	sb_reset(&g->text);
	sb_reset(&g->summary);
	sb_reset(&g->link);
	sb_reset(&g->canon);
	sb_reset(&g->categories);
	sb_reset(&g->author);
	g->nph = 0;

	/* 1 to 3 distinct fields, 1 or 2 distinct sources */
	{
		double u = unit(&g->r);
		size_t want = u < 0.50 ? 1 : u < 0.85 ? 2 : 3;

		if (want > nfields)
			want = nfields;
		g->nfields = 0;
		while (g->nfields < want) {
			size_t f = weighted(&g->r, field_cum, nfields), k;

			for (k = 0; k < g->nfields && g->fields[k] != f; k++)
				;
			if (k == g->nfields) {
				g->scores[g->nfields] = 0.2 + 6.0 * unit(&g->r) * unit(&g->r);
				g->fields[g->nfields++] = f;
			}
		}
	}
	{
		size_t want = unit(&g->r) < 0.75 || conf->nsources < 2 ? 1 : 2;

		g->nsources = 0;
		while (g->nsources < want) {
			int s = (int)weighted(&g->r, source_cum, conf->nsources);

			if (g->nsources == 0 || g->sources[0] != s)
				g->sources[g->nsources++] = s;
		}
	}
	g->org = PICK(&g->r, orgs);

	/* the title */
	main_topic = topic_of(g, g->fields[0]);
	sb_printf(&g->title, "%s %s %s on %s in %s", g->org, PICK(&g->r, verbs),
	    PICK(&g->r, events), main_topic, PICK(&g->r, cities));
	if (g->typo && below(&g->r, 4) == 0)
		sb_str(&g->title, " \xe2\x80\x93 first results");

	/* the body: paragraphs of 2 to 4 sentences up to 2.5-3.4 KB, then
	 * maybe a link and a boilerplate paragraph */
	target = 2500 + below(&g->r, 900);
	while (g->html.len < target && nparas < MAX_PARAS - 2) {
		unsigned n = 2 + below(&g->r, 3);

		for (unsigned k = 0; k < n; k++) {
			if (k > 0)
				both(g, " ", NULL);
			expand(g, PICK(&g->r, sentences));
		}
		end_para(g);
		nparas++;
	}
	if (below(&g->r, 10) < 3) {
		char href[160];

		both(g, "More information is available on the ", NULL);
		snprintf(href, sizeof(href), "<a href=\"https://www.odce.example/%s/%llu\">",
		    g->typo ? "news" : "press", (unsigned long long)i);
		both(g, href, "");
		plain(g, g->org);
		both(g, "</a>", "");
		both(g, " website.", NULL);
		end_para(g);
	}
	if (below(&g->r, 10) < 4) {
		expand(g, PICK(&g->r, boilerplate));
		end_para(g);
	}
	qsort(g->phash, g->nph, sizeof(*g->phash), u64cmp);

	/* links: the issuer's page */
	sb_str(&g->canon, "https://www.odce.example/news/");
	slugify(&g->canon, g->title.p, 80);
	sb_printf(&g->canon, "-%llu", (unsigned long long)(i + 1));
	sb_add(&g->link, g->canon.p, g->canon.len);
	if (below(&g->r, 3) == 0)
		sb_str(&g->link, "?utm_source=rss&utm_medium=feed");
	if (below(&g->r, 10) < 3)
		for (size_t k = 0; k < g->nfields; k++) {
			sb_str(&g->categories, field_names[g->fields[k]]);
			sb_str(&g->categories, "\n");
		}
	if (below(&g->r, 10) < 4)
		sb_str(&g->author, g->typo ? "Press & Public Information Section" :
		    "Press and Public Information Section");


	/* dates: the window's releases first seen evenly over [now - 23 h,
	 * now), the older ones over the year before now - 25 h */
	if (i >= n_older) {
		double slot = (double)(23 * HOUR) / (double)n_window;

		g->first_seen = now - 23 * HOUR +
		    (int64_t)(((double)(i - n_older) + unit(&g->r)) * slot);
		if (g->first_seen >= now)
			g->first_seen = now - 1;
	} else
		g->first_seen = now - 25 * HOUR - YEAR_SECONDS +
		    (int64_t)(((double)i + unit(&g->r)) * (double)YEAR_SECONDS /
		    (double)n_older);
	g->published = g->first_seen - 300 - below(&g->r, 5100);
	g->updated = below(&g->r, 20) == 0 ? g->published + below(&g->r, 3600) : g->published;
}

static void
hex(char *out, const unsigned char *v, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A second delivery's time: never after the digest's now. */
static int64_t
later(int64_t t)
{
	return t < now ? t : now;
}

struct counts {
	unsigned long long	 releases, deliveries, field_rows, html_bytes;
};

/* Store release i as dedup_entry and tag_stored_release would. */
static void
store_one(struct store *s, struct rel_gen *g, uint64_t seed, uint64_t i, struct counts *cn)
{
	struct store_release r;
	struct store_field fv[MAX_FIELDS];
	unsigned char uid[STORE_HASH_BYTES];
	char uidhex[2 * STORE_HASH_BYTES + 1], key[MAX_SOURCES][160];
	crypto_generichash_state h;

	gen_release(g, seed, i);
	memset(&r, 0, sizeof(r));
	for (size_t k = 0; k < g->nsources; k++)
		snprintf(key[k], sizeof(key[k]), "https://%s.example.org/?p=%llu",
		    conf->sources[g->sources[k]].name, (unsigned long long)(3 * i + k + 1));
	/* the fingerprint: the title and the set of paragraphs */
	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)g->title.p, g->title.len + 1);
	for (size_t k = 0; k < g->nph; k++) {
		unsigned char b[8];

		for (int j = 0; j < 8; j++)
			b[j] = (unsigned char)(g->phash[k] >> (56 - 8 * j));
		crypto_generichash_update(&h, b, sizeof(b));
	}
	crypto_generichash_final(&h, r.fingerprint, STORE_HASH_BYTES);
	/* what the text says */
	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)g->title.p, g->title.len + 1);
	crypto_generichash_update(&h, (const unsigned char *)g->html.p, g->html.len);
	crypto_generichash_final(&h, r.content_hash, STORE_HASH_BYTES);
	/* the uid: who first delivered what, and its fingerprint */
	crypto_generichash_init(&h, NULL, 0, sizeof(uid));
	crypto_generichash_update(&h, (const unsigned char *)conf->sources[g->sources[0]].name,
	    strlen(conf->sources[g->sources[0]].name) + 1);
	crypto_generichash_update(&h, (const unsigned char *)key[0], strlen(key[0]) + 1);
	crypto_generichash_update(&h, r.fingerprint, STORE_HASH_BYTES);
	crypto_generichash_final(&h, uid, sizeof(uid));
	hex(uidhex, uid, sizeof(uid));

	r.uid = uidhex;
	r.title = g->title.p;
	r.link = g->link.p;
	r.canonical_link = g->canon.p;
	r.author = g->author.len ? g->author.p : NULL;
	r.summary = g->summary.p;
	r.body_html = g->html.p;
	r.body_text = g->text.p;
	r.categories = g->categories.len ? g->categories.p : NULL;
	r.published = g->published;
	r.updated = g->updated;
	r.first_seen = g->first_seen;
	if (store_release_insert(s, &r, g->phash, g->nph) == -1)
		die("release %llu: %s", (unsigned long long)i, store_error(s));
	for (size_t k = 0; k < g->nsources; k++) {
		struct store_delivery d;
		char link[600];

		memset(&d, 0, sizeof(d));
		d.release = r.id;
		/* a second source links with tracking parameters */
		snprintf(link, sizeof(link), "%s%s", g->canon.p,
		    k == 0 ? "" : "?utm_source=partner&utm_campaign=syndication");
		d.link = k == 0 ? g->link.p : link;
		d.canonical_link = g->canon.p;
		memcpy(d.content_hash, r.content_hash, STORE_HASH_BYTES);
		for (size_t j = 0; j < STORE_HASH_BYTES; j++)
			d.raw_hash[j] = (unsigned char)rnd(&g->r);
		if (store_delivery_put(s, conf->sources[g->sources[k]].name, key[k], &d,
		    k == 0 ? g->first_seen : later(g->first_seen + 60 + (int64_t)below(&g->r, 3540))) == -1)
			die("delivery of %llu: %s", (unsigned long long)i, store_error(s));
		cn->deliveries++;
	}
	for (size_t k = 0; k < g->nfields; k++) {
		fv[k].slug = field_slugs[g->fields[k]];
		fv[k].origin = "text";
		fv[k].score = g->scores[k];
	}
	if (store_release_set_fields(s, r.id, fv, g->nfields) == -1)
		die("fields of %llu: %s", (unsigned long long)i, store_error(s));
	cn->field_rows += g->nfields;
	cn->html_bytes += g->html.len;
	cn->releases++;
}

/* ---- steps ---- */

static void
setup_sources(struct store *s)
{
	if (store_begin(s) == -1)
		die("%s", store_error(s));
	for (size_t i = 0; i < conf->nsources; i++) {
		const struct conf_source *cs = &conf->sources[i];
		struct store_source st;
		char buf[256];

		if (store_source_sync(s, cs->name, cs->url) == -1)
			die("%s", store_error(s));
		memset(&st, 0, sizeof(st));
		if (store_source_get(s, cs->name, &st) == -1)
			die("%s", store_error(s));
		free(st.feed_title);
		free(st.feed_link);
		free(st.feed_id);
		snprintf(buf, sizeof(buf), "Press releases \xe2\x80\x93 %s (%s)",
		    orgs[i % (sizeof(orgs) / sizeof(*orgs))], cs->name);
		st.feed_title = strdup(buf);
		snprintf(buf, sizeof(buf), "https://%s.example.org/press-releases", cs->name);
		st.feed_link = strdup(buf);
		snprintf(buf, sizeof(buf), "tag:%s.example.org,2019:press-releases", cs->name);
		st.feed_id = strdup(buf);
		st.last_poll = st.last_success = now - 600;
		st.last_status = 200;
		if (st.feed_title == NULL || st.feed_link == NULL || st.feed_id == NULL)
			die("out of memory");
		if (store_source_save(s, &st) == -1)
			die("%s", store_error(s));
		store_source_release(&st);
	}
	if (store_commit(s) == -1)
		die("%s", store_error(s));
	printf("sources\t%zu\n", conf->nsources);
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* VmHWM from /proc/self/status: the peak RSS of this process's own
 * address space, which, unlike ru_maxrss, does not start from what the
 * process that exec'd it had (-1 if unknown). */
static long
vmhwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static void
print_rss(const char *name)
{
	printf("rss\t%s\t%ld\t%ld\n", name, maxrss_kb(), vmhwm_kb());
}

static long long
file_size(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void
print_sqlite(const char *name)
{
	printf("sqlite\t%s\t%lld\t%lld\n", name, (long long)sqlite3_memory_used(),
	    (long long)sqlite3_memory_highwater(0));
}

/* One digest_compose at now, its message written to message_path if given. */
static void
compose_once(struct store *s, struct tagger *t, const struct conf_digest *d, int round,
    int profiled, const char *message_path)
{
	struct store_digest_run run;
	int64_t *ids = NULL;
	size_t n = 0;
	size_t ncand = 0;
	long long base;
	double w0, c0, w1, c1;
	char *err = NULL;
	int r;

	memset(prof, 0, sizeof(prof));
	base = heap_mark();
	prof_on = profiled;
	w0 = clock_s();
	c0 = cpu_s();
	if (in_transaction && store_begin(s) == -1)
		die("%s", store_error(s));
	r = digest_compose(s, t, conf, d, now, &run, &ids, &n, &err);
	if (in_transaction && store_commit(s) == -1)
		die("%s", store_error(s));
	w1 = clock_s();
	c1 = cpu_s();
	prof_on = 0;
	if (r == -1)
		die("digest_compose: %s", err);
	if (r == 1)
		die("digest_compose: nothing to send (no releases in the window?)");
	/* the candidates: the items plus those kept for the next run */
	{
		struct store_candidate *cand = NULL;

		if (store_digest_candidates(s, d->name, now - DIGEST_FIRST_WINDOW, now, &cand,
		    &ncand) == -1)
			die("%s", store_error(s));
		free(cand);
	}
	printf("compose\t%d\t%.6f\t%.6f\t%d\t%zu\t%zu\t%lld\n", round, w1 - w0, c1 - c0,
	    run.items, ncand, run.message_len, heap_peak - base);
	if (profiled)
		for (int k = 0; k < P_N; k++)
			if (prof[k].calls)
				printf("prof\t%s\t%lu\t%.6f\n", prof_names[k], prof[k].calls,
				    prof[k].seconds);
	if (message_path != NULL) {
		FILE *f = fopen(message_path, "w");
		char chunk[16384];
		size_t got;

		if (f == NULL)
			die("%s: %s", message_path, strerror(errno));
		rewind(run.message);
		while ((got = fread(chunk, 1, sizeof(chunk), run.message)) > 0)
			if (fwrite(chunk, 1, got, f) != got)
				die("%s: %s", message_path, strerror(errno));
		if (fclose(f) != 0)
			die("%s: %s", message_path, strerror(errno));
	}
	free(ids);
	free(err);
	store_digest_run_clear(&run);
	fflush(stdout);
}

static void
load(struct store *s, uint64_t seed, uint64_t batch)
{
	struct rel_gen g;
	struct counts cn;
	uint64_t total = n_older + n_window;
	double t0, t1;

	if (store_release_count(s) != 0)
		die("'%s' already holds releases: --load wants an empty state_dir",
		    conf->state_dir);
	setup_sources(s);
	memset(&g, 0, sizeof(g));
	memset(&cn, 0, sizeof(cn));
	t0 = clock_s();
	for (uint64_t k = 0; k < total; k++) {
		if (k % batch == 0 && store_begin(s) == -1)
			die("%s", store_error(s));
		store_one(s, &g, seed, k, &cn);
		if ((k + 1) % batch == 0 && store_commit(s) == -1)
			die("%s", store_error(s));
	}
	if (store_in_transaction(s) && store_commit(s) == -1)
		die("%s", store_error(s));
	t1 = clock_s();
	printf("load\t%llu\t%llu\t%.6f\t%llu\t%llu\t%llu\n", (unsigned long long)n_window,
	    (unsigned long long)n_older, t1 - t0, cn.deliveries, cn.field_rows,
	    cn.html_bytes);
	print_rss("loaded");
	free(g.title.p);
	free(g.html.p);
	free(g.text.p);
	free(g.summary.p);
	free(g.link.p);
	free(g.canon.p);
	free(g.categories.p);
	free(g.author.p);
	free(g.para_html.p);
	free(g.para_text.p);
}

int
main(int argc, char **argv)
{
	unsigned long long batch = 500, seed = 20260302;
	int rounds = 7, mode = 0, i;	/* mode: 0 compose, 1 load, 2 baseline */
	const char *message_path = NULL;
	struct conf c;
	struct conf_errors errs;
	struct tagger *t;
	struct store *s;
	char *err;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--load") == 0)
			mode = 1;
		else if (strcmp(argv[i], "--baseline") == 0)
			mode = 2;
		else if (strcmp(argv[i], "--releases") == 0 && i + 1 < argc)
			n_window = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--older") == 0 && i + 1 < argc)
			n_older = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--in-transaction") == 0)
			in_transaction = 1;
		else if (strcmp(argv[i], "--message") == 0 && i + 1 < argc)
			message_path = argv[++i];
		else
			break;
	}
	if (argc - i != 1 || n_window == 0 || batch == 0 || rounds < 1 || now <= YEAR_SECONDS)
		die("usage: digest_only [--load | --baseline] [--releases N] [--older N] "
		    "[--rounds N] [--batch N] [--seed N] [--now T] [--in-transaction] "
		    "[--message FILE] CONF");
	if (sodium_init() < 0)
		die("cannot initialise libsodium");
	if (conf_load(&c, argv[i], &errs) == -1) {
		for (size_t k = 0; k < errs.n; k++)
			fprintf(stderr, "%s\n", errs.v[k]);
		die("cannot load '%s'", argv[i]);
	}
	conf = &c;
	if (c.nsources == 0)
		die("'%s' has no [source] sections", argv[i]);
	if (c.ndigests == 0)
		die("'%s' has no [digest] section", argv[i]);
	if (tagger_load(&t, c.fields_path, &errs) == -1) {
		for (size_t k = 0; k < errs.n; k++)
			fprintf(stderr, "%s\n", errs.v[k]);
		die("cannot load the taxonomy '%s'", c.fields_path);
	}
	tagger = t;
	nfields = tagger_nfields(t);
	if (nfields == 0)
		die("'%s' has no fields", c.fields_path);
	printf("taxonomy\t%zu\t%s\n", nfields, c.fields_path);
	printf("digest\t%s\t%d\n", c.digests[0].name, c.digests[0].max_items);

	if (mode == 1) {
		/* skewed weights: the biggest field and source several times
		 * the smallest, in an order unrelated to the names */
		field_slugs = calloc(nfields, sizeof(*field_slugs));
		field_names = calloc(nfields, sizeof(*field_names));
		field_cum = calloc(nfields, sizeof(*field_cum));
		source_cum = calloc(c.nsources, sizeof(*source_cum));
		if (!field_slugs || !field_names || !field_cum || !source_cum)
			die("out of memory");
		for (size_t k = 0; k < nfields; k++) {
			size_t rank = (k * 7 + 3) % nfields;

			field_slugs[k] = tagger_field(t, k)->slug;
			field_names[k] = tagger_field(t, k)->name;
			field_cum[k] = (k ? field_cum[k - 1] : 0) + 1.0 / (1.0 + 0.35 * (double)rank);
		}
		for (size_t k = 0; k < c.nsources; k++) {
			size_t rank = (k * 11 + 5) % c.nsources;

			source_cum[k] = (k ? source_cum[k - 1] : 0) +
			    1.0 / (1.0 + 0.25 * (double)rank);
		}
	}

	if (store_open(&s, c.state_dir, &err) == -1)
		die("%s", err);
	if (mode == 1)
		load(s, seed, batch);
	printf("releases\t%lld\n", (long long)store_release_count(s));
	printf("db_bytes\t%lld\n", file_size(c.state_dir, STORE_FILE) +
	    file_size(c.state_dir, STORE_FILE "-wal"));
	if (mode == 2) {
		print_rss("baseline");
		print_sqlite("baseline");
	} else if (mode == 0) {
		print_rss("setup");
		print_sqlite("setup");
		fflush(stdout);
		for (int round = 1; round <= rounds; round++) {
			compose_once(s, t, &c.digests[0], round, 0,
			    round == rounds ? message_path : NULL);
			if (round == 1) {
				print_rss("first");
				print_sqlite("first");
			}
		}
		print_rss("rounds");
		print_sqlite("rounds");
		compose_once(s, t, &c.digests[0], 0, 1, NULL);
	}
	store_close(s);
	tagger_free(t);
	conf_release(&c);
	free(field_slugs);
	free(field_names);
	free(field_cum);
	free(source_cum);
	return 0;
}
