#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "parse_int.h"
#include "uri.h"
#include "xmalloc.h"

/* HTML elements without end tags: "<br/>" must not become "<br></br>". */
static const char *const void_elements[] = {
	"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
	"meta", "param", "source", "track", "wbr",
};


void
strlist_add_unique(struct strlist *l, const char *s)
{
	if (l->n >= PARSE_MAX_LIST)	/* first: a flood costs no scan */
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
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

void
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

void
record_release(struct record *r)
{
	record_clear(r);
	strlist_release(&r->authors);
	strlist_release(&r->categories);
}

/* Takes ownership of value. Higher priority wins; at equal, the first. */
int
record_set_text(struct record *r, int slot, int prio, char *value)
{
	if (value == NULL || prio <= r->prio[slot]) {
		free(value);
		return 0;
	}
	free(r->text[slot]);
	r->text[slot] = value;
	r->prio[slot] = (unsigned char)prio;
	return 1;
}

void
record_set_date(struct record *r, int slot, int prio, int64_t t)
{
	if (t == DATE_NONE || prio <= r->dprio[slot])
		return;
	r->date[slot] = t;
	r->dprio[slot] = (unsigned char)prio;
}

const char *
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




char *
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

/* ---- text capture ---- */

void
capture_start(struct parse *p, const struct tag *t, struct record *rec,
    const XML_Char **atts)
{
	const char *type, *mode;

	memset(&p->cap, 0, sizeof(p->cap));
	p->cap.active = 1;
	p->cap.tag = t;
	p->cap.rec = rec;
	p->cap.depth = p->depth;
	p->cap.base = parse_current_base(p);
	buf_reset(&p->text);
	if (t->kind == K_GUID) {
		const char *pl = parse_attr(atts, "isPermaLink");

		p->cap.permalink = pl == NULL || strcasecmp(pl, "true") == 0;
	}
	if (t->cls != C_ATOM || t->kind != K_TEXT)
		return;
	/* Atom text constructs: type (1.0), mode (0.3) */
	type = parse_attr(atts, "type");
	mode = parse_attr(atts, "mode");
	p->cap.base64 = mode != NULL && strcmp(mode, "base64") == 0;
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

void
capture_add(struct parse *p, const char *s, size_t len)
{
	int r = p->cap.markup ? buf_add_escaped(&p->text, s, len, 0) :
	    buf_add(&p->text, s, len);

	if (r == -1)
		parse_fail(p, "text of <%s> is larger than %u bytes", p->cap.tag->name,
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

	if (parse_qname_ns(p, qname, &local) == NS_XHTML)
		return local;
	return qname;
}

/* A child element inside captured text: keep it as markup. */
void
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
		r = buf_add_escaped(&p->text, prev, strlen(prev), 0);
		free(prev);
	}
	r |= buf_addc(&p->text, '<') | buf_addstr(&p->text, name);
	for (size_t i = 0; atts[i] != NULL && r == 0; i += 2) {
		if (strncmp(atts[i], "xmlns", 5) == 0)
			continue;
		r |= buf_addc(&p->text, ' ') | buf_addstr(&p->text, atts[i]) |
		    buf_addstr(&p->text, "=\"") |
		    buf_add_escaped(&p->text, atts[i + 1], strlen(atts[i + 1]), 1) |
		    buf_addc(&p->text, '"');
	}
	r |= buf_addc(&p->text, '>');
	if (r != 0)
		parse_fail(p, "text of <%s> is larger than %u bytes", p->cap.tag->name,
		    PARSE_MAX_FIELD_BYTES);
}

void
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
		parse_fail(p, "text of <%s> is larger than %u bytes", p->cap.tag->name,
		    PARSE_MAX_FIELD_BYTES);
}

static int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = u[i] < 0x80 ? 1 : u[i] >= 0xC2 && u[i] <= 0xDF ? 2 :
		    u[i] >= 0xE0 && u[i] <= 0xEF ? 3 : u[i] >= 0xF0 && u[i] <= 0xF4 ? 4 : 0;

		if (n == 0 || i + n > len)
			return 0;
		for (size_t k = 1; k < n; k++)
			if ((u[i + k] & 0xC0) != 0x80)
				return 0;
		i += n;
	}
	return 1;
}

/*
 * Atom 0.3 content with mode="base64": the decoded text, if it decodes to
 * UTF-8 without NULs; else the value as given. Takes ownership of s.
 */
static char *
base64_decoded(char *s)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0, o = 0;
	unsigned acc = 0;
	int bits = 0;
	char *out = xmalloc(strlen(s) / 4 * 3 + 4);

	for (const char *p = s; *p; p++) {
		const char *pos;

		if (isspace((unsigned char)*p))
			continue;
		if (*p == '=')
			break;
		if ((pos = strchr(alphabet, *p)) == NULL)
			goto keep;
		acc = (acc << 6) | (unsigned)(pos - alphabet);
		bits += 6;
		n++;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xFF);
			if (out[o - 1] == '\0')
				goto keep;
		}
	}
	out[o] = '\0';
	if (n == 0 || !utf8_valid(out, o))
		goto keep;
	free(s);
	return out;
keep:
	free(out);
	return s;
}

static int
looks_like_web_link(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

void
capture_end(struct parse *p)
{
	const struct tag *t = p->cap.tag;
	struct record *rec = p->cap.rec;
	char *value = trimmed_dup(buf_str(&p->text), p->text.len);

	p->cap.active = 0;
	if (p->cap.base64)
		value = base64_decoded(value);
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
		if (t->prio > rec->prio[R_LINK])	/* resolve only what can win */
			record_set_text(rec, R_LINK, t->prio,
			    parse_resolve(p, p->cap.base, value));
		break;
	case K_GUID:
		if (p->cap.permalink && looks_like_web_link(value) &&
		    rec->prio[R_LINK] < 1)
			record_set_text(rec, R_LINK, 1,
			    parse_resolve(p, p->cap.base, value));
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
