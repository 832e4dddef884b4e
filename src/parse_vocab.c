#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "parse_int.h"
#include "uri.h"
#include "xmalloc.h"

/* ---- namespaces ---- */


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


enum ns_class
parse_ns_class(enum ns ns)
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
	{ C_MEDIA, "content", K_CONTAINER, 0, 0 },
	{ C_MEDIA, "description", K_TEXT, R_SUMMARY, 1 },
	{ C_MEDIA, "group", K_CONTAINER, 0, 0 },
	{ C_MEDIA, "title", K_TEXT, R_TITLE, 1 },
};


const char *
parse_attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i] != NULL; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
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

enum ns
parse_ns_for_prefix(const struct parse *p, const char *prefix, size_t len)
{
	if (len == 0)
		return p->default_ns;	/* most names: kept current on push/pop */
	for (size_t i = p->nns; i-- > 0;)
		if (p->ns[i].plen == len && memcmp(p->ns[i].prefix, prefix, len) == 0)
			return p->ns[i].ns;
	for (size_t i = 0; i < sizeof(usual_prefixes) / sizeof(*usual_prefixes); i++)
		if (strlen(usual_prefixes[i].prefix) == len &&
		    strncmp(usual_prefixes[i].prefix, prefix, len) == 0)
			return usual_prefixes[i].ns;
	return NS_OTHER;
}

/* Split a qualified name: its namespace, and *local the part after ':'. */
enum ns
parse_qname_ns(const struct parse *p, const char *qname, const char **local)
{
	const char *colon = strchr(qname, ':');

	if (colon == NULL) {
		*local = qname;
		return parse_ns_for_prefix(p, "", 0);
	}
	*local = colon + 1;
	return parse_ns_for_prefix(p, qname, (size_t)(colon - qname));
}

const char *
parse_current_base(const struct parse *p)
{
	return p->nbases > 0 ? p->bases[p->nbases - 1].uri : p->doc_url;
}

/* xmlns declarations and xml:base take effect on their own element. */
static void
update_default_ns(struct parse *p)
{
	p->default_ns = NS_NONE;
	for (size_t i = p->nns; i-- > 0;)
		if (p->ns[i].plen == 0) {
			p->default_ns = p->ns[i].ns;
			return;
		}
}

void
parse_scan_attributes(struct parse *p, const XML_Char **atts, int with_base)
{
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		const char *k = atts[i];

		if (k[0] != 'x')
			continue;
		if (strncmp(k, "xmlns", 5) == 0 && (k[5] == '\0' || k[5] == ':')) {
			if (p->nns >= PARSE_MAX_NAMESPACES) {
				/* every element name is looked up through them */
				parse_fail(p, "more than %d namespace declarations "
				    "in scope", PARSE_MAX_NAMESPACES);
				return;
			}
			if (p->nns == p->ns_cap) {
				p->ns_cap = p->ns_cap ? p->ns_cap * 2 : 8;
				p->ns = xrealloc(p->ns, p->ns_cap * sizeof(*p->ns));
			}
			p->ns[p->nns].depth = p->depth;
			p->ns[p->nns].prefix = xstrdup(k[5] ? k + 6 : "");
			p->ns[p->nns].plen = strlen(p->ns[p->nns].prefix);
			p->ns[p->nns].ns = ns_from_uri(atts[i + 1]);
			if (p->ns[p->nns].plen == 0)
				p->default_ns = p->ns[p->nns].ns;
			p->nns++;
		} else if (with_base && strcmp(k, "xml:base") == 0) {
			if (p->nbases == p->bases_cap) {
				p->bases_cap = p->bases_cap ? p->bases_cap * 2 : 4;
				p->bases = xrealloc(p->bases,
				    p->bases_cap * sizeof(*p->bases));
			}
			p->bases[p->nbases].depth = p->depth;
			p->bases[p->nbases].uri = parse_resolve(p,
			    parse_current_base(p), atts[i + 1]);
			if (p->bases[p->nbases].uri == NULL)
				return;	/* parse_resolve() said why */
			p->nbases++;
		}
	}
}

void
parse_pop_scopes(struct parse *p)
{
	int popped = 0;

	while (p->nns > 0 && p->ns[p->nns - 1].depth == p->depth) {
		free(p->ns[--p->nns].prefix);
		popped = 1;
	}
	if (popped)
		update_default_ns(p);
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

const struct tag *
parse_tag_lookup(const struct parse *p, const char *qname, enum ns *nsp)
{
	struct tag key;

	*nsp = parse_qname_ns(p, qname, &key.name);
	key.cls = parse_ns_class(*nsp);
	if (key.cls == C_NONE)
		return NULL;
	return bsearch(&key, tags, sizeof(tags) / sizeof(*tags), sizeof(*tags),
	    tag_cmp);
}
