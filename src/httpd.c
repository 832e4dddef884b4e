/*
 * httpd: the published files over HTTP, libmicrohttpd on libev (httpd.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>
#include <zlib.h>

#include "date.h"
#include "httpd.h"
#include "log.h"
#include "xmalloc.h"

#define GZIP_MAX_ENTRIES	512

/* A file's gzip form, for as long as the file stays the same. */
struct gz_entry {
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	unsigned char	*data;
	size_t		 len;
};

struct httpd {
	struct ev_loop		*loop;
	struct MHD_Daemon	*mhd;
	ev_io			 io;
	ev_timer		 timer;
	int			 root;		/* output_dir, opened */
	struct httpd_hooks	 hooks;
	struct gz_entry		 gz[GZIP_MAX_ENTRIES];
	size_t			 ngz;
	size_t			 gzbytes;
};

/* ---- the loop ---- */

static void
rearm(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(h->loop, &h->timer);
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		ev_timer_set(&h->timer, (double)ms / 1000., 0.);
		ev_timer_start(h->loop, &h->timer);
	}
}

static void
run(struct httpd *h)
{
	MHD_run(h->mhd);
	rearm(h);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	run(w->data);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run(w->data);
}

/* ---- which paths exist ---- */

static int
name_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* "fields/<slug>" or "sources/<name>" at s (len bytes). */
static int
feed_ok(const char *s, size_t len)
{
	if (len == 3 && strncmp(s, "all", 3) == 0)
		return 1;
	if (len > 7 && strncmp(s, "fields/", 7) == 0)
		return name_ok(s + 7, len - 7);
	if (len > 8 && strncmp(s, "sources/", 8) == 0)
		return name_ok(s + 8, len - 8);
	return 0;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * The published file a request path names, relative to output_dir, or
 * NULL: only the shapes publish.h writes, so no path leaves the set.
 */
static const char *
published_path(const char *url)
{
	size_t len;

	if (url[0] != '/')
		return NULL;
	url++;
	len = strlen(url);
	if (len == 0)
		return "index.html";
	if (len > HTTPD_MAX_PATH)
		return NULL;
	if (strcmp(url, "index.html") == 0 || strcmp(url, "feeds.opml") == 0)
		return url;
	if (!ends_with(url, len, ".atom"))
		return NULL;
	len -= 5;
	if (strncmp(url, "archive/", 8) == 0) {
		const char *slash = memrchr(url, '/', len);

		if (slash == NULL || slash < url + 8 || !feed_ok(url + 8, (size_t)(slash - url - 8)))
			return NULL;
		for (const char *p = slash + 1; p < url + len; p++)
			if (*p < '0' || *p > '9')
				return NULL;
		return slash + 1 < url + len ? url : NULL;
	}
	return feed_ok(url, len) ? url : NULL;
}

static const char *
content_type(const char *path)
{
	if (ends_with(path, strlen(path), ".atom"))
		return "application/atom+xml; charset=utf-8";
	if (ends_with(path, strlen(path), ".opml"))
		return "text/x-opml; charset=utf-8";
	return "text/html; charset=utf-8";
}

/* ---- responses ---- */

static enum MHD_Result
queue_text(struct MHD_Connection *c, unsigned status, const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text),
	    (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
http_date(time_t t, char *out, size_t sz)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, sz, "%s, %02d %s %d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Whether If-None-Match lists etag (or is "*"); weak forms match too. */
static int
etag_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag);

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' ||
		    p[n] == '\t'))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* Whether Accept-Encoding takes gzip (and not with q=0). */
static int
accepts_gzip(const char *header)
{
	const char *p;

	if (header == NULL)
		return 0;
	for (p = header; (p = strcasestr(p, "gzip")) != NULL; p += 4) {
		const char *q = p + 4;

		if ((p != header && p[-1] != ' ' && p[-1] != ',') ||
		    (*q != '\0' && *q != ',' && *q != ';' && *q != ' '))
			continue;
		q += strspn(q, " ");
		if (*q == ';') {
			q = strstr(q, "q=");
			if (q != NULL && strtod(q + 2, NULL) <= 0)
				return 0;
		}
		return 1;
	}
	return 0;
}

static struct gz_entry *
gz_find(struct httpd *h, const char *path, const struct stat *st)
{
	for (size_t i = 0; i < h->ngz; i++) {
		struct gz_entry *e = &h->gz[i];

		if (strcmp(e->path, path) == 0 && e->dev == st->st_dev && e->ino == st->st_ino &&
		    e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
		    e->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return e;
	}
	return NULL;
}

static void
gz_clear(struct httpd *h)
{
	for (size_t i = 0; i < h->ngz; i++) {
		free(h->gz[i].path);
		free(h->gz[i].data);
	}
	h->ngz = 0;
	h->gzbytes = 0;
}

/* The file's gzip form, compressed now if the cache has no current one. */
static struct gz_entry *
gz_get(struct httpd *h, const char *path, int fd, const struct stat *st)
{
	struct gz_entry *e = gz_find(h, path, st);
	unsigned char *raw;
	z_stream z;
	size_t got = 0;
	ssize_t r;

	if (e != NULL)
		return e;
	raw = xmalloc((size_t)st->st_size + 1);
	while (got < (size_t)st->st_size &&
	    (r = pread(fd, raw + got, (size_t)st->st_size - got, (off_t)got)) > 0)
		got += (size_t)r;
	if (got != (size_t)st->st_size) {
		free(raw);
		return NULL;
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(raw);
		return NULL;
	}
	{
		size_t cap = deflateBound(&z, (uLong)got);
		unsigned char *out = xmalloc(cap);

		z.next_in = raw;
		z.avail_in = (uInt)got;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
			deflateEnd(&z);
			free(raw);
			free(out);
			return NULL;
		}
		deflateEnd(&z);
		free(raw);
		/* the same file changed (or the cache is full): start afresh */
		for (size_t i = 0; i < h->ngz; i++)
			if (strcmp(h->gz[i].path, path) == 0) {
				h->gzbytes -= h->gz[i].len;
				free(h->gz[i].path);
				free(h->gz[i].data);
				h->gz[i] = h->gz[--h->ngz];
				break;
			}
		if (h->ngz == GZIP_MAX_ENTRIES || h->gzbytes + z.total_out > HTTPD_GZIP_CACHE_BYTES)
			gz_clear(h);
		e = &h->gz[h->ngz++];
		e->path = xstrdup(path);
		e->dev = st->st_dev;
		e->ino = st->st_ino;
		e->size = st->st_size;
		e->mtime = st->st_mtim;
		e->data = out;
		e->len = z.total_out;
		h->gzbytes += e->len;
	}
	return e;
}

static enum MHD_Result
serve_file(struct httpd *h, struct MHD_Connection *c, const char *path)
{
	struct MHD_Response *r;
	struct stat st;
	char etag[80], lastmod[64];
	const char *inm, *ims;
	int fd, gzip, not_modified = 0;
	enum MHD_Result ret;

	fd = openat(h->root, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		return queue_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
		    "not found\n");
	}
	gzip = accepts_gzip(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING));
	/* a version of the file: it is only ever replaced by rename */
	snprintf(etag, sizeof(etag), "\"%jx-%jx-%lx%s\"", (uintmax_t)st.st_size,
	    (uintmax_t)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec, gzip ? "-gz" : "");
	http_date(st.st_mtim.tv_sec, lastmod, sizeof(lastmod));
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (inm != NULL)
		not_modified = etag_matches(inm, etag);
	else if (ims != NULL) {
		int64_t since = date_parse(ims);

		not_modified = since != DATE_NONE && (int64_t)st.st_mtim.tv_sec <= since;
	}
	if (not_modified) {
		close(fd);
		r = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"", MHD_RESPMEM_PERSISTENT);
	} else if (gzip) {
		struct gz_entry *e = gz_get(h, path, fd, &st);

		close(fd);
		if (e == NULL)
			return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "text/plain; charset=utf-8", "cannot compress\n");
		r = MHD_create_response_from_buffer(e->len, e->data, MHD_RESPMEM_MUST_COPY);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	} else
		r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);	/* MHD closes fd */
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lastmod);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=60");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (!not_modified)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(path));
	if (strcmp(path, "index.html") == 0)
		MHD_add_response_header(r, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
	ret = MHD_queue_response(c, not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct httpd *h = cls;
	const char *path;

	(void)version;
	(void)upload;
	/* The first call comes with the headers alone. Answering then, before
	 * the request is complete, would make MHD close the connection; so
	 * answer on the next call (a request body, if any, is discarded). */
	if (*state == NULL) {
		*state = h;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
		    "only GET and HEAD\n");
	if (strcmp(url, "/healthz") == 0) {
		int ok = 0;
		char *json = h->hooks.health ? h->hooks.health(h->hooks.arg, &ok) : xstrdup("{}");
		enum MHD_Result ret = queue_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		    "application/json", json);

		free(json);
		return ret;
	}
	if (strcmp(url, "/metrics") == 0 && h->hooks.metrics != NULL) {
		char *text = h->hooks.metrics(h->hooks.arg);
		enum MHD_Result ret = queue_text(c, MHD_HTTP_OK, h->hooks.metrics_type, text);

		free(text);
		return ret;
	}
	if ((path = published_path(url)) == NULL)
		return queue_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
		    "not found\n");
	return serve_file(h, c, path);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own complaints (a client's bad request, mostly). */
static void
on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512], v[LOG_VALUE_MAX];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("event=http-error error=%s", log_value(v, sizeof(v), msg));
}

/* ---- starting ---- */

/* The first stream socket systemd passed (socket activation), or -1.
 * sd_listen_fds() checks LISTEN_PID, sets FD_CLOEXEC and unsets the
 * variables so no child inherits them. */
static int
passed_socket(void)
{
	int n = sd_listen_fds(1);

	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
			return fd;
	if (n > 0)
		log_warnx("event=http-socket note=\"systemd passed %d descriptor%s, no listening "
		    "stream socket among them\"", n, n == 1 ? "" : "s");
	return -1;
}

struct httpd *
httpd_start(struct ev_loop *loop, const char *listen, const char *output_dir,
    const struct httpd_hooks *hooks, char **err)
{
	struct httpd *h;
	struct addrinfo hints, *ai = NULL;
	const union MHD_DaemonInfo *info;
	char host[256], *colon;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int sock = passed_socket(), r;

	*err = NULL;
	if (sock == -1) {
		snprintf(host, sizeof(host), "%s", listen);
		if ((colon = strrchr(host, ':')) == NULL) {
			*err = xasprintf("listen '%s' is not HOST:PORT", listen);
			return NULL;
		}
		*colon = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		{
			char *name = host;

			if (name[0] == '[' && name[strlen(name) - 1] == ']') {
				name[strlen(name) - 1] = '\0';
				name++;
			}
			if ((r = getaddrinfo(name, colon + 1, &hints, &ai)) != 0) {
				*err = xasprintf("cannot resolve listen '%s': %s", listen,
				    gai_strerror(r));
				return NULL;
			}
		}
		if (ai->ai_family == AF_INET6)
			flags |= MHD_USE_IPv6;
	}
	h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->hooks = *hooks;
	if ((h->root = open(output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && mkdir(output_dir, 0755) == 0)
			h->root = open(output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->root == -1) {
			*err = xasprintf("cannot open '%s': %s", output_dir, strerror(errno));
			if (ai != NULL)
				freeaddrinfo(ai);
			free(h);
			return NULL;
		}
	}
	if (sock != -1)
		h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)sock,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONNECTIONS,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_PER_ADDRESS,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_IDLE_SECONDS,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_MEMORY_PER_CONNECTION,
		    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, h,
		    MHD_OPTION_END);
	else
		h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONNECTIONS,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_PER_ADDRESS,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_IDLE_SECONDS,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_MEMORY_PER_CONNECTION,
		    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, h,
		    MHD_OPTION_END);
	if (ai != NULL)
		freeaddrinfo(ai);
	if (h->mhd == NULL ||
	    (info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		*err = xasprintf("cannot listen on %s: %s", sock != -1 ? "the socket systemd "
		    "passed" : listen, errno ? strerror(errno) : "libmicrohttpd failed");
		if (h->mhd != NULL)
			MHD_stop_daemon(h->mhd);
		close(h->root);
		free(h);
		return NULL;
	}
	ev_io_init(&h->io, io_cb, info->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(loop, &h->io);
	ev_timer_init(&h->timer, timer_cb, 0., 0.);
	h->timer.data = h;
	rearm(h);
	return h;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	ev_io_stop(h->loop, &h->io);
	ev_timer_stop(h->loop, &h->timer);
	MHD_stop_daemon(h->mhd);
	gz_clear(h);
	close(h->root);
	free(h);
}
