/*
 * tag_int.h: what tag.c and tag_train.c share; not for other modules.
 */
#ifndef FEEDMILL_TAG_INT_H
#define FEEDMILL_TAG_INT_H

#include <stdint.h>

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
	uint32_t		*post;		/* term numbers */
	/* the last scan: hit bits per term, and the terms hit */
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
/* Find the terms in a title and a text (t->hit, t->touched). */
void tag_scan(struct tagger *t, const char *title, const char *text);
/* What a term hit counts: title_weight for the title, 1 for the text. */
double tag_hit_value(const struct tagger *t, unsigned char hit);

#endif
