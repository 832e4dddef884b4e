/*
 * digest: the daily mail of what is new (shared/DESIGN.md; feedmill.conf(5)
 * [digest NAME]).
 *
 * A run takes the releases first stored since the digest began that no
 * earlier run of it carried (so a missed week is one catch-up mail, and a
 * release is never in two runs of one digest), keeps those passing its
 * fields and sources filters, at most max_items, and groups them by field
 * in taxonomy order: a release with several fields appears once, under
 * its first, naming the others. The message is multipart/alternative:
 * text/plain wrapped at 72 with its links listed, and text/html with
 * inline styles, no scripts and no remote images, all feed text escaped;
 * both UTF-8, quoted-printable. Its Message-ID (the digest, the end of
 * its window and a random part) is stored with the message, so every try
 * of a run carries the same one, and no two runs share it.
 *
 * Sending is "compose, store as pending, send, mark sent": the outbox in
 * the store holds the message bytes, so a failure or a restart resends
 * exactly what was composed. The one window for a duplicate is between the
 * server's acceptance and the commit; the stable Message-ID lets
 * receivers drop the copy.
 */
#ifndef FEEDMILL_DIGEST_H
#define FEEDMILL_DIGEST_H

#include <stdint.h>

struct conf;
struct conf_digest;
struct store;
struct store_digest_run;
struct tagger;

#define DIGEST_FIRST_WINDOW	(24 * 60 * 60)	/* a new digest looks back a day */
#define DIGEST_WRAP		72

/*
 * Compose the run of digest d at time now into run (and the releases it
 * carries into *ids). 0; 1 when there is nothing to send (and send_empty
 * is off); -1 with *err.
 */
int digest_compose(struct store *s, struct tagger *t, const struct conf *c,
    const struct conf_digest *d, int64_t now, struct store_digest_run *run,
    int64_t **ids, size_t *n, char **err);

/* The first time after `after` that is `at` (minutes after midnight) on
 * the clocks of zone (NULL: the system's), summer time and all. */
int64_t digest_next_time(int64_t after, int at, const char *zone);

/* The local date of t in zone (NULL: the system's), "YYYY-MM-DD". */
void digest_local_date(int64_t t, const char *zone, char out[11]);

#endif
