/*
 * store_digest: the digest outbox (store.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

void
store_digest_run_clear(struct store_digest_run *r)
{
	free(r->digest);
	free(r->message_id);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

static int
one_int(struct store *s, const char *sql, const char *text, int64_t *out, const char *what)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, what);
	store_bind_text(st, 1, text);
	r = sqlite3_step(st);
	*out = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_fail(s, what);
	return 0;
}

int
store_digest_last_end(struct store *s, const char *digest, int64_t *end)
{
	return one_int(s, "SELECT coalesce(max(window_end), 0) FROM digest_run WHERE digest = ?1",
	    digest, end, "read a digest's last run");
}

int
store_digest_first_start(struct store *s, const char *digest, int64_t *start)
{
	return one_int(s, "SELECT coalesce(min(window_start), 0) FROM digest_run WHERE digest = ?1",
	    digest, start, "read a digest's first run");
}

int
store_digest_last_sent(struct store *s, const char *digest, int64_t *when)
{
	return one_int(s, "SELECT coalesce(max(sent), 0) FROM digest_run WHERE digest = ?1 "
	    "AND status = 'sent'", digest, when, "read a digest's last sending");
}

int
store_digest_pending_count(struct store *s, const char *digest)
{
	int64_t n;

	if (one_int(s, "SELECT count(*) FROM digest_run WHERE digest = ?1 AND status = 'pending'",
	    digest, &n, "count pending digests") == -1)
		return -1;
	return (int)n;
}

int
store_digest_candidates(struct store *s, const char *digest, int64_t since, int64_t until,
    int64_t **ids, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int r;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT r.id FROM release r WHERE r.first_seen > ?2 "
	    "AND r.first_seen <= ?3 AND NOT EXISTS (SELECT 1 FROM digest_item d "
	    "WHERE d.digest = ?1 AND d.release = r.id) ORDER BY r.first_seen, r.id",
	    -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "find releases for a digest");
	store_bind_text(st, 1, digest);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, until);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*ids = xrealloc(*ids, alloc * sizeof(**ids));
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return store_fail(s, "find releases for a digest");
	return 0;
}

int
store_digest_add(struct store *s, struct store_digest_run *run, const int64_t *ids, size_t n)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO digest_run (digest, window_start, "
	    "window_end, created, message_id, message, items) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "add a digest to the outbox");
	store_bind_text(st, 1, run->digest);
	sqlite3_bind_int64(st, 2, run->window_start);
	sqlite3_bind_int64(st, 3, run->window_end);
	sqlite3_bind_int64(st, 4, run->created);
	store_bind_text(st, 5, run->message_id);
	sqlite3_bind_blob(st, 6, run->message, (int)run->message_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, run->items);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_fail(s, "add a digest to the outbox");
	}
	sqlite3_finalize(st);
	run->id = sqlite3_last_insert_rowid(s->db);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO digest_item (digest, release, run) "
	    "VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "add a digest to the outbox");
	for (size_t i = 0; i < n; i++) {
		store_bind_text(st, 1, run->digest);
		sqlite3_bind_int64(st, 2, ids[i]);
		sqlite3_bind_int64(st, 3, run->id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return store_fail(s, "add a digest to the outbox");
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_digest_pending(struct store *s, const char *digest, struct store_digest_run *r)
{
	sqlite3_stmt *st;
	int rc;

	memset(r, 0, sizeof(*r));
	if (sqlite3_prepare_v2(s->db, "SELECT id, digest, window_start, window_end, created, "
	    "message_id, message, items, attempts, next_attempt FROM digest_run "
	    "WHERE digest = ?1 AND status = 'pending' ORDER BY id LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		return store_fail(s, "read the digest outbox");
	store_bind_text(st, 1, digest);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		r->digest = store_column_text(st, 1);
		r->window_start = sqlite3_column_int64(st, 2);
		r->window_end = sqlite3_column_int64(st, 3);
		r->created = sqlite3_column_int64(st, 4);
		r->message_id = store_column_text(st, 5);
		r->message_len = (size_t)sqlite3_column_bytes(st, 6);
		r->message = xmalloc(r->message_len + 1);
		if (r->message_len > 0)
			memcpy(r->message, sqlite3_column_blob(st, 6), r->message_len);
		r->message[r->message_len] = '\0';
		r->items = sqlite3_column_int(st, 7);
		r->attempts = sqlite3_column_int(st, 8);
		r->next_attempt = sqlite3_column_int64(st, 9);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "read the digest outbox");
	return rc == SQLITE_ROW;
}

int
store_digest_mark_sent(struct store *s, int64_t run, int64_t when)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE digest_run SET status = 'sent', sent = ?2, "
	    "attempts = attempts + 1, error = NULL WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "mark a digest sent");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, when);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "mark a digest sent");
}

int
store_digest_mark_failed(struct store *s, int64_t run, const char *error, int64_t next_attempt)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE digest_run SET attempts = attempts + 1, "
	    "error = ?2, next_attempt = ?3 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "note a digest's failure");
	sqlite3_bind_int64(st, 1, run);
	store_bind_text(st, 2, error);
	sqlite3_bind_int64(st, 3, next_attempt);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "note a digest's failure");
}
