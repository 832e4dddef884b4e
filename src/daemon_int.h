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
#include "sched.h"

struct source;
struct store;
struct tagger;
struct fetcher;
struct httpd;
struct publisher;
struct digest_state;

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
	int			 once;
	int			 stopping;
	int			 status;
	int64_t			 clock_offset;
	uint64_t		 rng;
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

#endif
