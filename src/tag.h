/*
 * tag: files each release under the fields of work it belongs to
 * (shared/DESIGN.md, "Fields of work"; the taxonomy file's syntax is in
 * feedmill.conf(5) and in the default conf/fields.conf).
 *
 * The taxonomy is data: each field has a name, a slug, aliases (category
 * labels feeds already use) and weighted terms ("human trafficking",
 * "traffick*", "border guard(s)"). A release gets a field, in this order:
 *  - from a category the feed gave it that is the field's name, slug or
 *    alias (compared as normalise_key() keys: case, accents and punctuation
 *    do not matter);
 *  - from the `fields =` of a source that delivered it;
 *  - from its text: every term of every field is found in one pass
 *    (match.h); a term found in the title counts title_weight times. With
 *    only hand-written terms a field needs its threshold. With a learned
 *    model (`model =`, written by tag_train) the field's score is the
 *    model's bias plus its weights, and the field is given when the score
 *    reaches the model's cutoff; if no field does and the release has no
 *    other field, the best one is given when it reaches the model's floor
 *    and its terms speak for it (TAG_FLOOR_EVIDENCE).
 * Each tag keeps its origin and score.
 */
#ifndef FEEDMILL_TAG_H
#define FEEDMILL_TAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

#define TAG_MAX_FIELDS		256
#define TAG_MAX_TERMS		200000	/* a trained model has thousands */
#define TAG_DEFAULT_TITLE_WEIGHT 2.0
#define TAG_DEFAULT_THRESHOLD	3.0
/* The floor's best field needs its terms to raise its log-odds this much
 * over the model's bias: text about nothing gets no field. (Giving the
 * most common field anyway would score a little better on the OSCE set,
 * 0.66 against 0.65 micro-F1, and fill that field's feed with noise.) */
#define TAG_FLOOR_EVIDENCE	1.0
/* Text past this many bytes is not read for tagging: a release's field
 * shows in its first pages. */
#define TAG_MAX_TEXT		(64 * 1024)

enum tag_origin {
	TAG_CATEGORY = 0,	/* a feed's category matched an alias */
	TAG_SOURCE,		/* the source's fields = */
	TAG_TEXT,		/* the terms (and model) said so */
};

struct tag_term {
	char		*text;		/* as written: "border guard(s)" */
	double		 weight;
	int		 line;		/* where it was written */
};

struct tag_field {
	char		*name;
	char		*slug;
	char		**aliases;	/* as written */
	size_t		 naliases;
	struct tag_term	*terms;		/* hand-written */
	size_t		 nterms;
	double		 threshold;
	/* the learned model, when there is one */
	int		 learned;
	double		 bias;
	double		 cutoff;
	struct tag_term	*model;
	size_t		 nmodel;
	int		 line;		/* of its [field] header */
};

struct tagger;

/*
 * Read a taxonomy file and the model it names. Returns 0 and *out, or -1
 * with every problem as "file:line: message" in errs (the same list type
 * the configuration uses).
 */
int tagger_load(struct tagger **out, const char *path, struct conf_errors *errs);
void tagger_free(struct tagger *t);

size_t tagger_nfields(const struct tagger *t);
const struct tag_field *tagger_field(const struct tagger *t, size_t i);
double tagger_title_weight(const struct tagger *t);
double tagger_floor(const struct tagger *t);
/* The file read, and its model's (NULL when none). */
const char *tagger_path(const struct tagger *t);
const char *tagger_model_path(const struct tagger *t);
/* The field whose name, slug or alias label is, or -1. */
int tagger_lookup(const struct tagger *t, const char *label);

/* What a release offers the tagger. */
struct tag_input {
	const char	 *title;
	const char	 *text;		/* body as plain text, author, ... */
	const char *const *categories;	/* as the feeds gave them */
	size_t		  ncategories;
	const char *const *source_fields; /* field labels the sources impose */
	size_t		  nsource_fields;
};

struct tag {
	size_t		 field;
	enum tag_origin	 origin;
	/* the text's margin, whatever the origin: its score less the bar
	 * (threshold, or the model's cutoff); >= 0 means the text files it */
	double		 score;
};

/*
 * The fields of a release into out (room for tagger_nfields() tags), in
 * taxonomy order; returns how many. A label in source_fields that names
 * no field is ignored (check-config reports it).
 */
size_t tagger_tag(struct tagger *t, const struct tag_input *in, struct tag *out);

/* Every field's text margin (see struct tag) into scores
 * (tagger_nfields() of them). */
void tagger_scores(struct tagger *t, const char *title, const char *text,
    double *scores);

/* Print the fields of a release and, for each, the terms that fired with
 * their weights, for a human. */
void tagger_explain(struct tagger *t, const struct tag_input *in, FILE *out);

const char *tag_origin_name(enum tag_origin o);

/* ---- stored releases (tag_store.c) ---- */

struct store;

/* The fields a source's configuration imposes (NULL: none). */
typedef const struct conf_list *tag_source_fields_fn(const char *source, void *arg);

/*
 * (Re)file a stored release: its title, text and categories, and the
 * fields its sources impose, through the tagger; its stored fields are
 * replaced. per_field (tagger_nfields() counters, or NULL) counts each
 * field given. 0, or -1 on a store error (store_error() says which).
 */
int tag_stored_release(struct tagger *t, struct store *s, int64_t id,
    tag_source_fields_fn *source_fields, void *arg, unsigned long *per_field);

/* ---- learning (tag_train.c) ---- */

struct tag_example {
	const char	*title;
	const char	*text;
	const unsigned char *labels;	/* tagger_nfields() flags */
};

struct tag_train_params {
	double	 l2;		/* pull of each weight towards its prior */
	double	 prior_scale;	/* hand weight w is the prior w * this */
	double	 cutoff;	/* probability a field needs */
	double	 floor;		/* probability the best field needs when alone */
	int	 min_df;	/* a word or pair in fewer examples is no feature */
	int	 iterations;
	size_t	 max_features;	/* per field, by weight */
};

void tag_train_defaults(struct tag_train_params *p);

/*
 * Learn weights from examples (logistic regression per field over words,
 * word pairs and the hand-written terms, each weight regularised towards
 * its hand-written prior) and install them as t's model. 0, or -1 when
 * there are no examples.
 */
int tag_train(struct tagger *t, const struct tag_example *ex, size_t n,
    const struct tag_train_params *p);
/* Drop the model: back to the hand-written terms. */
void tag_untrain(struct tagger *t);
/* Write t's model in the syntax tagger_load reads. 0 or -1 (errno). */
int tag_model_write(const struct tagger *t, FILE *out, const char *comment);

#endif
