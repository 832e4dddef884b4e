/*
 * dedup: every parsed entry becomes part of a release, and each release
 * exists once (shared/DESIGN.md, "Releases and duplicates").
 *
 * An entry is normalised (normalise.h) into a title, its distinct
 * paragraphs and their hashes. Then, in this order:
 *  - the source delivered this item key before (its GUID, else its
 *    canonical link, else its fingerprint): unchanged text is nothing new;
 *    changed text revises that release, unless the title and the text both
 *    changed so much that the feed has reused a GUID for a new release;
 *  - a pruned release's tombstone (item key, link or fingerprint) stops it
 *    from coming back;
 *  - the same fingerprint (title and set of paragraphs) as a release: a
 *    duplicate, another source of it;
 *  - the same canonical link: the same release (revised if this copy is
 *    newer and differs);
 *  - most paragraphs in common with a release (Jaccard overlap at least
 *    update_overlap), counting only paragraphs that are not boilerplate:
 *    the same release, revised if this copy is newer. Candidates come from
 *    the paragraph index, so the cost does not grow with the store. A
 *    paragraph in DEDUP_BOILERPLATE_RELEASES or more releases is
 *    boilerplate ("For further information contact ...") and counts for
 *    nothing;
 *  - otherwise a new release.
 * A release keeps every source that delivered it and the earliest date.
 */
#ifndef FEEDMILL_DEDUP_H
#define FEEDMILL_DEDUP_H

#include <stdint.h>

#include "parse.h"
#include "store.h"

#define DEDUP_DEFAULT_OVERLAP		0.8
/* A paragraph found in this many releases, or in one in
 * DEDUP_BOILERPLATE_SHARE of them if that is more (up to
 * DEDUP_BOILERPLATE_MAX), is boilerplate. */
#define DEDUP_BOILERPLATE_RELEASES	3
#define DEDUP_BOILERPLATE_SHARE		200
#define DEDUP_BOILERPLATE_MAX		256
/* A changed item under a known GUID is a revision if its title is the same
 * or this share of its paragraphs is; else the GUID was reused. */
#define DEDUP_REVISION_OVERLAP		0.3
/* Fuzzy matching needs at least this many distinct paragraphs. */
#define DEDUP_MIN_PARAGRAPHS		2

enum dedup_result {
	DEDUP_NEW,
	DEDUP_UPDATED,
	DEDUP_DUPLICATE,	/* another copy of a known release */
	DEDUP_UNCHANGED,	/* this source said this before */
	DEDUP_PRUNED,		/* a tombstone: pruned, not to come back */
	DEDUP_OLD,		/* older than keep_days: not taken in */
	DEDUP_DEFERRED,		/* needs normalising, which was not allowed */
	DEDUP_ERROR,		/* the store failed (its error says why) */
};

struct dedup_config {
	double	 update_overlap;
	int64_t	 keep_seconds;	/* 0: keep for ever */
	/* only recognise entries seen before, unchanged; anything else is
	 * DEDUP_DEFERRED (the daemon's per-poll time budget is spent) */
	int	 quick_only;
};

struct dedup_counts {
	unsigned long	 n[DEDUP_ERROR + 1];
};

/* What became of an entry, beyond its result. */
struct dedup_outcome {
	int64_t	 release;	/* the release it is part of, or 0 */
	size_t	 repeats;	/* paragraphs dropped as repeats inside it */
};

/*
 * Take in one entry that source delivered, at time now, inside the
 * caller's transaction. *out (if not NULL) says which release it became
 * part of, and how much of its body repeated itself.
 */
enum dedup_result dedup_entry(struct store *s, const struct dedup_config *c,
    const char *source, const struct feed_entry *e, int64_t now,
    struct dedup_outcome *out);

/* "new", "updated", ... for log lines. */
const char *dedup_result_name(enum dedup_result r);

/*
 * A link as compared: scheme and host lower-cased, default port, fragment
 * and tracking parameters (utm_*, fbclid, gclid, mc_cid, ...) dropped.
 * malloc'd; NULL if url is not an http or https URL.
 */
char *dedup_canonical_link(const char *url);

#endif
