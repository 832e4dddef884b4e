#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "encoding.h"
#include "entities.h"
#include "log.h"
#include "parse.h"
#include "parse_int.h"
#include "uri.h"
#include "xmalloc.h"

/* Small reads are gathered to this size before expat sees them. */
#define COALESCE_BYTES (64u * 1024)
/* XML_Parse takes an int length: larger chunks are fed in pieces. */
#define MAX_PIECE_BYTES (16u * 1024 * 1024)
/* Entity expansion may grow the input at most this much (billion laughs). */
#define MAX_ENTITY_AMPLIFICATION 20.0f
#define ENTITY_CHECK_THRESHOLD (1024u * 1024)

void
parse_fail(struct parse *p, const char *fmt, ...)
{
	char msg[PARSE_MAX_MESSAGE];
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

char *
parse_resolve(struct parse *p, const char *base, const char *ref)
{
	size_t budget = PARSE_RESOLVE_FACTOR *
	    (p->total > ENTITY_CHECK_THRESHOLD ? p->total : ENTITY_CHECK_THRESHOLD);
	char *r;

	p->resolve_work += (base ? strlen(base) : 0) + strlen(ref);
	if (p->resolve_work > budget) {
		parse_fail(p, "links and xml:base take more than %d times the "
		    "document's size to resolve", PARSE_RESOLVE_FACTOR);
		return NULL;
	}
	if ((r = uri_resolve(base, ref)) == NULL)
		parse_fail(p, "a link or xml:base longer than %d bytes",
		    URI_MAX_BYTES);
	return r;
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

/* ---- entries ---- */

static void
entry_end(struct parse *p)
{
	struct record *r = &p->entry, *s = &p->source;
	const struct strlist *authors;
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
	/* Atom 4.2.1: an entry without authors has its source's, else its
	 * feed's. RSS has no such rule: a channel's dc:creator made the feed. */
	if (r->authors.n > 0)
		authors = &r->authors;
	else if (s->authors.n > 0)
		authors = &s->authors;
	else if (p->format == FEED_FORMAT_ATOM10 || p->format == FEED_FORMAT_ATOM03)
		authors = &p->feed.authors;
	else
		authors = NULL;
	e.author = authors ? strlist_join(&p->joined, authors) : NULL;
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
		version = parse_attr(atts, "version");
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
		p->format = parse_ns_for_prefix(p, "", 0) == NS_RSS090 ?
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

		if (parse_qname_ns(p, atts[i], &local) == NS_RDF &&
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
	const char *rel = parse_attr(atts, "rel"), *href = parse_attr(atts, "href");
	const char *type = parse_attr(atts, "type");
	int prio;

	if (href == NULL)
		return;
	if (rel != NULL && strcasecmp(rel, "alternate") != 0 &&
	    strcmp(rel, "http://www.iana.org/assignments/relation/alternate") != 0)
		return;
	prio = type == NULL || strstr(type, "html") != NULL ? 3 : 2;
	if (prio > rec->prio[R_LINK])	/* resolve only what can win */
		record_set_text(rec, R_LINK, prio,
		    parse_resolve(p, parse_current_base(p), href));
}

static void
atom_category(struct record *rec, const XML_Char **atts)
{
	const char *term = parse_attr(atts, "term");
	char *v;

	if (term == NULL || term[strspn(term, " \t\r\n")] == '\0')
		term = parse_attr(atts, "label");
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
		parse_fail(p, "elements nested deeper than %d", PARSE_MAX_DEPTH);
		return;
	}
	if (XML_GetCurrentByteCount(p->xml) > (int)PARSE_MAX_TOKEN_BYTES) {
		parse_fail(p, "a tag larger than %u bytes", PARSE_MAX_TOKEN_BYTES);
		return;
	}
	/* inside a capture or a skipped subtree no base is ever used */
	if (atts[0] != NULL)
		parse_scan_attributes(p, atts, !p->cap.active && !p->skip_depth);
	if (p->failed)
		return;
	if (p->cap.active) {
		capture_child_start(p, name, atts);
		return;
	}
	if (p->skip_depth)
		return;
	t = parse_tag_lookup(p, name, &ns);
	if (p->depth == 1) {
		if (t == NULL || (t->kind != K_ROOT_RSS && t->kind != K_ROOT_RDF &&
		    t->kind != K_ROOT_FEED)) {
			char esc[64];

			snprintf(esc, sizeof(esc), "%s", name);
			for (char *c = esc; *c; c++)
				if ((unsigned char)*c < 0x20)
					*c = '?';
			parse_fail(p, "not an RSS or Atom feed (root element <%s>)", esc);
			return;
		}
		set_format(p, t, ns, atts);
		return;
	}
	if (t == NULL) {
		/* an extension element: what it holds (an Atom title in a
		 * foreign object, say) is not the entry's */
		p->skip_depth = p->depth;
		return;
	}

	if (p->person_depth) {
		if (t->kind == K_PERSON_NAME || t->kind == K_PERSON_EMAIL)
			capture_start(p, t, NULL, atts);
		else
			p->skip_depth = p->depth;
		return;
	}
	if (p->source_depth) {
		rec = &p->source;
		if (t->kind == K_ATOM_LINK) {
			atom_link(p, rec, atts);
		} else if (t->kind == K_PERSON) {
			p->person_depth = p->depth;
			p->person_rec = rec;
		} else if ((t->kind == K_TEXT && (t->slot == R_ID ||
		    t->slot == R_TITLE)) || t->kind == K_LINK) {
			capture_start(p, t, rec, atts);
		} else {
			p->skip_depth = p->depth;
		}
		return;
	}
	rec = p->entry_depth ? &p->entry : &p->feed;

	switch (t->kind) {
	case K_ROOT_RSS: case K_ROOT_RDF: case K_ROOT_FEED:
		p->skip_depth = p->depth;	/* a feed inside the feed */
		break;
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
			parse_fail(p, "more than %d entries", PARSE_MAX_ENTRIES);
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
	parse_pop_scopes(p);
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

/*
 * An entity the HTML 4 subset does not declare: an HTML5 name decodes, any
 * other is kept as written.
 */
static void XMLCALL
on_skipped_entity(void *ud, const XML_Char *name, int is_parameter_entity)
{
	struct parse *p = ud;
	const char *utf8;

	if (!p->cap.active || is_parameter_entity || p->failed)
		return;
	if ((utf8 = entities_lookup(name)) != NULL) {
		capture_add(p, utf8, strlen(utf8));
		return;
	}
	capture_add(p, "&", 1);
	capture_add(p, name, strlen(name));
	capture_add(p, ";", 1);
}

/* Comments, processing instructions and entity values are single tokens:
 * checked here so the limit holds however the bytes were split. */
static void XMLCALL
on_comment(void *ud, const XML_Char *data)
{
	struct parse *p = ud;

	p->last_event = XML_GetCurrentByteIndex(p->xml);
	if (!p->failed && strlen(data) > PARSE_MAX_TOKEN_BYTES)
		parse_fail(p, "a comment larger than %u bytes", PARSE_MAX_TOKEN_BYTES);
}

static void XMLCALL
on_processing_instruction(void *ud, const XML_Char *target, const XML_Char *data)
{
	struct parse *p = ud;

	(void)target;
	p->last_event = XML_GetCurrentByteIndex(p->xml);
	if (!p->failed && strlen(data) > PARSE_MAX_TOKEN_BYTES)
		parse_fail(p, "a processing instruction larger than %u bytes",
		    PARSE_MAX_TOKEN_BYTES);
}

static void XMLCALL
on_entity_decl(void *ud, const XML_Char *name, int is_parameter_entity,
    const XML_Char *value, int value_length, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	struct parse *p = ud;

	(void)name; (void)is_parameter_entity; (void)value; (void)base;
	(void)sysid; (void)pubid; (void)notation;
	if (!p->failed && value_length > (int)PARSE_MAX_TOKEN_BYTES)
		parse_fail(p, "an entity value larger than %u bytes",
		    PARSE_MAX_TOKEN_BYTES);
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct parse *p = ud;

	(void)name;
	(void)pubid;
	(void)has_internal_subset;
	free(p->doctype_sysid);
	p->doctype_sysid = sysid ? xstrdup(sysid) : NULL;
}

/*
 * expat asks for external entities. The document's external subset (its
 * DOCTYPE's, or the "foreign" one we declare when it has none) is answered
 * with the HTML 4 entity declarations, so &nbsp; and friends decode in text
 * and attributes alike. Nothing is ever fetched or read from disk: every
 * other external entity is left unexpanded.
 */
static int XMLCALL
on_external_entity(XML_Parser parser, const XML_Char *context,
    const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid)
{
	struct parse *p = XML_GetUserData(parser);
	XML_Parser dtd;
	const char *text;
	size_t len;
	int r;

	(void)base;
	(void)pubid;
	if (context != NULL || p->html_dtd_read)
		return XML_STATUS_OK;
	if (sysid != NULL && (p->doctype_sysid == NULL ||
	    strcmp(sysid, p->doctype_sysid) != 0))
		return XML_STATUS_OK;
	p->html_dtd_read = 1;
	dtd = XML_ExternalEntityParserCreate(parser, NULL, "UTF-8");
	if (dtd == NULL)
		fatalx("out of memory creating a DTD parser");
	text = entities_html_dtd(&len);
	r = XML_Parse(dtd, text, (int)len, XML_TRUE);
	XML_ParserFree(dtd);
	return r == XML_STATUS_ERROR ? XML_STATUS_ERROR : XML_STATUS_OK;
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
	/* Every document gets the HTML entities as its external subset; see
	 * on_external_entity(). */
	XML_UseForeignDTD(p->xml, XML_TRUE);
	XML_SetParamEntityParsing(p->xml,
	    XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE);
	XML_SetStartDoctypeDeclHandler(p->xml, on_doctype);
	XML_SetCommentHandler(p->xml, on_comment);
	XML_SetProcessingInstructionHandler(p->xml, on_processing_instruction);
	XML_SetEntityDeclHandler(p->xml, on_entity_decl);
	XML_SetExternalEntityRefHandler(p->xml, on_external_entity);
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(p->xml,
	    MAX_ENTITY_AMPLIFICATION);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(p->xml,
	    ENTITY_CHECK_THRESHOLD);
	if (p->choice.ignored_label[0] != '\0') {
		char msg[PARSE_MAX_MESSAGE];

		char label[ENCODING_NAME_SIZE];

		log_escape(label, sizeof(label), p->choice.ignored_label,
		    strlen(p->choice.ignored_label));
		snprintf(msg, sizeof(msg), "unknown encoding '%s', read as UTF-8",
		    label);
		add_warning(p, msg);
	}
}

static int
feed_expat(struct parse *p, const char *data, size_t len, int final)
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
		/* Tags, comments and PIs are measured by their handlers; this
		 * backstop catches any other token expat would keep rescanning. */
		if (p->fed - (size_t)p->last_event > 2 * PARSE_MAX_TOKEN_BYTES) {
			parse_fail(p, "a markup token larger than %u bytes",
			    2 * PARSE_MAX_TOKEN_BYTES);
			return -1;
		}
		data += piece;
		len -= piece;
	} while (len > 0);
	return 0;
}

/*
 * Hand bytes to expat in pieces of at least COALESCE_BYTES: expat 2.5
 * rescans an unfinished token on every call, so many small network reads
 * would make a large token cost quadratic time.
 */
static int
feed_bytes(struct parse *p, const char *data, size_t len, int final)
{
	if (!final && p->pending.len + len < COALESCE_BYTES) {
		buf_add(&p->pending, data, len);
		return 0;
	}
	if (p->pending.len > 0) {
		int r;

		if (len < COALESCE_BYTES) {
			buf_add(&p->pending, data, len);
			r = feed_expat(p, p->pending.data, p->pending.len, final);
			buf_reset(&p->pending);
			return r;
		}
		r = feed_expat(p, p->pending.data, p->pending.len, 0);
		buf_reset(&p->pending);
		if (r == -1)
			return -1;
	}
	return feed_expat(p, data, len, final);
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
	buf_init(&p->head, 2 * ENCODING_SNIFF_BYTES);
	buf_init(&p->pending, 2 * COALESCE_BYTES);
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
		parse_fail(p, "UTF-32 and UCS-4 documents are not supported");
		return -1;
	}
	create_parser(p);
	data += p->choice.skip;
	len -= p->choice.skip;
	if (p->choice.decl_len > 0) {
		/* the declaration, rewritten: see encoding.h */
		char decl[ENCODING_SNIFF_BYTES];

		memcpy(decl, data, p->choice.decl_len);
		memset(decl + p->choice.encoding_off, ' ', p->choice.encoding_len);
		memset(decl + p->choice.standalone_off, ' ', p->choice.standalone_len);
		if (feed_bytes(p, decl, p->choice.decl_len, 0) == -1)
			return -1;
		data += p->choice.decl_len;
		len -= p->choice.decl_len;
	}
	return feed_bytes(p, data, len, final);
}

int
parse_chunk(struct parse *p, const char *data, size_t len)
{
	size_t take;
	int r;

	if (p->failed)
		return -1;
	if (len > p->max_bytes - p->total) {
		parse_fail(p, "document larger than %zu bytes", p->max_bytes);
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
	/* hold the start until the encoding is known; it is within the
	 * first ENCODING_SNIFF_BYTES, so hold no more */
	take = len < ENCODING_SNIFF_BYTES ? len : ENCODING_SNIFF_BYTES;
	buf_add(&p->head, data, take);
	r = start(p, p->head.data, p->head.len, 0);
	if (p->xml == NULL)
		return r;
	buf_release(&p->head);
	if (r == -1 || take == len)
		return r;
	return feed_bytes(p, data + take, len - take, 0);
}

int
parse_finish(struct parse *p)
{
	if (p->failed)
		return -1;
	if (p->total == 0) {
		parse_fail(p, "empty document");
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
		char msg[PARSE_MAX_MESSAGE];

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
	free(p->doctype_sysid);
	buf_release(&p->head);
	buf_release(&p->pending);
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
