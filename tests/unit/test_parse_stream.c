/*
 * The parser must give the same result however the bytes arrive: whole, one
 * byte at a time, or in random chunk sizes (as the network delivers them).
 * Every fixture under tests/fixtures/parse is parsed all three ways and the
 * complete results (entries, feed data, error) compared.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "date.h"
#include "parse.h"
#include "tap.h"
#include "xmalloc.h"

static void
put(struct buf *b, const char *k, const char *v)
{
	buf_addstr(b, k);
	buf_addc(b, '=');
	buf_addstr(b, v ? v : "(null)");
	buf_addc(b, '\n');
}

static void
put_date(struct buf *b, const char *k, int64_t t)
{
	char d[DATE_RFC3339_SIZE] = "(none)";

	if (t != DATE_NONE)
		date_format_rfc3339(t, d);
	put(b, k, d);
}

static void
on_entry(const struct feed_entry *e, void *arg)
{
	struct buf *b = arg;

	put(b, "id", e->id);
	put(b, "title", e->title);
	put(b, "link", e->link);
	put(b, "author", e->author);
	put(b, "summary", e->summary);
	put(b, "content", e->content);
	put(b, "content_base", e->content_base);
	put_date(b, "published", e->published);
	put_date(b, "updated", e->updated);
	for (size_t i = 0; i < e->ncategories; i++)
		put(b, "category", e->categories[i]);
	put(b, "source_id", e->source_id);
	put(b, "source_title", e->source_title);
	put(b, "source_link", e->source_link);
}

/* Parse data in chunks: step 0 means random sizes from seed. */
static char *
run(const char *data, size_t len, size_t step, unsigned seed)
{
	struct buf out;
	struct parse *p;
	const struct feed_info *fi;
	size_t off = 0;
	int r = 0;

	buf_init(&out, (size_t)-1);
	p = parse_new("fixture", "http://example.org/feeds/feed.xml", on_entry, &out);
	srand(seed);
	while (off < len && r == 0) {
		size_t n = step ? step : 1 + (size_t)rand() % 4096;

		if (n > len - off)
			n = len - off;
		r = parse_chunk(p, data + off, n);
		off += n;
	}
	if (r == 0)
		parse_finish(p);
	fi = parse_info(p);
	put(&out, "feed.format", parse_format_name(fi->format));
	put(&out, "feed.title", fi->title);
	put(&out, "feed.link", fi->link);
	put(&out, "feed.id", fi->id);
	put_date(&out, "feed.updated", fi->updated);
	put(&out, "error", parse_error(p));
	put(&out, "warning", parse_warning(p));
	parse_free(p);
	return buf_detach(&out);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, (size_t)-1);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return buf_detach(&b);
}

/* Parse data split once at `first`, then in pieces of `step`. */
static char *
run_split(const char *data, size_t len, size_t first, size_t step)
{
	struct buf out;
	struct parse *p;
	size_t off = 0;
	int r = 0;

	buf_init(&out, (size_t)-1);
	p = parse_new("generated", NULL, on_entry, &out);
	while (off < len && r == 0) {
		size_t n = off == 0 ? first : step;

		if (n > len - off)
			n = len - off;
		r = parse_chunk(p, data + off, n);
		off += n;
	}
	if (r == 0)
		parse_finish(p);
	put(&out, "error", parse_error(p));
	parse_free(p);
	return buf_detach(&out);
}

/* Documents too big for fixtures: large tokens, a large document after a
 * tiny first read. Each must give one result however it is split. */
static void
generated_documents(void)
{
	static const struct { const char *name; size_t comment; size_t items; } docs[] = {
		{ "a comment just under the token limit", PARSE_MAX_TOKEN_BYTES - 100, 2 },
		{ "a comment over the token limit", PARSE_MAX_TOKEN_BYTES + 100, 2 },
		{ "an 18 MB document", 100, 180000 },
	};
	static const size_t splits[][2] = {
		{ 0, 0 }, { 2, 16 * 1024 }, { 1, 1 << 20 }, { 3, 4096 }, { 5000, 100000 },
	};

	for (size_t d = 0; d < sizeof(docs) / sizeof(*docs); d++) {
		struct buf doc;
		char *whole, name[160];
		int same = 1;

		buf_init(&doc, (size_t)-1);
		buf_addstr(&doc, "\n\n<rss version=\"2.0\"><channel><title>t</title><!--");
		for (size_t i = 0; i < docs[d].comment; i++)
			buf_addc(&doc, 'c');
		buf_addstr(&doc, "-->");
		for (size_t i = 0; i < docs[d].items; i++)
			buf_addstr(&doc, "<item><title>An item of a generated feed</title>"
			    "<link>http://example.org/generated</link></item>");
		buf_addstr(&doc, "</channel></rss>");
		whole = run_split(doc.data, doc.len, doc.len, doc.len);
		for (size_t s = 1; s < sizeof(splits) / sizeof(*splits); s++) {
			char *part = run_split(doc.data, doc.len, splits[s][0], splits[s][1]);

			if (strcmp(part, whole) != 0) {
				same = 0;
				printf("# split %zu/%zu differs\n", splits[s][0], splits[s][1]);
			}
			free(part);
		}
		snprintf(name, sizeof(name), "%s: the same result in every split", docs[d].name);
		tap_ok(same, name);
		free(whole);
		buf_release(&doc);
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	char *dir, **names = NULL;
	size_t nnames = 0;
	DIR *d;
	struct dirent *de;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	dir = xasprintf("%s/tests/fixtures/parse", top ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		tap_ok(0, "fixture directory readable");
		return tap_done();
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".xml") == 0) {
			names = xrealloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), by_name);
	tap_ok(nnames >= 10, "there are fixtures to stream");
	for (size_t i = 0; i < nnames; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]), *data, *whole;
		char name[256];
		size_t len;
		int same_bytes, same_random = 1;

		data = slurp(path, &len);
		if (data == NULL) {
			tap_ok(0, path);
			continue;
		}
		whole = run(data, len, len ? len : 1, 0);
		{
			char *bytes = run(data, len, 1, 0);

			same_bytes = strcmp(whole, bytes) == 0;
			if (!same_bytes)
				printf("# whole:\n%s# byte at a time:\n%s", whole, bytes);
			free(bytes);
		}
		for (unsigned seed = 1; seed <= 20; seed++) {
			char *rnd = run(data, len, 0, seed);

			same_random &= strcmp(whole, rnd) == 0;
			free(rnd);
		}
		snprintf(name, sizeof(name), "%s: one byte at a time = whole", names[i]);
		tap_ok(same_bytes, name);
		snprintf(name, sizeof(name), "%s: 20 random chunkings = whole", names[i]);
		tap_ok(same_random, name);
		free(whole);
		free(data);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	generated_documents();
	curl_global_cleanup();
	return tap_done();
}
