/*
 * htmlcheck.h: what normalise's sanitised HTML may look like, checked
 * strictly. Shared by tests/unit/test_normalise.c and fuzz/fuzz_normalise.c.
 *
 * normalise writes tags from an allow-list, attributes as ` name="value"`
 * with the value escaped, and text with & < > " escaped. Anything else is a
 * violation: an unknown tag, an attribute outside the allow-list (or on the
 * wrong element), an href that is not http, https or mailto, an src that is
 * not http or https, an attribute value that is not closed or runs into
 * markup, a raw '>' or a bare '&' in text. With HTMLCHECK_BALANCED, every
 * element opened is also closed, in order, and nothing else is closed.
 */
#ifndef FEEDMILL_HTMLCHECK_H
#define FEEDMILL_HTMLCHECK_H

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HTMLCHECK_INLINE	1	/* one paragraph's html: inline tags only */
#define HTMLCHECK_BALANCED	2	/* opened elements are closed, in order */

/* Block elements normalise_render writes around paragraphs. */
static const char *const htmlcheck_block[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
	"blockquote", "pre", NULL
};
/* Inline elements a paragraph's html may hold. */
static const char *const htmlcheck_inline[] = {
	"a", "abbr", "b", "cite", "code", "dfn", "em", "i", "img", "kbd",
	"mark", "q", "s", "samp", "small", "strong", "sub", "sup", "time",
	"u", "var", "br", NULL
};

static inline int
htmlcheck_in(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* The attributes each element may carry. */
static inline int
htmlcheck_attr_ok(const char *tag, const char *attr)
{
	if (strcmp(tag, "a") == 0)
		return strcmp(attr, "href") == 0 || strcmp(attr, "title") == 0;
	if (strcmp(tag, "img") == 0)
		return strcmp(attr, "src") == 0 || strcmp(attr, "alt") == 0;
	if (strcmp(tag, "abbr") == 0 || strcmp(tag, "dfn") == 0)
		return strcmp(attr, "title") == 0;
	if (strcmp(tag, "time") == 0)
		return strcmp(attr, "datetime") == 0;
	return 0;
}

/* An escape as add_escaped writes it: &amp; &lt; &gt; &quot;. */
static inline size_t
htmlcheck_entity(const char *p)
{
	static const char *const ok[] = { "&amp;", "&lt;", "&gt;", "&quot;", NULL };

	for (int i = 0; ok[i] != NULL; i++)
		if (strncmp(p, ok[i], strlen(ok[i])) == 0)
			return strlen(ok[i]);
	return 0;
}

/*
 * NULL if s is allowed HTML, else what is wrong (in a static buffer, with
 * the offset and a little of the text there).
 */
static inline const char *
htmlcheck(const char *s, int flags)
{
	static char why[256];
	char stack[1024][12];
	int depth = 0;
	const char *p = s, *at = s, *what = NULL;

#define HTMLCHECK_FAIL(msg)	do { what = (msg); goto fail; } while (0)
	while (*p != '\0') {
		char name[12], attr[12];
		size_t n;
		int closing;

		at = p;
		if (*p == '>')
			HTMLCHECK_FAIL("raw '>' in text");
		if (*p == '&') {
			if ((n = htmlcheck_entity(p)) == 0)
				HTMLCHECK_FAIL("bare '&' in text");
			p += n;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		p++;
		closing = *p == '/';
		p += closing;
		for (n = 0; (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'); p++, n++)
			if (n + 1 >= sizeof(name))
				HTMLCHECK_FAIL("tag name too long");
			else
				name[n] = *p;
		name[n] = '\0';
		if (n == 0)
			HTMLCHECK_FAIL("'<' not followed by a tag name");
		if (!htmlcheck_in(htmlcheck_inline, name) &&
		    ((flags & HTMLCHECK_INLINE) || !htmlcheck_in(htmlcheck_block, name)))
			HTMLCHECK_FAIL("element not in the allow-list");
		if (closing) {
			if (*p != '>')
				HTMLCHECK_FAIL("junk in an end tag");
			p++;
			if (strcmp(name, "br") == 0 || strcmp(name, "img") == 0)
				HTMLCHECK_FAIL("end tag of a void element");
			if (flags & HTMLCHECK_BALANCED) {
				if (depth == 0)
					HTMLCHECK_FAIL("end tag of an element never opened");
				if (strcmp(stack[depth - 1], name) != 0)
					HTMLCHECK_FAIL("end tag does not match the open element");
				depth--;
			}
			continue;
		}
		while (*p == ' ') {
			const char *v;

			p++;
			for (n = 0; *p >= 'a' && *p <= 'z'; p++, n++)
				if (n + 1 >= sizeof(attr))
					HTMLCHECK_FAIL("attribute name too long");
				else
					attr[n] = *p;
			attr[n] = '\0';
			if (n == 0 || !htmlcheck_attr_ok(name, attr))
				HTMLCHECK_FAIL("attribute not in the allow-list");
			if (p[0] != '=' || p[1] != '"')
				HTMLCHECK_FAIL("attribute value not written as =\"...\"");
			p += 2;
			v = p;
			if (strcmp(attr, "href") == 0 &&
			    strncasecmp(v, "http://", 7) != 0 && strncasecmp(v, "https://", 8) != 0 &&
			    strncasecmp(v, "mailto:", 7) != 0)
				HTMLCHECK_FAIL("href not http, https or mailto");
			if (strcmp(attr, "src") == 0 &&
			    strncasecmp(v, "http://", 7) != 0 && strncasecmp(v, "https://", 8) != 0)
				HTMLCHECK_FAIL("src not http or https");
			while (*p != '"') {
				if (*p == '\0')
					HTMLCHECK_FAIL("attribute value never closed");
				if (*p == '<' || *p == '>')
					HTMLCHECK_FAIL("attribute value runs into markup");
				if (*p == '&') {
					if ((n = htmlcheck_entity(p)) == 0)
						HTMLCHECK_FAIL("bare '&' in an attribute value");
					p += n;
				} else
					p++;
			}
			p++;
		}
		if (*p != '>')
			HTMLCHECK_FAIL("junk in a start tag");
		p++;
		if ((flags & HTMLCHECK_BALANCED) && strcmp(name, "br") != 0 &&
		    strcmp(name, "img") != 0) {
			if (depth == (int)(sizeof(stack) / sizeof(stack[0])))
				HTMLCHECK_FAIL("nested too deep to check");
			memcpy(stack[depth++], name, sizeof(name));
		}
	}
	if ((flags & HTMLCHECK_BALANCED) && depth > 0) {
		snprintf(why, sizeof(why), "<%s> never closed", stack[depth - 1]);
		return why;
	}
	return NULL;
fail:
	snprintf(why, sizeof(why), "%s at offset %zu: '%.40s'", what, (size_t)(at - s), at);
	return why;
#undef HTMLCHECK_FAIL
}

/* 1 if s is well-formed UTF-8 (no overlong forms, surrogates or values
 * past U+10FFFF). */
static inline int
htmlcheck_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s != '\0') {
		unsigned c = *s;
		int n;
		unsigned cp, min;

		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

#endif
