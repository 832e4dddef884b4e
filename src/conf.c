#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "log.h"
#include "parse.h"
#include "xmalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* A physical line may be longer than inih reads; we read it whole first. */
#define READ_LINE_BYTES 8192
#define MAX_ERRORS 200
#define MAX_PER_HOST_LIMIT 64
#define MAX_TRANSFERS_LIMIT 1024
#define MIN_BODY_BYTES 1024
#define ZONEINFO_DIR "/usr/share/zoneinfo"

enum section_type { SECT_NONE, SECT_BAD, SECT_FEEDMILL, SECT_SOURCE, SECT_DIGEST, SECT_SMTP };

struct loader {
	struct conf		*c;
	struct conf_errors	*errs;
	int			 files;		/* read so far, includes too */
	/* the files being read, outermost first, to refuse include loops */
	struct { dev_t dev; ino_t ino; } open[CONF_MAX_INCLUDE_DEPTH + 1];
	/* Source indexes sorted by name, and the arrays' capacities: ten
	 * thousand sources must not cost a hundred million comparisons. */
	size_t			*by_name;
	size_t			 sources_alloc;
	size_t			 digests_alloc;
};

/* One file being read (includes nest: each has its own). */
struct conf_file {
	struct loader		*ld;
	const char		*path;
	FILE			*fp;
	int			 depth;
	int			 lineno;
	size_t			 bytes;
	int			 in_key;	/* the last line was a key: continuations ok */
	enum section_type	 section;
	size_t			 index;		/* of the source or digest */
	char			 line[READ_LINE_BYTES];
};

static void conf_error(struct loader *ld, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int load_file(struct loader *ld, const char *path, int depth,
    const char *from_file, int from_line);

static void
conf_error(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	struct conf_errors *e = ld->errs;

	if (e->n > MAX_ERRORS)
		return;
	if (e->n == MAX_ERRORS) {
		e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
		e->v[e->n++] = xasprintf("%s: more problems, not shown", file);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	if (line > 0)
		e->v[e->n++] = xasprintf("%s:%d: %s", file, line, msg);
	else
		e->v[e->n++] = xasprintf("%s: %s", file, msg);
}

#define FILE_ERROR(f, ...) conf_error((f)->ld, (f)->path, (f)->lineno, __VA_ARGS__)

/* ---- values ---- */

int
conf_parse_duration(const char *s, int64_t *seconds)
{
	int64_t total = 0;
	int parts = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (*s != '\0') {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			if (n > INT64_MAX / 10 - 10)
				return -1;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		if (n > (INT64_MAX - total) / unit)
			return -1;
		total += n * unit;
		parts++;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (parts == 0 || total == 0)
		return -1;
	*seconds = total;
	return 0;
}

int
conf_parse_size(const char *s, size_t *bytes)
{
	unsigned long long n = 0, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		if (n > ULLONG_MAX / 10 - 10)
			return -1;
		n = n * 10 + (unsigned)(*s++ - '0');
	}
	switch (*s) {
	case 'k': case 'K': mult = 1024; s++; break;
	case 'm': case 'M': mult = 1024 * 1024; s++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; s++; break;
	default: break;
	}
	if (*s == 'i' && s[1] == 'B')
		s += 2;
	else if (*s == 'B')
		s++;
	if (*s != '\0' || n > SIZE_MAX / mult)
		return -1;
	*bytes = (size_t)(n * mult);
	return 0;
}

static void
list_release(struct conf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* "a, b ,c" -> [a, b, c]; empty items dropped, repeats kept once. */
static void
list_parse(struct conf_list *l, const char *value)
{
	const char *p = value;

	list_release(l);
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;
		char *item;
		int dup = 0;

		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		p += len + (p[len] == ',');
		if (e == s)
			continue;
		item = xstrndup(s, (size_t)(e - s));
		for (size_t i = 0; i < l->n; i++)
			dup |= strcmp(l->v[i], item) == 0;
		if (dup) {
			free(item);
			continue;
		}
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = item;
	}
}

static void
set_string(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value);
}

static int
url_scheme_is(const char *url, const char *const *schemes)
{
	for (; *schemes != NULL; schemes++) {
		size_t n = strlen(*schemes);

		if (strncasecmp(url, *schemes, n) == 0 && url[n] != '\0')
			return 1;
	}
	return 0;
}

/* local@domain, nothing that could break a mail header */
static int
address_ok(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (; *a; a++)
		if ((unsigned char)*a <= ' ' || strchr("<>()[]\\,;:\"", *a))
			return 0;
	return 1;
}

static int
timezone_ok(const char *tz)
{
	char path[PATH_MAX];
	struct stat st;

	if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(tz))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- keys ---- */

static void
set_timeout(struct conf_file *f, int64_t *dst, const char *key, const char *v)
{
	int64_t secs;

	if (conf_parse_duration(v, &secs) == -1 || secs < 1 || secs > CONF_MAX_TIMEOUT)
		FILE_ERROR(f, "'%s' must be a duration from 1s to 10m, not '%s'", key, v);
	else
		*dst = secs;
}

static void
set_interval(struct conf_file *f, int64_t *dst, const char *key, const char *v)
{
	int64_t secs;

	if (conf_parse_duration(v, &secs) == -1)
		FILE_ERROR(f, "bad duration '%s' for '%s' (write 30s, 15m, 2h or 1d)",
		    v, key);
	else if (secs < CONF_MIN_INTERVAL)
		FILE_ERROR(f, "'%s' of %s is below the minimum of 1m", key, v);
	else if (secs > CONF_MAX_INTERVAL)
		FILE_ERROR(f, "'%s' of %s is above the maximum of 365d", key, v);
	else
		*dst = secs;
}

static int
set_int(struct conf_file *f, int *dst, const char *key, const char *v, int lo,
    int hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
		FILE_ERROR(f, "'%s' must be a whole number from %d to %d, not '%s'",
		    key, lo, hi, v);
		return -1;
	}
	*dst = (int)n;
	return 0;
}

static void
feedmill_key(struct conf_file *f, const char *key, const char *v)
{
	struct conf *c = f->ld->c;
	static const char *const web[] = { "http://", "https://", NULL };

	if (strcmp(key, "state_dir") == 0) {
		set_string(&c->state_dir, v);
	} else if (strcmp(key, "output_dir") == 0) {
		set_string(&c->output_dir, v);
	} else if (strcmp(key, "fields") == 0) {
		set_string(&c->fields_path, v);
	} else if (strcmp(key, "listen") == 0) {
		const char *colon = strrchr(v, ':');
		int port;

		if (v[0] != '\0' && (colon == NULL || colon == v ||
		    (v[0] == '[' && colon[-1] != ']'))) {
			FILE_ERROR(f, "'listen' must be HOST:PORT or empty, not '%s'", v);
			return;
		}
		if (v[0] != '\0' &&
		    set_int(f, &port, "listen port", colon + 1, 1, 65535) == -1)
			return;
		set_string(&c->listen, v);
	} else if (strcmp(key, "base_url") == 0) {
		if (!url_scheme_is(v, web)) {
			FILE_ERROR(f, "'base_url' must be an http:// or https:// URL, not '%s'", v);
			return;
		}
		free(c->base_url);
		/* ids and links are made by appending to it */
		c->base_url = v[strlen(v) - 1] == '/' ? xstrdup(v) : xasprintf("%s/", v);
	} else if (strcmp(key, "interval") == 0) {
		set_interval(f, &c->interval, key, v);
	} else if (strcmp(key, "max_body") == 0) {
		size_t n;

		if (conf_parse_size(v, &n) == -1 || n < MIN_BODY_BYTES ||
		    n > PARSE_MAX_DOC_BYTES)
			FILE_ERROR(f, "'max_body' must be a size from 1k to 64M, not '%s'", v);
		else
			c->max_body = n;
	} else if (strcmp(key, "max_per_host") == 0) {
		set_int(f, &c->max_per_host, key, v, 1, MAX_PER_HOST_LIMIT);
	} else if (strcmp(key, "max_transfers") == 0) {
		set_int(f, &c->max_transfers, key, v, 1, MAX_TRANSFERS_LIMIT);
	} else if (strcmp(key, "keep_days") == 0) {
		set_int(f, &c->keep_days, key, v, 0, CONF_MAX_KEEP_DAYS);
	} else if (strcmp(key, "max_entries") == 0) {
		set_int(f, &c->max_entries, key, v, CONF_MIN_ENTRIES, CONF_MAX_ENTRIES);
	} else if (strcmp(key, "update_overlap") == 0) {
		char *end;
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(d >= 0.5 && d <= 1.0))
			FILE_ERROR(f, "'update_overlap' must be a number from 0.5 to 1, not '%s'", v);
		else
			c->update_overlap = d;
	} else if (strcmp(key, "timeout") == 0) {
		set_timeout(f, &c->timeout, key, v);
	} else if (strcmp(key, "connect_timeout") == 0) {
		set_timeout(f, &c->connect_timeout, key, v);
	} else {
		FILE_ERROR(f, "unknown key '%s' in [feedmill]", key);
	}
}

static void
source_key(struct conf_file *f, const char *key, const char *v)
{
	struct conf_source *s = &f->ld->c->sources[f->index];
	static const char *const fetchable[] = { "http://", "https://", "file://", NULL };

	if (strcmp(key, "url") == 0) {
		if (!url_scheme_is(v, fetchable))
			FILE_ERROR(f, "source '%s': url must be http://, https:// or file://, not '%s'",
			    s->name, v);
		else
			set_string(&s->url, v);
	} else if (strcmp(key, "interval") == 0) {
		set_interval(f, &s->interval, key, v);
	} else if (strcmp(key, "fields") == 0) {
		list_parse(&s->fields, v);
	} else {
		FILE_ERROR(f, "unknown key '%s' in [source %s]", key, s->name);
	}
}

static void
digest_key(struct conf_file *f, const char *key, const char *v)
{
	struct conf_digest *d = &f->ld->c->digests[f->index];

	if (strcmp(key, "to") == 0) {
		list_parse(&d->to, v);
		for (size_t i = 0; i < d->to.n; i++)
			if (!address_ok(d->to.v[i]))
				FILE_ERROR(f, "digest '%s': '%s' is not a mail address",
				    d->name, d->to.v[i]);
	} else if (strcmp(key, "at") == 0) {
		int h, m;
		char end;

		if (sscanf(v, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 || h > 23 ||
		    m < 0 || m > 59 || strlen(v) != 5)
			FILE_ERROR(f, "digest '%s': 'at' must be a time HH:MM, not '%s'",
			    d->name, v);
		else
			d->at = h * 60 + m;
	} else if (strcmp(key, "timezone") == 0) {
		if (!timezone_ok(v))
			FILE_ERROR(f, "digest '%s': unknown time zone '%s' (an IANA name "
			    "such as Europe/Vienna)", d->name, v);
		else
			set_string(&d->timezone, v);
	} else if (strcmp(key, "fields") == 0) {
		list_parse(&d->fields, v);
	} else if (strcmp(key, "sources") == 0) {
		list_parse(&d->sources, v);
	} else if (strcmp(key, "subject") == 0) {
		if (*v == '\0' || strpbrk(v, "\r\n") != NULL)
			FILE_ERROR(f, "digest '%s': 'subject' must be one non-empty line", d->name);
		else
			set_string(&d->subject, v);
	} else if (strcmp(key, "max_items") == 0) {
		set_int(f, &d->max_items, key, v, 1, CONF_MAX_DIGEST_ITEMS);
	} else if (strcmp(key, "send_empty") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			d->send_empty = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			d->send_empty = 0;
		else
			FILE_ERROR(f, "digest '%s': 'send_empty' must be yes or no, not '%s'",
			    d->name, v);
	} else {
		FILE_ERROR(f, "unknown key '%s' in [digest %s]", key, d->name);
	}
}

static void
smtp_key(struct conf_file *f, const char *key, const char *v)
{
	struct conf *c = f->ld->c;
	static const char *const smtp[] = { "smtp://", "smtps://", NULL };

	if (strcmp(key, "url") == 0) {
		if (!url_scheme_is(v, smtp))
			FILE_ERROR(f, "[smtp] url must be smtp:// or smtps://, not '%s'", v);
		else
			set_string(&c->smtp_url, v);
	} else if (strcmp(key, "from") == 0) {
		if (!address_ok(v))
			FILE_ERROR(f, "[smtp] from: '%s' is not a mail address", v);
		else
			set_string(&c->smtp_from, v);
	} else if (strcmp(key, "username") == 0) {
		set_string(&c->smtp_username, v);
	} else if (strcmp(key, "password_file") == 0) {
		if (access(v, R_OK) == -1)
			FILE_ERROR(f, "[smtp] password_file '%s': %s", v, strerror(errno));
		else
			set_string(&c->smtp_password_file, v);
	} else if (strcmp(key, "starttls") == 0) {
		if (strcmp(v, "required") == 0)
			c->smtp_starttls = CONF_STARTTLS_REQUIRED;
		else if (strcmp(v, "optional") == 0)
			c->smtp_starttls = CONF_STARTTLS_OPTIONAL;
		else if (strcmp(v, "never") == 0)
			c->smtp_starttls = CONF_STARTTLS_NEVER;
		else
			FILE_ERROR(f, "[smtp] starttls must be required, optional or never, "
			    "not '%s'", v);
	} else if (strcmp(key, "sendmail") == 0) {
		if (v[0] != '/' || access(v, X_OK) == -1)
			FILE_ERROR(f, "[smtp] sendmail must be the absolute path of a "
			    "program, not '%s'", v);
		else
			set_string(&c->sendmail, v);
	} else {
		FILE_ERROR(f, "unknown key '%s' in [smtp]", key);
	}
}

/* ---- sections and includes ---- */

static int
name_ok(const char *name)
{
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(name);
}

/* Report a section name already used by an earlier one of its kind. */
static int
duplicate(struct conf_file *f, const char *kind, const char *name,
    const char *taken, const char *file, int line)
{
	if (strcmp(name, taken) != 0)
		return 0;
	FILE_ERROR(f, "duplicate %s '%s' (first at %s:%d)", kind, name, file, line);
	return 1;
}

/* A "[...]" line: what follows belongs to this section. */
static void
begin_section(struct conf_file *f, const char *header)
{
	struct conf *c = f->ld->c;
	char kind[32];
	const char *name;
	size_t klen = strcspn(header, " \t");

	name = header + klen;
	while (*name == ' ' || *name == '\t')
		name++;
	snprintf(kind, sizeof(kind), "%.*s", (int)(klen < 31 ? klen : 31), header);
	f->section = SECT_BAD;
	if (strcmp(kind, "feedmill") == 0 && *name == '\0') {
		f->section = SECT_FEEDMILL;
	} else if (strcmp(kind, "smtp") == 0 && *name == '\0') {
		f->section = SECT_SMTP;
	} else if (strcmp(kind, "source") == 0 || strcmp(kind, "digest") == 0) {
		int source = kind[0] == 's';

		if (!name_ok(name)) {
			FILE_ERROR(f, "%s name '%s' must be lowercase letters, digits, "
			    "'.', '_' or '-' (it names files and URLs)", kind, name);
			return;
		}
		if (source) {
			struct loader *ld = f->ld;
			size_t lo = 0, hi = c->nsources;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				const struct conf_source *o = &c->sources[ld->by_name[mid]];
				int cmp = strcmp(name, o->name);

				if (cmp == 0) {
					duplicate(f, kind, name, o->name, o->file, o->line);
					return;
				}
				if (cmp < 0)
					hi = mid;
				else
					lo = mid + 1;
			}
			if (c->nsources == ld->sources_alloc) {
				ld->sources_alloc = ld->sources_alloc ? ld->sources_alloc * 2 : 16;
				c->sources = xrealloc(c->sources, ld->sources_alloc * sizeof(*c->sources));
				ld->by_name = xrealloc(ld->by_name, ld->sources_alloc * sizeof(*ld->by_name));
			}
			memmove(ld->by_name + lo + 1, ld->by_name + lo,
			    (c->nsources - lo) * sizeof(*ld->by_name));
			ld->by_name[lo] = c->nsources;
			memset(&c->sources[c->nsources], 0, sizeof(*c->sources));
			c->sources[c->nsources].name = xstrdup(name);
			c->sources[c->nsources].file = xstrdup(f->path);
			c->sources[c->nsources].line = f->lineno;
			f->index = c->nsources++;
			f->section = SECT_SOURCE;
		} else {
			for (size_t i = 0; i < c->ndigests; i++)
				if (duplicate(f, kind, name, c->digests[i].name,
				    c->digests[i].file, c->digests[i].line))
					return;
			if (c->ndigests == f->ld->digests_alloc) {
				f->ld->digests_alloc = f->ld->digests_alloc ? f->ld->digests_alloc * 2 : 4;
				c->digests = xrealloc(c->digests, f->ld->digests_alloc * sizeof(*c->digests));
			}
			memset(&c->digests[c->ndigests], 0, sizeof(*c->digests));
			c->digests[c->ndigests].name = xstrdup(name);
			c->digests[c->ndigests].file = xstrdup(f->path);
			c->digests[c->ndigests].line = f->lineno;
			c->digests[c->ndigests].at = -1;
			c->digests[c->ndigests].max_items = CONF_DEFAULT_DIGEST_ITEMS;
			f->index = c->ndigests++;
			f->section = SECT_DIGEST;
		}
	} else {
		FILE_ERROR(f, "unknown section [%s]", header);
	}
}

static int
has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int include_errno;

/* A directory in the pattern that does not exist yet (conf.d, say) is no
 * match, as an empty one would be; one that cannot be read is an error. */
static int
include_error(const char *path, int err)
{
	(void)path;
	if (err == ENOENT || err == ENOTDIR)
		return 0;
	include_errno = err;
	return 1;
}

static void
include(struct conf_file *f, const char *pattern)
{
	char *full;
	glob_t g;
	int r;

	if (pattern[0] == '/') {
		full = xstrdup(pattern);
	} else {
		const char *slash = strrchr(f->path, '/');

		full = slash ? xasprintf("%.*s/%s", (int)(slash - f->path), f->path,
		    pattern) : xstrdup(pattern);
	}
	include_errno = 0;
	r = glob(full, 0, include_error, &g);
	if (r == GLOB_NOMATCH) {
		if (!has_glob_chars(pattern))
			FILE_ERROR(f, "cannot read include '%s': %s", full, strerror(ENOENT));
	} else if (r != 0) {
		FILE_ERROR(f, "cannot read include '%s': %s", full,
		    include_errno ? strerror(include_errno) : "out of memory");
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++)
			load_file(f->ld, g.gl_pathv[i], f->depth + 1, f->path, f->lineno);
	}
	if (r == 0 || r == GLOB_NOMATCH)
		globfree(&g);
	free(full);
}

static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	struct conf_file *f = user;

	(void)section;	/* ours, from the reader, is the one that counts */
	if (strcmp(key, "include") == 0) {
		include(f, value);
		return 1;
	}
	switch (f->section) {
	case SECT_NONE:
		FILE_ERROR(f, "key '%s' outside a section", key);
		break;
	case SECT_BAD:
		break;	/* its header was reported */
	case SECT_FEEDMILL:
		feedmill_key(f, key, value);
		break;
	case SECT_SOURCE:
		source_key(f, key, value);
		break;
	case SECT_DIGEST:
		digest_key(f, key, value);
		break;
	case SECT_SMTP:
		smtp_key(f, key, value);
		break;
	}
	return 1;
}

/*
 * inih reads through this, line by line. It lets us count lines (Debian's
 * inih does not pass them to the handler), see section headers as they come
 * (so a repeated or empty section is noticed), and report every malformed
 * line instead of only the first. A line we report reaches inih blank.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct conf_file *f = stream;
	size_t len;
	char *t;

	for (;;) {
		if (fgets(f->line, sizeof(f->line), f->fp) == NULL)
			return NULL;
		f->lineno++;
		len = strlen(f->line);
		f->bytes += len;
		if (f->bytes > CONF_MAX_FILE_BYTES) {
			FILE_ERROR(f, "file larger than %d bytes", CONF_MAX_FILE_BYTES);
			return NULL;
		}
		if (len > 0 && f->line[len - 1] != '\n' && !feof(f->fp)) {
			int ch;

			while ((ch = fgetc(f->fp)) != EOF && ch != '\n')
				;
			len = CONF_MAX_LINE + 1;
		}
		while (len > 0 && (f->line[len - 1] == '\n' || f->line[len - 1] == '\r'))
			f->line[--len] = '\0';
		t = f->line + strspn(f->line, " \t");
		if (len > CONF_MAX_LINE) {
			FILE_ERROR(f, "line longer than %d characters", CONF_MAX_LINE);
			f->in_key = 0;
			t = f->line + len;
		} else if (*t == '\0' || *t == ';' || *t == '#') {
			/* blank or comment: a continuation may still follow */
		} else if (*t == '[') {
			char *end = strchr(t, ']');

			f->in_key = 0;
			if (end == NULL) {
				FILE_ERROR(f, "section header without ']'");
				f->section = SECT_BAD;
				t = f->line + len;
			} else {
				char header[CONF_MAX_LINE + 1];

				snprintf(header, sizeof(header), "%.*s", (int)(end - t - 1), t + 1);
				begin_section(f, header);
			}
		} else if (t != f->line && f->in_key) {
			/* an indented continuation of the previous value */
		} else if (strpbrk(t, "=:") == NULL) {
			FILE_ERROR(f, "expected 'key = value'");
			f->in_key = 0;
			t = f->line + len;
		} else {
			f->in_key = 1;
		}
		snprintf(str, (size_t)num, "%s\n", t == f->line + len ? "" : f->line);
		return str;
	}
}

static int
load_file(struct loader *ld, const char *path, int depth, const char *from_file,
    int from_line)
{
	struct conf_file *f;
	struct stat st;
	int fd, r;

	if (depth > CONF_MAX_INCLUDE_DEPTH) {
		conf_error(ld, from_file, from_line, "includes nested deeper than %d "
		    "(does a file include itself?)", CONF_MAX_INCLUDE_DEPTH);
		return -1;
	}
	if (++ld->files > CONF_MAX_FILES) {
		if (ld->files == CONF_MAX_FILES + 1)
			conf_error(ld, from_file, from_line, "more than %d "
			    "configuration files included", CONF_MAX_FILES);
		return -1;
	}
	f = xcalloc(1, sizeof(*f));
	f->ld = ld;
	f->path = path;
	f->depth = depth;
	f->section = SECT_NONE;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (from_file != NULL)
			conf_error(ld, from_file, from_line, "cannot read include '%s': %s",
			    path, strerror(errno));
		else
			conf_error(ld, path, 0, "cannot read: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		free(f);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		/* a FIFO or a terminal would block the daemon's start */
		if (from_file != NULL)
			conf_error(ld, from_file, from_line, "include '%s' is not "
			    "a regular file", path);
		else
			conf_error(ld, path, 0, "not a regular file");
		close(fd);
		free(f);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if ((f->fp = fdopen(fd, "r")) == NULL)
		fatal("cannot read '%s'", path);
	for (int i = 0; i < depth; i++)
		if (ld->open[i].dev == st.st_dev && ld->open[i].ino == st.st_ino) {
			conf_error(ld, from_file, from_line, "'%s' includes itself", path);
			fclose(f->fp);
			free(f);
			return -1;
		}
	ld->open[depth].dev = st.st_dev;
	ld->open[depth].ino = st.st_ino;
	r = ini_parse_stream(read_line, f, on_key, f);
	if (r > 0 && ld->errs->n == 0)
		conf_error(ld, path, r, "syntax error");
	fclose(f->fp);
	free(f);
	return 0;
}

static void
check_whole(struct loader *ld)
{
	struct conf *c = ld->c;

	for (size_t i = 0; i < c->nsources; i++)
		if (c->sources[i].url == NULL)
			conf_error(ld, c->sources[i].file, c->sources[i].line,
			    "source '%s' has no url", c->sources[i].name);
	for (size_t i = 0; i < c->ndigests; i++) {
		struct conf_digest *d = &c->digests[i];

		if (d->to.n == 0)
			conf_error(ld, d->file, d->line, "digest '%s' has no 'to' address",
			    d->name);
		if (d->at < 0)
			conf_error(ld, d->file, d->line, "digest '%s' has no 'at' time",
			    d->name);
		if ((c->smtp_url == NULL && c->sendmail == NULL) || c->smtp_from == NULL)
			conf_error(ld, d->file, d->line, "digest '%s' needs [smtp] from, "
			    "and url or sendmail", d->name);
	}
}

int
conf_load(struct conf *c, const char *path, struct conf_errors *errs)
{
	struct loader ld;

	memset(&ld, 0, sizeof(ld));
	ld.c = c;
	ld.errs = errs;
	memset(c, 0, sizeof(*c));
	memset(errs, 0, sizeof(*errs));
	c->path = xstrdup(path);
	c->state_dir = xstrdup("/var/lib/feedmill");
	c->output_dir = xstrdup("/var/lib/feedmill/public");
	c->listen = xstrdup("127.0.0.1:8080");
	c->base_url = xstrdup("http://127.0.0.1:8080/");
	c->fields_path = xstrdup(SYSCONFDIR "/feedmill/fields.conf");
	c->interval = CONF_DEFAULT_INTERVAL;
	c->max_body = CONF_DEFAULT_MAX_BODY;
	c->max_per_host = CONF_DEFAULT_PER_HOST;
	c->max_transfers = CONF_DEFAULT_TRANSFERS;
	c->timeout = CONF_DEFAULT_TIMEOUT;
	c->keep_days = CONF_DEFAULT_KEEP_DAYS;
	c->max_entries = CONF_DEFAULT_ENTRIES;
	c->update_overlap = CONF_DEFAULT_OVERLAP;
	c->connect_timeout = CONF_DEFAULT_CONNECT_TIMEOUT;
	if (load_file(&ld, path, 0, NULL, 0) == 0)
		check_whole(&ld);
	free(ld.by_name);
	return errs->n == 0 ? 0 : -1;
}

int64_t
conf_source_interval(const struct conf *c, const struct conf_source *s)
{
	return s->interval ? s->interval : c->interval;
}

void
conf_release(struct conf *c)
{
	for (size_t i = 0; i < c->nsources; i++) {
		free(c->sources[i].name);
		free(c->sources[i].url);
		free(c->sources[i].file);
		list_release(&c->sources[i].fields);
	}
	free(c->sources);
	for (size_t i = 0; i < c->ndigests; i++) {
		free(c->digests[i].name);
		free(c->digests[i].file);
		free(c->digests[i].timezone);
		free(c->digests[i].subject);
		list_release(&c->digests[i].to);
		list_release(&c->digests[i].fields);
		list_release(&c->digests[i].sources);
	}
	free(c->digests);
	free(c->path);
	free(c->state_dir);
	free(c->output_dir);
	free(c->listen);
	free(c->base_url);
	free(c->fields_path);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_username);
	free(c->smtp_password_file);
	free(c->sendmail);
	memset(c, 0, sizeof(*c));
}

void
conf_errors_release(struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}
