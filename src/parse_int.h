/*
 * parse_int.h: what the files of the parse module share, and nothing else
 * includes. parse.c drives expat and holds the element callbacks,
 * parse_vocab.c knows the vocabulary (namespaces, the tag table, xmlns and
 * xml:base scopes), parse_text.c collects text into records.
 */
#ifndef FEEDMILL_PARSE_INT_H
#define FEEDMILL_PARSE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <expat.h>

#include "buf.h"
#include "encoding.h"
#include "parse.h"

#define PARSE_MAX_MESSAGE 512

enum ns {
	NS_NONE, NS_RSS10, NS_RSS090, NS_ATOM10, NS_ATOM03, NS_RDF, NS_CONTENT,
	NS_DC, NS_DCTERMS, NS_MEDIA, NS_XHTML, NS_OTHER,
};

/* Namespaces whose elements share one tag table. */
enum ns_class { C_RSS, C_ATOM, C_RDF, C_CONTENT, C_DC, C_DCTERMS, C_MEDIA, C_NONE };

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
	size_t	 plen;
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
	int		 base64;	/* Atom 0.3 mode="base64" */
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
	struct buf	 pending;	/* small reads gathered for expat */
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
	enum ns		 default_ns;	/* of unprefixed names, where we are */
	size_t		 resolve_work;	/* bytes handled resolving URIs */
	struct base_uri	*bases;
	size_t		 nbases, bases_cap;

	struct capture	 cap;
	struct buf	 text;
	struct buf	 joined;

	struct record	 feed, entry, source;
	struct feed_info info;

	char		*doctype_sysid;	/* the DOCTYPE's external subset */
	int		 html_dtd_read;

	int		 failed;
	char		*error;
	char		*warning;
};

/* parse.c */
/*
 * uri_resolve() with a budget: resolving costs up to URI_MAX_BYTES a time,
 * so a document may spend at most PARSE_RESOLVE_FACTOR times its own size
 * on it; past that (or for a URI too long) the parse fails, NULL is
 * returned.
 */
char *parse_resolve(struct parse *p, const char *base, const char *ref);
void parse_fail(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* parse_vocab.c */
enum ns_class parse_ns_class(enum ns ns);
enum ns parse_ns_for_prefix(const struct parse *p, const char *prefix, size_t len);
/* Split a qualified name: its namespace, and *local the part after ':'. */
enum ns parse_qname_ns(const struct parse *p, const char *qname, const char **local);
/* The element's meaning, or NULL for one feedmill does not use. */
const struct tag *parse_tag_lookup(const struct parse *p, const char *qname, enum ns *nsp);
/* The base URI in effect: the innermost xml:base, else the document's. */
const char *parse_current_base(const struct parse *p);
/* Push the element's xmlns declarations and, with with_base, its xml:base,
 * at p->depth. */
void parse_scan_attributes(struct parse *p, const XML_Char **atts, int with_base);
/* Pop what parse_scan_attributes pushed at p->depth. */
void parse_pop_scopes(struct parse *p);
const char *parse_attr(const XML_Char **atts, const char *name);

/* parse_text.c: lists, records, and the text capture that fills them */
void strlist_add_unique(struct strlist *l, const char *s);
const char *strlist_join(struct buf *b, const struct strlist *l);
void record_clear(struct record *r);
void record_release(struct record *r);
/* Takes ownership of value. Higher priority wins; at equal, the first. */
int record_set_text(struct record *r, int slot, int prio, char *value);
void record_set_date(struct record *r, int slot, int prio, int64_t t);
char *trimmed_dup(const char *s, size_t len);
/* Start collecting the text of the element just opened into rec. */
void capture_start(struct parse *p, const struct tag *t, struct record *rec,
    const XML_Char **atts);
void capture_add(struct parse *p, const char *s, size_t len);
/* A child element inside captured text: kept as markup. */
void capture_child_start(struct parse *p, const char *qname, const XML_Char **atts);
void capture_child_end(struct parse *p, const char *qname);
/* The captured element ended: store its value where it belongs. */
void capture_end(struct parse *p);

#endif
