#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "tap.h"
#include "xmalloc.h"

static int
exists(const char *dir, const char *file)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return stat(path, &st) == 0;
}

int
main(void)
{
	char tmpl[] = "/tmp/feedmill-store-XXXXXX", *dir, *err = NULL, *db;
	struct store *s;
	struct store_source src;
	struct store_fetch f = { 1000, 200, 4096, 120, NULL };
	sqlite3 *raw;

	if ((dir = mkdtemp(tmpl)) == NULL) {
		tap_ok(0, "a temporary directory");
		return tap_done();
	}
	db = xasprintf("%s/state", dir);

	tap_is_int(store_open(&s, db, &err), 0, "a new state directory and database open");
	{
		struct store *second;

		tap_is_int(store_open(&second, db, &err), -1,
		    "a second writer on the same state directory is refused");
		tap_ok(err != NULL && strstr(err, "another feedmill") != NULL &&
		    strstr(err, db) != NULL, "with a message naming the directory");
		free(err);
		err = NULL;
	}
	tap_is_int(store_schema_version(s), 8, "the schema is migrated to version 8");

	tap_is_int(store_source_sync(s, "press", "https://example.org/rss"), 0,
	    "a configured source gets a row");
	tap_is_int(store_source_get(s, "press", &src), 0, "and can be read back");
	tap_ok(src.next_poll == 0 && src.failures == 0 && src.etag == NULL &&
	    strcmp(src.url, "https://example.org/rss") == 0,
	    "a new source is due at once, at its configured URL");

	free(src.etag);
	src.etag = xstrdup("W/\"5e1a-abc\"");
	free(src.last_modified);
	src.last_modified = xstrdup("Sun, 29 Nov 2026 07:00:00 GMT");
	src.next_poll = 1800000000;
	src.last_poll = 1799998200;
	src.failures = 3;
	src.last_status = 503;
	src.last_error = xstrdup("HTTP 503");
	src.retry_until = 1799999999;
	tap_is_int(store_source_save(s, &src), 0, "its state is saved");
	store_source_release(&src);
	tap_ok(exists(db, STORE_FILE "-wal"), "the database runs in WAL mode");
	store_close(s);

	tap_is_int(store_open(&s, db, &err), 0, "it opens again, as after a restart");
	store_source_sync(s, "press", "https://example.org/rss");
	store_source_get(s, "press", &src);
	tap_ok(src.next_poll == 1800000000 && src.failures == 3 &&
	    src.last_status == 503 && strcmp(src.last_error, "HTTP 503") == 0 &&
	    src.retry_until == 1799999999,
	    "a known source keeps its schedule and error streak across a restart");
	tap_is_str(src.etag, "W/\"5e1a-abc\"", "the ETag comes back exactly as received");
	tap_is_str(src.last_modified, "Sun, 29 Nov 2026 07:00:00 GMT",
	    "so does Last-Modified");

	free(src.url);
	src.url = xstrdup("https://example.org/new-home/rss");
	store_source_save(s, &src);
	store_source_release(&src);
	store_source_sync(s, "press", "https://example.org/rss");
	store_source_get(s, "press", &src);
	tap_is_str(src.url, "https://example.org/new-home/rss",
	    "a permanent redirect's new URL survives the unchanged configuration");
	store_source_release(&src);

	store_source_sync(s, "press", "https://example.org/other-rss");
	store_source_get(s, "press", &src);
	tap_ok(src.next_poll == 0 && src.etag == NULL && src.failures == 0 &&
	    strcmp(src.url, "https://example.org/other-rss") == 0,
	    "a changed configured URL starts the source afresh");
	store_source_release(&src);

	tap_is_int(store_source_get(s, "nobody", &src), -1, "an unknown source is an error");
	tap_ok(strstr(store_error(s), "nobody") != NULL, "which names it");

	for (int i = 0; i < STORE_FETCH_LOG_KEEP + 50; i++) {
		f.time = 1000 + i;
		if (store_fetch_log_add(s, "press", &f) == -1)
			break;
	}
	tap_is_int(store_fetch_log_count(s, "press"), STORE_FETCH_LOG_KEEP,
	    "the fetch log keeps only the newest rows of a source");

	/* a batch: committed together, or lost together if never committed */
	tap_is_int(store_begin(s), 0, "a batch begins");
	tap_is_int(store_begin(s), 0, "beginning again inside it is harmless");
	store_source_sync(s, "batched", "https://example.org/b");
	store_fetch_log_add(s, "batched", &f);
	tap_ok(store_in_transaction(s), "the fetch log nests inside the batch");
	tap_is_int(store_commit(s), 0, "the batch commits");
	tap_ok(!store_in_transaction(s), "and is closed");
	tap_is_int(store_commit(s), 0, "committing with nothing open is harmless");
	store_begin(s);
	store_source_sync(s, "uncommitted", "https://example.org/u");
	store_close(s);
	store_open(&s, db, &err);
	tap_is_int(store_source_get(s, "batched", &src), 0, "a committed batch survives a restart");
	store_source_release(&src);
	tap_is_int(store_source_get(s, "uncommitted", &src), -1,
	    "an uncommitted one is rolled back, not half-kept");
	store_close(s);

	/* a database written by the first schema is migrated, rows kept */
	{
		char *old = xasprintf("%s/v1", dir), *path = xasprintf("%s/%s", old, STORE_FILE);

		mkdir(old, 0700);
		sqlite3_open(path, &raw);
		sqlite3_exec(raw, "CREATE TABLE source (name TEXT PRIMARY KEY, url TEXT NOT NULL,"
		    " configured_url TEXT NOT NULL, etag TEXT, last_modified TEXT,"
		    " next_poll INTEGER NOT NULL DEFAULT 0, last_poll INTEGER NOT NULL DEFAULT 0,"
		    " last_success INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
		    " last_status INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
		    " retired INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
		    "CREATE TABLE fetch_log (id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
		    " time INTEGER NOT NULL, status INTEGER NOT NULL, bytes INTEGER NOT NULL,"
		    " duration_ms INTEGER NOT NULL, error TEXT);"
		    "CREATE INDEX fetch_log_by_source ON fetch_log(source, id);"
		    "INSERT INTO source (name, url, configured_url, etag, next_poll) VALUES"
		    " ('old', 'https://example.org/o', 'https://example.org/o', '\"e1\"', 1234);"
		    "PRAGMA user_version = 1;", NULL, NULL, NULL);
		sqlite3_close(raw);
		tap_is_int(store_open(&s, old, &err), 0, "a version 1 database opens");
		tap_is_int(store_schema_version(s), 8, "and is migrated to the latest version");
		tap_ok(store_source_get(s, "old", &src) == 0 && src.next_poll == 1234 &&
		    src.etag != NULL && strcmp(src.etag, "\"e1\"") == 0 && src.retry_until == 0,
		    "its sources keep their state through the migration");
		store_source_release(&src);
		store_close(s);
		free(old);
		free(path);
	}

	/* a database from a newer feedmill is not touched */
	{
		char *path = xasprintf("%s/%s", db, STORE_FILE);

		sqlite3_open(path, &raw);
		sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
		sqlite3_close(raw);
		free(path);
	}
	tap_is_int(store_open(&s, db, &err), -1, "a newer schema is refused");
	tap_ok(err != NULL && strstr(err, "newer") != NULL && strstr(err, STORE_FILE) != NULL,
	    "with a message naming the file");
	free(err);
	err = NULL;

	tap_is_int(store_open(&s, "/proc/feedmill-cannot-be-here", &err), -1,
	    "a state directory that cannot be created is an error");
	tap_ok(err != NULL && strstr(err, "/proc/feedmill-cannot-be-here") != NULL,
	    "which names it");
	free(err);

	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	free(db);
	return tap_done();
}
