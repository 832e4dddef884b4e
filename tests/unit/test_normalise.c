/*
 * normalise through its contract (normalise.h): a body split into
 * paragraphs, repeats dropped however another feed mangled them, the HTML
 * sanitised to the allow-list, plain-text bodies, titles, keys and hashes,
 * and the limits. Rendered HTML is checked with htmlcheck.h, strictly.
 */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <utf8proc.h>

#include "normalise.h"
#include "htmlcheck.h"
#include "tap.h"
#include "xmalloc.h"

#define BASE	"http://example.org/news/item.html"

static struct norm_body nb;	/* the body last normalised */
static char *rendered;		/* and its rendering */
static char *flattened;		/* and that without newlines */

/* Normalise body against BASE; the result is in nb, its render returned. */
static const char *
norm_base(const char *body, const char *base)
{
	norm_body_release(&nb);
	free(rendered);
	normalise_body(body, base, &nb);
	rendered = normalise_render(&nb);
	return rendered;
}

static const char *
norm(const char *body)
{
	return norm_base(body, BASE);
}

static const char *
text(size_t i)
{
	return i < nb.n ? nb.v[i].text : "(no such paragraph)";
}

static const char *
html(size_t i)
{
	return i < nb.n ? nb.v[i].html : "(no such paragraph)";
}

/* The render without the newlines between paragraphs (no <pre> in it). */
static const char *
flat(void)
{
	char *o;

	free(flattened);
	flattened = o = malloc(strlen(rendered) + 1);
	for (const char *s = rendered; *s; s++)
		if (*s != '\n')
			*o++ = *s;
	*o = '\0';
	return flattened;
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static int
has_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* The render is allowed HTML (htmlcheck), and so is every paragraph. */
static void
check_allowed(const char *name)
{
	const char *why = htmlcheck(rendered, 0);
	char label[256];

	snprintf(label, sizeof(label), "%s: the render is allow-listed HTML", name);
	if (!tap_ok(why == NULL, label))
		printf("#   %s\n", why);
	for (size_t i = 0; i < nb.n && why == NULL; i++)
		if ((why = htmlcheck(nb.v[i].html, HTMLCHECK_INLINE)) != NULL) {
			snprintf(label, sizeof(label), "%s: paragraph %zu's html is allow-listed", name, i);
			tap_ok(0, label);
			printf("#   %s\n", why);
		}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the checker itself: it must be able to say no ---- */

static void
test_checker(void)
{
	tap_ok(htmlcheck("<p>a <b>b</b> <a href=\"https://x.org/?a=1&amp;b\" title=\"&quot;t&quot;\">l</a>"
	    "<img src=\"http://x.org/i.png\" alt=\"\"><br><time datetime=\"2024\">t</time></p>\n"
	    "<ul><li>x</li></ul><pre>  a &lt; b\n</pre>", HTMLCHECK_BALANCED) == NULL,
	    "htmlcheck accepts what the renderer is meant to write");
	tap_ok(htmlcheck("<p>a<script>x</script></p>", 0) != NULL, "htmlcheck refuses <script>");
	tap_ok(htmlcheck("<p onclick=\"x\">a</p>", 0) != NULL, "htmlcheck refuses an event handler");
	tap_ok(htmlcheck("<a href=\"javascript:x\">a</a>", 0) != NULL, "htmlcheck refuses a javascript: href");
	tap_ok(htmlcheck("<img src=\"mailto:a@b\" alt=\"\">", 0) != NULL, "htmlcheck refuses a mailto: src");
	tap_ok(htmlcheck("<a title=\"x</p><p>y\">", 0) != NULL, "htmlcheck refuses a value running into markup");
	tap_ok(htmlcheck("<a title=\"x", 0) != NULL, "htmlcheck refuses an unclosed value");
	tap_ok(htmlcheck("a & b", 0) != NULL, "htmlcheck refuses a bare &");
	tap_ok(htmlcheck("<p>x</p>", HTMLCHECK_INLINE) != NULL, "htmlcheck refuses blocks inside a paragraph");
	tap_ok(htmlcheck("<b>a", HTMLCHECK_BALANCED) != NULL &&
	    htmlcheck("a</b>", HTMLCHECK_BALANCED) != NULL &&
	    htmlcheck("<b><i>a</b></i>", HTMLCHECK_BALANCED) != NULL,
	    "htmlcheck refuses unbalanced elements when asked");
	tap_ok(htmlcheck_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") &&
	    !htmlcheck_utf8("a\xc3") && !htmlcheck_utf8("\xe2\x82") && !htmlcheck_utf8("\x80") &&
	    !htmlcheck_utf8("\xc0\xaf") && !htmlcheck_utf8("\xed\xa0\x80"),
	    "htmlcheck_utf8 tells valid from broken UTF-8");
}

/* ---- paragraphs ---- */

static void
test_paragraphs(void)
{
	norm("<p>First paragraph.</p><p>Second <b>one</b>.</p>");
	tap_is_int((long long)nb.n, 2, "two <p>: two paragraphs");
	tap_is_str(text(1), "Second one.", "a paragraph's text has no markup");
	tap_is_str(html(1), "Second <b>one</b>.", "its html keeps the allowed inline markup");
	tap_ok(nb.n == 2 && nb.v[0].kind == NORM_P && nb.v[1].kind == NORM_P, "both are NORM_P");
	tap_is_str(flat(), "<p>First paragraph.</p><p>Second <b>one</b>.</p>", "rendered back as two <p>");

	norm("<div>In a div</div><div>Another div</div>");
	tap_ok(nb.n == 2 && strcmp(text(0), "In a div") == 0 && strcmp(text(1), "Another div") == 0,
	    "each <div> is a paragraph");

	norm("<h1>Top</h1><h3>Sub</h3><p>Body</p>");
	tap_ok(nb.n == 3 && nb.v[0].kind == NORM_H && nb.v[0].level == 1 &&
	    nb.v[1].kind == NORM_H && nb.v[1].level == 3 && nb.v[2].kind == NORM_P,
	    "headings are NORM_H with their level");
	tap_is_str(flat(), "<h1>Top</h1><h3>Sub</h3><p>Body</p>", "headings render at their level");

	norm("<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>");
	tap_ok(nb.n == 4 && nb.v[0].kind == NORM_LI && nb.v[3].kind == NORM_LI, "list items are NORM_LI");
	tap_ok(nb.n == 4 && nb.v[0].list == nb.v[1].list && nb.v[2].list == nb.v[3].list &&
	    nb.v[1].list != nb.v[2].list, "items of one list share it; two lists are told apart");
	tap_ok(nb.n == 4 && nb.v[0].level == 0 && nb.v[2].level == 1, "ordered lists have level 1");
	tap_is_str(flat(), "<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>",
	    "list items render inside one <ul>/<ol> per list");
	norm("<ul><li>a</li></ul><ul><li>b</li></ul>");
	tap_is_str(flat(), "<ul><li>a</li></ul><ul><li>b</li></ul>", "two adjacent lists stay two");
	norm("<ul><li><p>para in item</p></li></ul>");
	tap_ok(nb.n == 1 && nb.v[0].kind == NORM_LI, "a <p> inside an <li> is still a list item");

	norm("<blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote><p>After.</p>");
	tap_ok(nb.n == 3 && nb.v[0].kind == NORM_QUOTE && nb.v[1].kind == NORM_QUOTE &&
	    nb.v[2].kind == NORM_P, "blockquote paragraphs are NORM_QUOTE");
	tap_is_str(flat(), "<blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote><p>After.</p>",
	    "a blockquote renders as one <blockquote>");

	norm("<pre>  line one\n\tindented   x &lt; y\n</pre><p>after</p>");
	tap_ok(nb.n == 2 && nb.v[0].kind == NORM_PRE, "pre is NORM_PRE");
	tap_is_str(html(0), "  line one\n\tindented   x &lt; y\n", "pre keeps its white space in the html");
	tap_is_str(text(0), "line one indented x < y", "pre's text is folded like any other");
	tap_ok(has(rendered, "<pre>  line one\n\tindented   x &lt; y\n</pre>"), "pre renders verbatim");

	norm("<p>line one<br>line two</p>");
	tap_ok(nb.n == 1, "a single <br> does not split a paragraph");
	tap_is_str(html(0), "line one<br>line two", "a single <br> is kept in the html");
	tap_is_str(text(0), "line one line two", "a single <br> is a space in the text");
	norm("<p>part one<br><br>part two</p>");
	tap_ok(nb.n == 2 && strcmp(text(0), "part one") == 0 && strcmp(text(1), "part two") == 0,
	    "<br><br> splits a paragraph");
	norm("<p>part one<br/>\n  <br />part two</p>");
	tap_ok(nb.n == 2 && strcmp(text(1), "part two") == 0, "<br> white space <br> splits too");
	tap_ok(!has(html(0), "<br>") && !has(html(1), "<br>"), "the splitting <br>s are not kept");
	norm("<p>ends with a break<br></p><p>next</p>");
	tap_is_str(html(0), "ends with a break", "a <br> closing a paragraph is dropped");

	norm("Intro text <i>here</i>.<p>Then a paragraph.</p>Trailing text.");
	tap_ok(nb.n == 3 && strcmp(text(0), "Intro text here.") == 0 &&
	    strcmp(text(1), "Then a paragraph.") == 0 && strcmp(text(2), "Trailing text.") == 0,
	    "text directly in the body is a paragraph");
	tap_is_str(html(0), "Intro text <i>here</i>.", "with its inline markup");

	norm("<div><p>One</p><div><p>Two</p>between</div>after</div>");
	tap_ok(nb.n == 4 && strcmp(text(0), "One") == 0 && strcmp(text(1), "Two") == 0 &&
	    strcmp(text(2), "between") == 0 && strcmp(text(3), "after") == 0,
	    "nested blocks: every block and the text between them");
	norm("<div>Outer <div>inner</div> tail</div>");
	tap_ok(nb.n == 3 && strcmp(text(0), "Outer") == 0 && strcmp(text(2), "tail") == 0,
	    "text around a nested block is split off it");

	norm("<p>Caf&eacute; &amp; bar&nbsp;&mdash; 5&nbsp;&lt;&nbsp;6, &#233;&#xE9;</p>");
	tap_is_str(text(0), "Caf\xc3\xa9 & bar \xe2\x80\x94 5 < 6, \xc3\xa9\xc3\xa9",
	    "entities are decoded in the text");
	tap_is_str(html(0), "Caf\xc3\xa9 &amp; bar \xe2\x80\x94 5 &lt; 6, \xc3\xa9\xc3\xa9",
	    "and re-escaped only where needed in the html");

	norm("<p>  lots   of\n\n spaces\tand\t\ttabs&nbsp; \xc2\xa0 here  </p>");
	tap_is_str(text(0), "lots of spaces and tabs here", "white space runs fold to one space, trimmed");
	tap_is_str(html(0), "lots of spaces and tabs here", "in the html too");
	norm("<p>\n  <b> bold </b>  \n</p>");
	tap_is_str(text(0), "bold", "white space around inline markup is trimmed from the text");
}

/* ---- repeats ---- */

/* <p>a</p><p>b</p> is one paragraph: b repeats a. */
static void
same(const char *a, const char *b, const char *name)
{
	char body[512], label[256];

	snprintf(body, sizeof(body), "<p>%s</p><p>%s</p>", a, b);
	norm(body);
	snprintf(label, sizeof(label), "a repeat differing in %s is dropped", name);
	if (!tap_ok(nb.n == 1 && nb.repeats == 1, label))
		printf("#   n=%zu repeats=%zu: '%s' / '%s'\n", nb.n, nb.repeats, text(0), text(1));
}

static void
differ(const char *a, const char *b, const char *name)
{
	char body[512], label[256];

	snprintf(body, sizeof(body), "<p>%s</p><p>%s</p>", a, b);
	norm(body);
	snprintf(label, sizeof(label), "paragraphs differing in %s are both kept", name);
	tap_ok(nb.n == 2 && nb.repeats == 0, label);
}

static void
key_eq(const char *a, const char *b, const char *name)
{
	char *ka = normalise_key(a), *kb = normalise_key(b);
	char label[256];

	snprintf(label, sizeof(label), "normalise_key: %s gives the same key", name);
	tap_is_str(kb, ka, label);
	free(ka);
	free(kb);
}

static void
test_repeats(void)
{
	norm("<p>Alpha paragraph.</p><p>Beta paragraph.</p><p>Alpha paragraph.</p><p>Beta paragraph.</p>");
	tap_is_int((long long)nb.n, 2, "a body pasted twice comes out once");
	tap_is_int((long long)nb.repeats, 2, "repeats counts the dropped paragraphs");
	tap_is_str(flat(), "<p>Alpha paragraph.</p><p>Beta paragraph.</p>", "the render shows each paragraph once");

	same("Press release: New Office", "PRESS RELEASE: new office", "case");
	same("Hello, world! (Really.)", "Hello world Really", "punctuation");
	same("\xe2\x80\x9cIt\xe2\x80\x99s here,\xe2\x80\x9d she said.", "\"It's here,\" she said.",
	    "curly vs straight quotes");
	same("one two three", "one&nbsp;&nbsp; two \n\t three ", "spaces and &nbsp;");
	same("\xef\xac\x81nancial \xef\xac\x81gures", "financial figures", "the fi ligature (NFKC)");
	same("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3 Corp \xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x94",
	    "ABC Corp 2024", "full-width letters and digits (NFKC)");
	same("Caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9", "Cafe\xcc\x81 re\xcc\x81sume\xcc\x81",
	    "composed vs decomposed \xc3\xa9");
	same("&eacute;t&eacute;", "\xc3\xa9t\xc3\xa9", "entities vs characters");
	same("Hello <b>world</b>", "<i>Hello</i> world", "inline markup");
	norm("<h2>Same words</h2><p>Other.</p><div>Same words</div><ul><li>same WORDS</li></ul>");
	tap_ok(nb.n == 2 && nb.repeats == 2, "a repeat is dropped whatever block holds it");
	norm("<p>\xe2\x80\x9cQuoted\xe2\x80\x9d first</p><p>\"QUOTED\" FIRST</p>");
	tap_is_str(text(0), "\xe2\x80\x9cQuoted\xe2\x80\x9d first", "the first copy is the one kept");

	differ("Price rises 5%", "Price rises 6%", "a number");
	differ("Hello world", "Hello word", "a word");
	differ("The board met.", "The board met today.", "a trailing word");
	norm("<p>***</p><p>---</p>");
	tap_is_int((long long)nb.n, 2, "paragraphs of different punctuation only are both kept");

	key_eq("Press Release", "press release", "case");
	key_eq("Hello, world!", "hello   world", "punctuation and spaces");
	key_eq("\xe2\x80\x9cIt\xe2\x80\x99s\xe2\x80\x9d", "\"It's\"", "curly vs straight quotes");
	key_eq("a\xc2\xa0\xc2\xa0 b", "a b", "no-break spaces");
	key_eq("\xef\xac\x81le", "file", "the fi ligature");
	key_eq("\xef\xbc\xa8\xef\xbd\x85\xef\xbd\x8c\xef\xbd\x8c\xef\xbd\x8f", "hello", "full-width letters");
	key_eq("caf\xc3\xa9", "cafe\xcc\x81", "composed vs decomposed");
	key_eq("Stra\xc3\x9f" "e", "STRASSE", "sharp s case-folded");
	{
		char *k = normalise_key("  Hello,   World!  ");

		tap_is_str(k, "hello world", "a key is words separated by single spaces, nothing else");
		free(k);
		k = normalise_key(" ... -- !! ");
		tap_is_str(k, "", "punctuation alone gives an empty key");
		free(k);
	}
	{
		char *a = normalise_key("Quarterly results published");
		char *b = normalise_key("Quarterly results postponed");
		char *c = normalise_key("results published quarterly");

		tap_ok(strcmp(a, b) != 0, "keys of different texts differ");
		tap_ok(strcmp(a, c) != 0, "keys keep the word order");
		tap_ok(normalise_hash(a) != normalise_hash(b) && normalise_hash(a) != normalise_hash(c),
		    "hashes of different keys differ");
		free(a);
		free(b);
		free(c);
	}
}

/*
 * normalise_key against the definition it keeps: the whole text through
 * utf8proc at once (NFKC, case fold, ignorables and marks dropped), then
 * letters and numbers as words, anything else separating them. The fast
 * paths (ASCII words folded by table, typographic punctuation taken as a
 * separator) must give the same key on any valid UTF-8.
 */
static char *
reference_key(const char *text)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, -1, &folded,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPMARK);
	char *out = xmalloc(n > 0 ? 2 * (size_t)n + 1 : 1);
	size_t o = 0;
	int space = 0;

	for (utf8proc_ssize_t i = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(folded + i, n - i, &cp);
		utf8proc_category_t cat = utf8proc_category(cp);

		if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
		    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
			if (space && o > 0)
				out[o++] = ' ';
			space = 0;
			memcpy(out + o, folded + i, (size_t)len);
			o += (size_t)len;
		} else
			space = 1;
		i += len;
	}
	out[o] = '\0';
	free(folded);
	return out;
}

static void
test_key_reference(void)
{
	/* what real text mixes: ASCII, typographic punctuation, letters with
	 * diacritics (composed and not), ligatures, full-width and circled
	 * forms, ignorables, no-break and other spaces, Cyrillic */
	static const char *const pieces[] = {
		"a", "B", "z", "7", "OSCE", "s", " ", " ", ".", ",", "-", "'", "\"", "(",
		"\xe2\x80\x99", "\xe2\x80\x98", "\xe2\x80\x9c", "\xe2\x80\x9d",
		"\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\xa6", "\xe2\x80\x90",
		"\xe2\x80\x91", "\xe2\x80\x97", "\xe2\x80\xa2", "\xe2\x80\xa4",
		"\xe2\x80\xa8", "\xe2\x80\xaa", "\xe2\x80\x8b", "\xe2\x80\x8d",
		"\xc3\xa9", "\xc3\x89", "e\xcc\x81", "\xcc\x81", "\xc3\x9f",
		"\xef\xac\x81", "\xef\xbc\xa1", "\xe2\x91\xa0", "\xc2\xb2",
		"\xe2\x85\xab", "\xc7\x85", "\xc2\xa0", "\xd0\x96", "\xd0\xb6",
		"\xc4\x8c", "\xe2\x81\xa0", "\xe2\x80\xaf",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	uint64_t r = 0x2545f4914f6cdd1dull;
	int same = 1;
	char text[512];

	for (int t = 0; t < 20000 && same; t++) {
		size_t o = 0, n;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		n = 1 + (size_t)(r % 24);
		for (size_t k = 0; k < n; k++) {
			const char *p;

			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			p = pieces[r % npieces];
			memcpy(text + o, p, strlen(p));
			o += strlen(p);
		}
		text[o] = '\0';
		{
			char *got = normalise_key(text), *want = reference_key(text);

			if (strcmp(got, want) != 0) {
				same = 0;
				printf("# text '%s': key '%s', whole-text utf8proc '%s'\n", text, got, want);
			}
			free(got);
			free(want);
		}
	}
	tap_ok(same, "normalise_key equals the whole text through utf8proc, on 20 000 mixed texts");
}

static void
test_hash(void)
{
	char *k1 = normalise_key("Same text"), *k2 = normalise_key("SAME, text!");
	int zero = 0;
	char buf[32];

	tap_ok(normalise_hash(k1) == normalise_hash(k2), "equal keys, equal hashes");
	tap_ok(normalise_hash("") != 0, "the hash of the empty key is not 0");
	for (int i = 0; i < 100000; i++) {
		snprintf(buf, sizeof(buf), "key %d", i);
		zero |= normalise_hash(buf) == 0;
	}
	tap_ok(!zero, "no hash of 100 000 keys is 0");
	norm("<p>Same text</p>");
	tap_ok(nb.n == 1 && nb.v[0].has_text && nb.v[0].hash == normalise_hash(k1),
	    "a paragraph's hash is normalise_hash of its key");
	free(k1);
	free(k2);
}

/* ---- sanitising ---- */

static void
test_sanitise(void)
{
	norm("<p>before<script>alert(\"x\")</script>after</p>");
	tap_ok(!has_nocase(rendered, "script") && !has(rendered, "alert") &&
	    has(rendered, "before") && has(rendered, "after"), "no <script>, the text around it kept");
	check_allowed("script");
	norm("<p>a<style>p { color: red }</style>b</p><style>body{}</style>");
	tap_ok(!has_nocase(rendered, "style") && !has(rendered, "color"), "no <style> nor its content");
	norm("<p>x<iframe src=\"http://evil.example/\">inner</iframe>y</p>");
	tap_ok(!has_nocase(rendered, "iframe") && !has(rendered, "evil"), "no <iframe>");
	norm("<form action=\"http://evil.example/\"><input name=q value=v><button>Go</button>"
	    "<select><option>o</option></select><textarea>t</textarea></form><p>ok</p>");
	tap_ok(!has_nocase(rendered, "<form") && !has_nocase(rendered, "<input") &&
	    !has_nocase(rendered, "<button") && !has(rendered, "evil") && has(rendered, "ok"),
	    "no <form>, <input>, <button>");
	norm("<p>a<object data=\"http://evil.example/x.swf\"><param name=m value=v>fallback</object>"
	    "<embed src=\"http://evil.example/y.swf\">b</p>");
	tap_ok(!has_nocase(rendered, "object") && !has_nocase(rendered, "embed") &&
	    !has(rendered, "swf"), "no <object>, <embed>");
	norm("<p>a<svg><script>alert(1)</script><text>svgtext</text>"
	    "<a href=\"http://x.example/\">svglink</a></svg>b<math><mi>x</mi></math></p>");
	tap_ok(!has_nocase(rendered, "svg") && !has(rendered, "alert") && !has(rendered, "<a") &&
	    strcmp(text(0), "ab") == 0, "nothing of <svg> or <math> survives");
	check_allowed("svg");

	norm("<p onclick=\"steal()\">Click <b onmouseover=\"x()\">here</b> "
	    "<img src=\"/i.png\" onerror=\"y()\" alt=\"i\"><a href=\"/x\" onfocus=\"z()\">l</a></p>"
	    "<div onload=\"w()\">d</div>");
	tap_ok(!has(rendered, "onclick") && !has(rendered, "onmouseover") && !has(rendered, "onerror") &&
	    !has(rendered, "onfocus") && !has(rendered, "onload") && !has(rendered, "()"),
	    "no on* event handler attributes");
	check_allowed("event handlers");
	norm("<p style=\"color:red\">t <b style=\"x\">s</b> <a href=\"/x\" style=\"position:fixed\">l</a>"
	    "<img src=\"/i.png\" style=\"width:100%\" alt=\"\"></p>");
	tap_ok(!has(rendered, "style") && has(rendered, "<b>s</b>"), "no style= attributes");
	check_allowed("style attributes");

	norm("<p><a href=\"javascript:alert(1)\">js link</a></p>");
	tap_ok(!has(rendered, "<a") && !has_nocase(rendered, "javascript"), "no javascript: link");
	tap_is_str(text(0), "js link", "the text of a dropped link is kept");
	tap_is_str(html(0), "js link", "as text in the html");
	norm("<p><a href=\" JaVaScRiPt:alert(1)\">a</a> <a href=\"&#106;avascript:alert(2)\">b</a> "
	    "<a href=\"java&#x09;script:alert(3)\">c</a> <a href=\"\x01javascript:alert(4)\">d</a></p>");
	tap_ok(!has_nocase(rendered, "href=\"javascript") && !has_nocase(rendered, "href=\" javascript") &&
	    strcmp(text(0), "a b c d") == 0,
	    "no javascript: link in mixed case, entity-encoded, with a tab or a control character");
	check_allowed("javascript links");
	norm("<p><a href=\"data:text/html;base64,PHNjcmlwdD4=\">data link</a> "
	    "<a href=\"vbscript:msgbox(1)\">vb link</a></p>");
	tap_ok(!has(rendered, "<a") && !has(rendered, "data:") && !has(rendered, "vbscript") &&
	    has(rendered, "data link vb link"), "no data: or vbscript: link, their text kept");
	norm("<p>x<img src=\"javascript:alert(1)\" alt=\"a\"><img src=\"data:image/png;base64,iVBOR\" alt=\"b\">"
	    "<img src=\"mailto:a@example.org\" alt=\"c\"></p>");
	tap_ok(!has(rendered, "<img"), "no javascript:, data: or mailto: image");

	norm("<p><a href=\"/about\">About</a> <a href=\"../up.html\">Up</a> "
	    "<a href=\"same.html?a=1&amp;b=2#frag\">Same</a> <a href=\"//cdn.example.net/x\">Cdn</a> "
	    "<img src=\"img/p.png\" alt=\"P\"></p>");
	tap_ok(has(rendered, "<a href=\"http://example.org/about\">About</a>"), "a root-relative link is made absolute");
	tap_ok(has(rendered, "<a href=\"http://example.org/up.html\">Up</a>"), "a ../ link is made absolute");
	tap_ok(has(rendered, "<a href=\"http://example.org/news/same.html?a=1&amp;b=2#frag\">Same</a>"),
	    "a relative link keeps its query and fragment");
	tap_ok(has(rendered, "<a href=\"http://cdn.example.net/x\">Cdn</a>"), "a scheme-relative link takes the base's scheme");
	tap_ok(has(rendered, "<img src=\"http://example.org/news/img/p.png\" alt=\"P\">"), "a relative image is made absolute");
	norm_base("<p><a href=\"/about\">About</a> <a href=\"https://abs.example/\">Abs</a></p>", NULL);
	tap_is_str(html(0), "About <a href=\"https://abs.example/\">Abs</a>",
	    "without a base, a relative link is dropped (its text kept), an absolute one kept");
	norm("<p><a href=\"mailto:press@example.org\">Mail us</a> <a href=\"HTTPS://Up.Example/\">Up</a></p>");
	tap_is_str(html(0), "<a href=\"mailto:press@example.org\">Mail us</a> <a href=\"HTTPS://Up.Example/\">Up</a>",
	    "mailto: links are kept; HTTPS in capitals too");

	norm("<p><img src=\"https://img.example.org/photo.jpg\" alt=\"A photo\" width=\"640\" height=\"480\"></p>");
	tap_is_str(html(0), "<img src=\"https://img.example.org/photo.jpg\" alt=\"A photo\">",
	    "an https image is kept with its alt (and nothing else)");
	tap_ok(nb.n == 1 && nb.v[0].has_text == 0, "a picture alone is a paragraph without text");
	norm("<p><img src=\"http://img.example.org/a.png\"></p>");
	tap_is_str(html(0), "<img src=\"http://img.example.org/a.png\" alt=\"\">", "an http image without alt gets alt=\"\"");
	norm("<p><img src=\"http://t.example/p.gif\" width=\"1\" height=\"1\"></p>"
	    "<p><img src=\"http://t.example/q.gif\" width=\"0\" height=\"0\"></p>"
	    "<p><img src=\"http://t.example/r.gif\" height=\"1\"></p>"
	    "<p><img src=\"http://t.example/s.gif\" width=\"1px\"></p>");
	tap_is_int((long long)nb.n, 0, "1x1 and 0x0 tracking pixels are dropped");
	norm("<p>News<img src=\"http://t.example/p.gif\" width=1 height=1> today</p>");
	tap_is_str(html(0), "News today", "a tracking pixel in a paragraph is dropped, the text kept");

	norm("<p><font color=\"red\">red</font> <span class=\"x\">span</span> "
	    "<custom-tag data-x=\"1\">custom</custom-tag> <blink>blink</blink></p>");
	tap_is_str(html(0), "red span custom blink", "unknown elements are dropped, their text kept");
	tap_is_str(text(0), "red span custom blink", "and that text is in the paragraph's text");

	norm("<p><a href=\"http://example.org/x\" title='He said \"hi\" &amp; left'>q</a> "
	    "<abbr title='a\"b<c>'>AB</abbr> <time datetime='2024\" onclick=\"x'>now</time></p>");
	tap_is_str(html(0), "<a href=\"http://example.org/x\" title=\"He said &quot;hi&quot; &amp; left\">q</a> "
	    "<abbr title=\"a&quot;b&lt;c&gt;\">AB</abbr> <time datetime=\"2024&quot; onclick=&quot;x\">now</time>",
	    "attribute values are escaped: a '\"' cannot break out");
	norm("<p><a href='http://example.org/?q=\"&gt;&lt;script&gt;alert(1)' title=t>q</a>"
	    "<img src='http://example.org/i.png?\"onerror=\"x' alt='\" onerror=\"y'></p>");
	tap_ok(!has(rendered, "<script") && !has(rendered, "\"onerror") && !has(rendered, "\" onerror"),
	    "a '\"' in an href, src or alt cannot break out either");
	check_allowed("quotes in attributes");

	norm("<p>1 &lt; 2 &amp;&amp; 3 &gt; 2</p><p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	tap_is_str(html(0), "1 &lt; 2 &amp;&amp; 3 &gt; 2", "text < > & are escaped in the html");
	tap_is_str(text(0), "1 < 2 && 3 > 2", "and plain in the text");
	tap_ok(!has(rendered, "<script"), "escaped markup in the text stays text");
	check_allowed("escaped text");
}

/* Hostile bodies: whatever comes in, the render is allowed HTML. */
static void
test_hostile(void)
{
	static const char *const bodies[] = {
		"<p>a<SCRIPT SRC=http://x/x.js></SCRIPT>b<ScRiPt>c</sCrIpT></p>",
		"<p><a href=\"http://x/\"<script>alert(1)</script>>l</a></p>",
		"<p><img src=x onerror=alert(1)//></p><img/src=\"http://x/\"/onerror=alert(1)>",
		"<p><a href=\"  http://ok.example/ \">l</a><a href=\"http://x/\" href=\"javascript:y\">d</a></p>",
		"<table><tr><td>cell<td>cell2</table><noscript><p>ns</p></noscript>",
		"<p><b><i>overlap</b></i> <a href=\"http://x/\">a<a href=\"http://y/\">b</a></a></p>",
		"<template><p>tpl</p></template><p>x</p><!-- <script>c</script> --><![CDATA[<b>]]>",
		"<p>\"quotes\" & 'apostrophes' & <3 & a<b c>d</p>",
		"<xmp><script>x</script></xmp><plaintext><b>raw</b>",
		"<p><q cite=\"javascript:x\">q</q> <del>d</del> <ins>i</ins> <sup onclick=x>s</sup></p>",
		"<a href=\"http://x/\"><div>block link</div></a>",
		"<p>x</p><base href=\"javascript:/\"><a href=\"/y\">y</a>",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"<svg><p><style><img src=x onerror=alert(1)></style></p></svg>",
		"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
		"<p><img src=\"http://x/\" alt=\"a\nb\" title=\"t\"></p>",
	};
	char name[64];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		norm(bodies[i]);
		snprintf(name, sizeof(name), "hostile body %zu", i + 1);
		check_allowed(name);
	}
}

/*
 * Numeric character references past U+10FFFF are U+FFFD (HTML5), however
 * many digits they have: gumbo adds them up in an int, so that past 2^31
 * one came out as another character or as a byte that is not UTF-8 (found
 * by fuzz_normalise).
 */
static void
test_char_ref_overflow(void)
{
	static const struct { const char *body, *text; } cases[] = {
		{ "<p>a&#1114111;b</p>", "a\xf4\x8f\xbf\xbf" "b" },	/* the last code point */
		{ "<p>a&#1114112;b</p>", "a\xef\xbf\xbd" "b" },
		{ "<p>a&#2147483648;b</p>", "a\xef\xbf\xbd" "b" },
		{ "<p>a&#4294967409;b</p>", "a\xef\xbf\xbd" "b" },	/* 2^32 + 'q' */
		{ "<p>a&#x100000071;b</p>", "a\xef\xbf\xbd" "b" },
		{ "<p>a&#X80000000 b</p>", "a\xef\xbf\xbd b" },	/* no ';' */
		{ "<p>a&#77777777777777777777777777777777777777;b</p>", "a\xef\xbf\xbd" "b" },
		{ "<p>a&#0000000000000000000000113;b</p>", "aqb" },	/* leading zeros */
		{ "<p>a &#x; &#; &amp;#99999999999;</p>", "a &#x; &#; &#99999999999;" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		norm(cases[i].body);
		snprintf(name, sizeof(name), "character reference %zu: %.40s", i + 1, cases[i].body);
		tap_is_str(nb.n > 0 ? text(0) : "", cases[i].text, name);
	}
	norm("A plai7777777777&#777777777777777777777777777<p>Geneva, 3 Marc<b>Secretariat</b> t77oday777</p>");
	tap_ok(htmlcheck_utf8(rendered), "the fuzzer's body renders as UTF-8");
}

/* Each paragraph's html is a fragment of its own: what it opens it closes. */
static void
test_balanced(void)
{
	static const struct { const char *body, *name; } cases[] = {
		{ "<p><b>bold <i>both</i></b> <a href=\"http://x.example/\">l</a></p>",
		  "nested inline elements" },
		{ "<b>a<div>b</div>c</b><p>after</p>",
		  "a <b> around a <div>" },
		{ "<a href=\"http://x.example/\">click<p>para</p>tail</a><p>next</p>",
		  "a link around a <p>" },
		{ "<p><a href=\"http://x.example/\">one<br><br>two</a></p>",
		  "a link across <br><br>" },
	};
	char label[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;

		norm(cases[i].body);
		for (size_t j = 0; j < nb.n && why == NULL; j++)
			why = htmlcheck(nb.v[j].html, HTMLCHECK_INLINE | HTMLCHECK_BALANCED);
		snprintf(label, sizeof(label), "%s: each paragraph's html closes what it opens", cases[i].name);
		if (!tap_ok(why == NULL, label)) {
			printf("#   %s\n", why);
			for (size_t j = 0; j < nb.n; j++)
				printf("#   paragraph %zu: '%s'\n", j, nb.v[j].html);
		}
	}
}

/*
 * HTML tree building clones a link (attributes and all) into every element
 * it reopens it in, up to NORMALISE_MAX_DEPTH times in one paragraph; with
 * a long href or title full of '"' (6 bytes escaped) and text full of '"',
 * a paragraph's html can grow past its cap. What is kept must still be
 * allowed HTML: an attribute value left open swallows the markup after it
 * and turns the next paragraph's URL into attributes (onmouseover=...).
 * Where the cap falls depends on every byte before it, so the text is
 * shifted by 0 to 6 bytes.
 */
static char *
cloned_link(size_t text_quotes, size_t shift, const char *href, const char *title)
{
	size_t cap = 200 * 16 + text_quotes + shift + strlen(href) + strlen(title) + 512, o = 0;
	char *s = malloc(cap);

	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(s + o, cap - o, "<span>");
	memset(s + o, '"', text_quotes);
	o += text_quotes;
	memset(s + o, 'z', shift);
	o += shift;
	o += (size_t)snprintf(s + o, cap - o, "<a href='http://x.example/%s' title='%s'>x", href, title);
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(s + o, cap - o, "</span>y");
	snprintf(s + o, cap - o, "</a><p><img src=\"http://x.example/onmouseover=alert(1)//\" alt=pic></p>");
	return s;
}

static void
cap_case(size_t text_quotes, const char *href, const char *title, const char *name)
{
	int ok = 1;

	for (size_t shift = 0; shift < 7; shift++) {
		char *s = cloned_link(text_quotes, shift, href, title);
		const char *why;

		norm(s);
		free(s);
		why = htmlcheck(rendered, 0);
		for (size_t i = 0; i < nb.n && why == NULL; i++)
			why = htmlcheck(nb.v[i].html, HTMLCHECK_INLINE | HTMLCHECK_BALANCED);
		if (why != NULL) {
			printf("#   text shifted by %zu: %s\n", shift, why);
			ok = 0;
		}
	}
	tap_ok(ok, name);
}

static void
test_cap(void)
{
	char *quotes = malloc(12000 + 8), *pairs = malloc(8000 + 1);

	memset(quotes, '"', 12000);
	strcpy(quotes + 12000, "aaaaa");
	for (int i = 0; i < 8000; i += 2)
		memcpy(pairs + i, "a\"", 2);
	pairs[8000] = '\0';
	cap_case(0, "", quotes, "a link reopened 128 times with a 12 000-quote title: the html stays allowed and balanced");
	quotes[8000] = '\0';
	cap_case(50000, quotes, "t", "the same with an 8 000-quote href after 50 000 quotes of text");
	cap_case(500000, pairs, "t", "the same with an href of 4 000 'a\"' after 500 000 quotes of text");
	free(quotes);
	free(pairs);
}

/* ---- plain text ---- */

static void
test_plain_bodies(void)
{
	norm("First paragraph line one\nline two.\n\nSecond paragraph.\n  \t\nThird & last < first > zero.\n");
	tap_is_int((long long)nb.n, 3, "a plain-text body splits on blank lines");
	tap_is_str(text(0), "First paragraph line one line two.", "a single newline does not split");
	tap_is_str(html(2), "Third &amp; last &lt; first &gt; zero.", "plain text is HTML-escaped in the html");
	tap_is_str(text(2), "Third & last < first > zero.", "and kept as it is in the text");
	norm("a < b & c");
	tap_ok(nb.n == 1 && strcmp(text(0), "a < b & c") == 0 && strcmp(html(0), "a &lt; b &amp; c") == 0,
	    "\"a < b & c\" stays text");
	norm("I <3 feeds & more");
	tap_is_str(html(0), "I &lt;3 feeds &amp; more", "\"<3\" is not markup");
	norm("One\r\n\r\nTwo\r\n");
	tap_ok(nb.n == 2 && strcmp(text(0), "One") == 0 && strcmp(text(1), "Two") == 0,
	    "CRLF blank lines split too");
	norm("Same text.\n\nSame   TEXT\n\nOther.");
	tap_ok(nb.n == 2 && nb.repeats == 1, "repeats are dropped from plain-text bodies");
	norm("<p>\xe2\x80\x83" "Em\xe2\x80\x83space,\xe3\x80\x80ideographic\xe2\x80\xafnarrow\xe2\x80\x89thin\xc2\xa0\xc2\xa0</p>");
	tap_is_str(text(0), "Em space, ideographic narrow thin",
	    "Unicode spaces (em, ideographic, narrow, thin, no-break) fold and trim like ASCII ones");
	/* an RSS description is HTML even without a tag: its references are */
	norm("Tom &amp; Jerry&nbsp;show");
	tap_ok(nb.n == 1 && strcmp(text(0), "Tom & Jerry show") == 0 && strcmp(html(0), "Tom &amp; Jerry show") == 0,
	    "a body with character references but no tag is read as HTML");
	norm("AT&T results; Q&A session");
	tap_ok(nb.n == 1 && strcmp(text(0), "AT&T results; Q&A session") == 0,
	    "an ampersand that starts no reference stays text");
	check_allowed("plain text");
}

static void
test_plain_titles(void)
{
	static const struct { const char *in, *want, *name; } cases[] = {
		{ "  Breaking:\n <b>Big</b>&nbsp;news &amp; <i>more</i>  ", "Breaking: Big news & more",
		  "markup and entities in a title give folded plain text" },
		{ "Caf&eacute; <em>opens</em>", "Caf\xc3\xa9 opens", "a named entity is decoded" },
		{ "<p>Title</p>", "Title", "a <p> around a title" },
		{ "<script>alert(1)</script>Safe <style>x</style>title", "Safe title", "no script or style text" },
		{ "Plain   title\twith\nspace", "Plain title with space", "a plain title has its white space folded" },
		{ "5 < 6 & 7 > 3", "5 < 6 & 7 > 3", "a plain title with < & > is kept as it is" },
		{ "AT&amp;T results", "AT&T results", "a title with a reference but no tag is decoded" },
		{ "", "", "an empty title" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = normalise_plain(cases[i].in);

		tap_is_str(p, cases[i].want, cases[i].name);
		free(p);
	}
	{
		char *p = normalise_plain(NULL);

		tap_is_str(p, "", "a NULL title gives \"\"");
		free(p);
	}
}

/* ---- limits ---- */

/* piece n times, with room for extra more bytes after it */
static char *
repeat_str(size_t n, const char *piece, size_t extra)
{
	size_t len = strlen(piece);
	char *s = malloc(n * len + extra + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, piece, len);
	s[n * len] = '\0';
	return s;
}

/* <p>item 0</p><p>item 1</p>..., or item 0\n\nitem 1\n\n... */
static char *
numbered_paras(size_t n, int html_body)
{
	size_t cap = n * 24 + 1, o = 0;
	char *s = malloc(cap);

	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (html_body)
			o += (size_t)snprintf(s + o, cap - o, "<p>item %zu</p>", i);
		else
			o += (size_t)snprintf(s + o, cap - o, "item %zu\n\n", i);
	return s;
}

static void
test_limits(void)
{
	char *s;
	size_t o;
	double t;
	int ok;

	s = numbered_paras(10000, 1);
	t = now();
	norm(s);
	t = now() - t;
	tap_is_int((long long)nb.n, 10000, "10 000 tiny paragraphs give 10 000 paragraphs");
	tap_ok(nb.n == 10000 && strcmp(text(0), "item 0") == 0 && strcmp(text(9999), "item 9999") == 0,
	    "in order");
	if (!tap_ok(t < 5.0, "10 000 tiny paragraphs take less than 5 s"))
		printf("#   took %.1f s\n", t);
	free(s);
	s = numbered_paras(NORMALISE_MAX_PARAS + 5000, 0);
	norm(s);
	tap_is_int((long long)nb.n, NORMALISE_MAX_PARAS, "past NORMALISE_MAX_PARAS paragraphs the rest is dropped");
	tap_ok(nb.n == NORMALISE_MAX_PARAS && strcmp(text(NORMALISE_MAX_PARAS - 1), "item 19999") == 0,
	    "the first ones are kept");
	free(s);
	s = numbered_paras(NORMALISE_MAX_TAGS + 5000, 1);
	norm(s);
	tap_ok(nb.truncated && nb.n == NORMALISE_MAX_TAGS && strcmp(text(nb.n - 1), "item 19999") == 0,
	    "a body past NORMALISE_MAX_TAGS start tags is cut there and marked truncated");
	free(s);
	{
		char body[256], *b = body;

		for (int i = 0; i < NORMALISE_MAX_INLINE + 4; i++)
			b += sprintf(b, "<b>");
		strcpy(b, "deep inline");
		norm(body);
		tap_ok(nb.n == 1 && strcmp(text(0), "deep inline") == 0 &&
		    htmlcheck(html(0), HTMLCHECK_INLINE | HTMLCHECK_BALANCED) == NULL,
		    "inline elements nested past NORMALISE_MAX_INLINE: text kept, html balanced");
	}
	{
		char body[2048], *b = body;
		const char *v;

		b += sprintf(b, "<p><abbr title=\"");
		for (int i = 0; i < 400; i++)
			b += sprintf(b, "\xc3\xa9");	/* 800 bytes */
		strcpy(b, "\">x</abbr></p>");
		norm(body);
		v = strstr(html(0), "title=\"");
		tap_ok(v != NULL && strchr(v + 7, '"') - (v + 7) <= NORMALISE_MAX_ATTR &&
		    strchr(v + 7, '"') - (v + 7) >= NORMALISE_MAX_ATTR - 1 && htmlcheck_utf8(html(0)),
		    "a title is cut at NORMALISE_MAX_ATTR bytes, on a character boundary");
	}

	s = malloc(1000000);
	o = (size_t)sprintf(s, "<p>");
	for (int i = 0; o < 900000; i++)
		o += (size_t)sprintf(s + o, "word%d ", i);
	strcpy(s + o, "</p>");
	t = now();
	norm(s);
	t = now() - t;
	tap_is_int((long long)nb.n, 1, "one huge paragraph (900 KB of words) is one paragraph");
	tap_ok(nb.n == 1 && strlen(text(0)) > 890000 && strncmp(text(0), "word0 word1 ", 12) == 0,
	    "with all its text");
	if (!tap_ok(t < 5.0, "and takes less than 5 s"))
		printf("#   took %.1f s\n", t);
	free(s);

	/* a body past NORMALISE_MAX_BODY, cut at every alignment of 2, 3 and
	 * 4-byte characters, HTML and plain */
	ok = 1;
	s = malloc(NORMALISE_MAX_BODY + 64);
	for (int html_body = 0; html_body <= 1; html_body++)
		for (int width = 2; width <= 4; width++)
			for (int shift = 0; shift < width; shift++) {
				static const char *const chr[] = { "", "", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };

				o = 0;
				if (html_body)
					o += (size_t)sprintf(s, "<p>");
				memset(s + o, 'x', (size_t)shift);
				o += (size_t)shift;
				while (o < NORMALISE_MAX_BODY + 32) {
					memcpy(s + o, chr[width], (size_t)width);
					o += (size_t)width;
				}
				s[o] = '\0';
				norm(s);
				if (!nb.truncated || nb.n != 1 || !htmlcheck_utf8(text(0)) ||
				    !htmlcheck_utf8(html(0)) || strlen(text(0)) < NORMALISE_MAX_BODY - 8 ||
				    strlen(text(0)) > NORMALISE_MAX_BODY) {
					printf("# %s body, %d-byte characters after %d bytes: truncated=%d n=%zu "
					    "text %zu bytes, valid UTF-8 %d\n", html_body ? "html" : "plain",
					    width, shift, nb.truncated, nb.n, strlen(text(0)), htmlcheck_utf8(text(0)));
					ok = 0;
				}
			}
	tap_ok(ok, "a body over NORMALISE_MAX_BODY is truncated, cut on a character boundary");
	memset(s, 'y', NORMALISE_MAX_BODY);
	s[NORMALISE_MAX_BODY] = '\0';
	norm(s);
	tap_ok(!nb.truncated && nb.n == 1 && strlen(text(0)) == NORMALISE_MAX_BODY,
	    "a body of exactly NORMALISE_MAX_BODY is not truncated");
	s[NORMALISE_MAX_BODY] = 'y';
	s[NORMALISE_MAX_BODY + 1] = '\0';
	norm(s);
	tap_ok(nb.truncated && nb.n == 1 && strlen(text(0)) == NORMALISE_MAX_BODY,
	    "one byte more is truncated to NORMALISE_MAX_BODY");
	free(s);

	s = repeat_str(10000, "<div>", 16 + 10000 * 6);
	strcat(s, "deep <b>text</b>");
	o = strlen(s);
	for (int i = 0; i < 10000; i++, o += 6)
		memcpy(s + o, "</div>", 7);
	norm(s);
	tap_ok(nb.n == 1 && strcmp(text(0), "deep text") == 0, "10 000 nested <div>s: no crash, the text kept");
	free(s);

	s = repeat_str(300, "<div><span>", 256);
	strcat(s, "<p>deep</p><script>alert(1)</script><a href=\"javascript:x()\">link</a>"
	    "<img src=x onerror=y()><style>zzz-style</style>");
	norm(s);
	tap_ok(has(rendered, "deep") && has(rendered, "link") && !has(rendered, "alert") &&
	    !has(rendered, "javascript") && !has(rendered, "onerror") && !has(rendered, "zzz-style"),
	    "past NORMALISE_MAX_DEPTH: text kept, nothing dangerous");
	check_allowed("deep nesting");
	free(s);

	norm("");
	tap_ok(nb.n == 0 && nb.repeats == 0 && !nb.truncated, "an empty body gives 0 paragraphs");
	tap_is_str(rendered, "", "and renders as \"\"");
	norm(NULL);
	tap_is_int((long long)nb.n, 0, "a NULL body gives 0 paragraphs");
	norm(" \n\t <p> </p><div>&nbsp;</div><br><br>\n");
	tap_is_int((long long)nb.n, 0, "a body of white space and empty blocks gives 0 paragraphs");
	norm_body_release(&nb);
	tap_ok(nb.v == NULL && nb.n == 0, "norm_body_release leaves an empty body");
}

/* ---- time ---- */

static char timeout_line[256];

static void
on_alarm(int sig)
{
	(void)sig;
	if (write(1, timeout_line, strlen(timeout_line)) < 0)
		_exit(2);
	_exit(1);
}

/*
 * NORMALISE_MAX_BODY and NORMALISE_MAX_TAGS are there to bound tree
 * building's cost (quadratic in the nesting depth); a body of 1 MiB must
 * take seconds at worst, whatever its markup. Run last: on a timeout the
 * plan is printed from the alarm.
 */
static void
test_deep_time(void)
{
	char *s = repeat_str(NORMALISE_MAX_BODY / 5, "<div>", 16);
	const char *name = "1 MiB of nested <div>s is normalised in less than 10 s";
	double t;

	strcat(s, "deep");
	snprintf(timeout_line, sizeof(timeout_line), "not ok %d - %s\n# still running after 10 s\n1..%d\n",
	    tap_n + 1, name, tap_n + 1);
	fflush(stdout);	/* the alarm writes past stdio */
	signal(SIGALRM, on_alarm);
	alarm(10);
	t = now();
	norm(s);
	t = now() - t;
	alarm(0);
	if (!tap_ok(t < 10.0, name))
		printf("#   took %.1f s\n", t);
	tap_ok(nb.truncated, "and is cut (NORMALISE_MAX_TAGS), marked truncated");
	free(s);
}

int
main(void)
{
	test_checker();
	test_paragraphs();
	test_repeats();
	test_hash();
	test_key_reference();
	test_sanitise();
	test_hostile();
	test_char_ref_overflow();
	test_balanced();
	test_cap();
	test_plain_bodies();
	test_plain_titles();
	test_limits();
	test_deep_time();
	norm_body_release(&nb);
	free(rendered);
	free(flattened);
	return tap_done();
}
