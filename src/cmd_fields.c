/*
 * feedmill fields eval [OPTIONS] FILE.jsonl     measure the tagger
 * feedmill fields explain [OPTIONS] [ID | -]    why a release got its fields
 * feedmill fields train [OPTIONS] FILE.jsonl    learn weights into the model
 *
 * The taxonomy is the configuration's `fields =` (-c FILE), or -f FILE.
 * Labelled releases are JSON lines: {"title", "lead", "summary", "body"
 * (a string or a list of paragraphs), "sources" and "author" (read as
 * text), "categories" (feed categories), "fields": [names]}.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

#define MAX_EXAMPLES		1000000
#define MAX_EXAMPLE_BYTES	(4 * 1024 * 1024)
#define MAX_TEXT_BYTES		(1024 * 1024)
#define MAX_FOLDS		100
#define DEFAULT_FOLDS		5
#define DEFAULT_SEED		1

struct example {
	char		*title;
	char		*text;
	char		**categories;
	size_t		 ncategories;
	unsigned char	*labels;
};

struct examples {
	struct example	*v;
	size_t		 n;
};

struct options {
	const char	*config;
	const char	*fields;
	const char	*output;
	int		 folds;
	unsigned	 seed;
	int		 verbose;	/* eval: print each release scored wrong */
	struct tag_train_params train;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: feedmill fields eval [-c FILE | -f FIELDS] [--folds K] [--seed N] [-v] FILE.jsonl\n"
	    "       feedmill fields explain [-c FILE | -f FIELDS] [RELEASE-ID | -]\n"
	    "       feedmill fields train [-c FILE | -f FIELDS] [-o MODEL] FILE.jsonl\n"
	    "training options (train, and eval --folds): --l2 X, --prior-scale X,\n"
	    "  --cutoff P, --floor P, --min-df N, --iterations N, --max-features N\n");
}

/* ---- reading labelled releases ---- */

/* A JSON string or list of strings, appended as paragraphs. */
static void
add_text(struct buf *b, const json_t *v)
{
	if (json_is_string(v)) {
		if (b->len > 0)
			buf_addstr(b, "\n\n");
		buf_addstr(b, json_string_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e)
			add_text(b, e);
	}
}

static int
read_example(struct tagger *t, const char *path, long line, const json_t *o,
    struct example *ex)
{
	const json_t *fields = json_object_get(o, "fields");
	const json_t *title = json_object_get(o, "title");
	const json_t *cats = json_object_get(o, "categories");
	size_t nf = tagger_nfields(t), i;
	struct buf text;
	json_t *e;

	if (!json_is_object(o) || !json_is_string(title)) {
		fprintf(stderr, "%s:%ld: skipped: not an object with a \"title\"\n", path, line);
		return -1;
	}
	memset(ex, 0, sizeof(*ex));
	ex->title = xstrdup(json_string_value(title));
	buf_init(&text, MAX_TEXT_BYTES);
	add_text(&text, json_object_get(o, "lead"));
	/* listings repeat the lead as the summary; pages carry a body */
	if (json_object_get(o, "body") != NULL && !json_is_null(json_object_get(o, "body")))
		add_text(&text, json_object_get(o, "body"));
	else
		add_text(&text, json_object_get(o, "summary"));
	add_text(&text, json_object_get(o, "author"));
	add_text(&text, json_object_get(o, "sources"));
	ex->text = buf_detach(&text);
	ex->labels = xcalloc(nf ? nf : 1, 1);
	json_array_foreach(fields, i, e) {
		int f;

		if (!json_is_string(e))
			continue;
		if ((f = tagger_lookup(t, json_string_value(e))) < 0)
			fprintf(stderr, "%s:%ld: field '%s' is not in the taxonomy\n",
			    path, line, json_string_value(e));
		else
			ex->labels[f] = 1;
	}
	json_array_foreach(cats, i, e) {
		if (!json_is_string(e))
			continue;
		ex->categories = xrealloc(ex->categories,
		    (ex->ncategories + 1) * sizeof(*ex->categories));
		ex->categories[ex->ncategories++] = xstrdup(json_string_value(e));
	}
	return 0;
}

static void
examples_release(struct examples *xs)
{
	for (size_t i = 0; i < xs->n; i++) {
		free(xs->v[i].title);
		free(xs->v[i].text);
		for (size_t j = 0; j < xs->v[i].ncategories; j++)
			free(xs->v[i].categories[j]);
		free(xs->v[i].categories);
		free(xs->v[i].labels);
	}
	free(xs->v);
}

static int
read_examples(struct tagger *t, const char *path, struct examples *xs)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;

	memset(xs, 0, sizeof(*xs));
	if (fp == NULL) {
		log_warn("cannot read '%s'", path);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		json_error_t jerr;
		json_t *o;

		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		if (len > MAX_EXAMPLE_BYTES) {
			fprintf(stderr, "%s:%ld: skipped: longer than %d bytes\n", path,
			    lineno, MAX_EXAMPLE_BYTES);
			continue;
		}
		if (xs->n == MAX_EXAMPLES) {
			fprintf(stderr, "%s:%ld: stopped: more than %d releases\n", path,
			    lineno, MAX_EXAMPLES);
			break;
		}
		if ((o = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
			fprintf(stderr, "%s:%ld: skipped: not JSON: %s\n", path, lineno, jerr.text);
			continue;
		}
		xs->v = xrealloc(xs->v, (xs->n + 1) * sizeof(*xs->v));
		if (read_example(t, path, lineno, o, &xs->v[xs->n]) == 0)
			xs->n++;
		json_decref(o);
	}
	free(line);
	if (ferror(fp)) {
		log_warn("cannot read '%s'", path);
		if (fp != stdin)
			fclose(fp);
		return -1;
	}
	if (fp != stdin)
		fclose(fp);
	if (xs->n == 0) {
		log_warnx("%s: no labelled releases", path);
		return -1;
	}
	return 0;
}

/* ---- options ---- */

static int
number_arg(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = v ? strtod(v, &end) : 0;
	if (v == NULL || end == v || *end != '\0' || errno != 0 || !(*out >= lo && *out <= hi)) {
		log_warnx("%s needs a number from %g to %g", opt, lo, hi);
		return -1;
	}
	return 0;
}

/* Options before the operands; returns the index of the first operand,
 * or -1 on a usage error. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->config = cmd_default_config();
	o->folds = 0;
	o->seed = DEFAULT_SEED;
	tag_train_defaults(&o->train);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		double d;

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (strcmp(a, "-v") == 0) {
			o->verbose = 1;
			continue;
		}
		if (strcmp(a, "-c") == 0 && v)
			o->config = v;
		else if (strcmp(a, "-f") == 0 && v)
			o->fields = v;
		else if (strcmp(a, "-o") == 0 && v)
			o->output = v;
		else if (strcmp(a, "--folds") == 0) {
			if (number_arg(a, v, 2, MAX_FOLDS, &d) == -1)
				return -1;
			o->folds = (int)d;
		} else if (strcmp(a, "--seed") == 0) {
			if (number_arg(a, v, 0, UINT32_MAX, &d) == -1)
				return -1;
			o->seed = (unsigned)d;
		} else if (strcmp(a, "--l2") == 0) {
			if (number_arg(a, v, 1e-6, 1e6, &o->train.l2) == -1)
				return -1;
		} else if (strcmp(a, "--prior-scale") == 0) {
			if (number_arg(a, v, 0, 100, &o->train.prior_scale) == -1)
				return -1;
		} else if (strcmp(a, "--cutoff") == 0) {
			if (number_arg(a, v, 0.001, 0.999, &o->train.cutoff) == -1)
				return -1;
		} else if (strcmp(a, "--floor") == 0) {
			if (number_arg(a, v, 0.001, 0.999, &o->train.floor) == -1)
				return -1;
		} else if (strcmp(a, "--min-df") == 0) {
			if (number_arg(a, v, 1, 1000, &d) == -1)
				return -1;
			o->train.min_df = (int)d;
		} else if (strcmp(a, "--iterations") == 0) {
			if (number_arg(a, v, 1, 100000, &d) == -1)
				return -1;
			o->train.iterations = (int)d;
		} else if (strcmp(a, "--max-features") == 0) {
			if (number_arg(a, v, 1, TAG_MAX_TERMS, &d) == -1)
				return -1;
			o->train.max_features = (size_t)d;
		} else {
			log_warnx("unknown option '%s'", a);
			return -1;
		}
		i++;	/* every option takes a value */
	}
	return i;
}

/* The taxonomy: -f, else the configuration's `fields =`. */
static struct tagger *
load_tagger(const struct options *o, struct conf *c, int *have_conf)
{
	struct conf_errors errs;
	struct tagger *t;
	const char *path = o->fields;

	*have_conf = 0;
	if (path == NULL) {
		if (cmd_load_config(c, o->config) == -1)
			return NULL;
		*have_conf = 1;
		path = c->fields_path;
	}
	if (tagger_load(&t, path, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_release(&errs);
		if (*have_conf)
			conf_release(c);
		*have_conf = 0;
		return NULL;
	}
	return t;
}

/* ---- eval ---- */

struct counts {
	size_t	 tp, fp, fn;
};

static double
f1(const struct counts *c, double *p, double *r)
{
	*p = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 0;
	*r = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 0;
	return *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

static void
score_example(struct tagger *t, const struct example *ex, struct counts *per, int verbose)
{
	struct tag tags[TAG_MAX_FIELDS];
	unsigned char got[TAG_MAX_FIELDS] = { 0 };
	struct tag_input in;
	size_t n;

	memset(&in, 0, sizeof(in));
	in.title = ex->title;
	in.text = ex->text;
	in.categories = (const char *const *)ex->categories;
	in.ncategories = ex->ncategories;
	n = tagger_tag(t, &in, tags);
	for (size_t i = 0; i < n; i++)
		got[tags[i].field] = 1;
	if (verbose && memcmp(got, ex->labels, tagger_nfields(t)) != 0) {
		printf("wrong: %s\n", ex->title);
		for (size_t f = 0; f < tagger_nfields(t); f++)
			if (got[f] != ex->labels[f])
				printf("  %s %s\n", got[f] ? "+ extra  " : "- missing",
				    tagger_field(t, f)->name);
	}
	for (size_t f = 0; f < tagger_nfields(t); f++) {
		if (got[f] && ex->labels[f])
			per[f].tp++;
		else if (got[f])
			per[f].fp++;
		else if (ex->labels[f])
			per[f].fn++;
	}
}

static void
to_train(const struct examples *xs, const size_t *idx, size_t n, struct tag_example *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i].title = xs->v[idx[i]].title;
		out[i].text = xs->v[idx[i]].text;
		out[i].labels = xs->v[idx[i]].labels;
	}
}

/* Train on all but one fold, score that fold; for each fold. */
static void
cross_validate(struct tagger *t, const struct examples *xs, const struct options *o,
    struct counts *per)
{
	size_t *order = xmalloc(xs->n * sizeof(*order));
	size_t *train = xmalloc(xs->n * sizeof(*train));
	struct tag_example *tex = xmalloc(xs->n * sizeof(*tex));
	uint64_t state = o->seed * 2654435761u + 1;

	for (size_t i = 0; i < xs->n; i++)
		order[i] = i;
	for (size_t i = xs->n; i > 1; i--) {	/* Fisher-Yates, xorshift64 */
		size_t j;

		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		j = (size_t)(state % i);
		size_t tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
	for (int k = 0; k < o->folds; k++) {
		size_t ntrain = 0;

		for (size_t i = 0; i < xs->n; i++)
			if ((int)(i % (size_t)o->folds) != k)
				train[ntrain++] = order[i];
		to_train(xs, train, ntrain, tex);
		tag_train(t, tex, ntrain, &o->train);
		for (size_t i = 0; i < xs->n; i++)
			if ((int)(i % (size_t)o->folds) == k)
				score_example(t, &xs->v[order[i]], per, o->verbose);
	}
	free(order);
	free(train);
	free(tex);
}

static int
fields_eval(int argc, char **argv)
{
	struct options o;
	struct conf c;
	struct tagger *t;
	struct examples xs;
	struct counts per[TAG_MAX_FIELDS], all = { 0, 0, 0 };
	double macro = 0, p, r, f;
	size_t nmacro = 0;
	int i, have_conf;

	if ((i = parse_options(argc, argv, &o)) == -1 || i != argc - 1) {
		usage();
		return EXIT_USAGE;
	}
	if ((t = load_tagger(&o, &c, &have_conf)) == NULL)
		return 1;
	if (have_conf)
		conf_release(&c);
	if (read_examples(t, argv[i], &xs) == -1) {
		tagger_free(t);
		return 1;
	}
	memset(per, 0, sizeof(per));
	if (o.folds > 0) {
		cross_validate(t, &xs, &o, per);
		printf("%zu releases, %d-fold cross-validation (seed %u), trained "
		    "with l2 %g, prior scale %g, cutoff %g, floor %g\n", xs.n, o.folds,
		    o.seed, o.train.l2, o.train.prior_scale, o.train.cutoff, o.train.floor);
	} else {
		for (size_t k = 0; k < xs.n; k++)
			score_example(t, &xs.v[k], per, o.verbose);
		printf("%zu releases, tagged with %s%s%s\n", xs.n, tagger_path(t),
		    tagger_model_path(t) ? " and " : "",
		    tagger_model_path(t) ? tagger_model_path(t) : "");
	}
	printf("%-48s %5s %6s %6s %6s\n", "field", "n", "P", "R", "F1");
	for (size_t k = 0; k < tagger_nfields(t); k++) {
		size_t n = per[k].tp + per[k].fn;

		f = f1(&per[k], &p, &r);
		printf("%-48s %5zu %6.3f %6.3f %6.3f\n", tagger_field(t, k)->name, n, p, r, f);
		all.tp += per[k].tp;
		all.fp += per[k].fp;
		all.fn += per[k].fn;
		if (n > 0) {
			macro += f;
			nmacro++;
		}
	}
	f = f1(&all, &p, &r);
	printf("micro P %.3f R %.3f F1 %.3f, macro F1 %.3f (over the %zu fields "
	    "with examples)\n", p, r, f, nmacro ? macro / (double)nmacro : 0, nmacro);
	examples_release(&xs);
	tagger_free(t);
	return 0;
}

/* ---- train ---- */

static int
fields_train(int argc, char **argv)
{
	struct options o;
	struct conf c;
	struct tagger *t;
	struct examples xs;
	struct tag_example *tex;
	size_t *all;
	const char *out;
	char *tmp, *comment;
	FILE *fp;
	int i, have_conf, fd, status = 1;

	if ((i = parse_options(argc, argv, &o)) == -1 || i != argc - 1) {
		usage();
		return EXIT_USAGE;
	}
	if ((t = load_tagger(&o, &c, &have_conf)) == NULL)
		return 1;
	if (have_conf)
		conf_release(&c);
	out = o.output ? o.output : tagger_model_path(t);
	if (out == NULL) {
		log_warnx("%s names no model file: add 'model = fields.model' to its "
		    "[fields] section, or give -o FILE", tagger_path(t));
		tagger_free(t);
		return EXIT_USAGE;
	}
	if (read_examples(t, argv[i], &xs) == -1) {
		tagger_free(t);
		return 1;
	}
	tex = xmalloc(xs.n * sizeof(*tex));
	all = xmalloc(xs.n * sizeof(*all));
	for (size_t k = 0; k < xs.n; k++)
		all[k] = k;
	to_train(&xs, all, xs.n, tex);
	tag_train(t, tex, xs.n, &o.train);
	/* written beside, then renamed over: a running daemon never reads half */
	tmp = xasprintf("%s.XXXXXX", out);
	/* the file's base name only: the model's lines must stay short */
	comment = xasprintf("%zu releases from %.64s (l2 %g, prior scale %g, cutoff %g, "
	    "floor %g, min df %d)", xs.n, strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 :
	    argv[i], o.train.l2, o.train.prior_scale,
	    o.train.cutoff, o.train.floor, o.train.min_df);
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("cannot write '%s'", tmp);
		if (fd != -1)
			close(fd);
	} else {
		if (tag_model_write(t, fp, comment) == -1 || fsync(fd) == -1) {
			log_warn("cannot write '%s'", tmp);
			fclose(fp);
			unlink(tmp);
		} else if (fclose(fp) != 0 || rename(tmp, out) == -1) {
			log_warn("cannot write '%s'", out);
			unlink(tmp);
		} else {
			size_t terms = 0;

			for (size_t k = 0; k < tagger_nfields(t); k++)
				terms += tagger_field(t, k)->nmodel;
			printf("%s: %zu fields, %zu weighted terms, from %zu releases\n",
			    out, tagger_nfields(t), terms, xs.n);
			status = 0;
		}
	}
	free(tmp);
	free(comment);
	free(tex);
	free(all);
	examples_release(&xs);
	tagger_free(t);
	return status;
}

/* ---- explain ---- */

/* Text on stdin: the first line is the title, the rest the text. */
static int
explain_stdin(struct tagger *t)
{
	struct buf b;
	struct tag_input in;
	char chunk[8192], *all, *nl;
	size_t n;

	buf_init(&b, MAX_TEXT_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(&b, chunk, n) == -1) {
			log_warnx("stdin: more than %d bytes", MAX_TEXT_BYTES);
			buf_release(&b);
			return 1;
		}
	all = buf_detach(&b);
	memset(&in, 0, sizeof(in));
	nl = strchr(all, '\n');
	if (nl != NULL)
		*nl = '\0';
	in.title = all;
	in.text = nl ? nl + 1 : "";
	tagger_explain(t, &in, stdout);
	free(all);
	return 0;
}

static int
explain_release(struct tagger *t, const struct conf *c, const char *id)
{
	struct store *s;
	struct store_release rel;
	struct tag_input in;
	char *err, *end, **cats = NULL;
	size_t ncats = 0;
	long long n;
	int r;

	if ((r = store_open_readonly(&s, c->state_dir, &err)) != 0) {
		if (r == 1)
			log_warnx("%s: no database yet", c->state_dir);
		else {
			log_warnx("%s", err);
			free(err);
		}
		return 1;
	}
	errno = 0;
	n = strtoll(id, &end, 10);
	if (*end != '\0' || errno != 0 || n <= 0 ||
	    store_release_get(s, (int64_t)n, &rel) == -1) {
		log_warnx("no release %s in %s", id, c->state_dir);
		store_close(s);
		return 1;
	}
	for (char *p = rel.categories; p != NULL && *p != '\0';) {
		char *e = strchr(p, '\n');

		cats = xrealloc(cats, (ncats + 1) * sizeof(*cats));
		cats[ncats++] = xstrndup(p, e ? (size_t)(e - p) : strlen(p));
		p = e ? e + 1 : p + strlen(p);
	}
	memset(&in, 0, sizeof(in));
	in.title = rel.title;
	in.text = rel.body_text;
	in.categories = (const char *const *)cats;
	in.ncategories = ncats;
	printf("release %lld: %s\n", n, rel.title ? rel.title : "");
	tagger_explain(t, &in, stdout);
	for (size_t i = 0; i < ncats; i++)
		free(cats[i]);
	free(cats);
	store_release_clear(&rel);
	store_close(s);
	return 0;
}

static int
fields_explain(int argc, char **argv)
{
	struct options o;
	struct conf c;
	struct tagger *t;
	int i, have_conf, status;

	if ((i = parse_options(argc, argv, &o)) == -1 || i < argc - 1) {
		usage();
		return EXIT_USAGE;
	}
	if (i == argc - 1 && strcmp(argv[i], "-") != 0 && o.fields != NULL) {
		log_warnx("explaining a stored release needs the configuration "
		    "(-c FILE), not -f");
		return EXIT_USAGE;
	}
	if ((t = load_tagger(&o, &c, &have_conf)) == NULL)
		return 1;
	if (i == argc || strcmp(argv[i], "-") == 0)
		status = explain_stdin(t);
	else
		status = explain_release(t, &c, argv[i]);
	if (have_conf)
		conf_release(&c);
	tagger_free(t);
	return status;
}

int
cmd_fields(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "eval") == 0)
		return fields_eval(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return fields_explain(argc - 1, argv + 1);
	if (strcmp(argv[1], "train") == 0)
		return fields_train(argc - 1, argv + 1);
	usage();
	return EXIT_USAGE;
}
