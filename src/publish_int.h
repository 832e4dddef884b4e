/*
 * publish_int.h: what the parts of publish share (publish.c: feeds and
 * entries; publish_files.c: writing; publish_index.c: index.html and
 * feeds.opml). Not for other modules: publish.h is the interface.
 */
#ifndef FEEDMILL_PUBLISH_INT_H
#define FEEDMILL_PUBLISH_INT_H

#include <stdint.h>
#include <sys/uio.h>

#include "buf.h"
#include "publish.h"
#include "store.h"

struct tagger;

/* A published feed: "all", "fields/<slug>" or "sources/<name>". */
struct feed {
	char	*key;
	char	*title;
	int64_t	*dirty;		/* seqs of changed releases (unsorted) */
	size_t	 ndirty;
	int	 touched;
};

/* Rendered <entry> elements, by release id, for the length of a publish. */
struct cached_entry {
	int64_t	 id;
	char	*xml;
	size_t	 len;		/* of xml */
	unsigned char hash[STORE_HASH_BYTES];	/* of xml (pub_hash) */
	int64_t	 updated;
	int64_t	 published;
	unsigned used;		/* the last publish with it in a current document */
};

/* Entries rendered by earlier publishes, kept for the next ones (a few
 * new releases rewrite whole documents of old ones). */
struct publisher {
	struct cached_entry	*cache;		/* open addressing */
	size_t			 cache_size;
	size_t			 cache_n;
	unsigned		 run;
};

/* A file written but not yet renamed into place: all are synced at once. */
struct staged {
	char		*tmp;
	char		*path;
	char		*rel;
	unsigned char	 hash[STORE_HASH_BYTES];
};

struct pub {
	struct store		*s;
	struct tagger		*t;
	const struct conf	*c;
	struct publish_stats	*stats;
	char			*authority;	/* "host,YYYY-MM-DD" */
	int64_t			 epoch;		/* that date, for empty feeds */
	struct feed		*feeds;
	size_t			 nfeeds;
	struct publisher	*pb;
	struct staged		*staged;
	size_t			 nstaged;
	char			*err;
};

int pub_fail(struct pub *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record the store's last error; returns -1. */
int pub_store_failed(struct pub *p);
/* Text as XML character data; fold: line breaks and tabs as spaces. */
void pub_add_text(struct buf *b, const char *s, int fold);
/* A release's link if a reader may follow it (http, https), else NULL. */
const char *pub_safe_link(const struct store_release *r);
/* A feed's document (page -1: the current one), relative; malloc'd. */
char *pub_page_path(const struct feed *f, int64_t page);
/* base_url + rel; malloc'd. */
char *pub_url(const struct pub *p, const char *rel);
/* Stage rel's new content if it changed (publish_files.c). */
int pub_write_file(struct pub *p, const char *rel, const struct buf *content);
/* The same for content in n pieces, written as they are (a feed document:
 * its head, each cached entry, its end), not joined first. key, if not
 * NULL, stands for the content in the change check: bytes that differ
 * whenever the content does and are far fewer (a document's head and its
 * entries' hashes), so the content itself is not hashed. */
int pub_write_parts(struct pub *p, const char *rel, const struct iovec *parts, size_t n,
    const struct buf *key);
/* The hash that tells whether a file changed: XXH3, 128 bits. */
void pub_hash(unsigned char hash[STORE_HASH_BYTES], const void *data, size_t len);
/* Whether this run already staged rel. */
int pub_staged(const struct pub *p, const char *rel);
/* Sync every staged file, then rename each into place. */
int pub_commit_files(struct pub *p);
/* Forget staged files (unlinking those not renamed). */
void pub_staged_release(struct pub *p);
/* index.html and feeds.opml (publish_index.c). */
int pub_write_index(struct pub *p);
int pub_write_opml(struct pub *p);

#endif
