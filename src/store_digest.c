/*
 * store_digest: the digest outbox (store.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

void
store_digest_run_clear(struct store_digest_run *r)
{
	free(r->digest);
	free(r->message_id);
	if (r->message != NULL)
		fclose(r->message);
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
    struct store_candidate **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int r;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT r.id, r.published FROM release r "
	    "WHERE r.first_seen > ?2 AND r.first_seen <= ?3 AND NOT EXISTS (SELECT 1 "
	    "FROM digest_item d WHERE d.digest = ?1 AND d.release = r.id) "
	    "ORDER BY r.first_seen, r.id", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "find releases for a digest");
	store_bind_text(st, 1, digest);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, until);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*v = xrealloc(*v, alloc * sizeof(**v));
		}
		(*v)[*n].id = sqlite3_column_int64(st, 0);
		(*v)[*n].published = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return store_fail(s, "find releases for a digest");
	return 0;
}

FILE *
store_scratch_file(struct store *s)
{
	char *dir = xstrdup(s->path), *slash = strrchr(dir, '/'), *tmpl;
	FILE *f = NULL;
	int fd;

	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1)
#endif
	{
		/* no O_TMPFILE here: a named file, unlinked at once */
		tmpl = xasprintf("%s/.scratch.XXXXXX", dir);
		if ((fd = mkostemp(tmpl, O_CLOEXEC)) != -1)
			unlink(tmpl);
		free(tmpl);
	}
	if (fd == -1 && (f = tmpfile()) != NULL) {
		/* a state_dir we may not write (a dry run as another user) */
		free(dir);
		return f;
	}
	if (fd == -1 || (f = fdopen(fd, "w+")) == NULL) {
		free(s->error);
		s->error = xasprintf("cannot make a scratch file in '%s': %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
	}
	free(dir);
	return f;
}

/* Copy len bytes of f (from its start) into the blob just inserted. */
static int
blob_from_file(struct store *s, sqlite3_int64 row, FILE *f, size_t len)
{
	sqlite3_blob *blob;
	char chunk[STORE_BLOB_CHUNK];
	size_t off = 0;

	if (sqlite3_blob_open(s->db, "main", "digest_run", "message", row, 1, &blob) != SQLITE_OK)
		return store_fail(s, "add a digest to the outbox");
	while (off < len) {
		size_t want = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		ssize_t got = pread(fileno(f), chunk, want, (off_t)off);

		if (got <= 0) {
			sqlite3_blob_close(blob);
			free(s->error);
			s->error = xasprintf("cannot read a composed digest back: %s",
			    got == 0 ? "file shorter than written" : strerror(errno));
			return -1;
		}
		if (sqlite3_blob_write(blob, chunk, (int)got, (int)off) != SQLITE_OK) {
			sqlite3_blob_close(blob);
			return store_fail(s, "add a digest to the outbox");
		}
		off += (size_t)got;
	}
	if (sqlite3_blob_close(blob) != SQLITE_OK)
		return store_fail(s, "add a digest to the outbox");
	return 0;
}

/* The blob of a stored run into a scratch file, a chunk at a time. */
static FILE *
blob_to_file(struct store *s, sqlite3_int64 row, size_t *len)
{
	sqlite3_blob *blob;
	char chunk[STORE_BLOB_CHUNK];
	FILE *f;
	size_t off = 0;

	if ((f = store_scratch_file(s)) == NULL)
		return NULL;
	if (sqlite3_blob_open(s->db, "main", "digest_run", "message", row, 0, &blob) != SQLITE_OK) {
		store_fail(s, "read the digest outbox");
		fclose(f);
		return NULL;
	}
	*len = (size_t)sqlite3_blob_bytes(blob);
	while (off < *len) {
		size_t n = *len - off < sizeof(chunk) ? *len - off : sizeof(chunk);

		if (sqlite3_blob_read(blob, chunk, (int)n, (int)off) != SQLITE_OK) {
			store_fail(s, "read the digest outbox");
			break;
		}
		if (fwrite(chunk, 1, n, f) != n) {
			free(s->error);
			s->error = xasprintf("cannot write a scratch file: %s", strerror(errno));
			break;
		}
		off += n;
	}
	sqlite3_blob_close(blob);
	if (off < *len || fflush(f) != 0) {
		fclose(f);
		return NULL;
	}
	return f;
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
	/* room for the message, written into it a chunk at a time below */
	sqlite3_bind_zeroblob64(st, 6, (sqlite3_uint64)run->message_len);
	sqlite3_bind_int(st, 7, run->items);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_fail(s, "add a digest to the outbox");
	}
	sqlite3_finalize(st);
	run->id = sqlite3_last_insert_rowid(s->db);
	if (run->message_len > 0 && blob_from_file(s, run->id, run->message, run->message_len) == -1)
		return -1;
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
	    "message_id, NULL, items, attempts, next_attempt FROM digest_run "
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
		r->items = sqlite3_column_int(st, 7);
		r->attempts = sqlite3_column_int(st, 8);
		r->next_attempt = sqlite3_column_int64(st, 9);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "read the digest outbox");
	/* the message into a scratch file: one chunk in memory at a time */
	if (rc == SQLITE_ROW && (r->message = blob_to_file(s, r->id, &r->message_len)) == NULL) {
		store_digest_run_clear(r);
		return -1;
	}
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
