/*
 * httpd: the built-in HTTP server for the published files, on the
 * daemon's libev loop (libmicrohttpd in its external epoll mode: one ev_io
 * on MHD's epoll descriptor and one ev_timer for its timeouts; sockets are
 * non-blocking, so a slow client never stalls the loop).
 *
 * GET and HEAD for the published set only: /, /index.html, /feeds.opml,
 * /all.atom, /fields/<slug>.atom, /sources/<name>.atom,
 * /archive/<feed>/<k>.atom, /healthz (JSON; 503 when no poll has
 * succeeded lately) and /metrics (Prometheus text). Paths are checked against that shape before any file
 * is opened: nothing outside output_dir, no dot files, no database. ETag and
 * Last-Modified with 304 for If-None-Match / If-Modified-Since; gzip when
 * the client accepts it (compressed once per file version, cached).
 * Limits on connections (in all and per address), request header bytes and
 * idle time.
 */
#ifndef FEEDMILL_HTTPD_H
#define FEEDMILL_HTTPD_H

#include <stddef.h>

#include <ev.h>

#define HTTPD_MAX_CONNECTIONS	256
#define HTTPD_MAX_PER_ADDRESS	32
#define HTTPD_IDLE_SECONDS	30
#define HTTPD_MEMORY_PER_CONNECTION (32 * 1024)	/* caps request headers */
#define HTTPD_MAX_PATH		512
#define HTTPD_GZIP_CACHE_BYTES	(64u * 1024 * 1024)

struct httpd;

/* /healthz asks the daemon: a malloc'd JSON object, and whether all is
 * well (200) or not (503). */
typedef char *httpd_health_fn(void *arg, int *ok);
/* /metrics asks it for a malloc'd text (of metrics_type). */
typedef char *httpd_text_fn(void *arg);

/* What the server asks the daemon for; NULL hooks answer 404 ({} for
 * /healthz). */
struct httpd_hooks {
	httpd_health_fn	*health;
	httpd_text_fn	*metrics;
	const char	*metrics_type;
	void		*arg;
};

/*
 * Serve output_dir on listen ("HOST:PORT"; an IPv6 host in brackets), or
 * on the socket systemd passed (LISTEN_FDS) when there is one. Returns the
 * server, or NULL with *err (malloc'd).
 */
struct httpd *httpd_start(struct ev_loop *loop, const char *listen,
    const char *output_dir, const struct httpd_hooks *hooks, char **err);
void httpd_stop(struct httpd *h);

#endif
