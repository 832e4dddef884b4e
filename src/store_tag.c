/*
 * store_tag: the fields each release is filed under (store.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

int
store_release_set_fields(struct store *s, int64_t id, const struct store_field *v,
    size_t n)
{
	sqlite3_stmt *del, *ins;

	/* what it was filed under must be published again, and it */
	if (store_prepare(s, STMT_DIRTY_FEED, "INSERT OR IGNORE INTO dirty_feed (feed) "
	    "SELECT 'fields/' || field FROM release_field WHERE release = ?1", &del) == -1)
		return -1;
	sqlite3_bind_int64(del, 1, id);
	if (store_run(s, del, "note what to publish") == -1)
		return -1;
	if (store_prepare(s, STMT_DIRTY_RELEASE, "INSERT OR IGNORE INTO dirty_release "
	    "(release) VALUES (?1)", &del) == -1)
		return -1;
	sqlite3_bind_int64(del, 1, id);
	if (store_run(s, del, "note what to publish") == -1)
		return -1;
	if (store_prepare(s, STMT_FIELD_DELETE, "DELETE FROM release_field "
	    "WHERE release = ?1", &del) == -1)
		return -1;
	sqlite3_bind_int64(del, 1, id);
	if (store_run(s, del, "forget a release's fields") == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (store_prepare(s, STMT_FIELD_INSERT, "INSERT OR REPLACE INTO "
		    "release_field (release, field, origin, score) VALUES (?1, ?2, ?3, ?4)",
		    &ins) == -1)
			return -1;
		sqlite3_bind_int64(ins, 1, id);
		store_bind_text(ins, 2, v[i].slug);
		store_bind_text(ins, 3, v[i].origin);
		sqlite3_bind_double(ins, 4, v[i].score);
		if (store_run(s, ins, "record a release's field") == -1)
			return -1;
	}
	return 0;
}

int
store_release_fields(struct store *s, int64_t id, struct store_field **v, size_t *n)
{
	sqlite3_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if (store_prepare(s, STMT_FIELD_GET, "SELECT field, origin, score FROM "
	    "release_field WHERE release = ?1 ORDER BY field", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[*n].slug = store_column_text(st, 0);
		(*v)[*n].origin = store_column_text(st, 1);
		(*v)[(*n)++].score = sqlite3_column_double(st, 2);
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		store_fields_free(*v, *n);
		*v = NULL;
		*n = 0;
		return store_fail(s, "read a release's fields");
	}
	return 0;
}

void
store_fields_free(struct store_field *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)(uintptr_t)v[i].slug);
		free((void *)(uintptr_t)v[i].origin);
	}
	free(v);
}

int
store_release_sources(struct store *s, int64_t id, char ***names, size_t *n)
{
	sqlite3_stmt *st;
	int r;

	*names = NULL;
	*n = 0;
	if (store_prepare(s, STMT_RELEASE_SOURCES, "SELECT source FROM delivery "
	    "WHERE release = ?1 GROUP BY source ORDER BY min(first_seen), source", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = store_column_text(st, 0);
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		for (size_t i = 0; i < *n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*n = 0;
		return store_fail(s, "read a release's sources");
	}
	return 0;
}
