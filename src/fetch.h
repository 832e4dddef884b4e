/*
 * fetch: HTTP(S) transfers on the daemon's libev loop through libcurl's
 * multi socket interface (the shape of curl's evhiperfifo.c example).
 *
 * One fetcher per loop holds the multi handle; each transfer is a
 * struct fetch. Body bytes of a successful response go to the caller as
 * they arrive (a feed is never held whole); when the transfer ends the
 * caller gets a fetch_result, once, on the loop. Conditional GET, compressed
 * transfer, timeouts, a low-speed abort, a body cap and at most
 * FETCH_MAX_REDIRECTS redirects are applied to every transfer.
 */
#ifndef FEEDMILL_FETCH_H
#define FEEDMILL_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <ev.h>

#define FETCH_MAX_REDIRECTS		5
#define FETCH_DEFAULT_CONNECT_TIMEOUT	10	/* seconds */
#define FETCH_DEFAULT_TIMEOUT		60	/* seconds, the whole transfer */
/* A transfer slower than this many bytes a second ... */
#define FETCH_LOW_SPEED_BYTES		64
/* ... for this long (or a third of the total timeout, if shorter) ends. */
#define FETCH_LOW_SPEED_SECONDS		20

struct fetcher;
struct fetch;

struct fetch_options {
	const char	*url;
	const char	*etag;		/* sent back as If-None-Match, or NULL */
	const char	*last_modified;	/* sent back as If-Modified-Since */
	size_t		 max_body;	/* decoded body bytes; over it aborts */
	long		 connect_timeout;
	long		 timeout;
};

/* Why a transfer failed, by kind (for metrics; error says it in words). */
enum fetch_error_kind {
	FETCH_ERROR_NONE,
	FETCH_ERROR_DNS,	/* the host name did not resolve */
	FETCH_ERROR_CONNECT,	/* no connection */
	FETCH_ERROR_TIMEOUT,	/* too slow: time limit or low-speed abort */
	FETCH_ERROR_TLS,	/* handshake or certificate */
	FETCH_ERROR_TOO_LARGE,	/* body over max_body */
	FETCH_ERROR_ABORTED,	/* the body callback stopped it */
	FETCH_ERROR_OTHER
};

/* What a transfer came to. Strings live until the done callback returns. */
struct fetch_result {
	int		 status;	/* final HTTP status; 0 if none arrived */
	const char	*error;		/* why it failed, NULL if a response came */
	enum fetch_error_kind error_kind;	/* FETCH_ERROR_NONE with error NULL */
	const char	*effective_url;	/* after redirects */
	/* The final URL when every redirect on the way was permanent
	 * (301/308), so the source may be updated; NULL otherwise. */
	const char	*moved_to;
	const char	*etag;		/* validators of the final response */
	const char	*last_modified;
	int64_t		 retry_after;	/* seconds the server asked to wait */
	int64_t		 bytes;		/* body bytes after decoding */
	int64_t		 duration_ms;
	int		 redirects;
};

/*
 * Body bytes of a 2xx response (or a file: URL). Return NULL to go on, or a
 * message to abort the transfer with; it becomes the result's error and
 * must stay valid until the done callback has run.
 */
typedef const char *(*fetch_body_fn)(void *arg, const char *data, size_t len);
typedef void (*fetch_done_fn)(void *arg, const struct fetch_result *r);

/* A fetcher on loop, sending user_agent with every request. */
struct fetcher *fetcher_new(struct ev_loop *loop, const char *user_agent);
/* Cancel whatever still runs (no callbacks) and free. */
void fetcher_free(struct fetcher *fr);
/* Transfers running now. */
int fetcher_running(const struct fetcher *fr);
/* The loop it runs on (for work that goes with its transfers, such as a
 * mail handed to a sendmail program). */
struct ev_loop *fetcher_loop(const struct fetcher *fr);

/*
 * Start a transfer. The callbacks run later, from the loop, never from
 * inside fetch_start. Returns NULL (with a logged reason) only if libcurl
 * refuses the options, which bad input does not cause.
 */
struct fetch *fetch_start(struct fetcher *fr, const struct fetch_options *o,
    fetch_body_fn on_body, fetch_done_fn on_done, void *arg);
/* The URL the transfer is at now, redirects followed so far: the base
 * for relative links in the body. */
const char *fetch_url(struct fetch *f);
/* Abort a transfer; its done callback is not called. */
void fetch_cancel(struct fetch *f);

/*
 * Run a transfer set up elsewhere (a mail) on the same multi handle: the
 * fetcher owns easy from now on and cleans it up. done runs from the loop
 * when it ends, with libcurl's result and a message when it failed; not
 * at all if the fetcher is freed first. 0 or -1.
 */
typedef void (*fetch_job_fn)(void *arg, CURLcode rc, const char *error);
int fetcher_add_job(struct fetcher *fr, CURL *easy, fetch_job_fn done, void *arg);

#endif
