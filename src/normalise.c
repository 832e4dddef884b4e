#include "config.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gumbo.h>
#include <sodium.h>
#include <utf8proc.h>

#include "buf.h"
#include "normalise.h"
#include "uri.h"
#include "xmalloc.h"

/* A paragraph's text or HTML never passes the body it came from. */
#define PARA_MAX	(NORMALISE_MAX_BODY * 2)

/* ---- keys and hashes ---- */

/*
 * ASCII text (most of it) needs none of utf8proc's tables: letters fold
 * to lower case, digits stay, everything else separates. The result is
 * the same as the general path's for ASCII input.
 */
/* ASCII letters and digits to what they fold to, the rest to a space. A
 * table, because this runs over every byte of every release the tagger
 * reads. */
static const unsigned char ascii_fold[128] = {
	' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
	' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
	' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', ' ', ' ', ' ', ' ', ' ',
	' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', ' ', ' ', ' ', ' ', ' ',
	' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', ' ', ' ', ' ', ' ', ' ',
};

static int
ascii_alnum(unsigned char c)
{
	return c < 0x80 && ascii_fold[c] != ' ';
}

/*
 * A key being written. A separator is written as one space, and only
 * after something else (a run of them collapses; none leads): so a key
 * that ends in a space has a separator pending, which is dropped at the
 * end. Room is made before each run or word, never per byte.
 */
struct key_out {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
key_room(struct key_out *k, size_t more)
{
	if (k->len + more + 1 <= k->cap)
		return;
	while (k->len + more + 1 > k->cap)
		k->cap *= 2;
	k->p = xrealloc(k->p, k->cap);
}

static inline void
key_separator(struct key_out *k)
{
	if (k->len > 0 && k->p[k->len - 1] != ' ')
		k->p[k->len++] = ' ';
}

/*
 * The key of one word that has non-ASCII characters, through utf8proc,
 * appended to k.
 */
static void
unicode_word_key(struct key_out *k, const char *w, size_t wlen)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)wlen, &folded,
	    UTF8PROC_STABLE | UTF8PROC_COMPAT |
	    UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
	    UTF8PROC_STRIPMARK);
	if (n < 0) {
		/* not UTF-8 (the parser never hands such text on): bytes as given */
		free(folded);
		folded = (utf8proc_uint8_t *)xstrndup(w, wlen);
		n = (utf8proc_ssize_t)wlen;
	}
	/* at most every character kept, each after a space */
	key_room(k, 2 * (size_t)n);
	for (utf8proc_ssize_t i = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(folded + i, n - i, &cp);
		utf8proc_category_t cat;

		if (len <= 0) {
			i++;
			continue;
		}
		cat = utf8proc_category(cp);
		/* letters and numbers make the key; anything else separates */
		if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
		    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
			memcpy(k->p + k->len, folded + i, (size_t)len);
			k->len += (size_t)len;
		} else
			key_separator(k);
		i += len;
	}
	free(folded);
}

/*
 * The length of the character at s if it is U+2010 to U+2027 (dashes,
 * curly quotes, bullets, the ellipsis), else 0. Each is a separator in a
 * key, whatever stands around it (no letter or number comes of it under
 * NFKC, nothing composes with it, none is ignorable as U+200B or U+202A
 * are), so a word with an apostrophe ends there without utf8proc.
 */
static inline size_t
typographic_separator(const unsigned char *s, size_t n)
{
	return s[0] == 0xe2 && n >= 3 && s[1] == 0x80 && s[2] >= 0x90 && s[2] <= 0xa7 ? 3 : 0;
}

/* Where the run of ASCII at u[i] ends: the first byte >= 0x80, or len. */
static inline size_t
ascii_end(const unsigned char *u, size_t i, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, u + i, sizeof(v));
		if ((v &= 0x8080808080808080ull) != 0)
			return i + (size_t)__builtin_ctzll(v) / 8;
	}
#endif
	while (i < len && u[i] < 0x80)
		i++;
	return i;
}

/*
 * Fold the ASCII u[i..end) into k. No branch a byte: which bytes are
 * letters is as good as random to a branch predictor, and a mispredicted
 * branch a word cost more than the rest of the work.
 */
static void
ascii_run(struct key_out *k, const unsigned char *u, size_t i, size_t end)
{
	char *p = k->p;
	size_t o = k->len;
	unsigned last_space = o == 0 || p[o - 1] == ' ';

	for (; i < end; i++) {
		unsigned char f = ascii_fold[u[i]];
		unsigned space = f == ' ';

		p[o] = (char)f;
		o += !(space & last_space);
		last_space = space;
	}
	k->len = o;
}

/*
 * ASCII letters and digits fold here; only a word (a run between ASCII
 * separators and typographic punctuation) with other characters goes
 * through utf8proc, so one accented name does not send a whole body
 * through Unicode normalisation. The key is the same as normalising the
 * whole text at once (test_normalise checks it against that): nothing
 * composes across a separator into a letter or digit.
 */
char *
normalise_key(const char *text)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	struct key_out k;

	k.cap = len + 16;
	k.p = xmalloc(k.cap);
	k.len = 0;
	while (i < len) {
		size_t end = ascii_end(u, i, len), word, j, p;

		/* ASCII output is never longer than its input */
		key_room(&k, end - i);
		ascii_run(&k, u, i, end);
		if ((i = end) >= len)
			break;
		if ((p = typographic_separator(u + i, len - i)) > 0) {
			key_separator(&k);
			i += p;
			continue;
		}
		/* a word with a character beyond ASCII: its ASCII beginning,
		 * folded already (a byte each), goes through utf8proc with the
		 * rest */
		for (word = i; word > 0 && ascii_alnum(u[word - 1]); word--)
			;
		k.len -= i - word;
		for (j = i; j < len && (u[j] >= 0x80 || ascii_alnum(u[j])) &&
		    typographic_separator(u + j, len - j) == 0; j++)
			;
		unicode_word_key(&k, text + word, j - word);
		i = j;
	}
	if (k.len > 0 && k.p[k.len - 1] == ' ')
		k.len--;
	k.p[k.len] = '\0';
	return k.p;
}

uint64_t
normalise_hash(const char *key)
{
	unsigned char out[8];
	uint64_t h = 0;

	crypto_generichash(out, sizeof(out), (const unsigned char *)key,
	    strlen(key), NULL, 0);
	for (int i = 0; i < 8; i++)
		h = h << 8 | out[i];
	return h ? h : 1;	/* 0 means "no text" */
}

/* ---- building paragraphs ---- */

/* The hashes of a body's paragraphs so far: open addressing, so that a
 * body of 10 000 tiny paragraphs does not cost 10 000 squared checks. */
struct hashset {
	uint64_t	*v;
	size_t		 n;
	size_t		 size;	/* a power of two, or 0 */
};

static int
hashset_add(struct hashset *h, uint64_t x)
{
	size_t i;

	if (2 * (h->n + 1) > h->size) {
		struct hashset g = { NULL, 0, h->size ? h->size * 2 : 64 };

		g.v = xcalloc(g.size, sizeof(*g.v));
		for (i = 0; i < h->size; i++)
			if (h->v[i] != 0)
				hashset_add(&g, h->v[i]);
		free(h->v);
		*h = g;
	}
	for (i = (size_t)x & (h->size - 1); h->v[i] != 0; i = (i + 1) & (h->size - 1))
		if (h->v[i] == x)
			return 0;
	h->v[i] = x;
	h->n++;
	return 1;
}

struct walk {
	struct norm_body *body;
	struct hashset	 seen;
	const char	*base;
	struct buf	 text;
	struct buf	 html;
	enum norm_kind	 kind;
	int		 level;
	uintptr_t	 list;
	int		 pre;		/* inside <pre>: white space is kept */
	int		 br_pending;	/* a <br> not yet written: a second one splits */
	int		 has_image;
	/* Inline elements open around the current point: a <b> wrapping two
	 * <p>s must be closed at the end of the first paragraph's HTML and
	 * opened again in the next, so that each paragraph stands alone. */
	struct {
		char		*open;	/* NULL: not to be opened again */
		const char	*name;
		int		 live;	/* open in the current paragraph's HTML */
	} inl[NORMALISE_MAX_INLINE];
	int		 ninl;
	size_t		 reopened;	/* bytes spent opening tags again */
	int		 html_full;	/* a write to html passed its cap */
};

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The length of the Unicode space (Zs, or a line or paragraph separator)
 * that starts s, in UTF-8 bytes, or 0: no-break, en, em, thin, narrow and
 * ideographic spaces fold like ASCII ones.
 */
static size_t
unicode_space(const unsigned char *s, size_t left)
{
	if (left >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
		return 2;				/* U+00A0 */
	if (left >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;				/* U+2000-200A, 2028, 2029, 202F */
	if (left >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;				/* U+205F */
	if (left >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;				/* U+3000 */
	if (left >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;				/* U+1680 */
	return 0;
}

/* Fold runs of white space (Unicode spaces too) to one space, trimmed. */
static char *
fold_space(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	int space = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t u;

		if (is_space(c)) {
			space = 1;
			continue;
		}
		if (c >= 0xc2 && (u = unicode_space((const unsigned char *)s + i, len - i)) > 0) {
			space = 1;
			i += u - 1;
			continue;
		}
		if (space && o > out)
			*o++ = ' ';
		space = 0;
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

static void
para_add(struct norm_body *b, struct norm_para *p)
{
	if (b->n == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 16;
		b->v = xrealloc(b->v, b->alloc * sizeof(*b->v));
	}
	b->v[b->n++] = *p;
}

/*
 * Writing a paragraph's HTML: once a write passes the buffer's cap, the
 * paragraph's HTML is abandoned (it would end inside a tag or attribute)
 * and flush() falls back to its escaped text.
 */
static void
html_add(struct walk *w, const char *s, size_t n)
{
	if (!w->html_full && buf_add(&w->html, s, n) == -1)
		w->html_full = 1;
}

static void
html_str(struct walk *w, const char *s)
{
	html_add(w, s, strlen(s));
}

static void
html_escaped(struct walk *w, const char *s, size_t n)
{
	if (!w->html_full && buf_add_escaped(&w->html, s, n, 1) == -1)
		w->html_full = 1;
}

/* End the paragraph being built; a repeat of an earlier one is dropped. */
static void
flush(struct walk *w)
{
	struct norm_para p;
	char *key;

	w->br_pending = 0;
	for (int i = w->ninl; i-- > 0;) {
		if (!w->inl[i].live)
			continue;
		html_str(w, "</");
		html_str(w, w->inl[i].name);
		html_str(w, ">");
	}
	memset(&p, 0, sizeof(p));
	p.text = fold_space(buf_str(&w->text), w->text.len);
	if (p.text[0] == '\0' && !w->has_image) {
		free(p.text);
		goto reset;
	}
	if (w->body->n >= NORMALISE_MAX_PARAS) {
		free(p.text);
		goto reset;
	}
	key = normalise_key(p.text);
	if (key[0] != '\0') {
		p.hash = normalise_hash(key);
		p.has_text = 1;
	} else {
		/* a picture alone, or only punctuation: told apart by its HTML */
		char *hkey = fold_space(buf_str(&w->html), w->html.len);

		p.hash = normalise_hash(hkey);
		free(hkey);
	}
	free(key);
	if (!hashset_add(&w->seen, p.hash)) {
		w->body->repeats++;
		free(p.text);
		goto reset;
	}
	if (w->html_full) {
		/* the markup did not fit: the text, escaped, always does */
		struct buf t;

		buf_init(&t, (size_t)-1);
		buf_add_escaped(&t, p.text, strlen(p.text), 1);
		p.html = buf_detach(&t);
	} else
		p.html = w->pre ? xstrdup(buf_str(&w->html)) : fold_space(buf_str(&w->html), w->html.len);
	p.kind = w->kind;
	p.level = w->level;
	p.list = w->list;
	para_add(w->body, &p);
reset:
	buf_reset(&w->text);
	buf_reset(&w->html);
	w->html_full = 0;
	w->has_image = 0;
	for (int i = 0; i < w->ninl; i++) {
		/* opening tags again is bounded, or a long link around
		 * thousands of paragraphs would multiply the body */
		w->inl[i].live = w->inl[i].open != NULL &&
		    w->reopened + strlen(w->inl[i].open) <= NORMALISE_MAX_BODY;
		if (w->inl[i].live) {
			html_str(w, w->inl[i].open);
			w->reopened += strlen(w->inl[i].open);
		}
	}
}


static void
add_text(struct walk *w, const char *s)
{
	size_t len = strlen(s);

	if (w->br_pending) {
		/* a single <br> is kept, unless only white space follows it */
		size_t i;

		for (i = 0; i < len && is_space((unsigned char)s[i]); i++)
			;
		if (i == len)
			return;
		html_str(w, "<br>");
		buf_addc(&w->text, ' ');
		w->br_pending = 0;
	}
	buf_add(&w->text, s, len);
	html_escaped(w, s, len);
}

/* ---- the allow-list ---- */

enum role {
	ROLE_INLINE,	/* kept, with its allowed attributes */
	ROLE_TRANSPARENT,	/* dropped, its content kept */
	ROLE_BLOCK,	/* ends a paragraph; content kept */
	ROLE_DROP,	/* dropped with everything inside */
};

static enum role
tag_role(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_A: case GUMBO_TAG_ABBR: case GUMBO_TAG_B:
	case GUMBO_TAG_CITE: case GUMBO_TAG_CODE: case GUMBO_TAG_DFN:
	case GUMBO_TAG_EM: case GUMBO_TAG_I: case GUMBO_TAG_IMG:
	case GUMBO_TAG_KBD: case GUMBO_TAG_MARK: case GUMBO_TAG_Q:
	case GUMBO_TAG_S: case GUMBO_TAG_SAMP: case GUMBO_TAG_SMALL:
	case GUMBO_TAG_STRONG: case GUMBO_TAG_SUB: case GUMBO_TAG_SUP:
	case GUMBO_TAG_TIME: case GUMBO_TAG_U: case GUMBO_TAG_VAR:
		return ROLE_INLINE;
	case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_BODY: case GUMBO_TAG_CAPTION:
	case GUMBO_TAG_CENTER: case GUMBO_TAG_DD: case GUMBO_TAG_DETAILS:
	case GUMBO_TAG_DIR: case GUMBO_TAG_DIV:
	case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_FIELDSET:
	case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
	case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
	case GUMBO_TAG_HEADER: case GUMBO_TAG_HGROUP: case GUMBO_TAG_HR:
	case GUMBO_TAG_HTML: case GUMBO_TAG_LI: case GUMBO_TAG_MAIN:
	case GUMBO_TAG_MENU: case GUMBO_TAG_NAV: case GUMBO_TAG_OL:
	case GUMBO_TAG_P: case GUMBO_TAG_PRE: case GUMBO_TAG_SECTION:
	case GUMBO_TAG_SUMMARY: case GUMBO_TAG_TABLE: case GUMBO_TAG_TBODY:
	case GUMBO_TAG_TD: case GUMBO_TAG_TFOOT: case GUMBO_TAG_TH:
	case GUMBO_TAG_THEAD: case GUMBO_TAG_TR: case GUMBO_TAG_UL:
	case GUMBO_TAG_LISTING: case GUMBO_TAG_PLAINTEXT: case GUMBO_TAG_XMP:
		return ROLE_BLOCK;
	case GUMBO_TAG_APPLET: case GUMBO_TAG_AUDIO: case GUMBO_TAG_BASE:
	case GUMBO_TAG_BUTTON: case GUMBO_TAG_CANVAS: case GUMBO_TAG_DATALIST:
	case GUMBO_TAG_EMBED: case GUMBO_TAG_FORM: case GUMBO_TAG_FRAME:
	case GUMBO_TAG_FRAMESET: case GUMBO_TAG_HEAD: case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_INPUT: case GUMBO_TAG_KEYGEN: case GUMBO_TAG_LINK:
	case GUMBO_TAG_MATH: case GUMBO_TAG_META: case GUMBO_TAG_NOEMBED:
	case GUMBO_TAG_NOFRAMES: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_OBJECT:
	case GUMBO_TAG_OPTGROUP: case GUMBO_TAG_OPTION: case GUMBO_TAG_OUTPUT:
	case GUMBO_TAG_PARAM: case GUMBO_TAG_PROGRESS: case GUMBO_TAG_SCRIPT:
	case GUMBO_TAG_SELECT: case GUMBO_TAG_SOURCE: case GUMBO_TAG_STYLE:
	case GUMBO_TAG_SVG: case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_TEXTAREA:
	case GUMBO_TAG_TITLE: case GUMBO_TAG_TRACK: case GUMBO_TAG_VIDEO:
	case GUMBO_TAG_METER: case GUMBO_TAG_BGSOUND: case GUMBO_TAG_MARQUEE:
		return ROLE_DROP;
	default:
		return ROLE_TRANSPARENT;
	}
}

static const char *
attr(const GumboElement *e, const char *name)
{
	GumboAttribute *a = gumbo_get_attribute(&e->attributes, name);

	return a ? a->value : NULL;
}

/* An absolute http(s) or mailto URL for url, or NULL. */
static char *
safe_url(const char *base, const char *url, int allow_mailto)
{
	char *abs;

	if (url == NULL || *url == '\0')
		return NULL;
	abs = base ? uri_resolve(base, url) : xstrdup(url);
	if (abs == NULL)
		return NULL;
	if (strncasecmp(abs, "http://", 7) == 0 || strncasecmp(abs, "https://", 8) == 0 ||
	    (allow_mailto && strncasecmp(abs, "mailto:", 7) == 0))
		return abs;
	free(abs);
	return NULL;
}

static void
add_attr(struct walk *w, const char *name, const char *value)
{
	size_t len = strlen(value);

	/* a title or alt is a tooltip, not a document: cut, on a character */
	if (len > NORMALISE_MAX_ATTR && strcmp(name, "href") != 0 && strcmp(name, "src") != 0) {
		len = NORMALISE_MAX_ATTR;
		while (len > 0 && ((unsigned char)value[len] & 0xc0) == 0x80)
			len--;
	}
	html_str(w, " ");
	html_str(w, name);
	html_str(w, "=\"");
	html_escaped(w, value, len);
	html_str(w, "\"");
}

/* width="1", height="0": a tracking pixel, not a picture. */
static int
tiny(const char *dim)
{
	return dim != NULL && atoi(dim) <= 2 && strspn(dim, " 0123456789px") == strlen(dim);
}

/* Write an allowed inline element's opening tag; 0 if it is to be dropped
 * (a link or image whose URL is not safe keeps its text only). */
static int
open_inline(struct walk *w, const GumboElement *e)
{
	const char *name = gumbo_normalized_tagname(e->tag);
	char *url = NULL;

	if (w->br_pending) {
		html_str(w, "<br>");
		buf_addc(&w->text, ' ');
		w->br_pending = 0;
	}
	if (e->tag == GUMBO_TAG_A) {
		if ((url = safe_url(w->base, attr(e, "href"), 1)) == NULL)
			return 0;
		html_str(w, "<a");
		add_attr(w, "href", url);
		free(url);
		if (attr(e, "title"))
			add_attr(w, "title", attr(e, "title"));
		html_str(w, ">");
		return 1;
	}
	if (e->tag == GUMBO_TAG_IMG) {
		if (tiny(attr(e, "width")) || tiny(attr(e, "height")) ||
		    (url = safe_url(w->base, attr(e, "src"), 0)) == NULL)
			return 0;
		html_str(w, "<img");
		add_attr(w, "src", url);
		free(url);
		add_attr(w, "alt", attr(e, "alt") ? attr(e, "alt") : "");
		html_str(w, ">");
		w->has_image = 1;
		return 1;
	}
	html_str(w, "<");
	html_str(w, name);
	if ((e->tag == GUMBO_TAG_ABBR || e->tag == GUMBO_TAG_DFN) && attr(e, "title"))
		add_attr(w, "title", attr(e, "title"));
	if (e->tag == GUMBO_TAG_TIME && attr(e, "datetime"))
		add_attr(w, "datetime", attr(e, "datetime"));
	html_str(w, ">");
	return 1;
}

static void walk_node(struct walk *w, const GumboNode *n, int depth);

/*
 * The text under n, without recursion: what lies deeper than
 * NORMALISE_MAX_DEPTH may nest as deep as the tag cap allows, and the
 * stack must not grow with it.
 */
static void
walk_text(struct walk *w, const GumboNode *n)
{
	struct frame { const GumboNode *node; unsigned next; } *stack;
	size_t depth = 0, alloc = 64;

	stack = xcalloc(alloc, sizeof(*stack));
	stack[0].node = n;
	for (;;) {
		struct frame *f = &stack[depth];
		const GumboVector *kids = &f->node->v.element.children;
		const GumboNode *c;

		if (f->next >= kids->length) {
			if (depth-- == 0)
				break;
			continue;
		}
		c = kids->data[f->next++];
		if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA ||
		    c->type == GUMBO_NODE_WHITESPACE) {
			add_text(w, c->v.text.text);
			add_text(w, " ");
		} else if ((c->type == GUMBO_NODE_ELEMENT || c->type == GUMBO_NODE_TEMPLATE) &&
		    tag_role(c->v.element.tag) != ROLE_DROP) {
			if (++depth == alloc) {
				alloc *= 2;
				stack = xrealloc(stack, alloc * sizeof(*stack));
			}
			stack[depth].node = c;
			stack[depth].next = 0;
		}
	}
	free(stack);
}

static void
walk_children(struct walk *w, const GumboVector *children, int depth)
{
	for (unsigned i = 0; i < children->length; i++)
		walk_node(w, children->data[i], depth + 1);
}

static void
walk_block(struct walk *w, const GumboElement *e, int depth)
{
	enum norm_kind kind = w->kind;
	int level = w->level, pre = w->pre;
	uintptr_t list = w->list;

	flush(w);
	switch (e->tag) {
	case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
	case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
		w->kind = NORM_H;
		w->level = e->tag - GUMBO_TAG_H1 + 1;
		break;
	case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_MENU: case GUMBO_TAG_DIR:
		w->list = (uintptr_t)e;
		w->level = e->tag == GUMBO_TAG_OL;
		break;
	case GUMBO_TAG_LI:
		w->kind = NORM_LI;
		break;
	case GUMBO_TAG_BLOCKQUOTE:
		w->kind = NORM_QUOTE;
		break;
	case GUMBO_TAG_PRE: case GUMBO_TAG_LISTING: case GUMBO_TAG_XMP:
	case GUMBO_TAG_PLAINTEXT:
		w->kind = NORM_PRE;
		w->pre = 1;
		break;
	case GUMBO_TAG_P:
		if (w->kind != NORM_QUOTE && w->kind != NORM_LI)
			w->kind = NORM_P;
		break;
	default:
		break;
	}
	walk_children(w, &e->children, depth);
	flush(w);
	w->kind = kind;
	w->level = level;
	w->list = list;
	w->pre = pre;
}

static void
walk_node(struct walk *w, const GumboNode *n, int depth)
{
	const GumboElement *e;

	switch (n->type) {
	case GUMBO_NODE_DOCUMENT:
		walk_children(w, &n->v.document.children, depth);
		return;
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_CDATA:
	case GUMBO_NODE_WHITESPACE:
		add_text(w, n->v.text.text);
		return;
	case GUMBO_NODE_COMMENT:
		return;
	case GUMBO_NODE_ELEMENT:
	case GUMBO_NODE_TEMPLATE:
		break;
	}
	e = &n->v.element;
	if (e->tag_namespace != GUMBO_NAMESPACE_HTML)
		return;		/* SVG and MathML: nothing for a press release */
	if (e->tag == GUMBO_TAG_BR) {
		if (w->br_pending)
			flush(w);	/* <br><br>: a paragraph ends */
		else
			w->br_pending = 1;
		return;
	}
	if (depth > NORMALISE_MAX_DEPTH) {
		/* deeper than any real body: its text still counts */
		if (tag_role(e->tag) != ROLE_DROP)
			walk_text(w, n);
		return;
	}
	switch (tag_role(e->tag)) {
	case ROLE_DROP:
		return;
	case ROLE_BLOCK:
		walk_block(w, e, depth);
		return;
	case ROLE_TRANSPARENT:
		walk_children(w, &e->children, depth);
		return;
	case ROLE_INLINE: {
		size_t at = w->html.len;

		if (w->ninl == NORMALISE_MAX_INLINE || !open_inline(w, e)) {
			/* too deep, or a link that is not safe: its text only */
			if (e->tag != GUMBO_TAG_IMG)
				walk_children(w, &e->children, depth);
			return;
		}
		if (e->tag == GUMBO_TAG_IMG)
			return;
		/* the opening tag as written, to open it again after a split
		 * (a pending <br> may have been written first: skip it) */
		w->inl[w->ninl].open = w->html_full ? NULL : xstrdup(buf_str(&w->html) + at +
		    (strncmp(buf_str(&w->html) + at, "<br>", 4) == 0 ? 4 : 0));
		w->inl[w->ninl].name = gumbo_normalized_tagname(e->tag);
		w->inl[w->ninl++].live = 1;
		walk_children(w, &e->children, depth);
		free(w->inl[--w->ninl].open);
		if (w->inl[w->ninl].live) {
			html_str(w, "</");
			html_str(w, gumbo_normalized_tagname(e->tag));
			html_str(w, ">");
		}
		return;
	}
	}
}

/*
 * gumbo's memory, counted. The tree builder copies formatting elements,
 * attributes and all, each time it reopens them: a small body can ask
 * for gigabytes. Every allocation is linked into an arena; past
 * NORMALISE_MAX_TREE_BYTES the parse is abandoned with a longjmp (gumbo
 * holds nothing but memory) and the arena freed whole.
 */
struct arena {
	struct arena_block	*blocks;
	size_t			 bytes;
	jmp_buf			 over;
};

struct arena_block {
	struct arena_block	*prev, *next;
	size_t			 size;
	max_align_t		 data[];
};

static void *
arena_alloc(void *userdata, size_t size)
{
	struct arena *a = userdata;
	struct arena_block *b;

	if (a->bytes + size > NORMALISE_MAX_TREE_BYTES)
		longjmp(a->over, 1);
	b = xmalloc(sizeof(*b) + size);
	b->size = size;
	b->prev = NULL;
	b->next = a->blocks;
	if (a->blocks != NULL)
		a->blocks->prev = b;
	a->blocks = b;
	a->bytes += size;
	return b->data;
}

static void
arena_free(void *userdata, void *ptr)
{
	struct arena *a = userdata;
	struct arena_block *b;

	if (ptr == NULL)
		return;
	b = (struct arena_block *)((char *)ptr - offsetof(struct arena_block, data));
	if (b->prev != NULL)
		b->prev->next = b->next;
	else
		a->blocks = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	a->bytes -= b->size;
	free(b);
}

static void
arena_release(struct arena *a)
{
	while (a->blocks != NULL) {
		struct arena_block *b = a->blocks;

		a->blocks = b->next;
		free(b);
	}
	a->bytes = 0;
}

/*
 * A copy of html[0..len) in which every numeric character reference past
 * U+10FFFF reads &#xFFFD instead (what HTML5 makes of it), or NULL when
 * there is none. gumbo 0.10 adds up a reference's digits in an int: past
 * 2^31 it wraps, and "&#4294967409;" comes out as "q", "&#2147483648;" as
 * nothing, and some values as a lead byte with no continuation, which is
 * not UTF-8. Only the digits are replaced; a ';' after them stays.
 */
static char *
clamp_char_refs(const char *html, size_t len)
{
	struct buf out;
	size_t done = 0;
	int changed = 0;

	buf_init(&out, (size_t)-1);
	for (const char *p = html; (p = memchr(p, '&', len - (size_t)(p - html))) != NULL; p++) {
		const char *d = p + 1;
		int hex;
		uint32_t value = 0;
		const char *digits;

		if ((size_t)(d - html) >= len || *d != '#')
			continue;
		d++;
		hex = (size_t)(d - html) < len && (*d == 'x' || *d == 'X');
		d += hex;
		digits = d;
		for (; (size_t)(d - html) < len; d++) {
			unsigned v;

			if (*d >= '0' && *d <= '9')
				v = (unsigned)(*d - '0');
			else if (hex && ((*d | 0x20) >= 'a' && (*d | 0x20) <= 'f'))
				v = (unsigned)((*d | 0x20) - 'a' + 10);
			else
				break;
			/* saturate past the last code point: only "too big" counts */
			value = value > 0x10ffff ? value : value * (hex ? 16 : 10) + v;
		}
		if (d == digits || value <= 0x10ffff)
			continue;
		buf_add(&out, html + done, (size_t)(p - html) - done);
		buf_addstr(&out, "&#xFFFD");
		done = (size_t)(d - html);
		changed = 1;
		p = d - 1;
	}
	if (!changed) {
		buf_release(&out);
		return NULL;
	}
	buf_add(&out, html + done, len - done);
	return buf_detach(&out);
}

/* Parse with gumbo inside the budget; NULL if it would not fit. */
static GumboOutput *
tree_parse(struct arena *a, GumboOptions *opt, const char *html, size_t len)
{
	GumboOutput *volatile g = NULL;

	memset(a, 0, sizeof(*a));
	*opt = kGumboDefaultOptions;
	opt->max_errors = 0;	/* we do not read them; do not keep them */
	opt->allocator = arena_alloc;
	opt->deallocator = arena_free;
	opt->userdata = a;
	if (setjmp(a->over) == 0)
		g = gumbo_parse_with_options(opt, html, len);
	else {
		arena_release(a);
		g = NULL;
	}
	return g;
}

/*
 * Markup, as opposed to text that happens to hold a '<': a tag, or a
 * character reference ("Tom &amp; Jerry" from an RSS description is HTML
 * for "Tom & Jerry"; "AT&T" is text).
 */
static int
looks_like_html(const char *s)
{
	for (const char *p = s; (p = strpbrk(p, "<&")) != NULL; p++) {
		unsigned char c = (unsigned char)p[1];

		if (*p == '<') {
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!')
				return 1;
			continue;
		}
		if (c == '#' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

			if (n <= 32 && p[2 + n] == ';')
				return 1;
		}
	}
	return 0;
}

static void
split_text(struct walk *w, const char *s, size_t len)
{
	size_t start = 0;

	/* a blank line (only white space between two newlines) ends a paragraph */
	for (size_t i = 0; i <= len; i++) {
		size_t j = i;

		if (i < len && s[i] != '\n')
			continue;
		if (i < len) {
			for (j = i + 1; j < len && s[j] != '\n' && is_space((unsigned char)s[j]); j++)
				;
			if (j >= len || s[j] != '\n')
				continue;
		}
		buf_add(&w->text, s + start, i - start);
		html_escaped(w, s + start, i - start);
		flush(w);
		start = j < len ? j + 1 : len;
		i = j;
	}
}

void
normalise_body(const char *body, const char *base, struct norm_body *out)
{
	struct walk w;
	size_t len;
	char *cut = NULL;

	memset(out, 0, sizeof(*out));
	if (body == NULL)
		return;
	memset(&w, 0, sizeof(w));
	w.body = out;
	w.base = base && uri_is_absolute(base) ? base : NULL;
	buf_init(&w.text, PARA_MAX);
	buf_init(&w.html, PARA_MAX * 3);
	len = strlen(body);
	if (len > NORMALISE_MAX_BODY) {
		/* cut on a character boundary */
		len = NORMALISE_MAX_BODY;
		while (len > 0 && ((unsigned char)body[len] & 0xc0) == 0x80)
			len--;
		body = cut = xstrndup(body, len);
		out->truncated = 1;
	}
	{
		/* HTML tree building checks scopes against the stack of open
		 * elements, which costs the square of the nesting depth: past
		 * NORMALISE_MAX_TAGS start tags (more than any release has) the
		 * body is cut, so that hostile nesting stays cheap */
		size_t tags = 0;

		for (const char *p = strchr(body, '<'); p != NULL; p = strchr(p + 1, '<')) {
			unsigned char c = (unsigned char)p[1];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				continue;
			if (++tags > NORMALISE_MAX_TAGS) {
				char *shorter = xstrndup(body, (size_t)(p - body));

				free(cut);
				body = cut = shorter;
				len = strlen(body);
				out->truncated = 1;
				break;
			}
		}
	}
	if (looks_like_html(body)) {
		GumboOptions opt;
		struct arena arena;
		GumboOutput *g;
		char *clamped = clamp_char_refs(body, len);

		if (clamped != NULL) {
			free(cut);
			body = cut = clamped;
			len = strlen(body);
		}
		g = tree_parse(&arena, &opt, body, len);

		/* too costly whole: a quarter of it, which is more than any
		 * honest release needs, and the body is marked cut */
		if (g == NULL) {
			out->truncated = 1;
			len /= 4;
			while (len > 0 && ((unsigned char)body[len] & 0xc0) == 0x80)
				len--;
			g = tree_parse(&arena, &opt, body, len);
		}
		if (g != NULL) {
			walk_node(&w, g->document, 0);
			flush(&w);
			gumbo_destroy_output(&opt, g);
			arena_release(&arena);
		}
	} else
		split_text(&w, body, len);
	buf_release(&w.text);
	buf_release(&w.html);
	free(w.seen.v);
	free(cut);
}

void
norm_body_release(struct norm_body *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].text);
		free(b->v[i].html);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

char *
normalise_render(const struct norm_body *b)
{
	struct buf out;

	buf_init(&out, (size_t)-1);
	for (size_t i = 0; i < b->n; i++) {
		const struct norm_para *p = &b->v[i];
		const struct norm_para *prev = i > 0 ? &b->v[i - 1] : NULL;
		const struct norm_para *next = i + 1 < b->n ? &b->v[i + 1] : NULL;
		char tag[8];

		switch (p->kind) {
		case NORM_LI:
			/* items of one list share one <ul>/<ol> */
			if (!prev || prev->kind != NORM_LI || prev->list != p->list)
				buf_addstr(&out, p->level ? "<ol>" : "<ul>");
			buf_addstr(&out, "<li>");
			buf_addstr(&out, p->html);
			buf_addstr(&out, "</li>");
			if (!next || next->kind != NORM_LI || next->list != p->list)
				buf_addstr(&out, p->level ? "</ol>" : "</ul>");
			break;
		case NORM_QUOTE:
			if (!prev || prev->kind != NORM_QUOTE)
				buf_addstr(&out, "<blockquote>");
			buf_addstr(&out, "<p>");
			buf_addstr(&out, p->html);
			buf_addstr(&out, "</p>");
			if (!next || next->kind != NORM_QUOTE)
				buf_addstr(&out, "</blockquote>");
			break;
		case NORM_H:
			snprintf(tag, sizeof(tag), "h%d", p->level >= 1 && p->level <= 6 ? p->level : 2);
			buf_addc(&out, '<');
			buf_addstr(&out, tag);
			buf_addc(&out, '>');
			buf_addstr(&out, p->html);
			buf_addstr(&out, "</");
			buf_addstr(&out, tag);
			buf_addc(&out, '>');
			break;
		case NORM_PRE:
			buf_addstr(&out, "<pre>");
			buf_addstr(&out, p->html);
			buf_addstr(&out, "</pre>");
			break;
		case NORM_P:
			buf_addstr(&out, "<p>");
			buf_addstr(&out, p->html);
			buf_addstr(&out, "</p>");
			break;
		}
		buf_addc(&out, '\n');
	}
	return buf_detach(&out);
}

char *
normalise_plain(const char *text)
{
	struct norm_body b;
	struct buf out;

	if (text == NULL)
		return xstrdup("");
	if (!looks_like_html(text))
		return fold_space(text, strlen(text));
	normalise_body(text, NULL, &b);
	buf_init(&out, (size_t)-1);
	for (size_t i = 0; i < b.n; i++) {
		if (i > 0)
			buf_addc(&out, ' ');
		buf_addstr(&out, b.v[i].text);
	}
	norm_body_release(&b);
	return buf_detach(&out);
}
