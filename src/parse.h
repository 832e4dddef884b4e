/*
 * parse: a streaming feed parser on expat.
 *
 * Bytes go in as they arrive (parse_chunk), in pieces of any size; each
 * entry is handed to a callback as soon as its closing tag is read, so a
 * feed is never held whole and the result does not depend on how the bytes
 * were split. Understands RSS 0.90, 0.91, 0.92, 2.0, RSS 1.0 (RDF), Atom 0.3
 * and 1.0, content:encoded, dc:*, dcterms:*, media:title/description, Atom
 * text constructs and <source>, xml:base; any encoding (see encoding.h);
 * undeclared HTML entities; dates through date.h.
 *
 * Bad input is an error with a message, never a crash: parse_chunk and
 * parse_finish return -1 and parse_error() says what and where. Entries
 * completed before the error have already been delivered. Every resource is
 * capped by a named limit below.
 */
#ifndef FEEDMILL_PARSE_H
#define FEEDMILL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Default cap on a whole document; the fetcher may set a lower one. */
#define PARSE_MAX_DOC_BYTES	(64u * 1024 * 1024)
/* Cap on one text value (a title, a body). */
#define PARSE_MAX_FIELD_BYTES	(8u * 1024 * 1024)
/* Element nesting; real feeds stay under 30 even with XHTML bodies. */
#define PARSE_MAX_DEPTH		512
#define PARSE_MAX_ENTRIES	100000
/* Further categories and authors of one entry are ignored. */
#define PARSE_MAX_LIST		64
/* xmlns declarations in scope at once; real feeds declare a dozen. */
#define PARSE_MAX_NAMESPACES	64
/* Resolving links and xml:base may handle this many times the input. */
#define PARSE_RESOLVE_FACTOR	64
/*
 * Cap on bytes expat holds without reporting anything: one tag, attribute
 * value or comment. expat before 2.6 rescans an unfinished token on every
 * chunk, so a giant token costs quadratic time; real feeds never come near.
 */
#define PARSE_MAX_TOKEN_BYTES	(1u * 1024 * 1024)

enum feed_format {
	FEED_FORMAT_UNKNOWN = 0,
	FEED_FORMAT_RSS090,
	FEED_FORMAT_RSS091,
	FEED_FORMAT_RSS092,
	FEED_FORMAT_RSS20,
	FEED_FORMAT_RSS10,
	FEED_FORMAT_ATOM03,
	FEED_FORMAT_ATOM10,
};

/*
 * One entry as the feed gives it: entities decoded, markup kept, leading and
 * trailing white space trimmed, links absolute (resolved against xml:base
 * and the document URL), dates in UTC seconds. Absent values are NULL or
 * DATE_NONE. Valid only during the callback.
 */
struct feed_entry {
	const char	 *id;
	const char	 *title;
	const char	 *link;
	const char	 *author;	/* distinct authors joined by ", " */
	const char	 *summary;
	const char	 *content;
	const char	 *content_base;	/* base URI for links inside content */
	int64_t		  published;
	int64_t		  updated;
	const char *const *categories;	/* distinct, in feed order */
	size_t		  ncategories;
	/* Atom <source>: the feed the entry was copied from, if given. */
	const char	 *source_id;
	const char	 *source_title;
	const char	 *source_link;
};

struct feed_info {
	enum feed_format format;
	const char	*title;
	const char	*link;
	const char	*id;
	const char	*author;
	int64_t		 updated;
};

typedef void (*parse_entry_fn)(const struct feed_entry *entry, void *arg);

struct parse;

/*
 * A parser for one document. origin names it in messages (a file name, a
 * source name); doc_url, if not NULL, is the base for relative links.
 * on_entry is called once per completed entry.
 */
struct parse *parse_new(const char *origin, const char *doc_url,
    parse_entry_fn on_entry, void *arg);
/* Lower the document size cap (for the fetcher's body limit). */
void parse_set_max_bytes(struct parse *p, size_t max_bytes);
/* Feed the next len bytes. 0, or -1 once the document is known bad. */
int parse_chunk(struct parse *p, const char *data, size_t len);
/* End of input: 0 if the document was a complete feed, else -1. */
int parse_finish(struct parse *p);
/* The error, "line 3, column 7: mismatched tag", or NULL. */
const char *parse_error(const struct parse *p);
/* Non-fatal remarks (ignored encoding label, replaced bytes), or NULL. */
const char *parse_warning(const struct parse *p);
/* Feed-level data read so far; complete after parse_finish. */
const struct feed_info *parse_info(struct parse *p);
size_t parse_entry_count(const struct parse *p);
void parse_free(struct parse *p);

/* "rss2.0", "atom1.0", ... for messages and the text output. */
const char *parse_format_name(enum feed_format f);

#endif
