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
#include <sys/queue.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>
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
static int sendmail_spawn(const struct conf *c, const struct conf_list *to, pid_t *pid,
    int *in, char **err);
static char *sendmail_outcome(const char *program, int status, int complete);
static int pipe_start(struct ev_loop *loop, const struct conf *c, const struct conf_list *to,
    int fd, size_t len, mail_done_fn *done, void *arg, char **err);

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

/* ---- the sendmail program, from the loop ---- */

/*
 * The daemon must not wait for the program: a sendmail that delivers
 * before it exits (msmtp, nullmailer) may take as long as the network.
 * The program is started with posix_spawn (which reports a failed exec),
 * the message is written to its stdin as the pipe takes it (an ev_io on
 * the non-blocking write end) and its exit is an ev_child.
 */
struct pipe_job {
	struct ev_loop	*loop;
	ev_io		 io;
	ev_child	 child;
	char		*program;
	int		 msg_fd;	/* the job's own duplicate */
	size_t		 len;		/* message bytes */
	size_t		 off;		/* read so far */
	char		 buf[16384];	/* read, CRs dropped, not yet written */
	size_t		 blen, bpos;
	int		 pipe_fd;	/* -1 once closed */
	int		 exited, status;
	mail_done_fn	*done;
	void		*arg;
	LIST_ENTRY(pipe_job) link;
};

static LIST_HEAD(, pipe_job) pipe_jobs = LIST_HEAD_INITIALIZER(pipe_jobs);

static void
pipe_job_free(struct pipe_job *j)
{
	LIST_REMOVE(j, link);
	ev_io_stop(j->loop, &j->io);
	ev_child_stop(j->loop, &j->child);
	if (j->pipe_fd != -1)
		close(j->pipe_fd);
	close(j->msg_fd);
	free(j->program);
	free(j);
}

/* Both ends are in: the pipe closed and the program gone. */
static void
pipe_finish(struct pipe_job *j)
{
	char *err = NULL;

	if (j->pipe_fd != -1 || !j->exited)
		return;
	err = sendmail_outcome(j->program, j->status, j->off == j->len && j->bpos == j->blen);
	j->done(j->arg, err);
	free(err);
	pipe_job_free(j);
}

static void
pipe_close(struct pipe_job *j)
{
	ev_io_stop(j->loop, &j->io);
	close(j->pipe_fd);
	j->pipe_fd = -1;
}

static void
pipe_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pipe_job *j = w->data;

	(void)loop;
	(void)revents;
	for (;;) {
		ssize_t n;

		if (j->bpos == j->blen) {
			char in[sizeof(j->buf)];
			ssize_t got = 0;

			if (j->off < j->len)
				got = pread(j->msg_fd, in, j->len - j->off < sizeof(in) ?
				    j->len - j->off : sizeof(in), (off_t)j->off);
			if (got <= 0) {
				/* all written (or the file failed: the short count
				 * tells); EOF lets the program finish */
				pipe_close(j);
				pipe_finish(j);
				return;
			}
			j->off += (size_t)got;
			j->blen = j->bpos = 0;
			for (ssize_t i = 0; i < got; i++)
				if (in[i] != '\r')
					j->buf[j->blen++] = in[i];
			continue;
		}
		n = write(j->pipe_fd, j->buf + j->bpos, j->blen - j->bpos);
		if (n > 0) {
			j->bpos += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;		/* the loop says when there is room */
		/* the program went away without reading it all */
		pipe_close(j);
		pipe_finish(j);
		return;
	}
}

static void
pipe_exited(struct ev_loop *loop, ev_child *w, int revents)
{
	struct pipe_job *j = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	j->exited = 1;
	j->status = w->rstatus;
	if (j->pipe_fd != -1) {
		/* gone before it read everything */
		pipe_close(j);
	}
	pipe_finish(j);
}

static int
pipe_start(struct ev_loop *loop, const struct conf *c, const struct conf_list *to, int fd,
    size_t len, mail_done_fn *done, void *arg, char **err)
{
	struct pipe_job *j;
	int in, msg_fd;
	pid_t pid;

	if ((msg_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		*err = xasprintf("cannot keep the message: %s", strerror(errno));
		return -1;
	}
	if (sendmail_spawn(c, to, &pid, &in, err) == -1) {
		close(msg_fd);
		return -1;
	}
	if (fcntl(in, F_SETFL, O_NONBLOCK) == -1) {
		/* killed before its input ends, it sends nothing */
		*err = xasprintf("cannot write to %s: %s", c->sendmail, strerror(errno));
		kill(-pid, SIGKILL);
		close(in);
		close(msg_fd);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	j = xcalloc(1, sizeof(*j));
	j->loop = loop;
	j->program = xstrdup(c->sendmail);
	j->msg_fd = msg_fd;
	j->len = len;
	j->pipe_fd = in;
	j->done = done;
	j->arg = arg;
	LIST_INSERT_HEAD(&pipe_jobs, j, link);
	ev_io_init(&j->io, pipe_writable, j->pipe_fd, EV_WRITE);
	j->io.data = j;
	ev_io_start(loop, &j->io);
	ev_child_init(&j->child, pipe_exited, pid, 0);
	j->child.data = j;
	ev_child_start(loop, &j->child);
	return 0;
}

void
mail_abort_all(void)
{
	while (!LIST_EMPTY(&pipe_jobs)) {
		struct pipe_job *j = LIST_FIRST(&pipe_jobs);

		/* killed before its input ends, the program sends nothing
		 * (closing first would hand it a truncated message); the run
		 * stays pending and goes out after the next start */
		if (!j->exited) {
			/* its group (made before its exec), and itself */
			kill(-j->child.pid, SIGKILL);
			kill(j->child.pid, SIGKILL);
			while (waitpid(j->child.pid, NULL, 0) == -1 && errno == EINTR)
				;
		}
		pipe_job_free(j);
	}
}

int
mail_send_start(struct fetcher *fr, const struct conf *c, const struct conf_list *to,
    int fd, size_t len, mail_done_fn *done, void *arg, char **err)
{
	struct smtp_job *j;
	CURL *h;

	*err = NULL;
	if (c->sendmail != NULL)
		return pipe_start(fetcher_loop(fr), c, to, fd, len, done, arg, err);
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
/*
 * Start the sendmail program (sendmail -i -f FROM -- TO...) with a pipe
 * on its stdin: *pid, and *in the pipe's write end. An exec that fails is
 * told apart from the program's own exit status: the child writes its
 * errno to a close-on-exec pipe, which a successful exec closes. Between
 * fork and exec the child makes only async-signal-safe calls.
 */
static int
sendmail_spawn(const struct conf *c, const struct conf_list *to, pid_t *pid, int *in,
    char **err)
{
	int in_pipe[2], exec_pipe[2], exec_errno = 0;
	char **argv = xcalloc(to->n + 6, sizeof(*argv));
	size_t n = 0;
	ssize_t r;

	argv[n++] = c->sendmail;
	argv[n++] = (char *)(uintptr_t)"-i";
	argv[n++] = (char *)(uintptr_t)"-f";
	argv[n++] = c->smtp_from;
	argv[n++] = (char *)(uintptr_t)"--";
	for (size_t i = 0; i < to->n; i++)
		argv[n++] = to->v[i];
	if (pipe2(in_pipe, O_CLOEXEC) == -1) {
		*err = xasprintf("cannot run %s: %s", c->sendmail, strerror(errno));
		free(argv);
		return -1;
	}
	if (pipe2(exec_pipe, O_CLOEXEC) == -1 || (*pid = fork()) == -1) {
		*err = xasprintf("cannot run %s: %s", c->sendmail, strerror(errno));
		close(in_pipe[0]);
		close(in_pipe[1]);
		free(argv);
		return -1;
	}
	if (*pid == 0) {
		struct sigaction sa;
		sigset_t none;
		int e;

		/* the daemon ignores SIGPIPE, and an ignored signal would stay
		 * ignored across exec */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* a group of its own: stopping it stops what it started too,
		 * and a Ctrl-C meant for the daemon does not reach it */
		setpgid(0, 0);
		if (dup2(in_pipe[0], 0) != -1)
			execv(c->sendmail, argv);
		e = errno;
		(void)!write(exec_pipe[1], &e, sizeof(e));
		_exit(127);
	}
	free(argv);
	close(in_pipe[0]);
	close(exec_pipe[1]);
	/* returns at once: at the exec (EOF) or its failure */
	while ((r = read(exec_pipe[0], &exec_errno, sizeof(exec_errno))) == -1 && errno == EINTR)
		;
	close(exec_pipe[0]);
	if (r == (ssize_t)sizeof(exec_errno)) {
		*err = xasprintf("cannot run %s: %s", c->sendmail, strerror(exec_errno));
		close(in_pipe[1]);
		while (waitpid(*pid, NULL, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	*in = in_pipe[1];
	return 0;
}

/* The program's end, in words: NULL when it took the message. */
static char *
sendmail_outcome(const char *program, int status, int complete)
{
	if (WIFSIGNALED(status))
		return xasprintf("%s was killed by signal %d", program, WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return xasprintf("%s failed (exit status %d)", program,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (!complete)	/* it exited 0 without reading it all: not delivered */
		return xasprintf("%s stopped reading before the end of the message", program);
	return NULL;
}

static int
send_sendmail(const struct conf *c, const struct conf_list *to, int fd, size_t len,
    char **err)
{
	int in, status = 0;
	pid_t pid;
	size_t off = 0;

	if (sendmail_spawn(c, to, &pid, &in, err) == -1)
		return -1;
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		char buf[16384], out[16384];
		ssize_t got;

		/* a chunk at a time, CRLF to LF (a CR alone is dropped too) */
		while (off < len && (got = pread(fd, buf, len - off < sizeof(buf) ?
		    len - off : sizeof(buf), (off_t)off)) > 0) {
			size_t o = 0;

			for (ssize_t i = 0; i < got; i++)
				if (buf[i] != '\r')
					out[o++] = buf[i];
			if (write_all(in, out, o) == -1)
				break;	/* the program stopped reading */
			off += (size_t)got;
		}
		signal(SIGPIPE, old);
	}
	close(in);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			*err = xasprintf("cannot wait for %s: %s", c->sendmail, strerror(errno));
			return -1;
		}
	}
	*err = sendmail_outcome(c->sendmail, status, off == len);
	return *err != NULL ? -1 : 0;
}

int
mail_send(const struct conf *c, const struct conf_list *to, int fd, size_t len, char **err)
{
	*err = NULL;
	if (c->sendmail != NULL)
		return send_sendmail(c, to, fd, len, err);
	return send_smtp(c, to, fd, len, err);
}
