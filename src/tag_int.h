/*
 * tag_int.h: what tag.c and tag_train.c share; not for other modules.
 */
#ifndef FEEDMILL_TAG_INT_H
#define FEEDMILL_TAG_INT_H

#include <stdint.h>

#include "match.h"
#include "tag.h"

struct matcher;

#define TAG_HIT_TITLE	1
#define TAG_HIT_TEXT	2

/* A normalised label and the field it names (sorted by key). */
struct tag_alias {
	char	*key;
	size_t	 field;
};

/* A term of the automaton: whose it is. */
struct tag_term_ref {
	double		 weight;	/* a copy: scoring reads nothing else */
	uint16_t	 field;
	uint8_t		 model;		/* 1: fields[field].model, 0: .terms */
	uint32_t	 index;
};

/* A pattern's term, with what scoring needs of it at hand: a scan adds
 * weight (times what the hit counts) to field's score the first time the
 * term is hit in the title, and again in the text. */
struct tag_post {
	float		 weight;	/* 8 bytes a posting: a scan reads them
					 * at random, and a learned model has
					 * thousands (a float's 24 bits are
					 * more than a learned weight means) */
	uint16_t	 field;
	uint8_t		 shared;	/* the term has other keys: the pattern
					 * being new does not make the term so */
};

struct tagger {
	char			*path;
	char			*model_path;
	struct tag_field	*fields;
	size_t			 nfields;
	double			 title_weight;
	double			 threshold;	/* the [fields] default */
	int			 has_model;
	double			 model_title_weight;
	double			 floor;
	struct tag_alias	*aliases;
	size_t			 naliases;
	/* compiled */
	struct matcher		*m;
	struct tag_term_ref	*terms;
	size_t			 nterms;
	uint32_t		*post_off;	/* pattern -> post[off[p]..off[p+1]) */
	struct tag_post		*post;
	uint32_t		*post_term;	/* each posting's term */
	struct match_ids	 ids;		/* a scan's patterns */
	/* the last scan: hit bits per term, and the terms hit; all of them
	 * when record_hits is set, else only terms with more than one key */
	int			 record_hits;
	unsigned char		*hit;
	uint32_t		*touched;
	size_t			 ntouched;
	/* ... and per pattern, so that a word met again (a learned model
	 * has most words of a text) does not walk its terms again */
	unsigned char		*pattern_hit;
	uint32_t		*patterns_touched;
	size_t			 npatterns_touched;
};

int tag_term_keys(const char *term, char **keys, int *open, const char **why);
struct tag_field *tag_field_find(struct tagger *t, const char *name);
void tag_field_clear_model(struct tag_field *f);
void tag_compile(struct tagger *t);
/* A text's normalised key, cut at TAG_MAX_TEXT; malloc'd ("" for NULL). */
char *tag_text_key(const char *text);
/* Add what the terms found in a title and a text count to scores[] (the
 * fields' margins, each started at minus its threshold); t->hit and
 * t->touched say which terms were found if t->record_hits is set. */
void tag_scan(struct tagger *t, const char *title, const char *text, double *scores);
/* What a term hit counts: title_weight for the title, 1 for the text. */
double tag_hit_value(const struct tagger *t, unsigned char hit);

#endif
