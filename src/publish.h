/*
 * publish: the stored releases as files under output_dir
 * (shared/DESIGN.md, "Published layout"):
 *
 *   all.atom, fields/<slug>.atom, sources/<name>.atom
 *       Atom 1.0 (RFC 4287), the newest max_entries releases of the feed,
 *       newest first, and RFC 5005 archives of older ones under
 *       archive/<feed>/<page>.atom, reached by rel="prev-archive": page k
 *       holds the releases that joined the feed k * max_entries-th to
 *       (k + 1) * max_entries - 1-th, so a complete page stays as it is.
 *   index.html   the latest releases by field, with subscribe links
 *   feeds.opml   every published feed
 *
 * An entry's id is a tag: URI made of the publisher's authority (base_url's
 * host and the date of the first publish, kept in the store) and the
 * release's uid, so it never changes. Output depends on the stored state
 * only (no clock): the same state gives byte-identical files. A file is
 * written (temporary files, then one syncfs for all, then renames) only
 * when its content changed;
 * a publish after a few new releases rewrites only the feeds and archive
 * pages they touch.
 */
#ifndef FEEDMILL_PUBLISH_H
#define FEEDMILL_PUBLISH_H

#include <stddef.h>

struct conf;
struct publisher;
struct store;
struct tagger;

struct publish_stats {
	size_t	 feeds;		/* feed documents considered */
	size_t	 written;	/* files written */
	size_t	 unchanged;	/* files whose content was already there */
	size_t	 releases;	/* releases changed since the last publish */
	int	 full;		/* everything was published again */
};

/*
 * Publish what changed since the last publish (everything the first time,
 * after pruning, or when the layout changed: base_url, max_entries, the
 * fields or the sources). Runs in the store's open transaction (store_begin
 * is called). 0, or -1 with *err (malloc'd) naming the file or the store.
 */
int publish_run(struct publisher *pb, struct store *s, struct tagger *t,
    const struct conf *c, struct publish_stats *stats, char **err);

/* What publishing keeps from one run to the next (the daemon has one):
 * entries already rendered, so a few new releases do not render every
 * entry of every document they touch again. pb may be NULL in
 * publish_run: nothing is kept. */
struct publisher *publisher_new(void);
void publisher_free(struct publisher *pb);

#endif
