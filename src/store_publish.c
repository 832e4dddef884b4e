/*
 * store_publish: what publishing keeps in the store (store.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

int
store_meta_get(struct store *s, const char *key, char **value)
{
	sqlite3_stmt *st;
	int r;

	*value = NULL;
	if (store_prepare(s, STMT_META_GET, "SELECT value FROM meta WHERE key = ?1", &st) == -1)
		return -1;
	store_bind_text(st, 1, key);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*value = store_column_text(st, 0);
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_fail(s, "read a setting");
	return r == SQLITE_ROW;
}

int
store_meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_META_PUT, "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES (?1, ?2)", &st) == -1)
		return -1;
	store_bind_text(st, 1, key);
	store_bind_text(st, 2, value);
	return store_run(s, st, "record a setting");
}

int
store_publish_all_later(struct store *s)
{
	return store_meta_set(s, "publish_all", "1");
}

/* Run a one-column integer query into a malloc'd array. */
static int
int_column(struct store *s, sqlite3_stmt *st, int64_t **v, size_t *n, const char *what)
{
	size_t alloc = 0;
	int r;

	*v = NULL;
	*n = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*v = xrealloc(*v, alloc * sizeof(**v));
		}
		(*v)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (r != SQLITE_DONE) {
		free(*v);
		*v = NULL;
		*n = 0;
		return store_fail(s, what);
	}
	return 0;
}

int
store_publish_pending(struct store *s, int all, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, all ?
	    "SELECT id FROM release ORDER BY first_seen, published, id" :
	    /* driven by the (few) dirty rows, not a scan of every release */
	    "SELECT r.id FROM release r WHERE r.id IN (SELECT release FROM dirty_release) "
	    "ORDER BY r.first_seen, r.published, r.id", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "find what to publish");
	r = int_column(s, st, ids, n, "find what to publish");
	sqlite3_finalize(st);
	return r;
}

int
store_publish_dirty_feeds(struct store *s, char ***feeds, size_t *n)
{
	sqlite3_stmt *st;
	int r;

	*feeds = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT feed FROM dirty_feed ORDER BY feed", -1,
	    &st, NULL) != SQLITE_OK)
		return store_fail(s, "find what to publish");
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*feeds = xrealloc(*feeds, (*n + 1) * sizeof(**feeds));
		(*feeds)[(*n)++] = store_column_text(st, 0);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return store_fail(s, "find what to publish");
	return 0;
}

int
store_publish_done(struct store *s)
{
	return store_exec(s, "DELETE FROM dirty_release; DELETE FROM dirty_feed; "
	    "DELETE FROM meta WHERE key = 'publish_all';", "note the publish");
}

int
store_feed_last(struct store *s, const char *feed, int64_t *seq)
{
	sqlite3_stmt *st;
	int r;

	if (store_prepare(s, STMT_FEED_MAX, "SELECT max(seq) FROM feed_entry WHERE feed = ?1",
	    &st) == -1)
		return -1;
	store_bind_text(st, 1, feed);
	r = sqlite3_step(st);
	*seq = r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ?
	    sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (r != SQLITE_ROW)
		return store_fail(s, "read a feed");
	return 0;
}

int
store_feed_add(struct store *s, const char *feed, int64_t release, int64_t *seq)
{
	sqlite3_stmt *st;
	int64_t last;
	int r;

	if (store_prepare(s, STMT_FEED_FIND, "SELECT seq FROM feed_entry WHERE feed = ?1 "
	    "AND release = ?2", &st) == -1)
		return -1;
	store_bind_text(st, 1, feed);
	sqlite3_bind_int64(st, 2, release);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return store_fail(s, "read a feed");
	if (store_feed_last(s, feed, &last) == -1 ||
	    store_prepare(s, STMT_FEED_INSERT, "INSERT INTO feed_entry (feed, seq, release) "
	    "VALUES (?1, ?2, ?3)", &st) == -1)
		return -1;
	*seq = last + 1;
	store_bind_text(st, 1, feed);
	sqlite3_bind_int64(st, 2, *seq);
	sqlite3_bind_int64(st, 3, release);
	return store_run(s, st, "add to a feed");
}

int
store_feed_drop(struct store *s, const char *feed, int64_t release)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_FEED_DROP, "DELETE FROM feed_entry WHERE feed = ?1 "
	    "AND release = ?2", &st) == -1)
		return -1;
	store_bind_text(st, 1, feed);
	sqlite3_bind_int64(st, 2, release);
	return store_run(s, st, "take out of a feed");
}

int
store_feed_range(struct store *s, const char *feed, int64_t lo, int64_t hi,
    int64_t **ids, int64_t **seqs, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int r;

	*ids = NULL;
	if (seqs != NULL)
		*seqs = NULL;
	*n = 0;
	if (store_prepare(s, STMT_FEED_RANGE, "SELECT release, seq FROM feed_entry "
	    "WHERE feed = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq DESC", &st) == -1)
		return -1;
	store_bind_text(st, 1, feed);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*ids = xrealloc(*ids, alloc * sizeof(**ids));
			if (seqs != NULL)
				*seqs = xrealloc(*seqs, alloc * sizeof(**seqs));
		}
		(*ids)[*n] = sqlite3_column_int64(st, 0);
		if (seqs != NULL)
			(*seqs)[*n] = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		if (seqs != NULL) {
			free(*seqs);
			*seqs = NULL;
		}
		*n = 0;
		return store_fail(s, "read a feed");
	}
	return 0;
}

int
store_release_feeds(struct store *s, int64_t release, char ***feeds, int64_t **seqs,
    size_t *n)
{
	sqlite3_stmt *st;
	int r;

	*feeds = NULL;
	*seqs = NULL;
	*n = 0;
	if (store_prepare(s, STMT_FEED_OF_RELEASE, "SELECT feed, seq FROM feed_entry "
	    "WHERE release = ?1 ORDER BY feed", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, release);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*feeds = xrealloc(*feeds, (*n + 1) * sizeof(**feeds));
		*seqs = xrealloc(*seqs, (*n + 1) * sizeof(**seqs));
		(*feeds)[*n] = store_column_text(st, 0);
		(*seqs)[(*n)++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return store_fail(s, "read a release's feeds");
	return 0;
}

int
store_file_hash(struct store *s, const char *path, unsigned char hash[STORE_HASH_BYTES])
{
	sqlite3_stmt *st;
	int r, found = 0;

	if (store_prepare(s, STMT_FILE_GET, "SELECT hash FROM published_file WHERE path = ?1",
	    &st) == -1)
		return -1;
	store_bind_text(st, 1, path);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_bytes(st, 0) == STORE_HASH_BYTES) {
		memcpy(hash, sqlite3_column_blob(st, 0), STORE_HASH_BYTES);
		found = 1;
	}
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_fail(s, "read what was published");
	return found;
}

int
store_file_hash_set(struct store *s, const char *path,
    const unsigned char hash[STORE_HASH_BYTES])
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_FILE_PUT, "INSERT OR REPLACE INTO published_file "
	    "(path, hash) VALUES (?1, ?2)", &st) == -1)
		return -1;
	store_bind_text(st, 1, path);
	sqlite3_bind_blob(st, 2, hash, STORE_HASH_BYTES, SQLITE_TRANSIENT);
	return store_run(s, st, "record what was published");
}
