#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/* Only paragraphs in more releases than this are remembered as common. */
#define STORE_COMMON_MIN	8
/* Releases pruned per call, so one call never holds the loop for long. */
#define PRUNE_BATCH	500

void
store_release_clear(struct store_release *r)
{
	free(r->uid);
	free(r->title);
	free(r->link);
	free(r->canonical_link);
	free(r->author);
	free(r->summary);
	free(r->body_html);
	free(r->body_text);
	free(r->categories);
	memset(r, 0, sizeof(*r));
}

static void
bind_hash(sqlite3_stmt *st, int i, const unsigned char h[STORE_HASH_BYTES])
{
	sqlite3_bind_blob(st, i, h, STORE_HASH_BYTES, SQLITE_TRANSIENT);
}

static void
column_hash(sqlite3_stmt *st, int i, unsigned char h[STORE_HASH_BYTES])
{
	const void *b = sqlite3_column_blob(st, i);

	memset(h, 0, STORE_HASH_BYTES);
	if (b != NULL && sqlite3_column_bytes(st, i) == STORE_HASH_BYTES)
		memcpy(h, b, STORE_HASH_BYTES);
}

/* Step a statement expected to give at most one row with an integer in
 * column 0: 1 with *v, 0 without a row, -1. */
static int
one_int(struct store *s, sqlite3_stmt *st, int64_t *v, const char *what)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : store_fail(s, what);
}

int
store_delivery_get(struct store *s, const char *source, const char *key,
    struct store_delivery *d)
{
	sqlite3_stmt *st;
	int r;

	memset(d, 0, sizeof(*d));
	if (store_prepare(s, STMT_DELIVERY_GET, "SELECT release, content_hash, raw_hash "
	    "FROM delivery WHERE source = ?1 AND item_key = ?2", &st) == -1)
		return -1;
	store_bind_text(st, 1, source);
	store_bind_text(st, 2, key);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		d->release = sqlite3_column_int64(st, 0);
		column_hash(st, 1, d->content_hash);
		column_hash(st, 2, d->raw_hash);
	}
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : store_fail(s, "read a delivery");
}

int
store_delivery_put(struct store *s, const char *source, const char *key,
    const struct store_delivery *d, int64_t now)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_DELIVERY_PUT, "INSERT INTO delivery (source, item_key, "
	    "release, link, canonical_link, content_hash, raw_hash, first_seen) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ON CONFLICT (source, item_key) DO UPDATE SET release = ?3, link = ?4, "
	    "canonical_link = ?5, content_hash = ?6, raw_hash = ?7", &st) == -1)
		return -1;
	store_bind_text(st, 1, source);
	store_bind_text(st, 2, key);
	sqlite3_bind_int64(st, 3, d->release);
	store_bind_text(st, 4, d->link);
	store_bind_text(st, 5, d->canonical_link);
	bind_hash(st, 6, d->content_hash);
	bind_hash(st, 7, d->raw_hash);
	sqlite3_bind_int64(st, 8, now);
	return store_run(s, st, "record a delivery");
}

int
store_delivery_count(struct store *s, int64_t release)
{
	sqlite3_stmt *st;
	int64_t n = 0;

	/* rare (tests, status): not worth a cached statement */
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM delivery WHERE release = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "count deliveries");
	sqlite3_bind_int64(st, 1, release);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (int)n;
}

int
store_release_by_fingerprint(struct store *s, const unsigned char fp[STORE_HASH_BYTES],
    int64_t *id)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_RELEASE_BY_FINGERPRINT,
	    "SELECT id FROM release WHERE fingerprint = ?1 ORDER BY id LIMIT 1", &st) == -1)
		return -1;
	bind_hash(st, 1, fp);
	return one_int(s, st, id, "find a release by fingerprint");
}

int
store_release_by_link(struct store *s, const char *canonical_link, int64_t *id)
{
	sqlite3_stmt *st;

	/* any copy's link finds the release, not only the first one's */
	if (store_prepare(s, STMT_RELEASE_BY_LINK,
	    "SELECT release FROM delivery WHERE canonical_link = ?1 LIMIT 1", &st) == -1)
		return -1;
	store_bind_text(st, 1, canonical_link);
	return one_int(s, st, id, "find a release by link");
}

/* After the step of a release read: 0 for a row, else -1 with why. */
static int
release_read_end(struct store *s, sqlite3_stmt *st, int r, int64_t id)
{
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 0;
	if (r == SQLITE_DONE) {
		free(s->error);
		s->error = xasprintf("no release %lld in '%s'", (long long)id, s->path);
		return -1;
	}
	return store_fail(s, "read a release");
}

int
store_release_get(struct store *s, int64_t id, struct store_release *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if (store_prepare(s, STMT_RELEASE_GET, "SELECT id, uid, fingerprint, content_hash, "
	    "title, link, canonical_link, author, summary, body_html, body_text, categories, "
	    "published, updated, first_seen, revisions FROM release WHERE id = ?1", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->uid = store_column_text(st, 1);
		column_hash(st, 2, out->fingerprint);
		column_hash(st, 3, out->content_hash);
		out->title = store_column_text(st, 4);
		out->link = store_column_text(st, 5);
		out->canonical_link = store_column_text(st, 6);
		out->author = store_column_text(st, 7);
		out->summary = store_column_text(st, 8);
		out->body_html = store_column_text(st, 9);
		out->body_text = store_column_text(st, 10);
		out->categories = store_column_text(st, 11);
		out->published = sqlite3_column_int64(st, 12);
		out->updated = sqlite3_column_int64(st, 13);
		out->first_seen = sqlite3_column_int64(st, 14);
		out->revisions = sqlite3_column_int(st, 15);
	}
	return release_read_end(s, st, r, id);
}

int
store_release_head(struct store *s, int64_t id, struct store_release *out)
{
	sqlite3_stmt *st;
	int r;

	/* the columns stored before the bodies: no overflow page is read */
	memset(out, 0, sizeof(*out));
	if (store_prepare(s, STMT_RELEASE_HEAD, "SELECT id, uid, title, link, canonical_link, "
	    "author, summary FROM release WHERE id = ?1", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->uid = store_column_text(st, 1);
		out->title = store_column_text(st, 2);
		out->link = store_column_text(st, 3);
		out->canonical_link = store_column_text(st, 4);
		out->author = store_column_text(st, 5);
		out->summary = store_column_text(st, 6);
	}
	return release_read_end(s, st, r, id);
}

static int
index_paragraphs(struct store *s, int64_t id, const uint64_t *hashes, size_t n)
{
	sqlite3_stmt *st;

	for (size_t i = 0; i < n; i++) {
		if (store_prepare(s, STMT_PARAGRAPH_INSERT, "INSERT OR IGNORE INTO paragraph "
		    "(hash, release) VALUES (?1, ?2)", &st) == -1)
			return -1;
		/* SQLite integers are signed: the bits are what matter */
		sqlite3_bind_int64(st, 1, (sqlite3_int64)hashes[i]);
		sqlite3_bind_int64(st, 2, id);
		if (store_run(s, st, "index a paragraph") == -1)
			return -1;
	}
	return 0;
}

/* Bind the content columns shared by insert and revise, from ?2 on. */
static void
bind_content(sqlite3_stmt *st, const struct store_release *r)
{
	bind_hash(st, 2, r->fingerprint);
	bind_hash(st, 3, r->content_hash);
	store_bind_text(st, 4, r->title ? r->title : "");
	store_bind_text(st, 5, r->link);
	store_bind_text(st, 6, r->canonical_link);
	store_bind_text(st, 7, r->author);
	store_bind_text(st, 8, r->summary);
	store_bind_text(st, 9, r->body_html ? r->body_html : "");
	store_bind_text(st, 10, r->body_text ? r->body_text : "");
	store_bind_text(st, 11, r->categories);
	sqlite3_bind_int64(st, 12, r->published);
	sqlite3_bind_int64(st, 13, r->updated);
}

int
store_release_insert(struct store *s, struct store_release *r,
    const uint64_t *hashes, size_t nhashes)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_RELEASE_INSERT, "INSERT INTO release (uid, fingerprint, "
	    "content_hash, title, link, canonical_link, author, summary, body_html, "
	    "body_text, categories, published, updated, first_seen) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", &st) == -1)
		return -1;
	store_bind_text(st, 1, r->uid);
	bind_content(st, r);
	sqlite3_bind_int64(st, 14, r->first_seen);
	if (store_run(s, st, "store a release") == -1)
		return -1;
	r->id = sqlite3_last_insert_rowid(s->db);
	if (s->nreleases >= 0)
		s->nreleases++;
	return index_paragraphs(s, r->id, hashes, nhashes);
}

int
store_release_revise(struct store *s, const struct store_release *r,
    const uint64_t *hashes, size_t nhashes)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_RELEASE_REVISE, "UPDATE release SET fingerprint = ?2, "
	    "content_hash = ?3, title = ?4, link = ?5, canonical_link = ?6, author = ?7, "
	    "summary = ?8, body_html = ?9, body_text = ?10, categories = ?11, "
	    "published = ?12, updated = ?13, revisions = revisions + 1 WHERE id = ?1",
	    &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	bind_content(st, r);
	if (store_run(s, st, "revise a release") == -1)
		return -1;
	if (store_prepare(s, STMT_PARAGRAPH_DELETE, "DELETE FROM paragraph WHERE release = ?1",
	    &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	if (store_run(s, st, "re-index a release") == -1)
		return -1;
	return index_paragraphs(s, r->id, hashes, nhashes);
}

int
store_release_touch(struct store *s, int64_t id, int64_t published)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_RELEASE_TOUCH, "UPDATE release SET published = ?2 "
	    "WHERE id = ?1 AND published > ?2", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, published);
	return store_run(s, st, "date a release");
}

int
store_release_set_categories(struct store *s, int64_t id, const char *categories)
{
	sqlite3_stmt *st;

	if (store_prepare(s, STMT_RELEASE_CATEGORIES, "UPDATE release SET categories = ?2 "
	    "WHERE id = ?1", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, categories);
	return store_run(s, st, "record a release's categories");
}

int64_t
store_release_count(struct store *s)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (s->nreleases >= 0)
		return s->nreleases;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM release", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, "count releases");
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return s->nreleases = n;
}

static int *
common_slot(struct store *s, uint64_t hash, int add)
{
	size_t i = (size_t)(hash ^ hash >> 29) & (STORE_COMMON_CACHE - 1);

	for (; s->common[i].count != 0; i = (i + 1) & (STORE_COMMON_CACHE - 1))
		if (s->common[i].hash == hash)
			return &s->common[i].count;
	if (!add)
		return NULL;
	if (2 * (s->ncommon + 1) > STORE_COMMON_CACHE) {
		memset(s->common, 0, sizeof(s->common));
		s->ncommon = 0;
		i = (size_t)(hash ^ hash >> 29) & (STORE_COMMON_CACHE - 1);
	}
	s->common[i].hash = hash;
	s->ncommon++;
	return &s->common[i].count;
}

int
store_paragraph_releases(struct store *s, uint64_t hash, int64_t *ids, int max)
{
	sqlite3_stmt *st;
	int n = 0, r, *known;

	/* known to be in more releases than asked about: no need to look */
	if ((known = common_slot(s, hash, 0)) != NULL && *known > max)
		return max + 1;

	if (store_prepare(s, STMT_PARAGRAPH_RELEASES, "SELECT release FROM paragraph "
	    "WHERE hash = ?1 LIMIT ?2", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)hash);
	sqlite3_bind_int(st, 2, max + 1);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (ids != NULL && n < max)
			ids[n] = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return store_fail(s, "look up a paragraph");
	if (n > max && n > STORE_COMMON_MIN)
		*common_slot(s, hash, 1) = n;
	return n;
}

int
store_paragraph_hashes(struct store *s, int64_t release, uint64_t **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int r;

	*v = NULL;
	*n = 0;
	if (store_prepare(s, STMT_PARAGRAPH_HASHES, "SELECT hash FROM paragraph "
	    "WHERE release = ?1", &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, release);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			*v = xrealloc(*v, alloc * sizeof(**v));
		}
		(*v)[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : store_fail(s, "read a release's paragraphs");
}

int
store_tombstone_check(struct store *s, const void *key, size_t len, int64_t now)
{
	sqlite3_stmt *st;
	int64_t seen = 0;
	int r;

	/* most stores have never pruned: then three lookups per new item
	 * are saved */
	if (s->any_tombstones == -1) {
		if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM tombstone)", -1,
		    &st, NULL) != SQLITE_OK)
			return store_fail(s, "look for tombstones");
		s->any_tombstones = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (!s->any_tombstones)
		return 0;
	if (store_prepare(s, STMT_TOMBSTONE_GET, "SELECT last_seen FROM tombstone "
	    "WHERE key = ?1", &st) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, key, (int)len, SQLITE_TRANSIENT);
	if ((r = one_int(s, st, &seen, "read a tombstone")) != 1)
		return r;
	/* once a day is enough to keep it from expiring */
	if (now - seen < 86400)
		return 1;
	if (store_prepare(s, STMT_TOMBSTONE_TOUCH, "UPDATE tombstone SET last_seen = ?2 "
	    "WHERE key = ?1", &st) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, key, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	return store_run(s, st, "keep a tombstone") == -1 ? -1 : 1;
}

static int
tombstone_add(struct store *s, sqlite3_stmt *ins, const void *key, size_t len, int64_t now)
{
	sqlite3_bind_blob(ins, 1, key, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins, 2, now);
	s->any_tombstones = -1;
	if (sqlite3_step(ins) != SQLITE_DONE) {
		sqlite3_reset(ins);
		return store_fail(s, "leave a tombstone");
	}
	sqlite3_reset(ins);
	return 0;
}

int
store_prune(struct store *s, int64_t before, int64_t tombstone_before, int64_t now,
    int64_t *pruned)
{
	sqlite3_stmt *old = NULL, *dels = NULL, *ins = NULL, *del = NULL;
	int r, status = -1;

	*pruned = 0;
	/* fewer releases: paragraphs may be less common than remembered */
	memset(s->common, 0, sizeof(s->common));
	s->ncommon = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id, fingerprint, canonical_link FROM release "
	    "WHERE published < ?1 ORDER BY published LIMIT ?2", -1, &old, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT source, item_key FROM delivery WHERE release = ?1",
	    -1, &dels, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO tombstone (key, pruned, last_seen) "
	    "VALUES (?1, ?2, ?2) ON CONFLICT (key) DO UPDATE SET last_seen = ?2",
	    -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM release WHERE id = ?1", -1, &del, NULL) != SQLITE_OK) {
		store_fail(s, "prepare pruning");
		goto out;
	}
	sqlite3_bind_int64(old, 1, before);
	sqlite3_bind_int(old, 2, PRUNE_BATCH);
	while ((r = sqlite3_step(old)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(old, 0);
		unsigned char fkey[1 + STORE_HASH_BYTES];
		const char *link = (const char *)sqlite3_column_text(old, 2);

		fkey[0] = 'f';
		column_hash(old, 1, fkey + 1);
		if (tombstone_add(s, ins, fkey, sizeof(fkey), now) == -1)
			goto out;
		if (link != NULL) {
			char *lkey = xasprintf("l%s", link);

			r = tombstone_add(s, ins, lkey, strlen(lkey), now);
			free(lkey);
			if (r == -1)
				goto out;
		}
		sqlite3_bind_int64(dels, 1, id);
		while (sqlite3_step(dels) == SQLITE_ROW) {
			const char *src = (const char *)sqlite3_column_text(dels, 0);
			const char *key = (const char *)sqlite3_column_text(dels, 1);
			size_t sl = strlen(src ? src : ""), kl = strlen(key ? key : "");
			char *k = xmalloc(sl + kl + 2);

			k[0] = 'k';
			memcpy(k + 1, src ? src : "", sl);
			k[1 + sl] = '\0';
			memcpy(k + 2 + sl, key ? key : "", kl);
			r = tombstone_add(s, ins, k, sl + kl + 2, now);
			free(k);
			if (r == -1) {
				sqlite3_reset(dels);
				goto out;
			}
		}
		sqlite3_reset(dels);
		sqlite3_bind_int64(del, 1, id);
		if (sqlite3_step(del) != SQLITE_DONE) {
			store_fail(s, "prune a release");
			goto out;
		}
		sqlite3_reset(del);
		(*pruned)++;
		if (s->nreleases > 0)
			s->nreleases--;
	}
	if (r != SQLITE_DONE) {
		store_fail(s, "find releases to prune");
		goto out;
	}
	{
		sqlite3_stmt *expire;

		if (sqlite3_prepare_v2(s->db, "DELETE FROM tombstone WHERE last_seen < ?1",
		    -1, &expire, NULL) != SQLITE_OK) {
			store_fail(s, "expire tombstones");
			goto out;
		}
		sqlite3_bind_int64(expire, 1, tombstone_before);
		r = sqlite3_step(expire);
		sqlite3_finalize(expire);
		if (r != SQLITE_DONE) {
			store_fail(s, "expire tombstones");
			goto out;
		}
	}
	status = 0;
out:
	sqlite3_finalize(old);
	sqlite3_finalize(dels);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	return status;
}
