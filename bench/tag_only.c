/*
 * tag_only [options] FIELDS JSONL RSS...: the field tagger with nothing
 * around it, beside its neighbours in ingest (the parser and
 * normalise_body), all timed in one process over the same releases.
 *
 * FIELDS is a taxonomy (tag.h, tagger_load). JSONL holds what
 * bench/gen-tag.py writes, a release a line: {"title", "body", "fields"},
 * body being the plain text ingest hands the tagger (paragraphs separated
 * by a blank line) and fields the names of the fields the release is
 * about. The RSS files hold the same releases, in the same order, with the
 * body as HTML in <description>.
 *
 * First, untimed: each RSS file is read into memory and parsed once to
 * keep every entry's body and base, and each body goes through
 * normalise_body() once to check that its paragraphs, joined as ingest
 * joins them, are the JSONL body (so the tagger reads what ingest would
 * give it). The taxonomy is loaded three times: without a model
 * (tag_untrain: its hand-written terms only), with the model it names
 * (`model =`, if it names one: what the daemon runs with), and trained
 * here with tag_train() (the defaults of 'feedmill fields train') on the
 * first --train releases and their fields. Then one warm-up round and
 * --rounds timed rounds, each timing in turn:
 *
 *   parse       the parse.h streaming parser over every RSS file, from
 *               memory, in 64 KiB pieces, its callback only counting
 *   normalise   normalise_body() on every entry's HTML body, as
 *               dedup_entry does, and norm_body_release()
 *   key         normalise_key() of every title and body: the tagger's
 *               first step, on its own
 *   hand        tagger_tag() of every release (title and body, no
 *               categories) with the hand-written terms only
 *   shipped     the same with the taxonomy's own model
 *   trained     the same with the model trained here
 *
 * The releases of key and of the taggers are timed in two groups, those
 * whose title and body are ASCII only and the others, because
 * normalise_key() has a fast path for ASCII.
 *
 * Options:
 *   --rounds N   timed rounds (default 5)
 *   --train N    releases to train the model on (default 500)
 *   --steps LIST only these of parse,normalise,key,hand,shipped,trained
 *                (default all). For a profiler: "--steps hand" runs
 *                nothing but that tagger once the input is read. The
 *                parse and normalise check runs with parse or normalise,
 *                training with trained.
 *
 * Prints on stdout, tab-separated, for bench/tag to read:
 *   releases N ASCII_ONLY TEXT_BYTES HTML_BYTES RSS_BYTES RSS_FILES
 *   taxonomy FIELDS HAND_TERMS UNKNOWN_LABELS
 *   check normalise MISMATCHES
 *   model shipped TERMS DISTINCT_TERMS FIELDS_LEARNED PATH
 *   model trained TERMS DISTINCT_TERMS FIELDS_LEARNED RELEASES SECONDS
 *   accuracy NAME TP FP FN RELEASES        (NAME: hand, shipped, trained;
 *                                          over the releases not trained on)
 *   time ROUND NAME WALL_SECONDS CPU_SECONDS
 *                          (NAME: parse, normalise, key_ascii, key_other,
 *                          and hand_, shipped_, trained_ with ascii or
 *                          other; wall from CLOCK_MONOTONIC, CPU from
 *                          CLOCK_PROCESS_CPUTIME_ID)
 * Exit status 1 on any error, which is printed on stderr.
 *
 * Linked against a build tree's libfeedmill.a; see bench/tag.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conf.h"
#include "normalise.h"
#include "parse.h"
#include "tag.h"

#define READ_CHUNK_BYTES	(64 * 1024)

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("tag_only: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xmalloc0(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static char *
sdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		die("out of memory");
	return d;
}

static double
clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct rel {
	char		*title;
	char		*body;		/* plain text, from the JSONL */
	unsigned char	*labels;	/* tagger_nfields() flags */
	char		*html;		/* the body as the parser gave it */
	char		*base;
	int		 ascii;
};

static struct rel *rels;
static size_t nrels;

struct doc {
	const char	*path;
	char		*data;
	size_t		 len;
};

static void
read_whole(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t alloc = 1 << 20, n = 0, got;
	char *d;

	if (f == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	d = xmalloc0(alloc);
	while ((got = fread(d + n, 1, alloc - n, f)) > 0) {
		n += got;
		if (n == alloc) {
			alloc *= 2;
			if ((d = realloc(d, alloc)) == NULL)
				die("out of memory");
		}
	}
	if (ferror(f))
		die("cannot read '%s': %s", path, strerror(errno));
	fclose(f);
	*data = d;
	*len = n;
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static void
read_jsonl(const char *path, struct tagger *t, size_t *unknown)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0, lineno = 0;
	ssize_t len;

	if (f == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) != -1) {
		json_error_t jerr;
		json_t *o, *fields, *v;
		struct rel *r;
		size_t i;

		lineno++;
		if (len <= 1)
			continue;
		if ((o = json_loads(line, 0, &jerr)) == NULL)
			die("%s:%zu: %s", path, lineno, jerr.text);
		if (!json_is_string(json_object_get(o, "title")) ||
		    !json_is_string(json_object_get(o, "body")))
			die("%s:%zu: no \"title\" and \"body\" strings", path, lineno);
		if (nrels == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			if ((rels = realloc(rels, alloc * sizeof(*rels))) == NULL)
				die("out of memory");
		}
		r = &rels[nrels++];
		memset(r, 0, sizeof(*r));
		r->title = sdup(json_string_value(json_object_get(o, "title")));
		r->body = sdup(json_string_value(json_object_get(o, "body")));
		r->ascii = is_ascii(r->title) && is_ascii(r->body);
		r->labels = xmalloc0(tagger_nfields(t));
		fields = json_object_get(o, "fields");
		json_array_foreach(fields, i, v) {
			int k = json_is_string(v) ? tagger_lookup(t, json_string_value(v)) : -1;

			if (k >= 0)
				r->labels[k] = 1;
			else
				++*unknown;
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	if (nrels == 0)
		die("'%s' holds no releases", path);
}

/* ---- parsing ---- */

struct capture {
	size_t	 n;
	int	 keep;
};

static void
on_entry(const struct feed_entry *e, void *arg)
{
	struct capture *c = arg;

	if (c->keep && c->n < nrels) {
		int content = e->content && *e->content;

		rels[c->n].html = sdup(content ? e->content : e->summary);
		rels[c->n].base = sdup(content && e->content_base ? e->content_base : e->link);
	}
	c->n++;
}

/* Parse every document from memory; returns the entries read. */
static size_t
parse_all(const struct doc *docs, size_t ndocs, int keep)
{
	struct capture c = { 0, keep };

	for (size_t i = 0; i < ndocs; i++) {
		char url[PATH_MAX + 8];
		struct parse *p;

		snprintf(url, sizeof(url), "file://%s", docs[i].path);
		p = parse_new(docs[i].path, url, on_entry, &c);
		for (size_t o = 0; o < docs[i].len; o += READ_CHUNK_BYTES) {
			size_t n = docs[i].len - o < READ_CHUNK_BYTES ? docs[i].len - o :
			    READ_CHUNK_BYTES;

			if (parse_chunk(p, docs[i].data + o, n) == -1)
				die("'%s': %s", docs[i].path, parse_error(p));
		}
		if (parse_finish(p) == -1)
			die("'%s': %s", docs[i].path, parse_error(p));
		parse_free(p);
	}
	return c.n;
}

/*
 * What ingest would hand the tagger: parse every document keeping each
 * entry's body, normalise each body and compare its paragraphs, joined as
 * dedup joins them, with the JSONL body. Returns the releases that differ.
 */
static size_t
check_bodies(const struct doc *docs, size_t ndocs, size_t *html_bytes)
{
	size_t mismatches = 0;

	if (parse_all(docs, ndocs, 1) != nrels)
		die("the RSS files hold %zu entries, the JSONL %zu releases",
		    parse_all(docs, ndocs, 0), nrels);
	for (size_t k = 0; k < nrels; k++) {
		struct norm_body b;
		size_t len = 0, o = 0;
		char *joined;

		*html_bytes += strlen(rels[k].html);
		memset(&b, 0, sizeof(b));
		normalise_body(rels[k].html, rels[k].base, &b);
		for (size_t j = 0; j < b.n; j++)
			len += strlen(b.v[j].text) + 2;
		joined = xmalloc0(len + 1);
		for (size_t j = 0; j < b.n; j++) {
			size_t plen = strlen(b.v[j].text);

			if (j > 0) {
				memcpy(joined + o, "\n\n", 2);
				o += 2;
			}
			memcpy(joined + o, b.v[j].text, plen);
			o += plen;
		}
		joined[o] = '\0';
		if (strcmp(joined, rels[k].body) != 0 && mismatches++ == 0)
			fprintf(stderr, "tag_only: release %zu: the normalised HTML body is "
			    "not the JSONL body:\n  %.200s\n  %.200s\n", k, joined, rels[k].body);
		free(joined);
		norm_body_release(&b);
	}
	return mismatches;
}

/* ---- the timed loops ---- */

static void
run_normalise(void)
{
	for (size_t i = 0; i < nrels; i++) {
		struct norm_body b;

		memset(&b, 0, sizeof(b));
		normalise_body(rels[i].html, rels[i].base, &b);
		norm_body_release(&b);
	}
}

static void
run_key(int ascii)
{
	for (size_t i = 0; i < nrels; i++) {
		if (rels[i].ascii != ascii)
			continue;
		free(normalise_key(rels[i].title));
		free(normalise_key(rels[i].body));
	}
}

static void
run_tag(struct tagger *t, int ascii)
{
	struct tag tags[TAG_MAX_FIELDS];
	struct tag_input in;

	memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < nrels; i++) {
		if (rels[i].ascii != ascii)
			continue;
		in.title = rels[i].title;
		in.text = rels[i].body;
		tagger_tag(t, &in, tags);
	}
}

/* A timed step: wall and CPU time, printed unless in the warm-up round. */
static double span_wall, span_cpu;

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
span_start(void)
{
	span_wall = clock_s();
	span_cpu = cpu_s();
}

static void
span_stop(int round, const char *name, const char *suffix)
{
	double wall = clock_s() - span_wall, cpu = cpu_s() - span_cpu;

	if (round > 0)
		printf("time\t%d\t%s%s\t%.6f\t%.6f\n", round, name, suffix, wall, cpu);
}

/* Fields given against the generator's, over releases from..nrels. */
static void
accuracy(struct tagger *t, const char *name, size_t from)
{
	struct tag tags[TAG_MAX_FIELDS];
	struct tag_input in;
	size_t nf = tagger_nfields(t), tp = 0, fp = 0, fn = 0;
	unsigned char *given = xmalloc0(nf);

	memset(&in, 0, sizeof(in));
	for (size_t i = from; i < nrels; i++) {
		size_t n;

		in.title = rels[i].title;
		in.text = rels[i].body;
		n = tagger_tag(t, &in, tags);
		memset(given, 0, nf);
		for (size_t k = 0; k < n; k++)
			given[tags[k].field] = 1;
		for (size_t k = 0; k < nf; k++) {
			tp += given[k] && rels[i].labels[k];
			fp += given[k] && !rels[i].labels[k];
			fn += !given[k] && rels[i].labels[k];
		}
	}
	free(given);
	printf("accuracy\t%s\t%zu\t%zu\t%zu\t%zu\n", name, tp, fp, fn,
	    nrels > from ? nrels - from : 0);
}

enum {
	STEP_PARSE = 1, STEP_NORMALISE = 2, STEP_KEY = 4, STEP_HAND = 8,
	STEP_SHIPPED = 16, STEP_TRAINED = 32, STEP_ALL = 63
};
#define NSTEPS 6
static const char *step_names[NSTEPS] = { "parse", "normalise", "key", "hand",
    "shipped", "trained" };

#define USAGE "usage: tag_only [--rounds N] [--train N] [--steps LIST] FIELDS JSONL RSS..."

static unsigned
parse_steps(const char *list)
{
	unsigned steps = 0;

	while (*list != '\0') {
		size_t len = strcspn(list, ","), k;

		for (k = 0; k < NSTEPS; k++)
			if (strlen(step_names[k]) == len && strncmp(list, step_names[k], len) == 0)
				break;
		if (k == NSTEPS)
			die("--steps: '%.*s' is none of parse,normalise,key,hand,shipped,"
			    "trained", (int)len, list);
		steps |= 1u << k;
		list += len + (list[len] == ',');
	}
	return steps;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct tagger *
load(const char *path)
{
	struct conf_errors errs;
	struct tagger *t;

	if (tagger_load(&t, path, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		die("cannot load the taxonomy '%s'", path);
	}
	conf_errors_release(&errs);
	return t;
}

/* "model NAME TERMS DISTINCT FIELDS_LEARNED" and the rest of the line. */
static void
print_model(const struct tagger *t, const char *name)
{
	size_t terms = 0, learned = 0, distinct = 0;
	const char **texts;

	for (size_t k = 0; k < tagger_nfields(t); k++) {
		terms += tagger_field(t, k)->nmodel;
		learned += tagger_field(t, k)->learned;
	}
	texts = xmalloc0(terms * sizeof(*texts));
	terms = 0;
	for (size_t k = 0; k < tagger_nfields(t); k++) {
		const struct tag_field *f = tagger_field(t, k);

		for (size_t j = 0; j < f->nmodel; j++)
			texts[terms++] = f->model[j].text;
	}
	qsort(texts, terms, sizeof(*texts), str_cmp);
	for (size_t k = 0; k < terms; k++)
		distinct += k == 0 || strcmp(texts[k - 1], texts[k]) != 0;
	free(texts);
	printf("model\t%s\t%zu\t%zu\t%zu", name, terms, distinct, learned);
}

int
main(int argc, char **argv)
{
	const char *fields_path, *jsonl;
	struct {
		const char	*name;
		unsigned	 step;
		struct tagger	*t;
	} taggers[3] = {
		{ "hand", STEP_HAND, NULL },
		{ "shipped", STEP_SHIPPED, NULL },
		{ "trained", STEP_TRAINED, NULL },
	};
	struct tag_train_params params;
	struct tag_example *ex;
	struct doc *docs;
	size_t ndocs, unknown = 0, ntrain = 500, nascii = 0, text_bytes = 0;
	size_t html_bytes = 0, rss_bytes = 0, mismatches = 0, hand_terms = 0;
	int rounds = 5, i;
	unsigned steps = 0;
	double t0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--train") == 0 && i + 1 < argc)
			ntrain = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
			steps = parse_steps(argv[++i]);
		else
			die("%s", USAGE);
	}
	if (argc - i < 3 || rounds < 1)
		die("%s", USAGE);
	if (steps == 0)
		steps = STEP_ALL;
	fields_path = argv[i];
	jsonl = argv[i + 1];
	ndocs = (size_t)(argc - i - 2);
	docs = xmalloc0(ndocs * sizeof(*docs));
	for (size_t k = 0; k < ndocs; k++) {
		docs[k].path = argv[i + 2 + (int)k];
		read_whole(docs[k].path, &docs[k].data, &docs[k].len);
		rss_bytes += docs[k].len;
	}

	/* hand: the taxonomy without its model; shipped: with the model it
	 * names, if it names one; trained: with a model trained here */
	for (int k = 0; k < 3; k++)
		taggers[k].t = load(fields_path);
	tag_untrain(taggers[0].t);
	if (tagger_model_path(taggers[1].t) == NULL) {
		tagger_free(taggers[1].t);
		taggers[1].t = NULL;
		steps &= ~(unsigned)STEP_SHIPPED;
	}
	read_jsonl(jsonl, taggers[0].t, &unknown);
	for (size_t k = 0; k < tagger_nfields(taggers[0].t); k++)
		hand_terms += tagger_field(taggers[0].t, k)->nterms;

	for (size_t k = 0; k < nrels; k++) {
		nascii += rels[k].ascii;
		text_bytes += strlen(rels[k].title) + strlen(rels[k].body);
	}
	if (steps & (STEP_PARSE | STEP_NORMALISE))
		mismatches = check_bodies(docs, ndocs, &html_bytes);

	printf("releases\t%zu\t%zu\t%zu\t%zu\t%zu\t%zu\n", nrels, nascii, text_bytes,
	    html_bytes, rss_bytes, ndocs);
	printf("taxonomy\t%zu\t%zu\t%zu\n", tagger_nfields(taggers[0].t), hand_terms,
	    unknown);
	printf("check\tnormalise\t%zu\n", mismatches);
	if (ntrain > nrels)
		ntrain = nrels;
	if (steps & STEP_SHIPPED) {
		print_model(taggers[1].t, "shipped");
		printf("\t%s\n", tagger_model_path(taggers[1].t));
	}
	if (steps & STEP_TRAINED) {
		ex = xmalloc0(ntrain * sizeof(*ex));
		for (size_t k = 0; k < ntrain; k++) {
			ex[k].title = rels[k].title;
			ex[k].text = rels[k].body;
			ex[k].labels = rels[k].labels;
		}
		tag_train_defaults(&params);
		t0 = clock_s();
		if (ntrain == 0 || tag_train(taggers[2].t, ex, ntrain, &params) == -1)
			die("tag_train failed (no examples?)");
		t0 = clock_s() - t0;
		free(ex);
		print_model(taggers[2].t, "trained");
		printf("\t%zu\t%.6f\n", ntrain, t0);
	}
	for (int k = 0; k < 3; k++)
		if (steps & taggers[k].step)
			accuracy(taggers[k].t, taggers[k].name, ntrain);
	fflush(stdout);

	for (int r = 0; r <= rounds; r++) {
		/* round 0 is the warm-up */
		if (steps & STEP_PARSE) {
			size_t n;

			span_start();
			n = parse_all(docs, ndocs, 0);
			span_stop(r, "parse", "");
			if (n != nrels)
				die("parsed %zu entries, expected %zu", n, nrels);
		}
		if (steps & STEP_NORMALISE) {
			span_start();
			run_normalise();
			span_stop(r, "normalise", "");
		}
		for (int ascii = 1; ascii >= 0 && (steps & STEP_KEY); ascii--) {
			span_start();
			run_key(ascii);
			span_stop(r, "key", ascii ? "_ascii" : "_other");
		}
		for (int k = 0; k < 3; k++) {
			for (int ascii = 1; ascii >= 0 && (steps & taggers[k].step); ascii--) {
				span_start();
				run_tag(taggers[k].t, ascii);
				span_stop(r, taggers[k].name, ascii ? "_ascii" : "_other");
			}
		}
		fflush(stdout);
	}

	for (int k = 0; k < 3; k++)
		tagger_free(taggers[k].t);
	for (size_t k = 0; k < nrels; k++) {
		free(rels[k].title);
		free(rels[k].body);
		free(rels[k].labels);
		free(rels[k].html);
		free(rels[k].base);
	}
	free(rels);
	for (size_t k = 0; k < ndocs; k++)
		free(docs[k].data);
	free(docs);
	return 0;
}
