/*
 * store: feedmill's state in SQLite (WAL), one database file in state_dir.
 *
 * The schema is versioned in PRAGMA user_version and migrated forward on
 * open, each step in its own transaction; a database newer than this
 * feedmill is refused rather than guessed at. This module holds the
 * sources' HTTP state and a bounded fetch log; releases come with the
 * dedup stage.
 */
#ifndef FEEDMILL_STORE_H
#define FEEDMILL_STORE_H

#include <stdint.h>
#include <stdio.h>

#define STORE_FILE		"feedmill.db"
/* Held (flock) by the one process that writes the database. */
#define STORE_LOCK_FILE		"feedmill.lock"
/* Fetch log rows kept per source: enough for `status` and /healthz. */
#define STORE_FETCH_LOG_KEEP	100
/* A busy database is waited for this long before an error. */
#define STORE_BUSY_MS		5000

struct store;

/* A source's state between polls. Strings are malloc'd (or NULL). */
struct store_source {
	char	*name;
	char	*url;		/* where it is fetched now (after 301/308) */
	char	*configured_url;/* as the configuration gave it */
	char	*etag;		/* validators, exactly as the server sent them */
	char	*last_modified;
	int64_t	 next_poll;	/* unix seconds; 0 = as soon as possible */
	int64_t	 last_poll;	/* 0 = never */
	int64_t	 last_success;
	int	 failures;	/* consecutive; 0 after a success */
	int	 last_status;	/* HTTP status, 0 when none */
	char	*last_error;
	int	 retired;	/* 410 Gone: not polled again */
	int64_t	 retry_until;	/* a server's Retry-After: not before this */
	/* the feed as it last described itself, for <atom:source> */
	char	*feed_title;
	char	*feed_link;
	char	*feed_id;
};

struct store_fetch {
	int64_t		 time;
	int		 status;
	int64_t		 bytes;
	int		 duration_ms;
	const char	*error;	/* NULL on success */
};

/*
 * Open (creating state_dir and the database if needed) and migrate, as the
 * one writer: a second store_open of the same state_dir, from any process,
 * fails while this one is open. Returns 0, or -1 with *err a malloc'd
 * message naming the file.
 */
int store_open(struct store **sp, const char *state_dir, char **err);
/*
 * Open an existing database to read it only (check-config, status): no
 * directory or file is created and nothing is migrated. 0; 1 when there is
 * no database yet; -1 with *err.
 */
int store_open_readonly(struct store **sp, const char *state_dir, char **err);
/* Whether a feedmill that writes state_dir's database runs now: 1 with
 * its pid, 0 if none, -1 if that cannot be told (the pid runs, but what
 * it is cannot be seen). */
int store_writer(const char *state_dir, long *pid);
void store_close(struct store *s);
/* The schema version the database is at. */
int store_schema_version(struct store *s);

/*
 * Make sure a configured source has a row. A new source gets one with
 * next_poll 0 (poll at once); a known one keeps its schedule, unless its
 * configured URL changed: then it starts afresh at the new URL. 0 or -1.
 */
int store_source_sync(struct store *s, const char *name, const char *configured_url);
/* Read a source's row into out (release with store_source_release).
 * 0, or -1 when there is none or on error. */
int store_source_get(struct store *s, const char *name, struct store_source *out);
/* Write back every field of src (matched by name). 0 or -1. */
int store_source_save(struct store *s, const struct store_source *src);
void store_source_release(struct store_source *src);

/* Record a fetch; only the last STORE_FETCH_LOG_KEEP of a source stay. */
int store_fetch_log_add(struct store *s, const char *name, const struct store_fetch *f);
/* How many fetch log rows a source has (for tests and status). */
int store_fetch_log_count(struct store *s, const char *name);

/* ---- releases (store_release.c) ---- */

#define STORE_HASH_BYTES	16	/* fingerprints and content hashes */

/* A release as stored. Strings malloc'd; release with store_release_clear. */
struct store_release {
	int64_t		 id;
	char		*uid;		/* stable forever: the Atom id is made of it */
	unsigned char	 fingerprint[STORE_HASH_BYTES];
	unsigned char	 content_hash[STORE_HASH_BYTES];
	char		*title;
	char		*link;		/* as the first source gave it */
	char		*canonical_link;
	char		*author;
	char		*summary;	/* the lead paragraph */
	char		*body_html;	/* sanitised, repeats removed */
	char		*body_text;	/* the paragraphs, separated by blank lines */
	char		*categories;	/* distinct, one a line */
	int64_t		 published;	/* the earliest any source gave */
	int64_t		 updated;
	int64_t		 first_seen;
	int		 revisions;
};

void store_release_clear(struct store_release *r);

/*
 * What a source delivered under an item key (its GUID, or its link, or its
 * fingerprint): the release, the content hash of what it said once
 * normalised, and the hash of the entry as the feed gave it (raw_hash), so
 * that an entry polled again unchanged costs no normalising.
 */
struct store_delivery {
	int64_t		 release;
	const char	*link;		/* as the source gave it */
	const char	*canonical_link;
	unsigned char	 content_hash[STORE_HASH_BYTES];
	unsigned char	 raw_hash[STORE_HASH_BYTES];
};

/* 1 found (d->release and the hashes set), 0 not, -1 error. */
int store_delivery_get(struct store *s, const char *source, const char *key,
    struct store_delivery *d);
/* Record (or re-point) a delivery. 0 or -1. */
int store_delivery_put(struct store *s, const char *source, const char *key,
    const struct store_delivery *d, int64_t now);
/* How many deliveries a release has (its sources, counted by item). */
int store_delivery_count(struct store *s, int64_t release);

/* A release by fingerprint, or by the canonical link of any of its
 * deliveries: 1 with *id, 0, -1. */
int store_release_by_fingerprint(struct store *s,
    const unsigned char fp[STORE_HASH_BYTES], int64_t *id);
int store_release_by_link(struct store *s, const char *canonical_link, int64_t *id);
/* Read a release (0), or -1. */
int store_release_get(struct store *s, int64_t id, struct store_release *out);
/* The same without the bodies, categories and dates (id, uid, title, links,
 * author, summary): cheap, for lists. */
int store_release_head(struct store *s, int64_t id, struct store_release *out);
/* Insert r (r->id is set) with its paragraph hashes. 0 or -1. */
int store_release_insert(struct store *s, struct store_release *r,
    const uint64_t *hashes, size_t nhashes);
/* Rewrite a release's content (revisions + 1) and its paragraph index. */
int store_release_revise(struct store *s, const struct store_release *r,
    const uint64_t *hashes, size_t nhashes);
/* Move a release's published date earlier, if given an earlier one. */
int store_release_touch(struct store *s, int64_t id, int64_t published);
/* Replace a release's categories (one a line, or NULL). 0 or -1. */
int store_release_set_categories(struct store *s, int64_t id, const char *categories);
/* Releases stored (counted once, then kept up to date). */
int64_t store_release_count(struct store *s);

/* Up to max releases whose body has a paragraph with this hash, into ids
 * (which may be NULL, to count only); the count found, at most max + 1
 * (so max + 1 tells "more than max"), or -1. */
int store_paragraph_releases(struct store *s, uint64_t hash, int64_t *ids, int max);
/* A release's paragraph hashes (malloc'd in *v). 0 or -1. */
int store_paragraph_hashes(struct store *s, int64_t release, uint64_t **v, size_t *n);

/*
 * Tombstones: what pruning removed, so that a source still listing it does
 * not bring it back. 1 if key (any bytes) is a tombstone (whose last
 * sighting is then moved to now), 0 if not, -1.
 */
int store_tombstone_check(struct store *s, const void *key, size_t len, int64_t now);
/*
 * Delete releases published before `before`, with their deliveries and
 * paragraphs, leaving tombstones for their item keys, links and
 * fingerprints; drop tombstones not seen since tombstone_before. *pruned
 * counts releases. 0 or -1.
 */
int store_prune(struct store *s, int64_t before, int64_t tombstone_before,
    int64_t now, int64_t *pruned);

/* ---- fields of work (store_tag.c) ---- */

/* A release's field, by slug: where it came from ("category", "source",
 * "text") and the text's score. */
struct store_field {
	const char	*slug;
	const char	*origin;
	double		 score;
};

/* Replace a release's fields with v[0..n). 0 or -1. */
int store_release_set_fields(struct store *s, int64_t id, const struct store_field *v,
    size_t n);
/* A release's fields, by slug, into *v (malloc'd, each slug and origin
 * too; release with store_fields_free). 0 or -1. */
int store_release_fields(struct store *s, int64_t id, struct store_field **v, size_t *n);
void store_fields_free(struct store_field *v, size_t n);
/* The names of the sources that delivered a release, distinct, the first
 * to deliver it first, into *names (malloc'd, each too). 0 or -1. */
int store_release_sources(struct store *s, int64_t id, char ***names, size_t *n);

/* ---- publishing (store_publish.c) ---- */

/*
 * Each published feed ("all", "fields/<slug>", "sources/<name>") numbers
 * its releases in the order they joined it (seq from 0), so that archive
 * pages of max_entries stay put as new releases come. Changes to releases
 * are noted (store_release_set_fields does) until a publish is done.
 */

/* A setting kept across runs: 1 with *value (malloc'd), 0 if none, -1. */
int store_meta_get(struct store *s, const char *key, char **value);
int store_meta_set(struct store *s, const char *key, const char *value);
/* Releases changed since the last publish (every release when all), in
 * the order they were first seen, into *ids (malloc'd). 0 or -1. */
int store_publish_pending(struct store *s, int all, int64_t **ids, size_t *n);
/* Feeds noted as changed apart from their releases (a release left a
 * field), into *feeds (malloc'd, each too). 0 or -1. */
int store_publish_dirty_feeds(struct store *s, char ***feeds, size_t *n);
/* Forget the notes: everything is published. 0 or -1. */
int store_publish_done(struct store *s);
/* The seq of a release in a feed, appending it if it is new. 0 or -1. */
int store_feed_add(struct store *s, const char *feed, int64_t release, int64_t *seq);
/* Take a release out of a feed. 0 or -1. */
int store_feed_drop(struct store *s, const char *feed, int64_t release);
/* A feed's highest seq, -1 when it is empty. 0 or -1. */
int store_feed_last(struct store *s, const char *feed, int64_t *seq);
/* A feed's releases with lo <= seq < hi, highest seq first, into *ids
 * and *seqs (malloc'd; seqs may be NULL). 0 or -1. */
int store_feed_range(struct store *s, const char *feed, int64_t lo, int64_t hi,
    int64_t **ids, int64_t **seqs, size_t *n);
/* The feeds a release is in and its seq in each (malloc'd). 0 or -1. */
int store_release_feeds(struct store *s, int64_t release, char ***feeds,
    int64_t **seqs, size_t *n);
/* The hash of what was last written to a published path: 1, 0 when
 * nothing was, -1. */
int store_file_hash(struct store *s, const char *path, unsigned char hash[STORE_HASH_BYTES]);
int store_file_hash_set(struct store *s, const char *path,
    const unsigned char hash[STORE_HASH_BYTES]);
/* Note that everything must be published again (after pruning). */
int store_publish_all_later(struct store *s);

/* ---- digests (store_digest.c) ---- */

/* A composed digest run in the outbox. Strings malloc'd; the message is
 * a scratch file (store_scratch_file), so that a digest of thousands of
 * releases never sits in memory whole. */
struct store_digest_run {
	int64_t		 id;
	char		*digest;
	int64_t		 window_start;
	int64_t		 window_end;
	int64_t		 created;
	char		*message_id;
	FILE		*message;	/* message_len bytes from its start */
	size_t		 message_len;
	int		 items;
	int		 attempts;
	int64_t		 next_attempt;
	int		 sent;		/* 1 once the server took it */
};

/* A release a digest may carry: when it was first stored, in order. */
struct store_candidate {
	int64_t		 id;
	int64_t		 published;
};

/* Bytes a message moves between its file and its row at a time. */
#define STORE_BLOB_CHUNK	(64 * 1024)

void store_digest_run_clear(struct store_digest_run *r);
/* The end of the digest's last composed window (0 if none). 0 or -1. */
int store_digest_last_end(struct store *s, const char *digest, int64_t *end);
/* The start of its first window (0 if it never ran): where it began. */
int store_digest_first_start(struct store *s, const char *digest, int64_t *start);
/* Releases first stored in (since, until] that no run of this digest had,
 * in the order they came, into *v (malloc'd). 0 or -1. */
int store_digest_candidates(struct store *s, const char *digest, int64_t since,
    int64_t until, struct store_candidate **v, size_t *n);
/* An unnamed read-write file beside the database (O_TMPFILE), gone when
 * closed; NULL with store_error(). */
FILE *store_scratch_file(struct store *s);
/* Put a composed run in the outbox as pending, with its releases; the
 * message is copied from its file a chunk at a time. */
int store_digest_add(struct store *s, struct store_digest_run *r, const int64_t *ids,
    size_t n);
/* The oldest pending run of a digest: 1 with *r (its message copied into
 * a scratch file), 0 if none, -1. */
int store_digest_pending(struct store *s, const char *digest, struct store_digest_run *r);
/* When the digest was last sent (0: never). 0 or -1. */
int store_digest_last_sent(struct store *s, const char *digest, int64_t *when);
/* Runs of a digest still pending (for status). -1 on error. */
int store_digest_pending_count(struct store *s, const char *digest);
int store_digest_mark_sent(struct store *s, int64_t run, int64_t when);
int store_digest_mark_failed(struct store *s, int64_t run, const char *error,
    int64_t next_attempt);

/*
 * Batching: the daemon opens a transaction when it first writes and commits
 * it once per loop iteration, so ten thousand polls do not cost ten
 * thousand commits. Both are no-ops when there is nothing to do; a failed
 * commit rolls back. 0 or -1.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_in_transaction(const struct store *s);

/* The last error, "cannot ...: reason", for messages. */
const char *store_error(const struct store *s);

#endif
