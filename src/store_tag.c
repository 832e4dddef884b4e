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

/* A source with when it first delivered the release, for sorting. */
struct first_delivery {
	char	*source;
	int64_t	 first_seen;
};

static int
first_delivery_cmp(const void *a, const void *b)
{
	const struct first_delivery *x = a, *y = b;

	if (x->first_seen != y->first_seen)
		return x->first_seen < y->first_seen ? -1 : 1;
	return strcmp(x->source, y->source);
}

int
store_release_sources(struct store *s, int64_t id, char ***names, size_t *n)
{
	struct first_delivery small[8], *v = small;
	size_t nv = 0, alloc = sizeof(small) / sizeof(*small);
	sqlite3_stmt *st;
	int r;

	*names = NULL;
	*n = 0;
	/* from the index (release, source, first_seen) alone, grouped in its
	 * order; the handful of rows sorted here rather than by a sorter */
	if (store_prepare(s, STMT_RELEASE_SOURCES, "SELECT source, min(first_seen) FROM delivery "
	    "WHERE release = ?1 GROUP BY source", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (nv == alloc) {
			alloc *= 2;
			if (v == small) {
				v = xcalloc(alloc, sizeof(*v));
				memcpy(v, small, sizeof(small));
			} else
				v = xrealloc(v, alloc * sizeof(*v));
		}
		v[nv].source = store_column_text(st, 0);
		v[nv].first_seen = sqlite3_column_int64(st, 1);
		nv++;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		for (size_t i = 0; i < nv; i++)
			free(v[i].source);
		if (v != small)
			free(v);
		return store_fail(s, "read a release's sources");
	}
	qsort(v, nv, sizeof(*v), first_delivery_cmp);
	if (nv > 0) {
		*names = xcalloc(nv, sizeof(**names));
		for (size_t i = 0; i < nv; i++)
			(*names)[i] = v[i].source;
	}
	*n = nv;
	if (v != small)
		free(v);
	return 0;
}
