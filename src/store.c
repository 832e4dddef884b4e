#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/*
 * Each migration takes the schema from version i to i + 1. Append, never
 * edit: a database in the field has run the old ones.
 */
static const char *const migrations[] = {
	/* 1: sources' HTTP state and the fetch log */
	"CREATE TABLE source ("
	"  name TEXT PRIMARY KEY,"
	"  url TEXT NOT NULL,"
	"  configured_url TEXT NOT NULL,"
	"  etag TEXT,"
	"  last_modified TEXT,"
	"  next_poll INTEGER NOT NULL DEFAULT 0,"
	"  last_poll INTEGER NOT NULL DEFAULT 0,"
	"  last_success INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  last_status INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  retired INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE TABLE fetch_log ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  bytes INTEGER NOT NULL,"
	"  duration_ms INTEGER NOT NULL,"
	"  error TEXT"
	");"
	"CREATE INDEX fetch_log_by_source ON fetch_log(source, id);",
	/* 2: until when a server's Retry-After holds a source back */
	"ALTER TABLE source ADD COLUMN retry_until INTEGER NOT NULL DEFAULT 0;",
	/* 3: releases, who delivered them, their paragraph index, tombstones */
	"CREATE TABLE release ("
	"  id INTEGER PRIMARY KEY,"
	"  uid TEXT NOT NULL UNIQUE,"
	"  fingerprint BLOB NOT NULL,"
	"  content_hash BLOB NOT NULL,"
	"  title TEXT NOT NULL,"
	"  link TEXT,"
	"  canonical_link TEXT,"
	"  author TEXT,"
	"  summary TEXT,"
	"  body_html TEXT NOT NULL,"
	"  body_text TEXT NOT NULL,"
	"  categories TEXT,"
	"  published INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  revisions INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX release_by_fingerprint ON release(fingerprint);"
	"CREATE INDEX release_by_published ON release(published);"
	"CREATE TABLE delivery ("
	"  source TEXT NOT NULL,"
	"  item_key TEXT NOT NULL,"
	"  release INTEGER NOT NULL REFERENCES release(id) ON DELETE CASCADE,"
	"  link TEXT,"
	"  canonical_link TEXT,"
	"  content_hash BLOB NOT NULL,"
	"  raw_hash BLOB,"
	"  first_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (source, item_key)"
	") WITHOUT ROWID;"
	"CREATE INDEX delivery_by_release ON delivery(release);"
	"CREATE INDEX delivery_by_link ON delivery(canonical_link);"
	"CREATE TABLE paragraph ("
	"  hash INTEGER NOT NULL,"
	"  release INTEGER NOT NULL REFERENCES release(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (hash, release)"
	") WITHOUT ROWID;"
	"CREATE INDEX paragraph_by_release ON paragraph(release);"
	"ALTER TABLE source ADD COLUMN feed_title TEXT;"
	"ALTER TABLE source ADD COLUMN feed_link TEXT;"
	"ALTER TABLE source ADD COLUMN feed_id TEXT;"
	"CREATE TABLE tombstone ("
	"  key BLOB PRIMARY KEY,"
	"  pruned INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	") WITHOUT ROWID;",
	/* 4: the fields of work each release is filed under, and why */
	"CREATE TABLE release_field ("
	"  release INTEGER NOT NULL REFERENCES release(id) ON DELETE CASCADE,"
	"  field TEXT NOT NULL,"
	"  origin TEXT NOT NULL,"
	"  score REAL NOT NULL,"
	"  PRIMARY KEY (release, field)"
	") WITHOUT ROWID;"
	"CREATE INDEX release_field_by_field ON release_field(field, release);",
	/* 5: publishing: each feed's entries in the order they came, what
	 * changed since the last publish, what was written, and settings */
	"CREATE TABLE feed_entry ("
	"  feed TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  release INTEGER NOT NULL REFERENCES release(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (feed, seq),"
	"  UNIQUE (feed, release)"
	") WITHOUT ROWID;"
	"CREATE INDEX feed_entry_by_release ON feed_entry(release);"
	"CREATE TABLE dirty_release (release INTEGER PRIMARY KEY);"
	"CREATE TABLE dirty_feed (feed TEXT PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE published_file (path TEXT PRIMARY KEY, hash BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
	/* 6: digests: the outbox of composed runs, and which release went
	 * out in which run (a release is in one run of a digest at most) */
	"CREATE TABLE digest_run ("
	"  id INTEGER PRIMARY KEY,"
	"  digest TEXT NOT NULL,"
	"  window_start INTEGER NOT NULL,"
	"  window_end INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  message BLOB NOT NULL,"
	"  items INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  sent INTEGER,"
	"  error TEXT"
	");"
	"CREATE INDEX digest_run_by_digest ON digest_run(digest, status, id);"
	"CREATE TABLE digest_item ("
	"  digest TEXT NOT NULL,"
	"  release INTEGER NOT NULL,"
	"  run INTEGER NOT NULL REFERENCES digest_run(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (digest, release)"
	") WITHOUT ROWID;",
	/* 7: a digest's window is found by when releases were first stored */
	"CREATE INDEX release_by_first_seen ON release(first_seen);",
	/* 8: ... with the publication date beside it, so a digest sorts its
	 * window without reading the rows (published is stored after the
	 * bodies, on overflow pages); a release's sources in the order they
	 * came, from the index alone (publishing and digests ask for each) */
	"DROP INDEX release_by_first_seen;"
	"CREATE INDEX release_by_first_seen ON release(first_seen, published);"
	"DROP INDEX delivery_by_release;"
	"CREATE INDEX delivery_by_release ON delivery(release, source, first_seen);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(*migrations)))


int
store_fail(struct store *s, const char *what)
{
	free(s->error);
	s->error = xasprintf("cannot %s in '%s': %s", what, s->path,
	    sqlite3_errmsg(s->db));
	return -1;
}

int
store_exec(struct store *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, what);
	return 0;
}

static int
user_version(struct store *s, int *version)
{
	sqlite3_stmt *st;
	int r = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "read the schema version");
	if (sqlite3_step(st) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r == 0 ? 0 : store_fail(s, "read the schema version");
}

static int
migrate(struct store *s)
{
	int version;

	if (user_version(s, &version) == -1)
		return -1;
	if (version > SCHEMA_VERSION) {
		free(s->error);
		s->error = xasprintf("'%s' has schema version %d, newer than this "
		    "feedmill knows (%d): refusing to touch it", s->path, version,
		    SCHEMA_VERSION);
		return -1;
	}
	for (; version < SCHEMA_VERSION; version++) {
		char set[64];

		snprintf(set, sizeof(set), "PRAGMA user_version = %d", version + 1);
		if (store_exec(s, "BEGIN IMMEDIATE", "begin a migration") == -1)
			return -1;
		if (store_exec(s, migrations[version], "migrate the schema") == -1 ||
		    store_exec(s, set, "record the schema version") == -1) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (store_exec(s, "COMMIT", "commit a migration") == -1)
			return -1;
	}
	return 0;
}

/*
 * One writer per database: a second daemon, or a `run --once` from cron
 * beside the daemon, would fight it for every transaction and double
 * every poll. The lock goes with the process, however it ends.
 */
static int
take_lock(struct store *s, const char *state_dir, char **err)
{
	char *path = xasprintf("%s/%s", state_dir, STORE_LOCK_FILE), pid[32];
	int n;

	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (s->lock_fd == -1) {
		*err = xasprintf("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		n = (int)read(s->lock_fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		*err = xasprintf("cannot use '%s': another feedmill (pid %s) is using it",
		    state_dir, pid[0] ? pid : "unknown");
		free(path);
		return -1;
	}
	/* the pid is a courtesy for the message above: failing to write it
	 * is no reason not to run */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) == 0 && write(s->lock_fd, pid, (size_t)n) != n)
		log_debug("cannot write the pid into '%s'", path);
	free(path);
	return 0;
}

int
store_writer(const char *state_dir, long *pid)
{
	char *path = xasprintf("%s/%s", state_dir, STORE_LOCK_FILE), buf[32], comm[64];
	FILE *f;
	size_t n;

	*pid = 0;
	/* the pid the last writer left; running if it is still a feedmill
	 * (kill(pid, 0) alone would be fooled by a reused pid) */
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	*pid = strtol(buf, NULL, 10);
	if (*pid <= 0)
		return 0;
	if (kill((pid_t)*pid, 0) == -1 && errno != EPERM)
		return 0;
	path = xasprintf("/proc/%ld/comm", *pid);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return -1;	/* running, but what it is cannot be seen */
	n = fread(comm, 1, sizeof(comm) - 1, f);
	fclose(f);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "feedmill") == 0 || strncmp(comm, "lt-feedmill", 11) == 0;
}

/* A store not yet open: nothing counted, no lock held. */
static struct store *
store_alloc(void)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->nreleases = -1;
	s->any_tombstones = -1;
	s->lock_fd = -1;
	return s;
}

int
store_open(struct store **sp, const char *state_dir, char **err)
{
	struct store *s = store_alloc();

	*sp = NULL;
	*err = NULL;
	if (mkdir(state_dir, 0750) == -1 && errno != EEXIST) {
		*err = xasprintf("cannot create '%s': %s", state_dir, strerror(errno));
		free(s);
		return -1;
	}
	if (take_lock(s, state_dir, err) == -1) {
		store_close(s);
		return -1;
	}
	s->path = xasprintf("%s/%s", state_dir, STORE_FILE);
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*err = xasprintf("cannot open '%s': %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (store_exec(s, "PRAGMA journal_mode = WAL", "enable WAL") == -1 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL", "set synchronous") == -1 ||
	    store_exec(s, "PRAGMA wal_autocheckpoint = 10000", "set checkpoints") == -1 ||
	    store_exec(s, "PRAGMA foreign_keys = ON", "enable foreign keys") == -1 ||
	    migrate(s) == -1) {
		*err = xstrdup(s->error);
		store_close(s);
		return -1;
	}
	*sp = s;
	return 0;
}

int
store_open_readonly(struct store **sp, const char *state_dir, char **err)
{
	struct store *s = store_alloc();
	struct stat st;
	int version;

	*sp = NULL;
	*err = NULL;
	s->path = xasprintf("%s/%s", state_dir, STORE_FILE);
	if (stat(s->path, &st) == -1) {
		/* none yet is not an error; one we may not read is */
		if (errno != ENOENT) {
			*err = xasprintf("cannot read '%s': %s", s->path, strerror(errno));
			store_close(s);
			return -1;
		}
		store_close(s);
		return 1;
	}
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*err = xasprintf("cannot open '%s': %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (user_version(s, &version) == -1 || version != SCHEMA_VERSION) {
		*err = s->error ? xstrdup(s->error) : xasprintf("'%s' has schema "
		    "version %d, this feedmill reads %d", s->path, version, SCHEMA_VERSION);
		store_close(s);
		return -1;
	}
	*sp = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->db);
	if (s->lock_fd != -1)
		close(s->lock_fd);
	free(s->path);
	free(s->error);
	free(s);
}

int
store_schema_version(struct store *s)
{
	int v = -1;

	user_version(s, &v);
	return v;
}

const char *
store_error(const struct store *s)
{
	return s->error ? s->error : "no error";
}

/* The cached statement id, prepared on first use, reset and unbound. */
int
store_prepare(struct store *s, enum stmt_id id, const char *sql, sqlite3_stmt **st)
{
	if (s->stmts[id] == NULL && sqlite3_prepare_v3(s->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL) != SQLITE_OK)
		return store_fail(s, "prepare a statement");
	*st = s->stmts[id];
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return 0;
}

void
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Run a cached statement that returns no rows. */
int
store_run(struct store *s, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return store_fail(s, what);
	return 0;
}

int
store_source_sync(struct store *s, const char *name, const char *configured_url)
{
	sqlite3_stmt *st;

	/* A new source is polled at once; a changed URL starts afresh. */
	if (store_prepare(s, STMT_SOURCE_SYNC,
	    "INSERT INTO source (name, url, configured_url) VALUES (?1, ?2, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET url = ?2, configured_url = ?2, "
	    "  etag = NULL, last_modified = NULL, next_poll = 0, failures = 0, "
	    "  last_status = 0, last_error = NULL, retired = 0, retry_until = 0 "
	    "WHERE configured_url != ?2", &st) == -1)
		return -1;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, configured_url);
	return store_run(s, st, "record a source");
}

char *
store_column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

int
store_source_get(struct store *s, const char *name, struct store_source *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if (store_prepare(s, STMT_SOURCE_GET,
	    "SELECT name, url, configured_url, etag, last_modified, next_poll, "
	    "  last_poll, last_success, failures, last_status, last_error, retired, "
	    "  retry_until, feed_title, feed_link, feed_id FROM source WHERE name = ?1",
	    &st) == -1)
		return -1;
	store_bind_text(st, 1, name);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->name = store_column_text(st, 0);
		out->url = store_column_text(st, 1);
		out->configured_url = store_column_text(st, 2);
		out->etag = store_column_text(st, 3);
		out->last_modified = store_column_text(st, 4);
		out->next_poll = sqlite3_column_int64(st, 5);
		out->last_poll = sqlite3_column_int64(st, 6);
		out->last_success = sqlite3_column_int64(st, 7);
		out->failures = sqlite3_column_int(st, 8);
		out->last_status = sqlite3_column_int(st, 9);
		out->last_error = store_column_text(st, 10);
		out->retired = sqlite3_column_int(st, 11);
		out->retry_until = sqlite3_column_int64(st, 12);
		out->feed_title = store_column_text(st, 13);
		out->feed_link = store_column_text(st, 14);
		out->feed_id = store_column_text(st, 15);
	}
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return store_fail(s, "read a source");
	free(s->error);
	s->error = xasprintf("no source '%s' in '%s'", name, s->path);
	return -1;
}

int
store_source_save(struct store *s, const struct store_source *src)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_SOURCE_SAVE,
	    "UPDATE source SET url = ?2, etag = ?3, last_modified = ?4, "
	    "  next_poll = ?5, last_poll = ?6, last_success = ?7, failures = ?8, "
	    "  last_status = ?9, last_error = ?10, retired = ?11, retry_until = ?12, "
	    "  feed_title = ?13, feed_link = ?14, feed_id = ?15 "
	    "WHERE name = ?1", &st) == -1)
		return -1;
	store_bind_text(st, 1, src->name);
	store_bind_text(st, 2, src->url);
	store_bind_text(st, 3, src->etag);
	store_bind_text(st, 4, src->last_modified);
	sqlite3_bind_int64(st, 5, src->next_poll);
	sqlite3_bind_int64(st, 6, src->last_poll);
	sqlite3_bind_int64(st, 7, src->last_success);
	sqlite3_bind_int(st, 8, src->failures);
	sqlite3_bind_int(st, 9, src->last_status);
	store_bind_text(st, 10, src->last_error);
	sqlite3_bind_int(st, 11, src->retired);
	sqlite3_bind_int64(st, 12, src->retry_until);
	store_bind_text(st, 13, src->feed_title);
	store_bind_text(st, 14, src->feed_link);
	store_bind_text(st, 15, src->feed_id);
	if (store_run(s, st, "save a source") == -1)
		return -1;
	if (sqlite3_changes(s->db) != 1) {
		free(s->error);
		s->error = xasprintf("no source '%s' in '%s'", src->name, s->path);
		return -1;
	}
	return 0;
}

void
store_source_release(struct store_source *src)
{
	free(src->name);
	free(src->url);
	free(src->configured_url);
	free(src->etag);
	free(src->last_modified);
	free(src->last_error);
	free(src->feed_title);
	free(src->feed_link);
	free(src->feed_id);
	memset(src, 0, sizeof(*src));
}

int
store_fetch_log_add(struct store *s, const char *name, const struct store_fetch *f)
{
	sqlite3_stmt *st;
	/* inside the daemon's batch already, or a transaction of its own */
	int own = sqlite3_get_autocommit(s->db);

	if (own && store_exec(s, "BEGIN IMMEDIATE", "begin a transaction") == -1)
		return -1;
	if (store_prepare(s, STMT_FETCH_LOG_ADD, "INSERT INTO fetch_log (source, time, status, bytes, "
	    "duration_ms, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st) == -1)
		goto fail;
	store_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, f->time);
	sqlite3_bind_int(st, 3, f->status);
	sqlite3_bind_int64(st, 4, f->bytes);
	sqlite3_bind_int(st, 5, f->duration_ms);
	store_bind_text(st, 6, f->error);
	if (store_run(s, st, "log a fetch") == -1)
		goto fail;
	/* keep the log bounded: the newest rows of this source only */
	if (store_prepare(s, STMT_FETCH_LOG_TRIM, "DELETE FROM fetch_log WHERE source = ?1 AND id <= "
	    "(SELECT id FROM fetch_log WHERE source = ?1 ORDER BY id DESC "
	    " LIMIT 1 OFFSET ?2)", &st) == -1)
		goto fail;
	store_bind_text(st, 1, name);
	sqlite3_bind_int(st, 2, STORE_FETCH_LOG_KEEP);
	if (store_run(s, st, "trim the fetch log") == -1)
		goto fail;
	return own ? store_exec(s, "COMMIT", "commit a transaction") : 0;
fail:
	if (own)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
store_begin(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	return store_exec(s, "BEGIN IMMEDIATE", "begin a transaction");
}

int
store_commit(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0;
	if (store_exec(s, "COMMIT", "commit a transaction") == -1) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->nreleases = -1;	/* count again */
		s->any_tombstones = -1;
		return -1;
	}
	return 0;
}

int
store_in_transaction(const struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int
store_fetch_log_count(struct store *s, const char *name)
{
	sqlite3_stmt *st;
	int n = -1;

	if (store_prepare(s, STMT_FETCH_LOG_COUNT, "SELECT count(*) FROM fetch_log WHERE source = ?1", &st) == -1)
		return -1;
	store_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}
