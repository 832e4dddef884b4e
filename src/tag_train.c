/*
 * tag_train: learn term weights from labelled releases (tag.h).
 *
 * One logistic regression per field, over features that are the words and
 * word pairs of the examples (those in at least min_df of them) and every
 * hand-written term of the taxonomy. A feature's value is what a hit
 * counts when tagging (title_weight in the title, 1 in the text), so the
 * learned weights plug straight into the tagger's scoring. Each weight is
 * pulled (L2) towards its prior: the field's hand weight for the term
 * times prior_scale, 0 for anything else. With a few hundred examples the
 * hand-written terms carry what the data cannot; with more, the data wins.
 * Full-batch gradient descent with Nesterov momentum: the problem is
 * convex and small.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tag.h"
#include "tag_int.h"
#include "xmalloc.h"

#define MAX_CANDIDATES	(1u << 20)	/* distinct words and pairs counted */
#define PRUNE_WEIGHT	0.02		/* smaller learned weights are dropped (CV: no loss) */
#define MODEL_MAX_TERM	160		/* longer terms would not fit a model line:
					 * a hand term that long learns nothing */

void
tag_train_defaults(struct tag_train_params *p)
{
	/* chosen by 5-fold cross-validation on the OSCE releases of
	 * shared/data (see NEWS and the issue note for the figures) */
	p->l2 = 1.0;
	p->prior_scale = 1.5;
	p->cutoff = 0.3;
	p->floor = 0.1;
	p->min_df = 1;
	p->iterations = 300;
	p->max_features = 1000;
}

/* ---- counting words and pairs: a string set with counts ---- */

struct gram {
	char	*key;
	int	 df;
	int	 last;		/* the example that last counted it */
};

struct gramset {
	struct gram	*v;
	size_t		 n;
	size_t		 size;	/* power of two */
};

static uint64_t
str_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void
gram_count(struct gramset *g, const char *s, size_t len, int example)
{
	size_t i;

	if (2 * (g->n + 1) > g->size) {
		struct gramset h = { NULL, 0, g->size ? 2 * g->size : 1024 };

		if (g->n >= MAX_CANDIDATES)
			return;
		h.v = xcalloc(h.size, sizeof(*h.v));
		for (i = 0; i < g->size; i++) {
			size_t j;

			if (g->v[i].key == NULL)
				continue;
			j = str_hash(g->v[i].key, strlen(g->v[i].key)) & (h.size - 1);
			while (h.v[j].key != NULL)
				j = (j + 1) & (h.size - 1);
			h.v[j] = g->v[i];
		}
		free(g->v);
		h.n = g->n;
		*g = h;
	}
	for (i = str_hash(s, len) & (g->size - 1); g->v[i].key != NULL;
	    i = (i + 1) & (g->size - 1))
		if (strncmp(g->v[i].key, s, len) == 0 && g->v[i].key[len] == '\0') {
			if (g->v[i].last != example) {
				g->v[i].df++;
				g->v[i].last = example;
			}
			return;
		}
	g->v[i].key = xstrndup(s, len);
	g->v[i].df = 1;
	g->v[i].last = example;
	g->n++;
}

/* Count the words and word pairs of a key. */
static void
count_grams(struct gramset *g, const char *key, int example)
{
	const char *prev = NULL, *w = key;

	while (*w != '\0') {
		const char *end = strchr(w, ' ');
		size_t len = end ? (size_t)(end - w) : strlen(w);

		if (len > 1 || (unsigned char)*w >= 0x80)
			gram_count(g, w, len, example);
		if (prev != NULL)
			gram_count(g, prev, (size_t)(w + len - prev), example);
		prev = w;
		w += len;
		if (*w == ' ')
			w++;
	}
}

/* ---- features ---- */

struct feature {
	char	*text;		/* a term as written, or a word or pair */
};

struct sample {
	uint32_t	*feat;
	float		*value;
	size_t		 n;
};

struct problem {
	struct feature	*feat;
	size_t		 nfeat;
	struct sample	*x;
	size_t		 n;
};

static void
add_feature(struct problem *pb, char *text)
{
	pb->feat = xrealloc(pb->feat, (pb->nfeat + 1) * sizeof(*pb->feat));
	pb->feat[pb->nfeat++].text = text;
}

static int
feature_cmp(const void *a, const void *b)
{
	return strcmp(((const struct feature *)a)->text, ((const struct feature *)b)->text);
}

static size_t
feature_find(const struct problem *pb, const char *text)
{
	struct feature k = { (char *)(uintptr_t)text }, *f;

	f = bsearch(&k, pb->feat, pb->nfeat, sizeof(k), feature_cmp);
	return f ? (size_t)(f - pb->feat) : pb->nfeat;
}

struct sample_ctx {
	const uint32_t	*post_off, *post;
	unsigned char	*hit;
	uint32_t	*touched;
	size_t		 ntouched;
	unsigned char	 bit;
};

static void
on_feature(uint32_t id, size_t end, void *arg)
{
	struct sample_ctx *c = arg;

	(void)end;
	for (uint32_t i = c->post_off[id]; i < c->post_off[id + 1]; i++) {
		uint32_t f = c->post[i];

		if (c->hit[f] == 0)
			c->touched[c->ntouched++] = f;
		c->hit[f] |= c->bit;
	}
}

/* Features, and every example as a sparse vector of them. */
static void
build_problem(struct tagger *t, const struct tag_example *ex, size_t n,
    const struct tag_train_params *p, struct problem *pb)
{
	struct gramset g = { NULL, 0, 0 };
	struct matcher *m = matcher_new();
	struct sample_ctx c;
	uint32_t *pairs = NULL;
	size_t npairs = 0, npat, w = 0;
	char **keys = xcalloc(2 * n, sizeof(*keys));

	memset(pb, 0, sizeof(*pb));
	for (size_t i = 0; i < n; i++) {
		keys[2 * i] = tag_text_key(ex[i].title);
		keys[2 * i + 1] = tag_text_key(ex[i].text);
		count_grams(&g, keys[2 * i], (int)i);
		count_grams(&g, keys[2 * i + 1], (int)i);
	}
	for (size_t i = 0; i < g.size; i++) {
		if (g.v[i].key != NULL && g.v[i].df >= p->min_df)
			add_feature(pb, g.v[i].key);
		else
			free(g.v[i].key);
	}
	free(g.v);
	for (size_t f = 0; f < t->nfields; f++)
		for (size_t i = 0; i < t->fields[f].nterms; i++)
			add_feature(pb, xstrdup(t->fields[f].terms[i].text));
	qsort(pb->feat, pb->nfeat, sizeof(*pb->feat), feature_cmp);
	for (size_t i = 0; i < pb->nfeat; i++) {	/* distinct */
		if (w > 0 && strcmp(pb->feat[w - 1].text, pb->feat[i].text) == 0)
			free(pb->feat[i].text);
		else
			pb->feat[w++] = pb->feat[i];
	}
	pb->nfeat = w;

	for (size_t i = 0; i < pb->nfeat; i++) {
		char *k[8];
		const char *why;
		int nk, open;

		if ((nk = tag_term_keys(pb->feat[i].text, k, &open, &why)) == -1)
			continue;
		for (int j = 0; j < nk; j++) {
			int id = matcher_add(m, k[j], open);

			if (id >= 0) {
				pairs = xrealloc(pairs, (npairs + 1) * 2 * sizeof(*pairs));
				pairs[2 * npairs] = (uint32_t)id;
				pairs[2 * npairs++ + 1] = (uint32_t)i;
			}
			free(k[j]);
		}
	}
	matcher_build(m);
	npat = matcher_count(m);
	memset(&c, 0, sizeof(c));
	{
		uint32_t *off = xcalloc(npat + 1, sizeof(*off));
		uint32_t *post = xmalloc((npairs ? npairs : 1) * sizeof(*post));
		uint32_t *fill = xcalloc(npat + 1, sizeof(*fill));

		for (size_t i = 0; i < npairs; i++)
			off[pairs[2 * i] + 1]++;
		for (size_t i = 0; i < npat; i++)
			off[i + 1] += off[i];
		for (size_t i = 0; i < npairs; i++)
			post[off[pairs[2 * i]] + fill[pairs[2 * i]]++] = pairs[2 * i + 1];
		free(fill);
		c.post_off = off;
		c.post = post;
	}
	free(pairs);
	c.hit = xcalloc(pb->nfeat ? pb->nfeat : 1, 1);
	c.touched = xmalloc((pb->nfeat ? pb->nfeat : 1) * sizeof(*c.touched));
	pb->x = xcalloc(n, sizeof(*pb->x));
	pb->n = n;
	for (size_t i = 0; i < n; i++) {
		struct sample *s = &pb->x[i];

		c.ntouched = 0;
		c.bit = TAG_HIT_TITLE;
		matcher_scan(m, keys[2 * i], strlen(keys[2 * i]), on_feature, &c);
		c.bit = TAG_HIT_TEXT;
		matcher_scan(m, keys[2 * i + 1], strlen(keys[2 * i + 1]), on_feature, &c);
		s->n = c.ntouched;
		s->feat = xmalloc((s->n ? s->n : 1) * sizeof(*s->feat));
		s->value = xmalloc((s->n ? s->n : 1) * sizeof(*s->value));
		for (size_t j = 0; j < s->n; j++) {
			s->feat[j] = c.touched[j];
			s->value[j] = (float)(((c.hit[c.touched[j]] & TAG_HIT_TITLE) ?
			    t->title_weight : 0) + ((c.hit[c.touched[j]] & TAG_HIT_TEXT) ? 1 : 0));
			c.hit[c.touched[j]] = 0;
		}
		free(keys[2 * i]);
		free(keys[2 * i + 1]);
	}
	free(keys);
	free(c.hit);
	free(c.touched);
	free((void *)(uintptr_t)c.post_off);
	free((void *)(uintptr_t)c.post);
	matcher_free(m);
}

static void
problem_release(struct problem *pb)
{
	for (size_t i = 0; i < pb->nfeat; i++)
		free(pb->feat[i].text);
	free(pb->feat);
	for (size_t i = 0; i < pb->n; i++) {
		free(pb->x[i].feat);
		free(pb->x[i].value);
	}
	free(pb->x);
}

/* ---- one field ---- */

static double
sigmoid(double z)
{
	if (z < -35)
		z = -35;
	else if (z > 35)
		z = 35;
	return 1 / (1 + exp(-z));
}

/*
 * Minimise sum_i logloss(y_i, b + w.x_i) + l2/2 |w - prior|^2 over w and
 * b (b is not regularised). Step 1/L with L bounding the Hessian.
 */
static void
fit(const struct problem *pb, const unsigned char *y, const double *prior,
    const struct tag_train_params *p, double *w, double *b)
{
	size_t nf = pb->nfeat;
	double *g = xcalloc(nf, sizeof(*g)), *v = xcalloc(nf, sizeof(*v));
	double *look = xmalloc(nf * sizeof(*look));
	double maxnorm = 0, step, vb = 0, pos = 0;

	for (size_t i = 0; i < pb->n; i++) {
		double norm = 1;	/* the bias */

		for (size_t j = 0; j < pb->x[i].n; j++)
			norm += (double)pb->x[i].value[j] * pb->x[i].value[j];
		if (norm > maxnorm)
			maxnorm = norm;
		pos += y[i];
	}
	/* 1/L would be 1 / (maxnorm * n / 4 + l2), a bound far above the
	 * Hessian's largest eigenvalue for sparse texts; a quarter of that
	 * bound converges in the iterations given (checked against 1000) */
	step = 1 / (maxnorm * (double)pb->n / 16 + p->l2);
	memcpy(w, prior, nf * sizeof(*w));
	*b = log((pos + 0.5) / ((double)pb->n - pos + 0.5));
	for (int it = 0; it < p->iterations; it++) {
		double mom = (double)it / (it + 3), gb = 0, lb;

		for (size_t j = 0; j < nf; j++)
			look[j] = w[j] + mom * v[j];
		lb = *b + mom * vb;
		for (size_t j = 0; j < nf; j++)
			g[j] = p->l2 * (look[j] - prior[j]);
		for (size_t i = 0; i < pb->n; i++) {
			const struct sample *s = &pb->x[i];
			double z = lb, e;

			for (size_t j = 0; j < s->n; j++)
				z += look[s->feat[j]] * s->value[j];
			e = sigmoid(z) - y[i];
			gb += e;
			for (size_t j = 0; j < s->n; j++)
				g[s->feat[j]] += e * s->value[j];
		}
		for (size_t j = 0; j < nf; j++) {
			v[j] = mom * v[j] - step * g[j];
			w[j] += v[j];
		}
		vb = mom * vb - step * gb;
		*b += vb;
	}
	free(g);
	free(v);
	free(look);
}

struct ranked {
	size_t	 feat;
	double	 weight;
};

static int
ranked_cmp(const void *a, const void *b)
{
	double x = fabs(((const struct ranked *)a)->weight);
	double y = fabs(((const struct ranked *)b)->weight);

	return x < y ? 1 : x > y ? -1 : 0;
}

void
tag_untrain(struct tagger *t)
{
	for (size_t f = 0; f < t->nfields; f++)
		tag_field_clear_model(&t->fields[f]);
	t->has_model = 0;
	t->floor = INFINITY;
	tag_compile(t);
}

int
tag_train(struct tagger *t, const struct tag_example *ex, size_t n,
    const struct tag_train_params *p)
{
	struct problem pb;
	unsigned char *y;
	double *prior, *w;
	struct ranked *rank;

	if (n == 0)
		return -1;
	tag_untrain(t);
	build_problem(t, ex, n, p, &pb);
	y = xmalloc(n);
	prior = xmalloc((pb.nfeat ? pb.nfeat : 1) * sizeof(*prior));
	w = xmalloc((pb.nfeat ? pb.nfeat : 1) * sizeof(*w));
	rank = xmalloc((pb.nfeat ? pb.nfeat : 1) * sizeof(*rank));
	for (size_t f = 0; f < t->nfields; f++) {
		struct tag_field *fl = &t->fields[f];
		size_t nr = 0, nhand;
		double b;

		for (size_t i = 0; i < n; i++)
			y[i] = ex[i].labels[f] ? 1 : 0;
		memset(prior, 0, pb.nfeat * sizeof(*prior));
		for (size_t i = 0; i < fl->nterms; i++) {
			size_t j = feature_find(&pb, fl->terms[i].text);

			if (j < pb.nfeat)
				prior[j] += fl->terms[i].weight * p->prior_scale;
		}
		fit(&pb, y, prior, p, w, &b);
		/* the field's own hand-written terms always stay (what the data
		 * did not contradict is still worth knowing); of the rest, the
		 * max_features heaviest */
		for (size_t j = 0; j < pb.nfeat; j++)
			if (prior[j] != 0 && strlen(pb.feat[j].text) < MODEL_MAX_TERM) {
				rank[nr].feat = j;
				rank[nr++].weight = w[j];
			}
		nhand = nr;
		for (size_t j = 0; j < pb.nfeat; j++)
			if (prior[j] == 0 && fabs(w[j]) >= PRUNE_WEIGHT &&
			    strlen(pb.feat[j].text) < MODEL_MAX_TERM) {
				rank[nr].feat = j;
				rank[nr++].weight = w[j];
			}
		qsort(rank + nhand, nr - nhand, sizeof(*rank), ranked_cmp);
		if (nr - nhand > p->max_features)
			nr = nhand + p->max_features;
		fl->learned = 1;
		fl->bias = b;
		fl->cutoff = log(p->cutoff / (1 - p->cutoff));
		fl->model = xcalloc(nr ? nr : 1, sizeof(*fl->model));
		fl->nmodel = nr;
		for (size_t i = 0; i < nr; i++) {
			fl->model[i].text = xstrdup(pb.feat[rank[i].feat].text);
			fl->model[i].weight = rank[i].weight;
		}
	}
	t->has_model = 1;
	t->model_title_weight = t->title_weight;
	t->floor = log(p->floor / (1 - p->floor));
	free(y);
	free(prior);
	free(w);
	free(rank);
	problem_release(&pb);
	tag_compile(t);
	return 0;
}

int
tag_model_write(const struct tagger *t, FILE *out, const char *comment)
{
	fprintf(out, "# feedmill fields model, written by 'feedmill fields train'.\n"
	    "# Learned term weights for %.60s; do not edit by hand: retrain.\n"
	    "# A field's score is its bias plus the weights of the terms found\n"
	    "# (a title hit counts title_weight times); the field is given when\n"
	    "# the score reaches cutoff, and the best field when no field is and\n"
	    "# its score reaches floor.\n\n[model]\n",
	    strrchr(t->path, '/') ? strrchr(t->path, '/') + 1 : t->path);
	if (comment != NULL)
		fprintf(out, "trained = %.160s\n", comment);
	fprintf(out, "title_weight = %.17g\nfloor = %.17g\n", t->model_title_weight, t->floor);
	for (size_t f = 0; f < t->nfields; f++) {
		const struct tag_field *fl = &t->fields[f];

		if (!fl->learned)
			continue;
		fprintf(out, "\n[field %s]\nbias = %.9g\ncutoff = %.9g\n", fl->name,
		    fl->bias, fl->cutoff);
		for (size_t i = 0; i < fl->nmodel; i++)
			fprintf(out, "term = %.9g %s\n", fl->model[i].weight, fl->model[i].text);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
