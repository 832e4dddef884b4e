/*
 * libFuzzer target for the feed parser. The first input byte picks how the
 * rest is split into chunks, so the fuzzer also explores chunk boundaries
 * (inside multibyte characters, the XML declaration, entity names).
 *
 * Build: ./configure --enable-fuzzer CC=clang && make fuzz/fuzz_parse
 * Run:   see README.md, "Fuzzing".
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "parse.h"

static void
count_entry(const struct feed_entry *e, void *arg)
{
	size_t *n = arg;

	/* touch every field so sanitizers see bad pointers */
	for (const char *s = e->title; s && *s; s++)
		(*n)++;
	for (size_t i = 0; i < e->ncategories; i++)
		(*n) += e->categories[i][0] != '\0';
	(*n) += e->id != NULL && e->link != NULL && e->content != NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse *p;
	size_t n = 0, chunk, off = 1;
	int r = 0;

	if (size < 1)
		return 0;
	/* 0 means whole; otherwise chunks of 1..255 bytes */
	chunk = data[0] ? data[0] : size;
	p = parse_new("fuzz", "http://example.org/feed", count_entry, &n);
	while (off < size && r == 0) {
		size_t len = size - off < chunk ? size - off : chunk;

		r = parse_chunk(p, (const char *)data + off, len);
		off += len;
	}
	if (r == 0)
		parse_finish(p);
	(void)parse_info(p);
	(void)parse_error(p);
	parse_free(p);
	return 0;
}
