/*
 * mail: composing and sending Internet messages (mail.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "conf.h"
#include "fetch.h"
#include "mail.h"
#include "xmalloc.h"

#define ENCODED_WORD_BYTES	45	/* UTF-8 bytes per encoded-word: 60 in base64 */
#define SMTP_TIMEOUT		120
#define MAX_PASSWORD		1024

/* ---- composing ---- */

/* A header value: control characters (CR and LF first) become spaces. */
static char *
clean_value(const char *v)
{
	char *c = xstrdup(v ? v : "");

	for (unsigned char *p = (unsigned char *)c; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

void
mail_header(struct buf *b, const char *name, const char *value)
{
	char *v = clean_value(value);
	size_t len = strlen(v), i = 0;

	buf_addstr(b, name);
	buf_addstr(b, ": ");
	if (is_ascii(v)) {
		buf_addstr(b, v);
		buf_addstr(b, "\r\n");
		free(v);
		return;
	}
	/* encoded-words of whole UTF-8 characters, one a folded line */
	while (i < len) {
		size_t n = len - i < ENCODED_WORD_BYTES ? len - i : ENCODED_WORD_BYTES;
		char b64[sodium_base64_ENCODED_LEN(ENCODED_WORD_BYTES,
		    sodium_base64_VARIANT_ORIGINAL)];

		while (i + n < len && ((unsigned char)v[i + n] & 0xc0) == 0x80)
			n--;		/* do not split a character */
		if (n == 0)
			n = 1;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)v + i, n,
		    sodium_base64_VARIANT_ORIGINAL);
		if (i > 0)
			buf_addstr(b, "\r\n ");
		buf_addstr(b, "=?UTF-8?B?");
		buf_addstr(b, b64);
		buf_addstr(b, "?=");
		i += n;
	}
	buf_addstr(b, "\r\n");
	free(v);
}

/* Bytes that quoted-printable keeps as they are (33-126 but '=', and
 * space and tab, which need a look at what follows). */
static int
qp_literal(unsigned char c)
{
	return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

void
mail_qp(struct buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	char out[4096];		/* buffered: one buf_add a chunk, not a byte */
	size_t col = 0, o = 0;
	const unsigned char *p = (const unsigned char *)text;

	while (*p != '\0') {
		char enc[4];
		size_t n;

		if (o + 80 > sizeof(out)) {
			buf_add(b, out, o);
			o = 0;
		}
		/* the common case: a run of bytes kept as they are, copied at
		 * once up to the soft line break (a space or tab ends the run
		 * where a line end may follow it; a dot where it would start a
		 * line) */
		if (qp_literal(*p) && !(*p == '.' && col == 0)) {
			size_t run = 0, room = col < 75 ? 75 - col : 0;

			while (run < room && qp_literal(p[run]) &&
			    !((p[run] == ' ' || p[run] == '\t') &&
			    (p[run + 1] == '\n' || p[run + 1] == '\0' || p[run + 1] == '\r')))
				run++;
			if (run > 0) {
				memcpy(out + o, p, run);
				o += run;
				col += run;
				p += run;
				continue;
			}
		}
		if (*p == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			p++;
			continue;
		}
		if (*p == '\r') {
			p++;
			continue;
		}
		/* a space or tab before a line end must be encoded */
		if ((*p == ' ' || *p == '\t') && (p[1] == '\n' || p[1] == '\0' ||
		    (p[1] == '\r' && p[2] == '\n'))) {
			enc[0] = '=';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			n = 3;
		} else if (qp_literal(*p)) {
			/* a leading dot is encoded too: some relays mangle it */
			if (*p == '.' && col == 0) {
				enc[0] = '=';
				enc[1] = hex['.' >> 4];
				enc[2] = hex['.' & 15];
				n = 3;
			} else {
				enc[0] = (char)*p;
				n = 1;
			}
		} else {
			enc[0] = '=';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			n = 3;
		}
		if (col + n > 75) {
			out[o++] = '=';		/* soft line break */
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
		}
		memcpy(out + o, enc, n);
		o += n;
		col += n;
		p++;
	}
	buf_add(b, out, o);
}

void
mail_date(int64_t t, char *out, size_t size)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(out, size, "%s, %d %s %d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Code points in s[0..n). */
static size_t
width_of(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

void
mail_wrap(struct buf *b, const char *text, const char *indent, int width)
{
	const char *p = text ? text : "";
	size_t col = 0, iw = width_of(indent, strlen(indent));

	while (*p != '\0') {
		size_t n, w;

		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t\r\n");
		w = width_of(p, n);
		if (col == 0) {
			buf_addstr(b, indent);
			col = iw;
		} else if (col + 1 + w > (size_t)width) {
			buf_addc(b, '\n');
			buf_addstr(b, indent);
			col = iw;
		} else {
			buf_addc(b, ' ');
			col++;
		}
		buf_add(b, p, n);
		col += w;
		p += n;
	}
	if (col > 0)
		buf_addc(b, '\n');
}

/* ---- sending ---- */

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_sendmail(const struct conf *c, const struct conf_list *to, int fd,
    size_t len, char **err);

/* The message being uploaded: len bytes of fd, read at off (pread, so
 * nothing else's file offset matters). */
struct upload {
	int		 fd;
	size_t		 len;
	size_t		 off;
};

static size_t
read_cb(char *out, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;
	ssize_t got;

	if (n > u->len - u->off)
		n = u->len - u->off;
	if (n == 0)
		return 0;
	if ((got = pread(u->fd, out, n, (off_t)u->off)) <= 0)
		return CURL_READFUNC_ABORT;	/* the file shrank, or an I/O error */
	u->off += (size_t)got;
	return (size_t)got;
}

static char *
read_password(const char *path, char **err)
{
	FILE *fp = fopen(path, "r");
	char buf[MAX_PASSWORD];
	size_t n;

	if (fp == NULL) {
		*err = xasprintf("cannot read password_file '%s': %s", path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';	/* the first line */
	return xstrdup(buf);
}

/* What an SMTP transfer needs until it ends. */
struct smtp_job {
	struct upload	 u;	/* u.fd is the job's own */
	struct curl_slist *rcpt;
	char		*from;
	char		*password;
	char		*url;
	mail_done_fn	*done;
	void		*arg;
};

static void
smtp_job_free(struct smtp_job *j)
{
	curl_slist_free_all(j->rcpt);
	free(j->from);
	free(j->url);
	if (j->u.fd != -1)
		close(j->u.fd);
	if (j->password != NULL) {
		sodium_memzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j);
}

/* An easy handle that sends j's message as c says. */
static CURL *
smtp_handle(const struct conf *c, const struct conf_list *to, struct smtp_job *j, char **err)
{
	CURL *h = curl_easy_init();

	if (h == NULL) {
		*err = xstrdup("cannot initialise libcurl");
		return NULL;
	}
	if (c->smtp_password_file != NULL &&
	    (j->password = read_password(c->smtp_password_file, err)) == NULL) {
		curl_easy_cleanup(h);
		return NULL;
	}
	j->from = xasprintf("<%s>", c->smtp_from);
	j->url = xstrdup(c->smtp_url);
	for (size_t i = 0; i < to->n; i++) {
		char *a = xasprintf("<%s>", to->v[i]);

		j->rcpt = curl_slist_append(j->rcpt, a);
		free(a);
	}
	curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, j->from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, j->rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &j->u);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->u.len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)SMTP_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (strncmp(c->smtp_url, "smtp://", 7) == 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(
		    c->smtp_starttls == CONF_STARTTLS_REQUIRED ? CURLUSESSL_ALL :
		    c->smtp_starttls == CONF_STARTTLS_NEVER ? CURLUSESSL_NONE : CURLUSESSL_TRY));
	if (c->smtp_username != NULL)
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_username);
	if (j->password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, j->password);
	/* FEEDMILL_SMTP_CAFILE: a test's own certificate authority */
	if (getenv("FEEDMILL_SMTP_CAFILE") != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, getenv("FEEDMILL_SMTP_CAFILE"));
	return h;
}

static int
send_smtp(const struct conf *c, const struct conf_list *to, int fd, size_t len, char **err)
{
	struct smtp_job *j = xcalloc(1, sizeof(*j));
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *h;

	j->u.fd = -1;	/* the caller's: not closed here */
	j->u.len = len;
	if ((h = smtp_handle(c, to, j, err)) == NULL) {
		smtp_job_free(j);
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	j->u.fd = fd;
	rc = curl_easy_perform(h);
	j->u.fd = -1;
	if (rc != CURLE_OK)
		*err = xasprintf("cannot send through %s: %s", c->smtp_url,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	smtp_job_free(j);
	return rc == CURLE_OK ? 0 : -1;
}

static void
smtp_done(void *arg, CURLcode rc, const char *error)
{
	struct smtp_job *j = arg;
	char *msg = rc == CURLE_OK ? NULL : xasprintf("cannot send through %s: %s", j->url, error);

	j->done(j->arg, msg);
	free(msg);
	smtp_job_free(j);
}

int
mail_send_start(struct fetcher *fr, const struct conf *c, const struct conf_list *to,
    int fd, size_t len, mail_done_fn *done, void *arg, char **err)
{
	struct smtp_job *j;
	CURL *h;

	*err = NULL;
	if (c->sendmail != NULL) {
		/* the local MTA takes a message at once */
		int r = send_sendmail(c, to, fd, len, err);

		done(arg, r == 0 ? NULL : *err);
		free(*err);
		*err = NULL;
		return 0;
	}
	j = xcalloc(1, sizeof(*j));
	if ((j->u.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		*err = xasprintf("cannot keep the message: %s", strerror(errno));
		free(j);
		return -1;
	}
	j->u.len = len;
	j->done = done;
	j->arg = arg;
	if ((h = smtp_handle(c, to, j, err)) == NULL) {
		smtp_job_free(j);
		return -1;
	}
	if (fetcher_add_job(fr, h, smtp_done, j) == -1) {
		*err = xstrdup("cannot start the transfer");
		curl_easy_cleanup(h);
		smtp_job_free(j);
		return -1;
	}
	return 0;
}

/* The local MTA: sendmail -i -f FROM -- TO..., the message on its stdin
 * with LF line ends, as sendmail expects. */
static int
send_sendmail(const struct conf *c, const struct conf_list *to, int fd, size_t len,
    char **err)
{
	int in_pipe[2], exec_pipe[2], status = 0, exec_errno = 0;
	pid_t pid;
	char **argv = xcalloc(to->n + 6, sizeof(*argv));
	size_t n = 0, off = 0;
	ssize_t r;

	argv[n++] = c->sendmail;
	argv[n++] = (char *)(uintptr_t)"-i";
	argv[n++] = (char *)(uintptr_t)"-f";
	argv[n++] = c->smtp_from;
	argv[n++] = (char *)(uintptr_t)"--";
	for (size_t i = 0; i < to->n; i++)
		argv[n++] = to->v[i];
	/* exec_pipe is closed by a successful exec (O_CLOEXEC); a failed one
	 * writes its errno there first, so "cannot run" is told apart from
	 * the program's own exit status */
	if (pipe2(in_pipe, O_CLOEXEC) == -1) {
		*err = xasprintf("cannot run %s: %s", c->sendmail, strerror(errno));
		free(argv);
		return -1;
	}
	if (pipe2(exec_pipe, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		*err = xasprintf("cannot run %s: %s", c->sendmail, strerror(errno));
		close(in_pipe[0]);
		close(in_pipe[1]);
		free(argv);
		return -1;
	}
	if (pid == 0) {
		int e;

		if (dup2(in_pipe[0], 0) != -1)
			execv(c->sendmail, argv);
		e = errno;
		(void)!write(exec_pipe[1], &e, sizeof(e));
		_exit(127);
	}
	free(argv);
	close(in_pipe[0]);
	close(exec_pipe[1]);
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		char in[16384], out[16384];
		ssize_t got;

		/* a chunk at a time, CRLF to LF (a CR alone is dropped too) */
		while (off < len && (got = pread(fd, in, len - off < sizeof(in) ?
		    len - off : sizeof(in), (off_t)off)) > 0) {
			size_t o = 0;

			for (ssize_t i = 0; i < got; i++)
				if (in[i] != '\r')
					out[o++] = in[i];
			if (write_all(in_pipe[1], out, o) == -1)
				break;	/* the program stopped reading */
			off += (size_t)got;
		}
		signal(SIGPIPE, old);
	}
	close(in_pipe[1]);
	while ((r = read(exec_pipe[0], &exec_errno, sizeof(exec_errno))) == -1 && errno == EINTR)
		;
	close(exec_pipe[0]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			*err = xasprintf("cannot wait for %s: %s", c->sendmail, strerror(errno));
			return -1;
		}
	}
	if (r == (ssize_t)sizeof(exec_errno)) {
		*err = xasprintf("cannot run %s: %s", c->sendmail, strerror(exec_errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		*err = xasprintf("%s was killed by signal %d", c->sendmail, WTERMSIG(status));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*err = xasprintf("%s failed (exit status %d)", c->sendmail,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	if (off < len) {
		/* it exited 0 without reading it all: not delivered */
		*err = xasprintf("%s stopped reading after %zu of %zu bytes", c->sendmail, off,
		    len);
		return -1;
	}
	return 0;
}

int
mail_send(const struct conf *c, const struct conf_list *to, int fd, size_t len, char **err)
{
	*err = NULL;
	if (c->sendmail != NULL)
		return send_sendmail(c, to, fd, len, err);
	return send_smtp(c, to, fd, len, err);
}
