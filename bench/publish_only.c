/*
 * publish_only [options] CONF: publish.h's publish_run over a store of many
 * releases, with nothing around it: a full publish (the first ever), then
 * incremental ones after a few new releases each, then publishes with
 * nothing new.
 *
 * CONF is a feedmill.conf (conf_load) whose [feedmill] section names the
 * state_dir, output_dir, base_url and taxonomy (fields =) to use, with one
 * [source NAME] per source; bench/publish writes it. The taxonomy gives the
 * fields' slugs (tagger_load).
 *
 * Steps, each printed as it ends:
 *
 *   sources     every configured source gets its row (store_source_sync)
 *               and the title, link and id its feed gave
 *               (store_source_save), as after a first poll
 *   load        --releases releases, generated here from a fixed seed,
 *               stored as dedup_entry and the tagger store them:
 *               store_release_insert (with paragraph hashes),
 *               store_delivery_put for each source that delivered it,
 *               store_release_set_fields; in transactions of --batch
 *   full        publish_run, then store_commit (as the daemon does); the
 *               store has never been published, so everything is written
 *   incremental --rounds times: --new new releases stored as above in one
 *               transaction (the "ingest" line), then publish_run and
 *               store_commit
 *   nochange    --rounds times: publish_run and store_commit with nothing
 *               changed since the last publish
 *
 * sync() runs before each timed publish (not timed), so that no publish
 * pays for an earlier step's writeback.
 *
 * A release: a title of about ten words; a body of 2.5 to 4.2 KB of HTML
 * (3.2 KB on average) in 5 to 13 <p> paragraphs of 2 to 4 sentences from
 * a small grammar, 70% of them with typographic quotes, apostrophes and
 * dashes and names with diacritics, some with a link or an ampersand, 40%
 * ending with a boilerplate contact paragraph (shared by many releases, as
 * in the paragraph index of a real store); its plain text (paragraphs
 * separated by a blank line) and its lead paragraph as summary, as dedup
 * stores them; uid, fingerprint and content hash made as dedup makes them;
 * an author on 40%; 1 to 3 of the taxonomy's fields (origin "text", with a
 * score), the fields and the sources drawn with skewed weights, so that
 * (at 100 000 releases) field feeds hold about 3 000 to 23 000 entries and
 * source feeds about 900 to 11 000; 1 source (75%) or 2 (25%), the
 * second a day or less later with a tracking parameter on its link; published dates spread evenly over 2025 (new
 * releases after that, 15 minutes apart), first seen 5 to 90 minutes after.
 * Release i depends only on --seed and i.
 *
 * The driver is linked with -Wl,--wrap for every function it defines a
 * __wrap_ for below (bench/publish finds them in this file): the store
 * calls publish.c makes, and the system calls and the hash of its file
 * writing. While a publish runs, each call is counted and timed; the
 * calls from inside a wrapped store function to SQLite are not wrapped, so
 * the times do not overlap. What is left of publish_run's time is
 * publish.c's own work: rendering entries, escaping, joining and sorting.
 * Timing a call costs two clock_gettime (vDSO) calls, well under 1% of a
 * publish.
 *
 * Options:
 *   --releases N   releases to load (default 100000)
 *   --new N        new releases before each incremental publish (100)
 *   --rounds N     incremental and no-change publishes (default 5)
 *   --batch N      releases per transaction while loading (500)
 *   --seed N       (default 20260301)
 *   --reuse        the state_dir already holds a store this driver loaded
 *                  and published (same --releases and --seed): skip the
 *                  load and the full publish, go on with new releases
 *                  after the ones it has (for a profiler)
 *
 * Prints on stdout, tab-separated, for bench/publish to read:
 *   taxonomy FIELDS PATH
 *   sources N
 *   load RELEASES SECONDS DELIVERIES FIELD_ROWS HTML_BYTES
 *   rss NAME MAXRSS_KB          (getrusage ru_maxrss; NAME: loaded, full)
 *   output full FILES BYTES DISK_BYTES   (output_dir after the full publish;
 *                               DISK_BYTES from st_blocks, as du counts)
 *   db_bytes NAME BYTES         (the database and its WAL)
 *   ingest ROUND RELEASES SECONDS
 *   publish PHASE ROUND WALL_S CPU_S COMMIT_S WRITTEN UNCHANGED FEEDS RELEASES FULL BYTES
 *                               (PHASE: full, incremental, nochange; WALL_S
 *                               and CPU_S of publish_run alone, COMMIT_S of
 *                               the store_commit after it; WRITTEN ... FULL
 *                               its publish_stats; BYTES what it write()s)
 *   prof PHASE ROUND NAME CALLS SECONDS   (each wrapped function called)
 * Exit status 1 on any error, which is printed on stderr.
 *
 * Linked against a build tree's libfeedmill.a; see bench/publish.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "conf.h"
#include "publish.h"
#include "store.h"
#include "tag.h"

#define YEAR_SECONDS	(365 * 86400LL)
/* 2025-01-01T00:00:00Z: the loaded releases are published over 2025. */
#define T0		1735689600LL
#define NEW_SPACING	900
#define MAX_FIELDS	3
#define MAX_SOURCES	2
#define MAX_PARAS	16

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("publish_only: ", stderr);
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

/* ---- the wrapped calls ---- */

enum {
	P_RELEASE_GET, P_RELEASE_FIELDS, P_RELEASE_SOURCES, P_RELEASE_FEEDS,
	P_FEED_RANGE, P_FEED_LAST, P_SOURCE_GET, P_FILE_HASH, P_META_GET,
	P_PUBLISH_PENDING, P_DIRTY_FEEDS,
	P_FEED_ADD, P_FEED_DROP, P_FILE_HASH_SET, P_META_SET, P_PUBLISH_DONE,
	P_STORE_BEGIN,
	P_MKSTEMP, P_FCHMOD, P_WRITE, P_WRITEV, P_FSYNC, P_CLOSE, P_RENAME, P_MKDIR, P_STAT,
	P_UNLINK, P_SYNCFS, P_HASH, P_HASH_ONE,
	P_N
};

static const char *const prof_names[P_N] = {
	"store_release_get", "store_release_fields", "store_release_sources",
	"store_release_feeds", "store_feed_range", "store_feed_last",
	"store_source_get", "store_file_hash", "store_meta_get",
	"store_publish_pending", "store_publish_dirty_feeds",
	"store_feed_add", "store_feed_drop", "store_file_hash_set", "store_meta_set",
	"store_publish_done", "store_begin",
	"mkstemp", "fchmod", "write", "writev", "fsync", "close", "rename", "mkdir", "stat",
	"unlink", "syncfs", "XXH3_128bits_update", "XXH3_128bits",
};

static struct {
	unsigned long	 calls;
	double		 seconds;
} prof[P_N];
static int prof_on;
static unsigned long long bytes_written;

/* The files a publish put in place (their final paths), for the floor. */
static char **renamed;
static size_t nrenamed;

static const char *
note_renamed(const char *path)
{
	if (prof_on) {
		if ((renamed = realloc(renamed, (nrenamed + 1) * sizeof(*renamed))) == NULL ||
		    (renamed[nrenamed] = strdup(path)) == NULL)
			abort();
		nrenamed++;
	}
	return path;
}

/* write()'s count, noted on the way in (a short write is an error). */
static size_t
n_written(size_t n)
{
	if (prof_on)
		bytes_written += n;
	return n;
}

static int
n_written_v(const struct iovec *v, int n)
{
	for (int i = 0; prof_on && i < n; i++)
		bytes_written += v[i].iov_len;
	return n;
}

#define PROF_IN		double prof_t0 = prof_on ? clock_s() : 0
#define PROF_OUT(k)	do { if (prof_on) { prof[k].calls++; \
			    prof[k].seconds += clock_s() - prof_t0; } } while (0)
/* A wrapper for int-returning fn(params) calling __real_fn(args). */
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

/* bench/publish reads the names after "WRAP(P_..., type, " to link with
 * -Wl,--wrap=NAME: keep one a line. */
WRAP(P_RELEASE_GET, int, store_release_get, (struct store *s, int64_t id, struct store_release *o), (s, id, o))
WRAP(P_RELEASE_FIELDS, int, store_release_fields, (struct store *s, int64_t id, struct store_field **v, size_t *n), (s, id, v, n))
WRAP(P_RELEASE_SOURCES, int, store_release_sources, (struct store *s, int64_t id, char ***v, size_t *n), (s, id, v, n))
WRAP(P_RELEASE_FEEDS, int, store_release_feeds, (struct store *s, int64_t id, char ***f, int64_t **q, size_t *n), (s, id, f, q, n))
WRAP(P_FEED_RANGE, int, store_feed_range, (struct store *s, const char *f, int64_t lo, int64_t hi, int64_t **ids, int64_t **q, size_t *n), (s, f, lo, hi, ids, q, n))
WRAP(P_FEED_LAST, int, store_feed_last, (struct store *s, const char *f, int64_t *q), (s, f, q))
WRAP(P_SOURCE_GET, int, store_source_get, (struct store *s, const char *name, struct store_source *o), (s, name, o))
WRAP(P_FILE_HASH, int, store_file_hash, (struct store *s, const char *p, unsigned char h[STORE_HASH_BYTES]), (s, p, h))
WRAP(P_META_GET, int, store_meta_get, (struct store *s, const char *k, char **v), (s, k, v))
WRAP(P_PUBLISH_PENDING, int, store_publish_pending, (struct store *s, int all, int64_t **ids, size_t *n), (s, all, ids, n))
WRAP(P_DIRTY_FEEDS, int, store_publish_dirty_feeds, (struct store *s, char ***f, size_t *n), (s, f, n))
WRAP(P_FEED_ADD, int, store_feed_add, (struct store *s, const char *f, int64_t id, int64_t *q), (s, f, id, q))
WRAP(P_FEED_DROP, int, store_feed_drop, (struct store *s, const char *f, int64_t id), (s, f, id))
WRAP(P_FILE_HASH_SET, int, store_file_hash_set, (struct store *s, const char *p, const unsigned char h[STORE_HASH_BYTES]), (s, p, h))
WRAP(P_META_SET, int, store_meta_set, (struct store *s, const char *k, const char *v), (s, k, v))
WRAP(P_PUBLISH_DONE, int, store_publish_done, (struct store *s), (s))
WRAP(P_STORE_BEGIN, int, store_begin, (struct store *s), (s))
WRAP(P_MKSTEMP, int, mkstemp, (char *t), (t))
WRAP(P_FCHMOD, int, fchmod, (int fd, mode_t m), (fd, m))
WRAP(P_WRITE, ssize_t, write, (int fd, const void *p, size_t n), (fd, p, n_written(n)))
WRAP(P_WRITEV, ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n_written_v(v, n)))
WRAP(P_FSYNC, int, fsync, (int fd), (fd))
WRAP(P_CLOSE, int, close, (int fd), (fd))
WRAP(P_RENAME, int, rename, (const char *a, const char *b), (a, note_renamed(b)))
WRAP(P_MKDIR, int, mkdir, (const char *p, mode_t m), (p, m))
WRAP(P_STAT, int, stat, (const char *restrict p, struct stat *restrict st), (p, st))
WRAP(P_UNLINK, int, unlink, (const char *p), (p))
WRAP(P_SYNCFS, int, syncfs, (int fd), (fd))
WRAP(P_HASH, XXH_errorcode, XXH3_128bits_update, (XXH3_state_t *st, const void *p, size_t n), (st, p, n))
WRAP(P_HASH_ONE, XXH128_hash_t, XXH3_128bits, (const void *p, size_t n), (p, n))

#include "bench_gen.h"

/* Release i: everything but the hashes, which the caller makes. */
static void
gen_release(struct rel_gen *g, uint64_t seed, uint64_t i, uint64_t nload)
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

	/* dates */
	if (i < nload)
		g->published = T0 + (int64_t)((double)i * (double)YEAR_SECONDS / (double)nload) +
		    (int64_t)below(&g->r, 6 * 3600) - 3 * 3600;
	else
		g->published = T0 + YEAR_SECONDS + (int64_t)(i - nload) * NEW_SPACING +
		    (int64_t)below(&g->r, 600);
	g->first_seen = g->published + 300 + below(&g->r, 5100);
	g->updated = below(&g->r, 20) == 0 ? g->published + 3600 + below(&g->r, 2 * 86400) :
	    g->published;
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

struct counts {
	unsigned long long	 releases, deliveries, field_rows, html_bytes;
};

/* Store release i as dedup_entry and tag_stored_release would. */
static void
store_one(struct store *s, struct rel_gen *g, uint64_t seed, uint64_t i, uint64_t nload,
    struct counts *cn)
{
	struct store_release r;
	struct store_field fv[MAX_FIELDS];
	unsigned char uid[STORE_HASH_BYTES];
	char uidhex[2 * STORE_HASH_BYTES + 1], key[MAX_SOURCES][160];
	crypto_generichash_state h;

	gen_release(g, seed, i, nload);
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
		    g->first_seen + (k == 0 ? 0 : 600 + (int64_t)below(&g->r, 86400))) == -1)
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
		st.last_poll = st.last_success = T0 + YEAR_SECONDS;
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

static long long
file_size(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* Files under dir, their bytes and the disk they take (st_blocks). */
static void
walk(const char *dir, unsigned long long *files, unsigned long long *bytes,
    unsigned long long *disk)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == -1)
			continue;
		*disk += (unsigned long long)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode))
			walk(path, files, bytes, disk);
		else {
			(*files)++;
			*bytes += (unsigned long long)st.st_size;
		}
	}
	closedir(d);
}

static struct publisher *publisher;

static void
publish_once(struct store *s, struct tagger *t, const char *phase, int round)
{
	struct publish_stats st;
	double w0, c0, w1, c1, w2;
	char *err;

	sync();
	for (size_t i = 0; i < nrenamed; i++)
		free(renamed[i]);
	nrenamed = 0;
	memset(prof, 0, sizeof(prof));
	bytes_written = 0;
	prof_on = 1;
	w0 = clock_s();
	c0 = cpu_s();
	/* one publisher for the whole run, as the daemon keeps one */
	if (publisher == NULL)
		publisher = publisher_new();
	if (publish_run(publisher, s, t, conf, &st, &err) == -1)
		die("%s publish: %s", phase, err);
	w1 = clock_s();
	c1 = cpu_s();
	prof_on = 0;
	if (store_commit(s) == -1)
		die("%s publish: %s", phase, store_error(s));
	w2 = clock_s();
	printf("publish\t%s\t%d\t%.6f\t%.6f\t%.6f\t%zu\t%zu\t%zu\t%zu\t%d\t%llu\n", phase,
	    round, w1 - w0, c1 - c0, w2 - w1, st.written, st.unchanged, st.feeds, st.releases,
	    st.full, bytes_written);
	for (int k = 0; k < P_N; k++)
		if (prof[k].calls)
			printf("prof\t%s\t%d\t%s\t%lu\t%.6f\n", phase, round, prof_names[k],
			    prof[k].calls, prof[k].seconds);
	fflush(stdout);
}

/*
 * The floor, the peer in the same run: the bytes the last publish put in
 * place, written again by the least any publisher that keeps its files
 * whole and durable could do, with no rendering, store or hashing: each
 * file read into memory first (not timed), then timed: written to a
 * temporary file beside its copy under output_dir.floor/, one syncfs,
 * each renamed over the copy the round before left (as a publish renames
 * over the old feed). Printed as "floor ROUND SECONDS FILES BYTES".
 */
static void
floor_once(int round)
{
	char *dir = NULL, **data = NULL;
	size_t *len = NULL;
	unsigned long long total = 0;
	double t0, t1;
	int dfd;

	if (asprintf(&dir, "%s.floor", conf->output_dir) == -1)
		die("out of memory");
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		die("cannot create '%s': %s", dir, strerror(errno));
	data = calloc(nrenamed + 1, sizeof(*data));
	len = calloc(nrenamed + 1, sizeof(*len));
	if (data == NULL || len == NULL)
		die("out of memory");
	for (size_t i = 0; i < nrenamed; i++) {
		FILE *f = fopen(renamed[i], "rb");
		struct stat st;

		if (f == NULL || fstat(fileno(f), &st) == -1)
			die("cannot read '%s': %s", renamed[i], strerror(errno));
		if ((data[i] = malloc((size_t)st.st_size + 1)) == NULL)
			die("out of memory");
		len[i] = fread(data[i], 1, (size_t)st.st_size, f);
		fclose(f);
		total += len[i];
	}
	sync();
	t0 = clock_s();
	for (size_t i = 0; i < nrenamed; i++) {
		char tmp[4096];
		int fd;

		snprintf(tmp, sizeof(tmp), "%s/%zu.tmp", dir, i);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1 ||
		    write(fd, data[i], len[i]) != (ssize_t)len[i] || close(fd) == -1)
			die("cannot write '%s': %s", tmp, strerror(errno));
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || syncfs(dfd) == -1)
		die("cannot sync '%s': %s", dir, strerror(errno));
	close(dfd);
	for (size_t i = 0; i < nrenamed; i++) {
		char tmp[4096], final[4096];

		snprintf(tmp, sizeof(tmp), "%s/%zu.tmp", dir, i);
		snprintf(final, sizeof(final), "%s/%zu", dir, i);
		if (rename(tmp, final) == -1)
			die("cannot rename '%s': %s", tmp, strerror(errno));
	}
	t1 = clock_s();
	printf("floor\t%d\t%.6f\t%zu\t%llu\n", round, t1 - t0, nrenamed, total);
	fflush(stdout);
	for (size_t i = 0; i < nrenamed; i++) {
		free(data[i]);
		free(renamed[i]);
	}
	free(data);
	free(len);
	free(dir);
	nrenamed = 0;
}

int
main(int argc, char **argv)
{
	unsigned long long nload = 100000, nnew = 100, batch = 500, seed = 20260301;
	int rounds = 5, reuse = 0, i;
	struct conf c;
	struct conf_errors errs;
	struct tagger *t;
	struct store *s;
	struct rel_gen g;
	struct counts cn;
	uint64_t next;
	char *err;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--releases") == 0 && i + 1 < argc)
			nload = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--new") == 0 && i + 1 < argc)
			nnew = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--reuse") == 0)
			reuse = 1;
		else
			break;
	}
	if (argc - i != 1 || nload == 0 || batch == 0 || rounds < 0)
		die("usage: publish_only [--releases N] [--new N] [--rounds N] [--batch N] "
		    "[--seed N] [--reuse] CONF");
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

	/* skewed weights: the biggest field and source several times the
	 * smallest, in an order unrelated to the names */
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

		source_cum[k] = (k ? source_cum[k - 1] : 0) + 1.0 / (1.0 + 0.25 * (double)rank);
	}

	if (store_open(&s, c.state_dir, &err) == -1)
		die("%s", err);
	memset(&g, 0, sizeof(g));
	memset(&cn, 0, sizeof(cn));
	if (!reuse) {
		double t0, t1;

		if (store_release_count(s) != 0)
			die("'%s' already holds releases: start from an empty state_dir, "
			    "or give --reuse", c.state_dir);
		setup_sources(s);
		t0 = clock_s();
		for (uint64_t k = 0; k < nload; k++) {
			if (k % batch == 0 && store_begin(s) == -1)
				die("%s", store_error(s));
			store_one(s, &g, seed, k, nload, &cn);
			if ((k + 1) % batch == 0 && store_commit(s) == -1)
				die("%s", store_error(s));
		}
		if (store_in_transaction(s) && store_commit(s) == -1)
			die("%s", store_error(s));
		t1 = clock_s();
		printf("load\t%llu\t%.6f\t%llu\t%llu\t%llu\n", cn.releases, t1 - t0,
		    cn.deliveries, cn.field_rows, cn.html_bytes);
		printf("db_bytes\tloaded\t%lld\n", file_size(c.state_dir, STORE_FILE) +
		    file_size(c.state_dir, STORE_FILE "-wal"));
		printf("rss\tloaded\t%ld\n", maxrss_kb());
		fflush(stdout);
		publish_once(s, t, "full", 0);
		printf("rss\tfull\t%ld\n", maxrss_kb());
		{
			unsigned long long files = 0, bytes = 0, disk = 0;

			walk(c.output_dir, &files, &bytes, &disk);
			printf("output\tfull\t%llu\t%llu\t%llu\n", files, bytes, disk);
		}
		fflush(stdout);
	}
	next = (uint64_t)store_release_count(s);
	if (next < nload)
		die("'%s' holds %llu releases, fewer than --releases", c.state_dir,
		    (unsigned long long)next);
	for (int round = 1; round <= rounds; round++) {
		struct counts cr;
		double t0;

		memset(&cr, 0, sizeof(cr));
		t0 = clock_s();
		if (nnew > 0 && store_begin(s) == -1)
			die("%s", store_error(s));
		for (uint64_t k = 0; k < nnew; k++)
			store_one(s, &g, seed, next++, nload, &cr);
		if (store_in_transaction(s) && store_commit(s) == -1)
			die("%s", store_error(s));
		printf("ingest\t%d\t%llu\t%.6f\n", round, cr.releases, clock_s() - t0);
		publish_once(s, t, "incremental", round);
		floor_once(round);
	}
	for (int round = 1; round <= rounds; round++)
		publish_once(s, t, "nochange", round);
	printf("db_bytes\tend\t%lld\n", file_size(c.state_dir, STORE_FILE) +
	    file_size(c.state_dir, STORE_FILE "-wal"));
	store_close(s);
	tagger_free(t);
	conf_release(&c);
	free(field_slugs);
	free(field_names);
	free(field_cum);
	free(source_cum);
	return 0;
}
