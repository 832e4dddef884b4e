/*
 * ingest_only [options] STATE_DIR DATA_DIR: feedmill's dedup and store with
 * nothing around them, from parsed items to committed rows.
 *
 * DATA_DIR holds what bench/gen-ingest.py writes: MANIFEST.tsv (file, feed,
 * bytes, entries) and each feed's files, oldest items first. Every feed is
 * read with the parse.h streaming parser, a few entries ahead; the entries
 * of all feeds are merged by date (the later of <pubDate> and <updated>),
 * the order a daemon polling them all would meet them. Each entry goes
 * through dedup_entry() with the feed's name as its source, inside
 * transactions of BATCH entries (store_begin/store_commit), as the daemon
 * batches a loop iteration's work. Only dedup_entry, store_begin and
 * store_commit are timed: parsing and copying the entries out are not.
 *
 * With --peer, the same entries are instead INSERTed (title and body as
 * the feed gives them) into a plain SQLite table with the store's pragmas
 * (WAL, synchronous = NORMAL), in transactions of BATCH rows: the cost of
 * committing rows without any dedup, for scale.
 *
 * With --gumbo, each entry's body (content, else summary) is only parsed
 * by gumbo with the options normalise.c gives it (no error list) and the
 * tree freed: the least any ingest that reads bodies through gumbo, as
 * ours must (an HTML5 parser, not regexes), pays an item. Its rate is the
 * ceiling for ours on one core.
 *
 * Options:
 *   --items N       stop after N entries (default: all)
 *   --checkpoint K  report every K entries (default 10000)
 *   --out FILE      write "feed<TAB>position<TAB>result<TAB>release" a line
 *   --peer          the plain SQLite peer instead of feedmill
 *   --gumbo         gumbo's parse alone instead of feedmill
 *
 * Prints on stdout, tab-separated, for bench/ingest to read:
 *   checkpoint ITEMS SECONDS VMHWM_KB VMRSS_KB   (SECONDS: timed, cumulative)
 *   total ITEMS SECONDS
 *   result NAME COUNT                            (feedmill only)
 *   releases COUNT                               (store_release_count)
 *   db_bytes BYTES                               (database and its WAL)
 * Exit status 1 on any error, which is printed on stderr.
 *
 * Linked against a build tree's libfeedmill.a; see bench/ingest.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gumbo.h>
#include <sqlite3.h>

#include "dedup.h"
#include "parse.h"
#include "store.h"

#define READ_CHUNK_BYTES	(64 * 1024)
#define BATCH			500
#define MAX_FEEDS		64
/* The daemon's default keep_days (conf.h). */
#define KEEP_SECONDS		(365 * 86400LL)
/* Each entry is taken in this long after its date, as if polled then. */
#define POLL_DELAY		600

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("ingest_only: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xmalloc0(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static char *
sdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		die("out of memory");
	return d;
}

/* An entry copied out of the parser's callback. */
struct ent {
	struct feed_entry e;
	char		**cats;
	int64_t		  key;		/* merge order */
	size_t		  pos;		/* in its feed */
	struct ent	 *next;
};

struct feed {
	char		 name[64];
	char		**files;
	size_t		  nfiles, cur;
	int		  fd;
	struct parse	 *p;
	struct ent	 *head, *tail;	/* entries parsed, not yet taken */
	size_t		  pos;		/* entries parsed so far */
	int		  done;
	char		 *chunk;
};

static void
on_entry(const struct feed_entry *e, void *arg)
{
	struct feed *f = arg;
	struct ent *n = xmalloc0(sizeof(*n));

	n->e.id = sdup(e->id);
	n->e.title = sdup(e->title);
	n->e.link = sdup(e->link);
	n->e.author = sdup(e->author);
	n->e.summary = sdup(e->summary);
	n->e.content = sdup(e->content);
	n->e.content_base = sdup(e->content_base);
	n->e.published = e->published;
	n->e.updated = e->updated;
	n->e.source_id = sdup(e->source_id);
	n->e.source_title = sdup(e->source_title);
	n->e.source_link = sdup(e->source_link);
	n->cats = xmalloc0((e->ncategories + 1) * sizeof(*n->cats));
	for (size_t i = 0; i < e->ncategories; i++)
		n->cats[i] = sdup(e->categories[i]);
	n->e.categories = (const char *const *)n->cats;
	n->e.ncategories = e->ncategories;
	n->key = e->published;
	if (e->updated > n->key)
		n->key = e->updated;
	n->pos = f->pos++;
	if (f->tail)
		f->tail->next = n;
	else
		f->head = n;
	f->tail = n;
}

static void
ent_free(struct ent *n)
{
	free((char *)n->e.id);
	free((char *)n->e.title);
	free((char *)n->e.link);
	free((char *)n->e.author);
	free((char *)n->e.summary);
	free((char *)n->e.content);
	free((char *)n->e.content_base);
	free((char *)n->e.source_id);
	free((char *)n->e.source_title);
	free((char *)n->e.source_link);
	for (size_t i = 0; i < n->e.ncategories; i++)
		free(n->cats[i]);
	free(n->cats);
	free(n);
}

/* Parse on until the feed has an entry waiting, or has no more. */
static void
refill(struct feed *f)
{
	while (f->head == NULL && !f->done) {
		ssize_t n;

		if (f->fd == -1) {
			char abs[PATH_MAX], url[PATH_MAX + 8];

			if (f->cur == f->nfiles) {
				f->done = 1;
				break;
			}
			if ((f->fd = open(f->files[f->cur], O_RDONLY)) == -1 ||
			    realpath(f->files[f->cur], abs) == NULL)
				die("cannot open '%s': %s", f->files[f->cur], strerror(errno));
			snprintf(url, sizeof(url), "file://%s", abs);
			f->p = parse_new(f->files[f->cur], url, on_entry, f);
		}
		n = read(f->fd, f->chunk, READ_CHUNK_BYTES);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("cannot read '%s': %s", f->files[f->cur], strerror(errno));
		if (n > 0) {
			if (parse_chunk(f->p, f->chunk, (size_t)n) == -1)
				die("'%s': %s", f->files[f->cur], parse_error(f->p));
			continue;
		}
		if (parse_finish(f->p) == -1)
			die("'%s': %s", f->files[f->cur], parse_error(f->p));
		parse_free(f->p);
		f->p = NULL;
		close(f->fd);
		f->fd = -1;
		f->cur++;
	}
}

static struct feed feeds[MAX_FEEDS];
static size_t nfeeds;

static void
read_manifest(const char *dir)
{
	char path[PATH_MAX], line[2 * PATH_MAX];
	FILE *m;

	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
	if ((m = fopen(path, "r")) == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), m) != NULL) {
		char *file = strtok(line, "\t\n"), *name = strtok(NULL, "\t\n");
		struct feed *f = NULL;

		if (file == NULL || name == NULL)
			die("'%s': a line without file and feed", path);
		for (size_t i = 0; i < nfeeds; i++)
			if (strcmp(feeds[i].name, name) == 0)
				f = &feeds[i];
		if (f == NULL) {
			if (nfeeds == MAX_FEEDS)
				die("more than %d feeds", MAX_FEEDS);
			f = &feeds[nfeeds++];
			snprintf(f->name, sizeof(f->name), "%s", name);
			f->fd = -1;
			f->chunk = xmalloc0(READ_CHUNK_BYTES);
		}
		f->files = realloc(f->files, (f->nfiles + 1) * sizeof(*f->files));
		if (f->files == NULL)
			die("out of memory");
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		f->files[f->nfiles++] = sdup(path);
	}
	fclose(m);
	if (nfeeds == 0)
		die("'%s/MANIFEST.tsv' lists no files", dir);
}

/* The next entry of all feeds, by date; NULL at the end. */
static struct ent *
next_entry(struct feed **from)
{
	struct feed *best = NULL;

	for (size_t i = 0; i < nfeeds; i++) {
		refill(&feeds[i]);
		if (feeds[i].head != NULL &&
		    (best == NULL || feeds[i].head->key < best->head->key))
			best = &feeds[i];
	}
	if (best == NULL)
		return NULL;
	struct ent *n = best->head;

	if ((best->head = n->next) == NULL)
		best->tail = NULL;
	*from = best;
	return n;
}

/* VmHWM and VmRSS from /proc/self/status, in kB. */
static void
memory(long *hwm, long *rss)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	*hwm = *rss = -1;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

static double
clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
file_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* ---- the peer: plain INSERTs ---- */

static sqlite3 *peer_db;
static sqlite3_stmt *peer_ins;

static void
peer_exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(peer_db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("peer: %s: %s", sql, msg ? msg : "?");
}

static void
peer_open(const char *dir)
{
	char path[PATH_MAX];

	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		die("cannot create '%s': %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/peer.db", dir);
	if (sqlite3_open(path, &peer_db) != SQLITE_OK)
		die("cannot open '%s'", path);
	peer_exec("PRAGMA journal_mode = WAL");
	peer_exec("PRAGMA synchronous = NORMAL");
	peer_exec("CREATE TABLE item (id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
	    "body TEXT NOT NULL)");
	if (sqlite3_prepare_v2(peer_db, "INSERT INTO item (title, body) VALUES (?1, ?2)",
	    -1, &peer_ins, NULL) != SQLITE_OK)
		die("peer: %s", sqlite3_errmsg(peer_db));
}

static void
peer_insert(const struct feed_entry *e)
{
	const char *body = e->content && *e->content ? e->content : e->summary;

	sqlite3_bind_text(peer_ins, 1, e->title ? e->title : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(peer_ins, 2, body ? body : "", -1, SQLITE_STATIC);
	if (sqlite3_step(peer_ins) != SQLITE_DONE)
		die("peer: insert: %s", sqlite3_errmsg(peer_db));
	sqlite3_reset(peer_ins);
}

/* ---- the ceiling: gumbo's parse alone ---- */

static void
gumbo_only(const struct feed_entry *e)
{
	const char *body = e->content && *e->content ? e->content : e->summary;
	GumboOptions opt = kGumboDefaultOptions;
	GumboOutput *g;

	if (body == NULL || *body == '\0')
		return;
	opt.max_errors = 0;	/* as normalise.c: errors are not kept */
	if ((g = gumbo_parse_with_options(&opt, body, strlen(body))) == NULL)
		die("gumbo cannot parse an entry");
	gumbo_destroy_output(&opt, g);
}

int
main(int argc, char **argv)
{
	const char *out_path = NULL, *state_dir, *data_dir;
	unsigned long long max_items = ULLONG_MAX, every = 10000, items = 0;
	unsigned long counts[DEDUP_ERROR + 1] = { 0 };
	int peer = 0, gumbo = 0, i;
	struct store *s = NULL;
	struct dedup_config conf = { .update_overlap = DEDUP_DEFAULT_OVERLAP, .keep_seconds = KEEP_SECONDS };
	struct ent *n;
	struct feed *from;
	FILE *out = NULL;
	double timed = 0;
	int64_t now = 0;
	char *err;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--peer") == 0)
			peer = 1;
		else if (strcmp(argv[i], "--gumbo") == 0)
			gumbo = 1;
		else if (strcmp(argv[i], "--items") == 0 && i + 1 < argc)
			max_items = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--checkpoint") == 0 && i + 1 < argc)
			every = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else
			die("usage: ingest_only [--peer | --gumbo] [--items N] [--checkpoint K] "
			    "[--out FILE] STATE_DIR DATA_DIR");
	}
	if (peer && gumbo)
		die("--peer or --gumbo, not both");
	if (argc - i != 2 || every == 0)
		die("usage: ingest_only [--peer | --gumbo] [--items N] [--checkpoint K] "
		    "[--out FILE] STATE_DIR DATA_DIR");
	state_dir = argv[i];
	data_dir = argv[i + 1];
	read_manifest(data_dir);
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL)
		die("cannot create '%s': %s", out_path, strerror(errno));
	if (peer)
		peer_open(state_dir);
	else if (gumbo)
		;
	else if (store_open(&s, state_dir, &err) == -1)
		die("%s", err);

	while (items < max_items && (n = next_entry(&from)) != NULL) {
		enum dedup_result r = DEDUP_NEW;
		struct dedup_outcome o = { 0, 0 };
		double t0;

		if (n->key + POLL_DELAY > now)
			now = n->key + POLL_DELAY;
		t0 = clock_s();
		if (gumbo)
			gumbo_only(&n->e);
		else if (peer) {
			if (items % BATCH == 0)
				peer_exec("BEGIN");
			peer_insert(&n->e);
			if ((items + 1) % BATCH == 0)
				peer_exec("COMMIT");
		} else {
			if (items % BATCH == 0 && store_begin(s) == -1)
				die("%s", store_error(s));
			r = dedup_entry(s, &conf, from->name, &n->e, now, &o);
			if (r == DEDUP_ERROR)
				die("%s: %s", n->e.id ? n->e.id : "?", store_error(s));
			if ((items + 1) % BATCH == 0 && store_commit(s) == -1)
				die("%s", store_error(s));
		}
		timed += clock_s() - t0;
		counts[r]++;
		items++;
		if (out != NULL)
			fprintf(out, "%s\t%zu\t%s\t%lld\n", from->name, n->pos,
			    peer || gumbo ? "-" : dedup_result_name(r), (long long)o.release);
		ent_free(n);
		if (items % every == 0) {
			long hwm, rss;

			memory(&hwm, &rss);
			printf("checkpoint\t%llu\t%.6f\t%ld\t%ld\n", items, timed, hwm, rss);
			fflush(stdout);
		}
	}
	/* the last, partial batch */
	{
		double t0 = clock_s();

		if (gumbo)
			;
		else if (peer) {
			if (items % BATCH != 0)
				peer_exec("COMMIT");
		} else if (store_in_transaction(s) && store_commit(s) == -1)
			die("%s", store_error(s));
		timed += clock_s() - t0;
	}
	if (items % every != 0) {
		long hwm, rss;

		memory(&hwm, &rss);
		printf("checkpoint\t%llu\t%.6f\t%ld\t%ld\n", items, timed, hwm, rss);
	}
	printf("total\t%llu\t%.6f\n", items, timed);
	if (gumbo) {
		printf("releases\t%llu\n", items);
		printf("db_bytes\t0\n");
	} else if (peer) {
		sqlite3_finalize(peer_ins);
		sqlite3_close(peer_db);
		printf("releases\t%llu\n", items);
		printf("db_bytes\t%lld\n", file_size(state_dir, "peer.db") +
		    file_size(state_dir, "peer.db-wal"));
	} else {
		for (int k = 0; k <= DEDUP_ERROR; k++)
			printf("result\t%s\t%lu\n", dedup_result_name((enum dedup_result)k),
			    counts[k]);
		printf("releases\t%lld\n", (long long)store_release_count(s));
		printf("db_bytes\t%lld\n", file_size(state_dir, STORE_FILE) +
		    file_size(state_dir, STORE_FILE "-wal"));
		store_close(s);
	}
	if (out != NULL && fclose(out) == EOF)
		die("cannot write '%s': %s", out_path, strerror(errno));
	for (size_t k = 0; k < nfeeds; k++) {
		for (size_t j = 0; j < feeds[k].nfiles; j++)
			free(feeds[k].files[j]);
		free(feeds[k].files);
		free(feeds[k].chunk);
		if (feeds[k].p)
			parse_free(feeds[k].p);
		if (feeds[k].fd != -1)
			close(feeds[k].fd);
		for (struct ent *e = feeds[k].head, *nx; e != NULL; e = nx) {
			nx = e->next;
			ent_free(e);
		}
	}
	return 0;
}
