/*
 * sched: when each source is polled, and which transfer may start next.
 *
 * Two halves, both free of clocks and sockets so that tests drive them with
 * made-up times: the timing policy (interval with jitter, exponential
 * backoff, Retry-After, resuming after a restart), and the run queue that
 * enforces the per-host and global caps on concurrent transfers. The daemon
 * owns the timers and calls in here.
 */
#ifndef FEEDMILL_SCHED_H
#define FEEDMILL_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

/* Every delay is spread by up to this share either way, so sources do
 * not fire together. */
#define SCHED_JITTER_PERCENT	10
/* Backoff doubles the interval per consecutive failure up to this. */
#define SCHED_MAX_BACKOFF	(24 * 60 * 60)
/* A server's Retry-After is honoured up to this; a hostile "come back in
 * ten years" must not retire a source by the back door. */
#define SCHED_MAX_RETRY_AFTER	(24 * 60 * 60)
/* No delay is longer than a year (the longest interval allowed). */
#define SCHED_MAX_DELAY		(366LL * 24 * 60 * 60)
/* Sources overdue at start are spread over at most this many seconds. */
#define SCHED_RESUME_SPREAD	10

/*
 * seconds spread by ±SCHED_JITTER_PERCENT; u in [0, 1) comes from the
 * caller's random source (0.5 gives seconds unchanged). Never below 1.
 */
int64_t sched_jitter(int64_t seconds, double u);

/*
 * The delay before the next poll of a source with this interval, after a
 * poll that left it with `failures` consecutive failures (0: it succeeded)
 * and a server that asked to wait retry_after seconds (0: it did not).
 * Success: the interval, jittered by u. Failure: interval × 2^failures,
 * jittered, at most SCHED_MAX_BACKOFF; never less than retry_after
 * (itself capped at SCHED_MAX_RETRY_AFTER).
 */
int64_t sched_delay(int64_t interval, int failures, int64_t retry_after, double u);

/*
 * After a start, the delay before a known source's first poll: what is left
 * of its stored schedule, or, when that passed while the daemon was down,
 * a share (by u) of SCHED_RESUME_SPREAD seconds or a tenth of the interval,
 * whichever is smaller. A source never polled (next_poll 0) goes at once.
 */
int64_t sched_resume_delay(int64_t now, int64_t next_poll, int64_t interval, double u);

/* ---- the run queue ---- */

struct sched_item;

struct sched_host {
	char			*name;	/* lower-cased host name, "" for file: */
	int			 active;
	int			 refs;	/* items pointing here; freed at 0 */
	int			 ready;	/* on the ready list */
	TAILQ_HEAD(, sched_item) waiting;
	TAILQ_ENTRY(sched_host)	 ready_link;
};

/* Embedded in whatever is scheduled (a source); owner points back to it. */
struct sched_item {
	struct sched_host	*host;	/* set with sched_item_set_host */
	int			 queued;
	int			 active;
	void			*owner;
	TAILQ_ENTRY(sched_item)	 link;
};

struct sched {
	struct sched_host	**hosts;	/* sorted by name */
	size_t			  nhosts;
	size_t			  hosts_alloc;
	TAILQ_HEAD(, sched_host)  ready;	/* hosts with work and room */
	int			  per_host;
	int			  max_active;
	int			  active;
	size_t			  waiting;
};

void sched_init(struct sched *s, int per_host, int max_active);
/* Change the caps; transfers already running are not touched. */
void sched_set_limits(struct sched *s, int per_host, int max_active);
void sched_release(struct sched *s);

/* Point an item (not queued, not active) at the host of url. */
void sched_item_set_host(struct sched *s, struct sched_item *it, const char *url);
/* Take an item out before it is freed: dequeued, host released. It must
 * not be active. */
void sched_item_clear(struct sched *s, struct sched_item *it);
/* Queue an item to run; nothing if it is already queued or active. */
void sched_enqueue(struct sched *s, struct sched_item *it);
/* Take an item off the queue (its source went away). */
void sched_dequeue(struct sched *s, struct sched_item *it);
/*
 * The next item that may start within the caps, marked active, or NULL.
 * Hosts take turns, so one host with a thousand feeds does not keep the
 * others waiting.
 */
struct sched_item *sched_next(struct sched *s);
/* An active item's transfer ended. */
void sched_done(struct sched *s, struct sched_item *it);

#endif
