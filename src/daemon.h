/*
 * daemon: `feedmill run`. One libev loop carries everything: a timer per
 * source, the fetcher's sockets, signals, and the commit of each loop
 * iteration's writes. This module glues the stages together: schedule
 * (sched.h) -> fetch (fetch.h) -> parse (parse.h) -> store (store.h), and
 * logs one key=value line per event.
 *
 * Signals, all handled on the loop: SIGHUP re-reads the configuration
 * (a broken file is refused and the running one kept); SIGTERM and SIGINT
 * abort transfers, commit and return; SIGUSR1 polls every source now.
 */
#ifndef FEEDMILL_DAEMON_H
#define FEEDMILL_DAEMON_H

#include <stdint.h>

struct daemon_options {
	const char	*config_path;
	/* poll every source once (honouring a server's Retry-After), then
	 * return, instead of running until a signal */
	int		 once;
	/* seconds added to the wall clock: lets tests see the schedule of a
	 * later day without waiting for it (FEEDMILL_TIME_OFFSET) */
	int64_t		 clock_offset;
};

/* Run; the process exit status: 0 after a clean stop, 1 if the
 * configuration or the database could not be used. */
int daemon_run(const struct daemon_options *o);

/* The User-Agent header: feedmill, its version and the project's URL. */
const char *daemon_user_agent(void);

#endif
