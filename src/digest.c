/*
 * digest: composing a digest run (digest.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "date.h"
#include "digest.h"
#include "mail.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

/* One release of the digest, as it is shown. */
struct item {
	int64_t		 id;
	char		*title;
	char		*link;		/* http(s) only, or NULL */
	char		*summary;
	char		*sources;	/* feed titles, ", " between */
	int64_t		 published;
	int		 group;		/* its first field, or nfields for none */
	char		*others;	/* its other fields' names, or NULL */
};

struct compose {
	struct store		*s;
	struct tagger		*t;
	const struct conf	*c;
	const struct conf_digest *d;
	struct item		*items;
	size_t			 n;
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

/* Read a candidate; 1 if it passes the digest's filters (item filled),
 * 0 if not, -1 on a store error. */
static int
take(struct compose *k, int64_t id, struct item *it)
{
	struct store_release r;
	struct store_field *fields = NULL;
	char **sources = NULL;
	size_t nfields = 0, nsources = 0, nf = tagger_nfields(k->t);
	int pass = 1, status = -1;
	struct buf b;

	memset(&r, 0, sizeof(r));
	memset(it, 0, sizeof(*it));
	if (store_release_get(k->s, id, &r) == -1 ||
	    store_release_fields(k->s, id, &fields, &nfields) == -1 ||
	    store_release_sources(k->s, id, &sources, &nsources) == -1)
		goto out;
	if (k->d->sources.n > 0) {
		pass = 0;
		for (size_t i = 0; i < nsources && !pass; i++)
			pass = in_list(&k->d->sources, sources[i]);
	}
	if (pass && k->d->fields.n > 0) {
		pass = 0;
		for (size_t i = 0; i < nfields && !pass; i++)
			for (size_t j = 0; j < k->d->fields.n && !pass; j++) {
				int f = tagger_lookup(k->t, k->d->fields.v[j]);

				pass = f >= 0 && strcmp(tagger_field(k->t, (size_t)f)->slug,
				    fields[i].slug) == 0;
			}
	}
	status = pass;
	if (!pass)
		goto out;
	it->id = id;
	it->title = xstrdup(r.title ? r.title : "");
	it->link = web_url(r.canonical_link) ? xstrdup(r.canonical_link) :
	    web_url(r.link) ? xstrdup(r.link) : NULL;
	it->summary = r.summary ? xstrdup(r.summary) : NULL;
	it->published = r.published;
	it->group = (int)nf;
	buf_init(&b, (size_t)-1);
	for (size_t f = 0; f < nf; f++) {
		const struct tag_field *tf = tagger_field(k->t, f);

		for (size_t i = 0; i < nfields; i++) {
			if (strcmp(fields[i].slug, tf->slug) != 0)
				continue;
			if (it->group == (int)nf)
				it->group = (int)f;
			else {
				if (b.len > 0)
					buf_addstr(&b, ", ");
				buf_addstr(&b, tf->name);
			}
		}
	}
	it->others = b.len > 0 ? buf_detach(&b) : (buf_release(&b), NULL);
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < nsources; i++) {
		struct store_source st;

		memset(&st, 0, sizeof(st));
		if (b.len > 0)
			buf_addstr(&b, ", ");
		if (store_source_get(k->s, sources[i], &st) == 0 && st.feed_title != NULL &&
		    st.feed_title[0] != '\0')
			buf_addstr(&b, st.feed_title);
		else
			buf_addstr(&b, sources[i]);
		store_source_release(&st);
	}
	it->sources = buf_detach(&b);
out:
	store_release_clear(&r);
	store_fields_free(fields, nfields);
	for (size_t i = 0; i < nsources; i++)
		free(sources[i]);
	free(sources);
	return status;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

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

/* ---- the text part ---- */

static void
text_part(struct compose *k, const char *heading, struct buf *b)
{
	size_t nlinks = 0;
	int group = -1;

	mail_wrap(b, heading, "", DIGEST_WRAP);
	if (k->n == 0)
		buf_addstr(b, "\nNothing new.\n");
	for (size_t i = 0; i < k->n; i++) {
		struct item *it = &k->items[i];
		char date[DATE_RFC3339_SIZE], line[160];

		if (it->group != group) {
			group = it->group;
			buf_addstr(b, "\n\n== ");
			buf_addstr(b, group_name(k, group));
			buf_addstr(b, " ==\n");
		}
		buf_addc(b, '\n');
		mail_wrap(b, it->title, "", DIGEST_WRAP);
		date_format_rfc3339(it->published, date);
		date[10] = '\0';
		snprintf(line, sizeof(line), "%s, ", date);
		{
			char *meta = xasprintf("%s%s", line, it->sources);

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
			snprintf(line, sizeof(line), "  [%zu]\n", ++nlinks);
			buf_addstr(b, line);
		}
	}
	if (nlinks > 0) {
		size_t j = 0;

		buf_addstr(b, "\n\nLinks:\n");
		for (size_t i = 0; i < k->n; i++)
			if (k->items[i].link != NULL) {
				char num[32];

				snprintf(num, sizeof(num), "[%zu] ", ++j);
				buf_addstr(b, num);
				buf_addstr(b, k->items[i].link);
				buf_addc(b, '\n');
			}
	}
	buf_addstr(b, "\n-- \nSent by feedmill " PACKAGE_VERSION ".\n");
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
html_part(struct compose *k, const char *heading, struct buf *b)
{
	int group = -1;

	buf_addstr(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	html_text(b, heading);
	buf_addstr(b, "</title></head>\n<body style=\"font-family:sans-serif;max-width:40em;"
	    "margin:auto;line-height:1.4;color:#222\">\n<h1 style=\"font-size:1.3em\">");
	html_text(b, heading);
	buf_addstr(b, "</h1>\n");
	if (k->n == 0)
		buf_addstr(b, "<p>Nothing new.</p>\n");
	for (size_t i = 0; i < k->n; i++) {
		struct item *it = &k->items[i];
		char date[DATE_RFC3339_SIZE];

		if (it->group != group) {
			group = it->group;
			buf_addstr(b, "<h2 style=\"font-size:1.1em;border-bottom:1px solid #ccc;"
			    "margin-top:1.5em\">");
			html_text(b, group_name(k, group));
			buf_addstr(b, "</h2>\n");
		}
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
	}
	buf_addstr(b, "<p style=\"color:#777;font-size:.8em\">Sent by feedmill " PACKAGE_VERSION
	    ".</p>\n</body></html>\n");
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

int
digest_compose(struct store *s, struct tagger *t, const struct conf *c,
    const struct conf_digest *d, int64_t now, struct store_digest_run *run,
    int64_t **ids, size_t *n, char **err)
{
	struct compose k;
	int64_t *cand = NULL, since, first;
	size_t ncand = 0, more = 0;
	char date[11], mdate[64], *subject, *heading, *domain, *to;
	struct buf msg, text, html;
	int status = -1, began = 0;

	memset(&k, 0, sizeof(k));
	memset(run, 0, sizeof(*run));
	*ids = NULL;
	*n = 0;
	*err = NULL;
	k.s = s;
	k.t = t;
	k.c = c;
	k.d = d;
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
	k.items = xcalloc(ncand ? ncand : 1, sizeof(*k.items));
	*ids = xcalloc(ncand ? ncand : 1, sizeof(**ids));
	for (size_t i = 0; i < ncand; i++) {
		int r = take(&k, cand[i], &k.items[k.n]);

		if (r == -1)
			goto store_failed;
		if (r == 0)
			continue;
		if (k.n == (size_t)d->max_items) {
			/* kept for the next run */
			free(k.items[k.n].title);
			free(k.items[k.n].link);
			free(k.items[k.n].summary);
			free(k.items[k.n].sources);
			free(k.items[k.n].others);
			more++;
			continue;
		}
		(*ids)[(*n)++] = cand[i];
		k.n++;
	}
	if (k.n == 0 && !d->send_empty) {
		status = 1;
		goto out;
	}
	qsort(k.items, k.n, sizeof(*k.items), item_cmp);
	digest_local_date(now, d->timezone, date);
	subject = subject_of(d, k.n, date);
	heading = more > 0 ? xasprintf("%s (%zu more next time)", subject, more) : xstrdup(subject);
	domain = strchr(c->smtp_from, '@') + 1;
	run->digest = xstrdup(d->name);
	run->window_start = since;
	run->window_end = now;
	run->created = now;
	run->items = (int)k.n;
	run->message_id = xasprintf("<digest.%s.%lld@%s>", d->name, (long long)now, domain);

	buf_init(&msg, (size_t)-1);
	mail_date(now, mdate, sizeof(mdate));
	{
		char *from = xasprintf("feedmill <%s>", c->smtp_from);

		mail_header(&msg, "From", from);
		free(from);
	}
	buf_init(&text, (size_t)-1);
	for (size_t i = 0; i < d->to.n; i++) {
		if (i > 0)
			buf_addstr(&text, ", ");
		buf_addstr(&text, d->to.v[i]);
	}
	to = buf_detach(&text);
	mail_header(&msg, "To", to);
	free(to);
	mail_header(&msg, "Date", mdate);
	mail_header(&msg, "Subject", subject);
	mail_header(&msg, "Message-ID", run->message_id);
	{
		char *list = xasprintf("feedmill digest %s <%s.digest.%s>", d->name, d->name, domain);

		mail_header(&msg, "List-Id", list);
		free(list);
	}
	mail_header(&msg, "Auto-Submitted", "auto-generated");
	mail_header(&msg, "MIME-Version", "1.0");
	/* "=_" never occurs in quoted-printable text: a safe boundary */
	buf_addstr(&msg, "Content-Type: multipart/alternative; boundary=\"=_feedmill_alt\"\r\n\r\n"
	    "This is a message in MIME format.\r\n\r\n--=_feedmill_alt\r\n"
	    "Content-Type: text/plain; charset=utf-8; format=fixed\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	buf_init(&text, (size_t)-1);
	text_part(&k, heading, &text);
	mail_qp(&msg, buf_str(&text));
	buf_release(&text);
	buf_addstr(&msg, "\r\n--=_feedmill_alt\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	buf_init(&html, (size_t)-1);
	html_part(&k, heading, &html);
	mail_qp(&msg, buf_str(&html));
	buf_release(&html);
	buf_addstr(&msg, "\r\n--=_feedmill_alt--\r\n");
	run->message_len = msg.len;
	run->message = buf_detach(&msg);
	free(subject);
	free(heading);
	status = 0;
	goto out;
store_failed:
	*err = xstrdup(store_error(s));
out:
	if (began && store_commit(s) == -1 && status == 0)
		status = -1;	/* a read transaction: nothing to lose */
	for (size_t i = 0; i < k.n; i++) {
		free(k.items[i].title);
		free(k.items[i].link);
		free(k.items[i].summary);
		free(k.items[i].sources);
		free(k.items[i].others);
	}
	free(k.items);
	free(cand);
	if (status != 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		store_digest_run_clear(run);
	}
	return status;
}
