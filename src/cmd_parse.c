/*
 * feedmill parse [--json] [--base URL] FILE...
 *
 * Parse feed files and print what was understood, without storing anything:
 * for people checking a feed, and for tests. With --json, one JSON object a
 * file on its own line, in the schema of DESIGN.md. A broken file gets one
 * line on stderr naming it; the entries read before the break are still
 * printed (as feedparser does with "bozo" feeds), and the exit status is 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "date.h"
#include "log.h"
#include "parse.h"
#include "xmalloc.h"

#define READ_CHUNK_BYTES (64 * 1024)
#define MAX_ORIGIN_CHARS 256

struct parse_output {
	int		 json;
	FILE		*spool;		/* --json: entry objects, comma-separated */
	int		 spool_failed;
	const char	*name;		/* the file, as messages show it */
	size_t		 n;
};

static json_t *
json_str_or_null(const char *s)
{
	json_t *j;

	if (s == NULL)
		return json_null();
	/* expat hands out valid UTF-8; should that ever break, a null is
	 * better than a broken document */
	j = json_string(s);
	return j ? j : json_null();
}

static json_t *
json_date(int64_t t)
{
	char d[DATE_RFC3339_SIZE];

	if (t == DATE_NONE)
		return json_null();
	date_format_rfc3339(t, d);
	return json_string(d);
}

/* "  label: value", continuation lines indented so an entry stays a block */
static void
text_field(FILE *f, const char *label, const char *value)
{
	if (value == NULL)
		return;
	fprintf(f, "  %s: ", label);
	for (const char *nl; (nl = strchr(value, '\n')) != NULL; value = nl + 1) {
		fwrite(value, 1, (size_t)(nl - value) + 1, f);
		fputs("    ", f);
	}
	fputs(value, f);
	putc('\n', f);
}

static void
text_date(FILE *f, const char *label, int64_t t)
{
	char d[DATE_RFC3339_SIZE];

	if (t == DATE_NONE)
		return;
	date_format_rfc3339(t, d);
	text_field(f, label, d);
}

static void
on_entry(const struct feed_entry *e, void *arg)
{
	struct parse_output *out = arg;

	out->n++;
	if (out->json) {
		json_t *o = json_object(), *cats = json_array();

		json_object_set_new(o, "id", json_str_or_null(e->id));
		json_object_set_new(o, "title", json_str_or_null(e->title));
		json_object_set_new(o, "link", json_str_or_null(e->link));
		json_object_set_new(o, "published", json_date(e->published));
		json_object_set_new(o, "updated", json_date(e->updated));
		json_object_set_new(o, "author", json_str_or_null(e->author));
		json_object_set_new(o, "summary", json_str_or_null(e->summary));
		json_object_set_new(o, "content", json_str_or_null(e->content));
		for (size_t i = 0; i < e->ncategories; i++)
			json_array_append_new(cats, json_str_or_null(e->categories[i]));
		json_object_set_new(o, "categories", cats);
		/* spooled to a file: the feed's object, which comes first,
		 * is only complete at the end, and memory stays flat */
		if (out->n > 1)
			putc(',', out->spool);
		if (json_dumpf(o, out->spool, JSON_COMPACT) == -1)
			out->spool_failed = 1;
		json_decref(o);
		return;
	}
	/* entries stream out as they are parsed; the feed's block comes last,
	 * when all of it is known (an RSS channel may end with its title) */
	printf("%s: entry %zu\n", out->name, out->n);
	text_field(stdout, "id", e->id);
	text_field(stdout, "title", e->title);
	text_field(stdout, "link", e->link);
	text_date(stdout, "published", e->published);
	text_date(stdout, "updated", e->updated);
	text_field(stdout, "author", e->author);
	for (size_t i = 0; i < e->ncategories; i++)
		text_field(stdout, "category", e->categories[i]);
	text_field(stdout, "source", e->source_title);
	text_field(stdout, "summary", e->summary);
	text_field(stdout, "content", e->content);
	putchar('\n');
}

static void
print_result(struct parse_output *out, struct parse *p, const char *name)
{
	const struct feed_info *fi = parse_info(p);

	if (out->json) {
		json_t *feed = json_object();

		json_object_set_new(feed, "title", json_str_or_null(fi->title));
		json_object_set_new(feed, "link", json_str_or_null(fi->link));
		json_object_set_new(feed, "id", json_str_or_null(fi->id));
		json_object_set_new(feed, "updated", json_date(fi->updated));
		char chunk[64 * 1024];
		size_t n;

		fputs("{\"feed\":", stdout);
		json_dumpf(feed, stdout, JSON_COMPACT);
		fputs(",\"entries\":[", stdout);
		rewind(out->spool);
		while ((n = fread(chunk, 1, sizeof(chunk), out->spool)) > 0)
			fwrite(chunk, 1, n, stdout);
		fputs("]}\n", stdout);
		json_decref(feed);
		return;
	}
	printf("%s: %s feed, %zu %s\n", name, parse_format_name(fi->format),
	    out->n, out->n == 1 ? "entry" : "entries");
	text_field(stdout, "title", fi->title);
	text_field(stdout, "link", fi->link);
	text_field(stdout, "id", fi->id);
	text_field(stdout, "author", fi->author);
	text_date(stdout, "updated", fi->updated);
	putchar('\n');
}

/* A file: URL for a path, so relative links resolve as a browser would. */
static char *
file_url(const char *path)
{
	char abs[PATH_MAX];
	struct buf b;
	static const char hex[] = "0123456789ABCDEF";

	if (realpath(path, abs) == NULL)
		return NULL;
	buf_init(&b, (size_t)-1);
	buf_addstr(&b, "file://");
	for (const unsigned char *s = (const unsigned char *)abs; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("/-._~", *s) != NULL) {
			buf_addc(&b, (char)*s);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*s >> 4]);
			buf_addc(&b, hex[*s & 15]);
		}
	}
	return buf_detach(&b);
}

static int
parse_one(const char *path, const char *base, struct parse_output *out)
{
	char origin[MAX_ORIGIN_CHARS];
	char *url = NULL, *chunk;
	struct parse *p;
	int fd, status = 0;
	ssize_t n;

	log_escape(origin, sizeof(origin), path, strlen(path));
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else if ((fd = open(path, O_RDONLY)) == -1) {
		log_warn("cannot open '%s'", origin);
		return 1;
	}
	if (base == NULL && fd != STDIN_FILENO)
		base = url = file_url(path);
	if (out->json && (out->spool = tmpfile()) == NULL) {
		log_warn("cannot create a temporary file");
		if (fd != STDIN_FILENO)
			close(fd);
		free(url);
		return 1;
	}
	out->spool_failed = 0;
	p = parse_new(origin, base, on_entry, out);
	out->n = 0;
	out->name = origin;
	chunk = xmalloc(READ_CHUNK_BYTES);
	for (;;) {
		n = read(fd, chunk, READ_CHUNK_BYTES);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("cannot read '%s'", origin);
			status = 1;
			break;
		}
		if (n == 0) {
			if (parse_finish(p) == -1)
				status = 1;
			break;
		}
		if (parse_chunk(p, chunk, (size_t)n) == -1) {
			status = 1;
			break;
		}
	}
	free(chunk);
	if (fd != STDIN_FILENO)
		close(fd);
	print_result(out, p, origin);
	fflush(stdout);
	if (out->spool != NULL) {
		if (out->spool_failed || ferror(out->spool)) {
			log_warnx("'%s': cannot write the JSON of every entry", origin);
			status = 1;
		}
		fclose(out->spool);
		out->spool = NULL;
	}
	if (parse_error(p) != NULL)
		log_warnx("'%s': %s", origin, parse_error(p));
	else if (parse_warning(p) != NULL)
		log_warnx("'%s': warning: %s", origin, parse_warning(p));
	parse_free(p);
	free(url);
	return status;
}

int
cmd_parse(int argc, char **argv)
{
	struct parse_output out;
	const char *base = NULL;
	int i, status = 0;

	memset(&out, 0, sizeof(out));
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			out.json = 1;
		} else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc) {
			base = argv[++i];
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			log_warnx("parse: unknown option '%s'", argv[i]);
			fprintf(stderr, "usage: feedmill parse [--json] [--base URL] FILE...\n");
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: feedmill parse [--json] [--base URL] FILE...\n");
		return EXIT_USAGE;
	}
	for (; i < argc; i++)
		if (parse_one(argv[i], base, &out) != 0)
			status = 1;
	return status;
}
