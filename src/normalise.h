/*
 * normalise: an item's body as an ordered list of distinct paragraphs.
 *
 * HTML goes through a real HTML5 parser (gumbo); block elements and a
 * <br><br> end a paragraph. Each paragraph keeps its plain text (entities
 * decoded, white space folded), its sanitised inline HTML, and a hash of
 * its normalised key (NFKC, case-folded and stripped of marks with utf8proc;
 * punctuation and white space reduced to single spaces), so that the same
 * paragraph mangled by another feed hashes the same. A paragraph whose key
 * repeats an earlier one is dropped: a body pasted in twice comes out once.
 * Plain-text bodies split on blank lines.
 *
 * Sanitising is an allow-list: a few inline elements (links, emphasis,
 * code, images that are not tracking pixels) with a few attributes; links
 * only http, https and mailto, made absolute against the item's base. No
 * script, style, event handler, iframe, form or unknown element survives;
 * the text of unknown elements does.
 */
#ifndef FEEDMILL_NORMALISE_H
#define FEEDMILL_NORMALISE_H

#include <stddef.h>
#include <stdint.h>

/* Bodies are cut here before parsing: a release is never this long, and
 * HTML tree building has inputs that cost more than linear time. */
#define NORMALISE_MAX_BODY	(1024 * 1024)
/* Paragraphs kept per body (a list of 10 000 tiny items stays whole). */
#define NORMALISE_MAX_PARAS	20000
/* Elements nested deeper than this are read as text only. */
#define NORMALISE_MAX_DEPTH	128
/* Inline elements (<b>, <a>, ...) nested deeper keep only their text. */
#define NORMALISE_MAX_INLINE	16
/* Start tags read per body (a body of 10 000 list items has 10 001). */
#define NORMALISE_MAX_TAGS	20000
/* Memory the HTML tree of one body may take; past it the body is cut. */
#define NORMALISE_MAX_TREE_BYTES	(64u * 1024 * 1024)
/* title and alt attributes are cut here (links are capped by uri.h). */
#define NORMALISE_MAX_ATTR	512

enum norm_kind {
	NORM_P = 0,
	NORM_H,		/* a heading; level 1-6 */
	NORM_LI,	/* a list item; list tells items of one list apart */
	NORM_QUOTE,
	NORM_PRE,
};

struct norm_para {
	char		*text;	/* plain text, white space folded */
	char		*html;	/* sanitised inline HTML */
	enum norm_kind	 kind;
	int		 level;	/* heading level; 1 for an ordered list */
	uintptr_t	 list;	/* identity of the list of an item */
	uint64_t	 hash;	/* of the normalised key (of the HTML when no text) */
	int		 has_text;	/* 0: a picture alone; not compared by dedup */
};

struct norm_body {
	struct norm_para *v;
	size_t		  n;
	size_t		  alloc;
	size_t		  repeats;	/* paragraphs dropped as repeats */
	int		  truncated;	/* cut at NORMALISE_MAX_BODY */
};

/*
 * Split a body (HTML, or plain text when it holds no markup) into out,
 * which must be zeroed or released. base resolves relative links (may be
 * NULL: relative links are then dropped). Never fails on bad input.
 */
void normalise_body(const char *body, const char *base, struct norm_body *out);
void norm_body_release(struct norm_body *b);

/* The sanitised HTML of the paragraphs, in order; malloc'd ("" if none). */
char *normalise_render(const struct norm_body *b);

/* A title or other short text that may carry markup, as folded plain
 * text; malloc'd. */
char *normalise_plain(const char *text);

/* The comparison key of a text: NFKC, case-folded, marks stripped, words
 * separated by single spaces; malloc'd. */
char *normalise_key(const char *text);

/* 64-bit BLAKE2b of a key (libsodium); never 0. */
uint64_t normalise_hash(const char *key);

#endif
