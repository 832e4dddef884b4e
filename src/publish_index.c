/*
 * publish_index: index.html and feeds.opml (publish_int.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "date.h"
#include "publish_int.h"
#include "store.h"
#include "xmalloc.h"

#define INDEX_PER_FIELD		10	/* releases listed under each field */
#define INDEX_LATEST		20	/* in the "latest" list at the top */

/* ---- index.html and feeds.opml ---- */

static void
html_text(struct buf *b, const char *s)
{
	pub_add_text(b, s, 1);
}

static void
index_release(struct pub *p, struct buf *b, int64_t id)
{
	struct store_release r;
	char d[DATE_RFC3339_SIZE];

	memset(&r, 0, sizeof(r));
	if (store_release_get(p->s, id, &r) == -1)
		return;
	date_format_rfc3339(r.published, d);
	d[10] = '\0';
	buf_addstr(b, "<li><time datetime=\"");
	buf_addstr(b, d);
	buf_addstr(b, "\">");
	buf_addstr(b, d);
	buf_addstr(b, "</time> ");
	if (pub_safe_link(&r) != NULL) {
		buf_addstr(b, "<a href=\"");
		html_text(b, pub_safe_link(&r));
		buf_addstr(b, "\">");
		html_text(b, r.title);
		buf_addstr(b, "</a>");
	} else
		html_text(b, r.title);
	buf_addstr(b, "</li>\n");
	store_release_clear(&r);
}

int
pub_write_index(struct pub *p)
{
	struct buf b;
	int status;

	buf_init(&b, (size_t)-1);
	buf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Releases by field of work</title>\n"
	    "<meta name=\"generator\" content=\"feedmill " PACKAGE_VERSION "\">\n");
	for (size_t i = 0; i < p->nfeeds; i++) {
		char *rel = pub_page_path(&p->feeds[i], -1);

		if (strncmp(p->feeds[i].key, "sources/", 8) == 0) {
			free(rel);
			continue;
		}
		buf_addstr(&b, "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"");
		html_text(&b, p->feeds[i].title);
		buf_addstr(&b, "\" href=\"");
		html_text(&b, rel);
		buf_addstr(&b, "\">\n");
		free(rel);
	}
	buf_addstr(&b, "<style>body{font-family:sans-serif;max-width:50em;margin:auto;"
	    "padding:0 1em;line-height:1.4}h2{margin-top:1.5em}li{margin:.3em 0}"
	    "time{color:#555;font-size:.9em}.sub{font-size:.9em}</style>\n"
	    "</head>\n<body>\n<h1>Releases by field of work</h1>\n"
	    "<p class=\"sub\">Subscribe: <a href=\"all.atom\">all releases (Atom)</a> · "
	    "<a href=\"feeds.opml\">every feed (OPML)</a></p>\n");
	for (size_t i = 0; i < p->nfeeds; i++) {
		struct feed *f = &p->feeds[i];
		int64_t last, *ids = NULL;
		size_t n = 0;
		int per = f == &p->feeds[0] ? INDEX_LATEST : INDEX_PER_FIELD;
		char *rel;

		if (strncmp(f->key, "sources/", 8) == 0)
			continue;
		if (store_feed_last(p->s, f->key, &last) == -1 ||
		    store_feed_range(p->s, f->key, last + 1 - per, last + 1, &ids, NULL, &n) == -1) {
			buf_release(&b);
			return pub_store_failed(p);
		}
		rel = pub_page_path(f, -1);
		buf_addstr(&b, "<section>\n<h2>");
		html_text(&b, f == &p->feeds[0] ? "Latest releases" : f->title);
		buf_addstr(&b, "</h2>\n<p class=\"sub\"><a href=\"");
		html_text(&b, rel);
		buf_addstr(&b, "\">Subscribe (Atom)</a></p>\n");
		free(rel);
		if (n == 0)
			buf_addstr(&b, "<p>No releases yet.</p>\n");
		else {
			buf_addstr(&b, "<ul>\n");
			for (size_t j = 0; j < n; j++)
				index_release(p, &b, ids[j]);
			buf_addstr(&b, "</ul>\n");
		}
		buf_addstr(&b, "</section>\n");
		free(ids);
	}
	buf_addstr(&b, "<section>\n<h2>Sources</h2>\n<ul>\n");
	for (size_t i = 0; i < p->nfeeds; i++) {
		char *rel;

		if (strncmp(p->feeds[i].key, "sources/", 8) != 0)
			continue;
		rel = pub_page_path(&p->feeds[i], -1);
		buf_addstr(&b, "<li><a href=\"");
		html_text(&b, rel);
		buf_addstr(&b, "\">");
		html_text(&b, p->feeds[i].title);
		buf_addstr(&b, "</a></li>\n");
		free(rel);
	}
	buf_addstr(&b, "</ul>\n</section>\n<footer class=\"sub\">Published by feedmill "
	    PACKAGE_VERSION ".</footer>\n</body>\n</html>\n");
	status = pub_write_file(p, "index.html", &b);
	buf_release(&b);
	return status;
}

int
pub_write_opml(struct pub *p)
{
	struct buf b;
	int status;

	buf_init(&b, (size_t)-1);
	buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n"
	    "  <head>\n    <title>feedmill: every published feed</title>\n  </head>\n  <body>\n");
	for (size_t i = 0; i < p->nfeeds; i++) {
		char *rel = pub_page_path(&p->feeds[i], -1), *u = pub_url(p, rel);

		buf_addstr(&b, "    <outline type=\"rss\" text=\"");
		html_text(&b, p->feeds[i].title);
		buf_addstr(&b, "\" title=\"");
		html_text(&b, p->feeds[i].title);
		buf_addstr(&b, "\" xmlUrl=\"");
		html_text(&b, u);
		buf_addstr(&b, "\"/>\n");
		free(rel);
		free(u);
	}
	buf_addstr(&b, "  </body>\n</opml>\n");
	status = pub_write_file(p, "feeds.opml", &b);
	buf_release(&b);
	return status;
}

