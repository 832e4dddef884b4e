#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "date.h"
#include "dedup.h"
#include "normalise.h"
#include "xmalloc.h"

/* Candidate releases looked at per entry: enough for any honest overlap. */
#define MAX_CANDIDATES	64
/* The lead paragraph shown as a summary is cut near here. */
#define SUMMARY_MAX	600

/* ---- canonical links ---- */

static int
tracking_param(const char *p, size_t keylen)
{
	static const char *const names[] = {
		"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
		"mc_cid", "mc_eid", "_hsenc", "_hsmi", "_ga", "_gl", "igshid",
		"ref", "ref_src", "ref_url", "spm", "mkt_tok", "oly_anon_id",
		"oly_enc_id", "vero_id", "vero_conv", "wickedid", "s_cid", "cmpid",
		"__s", "at_medium", "at_campaign", "ncid", "sr_share", "twclid",
		"ttclid", "li_fat_id", "epik", "rb_clickid", "icid", NULL,
	};

	if (keylen >= 4 && strncasecmp(p, "utm_", 4) == 0)
		return 1;
	for (int i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == keylen && strncasecmp(p, names[i], keylen) == 0)
			return 1;
	return 0;
}

char *
dedup_canonical_link(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *query = NULL, *out = NULL, *r = NULL;
	struct buf q;

	if (url == NULL || *url == '\0' || (u = curl_url()) == NULL)
		return NULL;
	buf_init(&q, (size_t)-1);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
		goto out;
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query != NULL) {
		for (char *p = query; *p;) {
			size_t len = strcspn(p, "&;"), keylen = strcspn(p, "=&;");

			if (len > 0 && !tracking_param(p, keylen)) {
				if (q.len > 0)
					buf_addc(&q, '&');
				buf_add(&q, p, len);
			}
			p += len;
			if (*p)
				p++;
		}
		curl_url_set(u, CURLUPART_QUERY, q.len ? buf_str(&q) : NULL, 0);
	}
	if (curl_url_get(u, CURLUPART_URL, &out, CURLU_NO_DEFAULT_PORT) == CURLUE_OK)
		r = xstrdup(out);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(out);
	curl_url_cleanup(u);
	buf_release(&q);
	return r;
}

/* ---- an entry, normalised ---- */

struct item {
	char		*title;		/* plain */
	char		*title_key;
	const char	*link;
	char		*canon;
	char		*key;		/* the item key of the delivery */
	struct norm_body body;
	uint64_t	*hashes;	/* distinct text paragraphs, sorted */
	size_t		 nhashes;
	unsigned char	 fp[STORE_HASH_BYTES];
	unsigned char	 content[STORE_HASH_BYTES];
	unsigned char	 raw[STORE_HASH_BYTES];	/* the entry as the feed gave it */
	char		*html;
	char		*text;
	char		*summary;
	char		*categories;
	int64_t		 published;
	int64_t		 updated;
};

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
hex(char *out, const unsigned char *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Distinct categories (compared by key), one a line. */
static char *
categories_join(const struct feed_entry *e)
{
	struct buf b;
	char **keys = xcalloc(e->ncategories + 1, sizeof(*keys));
	size_t nkeys = 0;

	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < e->ncategories; i++) {
		char *plain = normalise_plain(e->categories[i]);
		char *key = normalise_key(plain);
		int dup = key[0] == '\0';

		for (size_t j = 0; j < nkeys && !dup; j++)
			dup = strcmp(keys[j], key) == 0;
		if (!dup) {
			if (b.len)
				buf_addc(&b, '\n');
			buf_addstr(&b, plain);
			keys[nkeys++] = key;
		} else
			free(key);
		free(plain);
	}
	for (size_t j = 0; j < nkeys; j++)
		free(keys[j]);
	free(keys);
	return b.len ? buf_detach(&b) : (buf_release(&b), NULL);
}

static void
item_build(struct item *it, const struct feed_entry *e, int64_t now)
{
	const char *body = e->content && *e->content ? e->content : e->summary;
	crypto_generichash_state h;
	struct buf text;
	char fphex[2 * STORE_HASH_BYTES + 1];

	memset(it, 0, sizeof(*it));
	it->title = normalise_plain(e->title);
	it->title_key = normalise_key(it->title);
	it->link = e->link;
	it->canon = dedup_canonical_link(e->link);
	normalise_body(body, e->content && *e->content ? e->content_base : e->link, &it->body);
	it->hashes = xcalloc(it->body.n + 1, sizeof(*it->hashes));
	buf_init(&text, (size_t)-1);
	for (size_t i = 0; i < it->body.n; i++) {
		const struct norm_para *p = &it->body.v[i];

		if (!p->has_text)
			continue;
		it->hashes[it->nhashes++] = p->hash;
		if (text.len)
			buf_addstr(&text, "\n\n");
		buf_addstr(&text, p->text);
		if (it->summary == NULL && p->kind != NORM_H) {
			size_t len = strlen(p->text);

			if (len > SUMMARY_MAX) {
				/* cut at a word, on a character boundary */
				len = SUMMARY_MAX;
				while (len > SUMMARY_MAX / 2 && p->text[len] != ' ')
					len--;
				it->summary = xasprintf("%.*s …", (int)len, p->text);
			} else
				it->summary = xstrdup(p->text);
		}
	}
	it->text = buf_detach(&text);
	qsort(it->hashes, it->nhashes, sizeof(*it->hashes), u64cmp);
	it->html = normalise_render(&it->body);
	it->categories = categories_join(e);

	/* the fingerprint: the title and the set of paragraphs; a title
	 * alone is not enough to tell releases apart, so then the link too */
	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)it->title_key, strlen(it->title_key) + 1);
	if (it->nhashes > 0) {
		for (size_t i = 0; i < it->nhashes; i++) {
			unsigned char b[8];

			for (int k = 0; k < 8; k++)
				b[k] = (unsigned char)(it->hashes[i] >> (56 - 8 * k));
			crypto_generichash_update(&h, b, sizeof(b));
		}
	} else if (it->canon != NULL)
		crypto_generichash_update(&h, (const unsigned char *)it->canon, strlen(it->canon));
	crypto_generichash_final(&h, it->fp, STORE_HASH_BYTES);

	/* what the text says, in order: a change here is a revision */
	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)it->title, strlen(it->title) + 1);
	crypto_generichash_update(&h, (const unsigned char *)it->html, strlen(it->html));
	crypto_generichash_final(&h, it->content, STORE_HASH_BYTES);

	if (e->id != NULL && *e->id != '\0')
		it->key = xstrdup(e->id);
	else if (it->canon != NULL)
		it->key = xasprintf("link:%s", it->canon);
	else {
		hex(fphex, it->fp, STORE_HASH_BYTES);
		it->key = xasprintf("fp:%s", fphex);
	}
	it->published = e->published != DATE_NONE ? e->published :
	    e->updated != DATE_NONE ? e->updated : now;
	it->updated = e->updated != DATE_NONE ? e->updated : it->published;
}

static void
item_release(struct item *it)
{
	free(it->title);
	free(it->title_key);
	free(it->canon);
	free(it->key);
	norm_body_release(&it->body);
	free(it->hashes);
	free(it->html);
	free(it->text);
	free(it->summary);
	free(it->categories);
}

/* ---- overlap ---- */

static int
has_hash(const uint64_t *v, size_t n, uint64_t h)
{
	return bsearch(&h, v, n, sizeof(*v), u64cmp) != NULL;
}

/*
 * How many releases a paragraph must be in to be boilerplate: a share of
 * the store, but never fewer than DEDUP_BOILERPLATE_RELEASES, so that a
 * quotation two releases share is still content.
 */
static int
boilerplate_threshold(struct store *s)
{
	int64_t n = store_release_count(s) / DEDUP_BOILERPLATE_SHARE;

	if (n < DEDUP_BOILERPLATE_RELEASES)
		return DEDUP_BOILERPLATE_RELEASES;
	return n > DEDUP_BOILERPLATE_MAX ? DEDUP_BOILERPLATE_MAX : (int)n;
}

/* Whether a paragraph is in enough releases to be boilerplate; -1 on error. */
static int
is_boilerplate(struct store *s, uint64_t h)
{
	int limit = boilerplate_threshold(s);
	int n = store_paragraph_releases(s, h, NULL, limit);

	return n < 0 ? -1 : n >= limit;
}

/*
 * The Jaccard overlap of the item's paragraphs (own: the non-boilerplate
 * ones, sorted) with release id's, boilerplate left out of both. -1 on a
 * store error.
 */
static double
overlap_with(struct store *s, const uint64_t *own, size_t nown, int64_t id)
{
	uint64_t *theirs;
	size_t ntheirs, common = 0, other = 0;

	if (store_paragraph_hashes(s, id, &theirs, &ntheirs) == -1)
		return -1;
	for (size_t i = 0; i < ntheirs; i++) {
		int b;

		if (has_hash(own, nown, theirs[i])) {
			common++;
			continue;
		}
		if ((b = is_boilerplate(s, theirs[i])) == -1) {
			free(theirs);
			return -1;
		}
		other += !b;
	}
	free(theirs);
	if (nown + other == 0)
		return 0;
	return (double)common / (double)(nown + other);
}

/*
 * The release sharing most of the item's paragraphs, if its overlap is at
 * least threshold: 1 with *id, 0 none, -1 error. Only releases found
 * through the paragraph index are looked at.
 */
static int
best_overlap(struct store *s, const struct item *it, double threshold, int64_t *id)
{
	uint64_t *own = xcalloc(it->nhashes + 1, sizeof(*own));
	size_t nown = 0, ncand = 0;
	struct { int64_t id; size_t count; } cand[MAX_CANDIDATES];
	int64_t ids[DEDUP_BOILERPLATE_MAX];
	int limit = boilerplate_threshold(s);
	double best = 0;
	int found = 0, status = -1;

	for (size_t i = 0; i < it->nhashes; i++) {
		int n = store_paragraph_releases(s, it->hashes[i], ids, limit);

		if (n < 0)
			goto out;
		if (n >= limit)
			continue;	/* boilerplate: counts for nothing */
		own[nown++] = it->hashes[i];
		for (int k = 0; k < n; k++) {
			size_t c;

			for (c = 0; c < ncand && cand[c].id != ids[k]; c++)
				;
			if (c == ncand) {
				if (ncand == MAX_CANDIDATES)
					continue;
				cand[ncand].id = ids[k];
				cand[ncand++].count = 0;
			}
			cand[c].count++;
		}
	}
	status = 0;
	if (nown < DEDUP_MIN_PARAGRAPHS)
		goto out;
	for (size_t c = 0; c < ncand; c++) {
		double j;

		/* the overlap cannot pass count / |own|: skip the hopeless */
		if ((double)cand[c].count < threshold * (double)nown)
			continue;
		if ((j = overlap_with(s, own, nown, cand[c].id)) < 0) {
			status = -1;
			goto out;
		}
		if (j >= threshold && j > best) {
			best = j;
			*id = cand[c].id;
			found = 1;
		}
	}
	status = found;
out:
	free(own);
	return status;
}

/*
 * Whether the item says something release id does not: another title, or
 * a paragraph that is neither in the release nor boilerplate. A copy that
 * only adds a feed's own footer, or leaves paragraphs out (a feed that
 * gives the lead only), is not a revision. 1, 0, or -1 on error.
 */
static int
has_new_content(struct store *s, const struct item *it, const struct store_release *old)
{
	char *old_key = normalise_key(old->title ? old->title : "");
	uint64_t *theirs;
	size_t ntheirs;
	int r = strcmp(old_key, it->title_key) != 0;

	free(old_key);
	if (r)
		return 1;
	if (store_paragraph_hashes(s, old->id, &theirs, &ntheirs) == -1)
		return -1;
	qsort(theirs, ntheirs, sizeof(*theirs), u64cmp);
	for (size_t i = 0; i < it->nhashes && r == 0; i++) {
		int b;

		if (has_hash(theirs, ntheirs, it->hashes[i]))
			continue;
		if ((b = is_boilerplate(s, it->hashes[i])) < 0)
			r = -1;
		else
			r = !b;
	}
	free(theirs);
	return r;
}

/*
 * The union of two category lists (one a line), compared by key; NULL
 * when b adds nothing to a. malloc'd.
 */
static char *
categories_union(const char *a, const char *b)
{
	struct buf out;
	int added = 0;

	if (b == NULL || *b == '\0')
		return NULL;
	buf_init(&out, (size_t)-1);
	if (a != NULL)
		buf_addstr(&out, a);
	for (const char *p = b; *p;) {
		size_t len = strcspn(p, "\n");
		char *cat = xstrndup(p, len), *key = normalise_key(cat);
		int have = 0;

		for (const char *q = buf_str(&out); *q && !have;) {
			size_t ql = strcspn(q, "\n");
			char *other = xstrndup(q, ql), *okey = normalise_key(other);

			have = strcmp(key, okey) == 0;
			free(other);
			free(okey);
			q += ql;
			if (*q)
				q++;
		}
		if (!have && key[0] != '\0') {
			if (out.len)
				buf_addc(&out, '\n');
			buf_addstr(&out, cat);
			added = 1;
		}
		free(cat);
		free(key);
		p += len;
		if (*p)
			p++;
	}
	if (!added) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out);
}

/* Another source's copy may name categories the release lacks. */
static int
merge_categories(struct store *s, int64_t id, const char *have, const char *more)
{
	char *u = categories_union(have, more);
	int r = 0;

	if (u != NULL)
		r = store_release_set_categories(s, id, u);
	free(u);
	return r;
}

/* ---- writing ---- */

static void
fill_release(struct store_release *r, struct item *it, const struct feed_entry *e)
{
	memcpy(r->fingerprint, it->fp, STORE_HASH_BYTES);
	memcpy(r->content_hash, it->content, STORE_HASH_BYTES);
	r->title = it->title;
	r->link = (char *)(uintptr_t)it->link;
	r->canonical_link = it->canon;
	r->author = (char *)(uintptr_t)e->author;
	r->summary = it->summary;
	r->body_html = it->html;
	r->body_text = it->text;
	r->categories = it->categories;
}

/* Record that source delivered the item as part of release id. */
static int
deliver(struct store *s, const char *source, const struct item *it, int64_t id, int64_t now)
{
	struct store_delivery d;

	memset(&d, 0, sizeof(d));
	d.release = id;
	d.link = it->link;
	d.canonical_link = it->canon;
	memcpy(d.content_hash, it->content, STORE_HASH_BYTES);
	memcpy(d.raw_hash, it->raw, STORE_HASH_BYTES);
	return store_delivery_put(s, source, it->key, &d, now);
}

static void
hash_field(crypto_generichash_state *h, const char *v)
{
	if (v != NULL)
		crypto_generichash_update(h, (const unsigned char *)v, strlen(v));
	crypto_generichash_update(h, (const unsigned char *)"", 1);
}

/* Everything of the entry that dedup reads, as the feed gave it. */
static void
raw_hash(const struct feed_entry *e, unsigned char out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	char dates[64];

	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	hash_field(&h, e->id);
	hash_field(&h, e->title);
	hash_field(&h, e->link);
	hash_field(&h, e->author);
	hash_field(&h, e->summary);
	hash_field(&h, e->content);
	hash_field(&h, e->content_base);
	for (size_t i = 0; i < e->ncategories; i++)
		hash_field(&h, e->categories[i]);
	snprintf(dates, sizeof(dates), "%lld %lld", (long long)e->published, (long long)e->updated);
	hash_field(&h, dates);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

static enum dedup_result
create(struct store *s, const char *source, struct item *it, const struct feed_entry *e,
    int64_t now, int64_t *release)
{
	struct store_release r;
	unsigned char uid[STORE_HASH_BYTES];
	char uidhex[2 * STORE_HASH_BYTES + 1];
	crypto_generichash_state h;

	memset(&r, 0, sizeof(r));
	fill_release(&r, it, e);
	/* stable and unique: who first delivered what, and its fingerprint */
	crypto_generichash_init(&h, NULL, 0, sizeof(uid));
	crypto_generichash_update(&h, (const unsigned char *)source, strlen(source) + 1);
	crypto_generichash_update(&h, (const unsigned char *)it->key, strlen(it->key) + 1);
	crypto_generichash_update(&h, it->fp, sizeof(it->fp));
	crypto_generichash_final(&h, uid, sizeof(uid));
	hex(uidhex, uid, sizeof(uid));
	r.uid = uidhex;
	r.published = it->published;
	r.updated = it->updated;
	r.first_seen = now;
	if (store_release_insert(s, &r, it->hashes, it->nhashes) == -1 ||
	    deliver(s, source, it, r.id, now) == -1)
		return DEDUP_ERROR;
	*release = r.id;
	return DEDUP_NEW;
}

/* Revise stored release id with the item's text. */
static enum dedup_result
revise(struct store *s, int64_t id, const struct store_release *old, struct item *it,
    const struct feed_entry *e, int64_t now)
{
	struct store_release r;
	enum dedup_result res;

	memset(&r, 0, sizeof(r));
	fill_release(&r, it, e);
	r.id = id;
	/* the first source's link and author stay the release's */
	r.link = old->link;
	r.canonical_link = old->canonical_link ? old->canonical_link : r.canonical_link;
	r.author = old->author ? old->author : r.author;
	r.categories = categories_union(old->categories, it->categories);
	if (r.categories == NULL)
		r.categories = old->categories ? old->categories : it->categories;
	r.published = old->published < it->published ? old->published : it->published;
	/* <updated> moves: to the feed's date when it is later, else to now */
	r.updated = it->updated > old->updated ? it->updated : now > old->updated ? now : old->updated + 1;
	res = store_release_revise(s, &r, it->hashes, it->nhashes) == -1 ? DEDUP_ERROR : DEDUP_UPDATED;
	if (r.categories != old->categories && r.categories != it->categories)
		free(r.categories);
	return res;
}

/* Whether the item is a version of release old (rather than another
 * release under a reused GUID or link). */
static int
same_release(struct store *s, const struct item *it, const struct store_release *old,
    int *error)
{
	char *old_key = normalise_key(old->title ? old->title : "");
	int same = strcmp(old_key, it->title_key) == 0 && it->title_key[0] != '\0';
	uint64_t *theirs;
	size_t ntheirs, common = 0;

	free(old_key);
	if (same)
		return 1;
	if (store_paragraph_hashes(s, old->id, &theirs, &ntheirs) == -1) {
		*error = 1;
		return 0;
	}
	for (size_t i = 0; i < ntheirs; i++)
		common += has_hash(it->hashes, it->nhashes, theirs[i]);
	free(theirs);
	if (it->nhashes + ntheirs == common)
		return 0;
	return (double)common / (double)(it->nhashes + ntheirs - common) >= DEDUP_REVISION_OVERLAP;
}

/*
 * The item belongs to release id (found by link or overlap) and comes from
 * a delivery not seen before: revise the release if this copy is newer and
 * says something else, else it is one more copy.
 */
static enum dedup_result
join(struct store *s, const char *source, struct item *it, const struct feed_entry *e,
    int64_t id, int64_t now)
{
	struct store_release old;
	enum dedup_result r = DEDUP_DUPLICATE;

	int news = 0;

	if (store_release_get(s, id, &old) == -1)
		return DEDUP_ERROR;
	if (memcmp(old.content_hash, it->content, STORE_HASH_BYTES) != 0 &&
	    it->updated > old.updated && (news = has_new_content(s, it, &old)) < 0)
		r = DEDUP_ERROR;
	else if (news)
		r = revise(s, id, &old, it, e, now);
	else if (store_release_touch(s, id, it->published) == -1 ||
	    merge_categories(s, id, old.categories, it->categories) == -1)
		r = DEDUP_ERROR;
	if (r != DEDUP_ERROR && deliver(s, source, it, id, now) == -1)
		r = DEDUP_ERROR;
	store_release_clear(&old);
	return r;
}

static int
tombstoned(struct store *s, const char *source, const struct item *it, int64_t now)
{
	size_t sl = strlen(source), kl = strlen(it->key);
	char *k = xmalloc(sl + kl + 2);
	unsigned char f[1 + STORE_HASH_BYTES];
	int r;

	k[0] = 'k';
	memcpy(k + 1, source, sl);
	k[1 + sl] = '\0';
	memcpy(k + 2 + sl, it->key, kl);
	r = store_tombstone_check(s, k, sl + kl + 2, now);
	free(k);
	if (r != 0)
		return r;
	f[0] = 'f';
	memcpy(f + 1, it->fp, STORE_HASH_BYTES);
	if ((r = store_tombstone_check(s, f, sizeof(f), now)) != 0)
		return r;
	if (it->canon != NULL) {
		char *l = xasprintf("l%s", it->canon);

		r = store_tombstone_check(s, l, strlen(l), now);
		free(l);
	}
	return r;
}

enum dedup_result
dedup_entry(struct store *s, const struct dedup_config *c, const char *source,
    const struct feed_entry *e, int64_t now, struct dedup_outcome *outcome)
{
	struct item it;
	struct store_release old;
	struct store_delivery d;
	unsigned char raw[STORE_HASH_BYTES];
	enum dedup_result r;
	int64_t id = 0;
	int found = 0, error = 0, news, have_key;
	char *key = NULL;

	/* Polled again as it was: known from the entry's bytes alone, before
	 * any normalising (the common case of every poll). */
	raw_hash(e, raw);
	if (e->id != NULL && *e->id != '\0')
		key = xstrdup(e->id);
	else if (e->link != NULL) {
		char *canon = dedup_canonical_link(e->link);

		key = canon ? xasprintf("link:%s", canon) : NULL;
		free(canon);
	}
	if ((have_key = key != NULL)) {
		found = store_delivery_get(s, source, key, &d);
		free(key);
		if (found == -1)
			return DEDUP_ERROR;
		if (found && memcmp(d.raw_hash, raw, STORE_HASH_BYTES) == 0) {
			if (outcome != NULL) {
				outcome->release = d.release;
				outcome->repeats = 0;
			}
			return DEDUP_UNCHANGED;
		}
	}
	if (c->quick_only) {
		if (outcome != NULL)
			memset(outcome, 0, sizeof(*outcome));
		return DEDUP_DEFERRED;
	}

	item_build(&it, e, now);
	memcpy(it.raw, raw, STORE_HASH_BYTES);
	if (!have_key && (found = store_delivery_get(s, source, it.key, &d)) == -1) {
		r = DEDUP_ERROR;
		goto out;
	}
	if (found) {
		id = d.release;
		if (memcmp(d.content_hash, it.content, STORE_HASH_BYTES) == 0) {
			/* the same text in other bytes: remember these bytes */
			r = deliver(s, source, &it, id, now) == -1 ? DEDUP_ERROR : DEDUP_UNCHANGED;
			goto out;
		}
		if (store_release_get(s, id, &old) == -1) {
			r = DEDUP_ERROR;
			goto out;
		}
		if (same_release(s, &it, &old, &error)) {
			/* the source changed what it says under this key: a
			 * revision, unless all it changed is boilerplate, or it
			 * is an older version (a mirror lagging behind) */
			if (it.updated < old.updated)
				r = DEDUP_UNCHANGED;
			else if ((news = has_new_content(s, &it, &old)) < 0)
				r = DEDUP_ERROR;
			else if (news)
				r = revise(s, id, &old, &it, e, now);
			else
				r = DEDUP_UNCHANGED;
			if (r != DEDUP_ERROR && deliver(s, source, &it, id, now) == -1)
				r = DEDUP_ERROR;
		} else if (error)
			r = DEDUP_ERROR;
		else
			r = create(s, source, &it, e, now, &id);	/* a reused GUID */
		store_release_clear(&old);
		goto out;
	}
	if ((found = tombstoned(s, source, &it, now)) != 0) {
		r = found < 0 ? DEDUP_ERROR : DEDUP_PRUNED;
		id = 0;
		goto out;
	}
	if (c->keep_seconds > 0 && it.published < now - c->keep_seconds) {
		r = DEDUP_OLD;
		goto out;
	}
	if ((found = store_release_by_fingerprint(s, it.fp, &id)) != 0) {
		if (found < 0) {
			r = DEDUP_ERROR;
			goto out;
		}
		r = DEDUP_DUPLICATE;
		if (store_release_touch(s, id, it.published) == -1 ||
		    deliver(s, source, &it, id, now) == -1)
			r = DEDUP_ERROR;
		else if (it.categories != NULL) {
			if (store_release_get(s, id, &old) == -1 ||
			    merge_categories(s, id, old.categories, it.categories) == -1)
				r = DEDUP_ERROR;
			store_release_clear(&old);
		}
		goto out;
	}
	if (it.canon != NULL && (found = store_release_by_link(s, it.canon, &id)) != 0) {
		if (found < 0) {
			r = DEDUP_ERROR;
			goto out;
		}
		if (store_release_get(s, id, &old) == -1) {
			r = DEDUP_ERROR;
			goto out;
		}
		found = same_release(s, &it, &old, &error);
		store_release_clear(&old);
		if (error) {
			r = DEDUP_ERROR;
			goto out;
		}
		if (found) {
			r = join(s, source, &it, e, id, now);
			goto out;
		}
	}
	if ((found = best_overlap(s, &it, c->update_overlap, &id)) != 0) {
		r = found < 0 ? DEDUP_ERROR : join(s, source, &it, e, id, now);
		goto out;
	}
	r = create(s, source, &it, e, now, &id);
out:
	if (outcome != NULL) {
		outcome->release = r == DEDUP_ERROR || r == DEDUP_PRUNED || r == DEDUP_OLD ? 0 : id;
		outcome->repeats = it.body.repeats;
	}
	item_release(&it);
	return r;
}

const char *
dedup_result_name(enum dedup_result r)
{
	static const char *const names[] = {
		"new", "updated", "duplicate", "unchanged", "pruned", "old", "deferred",
		"error",
	};

	return names[r];
}
