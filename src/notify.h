/*
 * notify: what the service manager is told, through libsystemd's
 * sd_notify(3): ready, reloading, stopping, a one-line status, and
 * watchdog pings. Every call is a no-op when NOTIFY_SOCKET is unset (the
 * daemon run by hand, or by another supervisor), so nothing else needs to
 * know whether systemd is there.
 */
#ifndef FEEDMILL_NOTIFY_H
#define FEEDMILL_NOTIFY_H

#include <ev.h>

/* READY=1 with a first status line: configuration and database are in,
 * the daemon serves. Also ends a reload. */
void notify_ready(const char *status);
/* RELOADING=1 (with MONOTONIC_USEC, as systemd 253's Type=notify-reload
 * wants): SIGHUP is being handled. notify_ready() says it is done. */
void notify_reloading(void);
void notify_stopping(void);
/* STATUS=, as systemctl status shows it. */
void notify_status(const char *status);

/*
 * Ping the watchdog (WATCHDOG=1) from a libev timer at half the interval
 * the manager asked for (WATCHDOG_USEC), so a loop that hangs stops the
 * pings and systemd restarts the daemon. Returns 1 if the watchdog is on.
 */
int notify_watchdog_start(struct ev_loop *loop, ev_timer *w);
void notify_watchdog_stop(struct ev_loop *loop, ev_timer *w);

#endif
