/*
 * digest: composing a digest run (digest.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "conf.h"
#include "date.h"
#include "digest.h"
#include "mail.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

/*
 * Composing streams: memory does not grow with the number of releases
 * beyond a few words each. A first pass reads each candidate's fields
 * (and sources, if the digest filters on them) and keeps its id, date and
 * group; sorted, a second pass reads one release at a time and writes it
 * into both parts at once. The text part goes straight into the message
 * file, quoted-printable; the HTML part and the text part's list of links
 * go to scratch files, appended at the end. Every chunk encoded ends with
 * a line end, so encoding chunk by chunk gives what encoding the whole
 * part would.
 */

/* A release the run carries, as the first pass leaves it. */
struct entry {
	int64_t		 id;
	int64_t		 published;
	int		 group;		/* its first field, or nfields for none */
	uint64_t	 fields;	/* all its fields, when the taxonomy has
					 * at most 64 (else read again) */
};

/* One release as it is shown, read in the second pass. */
struct item {
	char		*title;
	char		*link;		/* http(s) only, or NULL */
	char		*summary;
	char		*sources;	/* feed titles, ", " between */
	int64_t		 published;
	char		*others;	/* its other fields' names, or NULL */
};

/* A source's name and how its feed calls itself, looked up once. */
struct source_title {
	char		*name;
	char		*title;
};

struct compose {
	struct store		*s;
	struct tagger		*t;
	const struct conf	*c;
	const struct conf_digest *d;
	struct entry		*v;
	size_t			 n;
	const char		**filter_slugs;	/* the digest's fields, as slugs */
	size_t			 nfilter;
	struct source_title	*titles;
	size_t			 ntitles;
	FILE			*msg;		/* the message */
	FILE			*html;		/* the HTML part, encoded */
	FILE			*links;		/* the text part's links, encoded */
	size_t			 nlinks;
	struct buf		 part;		/* one chunk of a part, plain */
	struct buf		 qp;		/* the same, encoded */
};

int64_t
digest_next_time(int64_t after, int at, const char *zone)
{
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	time_t tt = (time_t)after, t = (time_t)after;
	struct tm day;

	if (zone != NULL)
		setenv("TZ", zone, 1);
	tzset();
	localtime_r(&tt, &day);
	/* today's HH:MM, else tomorrow's, else the day after (a day that
	 * skips it, going to summer time, gives the time just after) */
	for (int i = 0; i < 3; i++) {
		struct tm tm = day;

		tm.tm_mday += i;
		tm.tm_hour = at / 60;
		tm.tm_min = at % 60;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t != (time_t)-1 && (int64_t)t > after)
			break;
	}
	if (zone != NULL) {
		if (old != NULL)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
	}
	free(old);
	return (int64_t)t;
}

void
digest_local_date(int64_t t, const char *zone, char out[11])
{
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	time_t tt = (time_t)t;
	struct tm tm;

	/* the daemon is single-threaded: TZ is set for the call only */
	if (zone != NULL)
		setenv("TZ", zone, 1);
	tzset();
	localtime_r(&tt, &tm);
	if (zone != NULL) {
		if (old != NULL)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
	}
	free(old);
	{
		char tmp[48];

		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday);
		memcpy(out, tmp, 10);
		out[10] = '\0';
	}
}

static int
in_list(const struct conf_list *l, const char *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

static int
web_url(const char *l)
{
	return l != NULL && (strncasecmp(l, "http://", 7) == 0 || strncasecmp(l, "https://", 8) == 0);
}

/* First pass: 1 if candidate c passes the digest's filters (e filled),
 * 0 if not, -1 on a store error. */
static int
classify(struct compose *k, const struct store_candidate *c, struct entry *e)
{
	struct store_field *fields = NULL;
	char **sources = NULL;
	size_t nfields = 0, nsources = 0, nf = tagger_nfields(k->t);
	int pass = 1;

	if (store_release_fields(k->s, c->id, &fields, &nfields) == -1)
		return -1;
	if (k->d->sources.n > 0) {
		if (store_release_sources(k->s, c->id, &sources, &nsources) == -1) {
			store_fields_free(fields, nfields);
			return -1;
		}
		pass = 0;
		for (size_t i = 0; i < nsources && !pass; i++)
			pass = in_list(&k->d->sources, sources[i]);
		for (size_t i = 0; i < nsources; i++)
			free(sources[i]);
		free(sources);
	}
	if (pass && k->nfilter > 0) {
		pass = 0;
		for (size_t i = 0; i < nfields && !pass; i++)
			for (size_t j = 0; j < k->nfilter && !pass; j++)
				pass = strcmp(k->filter_slugs[j], fields[i].slug) == 0;
	}
	e->id = c->id;
	e->published = c->published;
	e->group = (int)nf;
	e->fields = 0;
	for (size_t f = 0; pass && f < nf; f++)
		for (size_t i = 0; i < nfields; i++)
			if (strcmp(fields[i].slug, tagger_field(k->t, f)->slug) == 0) {
				if (e->group == (int)nf)
					e->group = (int)f;
				if (f < 64)
					e->fields |= (uint64_t)1 << f;
				break;
			}
	store_fields_free(fields, nfields);
	return pass;
}

/* How the feed of source name calls itself (its name if it does not). */
static const char *
source_title(struct compose *k, const char *name)
{
	struct store_source st;
	struct source_title *t;

	for (size_t i = 0; i < k->ntitles; i++)
		if (strcmp(k->titles[i].name, name) == 0)
			return k->titles[i].title;
	k->titles = xrealloc(k->titles, (k->ntitles + 1) * sizeof(*k->titles));
	t = &k->titles[k->ntitles++];
	t->name = xstrdup(name);
	memset(&st, 0, sizeof(st));
	t->title = store_source_get(k->s, name, &st) == 0 && st.feed_title != NULL &&
	    st.feed_title[0] != '\0' ? xstrdup(st.feed_title) : xstrdup(name);
	store_source_release(&st);
	return t->title;
}

static void
item_clear(struct item *it)
{
	free(it->title);
	free(it->link);
	free(it->summary);
	free(it->sources);
	free(it->others);
	memset(it, 0, sizeof(*it));
}

/* Second pass: read what is shown of e. 0 or -1 on a store error. */
static int
load(struct compose *k, const struct entry *e, struct item *it)
{
	struct store_release r;
	struct store_field *fields = NULL;
	char **sources = NULL;
	size_t nfields = 0, nsources = 0, nf = tagger_nfields(k->t);
	int status = -1;
	struct buf b;

	memset(&r, 0, sizeof(r));
	memset(it, 0, sizeof(*it));
	if (store_release_head(k->s, e->id, &r) == -1 ||
	    (nf > 64 && store_release_fields(k->s, e->id, &fields, &nfields) == -1) ||
	    store_release_sources(k->s, e->id, &sources, &nsources) == -1)
		goto out;
	it->title = xstrdup(r.title ? r.title : "");
	it->link = web_url(r.canonical_link) ? xstrdup(r.canonical_link) :
	    web_url(r.link) ? xstrdup(r.link) : NULL;
	it->summary = r.summary ? xstrdup(r.summary) : NULL;
	it->published = e->published;
	buf_init(&b, (size_t)-1);
	for (size_t f = 0; f < nf; f++) {
		const struct tag_field *tf = tagger_field(k->t, f);

		int has = 0;

		if ((int)f == e->group)
			continue;
		if (nf <= 64)
			has = (e->fields >> f) & 1;
		for (size_t i = 0; i < nfields && !has; i++)
			has = strcmp(fields[i].slug, tf->slug) == 0;
		if (has) {
			if (b.len > 0)
				buf_addstr(&b, ", ");
			buf_addstr(&b, tf->name);
		}
	}
	it->others = b.len > 0 ? buf_detach(&b) : (buf_release(&b), NULL);
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < nsources; i++) {
		if (b.len > 0)
			buf_addstr(&b, ", ");
		buf_addstr(&b, source_title(k, sources[i]));
	}
	it->sources = buf_detach(&b);
	status = 0;
out:
	store_release_clear(&r);
	store_fields_free(fields, nfields);
	for (size_t i = 0; i < nsources; i++)
		free(sources[i]);
	free(sources);
	return status;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->published != y->published)
		return x->published > y->published ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const char *
group_name(struct compose *k, int g)
{
	return g < (int)tagger_nfields(k->t) ? tagger_field(k->t, (size_t)g)->name :
	    "Other releases";
}

/* The plain chunk in k->part, quoted-printable, onto out; part emptied. */
static void
flush_part(struct compose *k, FILE *out)
{
	if (k->part.len == 0)
		return;
	buf_reset(&k->qp);
	mail_qp(&k->qp, buf_str(&k->part));
	fwrite(k->qp.data, 1, k->qp.len, out);
	buf_reset(&k->part);
}

/* ---- the text part ---- */

static void
text_heading(struct compose *k, const char *heading)
{
	mail_wrap(&k->part, heading, "", DIGEST_WRAP);
	if (k->n == 0)
		buf_addstr(&k->part, "\nNothing new.\n");
	flush_part(k, k->msg);
}

static void
text_group(struct compose *k, int group)
{
	buf_addstr(&k->part, "\n\n== ");
	buf_addstr(&k->part, group_name(k, group));
	buf_addstr(&k->part, " ==\n");
	flush_part(k, k->msg);
}

static void
text_item(struct compose *k, const struct item *it)
{
	struct buf *b = &k->part;
	char date[DATE_RFC3339_SIZE], line[160];

	buf_addc(b, '\n');
	mail_wrap(b, it->title, "", DIGEST_WRAP);
	date_format_rfc3339(it->published, date);
	date[10] = '\0';
	{
		char *meta = xasprintf("%s, %s", date, it->sources);

		mail_wrap(b, meta, "  ", DIGEST_WRAP);
		free(meta);
	}
	if (it->others != NULL) {
		char *o = xasprintf("Also under: %s", it->others);

		mail_wrap(b, o, "  ", DIGEST_WRAP);
		free(o);
	}
	if (it->summary != NULL) {
		buf_addc(b, '\n');
		mail_wrap(b, it->summary, "  ", DIGEST_WRAP);
	}
	if (it->link != NULL) {
		snprintf(line, sizeof(line), "  [%zu]\n", ++k->nlinks);
		buf_addstr(b, line);
	}
	flush_part(k, k->msg);
	if (it->link != NULL) {
		/* its line of the list at the end of the part */
		snprintf(line, sizeof(line), "[%zu] ", k->nlinks);
		buf_addstr(b, line);
		buf_addstr(b, it->link);
		buf_addc(b, '\n');
		flush_part(k, k->links);
	}
}

/* ---- the HTML part ---- */

static void
html_text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;

	/* escaped, and without control characters; plain runs in one go */
	for (; *p != '\0'; p++) {
		const char *rep;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			rep = *p < 0x20 && *p != '\n' && *p != '\t' ? " " : NULL;
		}
		if (rep == NULL)
			continue;
		buf_add(b, run, (size_t)(p - run));
		buf_addstr(b, rep);
		run = p + 1;
	}
	buf_add(b, run, (size_t)(p - run));
}

static void
html_heading(struct compose *k, const char *heading)
{
	struct buf *b = &k->part;

	buf_addstr(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	html_text(b, heading);
	buf_addstr(b, "</title></head>\n<body style=\"font-family:sans-serif;max-width:40em;"
	    "margin:auto;line-height:1.4;color:#222\">\n<h1 style=\"font-size:1.3em\">");
	html_text(b, heading);
	buf_addstr(b, "</h1>\n");
	if (k->n == 0)
		buf_addstr(b, "<p>Nothing new.</p>\n");
	flush_part(k, k->html);
}

static void
html_group(struct compose *k, int group)
{
	struct buf *b = &k->part;

	buf_addstr(b, "<h2 style=\"font-size:1.1em;border-bottom:1px solid #ccc;"
	    "margin-top:1.5em\">");
	html_text(b, group_name(k, group));
	buf_addstr(b, "</h2>\n");
	flush_part(k, k->html);
}

static void
html_item(struct compose *k, const struct item *it)
{
	struct buf *b = &k->part;
	char date[DATE_RFC3339_SIZE];

	buf_addstr(b, "<div style=\"margin:1em 0\">\n<div style=\"font-weight:bold\">");
	if (it->link != NULL) {
		buf_addstr(b, "<a href=\"");
		html_text(b, it->link);
		buf_addstr(b, "\" style=\"color:#0645ad\">");
		html_text(b, it->title);
		buf_addstr(b, "</a>");
	} else
		html_text(b, it->title);
	date_format_rfc3339(it->published, date);
	date[10] = '\0';
	buf_addstr(b, "</div>\n<div style=\"color:#555;font-size:.9em\">");
	html_text(b, date);
	buf_addstr(b, " · ");
	html_text(b, it->sources);
	if (it->others != NULL) {
		buf_addstr(b, " · also under ");
		html_text(b, it->others);
	}
	buf_addstr(b, "</div>\n");
	if (it->summary != NULL) {
		buf_addstr(b, "<p style=\"margin:.3em 0\">");
		html_text(b, it->summary);
		buf_addstr(b, "</p>\n");
	}
	buf_addstr(b, "</div>\n");
	flush_part(k, k->html);
}

/* ---- the message ---- */

static char *
subject_of(const struct conf_digest *d, size_t count, const char *date)
{
	const char *tpl = d->subject ? d->subject : CONF_DEFAULT_SUBJECT;
	struct buf b;

	buf_init(&b, 4096);
	for (const char *p = tpl; *p != '\0'; p++) {
		if (strncmp(p, "{name}", 6) == 0) {
			buf_addstr(&b, d->name);
			p += 5;
		} else if (strncmp(p, "{count}", 7) == 0) {
			char n[32];

			snprintf(n, sizeof(n), "%zu", count);
			buf_addstr(&b, n);
			p += 6;
		} else if (strncmp(p, "{date}", 6) == 0) {
			buf_addstr(&b, date);
			p += 5;
		} else
			buf_addc(&b, *p);
	}
	return buf_detach(&b);
}

/* All of from (from its start) onto the end of to. */
static void
append_file(FILE *from, FILE *to)
{
	char chunk[16384];
	size_t n;

	fflush(from);
	rewind(from);
	while ((n = fread(chunk, 1, sizeof(chunk), from)) > 0)
		fwrite(chunk, 1, n, to);
}

/* The message headers and the start of the text part. */
static void
message_head(struct compose *k, struct store_digest_run *run, const char *subject,
    const char *domain, int64_t now)
{
	const struct conf_digest *d = k->d;
	struct buf b;
	char mdate[64], *v;

	buf_init(&b, (size_t)-1);
	v = xasprintf("feedmill <%s>", k->c->smtp_from);
	mail_header(&b, "From", v);
	free(v);
	{
		struct buf to;

		buf_init(&to, (size_t)-1);
		for (size_t i = 0; i < d->to.n; i++) {
			if (i > 0)
				buf_addstr(&to, ", ");
			buf_addstr(&to, d->to.v[i]);
		}
		mail_header(&b, "To", buf_str(&to));
		buf_release(&to);
	}
	mail_date(now, mdate, sizeof(mdate));
	mail_header(&b, "Date", mdate);
	mail_header(&b, "Subject", subject);
	mail_header(&b, "Message-ID", run->message_id);
	v = xasprintf("feedmill digest %s <%s.digest.%s>", d->name, d->name, domain);
	mail_header(&b, "List-Id", v);
	free(v);
	mail_header(&b, "Auto-Submitted", "auto-generated");
	mail_header(&b, "MIME-Version", "1.0");
	/* "=_" never occurs in quoted-printable text: a safe boundary */
	buf_addstr(&b, "Content-Type: multipart/alternative; boundary=\"=_feedmill_alt\"\r\n\r\n"
	    "This is a message in MIME format.\r\n\r\n--=_feedmill_alt\r\n"
	    "Content-Type: text/plain; charset=utf-8; format=fixed\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	fwrite(b.data, 1, b.len, k->msg);
	buf_release(&b);
}

int
digest_compose(struct store *s, struct tagger *t, const struct conf *c,
    const struct conf_digest *d, int64_t now, struct store_digest_run *run,
    int64_t **ids, size_t *n, char **err)
{
	struct compose k;
	struct store_candidate *cand = NULL;
	int64_t since, first;
	size_t ncand = 0, more = 0;
	char date[11], *subject = NULL, *heading = NULL, *domain;
	int status = -1, began = 0, group = -1;

	memset(&k, 0, sizeof(k));
	memset(run, 0, sizeof(*run));
	*ids = NULL;
	*n = 0;
	*err = NULL;
	k.s = s;
	k.t = t;
	k.c = c;
	k.d = d;
	buf_init(&k.part, (size_t)-1);
	buf_init(&k.qp, (size_t)-1);
	/* the digest's fields filter, as the slugs releases are stored with */
	k.filter_slugs = xcalloc(d->fields.n + 1, sizeof(*k.filter_slugs));
	for (size_t j = 0; j < d->fields.n; j++) {
		int f = tagger_lookup(t, d->fields.v[j]);

		if (f >= 0)
			k.filter_slugs[k.nfilter++] = tagger_field(t, (size_t)f)->slug;
	}
	if (d->fields.n > 0 && k.nfilter == 0)
		k.filter_slugs[k.nfilter++] = "";	/* names no field: nothing passes */
	/* one read transaction for the thousands of reads below */
	if (!store_in_transaction(s)) {
		if (store_begin(s) == -1)
			goto store_failed;
		began = 1;
	}
	if (store_digest_first_start(s, d->name, &first) == -1 ||
	    store_digest_last_end(s, d->name, &since) == -1)
		goto store_failed;
	if (first == 0)
		first = since = now - DIGEST_FIRST_WINDOW;
	if (store_digest_candidates(s, d->name, first, now, &cand, &ncand) == -1)
		goto store_failed;

	/* first pass: which, and in what order */
	k.v = xcalloc(ncand ? ncand : 1, sizeof(*k.v));
	*ids = xcalloc(ncand ? ncand : 1, sizeof(**ids));
	for (size_t i = 0; i < ncand; i++) {
		int r = classify(&k, &cand[i], &k.v[k.n]);

		if (r == -1)
			goto store_failed;
		if (r == 0)
			continue;
		if (k.n == (size_t)d->max_items) {
			more++;		/* kept for the next run */
			continue;
		}
		(*ids)[(*n)++] = cand[i].id;
		k.n++;
	}
	free(cand);
	cand = NULL;
	if (k.n == 0 && !d->send_empty) {
		status = 1;
		goto out;
	}
	qsort(k.v, k.n, sizeof(*k.v), entry_cmp);

	digest_local_date(now, d->timezone, date);
	subject = subject_of(d, k.n, date);
	heading = more > 0 ? xasprintf("%s (%zu more next time)", subject, more) : xstrdup(subject);
	domain = strchr(c->smtp_from, '@') + 1;
	run->digest = xstrdup(d->name);
	run->window_start = since;
	run->window_end = now;
	run->created = now;
	run->items = (int)k.n;
	{
		/* stable for this run (it is stored in the message), unique
		 * among runs: two composed in one second, or two installations
		 * with the same digest name, differ in the random part */
		unsigned char rnd[8];
		char hex[2 * sizeof(rnd) + 1];

		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		run->message_id = xasprintf("<digest.%s.%lld.%s@%s>", d->name, (long long)now,
		    hex, domain);
	}
	if ((k.msg = store_scratch_file(s)) == NULL || (k.html = store_scratch_file(s)) == NULL ||
	    (k.links = store_scratch_file(s)) == NULL)
		goto store_failed;

	/* second pass: each release into both parts */
	message_head(&k, run, subject, domain, now);
	text_heading(&k, heading);
	html_heading(&k, heading);
	for (size_t i = 0; i < k.n; i++) {
		struct item it;

		if (load(&k, &k.v[i], &it) == -1)
			goto store_failed;
		if (k.v[i].group != group) {
			group = k.v[i].group;
			text_group(&k, group);
			html_group(&k, group);
		}
		text_item(&k, &it);
		html_item(&k, &it);
		item_clear(&it);
	}
	if (k.nlinks > 0) {
		buf_addstr(&k.part, "\n\nLinks:\n");
		flush_part(&k, k.msg);
		append_file(k.links, k.msg);
	}
	buf_addstr(&k.part, "\n-- \nSent by feedmill " PACKAGE_VERSION ".\n");
	flush_part(&k, k.msg);
	fputs("\r\n--=_feedmill_alt\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", k.msg);
	buf_addstr(&k.part, "<p style=\"color:#777;font-size:.8em\">Sent by feedmill "
	    PACKAGE_VERSION ".</p>\n</body></html>\n");
	flush_part(&k, k.html);
	append_file(k.html, k.msg);
	fputs("\r\n--=_feedmill_alt--\r\n", k.msg);
	if (fflush(k.msg) != 0 || ferror(k.msg) || ferror(k.html) || ferror(k.links)) {
		*err = xasprintf("cannot write the digest beside the database: %s",
		    strerror(errno));
		goto out;
	}
	run->message_len = (size_t)ftello(k.msg);
	run->message = k.msg;
	k.msg = NULL;
	status = 0;
	goto out;
store_failed:
	*err = xstrdup(store_error(s));
out:
	if (began && store_commit(s) == -1 && status == 0)
		status = -1;	/* a read transaction: nothing to lose */
	if (k.msg != NULL)
		fclose(k.msg);
	if (k.html != NULL)
		fclose(k.html);
	if (k.links != NULL)
		fclose(k.links);
	for (size_t i = 0; i < k.ntitles; i++) {
		free(k.titles[i].name);
		free(k.titles[i].title);
	}
	free(k.titles);
	free(k.filter_slugs);
	buf_release(&k.part);
	buf_release(&k.qp);
	free(k.v);
	free(cand);
	free(subject);
	free(heading);
	if (status != 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		store_digest_run_clear(run);
	}
	return status;
}
