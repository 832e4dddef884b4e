#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <ev.h>

#include "fetch.h"
#include "log.h"
#include "xmalloc.h"

/* What CURLINFO_PRIVATE points at: both start with their kind. */
enum transfer_kind { KIND_FETCH = 1, KIND_JOB };

/* A transfer set up elsewhere (mail), run on the same multi handle. */
struct fetch_job {
	enum transfer_kind	 kind;
	struct fetcher		*fr;
	CURL			*easy;
	fetch_job_fn		 done;
	void			*arg;
	char			 errbuf[CURL_ERROR_SIZE];
	LIST_ENTRY(fetch_job)	 link;
};

struct fetcher {
	struct ev_loop		*loop;
	CURLM			*multi;
	ev_timer		 timer;	/* libcurl's own timeouts */
	char			*user_agent;
	int			 running;
	LIST_HEAD(, fetch)	 fetches;
	LIST_HEAD(, fetch_job)	 jobs;
};

struct fetch {
	enum transfer_kind	 kind;
	struct fetcher		*fr;
	CURL			*easy;
	struct curl_slist	*headers;
	fetch_body_fn		 on_body;
	fetch_done_fn		 on_done;
	void			*arg;
	size_t			 max_body;
	int64_t			 bytes;
	/* every redirect so far was 301 or 308 */
	int			 all_permanent;
	/* we stopped reading the body of a non-2xx answer: not an error */
	int			 skipped_body;
	const char		*abort_reason;
	char			 reason[128];
	char			 errbuf[CURL_ERROR_SIZE];
	LIST_ENTRY(fetch)	 link;
};

/* One per socket libcurl asks us to watch. */
struct fetch_sock {
	ev_io			 io;
	struct fetcher		*fr;
};

static void check_multi_info(struct fetcher *fr);

static void
socket_action(struct fetcher *fr, curl_socket_t fd, int action)
{
	int running;
	CURLMcode rc = curl_multi_socket_action(fr->multi, fd, action, &running);

	if (rc != CURLM_OK)
		log_warnx("event=fetch-error error=\"curl_multi_socket_action: %s\"",
		    curl_multi_strerror(rc));
	check_multi_info(fr);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fetch_sock *fs = w->data;
	int action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
	    (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);

	(void)loop;
	socket_action(fs->fr, w->fd, action);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	socket_action(w->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION: watch a socket for what libcurl wants. */
static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct fetcher *fr = userp;
	struct fetch_sock *fs = sockp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (fs != NULL) {
			ev_io_stop(fr->loop, &fs->io);
			free(fs);
		}
		return 0;
	}
	if (fs == NULL) {
		fs = xcalloc(1, sizeof(*fs));
		fs->fr = fr;
		curl_multi_assign(fr->multi, fd, fs);
	} else
		ev_io_stop(fr->loop, &fs->io);
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_init(&fs->io, io_cb, fd, events);
	fs->io.data = fs;
	ev_io_start(fr->loop, &fs->io);
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION. libcurl must not be re-entered from here, so a
 * zero timeout becomes a timer that fires on the next loop iteration.
 */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetcher *fr = userp;

	(void)multi;
	ev_timer_stop(fr->loop, &fr->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&fr->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(fr->loop, &fr->timer);
	}
	return 0;
}

struct fetcher *
fetcher_new(struct ev_loop *loop, const char *user_agent)
{
	struct fetcher *fr = xcalloc(1, sizeof(*fr));

	fr->loop = loop;
	fr->user_agent = xstrdup(user_agent);
	LIST_INIT(&fr->fetches);
	LIST_INIT(&fr->jobs);
	if ((fr->multi = curl_multi_init()) == NULL)
		fatalx("cannot create a libcurl multi handle");
	curl_multi_setopt(fr->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(fr->multi, CURLMOPT_SOCKETDATA, fr);
	curl_multi_setopt(fr->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(fr->multi, CURLMOPT_TIMERDATA, fr);
	ev_timer_init(&fr->timer, timer_cb, 0., 0.);
	fr->timer.data = fr;
	return fr;
}

static void
fetch_free(struct fetch *f)
{
	LIST_REMOVE(f, link);
	curl_multi_remove_handle(f->fr->multi, f->easy);
	curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	f->fr->running--;
	free(f);
}

static void
job_free(struct fetch_job *j)
{
	LIST_REMOVE(j, link);
	curl_multi_remove_handle(j->fr->multi, j->easy);
	curl_easy_cleanup(j->easy);
	free(j);
}

int
fetcher_add_job(struct fetcher *fr, CURL *easy, fetch_job_fn done, void *arg)
{
	struct fetch_job *j = xcalloc(1, sizeof(*j));

	j->kind = KIND_JOB;
	j->fr = fr;
	j->easy = easy;
	j->done = done;
	j->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	if (curl_multi_add_handle(fr->multi, easy) != CURLM_OK) {
		free(j);
		return -1;
	}
	LIST_INSERT_HEAD(&fr->jobs, j, link);
	return 0;
}

void
fetcher_free(struct fetcher *fr)
{
	if (fr == NULL)
		return;
	while (!LIST_EMPTY(&fr->fetches))
		fetch_free(LIST_FIRST(&fr->fetches));
	while (!LIST_EMPTY(&fr->jobs))
		job_free(LIST_FIRST(&fr->jobs));
	ev_timer_stop(fr->loop, &fr->timer);
	curl_multi_cleanup(fr->multi);
	free(fr->user_agent);
	free(fr);
}

struct ev_loop *
fetcher_loop(const struct fetcher *fr)
{
	return fr->loop;
}

int
fetcher_running(const struct fetcher *fr)
{
	return fr->running;
}

static long
response_code(CURL *easy)
{
	long code = 0;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/*
 * Called for every header line of every response on the way, redirects
 * included; libcurl has already parsed the status line of the response
 * the line belongs to, so its code tells what kind of hop this is.
 */
static size_t
header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	long code = response_code(f->easy);

	(void)buf;
	if (code >= 300 && code < 400 && code != 301 && code != 308 && code != 304)
		f->all_permanent = 0;
	return size * n;
}

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;
	long code = response_code(f->easy);

	/* An error page is not worth reading: its status says it all. code 0
	 * is a file: URL, which has no status. */
	if (code != 0 && (code < 200 || code > 299)) {
		f->skipped_body = 1;
		return 0;
	}
	if ((size_t)f->bytes + len > f->max_body) {
		snprintf(f->reason, sizeof(f->reason),
		    "body larger than the limit of %zu bytes", f->max_body);
		f->abort_reason = f->reason;
		return 0;
	}
	f->bytes += (int64_t)len;
	if ((f->abort_reason = f->on_body(f->arg, data, len)) != NULL)
		return 0;
	return len;
}

/* A validator goes back exactly as received, unless it could break the
 * request: then it is not sent at all. */
static int
header_safe(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

static void
add_header(struct fetch *f, const char *name, const char *value)
{
	char *line;
	struct curl_slist *l;

	if (value == NULL || *value == '\0' || !header_safe(value))
		return;
	line = xasprintf("%s: %s", name, value);
	if ((l = curl_slist_append(f->headers, line)) == NULL)
		fatalx("out of memory");
	f->headers = l;
	free(line);
}

struct fetch *
fetch_start(struct fetcher *fr, const struct fetch_options *o,
    fetch_body_fn on_body, fetch_done_fn on_done, void *arg)
{
	struct fetch *f = xcalloc(1, sizeof(*f));
	CURL *e;
	long low_speed_time = FETCH_LOW_SPEED_SECONDS;
	CURLcode rc = CURLE_OK;
	CURLMcode mrc;
	char v[LOG_VALUE_MAX];

	f->kind = KIND_FETCH;
	if ((e = f->easy = curl_easy_init()) == NULL)
		fatalx("cannot create a libcurl handle");
	f->fr = fr;
	f->on_body = on_body;
	f->on_done = on_done;
	f->arg = arg;
	f->max_body = o->max_body;
	f->all_permanent = 1;
	if (o->timeout / 3 < low_speed_time)
		low_speed_time = o->timeout / 3 > 0 ? o->timeout / 3 : 1;
	add_header(f, "If-None-Match", o->etag);
	add_header(f, "If-Modified-Since", o->last_modified);

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PRIVATE, f);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, fr->user_agent);
	SET(CURLOPT_HTTPHEADER, f->headers);
	SET(CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	SET(CURLOPT_TIMEOUT, o->timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)FETCH_LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, low_speed_time);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, f);
#undef SET
	if (rc != CURLE_OK) {
		log_warnx("event=fetch-error url=%s error=\"cannot set up the transfer: %s\"",
		    log_value(v, sizeof(v), o->url), curl_easy_strerror(rc));
		curl_easy_cleanup(e);
		curl_slist_free_all(f->headers);
		free(f);
		return NULL;
	}
	if ((mrc = curl_multi_add_handle(fr->multi, e)) != CURLM_OK) {
		log_warnx("event=fetch-error url=%s error=\"cannot start the transfer: %s\"",
		    log_value(v, sizeof(v), o->url), curl_multi_strerror(mrc));
		curl_easy_cleanup(e);
		curl_slist_free_all(f->headers);
		free(f);
		return NULL;
	}
	LIST_INSERT_HEAD(&fr->fetches, f, link);
	fr->running++;
	return f;
}

const char *
fetch_url(struct fetch *f)
{
	char *url = NULL;

	curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &url);
	return url;
}

void
fetch_cancel(struct fetch *f)
{
	if (f != NULL)
		fetch_free(f);
}

static const char *
header_value(CURL *easy, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

static enum fetch_error_kind
error_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return FETCH_ERROR_DNS;
	case CURLE_COULDNT_CONNECT:
		return FETCH_ERROR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_ERROR_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return FETCH_ERROR_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return FETCH_ERROR_TOO_LARGE;
	default:
		return FETCH_ERROR_OTHER;
	}
}

static void
finish(struct fetch *f, CURLcode rc)
{
	struct fetch_result r;
	char *url = NULL;
	long redirects = 0;
	curl_off_t retry_after = 0, total_us = 0;

	memset(&r, 0, sizeof(r));
	r.status = (int)response_code(f->easy);
	curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &url);
	curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(f->easy, CURLINFO_RETRY_AFTER, &retry_after);
	curl_easy_getinfo(f->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	r.effective_url = url;
	r.redirects = (int)redirects;
	r.retry_after = retry_after;
	r.bytes = f->bytes;
	r.duration_ms = total_us / 1000;
	if (redirects > 0 && f->all_permanent)
		r.moved_to = url;
	if (rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(f->reason, sizeof(f->reason),
		    "body larger than the limit of %zu bytes", f->max_body);
		r.error = f->reason;
		r.error_kind = FETCH_ERROR_TOO_LARGE;
	} else if (rc == CURLE_WRITE_ERROR && f->skipped_body && f->abort_reason == NULL)
		r.error = NULL;
	else if (rc != CURLE_OK) {
		r.error = f->abort_reason ? f->abort_reason :
		    f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc);
		r.error_kind = f->abort_reason == f->reason ? FETCH_ERROR_TOO_LARGE :
		    f->abort_reason ? FETCH_ERROR_ABORTED : error_kind(rc);
	}
	if (r.status >= 200 && r.status < 400) {
		r.etag = header_value(f->easy, "ETag");
		r.last_modified = header_value(f->easy, "Last-Modified");
	}
	f->on_done(f->arg, &r);
	fetch_free(f);
}

static void
check_multi_info(struct fetcher *fr)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(fr->multi, &left)) != NULL) {
		struct fetch *f = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		if (f != NULL && f->kind == KIND_JOB) {
			struct fetch_job *j = (struct fetch_job *)(void *)f;
			CURLcode rc = msg->data.result;
			char err[CURL_ERROR_SIZE + 64];

			snprintf(err, sizeof(err), "%s", j->errbuf[0] ? j->errbuf :
			    curl_easy_strerror(rc));
			/* freed first: the callback may start another job */
			{
				fetch_job_fn done = j->done;
				void *arg = j->arg;

				job_free(j);
				done(arg, rc, rc == CURLE_OK ? NULL : err);
			}
		} else if (f != NULL)
			finish(f, msg->data.result);
	}
}
