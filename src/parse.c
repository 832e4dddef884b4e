#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Debian's expat is built with XML_DTD (configure checks the symbol), which
 * is what declares the billion-laughs limits below. */
#ifndef XML_DTD
#define XML_DTD
#endif
#include <expat.h>

#include "buf.h"
#include "date.h"
#include "encoding.h"
#include "entities.h"
#include "log.h"
#include "parse.h"
#include "uri.h"
#include "xmalloc.h"

/* XML_Parse takes an int length: larger chunks are fed in pieces. */
#define MAX_PIECE_BYTES (16u * 1024 * 1024)
/* Entity expansion may grow the input at most this much (billion laughs). */
#define MAX_ENTITY_AMPLIFICATION 20.0f
#define ENTITY_CHECK_THRESHOLD (1024u * 1024)
#define MAX_MESSAGE 512

/* ---- namespaces ---- */

enum ns {
	NS_NONE, NS_RSS10, NS_RSS090, NS_ATOM10, NS_ATOM03, NS_RDF, NS_CONTENT,
	NS_DC, NS_DCTERMS, NS_MEDIA, NS_XHTML, NS_OTHER,
};

static const struct { const char *uri; enum ns ns; } known_namespaces[] = {
	{ "http://backend.userland.com/rss", NS_NONE },
	{ "http://backend.userland.com/rss2", NS_NONE },
	{ "http://my.netscape.com/rdf/simple/0.9/", NS_RSS090 },
	{ "http://purl.org/atom/ns#", NS_ATOM03 },
	{ "http://purl.org/dc/elements/1.0/", NS_DC },
	{ "http://purl.org/dc/elements/1.1/", NS_DC },
	{ "http://purl.org/dc/terms/", NS_DCTERMS },
	{ "http://purl.org/rss/1.0/", NS_RSS10 },
	{ "http://purl.org/rss/1.0/modules/content/", NS_CONTENT },
	{ "http://search.yahoo.com/mrss", NS_MEDIA },
	{ "http://search.yahoo.com/mrss/", NS_MEDIA },
	{ "http://www.w3.org/1999/02/22-rdf-syntax-ns#", NS_RDF },
	{ "http://www.w3.org/1999/xhtml", NS_XHTML },
	{ "http://www.w3.org/2005/Atom", NS_ATOM10 },
};

/* Feeds often use these prefixes without declaring them. */
static const struct { const char *prefix; enum ns ns; } usual_prefixes[] = {
	{ "atom", NS_ATOM10 }, { "content", NS_CONTENT }, { "dc", NS_DC },
	{ "dcterms", NS_DCTERMS }, { "media", NS_MEDIA }, { "rdf", NS_RDF },
	{ "xhtml", NS_XHTML },
};

/* Namespaces whose elements share one tag table. */
enum ns_class { C_RSS, C_ATOM, C_RDF, C_CONTENT, C_DC, C_DCTERMS, C_MEDIA, C_NONE };

static enum ns_class
ns_class(enum ns ns)
{
	switch (ns) {
	case NS_NONE: case NS_RSS10: case NS_RSS090: return C_RSS;
	case NS_ATOM10: case NS_ATOM03: return C_ATOM;
	case NS_RDF: return C_RDF;
	case NS_CONTENT: return C_CONTENT;
	case NS_DC: return C_DC;
	case NS_DCTERMS: return C_DCTERMS;
	case NS_MEDIA: return C_MEDIA;
	default: return C_NONE;
	}
}

/* ---- the tag table: what each element means (after sfeed) ---- */

enum kind {
	K_ROOT_RSS, K_ROOT_RDF, K_ROOT_FEED,
	K_CONTAINER,	/* <channel>: nothing of its own, rdf:about aside */
	K_ITEM,		/* <item>, <entry> */
	K_TEXT,		/* text into a record slot */
	K_LINK,		/* text, resolved as a URI */
	K_GUID,		/* RSS guid: an id, and a link when a permalink */
	K_DATE,
	K_CATEGORY,	/* text into the category list */
	K_AUTHOR,	/* text into the author list */
	K_ATOM_LINK, K_ATOM_CATEGORY,
	K_PERSON,	/* <atom:author> */
	K_PERSON_NAME, K_PERSON_EMAIL,
	K_SOURCE,	/* <atom:source> */
	K_SKIP,		/* a subtree whose titles and links are not ours */
};

enum { R_ID, R_TITLE, R_LINK, R_SUMMARY, R_CONTENT, R_NTEXT };
enum { D_PUBLISHED, D_UPDATED, R_NDATE };

struct tag {
	enum ns_class	 cls;
	const char	*name;
	enum kind	 kind;
	int		 slot;
	int		 prio;	/* which of several elements wins a slot */
};

/* Sorted by class, then name (strcmp). */
static const struct tag tags[] = {
	{ C_RSS, "author", K_AUTHOR, 0, 0 },
	{ C_RSS, "category", K_CATEGORY, 0, 0 },
	{ C_RSS, "channel", K_CONTAINER, 0, 0 },
	{ C_RSS, "description", K_TEXT, R_SUMMARY, 3 },
	{ C_RSS, "guid", K_GUID, R_ID, 3 },
	{ C_RSS, "image", K_SKIP, 0, 0 },
	{ C_RSS, "item", K_ITEM, 0, 0 },
	{ C_RSS, "lastBuildDate", K_DATE, D_UPDATED, 3 },
	{ C_RSS, "link", K_LINK, R_LINK, 3 },
	{ C_RSS, "pubDate", K_DATE, D_PUBLISHED, 3 },
	{ C_RSS, "rss", K_ROOT_RSS, 0, 0 },
	{ C_RSS, "textInput", K_SKIP, 0, 0 },
	{ C_RSS, "textinput", K_SKIP, 0, 0 },
	{ C_RSS, "title", K_TEXT, R_TITLE, 3 },
	{ C_ATOM, "author", K_PERSON, 0, 0 },
	{ C_ATOM, "category", K_ATOM_CATEGORY, 0, 0 },
	{ C_ATOM, "content", K_TEXT, R_CONTENT, 3 },
	{ C_ATOM, "contributor", K_SKIP, 0, 0 },
	{ C_ATOM, "created", K_DATE, D_PUBLISHED, 1 },
	{ C_ATOM, "email", K_PERSON_EMAIL, 0, 0 },
	{ C_ATOM, "entry", K_ITEM, 0, 0 },
	{ C_ATOM, "feed", K_ROOT_FEED, 0, 0 },
	{ C_ATOM, "id", K_TEXT, R_ID, 3 },
	{ C_ATOM, "issued", K_DATE, D_PUBLISHED, 3 },
	{ C_ATOM, "link", K_ATOM_LINK, 0, 0 },
	{ C_ATOM, "modified", K_DATE, D_UPDATED, 3 },
	{ C_ATOM, "name", K_PERSON_NAME, 0, 0 },
	{ C_ATOM, "published", K_DATE, D_PUBLISHED, 3 },
	{ C_ATOM, "source", K_SOURCE, 0, 0 },
	{ C_ATOM, "summary", K_TEXT, R_SUMMARY, 3 },
	{ C_ATOM, "title", K_TEXT, R_TITLE, 3 },
	{ C_ATOM, "updated", K_DATE, D_UPDATED, 3 },
	{ C_RDF, "RDF", K_ROOT_RDF, 0, 0 },
	{ C_CONTENT, "encoded", K_TEXT, R_CONTENT, 3 },
	{ C_DC, "creator", K_AUTHOR, 0, 0 },
	{ C_DC, "date", K_DATE, D_PUBLISHED, 2 },
	{ C_DC, "description", K_TEXT, R_SUMMARY, 2 },
	{ C_DC, "identifier", K_TEXT, R_ID, 2 },
	{ C_DC, "subject", K_CATEGORY, 0, 0 },
	{ C_DC, "title", K_TEXT, R_TITLE, 2 },
	{ C_DCTERMS, "created", K_DATE, D_PUBLISHED, 1 },
	{ C_DCTERMS, "issued", K_DATE, D_PUBLISHED, 2 },
	{ C_DCTERMS, "modified", K_DATE, D_UPDATED, 2 },
	{ C_MEDIA, "description", K_TEXT, R_SUMMARY, 1 },
	{ C_MEDIA, "title", K_TEXT, R_TITLE, 1 },
};

/* HTML elements without end tags: "<br/>" must not become "<br></br>". */
static const char *const void_elements[] = {
	"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
	"meta", "param", "source", "track", "wbr",
};

/* ---- records: what is known of the feed, an entry, an entry's source ---- */

struct strlist {
	char	**v;
	size_t	  n, cap;
};

struct record {
	char		*text[R_NTEXT];
	unsigned char	 prio[R_NTEXT];
	int64_t		 date[R_NDATE];
	unsigned char	 dprio[R_NDATE];
	char		*content_base;
	struct strlist	 authors;
	struct strlist	 categories;
};

struct ns_binding {
	size_t	 depth;
	char	*prefix;
	enum ns	 ns;
};

struct base_uri {
	size_t	 depth;
	char	*uri;
};

/* The one element whose text is being collected. */
struct capture {
	int		 active;
	const struct tag *tag;
	struct record	*rec;
	size_t		 depth;
	int		 markup;	/* text is HTML: escape text, keep child tags */
	int		 strip_wrapper;	/* Atom xhtml: drop the outer <div> */
	size_t		 wrapper_depth;
	int		 permalink;	/* guid isPermaLink */
	const char	*base;
};

struct parse {
	char		*origin;
	char		*doc_url;
	parse_entry_fn	 on_entry;
	void		*arg;
	size_t		 max_bytes;
	size_t		 total;		/* bytes received */
	size_t		 fed;		/* bytes handed to expat */
	XML_Index	 last_event;	/* expat's byte index at the last callback */

	XML_Parser	 xml;
	struct encoding_choice choice;
	struct utf8_repair repair;
	struct buf	 head;		/* bytes held until the encoding is known */
	struct buf	 scratch;	/* repair filter output */

	enum feed_format format;
	size_t		 depth;
	size_t		 skip_depth;
	size_t		 entry_depth;
	size_t		 source_depth;
	size_t		 person_depth;
	struct record	*person_rec;
	char		*person_name, *person_email;
	size_t		 nentries;

	struct ns_binding *ns;
	size_t		 nns, ns_cap;
	struct base_uri	*bases;
	size_t		 nbases, bases_cap;

	struct capture	 cap;
	struct buf	 text;
	struct buf	 joined;

	struct record	 feed, entry, source;
	struct feed_info info;

	int		 failed;
	char		*error;
	char		*warning;
};

/* ---- small helpers ---- */

static void
strlist_add_unique(struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return;
	if (l->n >= PARSE_MAX_LIST)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(s);
}

static void
strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

static void
strlist_release(struct strlist *l)
{
	strlist_clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

static void
record_clear(struct record *r)
{
	for (int i = 0; i < R_NTEXT; i++) {
		free(r->text[i]);
		r->text[i] = NULL;
		r->prio[i] = 0;
	}
	for (int i = 0; i < R_NDATE; i++) {
		r->date[i] = DATE_NONE;
		r->dprio[i] = 0;
	}
	free(r->content_base);
	r->content_base = NULL;
	strlist_clear(&r->authors);
	strlist_clear(&r->categories);
}

static void
record_release(struct record *r)
{
	record_clear(r);
	strlist_release(&r->authors);
	strlist_release(&r->categories);
}

/* Takes ownership of value. Higher priority wins; at equal, the first. */
static int
record_set_text(struct record *r, int slot, int prio, char *value)
{
	if (prio <= r->prio[slot]) {
		free(value);
		return 0;
	}
	free(r->text[slot]);
	r->text[slot] = value;
	r->prio[slot] = (unsigned char)prio;
	return 1;
}

static void
record_set_date(struct record *r, int slot, int prio, int64_t t)
{
	if (t == DATE_NONE || prio <= r->dprio[slot])
		return;
	r->date[slot] = t;
	r->dprio[slot] = (unsigned char)prio;
}

static const char *
strlist_join(struct buf *b, const struct strlist *l)
{
	if (l->n == 0)
		return NULL;
	buf_reset(b);
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		buf_addstr(b, l->v[i]);
	}
	return buf_str(b);
}

static void
fail(struct parse *p, const char *fmt, ...)
{
	char msg[MAX_MESSAGE];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->xml != NULL) {
		p->error = xasprintf("line %lu, column %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(p->xml),
		    (unsigned long)XML_GetCurrentColumnNumber(p->xml) + 1, msg);
		XML_StopParser(p->xml, XML_FALSE);
	} else {
		p->error = xstrdup(msg);
	}
}

static void
add_warning(struct parse *p, const char *msg)
{
	if (p->warning == NULL) {
		p->warning = xstrdup(msg);
	} else {
		char *w = xasprintf("%s; %s", p->warning, msg);

		free(p->warning);
		p->warning = w;
	}
}

static const char *
attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i] != NULL; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

static char *
trimmed_dup(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* Append text escaped for HTML; quote too inside attribute values. */
static int
add_escaped(struct buf *b, const char *s, size_t len, int quote)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = quote ? "&quot;" : NULL; break;
		default: rep = NULL; break;
		}
		if (rep == NULL)
			continue;
		if (buf_add(b, s + start, i - start) == -1 || buf_addstr(b, rep) == -1)
			return -1;
		start = i + 1;
	}
	return buf_add(b, s + start, len - start);
}

/* ---- namespaces and bases ---- */

static enum ns
ns_from_uri(const char *uri)
{
	for (size_t i = 0; i < sizeof(known_namespaces) / sizeof(*known_namespaces); i++)
		if (strcmp(uri, known_namespaces[i].uri) == 0)
			return known_namespaces[i].ns;
	return NS_OTHER;
}

static enum ns
ns_for_prefix(const struct parse *p, const char *prefix, size_t len)
{
	for (size_t i = p->nns; i-- > 0;)
		if (strlen(p->ns[i].prefix) == len &&
		    strncmp(p->ns[i].prefix, prefix, len) == 0)
			return p->ns[i].ns;
	if (len == 0)
		return NS_NONE;
	for (size_t i = 0; i < sizeof(usual_prefixes) / sizeof(*usual_prefixes); i++)
		if (strlen(usual_prefixes[i].prefix) == len &&
		    strncmp(usual_prefixes[i].prefix, prefix, len) == 0)
			return usual_prefixes[i].ns;
	return NS_OTHER;
}

/* Split a qualified name: its namespace, and *local the part after ':'. */
static enum ns
qname_ns(const struct parse *p, const char *qname, const char **local)
{
	const char *colon = strchr(qname, ':');

	if (colon == NULL) {
		*local = qname;
		return ns_for_prefix(p, "", 0);
	}
	*local = colon + 1;
	return ns_for_prefix(p, qname, (size_t)(colon - qname));
}

static const char *
current_base(const struct parse *p)
{
	return p->nbases > 0 ? p->bases[p->nbases - 1].uri : p->doc_url;
}

/* xmlns declarations and xml:base take effect on their own element. */
static void
scan_attributes(struct parse *p, const XML_Char **atts)
{
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		const char *k = atts[i];

		if (k[0] != 'x')
			continue;
		if (strncmp(k, "xmlns", 5) == 0 && (k[5] == '\0' || k[5] == ':')) {
			if (p->nns == p->ns_cap) {
				p->ns_cap = p->ns_cap ? p->ns_cap * 2 : 8;
				p->ns = xrealloc(p->ns, p->ns_cap * sizeof(*p->ns));
			}
			p->ns[p->nns].depth = p->depth;
			p->ns[p->nns].prefix = xstrdup(k[5] ? k + 6 : "");
			p->ns[p->nns].ns = ns_from_uri(atts[i + 1]);
			p->nns++;
		} else if (strcmp(k, "xml:base") == 0) {
			if (p->nbases == p->bases_cap) {
				p->bases_cap = p->bases_cap ? p->bases_cap * 2 : 4;
				p->bases = xrealloc(p->bases,
				    p->bases_cap * sizeof(*p->bases));
			}
			p->bases[p->nbases].depth = p->depth;
			p->bases[p->nbases].uri = uri_resolve(current_base(p),
			    atts[i + 1]);
			p->nbases++;
		}
	}
}

static void
pop_scopes(struct parse *p)
{
	while (p->nns > 0 && p->ns[p->nns - 1].depth == p->depth)
		free(p->ns[--p->nns].prefix);
	while (p->nbases > 0 && p->bases[p->nbases - 1].depth == p->depth)
		free(p->bases[--p->nbases].uri);
}

static int
tag_cmp(const void *key, const void *elem)
{
	const struct tag *k = key, *t = elem;

	if (k->cls != t->cls)
		return k->cls < t->cls ? -1 : 1;
	return strcmp(k->name, t->name);
}

static const struct tag *
tag_lookup(const struct parse *p, const char *qname, enum ns *nsp)
{
	struct tag key;

	*nsp = qname_ns(p, qname, &key.name);
	key.cls = ns_class(*nsp);
	if (key.cls == C_NONE)
		return NULL;
	return bsearch(&key, tags, sizeof(tags) / sizeof(*tags), sizeof(*tags),
	    tag_cmp);
}

/* ---- text capture ---- */

static void
capture_start(struct parse *p, const struct tag *t, struct record *rec,
    const XML_Char **atts)
{
	const char *type, *mode;

	memset(&p->cap, 0, sizeof(p->cap));
	p->cap.active = 1;
	p->cap.tag = t;
	p->cap.rec = rec;
	p->cap.depth = p->depth;
	p->cap.base = current_base(p);
	buf_reset(&p->text);
	if (t->kind == K_GUID) {
		const char *pl = attr(atts, "isPermaLink");

		p->cap.permalink = pl == NULL || strcasecmp(pl, "true") == 0;
	}
	if (t->cls != C_ATOM || t->kind != K_TEXT)
		return;
	/* Atom text constructs: type (1.0), mode (0.3) */
	type = attr(atts, "type");
	mode = attr(atts, "mode");
	if ((type != NULL && (strcmp(type, "xhtml") == 0 ||
	    strcmp(type, "application/xhtml+xml") == 0)) ||
	    (mode != NULL && strcmp(mode, "xml") == 0)) {
		p->cap.markup = 1;
		p->cap.strip_wrapper = 1;
	} else if (type != NULL && (strstr(type, "/xml") != NULL ||
	    strstr(type, "+xml") != NULL)) {
		p->cap.markup = 1;
	}
}

static void
capture_add(struct parse *p, const char *s, size_t len)
{
	int r = p->cap.markup ? add_escaped(&p->text, s, len, 0) :
	    buf_add(&p->text, s, len);

	if (r == -1)
		fail(p, "text of <%s> is larger than %u bytes", p->cap.tag->name,
		    PARSE_MAX_FIELD_BYTES);
}

static int
is_void_element(const char *local)
{
	for (size_t i = 0; i < sizeof(void_elements) / sizeof(*void_elements); i++)
		if (strcasecmp(local, void_elements[i]) == 0)
			return 1;
	return 0;
}

/* The name to write for a child element: XHTML loses its prefix. */
static const char *
markup_name(const struct parse *p, const char *qname)
{
	const char *local;

	if (qname_ns(p, qname, &local) == NS_XHTML)
		return local;
	return qname;
}

/* A child element inside captured text: keep it as markup. */
static void
capture_child_start(struct parse *p, const char *qname, const XML_Char **atts)
{
	const char *name = markup_name(p, qname);
	int r = 0;

	if (p->cap.strip_wrapper && p->cap.wrapper_depth == 0 &&
	    p->depth == p->cap.depth + 1 && strcmp(name, "div") == 0 &&
	    buf_str(&p->text)[strspn(buf_str(&p->text), " \t\r\n")] == '\0') {
		p->cap.wrapper_depth = p->depth;
		buf_reset(&p->text);
		return;
	}
	if (!p->cap.markup) {
		/* Unescaped HTML in an RSS description: what came before was
		 * text, so escape it now that the value turns out to be markup. */
		char *prev = buf_detach(&p->text);

		buf_init(&p->text, PARSE_MAX_FIELD_BYTES);
		p->cap.markup = 1;
		r = add_escaped(&p->text, prev, strlen(prev), 0);
		free(prev);
	}
	r |= buf_addc(&p->text, '<') | buf_addstr(&p->text, name);
	for (size_t i = 0; atts[i] != NULL && r == 0; i += 2) {
		if (strncmp(atts[i], "xmlns", 5) == 0)
			continue;
		r |= buf_addc(&p->text, ' ') | buf_addstr(&p->text, atts[i]) |
		    buf_addstr(&p->text, "=\"") |
		    add_escaped(&p->text, atts[i + 1], strlen(atts[i + 1]), 1) |
		    buf_addc(&p->text, '"');
	}
	r |= buf_addc(&p->text, '>');
	if (r != 0)
		fail(p, "text of <%s> is larger than %u bytes", p->cap.tag->name,
		    PARSE_MAX_FIELD_BYTES);
}

static void
capture_child_end(struct parse *p, const char *qname)
{
	const char *name = markup_name(p, qname);

	if (p->depth == p->cap.wrapper_depth) {
		p->cap.wrapper_depth = 0;
		p->cap.strip_wrapper = 0;	/* only one wrapper */
		return;
	}
	if (is_void_element(name))
		return;
	if (buf_addstr(&p->text, "</") | buf_addstr(&p->text, name) |
	    buf_addc(&p->text, '>'))
		fail(p, "text of <%s> is larger than %u bytes", p->cap.tag->name,
		    PARSE_MAX_FIELD_BYTES);
}

static int
looks_like_web_link(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

static void
capture_end(struct parse *p)
{
	const struct tag *t = p->cap.tag;
	struct record *rec = p->cap.rec;
	char *value = trimmed_dup(buf_str(&p->text), p->text.len);

	p->cap.active = 0;
	if (value[0] == '\0') {
		free(value);
		return;
	}
	switch (t->kind) {
	case K_TEXT:
		if (record_set_text(rec, t->slot, t->prio, value) &&
		    t->slot == R_CONTENT) {
			free(rec->content_base);
			rec->content_base = p->cap.base ? xstrdup(p->cap.base) : NULL;
		}
		return;
	case K_LINK:
		record_set_text(rec, R_LINK, t->prio, uri_resolve(p->cap.base, value));
		break;
	case K_GUID:
		if (p->cap.permalink && looks_like_web_link(value))
			record_set_text(rec, R_LINK, 1,
			    uri_resolve(p->cap.base, value));
		record_set_text(rec, R_ID, t->prio, value);
		return;
	case K_DATE:
		record_set_date(rec, t->slot, t->prio, date_parse(value));
		break;
	case K_CATEGORY:
		strlist_add_unique(&rec->categories, value);
		break;
	case K_AUTHOR:
		strlist_add_unique(&rec->authors, value);
		break;
	case K_PERSON_NAME:
		if (p->person_name == NULL) {
			p->person_name = value;
			return;
		}
		break;
	case K_PERSON_EMAIL:
		if (p->person_email == NULL) {
			p->person_email = value;
			return;
		}
		break;
	default:
		break;
	}
	free(value);
}

/* ---- entries ---- */

static void
entry_end(struct parse *p)
{
	struct record *r = &p->entry, *s = &p->source;
	struct feed_entry e;

	memset(&e, 0, sizeof(e));
	e.id = r->text[R_ID];
	e.title = r->text[R_TITLE];
	e.link = r->text[R_LINK];
	e.summary = r->text[R_SUMMARY];
	e.content = r->text[R_CONTENT];
	e.content_base = r->content_base;
	e.published = r->date[D_PUBLISHED];
	e.updated = r->date[D_UPDATED];
	/* Atom 4.2.1: an entry without authors has its feed's */
	e.author = strlist_join(&p->joined, r->authors.n ? &r->authors :
	    &p->feed.authors);
	e.categories = (const char *const *)r->categories.v;
	e.ncategories = r->categories.n;
	e.source_id = s->text[R_ID];
	e.source_title = s->text[R_TITLE];
	e.source_link = s->text[R_LINK];
	p->nentries++;
	if (p->on_entry != NULL)
		p->on_entry(&e, p->arg);
	record_clear(r);
	record_clear(s);
	p->entry_depth = 0;
}

static void
set_format(struct parse *p, const struct tag *t, enum ns ns,
    const XML_Char **atts)
{
	const char *version;

	switch (t->kind) {
	case K_ROOT_RSS:
		version = attr(atts, "version");
		if (version != NULL && strcmp(version, "0.91") == 0)
			p->format = FEED_FORMAT_RSS091;
		else if (version != NULL && strcmp(version, "0.92") == 0)
			p->format = FEED_FORMAT_RSS092;
		else if (version != NULL && strcmp(version, "0.90") == 0)
			p->format = FEED_FORMAT_RSS090;
		else
			p->format = FEED_FORMAT_RSS20;
		break;
	case K_ROOT_RDF:
		p->format = ns_for_prefix(p, "", 0) == NS_RSS090 ?
		    FEED_FORMAT_RSS090 : FEED_FORMAT_RSS10;
		break;
	case K_ROOT_FEED:
		p->format = ns == NS_ATOM03 ? FEED_FORMAT_ATOM03 :
		    FEED_FORMAT_ATOM10;
		break;
	default:
		break;
	}
}

/* rdf:about on an RSS 1.0 channel or item is its identifier. */
static void
rdf_about(struct parse *p, struct record *rec, const XML_Char **atts)
{
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		const char *local;

		if (qname_ns(p, atts[i], &local) == NS_RDF &&
		    strcmp(local, "about") == 0 && atts[i + 1][0] != '\0') {
			record_set_text(rec, R_ID, 1,
			    trimmed_dup(atts[i + 1], strlen(atts[i + 1])));
			return;
		}
	}
}

static void
atom_link(struct parse *p, struct record *rec, const XML_Char **atts)
{
	const char *rel = attr(atts, "rel"), *href = attr(atts, "href");
	const char *type = attr(atts, "type");

	if (href == NULL)
		return;
	if (rel != NULL && strcasecmp(rel, "alternate") != 0 &&
	    strcmp(rel, "http://www.iana.org/assignments/relation/alternate") != 0)
		return;
	record_set_text(rec, R_LINK,
	    type == NULL || strstr(type, "html") != NULL ? 3 : 2,
	    uri_resolve(current_base(p), href));
}

static void
atom_category(struct record *rec, const XML_Char **atts)
{
	const char *term = attr(atts, "term");
	char *v;

	if (term == NULL || term[strspn(term, " \t\r\n")] == '\0')
		term = attr(atts, "label");
	if (term == NULL)
		return;
	v = trimmed_dup(term, strlen(term));
	if (v[0] != '\0')
		strlist_add_unique(&rec->categories, v);
	free(v);
}

/* ---- expat callbacks ---- */

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parse *p = ud;
	const struct tag *t;
	struct record *rec;
	enum ns ns;

	if (p->failed)
		return;
	p->last_event = XML_GetCurrentByteIndex(p->xml);
	if (++p->depth > PARSE_MAX_DEPTH) {
		fail(p, "elements nested deeper than %d", PARSE_MAX_DEPTH);
		return;
	}
	if (atts[0] != NULL)
		scan_attributes(p, atts);
	if (p->cap.active) {
		capture_child_start(p, name, atts);
		return;
	}
	if (p->skip_depth)
		return;
	t = tag_lookup(p, name, &ns);
	if (p->depth == 1) {
		if (t == NULL || (t->kind != K_ROOT_RSS && t->kind != K_ROOT_RDF &&
		    t->kind != K_ROOT_FEED)) {
			char esc[64];

			snprintf(esc, sizeof(esc), "%s", name);
			for (char *c = esc; *c; c++)
				if ((unsigned char)*c < 0x20)
					*c = '?';
			fail(p, "not an RSS or Atom feed (root element <%s>)", esc);
			return;
		}
		set_format(p, t, ns, atts);
		return;
	}
	if (t == NULL)
		return;

	if (p->person_depth) {
		if (t->kind == K_PERSON_NAME || t->kind == K_PERSON_EMAIL)
			capture_start(p, t, NULL, atts);
		else
			p->skip_depth = p->depth;
		return;
	}
	if (p->source_depth) {
		rec = &p->source;
		if (t->kind == K_ATOM_LINK)
			atom_link(p, rec, atts);
		else if (t->kind == K_TEXT && (t->slot == R_ID || t->slot == R_TITLE))
			capture_start(p, t, rec, atts);
		else if (t->kind == K_LINK)
			capture_start(p, t, rec, atts);
		else
			p->skip_depth = p->depth;
		return;
	}
	rec = p->entry_depth ? &p->entry : &p->feed;

	switch (t->kind) {
	case K_ROOT_RSS: case K_ROOT_RDF: case K_ROOT_FEED:
	case K_PERSON_NAME: case K_PERSON_EMAIL:
		break;
	case K_CONTAINER:
		if (atts[0] != NULL)
			rdf_about(p, rec, atts);
		break;
	case K_ITEM:
		if (p->entry_depth) {
			p->skip_depth = p->depth;	/* an entry in an entry */
			break;
		}
		if (p->nentries >= PARSE_MAX_ENTRIES) {
			fail(p, "more than %d entries", PARSE_MAX_ENTRIES);
			break;
		}
		p->entry_depth = p->depth;
		record_clear(&p->entry);
		record_clear(&p->source);
		if (atts[0] != NULL)
			rdf_about(p, &p->entry, atts);
		break;
	case K_ATOM_LINK:
		atom_link(p, rec, atts);
		break;
	case K_ATOM_CATEGORY:
		atom_category(rec, atts);
		break;
	case K_PERSON:
		p->person_depth = p->depth;
		p->person_rec = rec;
		break;
	case K_SOURCE:
		if (p->entry_depth)
			p->source_depth = p->depth;
		else
			p->skip_depth = p->depth;
		break;
	case K_SKIP:
		p->skip_depth = p->depth;
		break;
	default:
		capture_start(p, t, rec, atts);
		break;
	}
}

static void
person_end(struct parse *p)
{
	const char *who = p->person_name ? p->person_name : p->person_email;

	if (who != NULL)
		strlist_add_unique(&p->person_rec->authors, who);
	free(p->person_name);
	free(p->person_email);
	p->person_name = p->person_email = NULL;
	p->person_depth = 0;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct parse *p = ud;

	if (p->failed)
		return;
	p->last_event = XML_GetCurrentByteIndex(p->xml);
	if (p->cap.active) {
		if (p->depth == p->cap.depth)
			capture_end(p);
		else
			capture_child_end(p, name);
	} else if (p->skip_depth) {
		if (p->depth == p->skip_depth)
			p->skip_depth = 0;
	} else if (p->depth == p->person_depth) {
		person_end(p);
	} else if (p->depth == p->source_depth) {
		p->source_depth = 0;
	} else if (p->depth == p->entry_depth) {
		entry_end(p);
	}
	pop_scopes(p);
	p->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct parse *p = ud;

	p->last_event = XML_GetCurrentByteIndex(p->xml);
	if (p->cap.active && !p->failed)
		capture_add(p, s, (size_t)len);
}

/* Undeclared entities (&nbsp; without a DTD): decode the HTML ones. */
static void XMLCALL
on_skipped_entity(void *ud, const XML_Char *name, int is_parameter_entity)
{
	struct parse *p = ud;
	const char *utf8;
	char raw[MAX_MESSAGE];

	if (!p->cap.active || is_parameter_entity || p->failed)
		return;
	utf8 = entities_lookup(name);
	if (utf8 != NULL) {
		capture_add(p, utf8, strlen(utf8));
	} else {
		snprintf(raw, sizeof(raw), "&%s;", name);
		capture_add(p, raw, strlen(raw));
	}
}

/* ---- driving expat ---- */

static void
create_parser(struct parse *p)
{
	p->xml = XML_ParserCreate(p->choice.name[0] ? p->choice.name : NULL);
	if (p->xml == NULL)
		fatalx("out of memory creating an XML parser");
	XML_SetUserData(p->xml, p);
	XML_SetElementHandler(p->xml, on_start, on_end);
	XML_SetCharacterDataHandler(p->xml, on_text);
	XML_SetSkippedEntityHandler(p->xml, on_skipped_entity);
	XML_SetUnknownEncodingHandler(p->xml, encoding_unknown_handler, p);
	/* Pretend to an external DTD that is never read: undeclared
	 * entities are then skipped (and decoded above), not fatal. */
	XML_UseForeignDTD(p->xml, XML_TRUE);
	XML_SetParamEntityParsing(p->xml, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(p->xml,
	    MAX_ENTITY_AMPLIFICATION);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(p->xml,
	    ENTITY_CHECK_THRESHOLD);
	if (p->choice.ignored_label[0] != '\0') {
		char msg[MAX_MESSAGE];

		snprintf(msg, sizeof(msg), "unknown encoding '%s', read as UTF-8",
		    p->choice.ignored_label);
		add_warning(p, msg);
	}
}

static int
feed_bytes(struct parse *p, const char *data, size_t len, int final)
{
	do {
		size_t piece = len < MAX_PIECE_BYTES ? len : MAX_PIECE_BYTES;
		int last = final && piece == len;
		const char *in = data;
		size_t inlen = piece;

		if (p->choice.repair_utf8)
			in = encoding_repair_utf8(&p->repair, data, piece, last,
			    &p->scratch, &inlen);
		if (XML_Parse(p->xml, in, (int)inlen, last) == XML_STATUS_ERROR) {
			if (!p->failed) {
				enum XML_Error code = XML_GetErrorCode(p->xml);

				p->failed = 1;
				p->error = xasprintf("line %lu, column %lu: %s",
				    (unsigned long)XML_GetCurrentLineNumber(p->xml),
				    (unsigned long)XML_GetCurrentColumnNumber(p->xml) + 1,
				    XML_ErrorString(code));
			}
			return -1;
		}
		p->fed += inlen;
		if (p->fed - (size_t)p->last_event > PARSE_MAX_TOKEN_BYTES) {
			fail(p, "a tag, attribute or comment larger than %u bytes",
			    PARSE_MAX_TOKEN_BYTES);
			return -1;
		}
		data += piece;
		len -= piece;
	} while (len > 0);
	return 0;
}

struct parse *
parse_new(const char *origin, const char *doc_url, parse_entry_fn on_entry,
    void *arg)
{
	struct parse *p = xcalloc(1, sizeof(*p));

	p->origin = xstrdup(origin ? origin : "-");
	p->doc_url = doc_url ? xstrdup(doc_url) : NULL;
	p->on_entry = on_entry;
	p->arg = arg;
	p->max_bytes = PARSE_MAX_DOC_BYTES;
	buf_init(&p->head, ENCODING_SNIFF_BYTES + MAX_PIECE_BYTES);
	buf_init(&p->scratch, (size_t)-1);
	buf_init(&p->text, PARSE_MAX_FIELD_BYTES);
	buf_init(&p->joined, (size_t)-1);
	encoding_repair_init(&p->repair);
	record_clear(&p->feed);
	record_clear(&p->entry);
	record_clear(&p->source);
	return p;
}

void
parse_set_max_bytes(struct parse *p, size_t max_bytes)
{
	p->max_bytes = max_bytes;
}

/* Decide the encoding on what we have, start expat, feed it the bytes. */
static int
start(struct parse *p, const char *data, size_t len, int final)
{
	int r = encoding_sniff(data, len, final, &p->choice);

	if (r == 0)
		return 0;
	if (r < 0) {
		fail(p, "UTF-32 and UCS-4 documents are not supported");
		return -1;
	}
	create_parser(p);
	return feed_bytes(p, data, len, final);
}

int
parse_chunk(struct parse *p, const char *data, size_t len)
{
	int r;

	if (p->failed)
		return -1;
	if (len > p->max_bytes - p->total) {
		fail(p, "document larger than %zu bytes", p->max_bytes);
		return -1;
	}
	p->total += len;
	if (p->xml != NULL)
		return feed_bytes(p, data, len, 0);
	if (p->head.len == 0) {
		/* the usual case: the first chunk is enough to decide */
		struct encoding_choice probe;

		if (encoding_sniff(data, len, 0, &probe) != 0)
			return start(p, data, len, 0);
	}
	if (buf_add(&p->head, data, len) == -1) {
		fail(p, "document start larger than %zu bytes", p->head.max);
		return -1;
	}
	r = start(p, p->head.data, p->head.len, 0);
	if (p->xml != NULL)
		buf_release(&p->head);
	return r;
}

int
parse_finish(struct parse *p)
{
	if (p->failed)
		return -1;
	if (p->total == 0) {
		fail(p, "empty document");
		return -1;
	}
	if (p->xml == NULL) {
		if (start(p, buf_str(&p->head), p->head.len, 1) == -1)
			return -1;
		buf_release(&p->head);
	} else if (feed_bytes(p, "", 0, 1) == -1) {
		return -1;
	}
	if (p->repair.replaced > 0) {
		char msg[MAX_MESSAGE];

		snprintf(msg, sizeof(msg), "%zu bytes were not valid UTF-8 or "
		    "not allowed in XML, read as windows-1252 or dropped",
		    p->repair.replaced);
		add_warning(p, msg);
	}
	return 0;
}

const char *
parse_error(const struct parse *p)
{
	return p->error;
}

const char *
parse_warning(const struct parse *p)
{
	return p->warning;
}

const struct feed_info *
parse_info(struct parse *p)
{
	struct record *r = &p->feed;

	p->info.format = p->format;
	p->info.title = r->text[R_TITLE];
	p->info.link = r->text[R_LINK];
	p->info.id = r->text[R_ID];
	p->info.author = strlist_join(&p->joined, &r->authors);
	p->info.updated = r->date[D_UPDATED] != DATE_NONE ?
	    r->date[D_UPDATED] : r->date[D_PUBLISHED];
	return &p->info;
}

size_t
parse_entry_count(const struct parse *p)
{
	return p->nentries;
}

void
parse_free(struct parse *p)
{
	if (p == NULL)
		return;
	if (p->xml != NULL)
		XML_ParserFree(p->xml);
	while (p->nns > 0)
		free(p->ns[--p->nns].prefix);
	free(p->ns);
	while (p->nbases > 0)
		free(p->bases[--p->nbases].uri);
	free(p->bases);
	record_release(&p->feed);
	record_release(&p->entry);
	record_release(&p->source);
	free(p->person_name);
	free(p->person_email);
	buf_release(&p->head);
	buf_release(&p->scratch);
	buf_release(&p->text);
	buf_release(&p->joined);
	free(p->origin);
	free(p->doc_url);
	free(p->error);
	free(p->warning);
	free(p);
}

const char *
parse_format_name(enum feed_format f)
{
	switch (f) {
	case FEED_FORMAT_RSS090: return "rss0.90";
	case FEED_FORMAT_RSS091: return "rss0.91";
	case FEED_FORMAT_RSS092: return "rss0.92";
	case FEED_FORMAT_RSS20: return "rss2.0";
	case FEED_FORMAT_RSS10: return "rss1.0";
	case FEED_FORMAT_ATOM03: return "atom0.3";
	case FEED_FORMAT_ATOM10: return "atom1.0";
	default: return "unknown";
	}
}
