/*
 * daemon_int.h: the daemon's state, shared by daemon.c (polling,
 * publishing, signals) and daemon_digest.c (digests on their schedule).
 * Not for other modules: daemon.h is the daemon's interface.
 */
#ifndef FEEDMILL_DAEMON_INT_H
#define FEEDMILL_DAEMON_INT_H

#include <stdint.h>
#include <sys/queue.h>

#include <ev.h>

#include "conf.h"
#include "dedup.h"
#include "sched.h"
#include "store.h"

struct store;
struct fetch;
struct parse;
struct tagger;
struct fetcher;
struct httpd;
struct publisher;
struct digest_state;
struct fetch_result;

/* How a poll ended, and why one failed, as /metrics counts them. */
enum poll_outcome { POLL_FETCHED, POLL_UNCHANGED, POLL_FAILED, POLL_OUTCOMES };
enum poll_error {
	POLL_ERROR_DNS, POLL_ERROR_CONNECT, POLL_ERROR_TIMEOUT, POLL_ERROR_TLS,
	POLL_ERROR_HTTP, POLL_ERROR_TOO_LARGE, POLL_ERROR_NOT_A_FEED, POLL_ERROR_OTHER,
	POLL_ERRORS
};

/* What the daemon counted since it started (daemon_metrics.c). */
struct daemon_counters {
	unsigned long	 polls[POLL_OUTCOMES];
	unsigned long	 errors[POLL_ERRORS];
	uint64_t	 bytes;		/* fetched, after decoding */
	unsigned long	 entries[DEDUP_ERROR + 1];	/* by dedup result */
	unsigned long	 repeats;	/* paragraphs dropped inside items */
	unsigned long	*tags;		/* per field of the taxonomy running */
	unsigned long	 digests_sent;
	unsigned long	 digest_failures;
	unsigned long	 publishes;
	unsigned long	 publish_failures;
	double		 publish_seconds;	/* all publishes, in all */
	double		 publish_last;		/* the last one */
};

struct daemon {
	struct ev_loop		*loop;
	struct conf		 conf;
	struct store		*store;
	struct tagger		*tagger;	/* the taxonomy, fields = */
	struct fetcher		*fetcher;
	struct httpd		*httpd;
	struct publisher	*publisher;	/* entries rendered, kept */		/* NULL: listen is empty, or --once */
	int64_t			 started;
	struct sched		 sched;
	struct source		**sources;	/* sorted by name */
	size_t			 nsources;
	/* removed by a reload, transfer still running: freed when it ends */
	LIST_HEAD(, source)	 orphans;
	ev_signal		 sighup, sigterm, sigint, sigusr1;
	ev_prepare		 commit;	/* end of each loop iteration */
	ev_timer		 prune;		/* retention, every PRUNE_EVERY */
	ev_timer		 publish;	/* PUBLISH_DELAY after a change */
	struct digest_state	**digests;	/* daemon_digest.c */
	size_t			 ndigests;
	int			 digests_started;
	size_t			 initial_polls;	/* overdue at start, not yet in */
	ev_timer		 digest_start;	/* DIGEST_START_WAIT at most */
	struct daemon_counters	 counters;
	ev_timer		 watchdog;	/* WATCHDOG=1, when systemd asks */
	ev_timer		 status_timer;	/* STATUS= for systemd, if changed */
	char			 status_sent[256];
	int			 notify;	/* NOTIFY_SOCKET is set */
	int			 once;
	int			 stopping;
	int			 status;
	int64_t			 clock_offset;
	uint64_t		 rng;
};

/* systemd's STATUS= line is refreshed this often (when it changed). */
#define STATUS_EVERY		10.0

/* Publishing waits this long after a change, so that a burst of polls
 * finishing together is published once. */
#define PUBLISH_DELAY		1.0
/* Digests start once the first round of polls is in (so a catch-up
 * digest carries what the sources have now), or after this long. */
#define DIGEST_START_WAIT	60.0

/* A configured source at run time. */
struct source {
	struct daemon		*d;
	char			*name;
	char			*configured_url;
	int64_t			 interval;
	struct conf_list	 fields;	/* imposed on what it delivers */
	struct store_source	 st;	/* mirror of its row */
	struct sched_item	 item;
	ev_timer		 timer;
	struct fetch		*fetch;
	struct parse		*parse;
	char			 body_error[256];
	struct dedup_counts	 counts;	/* of the poll running */
	double			 ingest_seconds;	/* spent on this poll's entries */
	/* set by a reload while a transfer runs; applied when it ends */
	int			 removed;
	int			 initial;	/* overdue at start: digests wait */
	char			*pending_url;
	int64_t			 pending_interval;
	LIST_ENTRY(source)	 orphan_link;	/* while removed and running */
};

/* The daemon's clock (FEEDMILL_TIME_OFFSET applies). */
int64_t daemon_now(const struct daemon *d);
/* Log the store's last error. */
void daemon_store_failed(struct daemon *d);

/* Digests (daemon_digest.c): put each configured digest on its schedule
 * (at start and after a reload: timers follow the new configuration), and
 * take them off (at the end). */
void daemon_digests_sync(struct daemon *d);
void daemon_digests_stop(struct daemon *d);
/* Start the digests' schedules once (after the first polls, or from the
 * DIGEST_START_WAIT timer, daemon_digests_start_cb). */
void daemon_digests_start(struct daemon *d);
void daemon_digests_start_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* Publishing and serving (daemon_publish.c): publish now; publish after
 * PUBLISH_DELAY (once for a burst); the timer's callback; /healthz. */
void daemon_publish(struct daemon *d);
void daemon_publish_soon(struct daemon *d);
void daemon_publish_cb(struct ev_loop *loop, ev_timer *w, int revents);
char *daemon_health(void *arg, int *ok);

/* Metrics and status (daemon_metrics.c): count a finished poll; the
 * /metrics text; the one-line status systemd shows, sent with READY=1
 * (ready: at start and after a reload) or alone if it changed; its timer;
 * the tag counters for a new taxonomy (kept by slug across a reload), and
 * freed at the end. */
void daemon_count_poll(struct daemon *d, const struct fetch_result *r,
    enum poll_outcome outcome, int not_a_feed);
char *daemon_metrics(void *arg);
void daemon_status(struct daemon *d, int ready);
void daemon_status_cb(struct ev_loop *loop, ev_timer *w, int revents);
void daemon_counters_retag(struct daemon *d, const struct tagger *old,
    const struct tagger *next);
void daemon_counters_release(struct daemon *d);

#endif
