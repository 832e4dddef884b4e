/*
 * publish: Atom feeds, their archives, index.html and feeds.opml
 * (publish.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "conf.h"
#include "date.h"
#include "publish.h"
#include "publish_int.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

/* Rendered entries kept between publishes: the current documents of a
 * few hundred feeds; some 5 KB each. */
#define PUBLISH_CACHE_ENTRIES	40000
#define ATOM_NS			"http://www.w3.org/2005/Atom"
#define HISTORY_NS		"http://purl.org/syndication/history/1.0"

int
pub_fail(struct pub *p, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err == NULL)
		p->err = xstrdup(msg);
	return -1;
}

int
pub_store_failed(struct pub *p)
{
	return pub_fail(p, "%s", store_error(p->s));
}

/* ---- text ---- */

/*
 * Text as XML character data: escaped, characters XML 1.0 forbids
 * dropped, and with fold, line breaks and tabs made spaces (a title is one
 * line, whatever the feed did).
 */
void
pub_add_text(struct buf *b, const char *s, int fold)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t start = 0, i;

	for (i = 0; u[i] != '\0'; i++) {
		const char *rep = NULL;
		unsigned char c = u[i];

		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"')
			rep = "&quot;";
		else if (c == '\r' || c == '\n' || c == '\t')
			rep = fold ? " " : c == '\r' ? "&#13;" : NULL;
		else if (c < 0x20 || c == 0x7f)
			rep = "";
		else if (c == 0xef && u[i + 1] == 0xbf && (u[i + 2] == 0xbe || u[i + 2] == 0xbf)) {
			/* U+FFFE and U+FFFF are not XML characters */
			buf_add(b, u + start, i - start);
			i += 2;
			start = i + 1;
			continue;
		}
		if (rep == NULL)
			continue;
		buf_add(b, u + start, i - start);
		buf_addstr(b, rep);
		start = i + 1;
	}
	buf_add(b, u + start, i - start);
}

static void
add_element(struct buf *b, const char *indent, const char *name, const char *text)
{
	buf_addstr(b, indent);
	buf_addc(b, '<');
	buf_addstr(b, name);
	buf_addc(b, '>');
	pub_add_text(b, text, 1);
	buf_addstr(b, "</");
	buf_addstr(b, name);
	buf_addstr(b, ">\n");
}

static void
add_date(struct buf *b, const char *indent, const char *name, int64_t t)
{
	char d[DATE_RFC3339_SIZE];

	date_format_rfc3339(t, d);
	add_element(b, indent, name, d);
}

static void
add_link(struct buf *b, const char *indent, const char *rel, const char *type,
    const char *href)
{
	buf_addstr(b, indent);
	buf_addstr(b, "<link rel=\"");
	buf_addstr(b, rel);
	if (type != NULL) {
		buf_addstr(b, "\" type=\"");
		buf_addstr(b, type);
	}
	buf_addstr(b, "\" href=\"");
	pub_add_text(b, href, 1);
	buf_addstr(b, "\"/>\n");
}

static int
web_url(const char *l)
{
	return l != NULL && (strncasecmp(l, "http://", 7) == 0 || strncasecmp(l, "https://", 8) == 0);
}

/* A release's link, if it is one a reader may follow: http or https only
 * (the parser keeps what the feed said; javascript: and data: stop here). */
const char *
pub_safe_link(const struct store_release *r)
{
	const char *l = r->canonical_link ? r->canonical_link : r->link;

	return web_url(l) ? l : NULL;
}

/* How a source is named to readers: its feed's title, else its name. */
static char *
source_title(struct pub *p, const char *name)
{
	struct store_source st;
	char *title;

	memset(&st, 0, sizeof(st));
	if (store_source_get(p->s, name, &st) == 0 && st.feed_title != NULL &&
	    st.feed_title[0] != '\0')
		title = xstrdup(st.feed_title);
	else
		title = xstrdup(name);
	store_source_release(&st);
	return title;
}

/* ---- the publisher's identity ---- */

/* The authority of tag: URIs, fixed at the first publish. */
static int
load_authority(struct pub *p)
{
	char *v, *host = NULL, date[DATE_RFC3339_SIZE];
	CURLU *u;
	int r;

	if ((r = store_meta_get(p->s, "authority", &v)) == -1)
		return pub_store_failed(p);
	if (r == 0) {
		u = curl_url();
		if (u == NULL || curl_url_set(u, CURLUPART_URL, p->c->base_url, 0) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
			curl_url_cleanup(u);
			return pub_fail(p, "base_url '%s' has no host", p->c->base_url);
		}
		curl_url_cleanup(u);
		date_format_rfc3339((int64_t)time(NULL), date);
		date[10] = '\0';
		/* a tag: authority is a DNS name: an IPv6 literal's brackets go */
		v = xasprintf("%s,%s", host[0] == '[' ? "localhost" : host, date);
		curl_free(host);
		if (store_meta_set(p->s, "authority", v) == -1) {
			free(v);
			return pub_store_failed(p);
		}
	}
	p->authority = v;
	{
		const char *comma = strrchr(v, ',');
		unsigned y, m, d;

		p->epoch = 0;
		if (comma != NULL && sscanf(comma + 1, "%4u-%2u-%2u", &y, &m, &d) == 3)
			p->epoch = date_days_from_civil(y, m, d) * 86400;
	}
	return 0;
}

/* ---- feeds ---- */

static struct feed *
feed_add(struct pub *p, char *key, char *title)
{
	struct feed *f;

	p->feeds = xrealloc(p->feeds, (p->nfeeds + 1) * sizeof(*p->feeds));
	f = &p->feeds[p->nfeeds++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->title = title;
	return f;
}

static struct feed *
feed_find(struct pub *p, const char *key)
{
	for (size_t i = 0; i < p->nfeeds; i++)
		if (strcmp(p->feeds[i].key, key) == 0)
			return &p->feeds[i];
	return NULL;
}

/* Every feed the configuration publishes. */
static int
list_feeds(struct pub *p)
{
	feed_add(p, xstrdup("all"), xstrdup("All releases"));
	for (size_t i = 0; i < tagger_nfields(p->t); i++) {
		const struct tag_field *f = tagger_field(p->t, i);

		feed_add(p, xasprintf("fields/%s", f->slug), xstrdup(f->name));
	}
	for (size_t i = 0; i < p->c->nsources; i++) {
		struct store_source st;
		const char *name = p->c->sources[i].name;
		char *title;

		memset(&st, 0, sizeof(st));
		if (store_source_get(p->s, name, &st) == 0 && st.feed_title != NULL &&
		    st.feed_title[0] != '\0')
			title = xasprintf("%s (%s)", st.feed_title, name);
		else
			title = xstrdup(name);
		store_source_release(&st);
		feed_add(p, xasprintf("sources/%s", name), title);
	}
	return 0;
}

/* What the published files depend on besides the releases: when it
 * changes, everything is published again. */
static char *
layout_key(struct pub *p)
{
	struct buf b;

	buf_init(&b, (size_t)-1);
	buf_addstr(&b, p->c->base_url);
	{
		char n[32];

		snprintf(n, sizeof(n), "\n%d", p->c->max_entries);
		buf_addstr(&b, n);
	}
	for (size_t i = 0; i < p->nfeeds; i++) {
		buf_addc(&b, '\n');
		buf_addstr(&b, p->feeds[i].key);
		buf_addc(&b, '\t');
		buf_addstr(&b, p->feeds[i].title);
	}
	return buf_detach(&b);
}

static void
note_dirty(struct feed *f, int64_t seq)
{
	f->dirty = xrealloc(f->dirty, (f->ndirty + 1) * sizeof(*f->dirty));
	f->dirty[f->ndirty++] = seq;
	f->touched = 1;
}

/*
 * Put a changed release in the feeds it belongs to now (all, its fields,
 * its sources), take it out of field feeds it left, and note its seq in
 * each as changed.
 */
static int
place_release(struct pub *p, int64_t id)
{
	struct store_field *fields = NULL;
	char **sources = NULL, **had = NULL;
	int64_t *hadseq = NULL, seq;
	size_t nfields = 0, nsources = 0, nhad = 0;
	char **want = NULL;
	size_t nwant = 0;
	int status = -1;

	if (store_release_fields(p->s, id, &fields, &nfields) == -1 ||
	    store_release_sources(p->s, id, &sources, &nsources) == -1 ||
	    store_release_feeds(p->s, id, &had, &hadseq, &nhad) == -1) {
		pub_store_failed(p);
		goto out;
	}
	want = xcalloc(1 + nfields + nsources, sizeof(*want));
	want[nwant++] = xstrdup("all");
	for (size_t i = 0; i < nfields; i++)
		want[nwant++] = xasprintf("fields/%s", fields[i].slug);
	for (size_t i = 0; i < nsources; i++)
		want[nwant++] = xasprintf("sources/%s", sources[i]);
	for (size_t i = 0; i < nhad; i++) {
		int kept = 0;

		for (size_t j = 0; j < nwant && !kept; j++)
			kept = strcmp(had[i], want[j]) == 0;
		if (kept)
			continue;
		if (store_feed_drop(p->s, had[i], id) == -1) {
			pub_store_failed(p);
			goto out;
		}
		if (feed_find(p, had[i]) != NULL)
			note_dirty(feed_find(p, had[i]), hadseq[i]);
	}
	for (size_t i = 0; i < nwant; i++) {
		struct feed *f = feed_find(p, want[i]);

		if (f == NULL)
			continue;	/* a field or source no longer configured */
		if (store_feed_add(p->s, want[i], id, &seq) == -1) {
			pub_store_failed(p);
			goto out;
		}
		note_dirty(f, seq);
	}
	status = 0;
out:
	store_fields_free(fields, nfields);
	for (size_t i = 0; i < nsources; i++)
		free(sources[i]);
	free(sources);
	for (size_t i = 0; i < nhad; i++)
		free(had[i]);
	free(had);
	free(hadseq);
	for (size_t i = 0; i < nwant; i++)
		free(want[i]);
	free(want);
	return status;
}

/* ---- entries ---- */

static struct cached_entry *
cache_slot(struct publisher *pb, int64_t id)
{
	size_t i;

	if (2 * (pb->cache_n + 1) > pb->cache_size) {
		struct cached_entry *old = pb->cache;
		size_t n = pb->cache_size;

		pb->cache_size = n ? 2 * n : 1024;
		pb->cache = xcalloc(pb->cache_size, sizeof(*pb->cache));
		pb->cache_n = 0;
		for (size_t j = 0; j < n; j++)
			if (old[j].xml != NULL) {
				struct cached_entry *e = cache_slot(pb, old[j].id);

				*e = old[j];
				pb->cache_n++;
			}
		free(old);
	}
	for (i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ull) & (pb->cache_size - 1);
	    pb->cache[i].xml != NULL && pb->cache[i].id != id; i = (i + 1) & (pb->cache_size - 1))
		;
	return &pb->cache[i];
}

static int
int64_cmp(const void *a, const void *b);

enum cache_drop {
	DROP_LISTED,	/* the releases in drop[] (they changed) */
	DROP_UNUSED,	/* what no current document of this publish used */
	DROP_STALE,	/* ... nor of the publish before */
	DROP_ALL,
};

/* Drop entries from the cache, rebuilding its table. */
static void
cache_filter(struct publisher *pb, const int64_t *drop, size_t ndrop, enum cache_drop how)
{
	struct cached_entry *old = pb->cache;
	size_t n = pb->cache_size;

	pb->cache = NULL;
	pb->cache_size = 0;
	pb->cache_n = 0;
	for (size_t j = 0; j < n; j++) {
		if (old[j].xml == NULL)
			continue;
		if (how == DROP_ALL || (how == DROP_UNUSED && old[j].used != pb->run) ||
		    (how == DROP_STALE && old[j].used + 1 < pb->run) ||
		    (how == DROP_LISTED && ndrop > 0 &&
		    bsearch(&old[j].id, drop, ndrop, sizeof(*drop), int64_cmp) != NULL)) {
			free(old[j].xml);
			continue;
		}
		*cache_slot(pb, old[j].id) = old[j];
		pb->cache_n++;
	}
	free(old);
}

struct publisher *
publisher_new(void)
{
	struct publisher *pb = xcalloc(1, sizeof(struct publisher));

	/* publishes count from 2: an entry's used = 0 is "never in a current
	 * document", older than any publish before this one */
	pb->run = 1;
	return pb;
}

void
publisher_free(struct publisher *pb)
{
	if (pb == NULL)
		return;
	for (size_t i = 0; i < pb->cache_size; i++)
		free(pb->cache[i].xml);
	free(pb->cache);
	free(pb);
}

/* The feed a release came from (its first source), for <source>. */
static void
add_source(struct pub *p, struct buf *b, const char *name)
{
	struct store_source st;
	char *url;

	memset(&st, 0, sizeof(st));
	if (store_source_get(p->s, name, &st) == -1)
		return;
	buf_addstr(b, "    <source>\n");
	/* the feed's own id, else its address; a local (file:) address is
	 * nobody's business: then an id of ours */
	if (st.feed_id != NULL && st.feed_id[0] != '\0')
		url = xstrdup(st.feed_id);
	else if (web_url(st.url))
		url = xstrdup(st.url);
	else
		url = xasprintf("tag:%s:source/%s", p->authority, name);
	add_element(b, "      ", "id", url);
	free(url);
	add_element(b, "      ", "title", st.feed_title != NULL && st.feed_title[0] != '\0' ?
	    st.feed_title : name);
	if (web_url(st.feed_link))
		add_link(b, "      ", "alternate", NULL, st.feed_link);
	if (web_url(st.url))
		add_link(b, "      ", "self", NULL, st.url);
	buf_addstr(b, "    </source>\n");
	store_source_release(&st);
}

static int
render_entry(struct pub *p, int64_t id, struct cached_entry *ce)
{
	struct store_release r;
	struct store_field *fields = NULL;
	char **sources = NULL;
	size_t nfields = 0, nsources = 0;
	struct buf b, html;
	char *tagid;

	memset(&r, 0, sizeof(r));
	if (store_release_get(p->s, id, &r) == -1 ||
	    store_release_fields(p->s, id, &fields, &nfields) == -1 ||
	    store_release_sources(p->s, id, &sources, &nsources) == -1) {
		store_release_clear(&r);
		store_fields_free(fields, nfields);
		return pub_store_failed(p);
	}
	buf_init(&b, (size_t)-1);
	buf_addstr(&b, "  <entry>\n");
	tagid = xasprintf("tag:%s:release/%s", p->authority, r.uid);
	add_element(&b, "    ", "id", tagid);
	free(tagid);
	add_element(&b, "    ", "title", r.title);
	if (pub_safe_link(&r) != NULL)
		add_link(&b, "    ", "alternate", "text/html", pub_safe_link(&r));
	add_date(&b, "    ", "published", r.published);
	add_date(&b, "    ", "updated", r.updated > r.published ? r.updated : r.published);
	if (r.author != NULL && r.author[0] != '\0') {
		buf_addstr(&b, "    <author>\n");
		add_element(&b, "      ", "name", r.author);
		buf_addstr(&b, "    </author>\n");
	}
	if (r.summary != NULL && r.summary[0] != '\0')
		add_element(&b, "    ", "summary", r.summary);
	/* the body, then who else carried it */
	buf_init(&html, (size_t)-1);
	buf_addstr(&html, r.body_html ? r.body_html : "");
	if (nsources > 1) {
		buf_addstr(&html, "<p class=\"feedmill-sources\">Also published by ");
		for (size_t i = 1; i < nsources; i++) {
			char *title = source_title(p, sources[i]);

			if (i > 1)
				buf_addstr(&html, i + 1 == nsources ? " and " : ", ");
			buf_add_escaped(&html, title, strlen(title), 1);
			free(title);
		}
		buf_addstr(&html, ".</p>");
	}
	buf_addstr(&b, "    <content type=\"html\">");
	pub_add_text(&b, buf_str(&html), 0);
	buf_addstr(&b, "</content>\n");
	buf_release(&html);
	/* categories in taxonomy order */
	for (size_t i = 0; i < tagger_nfields(p->t); i++) {
		const struct tag_field *f = tagger_field(p->t, i);

		for (size_t j = 0; j < nfields; j++) {
			if (strcmp(fields[j].slug, f->slug) != 0)
				continue;
			buf_addstr(&b, "    <category term=\"");
			pub_add_text(&b, f->slug, 1);
			buf_addstr(&b, "\" label=\"");
			pub_add_text(&b, f->name, 1);
			buf_addstr(&b, "\" scheme=\"");
			pub_add_text(&b, p->c->base_url, 1);
			buf_addstr(&b, "fields/\"/>\n");
		}
	}
	if (nsources > 0)
		add_source(p, &b, sources[0]);
	buf_addstr(&b, "  </entry>\n");
	ce->id = id;
	ce->len = b.len;
	pub_hash(ce->hash, b.data, b.len);
	ce->xml = buf_detach(&b);
	ce->updated = r.updated > r.published ? r.updated : r.published;
	ce->published = r.published;
	p->pb->cache_n++;
	store_release_clear(&r);
	store_fields_free(fields, nfields);
	for (size_t i = 0; i < nsources; i++)
		free(sources[i]);
	free(sources);
	return 0;
}

/* A release's entry, rendered now or by an earlier publish. Only entries
 * of current documents count as used: those are what the next publish
 * writes again; an archive page is written once. */
static struct cached_entry *
entry(struct pub *p, int64_t id, int current)
{
	struct cached_entry *ce = cache_slot(p->pb, id);

	if (ce->xml == NULL && render_entry(p, id, ce) == -1)
		return NULL;
	if (current)
		ce->used = p->pb->run;
	return ce;
}

/* ---- feed documents ---- */

char *
pub_url(const struct pub *p, const char *rel)
{
	return xasprintf("%s%s", p->c->base_url, rel);
}

char *
pub_page_path(const struct feed *f, int64_t page)
{
	return page < 0 ? xasprintf("%s.atom", f->key) :
	    xasprintf("archive/%s/%lld.atom", f->key, (long long)page);
}

static int
by_date(const void *a, const void *b)
{
	const struct cached_entry *x = *(struct cached_entry *const *)a;
	const struct cached_entry *y = *(struct cached_entry *const *)b;

	if (x->published != y->published)
		return x->published > y->published ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * One document of a feed: the current one (page -1: the newest
 * max_entries) or archive page `page` of `complete` complete ones.
 */
static int
write_document(struct pub *p, const struct feed *f, int64_t page, int64_t complete,
    int64_t last)
{
	const int64_t per = p->c->max_entries;
	int64_t lo = page < 0 ? last + 1 - per : page * per;
	int64_t hi = page < 0 ? last + 1 : (page + 1) * per, newest = INT64_MIN;
	int64_t *ids = NULL;
	struct cached_entry **v = NULL;
	size_t n = 0;
	static char feed_end[] = "</feed>\n";	/* writev does not write to it */
	struct iovec *parts;
	struct buf b, key;
	char *rel = pub_page_path(f, page), *u, *tagid;
	int status = -1;

	if (store_feed_range(p->s, f->key, lo < 0 ? 0 : lo, hi, &ids, NULL, &n) == -1) {
		pub_store_failed(p);
		goto out;
	}
	/* newest first by date; the same date, the later arrival first */
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct cached_entry *ce = entry(p, ids[i], page < 0);

		if (ce == NULL)
			goto out;
		/* the cache may grow and move: keep copies of what we sort */
		v[i] = xmalloc(sizeof(**v));
		*v[i] = *ce;
		v[i]->id = (int64_t)i;	/* arrival rank: ids come newest first */
		if (ce->updated > newest)
			newest = ce->updated;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_date);
	if (n == 0)
		newest = p->epoch;
	buf_init(&b, (size_t)-1);
	buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\""
	    ATOM_NS "\" xmlns:fh=\"" HISTORY_NS "\">\n");
	tagid = xasprintf("tag:%s:feed/%s", p->authority, f->key);
	add_element(&b, "  ", "id", tagid);
	free(tagid);
	add_element(&b, "  ", "title", f->title);
	add_date(&b, "  ", "updated", newest);
	u = pub_url(p, rel);
	add_link(&b, "  ", "self", "application/atom+xml", u);
	free(u);
	u = pub_url(p, "index.html");
	add_link(&b, "  ", "alternate", "text/html", u);
	free(u);
	if (page >= 0) {
		char *cur = pub_page_path(f, -1);

		u = pub_url(p, cur);
		add_link(&b, "  ", "current", "application/atom+xml", u);
		free(u);
		free(cur);
	}
	/* older: the page before this one, or for the current document the
	 * newest complete page */
	if ((page < 0 && complete > 0) || page > 0) {
		char *prev = pub_page_path(f, page < 0 ? complete - 1 : page - 1);

		u = pub_url(p, prev);
		add_link(&b, "  ", "prev-archive", "application/atom+xml", u);
		free(u);
		free(prev);
	}
	/* no next-archive: a complete page would have to change when the
	 * next one completes; readers walk back from the current document */
	if (page >= 0)
		buf_addstr(&b, "  <fh:archive/>\n");
	buf_addstr(&b, "  <author>\n");
	add_element(&b, "    ", "name", "feedmill");
	buf_addstr(&b, "  </author>\n");
	buf_addstr(&b, "  <generator uri=\"" PACKAGE_URL "\" version=\"" PACKAGE_VERSION
	    "\">feedmill</generator>\n");
	/* the head, each entry as the cache holds it, the end: written as
	 * they are, a document is never joined in memory */
	parts = xcalloc(n + 2, sizeof(*parts));
	parts[0].iov_base = b.data;
	parts[0].iov_len = b.len;
	for (size_t i = 0; i < n; i++) {
		parts[i + 1].iov_base = v[i]->xml;
		parts[i + 1].iov_len = v[i]->len;
	}
	parts[n + 1].iov_base = feed_end;
	parts[n + 1].iov_len = sizeof(feed_end) - 1;
	/* what the document's content comes down to: its head and its
	 * entries' hashes (the end is always the same) */
	buf_init(&key, (size_t)-1);
	buf_add(&key, b.data, b.len);
	for (size_t i = 0; i < n; i++)
		buf_add(&key, v[i]->hash, sizeof(v[i]->hash));
	status = pub_write_parts(p, rel, parts, n + 2, &key);
	buf_release(&key);
	free(parts);
	buf_release(&b);
	/* a full publish must not hold every release rendered at once: past
	 * the bound, what no current document used in this publish or the
	 * last goes, then if need be everything; dropped entries are
	 * rendered again when needed (the sorted copies above point into the
	 * cache only until here) */
	if (p->pb->cache_n > PUBLISH_CACHE_ENTRIES)
		cache_filter(p->pb, NULL, 0, DROP_STALE);
	if (p->pb->cache_n > PUBLISH_CACHE_ENTRIES)
		cache_filter(p->pb, NULL, 0, DROP_ALL);
out:
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
	free(ids);
	free(rel);
	return status;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Archive pages that are not on disk (deleted by hand) are written
 * again: a reader walking back must not meet a 404. One listing of the
 * feed's archive directory, not a stat a page: a publish with nothing new
 * looks at every page of every feed. */
static int
mend_pages(struct pub *p, const struct feed *f, int64_t complete, int64_t last)
{
	char *dir;
	unsigned char *present;
	DIR *d;
	struct dirent *de;
	int status = 0;

	if (complete <= 0)
		return 0;
	present = xcalloc((size_t)complete, 1);
	dir = xasprintf("%s/archive/%s", p->c->output_dir, f->key);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *end;
			long long k;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			errno = 0;
			k = strtoll(de->d_name, &end, 10);
			if (errno == 0 && strcmp(end, ".atom") == 0 && k >= 0 && k < complete)
				present[k] = 1;
		}
		closedir(d);
	}
	free(dir);
	for (int64_t k = 0; k < complete && status == 0; k++)
		if (!present[k])
			status = write_document(p, f, k, complete, last);
	free(present);
	return status;
}

/* A feed's current document and the archive pages that changed. */
static int
write_feed(struct pub *p, struct feed *f, int full)
{
	const int64_t per = p->c->max_entries;
	int64_t last, complete, prev = -1;

	if (store_feed_last(p->s, f->key, &last) == -1)
		return pub_store_failed(p);
	complete = (last + 1) / per;
	p->stats->feeds++;
	if (write_document(p, f, -1, complete, last) == -1)
		return -1;
	if (full) {
		for (int64_t k = 0; k < complete; k++)
			if (write_document(p, f, k, complete, last) == -1)
				return -1;
		return 0;
	}
	if (mend_pages(p, f, complete, last) == -1)
		return -1;
	/* the pages of changed releases (a page just completed is one) */
	for (size_t i = 0; i < f->ndirty; i++)
		f->dirty[i] /= per;
	if (f->ndirty > 1)
		qsort(f->dirty, f->ndirty, sizeof(*f->dirty), int64_cmp);
	for (size_t i = 0; i < f->ndirty; i++) {
		int64_t k = f->dirty[i];

		char *rel;
		int again;

		if (k == prev || k >= complete)
			continue;
		prev = k;
		/* a page that completed in this run was missing, so mend_pages
		 * wrote it already */
		rel = pub_page_path(f, k);
		again = pub_staged(p, rel);
		free(rel);
		if (!again && write_document(p, f, k, complete, last) == -1)
			return -1;
	}
	return 0;
}

/* ---- the whole ---- */

int
publish_run(struct publisher *pb, struct store *s, struct tagger *t, const struct conf *c,
    struct publish_stats *stats, char **err)
{
	struct publisher *own = pb == NULL ? publisher_new() : NULL;
	struct pub p;
	int64_t *ids = NULL;
	size_t n = 0;
	char *layout = NULL, *old = NULL, **dirty = NULL;
	size_t ndirty = 0;
	int full, r, status = -1;

	memset(&p, 0, sizeof(p));
	memset(stats, 0, sizeof(*stats));
	p.s = s;
	p.t = t;
	p.c = c;
	p.stats = stats;
	p.pb = pb != NULL ? pb : own;
	p.pb->run++;
	*err = NULL;
	if (store_begin(s) == -1 || load_authority(&p) == -1 || list_feeds(&p) == -1) {
		if (p.err == NULL)
			pub_store_failed(&p);
		goto out;
	}
	layout = layout_key(&p);
	if ((r = store_meta_get(s, "layout", &old)) == -1 ||
	    (full = r == 0 || strcmp(old, layout) != 0) == 0) {
		char *all = NULL;

		if (r == -1 || (r = store_meta_get(s, "publish_all", &all)) == -1) {
			pub_store_failed(&p);
			goto out;
		}
		full = r == 1;
		free(all);
	}
	stats->full = full;
	if (store_publish_pending(s, full, &ids, &n) == -1 ||
	    store_publish_dirty_feeds(s, &dirty, &ndirty) == -1) {
		pub_store_failed(&p);
		goto out;
	}
	stats->releases = n;
	/* what changed is rendered again; after a full publish, everything */
	if (full)
		cache_filter(p.pb, NULL, 0, DROP_ALL);
	else if (n > 0) {
		int64_t *sorted = xmalloc(n * sizeof(*sorted));

		memcpy(sorted, ids, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), int64_cmp);
		cache_filter(p.pb, sorted, n, DROP_LISTED);
		free(sorted);
	}
	for (size_t i = 0; i < n; i++)
		if (place_release(&p, ids[i]) == -1)
			goto out;
	for (size_t i = 0; i < ndirty; i++)
		if (feed_find(&p, dirty[i]) != NULL)
			feed_find(&p, dirty[i])->touched = 1;
	for (size_t i = 0; i < p.nfeeds; i++) {
		struct stat st;
		char *rel = pub_page_path(&p.feeds[i], -1), *path = xasprintf("%s/%s", c->output_dir, rel);

		/* a feed not written yet (new, or deleted by hand) is written
		 * whole, archives too */
		int missing = stat(path, &st) == -1;

		if ((full || missing || p.feeds[i].touched) &&
		    write_feed(&p, &p.feeds[i], full || missing) == -1) {
			free(rel);
			free(path);
			goto out;
		}
		if (!(full || missing || p.feeds[i].touched)) {
			int64_t last;

			if (store_feed_last(s, p.feeds[i].key, &last) == -1) {
				pub_store_failed(&p);
				free(rel);
				free(path);
				goto out;
			}
			if (mend_pages(&p, &p.feeds[i], (last + 1) / c->max_entries, last) == -1) {
				free(rel);
				free(path);
				goto out;
			}
		}
		free(rel);
		free(path);
	}
	if (pub_write_index(&p) == -1 || pub_write_opml(&p) == -1 || pub_commit_files(&p) == -1)
		goto out;
	if (store_meta_set(s, "layout", layout) == -1 || store_publish_done(s) == -1) {
		pub_store_failed(&p);
		goto out;
	}
	status = 0;
out:
	if (status == -1)
		*err = p.err ? p.err : xstrdup("cannot publish");
	else
		free(p.err);
	free(ids);
	free(layout);
	free(old);
	for (size_t i = 0; i < ndirty; i++)
		free(dirty[i]);
	free(dirty);
	for (size_t i = 0; i < p.nfeeds; i++) {
		free(p.feeds[i].key);
		free(p.feeds[i].title);
		free(p.feeds[i].dirty);
	}
	free(p.feeds);
	pub_staged_release(&p);
	/* bounded: what the current documents of this publish used */
	if (p.pb->cache_n > PUBLISH_CACHE_ENTRIES)
		cache_filter(p.pb, NULL, 0, DROP_UNUSED);
	if (p.pb->cache_n > PUBLISH_CACHE_ENTRIES)
		cache_filter(p.pb, NULL, 0, DROP_ALL);
	publisher_free(own);
	free(p.authority);
	return status;
}
