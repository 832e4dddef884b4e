/*
 * libFuzzer target for normalise: the input, as a NUL-terminated body, goes
 * through normalise_body against a fixed base, then normalise_render; the
 * output must hold to the allow-list whatever came in. Aborts when:
 *   - the render has an element, attribute, link scheme or escape outside
 *     what tests/unit/htmlcheck.h allows (no <script>, no on*=, no style=,
 *     no javascript:/data: URL, no attribute value left open), or a
 *     paragraph's html has anything but inline elements, or does not close
 *     every element it opens;
 *   - for an input that is valid UTF-8 (the parser hands on nothing else):
 *     a paragraph's text or html, its key, the render or normalise_plain
 *     of the input is not valid UTF-8;
 *   - a paragraph is empty, or its hash is 0 or not the hash of its key;
 *   - repeats are not dropped (two paragraphs with text and the same hash).
 *
 * Build: ./configure --enable-fuzzer CC=clang && make fuzz/fuzz_normalise
 * Run:   see README.md, "Fuzzing".
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalise.h"
#include "../tests/unit/htmlcheck.h"

#define BASE	"http://example.org/news/item.html"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
violation(const char *what, const char *detail, const char *out)
{
	fprintf(stderr, "fuzz_normalise: %s: %s\n", what, detail ? detail : "");
	if (out != NULL)
		fprintf(stderr, "in: %.2000s\n", out);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct norm_body b;
	char *body, *out, *plain;
	const char *why;
	int utf8;

	body = malloc(size + 1);
	memcpy(body, data, size);
	body[size] = '\0';
	utf8 = htmlcheck_utf8(body);

	normalise_body(body, BASE, &b);
	out = normalise_render(&b);
	if ((why = htmlcheck(out, 0)) != NULL)
		violation("render outside the allow-list", why, out);
	if (utf8 && !htmlcheck_utf8(out))
		violation("render is not valid UTF-8", NULL, out);
	for (size_t i = 0; i < b.n; i++) {
		const struct norm_para *p = &b.v[i];
		char *key;

		if ((why = htmlcheck(p->html, HTMLCHECK_INLINE | HTMLCHECK_BALANCED)) != NULL)
			violation("paragraph html outside the allow-list", why, p->html);
		if (utf8 && (!htmlcheck_utf8(p->text) || !htmlcheck_utf8(p->html)))
			violation("paragraph text or html is not valid UTF-8", NULL, p->text);
		if (p->text[0] == '\0' && p->html[0] == '\0')
			violation("empty paragraph", NULL, NULL);
		if (p->hash == 0)
			violation("paragraph hash is 0", NULL, p->text);
		key = normalise_key(p->text);
		if (utf8 && !htmlcheck_utf8(key))
			violation("key is not valid UTF-8", NULL, key);
		if (p->has_text && (key[0] == '\0' || normalise_hash(key) != p->hash))
			violation("paragraph hash is not the hash of its key", key, p->text);
		free(key);
		if (p->has_text && i < 2048)	/* quadratic: the first ones only */
			for (size_t j = 0; j < i; j++)
				if (b.v[j].has_text && b.v[j].hash == p->hash)
					violation("a repeat was kept", p->text, b.v[j].text);
	}
	if (b.n > NORMALISE_MAX_PARAS)
		violation("more paragraphs than NORMALISE_MAX_PARAS", NULL, NULL);
	free(out);
	norm_body_release(&b);

	plain = normalise_plain(body);
	if (utf8 && !htmlcheck_utf8(plain))
		violation("normalise_plain is not valid UTF-8", NULL, plain);
	free(plain);
	free(body);
	return 0;
}
