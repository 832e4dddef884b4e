/*
 * notify: sd_notify(3) through libsystemd, rather than writing the
 * datagram protocol ourselves: it knows the socket's forms (abstract
 * names, vsock) and the watchdog's environment (WATCHDOG_PID).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

static void
send_state(const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0)
		log_debug("event=notify-failed error=\"sd_notify: %d\"", r);
}

void
notify_ready(const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	send_state(msg);
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	send_state(msg);
}

void
notify_stopping(void)
{
	send_state("STOPPING=1");
}

void
notify_status(const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	send_state(msg);
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	send_state("WATCHDOG=1");
}

int
notify_watchdog_start(struct ev_loop *loop, ev_timer *w)
{
	uint64_t usec = 0;

	/* > 0 only when WATCHDOG_USEC is set (for this process) */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	ev_timer_init(w, watchdog_cb, 0., (double)usec / 2e6);
	ev_timer_start(loop, w);
	log_info("event=watchdog interval=%.3fs", (double)usec / 1e6);
	return 1;
}

void
notify_watchdog_stop(struct ev_loop *loop, ev_timer *w)
{
	ev_timer_stop(loop, w);
}
