#include "config.h"

#include <signal.h>
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "conf.h"
#include "daemon.h"
#include "daemon_int.h"
#include "dedup.h"
#include "fetch.h"
#include "httpd.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "notify.h"
#include "parse.h"
#include "publish.h"
#include "sched.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

/*
 * Normalising and deduplicating a poll's new entries may hold the loop
 * this long; the rest of a big (or hostile) feed waits for later polls,
 * so other transfers never stall behind one feed.
 */
#define INGEST_BUDGET_SECONDS	0.25

/* How often releases past keep_days are pruned. */
#define PRUNE_EVERY		(6 * 60 * 60)
/* A tombstone no source has listed for this long goes too. */
#define TOMBSTONE_KEEP		(30 * 24 * 60 * 60)

struct daemon;



static void source_schedule(struct source *src, int64_t delay);
static void source_start(struct daemon *d, struct source *src);
static void dispatch(struct daemon *d);

const char *
daemon_user_agent(void)
{
	return PACKAGE_NAME "/" PACKAGE_VERSION " (+" PACKAGE_URL ")";
}

static int64_t
now(const struct daemon *d)
{
	return (int64_t)time(NULL) + d->clock_offset;
}

/* A uniform number in [0, 1) for jitter: xorshift64*, seeded per process. */
static double
uniform(struct daemon *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return (double)((d->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* "2h5m", "45s": for log lines a human reads. */
static const char *
fmt_duration(char *buf, size_t sz, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400 && s % 3600 == 0)
		snprintf(buf, sz, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, sz, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, sz, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, sz, "%llds", (long long)s);
	return buf;
}

/* ---- storing ---- */

/* A write failed: the database is the one thing we cannot poll around. */
static void
store_failed(struct daemon *d)
{
	char v[LOG_VALUE_MAX];

	log_warnx("event=store-error error=%s", log_value(v, sizeof(v), store_error(d->store)));
}

void
daemon_store_failed(struct daemon *d)
{
	store_failed(d);
}

int64_t
daemon_now(const struct daemon *d)
{
	return now(d);
}

static void
save_source(struct daemon *d, struct source *src, const struct store_fetch *f)
{
	if (store_begin(d->store) == -1 ||
	    store_source_save(d->store, &src->st) == -1 ||
	    (f != NULL && store_fetch_log_add(d->store, src->name, f) == -1))
		store_failed(d);
}

/* Before the loop sleeps: commit what this iteration wrote. */
static void
commit_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	if (store_in_transaction(d->store) && store_commit(d->store) == -1)
		store_failed(d);
}

/* ---- sources ---- */

static int
source_cmp(const void *a, const void *b)
{
	return strcmp((*(struct source *const *)a)->name, (*(struct source *const *)b)->name);
}

static struct source *
find_source(struct daemon *d, const char *name)
{
	struct source key = { .name = (char *)(uintptr_t)name }, *kp = &key, **r;

	if (d->nsources == 0)
		return NULL;
	r = bsearch(&kp, d->sources, d->nsources, sizeof(*d->sources), source_cmp);
	return r ? *r : NULL;
}

static struct source *
find_orphan(struct daemon *d, const char *name)
{
	struct source *src;

	LIST_FOREACH(src, &d->orphans, orphan_link)
		if (strcmp(src->name, name) == 0)
			return src;
	return NULL;
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct source *src = w->data;

	(void)loop;
	(void)revents;
	log_debug("event=due source=%s", src->name);
	sched_enqueue(&src->d->sched, &src->item);
	dispatch(src->d);
}

static void
source_schedule(struct source *src, int64_t delay)
{
	ev_timer_stop(src->d->loop, &src->timer);
	if (src->st.retired || src->d->once || src->d->stopping)
		return;
	ev_timer_set(&src->timer, (double)delay, 0.);
	ev_timer_start(src->d->loop, &src->timer);
}

/* Read the source's row, after making sure it has one for its URL. */
static int
source_load(struct daemon *d, struct source *src)
{
	store_source_release(&src->st);
	if (store_begin(d->store) == -1 ||
	    store_source_sync(d->store, src->name, src->configured_url) == -1 ||
	    store_source_get(d->store, src->name, &src->st) == -1) {
		store_failed(d);
		return -1;
	}
	sched_item_set_host(&d->sched, &src->item, src->st.url);
	return 0;
}

/* Whether a server's Retry-After still holds the source back. */
static int
held_by_server(const struct daemon *d, const struct source *src)
{
	return src->st.retry_until > now(d);
}

/* Put a loaded source on its schedule: resume, or in --once queue it. */
static void
source_start(struct daemon *d, struct source *src)
{
	char when[32], v[LOG_VALUE_MAX];

	if (src->st.retired) {
		log_info("event=retired source=%s status=%d url=%s "
		    "note=\"gone (HTTP 410), not polled; change its url to poll again\"",
		    src->name, src->st.last_status, log_value(v, sizeof(v), src->st.url));
		return;
	}
	if (d->once) {
		if (held_by_server(d, src)) {
			log_info("event=skipped source=%s reason=retry-after wait=%s",
			    src->name, fmt_duration(when, sizeof(when),
			    src->st.retry_until - now(d)));
			return;
		}
		sched_enqueue(&d->sched, &src->item);
		return;
	}
	int64_t delay = sched_resume_delay(now(d), src->st.next_poll, src->interval, uniform(d));

	log_debug("event=scheduled source=%s next=%s", src->name,
	    fmt_duration(when, sizeof(when), delay));
	source_schedule(src, delay);
}

/* Copy the fields a source's section imposes (a reload may change them). */
static void
source_set_fields(struct source *src, const struct conf_source *cs)
{
	for (size_t i = 0; i < src->fields.n; i++)
		free(src->fields.v[i]);
	free(src->fields.v);
	src->fields.n = cs->fields.n;
	src->fields.v = xcalloc(cs->fields.n ? cs->fields.n : 1, sizeof(*src->fields.v));
	for (size_t i = 0; i < cs->fields.n; i++)
		src->fields.v[i] = xstrdup(cs->fields.v[i]);
}

static struct source *
source_new(struct daemon *d, const struct conf_source *cs)
{
	struct source *src = xcalloc(1, sizeof(*src));

	src->d = d;
	src->name = xstrdup(cs->name);
	src->configured_url = xstrdup(cs->url);
	src->interval = conf_source_interval(&d->conf, cs);
	source_set_fields(src, cs);
	src->item.owner = src;
	ev_timer_init(&src->timer, timer_cb, 0., 0.);
	src->timer.data = src;
	return src;
}

static void
source_free(struct daemon *d, struct source *src)
{
	ev_timer_stop(d->loop, &src->timer);
	if (src->fetch != NULL)
		fetch_cancel(src->fetch);
	sched_item_clear(&d->sched, &src->item);
	parse_free(src->parse);
	store_source_release(&src->st);
	for (size_t i = 0; i < src->fields.n; i++)
		free(src->fields.v[i]);
	free(src->fields.v);
	free(src->name);
	free(src->configured_url);
	free(src->pending_url);
	free(src);
}

/* ---- polling ---- */

static struct dedup_config
dedup_config(const struct daemon *d)
{
	struct dedup_config c;

	c.update_overlap = d->conf.update_overlap;
	c.keep_seconds = (int64_t)d->conf.keep_days * 86400;
	return c;
}

/* What a release's source imposes (tag_stored_release asks). */
static const struct conf_list *
imposed_fields(const char *name, void *arg)
{
	struct daemon *d = arg;
	struct source *src = find_source(d, name);

	if (src == NULL)
		src = find_orphan(d, name);
	return src ? &src->fields : NULL;
}

/* Each entry as the parser completes it: into a release, at once. */
static void
on_entry(const struct feed_entry *e, void *arg)
{
	struct source *src = arg;
	struct daemon *d = src->d;
	struct dedup_config c = dedup_config(d);
	enum dedup_result r;
	struct dedup_outcome o = { 0, 0 };
	double start;

	if (store_begin(d->store) == -1) {
		store_failed(d);
		src->counts.n[DEDUP_ERROR]++;
		return;
	}
	c.quick_only = src->ingest_seconds >= INGEST_BUDGET_SECONDS;
	start = ev_time();
	r = dedup_entry(d->store, &c, src->name, e, now(d), &o);
	/* new text, new categories or a new source: file it (again) */
	if ((r == DEDUP_NEW || r == DEDUP_UPDATED || r == DEDUP_DUPLICATE) &&
	    tag_stored_release(d->tagger, d->store, o.release, imposed_fields, d,
	    d->counters.tags) == -1)
		r = DEDUP_ERROR;
	src->ingest_seconds += ev_time() - start;
	src->counts.n[r]++;
	d->counters.entries[r]++;
	d->counters.repeats += o.repeats;
	if (r == DEDUP_ERROR)
		store_failed(d);
}

static void
prune(struct daemon *d)
{
	int64_t t = now(d), pruned = 0;

	if (d->conf.keep_days == 0)
		return;
	if (store_begin(d->store) == -1 ||
	    store_prune(d->store, t - (int64_t)d->conf.keep_days * 86400,
	    t - TOMBSTONE_KEEP, t, &pruned) == -1) {
		store_failed(d);
		return;
	}
	if (pruned > 0) {
		log_info("event=pruned releases=%lld keep_days=%d", (long long)pruned,
		    d->conf.keep_days);
		/* archive pages shrink: everything is published again */
		if (store_publish_all_later(d->store) == -1)
			store_failed(d);
		else if (d->loop != NULL)
			daemon_publish_soon(d);
	}
}

static void
prune_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	prune(w->data);
}

static const char *
on_body(void *arg, const char *data, size_t len)
{
	struct source *src = arg;

	if (src->parse == NULL) {
		src->parse = parse_new(src->name, fetch_url(src->fetch), on_entry, src);
		parse_set_max_bytes(src->parse, src->d->conf.max_body);
	}
	if (parse_chunk(src->parse, data, len) == -1) {
		/* no point reading the rest of a document known to be bad */
		snprintf(src->body_error, sizeof(src->body_error), "not a feed: %s",
		    parse_error(src->parse));
		return src->body_error;
	}
	return NULL;
}

/* Apply a URL that a reload left waiting for a transfer to end; 1 if
 * there was one (the source then starts afresh). */
static int
apply_pending_url(struct daemon *d, struct source *src)
{
	if (src->pending_url == NULL)
		return 0;
	free(src->configured_url);
	src->configured_url = src->pending_url;
	src->pending_url = NULL;
	if (source_load(d, src) == 0)
		log_info("event=changed source=%s note=\"new url, starting afresh\"",
		    src->name);
	return 1;
}

static void
set_string(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? xstrdup(v) : NULL;
}

/* The rarer counts, only when there are some. */
static const char *
counts_extra(char *buf, size_t sz, const struct dedup_counts *c)
{
	buf[0] = '\0';
	for (int k = DEDUP_PRUNED; k <= DEDUP_ERROR; k++)
		if (c->n[k] > 0)
			snprintf(buf + strlen(buf), sz - strlen(buf), " %s=%lu",
			    dedup_result_name((enum dedup_result)k), c->n[k]);
	return buf;
}

/* Record how a poll ended and put the source back on its schedule. */
static void
poll_finished(struct source *src, const struct fetch_result *r)
{
	struct daemon *d = src->d;
	struct store_source *st = &src->st;
	struct store_fetch log;
	const char *error = r->error;
	int64_t t = now(d), retry_after = 0, delay;
	int ok = 0, unchanged = 0, not_a_feed = 0;
	size_t entries = 0;
	char ev[LOG_VALUE_MAX], uv[LOG_VALUE_MAX], when[32];

	src->fetch = NULL;
	sched_done(&d->sched, &src->item);

	if (error == NULL && (r->status == 0 || (r->status >= 200 && r->status < 300))) {
		/* a body arrived: it must be a feed, an empty one included */
		if (src->parse == NULL)
			src->parse = parse_new(src->name, r->effective_url, on_entry, src);
		if (parse_finish(src->parse) == -1) {
			snprintf(src->body_error, sizeof(src->body_error),
			    "not a feed: %s", parse_error(src->parse));
			error = src->body_error;
			not_a_feed = 1;
		} else {
			const struct feed_info *fi = parse_info(src->parse);

			ok = 1;
			entries = parse_entry_count(src->parse);
			/* how the feed names itself, for publishing */
			set_string(&src->st.feed_title, fi->title);
			set_string(&src->st.feed_link, fi->link);
			set_string(&src->st.feed_id, fi->id);
		}
	} else if (error == NULL && r->status == 304) {
		ok = unchanged = 1;
	} else if (error == NULL) {
		snprintf(src->body_error, sizeof(src->body_error), "HTTP %d", r->status);
		error = src->body_error;
		if (r->status == 429 || r->status == 503)
			retry_after = r->retry_after;
	}
	parse_free(src->parse);
	src->parse = NULL;

	st->last_poll = t;
	st->last_status = r->status;
	if (ok) {
		/* Validators as the server sent them; a 304 may omit them. */
		if (!unchanged || r->etag != NULL) {
			free(st->etag);
			st->etag = r->etag ? xstrdup(r->etag) : NULL;
		}
		if (!unchanged || r->last_modified != NULL) {
			free(st->last_modified);
			st->last_modified = r->last_modified ? xstrdup(r->last_modified) : NULL;
		}
		if (r->moved_to != NULL && strcmp(r->moved_to, st->url) != 0) {
			log_info("event=moved source=%s from=%s to=%s note=\"permanent redirect, url updated\"",
			    src->name, log_value(ev, sizeof(ev), st->url),
			    log_value(uv, sizeof(uv), r->moved_to));
			free(st->url);
			st->url = xstrdup(r->moved_to);
			sched_item_set_host(&d->sched, &src->item, st->url);
		}
		st->failures = 0;
		st->last_success = t;
		free(st->last_error);
		st->last_error = NULL;
		if (src->counts.n[DEDUP_DEFERRED] > 0) {
			/* entries wait for the next poll: it must get the body
			 * again, not a 304 */
			free(st->etag);
			free(st->last_modified);
			st->etag = st->last_modified = NULL;
			log_info("event=deferred source=%s entries=%lu note=\"ingest budget "
			    "spent, the rest at the next poll\"", src->name,
			    src->counts.n[DEDUP_DEFERRED]);
		}
	} else if (error != NULL && r->status == 410) {
		st->retired = 1;
		st->failures++;
		free(st->last_error);
		st->last_error = xstrdup("HTTP 410 Gone: retired");
	} else {
		st->failures++;
		free(st->last_error);
		st->last_error = xstrdup(error);
	}
	if (src->pending_interval > 0) {
		/* a reload changed it while the transfer ran */
		src->interval = src->pending_interval;
		src->pending_interval = 0;
	}
	delay = sched_delay(src->interval, st->failures, retry_after, uniform(d));
	st->next_poll = t + delay;
	if (retry_after > SCHED_MAX_RETRY_AFTER)
		retry_after = SCHED_MAX_RETRY_AFTER;
	st->retry_until = retry_after > 0 ? t + retry_after : 0;

	memset(&log, 0, sizeof(log));
	log.time = t;
	log.status = r->status;
	log.bytes = r->bytes;
	log.duration_ms = (int)r->duration_ms;
	log.error = ok ? NULL : st->last_error;
	save_source(d, src, &log);
	daemon_count_poll(d, r, !ok ? POLL_FAILED : unchanged ? POLL_UNCHANGED : POLL_FETCHED,
	    not_a_feed);

	if (st->retired)
		log_warnx("event=retired source=%s status=410 url=%s note=\"gone, not polled again\"",
		    src->name, log_value(uv, sizeof(uv), st->url));
	else if (unchanged)
		log_info("event=unchanged source=%s status=304 ms=%lld next=%s",
		    src->name, (long long)r->duration_ms, fmt_duration(when, sizeof(when), delay));
	else if (ok)
		log_info("event=fetched source=%s status=%d bytes=%lld entries=%zu "
		    "new=%lu updated=%lu duplicate=%lu unchanged=%lu%s ms=%lld next=%s",
		    src->name, r->status, (long long)r->bytes, entries,
		    src->counts.n[DEDUP_NEW], src->counts.n[DEDUP_UPDATED],
		    src->counts.n[DEDUP_DUPLICATE], src->counts.n[DEDUP_UNCHANGED],
		    counts_extra(ev, sizeof(ev), &src->counts),
		    (long long)r->duration_ms, fmt_duration(when, sizeof(when), delay));
	else
		log_warnx("event=failed source=%s status=%d error=%s failures=%d%s%s next=%s",
		    src->name, r->status, log_value(ev, sizeof(ev), error), st->failures,
		    retry_after > 0 ? " retry_after=" : "",
		    retry_after > 0 ? fmt_duration(uv, sizeof(uv), retry_after) : "",
		    fmt_duration(when, sizeof(when), delay));

	if (src->counts.n[DEDUP_NEW] + src->counts.n[DEDUP_UPDATED] +
	    src->counts.n[DEDUP_DUPLICATE] > 0)
		daemon_publish_soon(d);
	/* the sources overdue at start are in: digests may go */
	if (src->initial) {
		src->initial = 0;
		if (--d->initial_polls == 0)
			daemon_digests_start(d);
	}
	if (src->removed) {
		LIST_REMOVE(src, orphan_link);
		source_free(d, src);
	} else if (apply_pending_url(d, src))
		source_start(d, src);
	else
		source_schedule(src, st->next_poll - t);
}

static void
on_done(void *arg, const struct fetch_result *r)
{
	struct source *src = arg;
	struct daemon *d = src->d;

	poll_finished(src, r);
	dispatch(d);
}

static void
poll_start(struct daemon *d, struct source *src)
{
	struct fetch_options o;
	char v[LOG_VALUE_MAX];

	memset(&o, 0, sizeof(o));
	o.url = src->st.url;
	o.etag = src->st.etag;
	o.last_modified = src->st.last_modified;
	o.max_body = d->conf.max_body;
	o.connect_timeout = (long)d->conf.connect_timeout;
	o.timeout = (long)d->conf.timeout;
	src->body_error[0] = '\0';
	memset(&src->counts, 0, sizeof(src->counts));
	src->ingest_seconds = 0;
	ev_timer_stop(d->loop, &src->timer);
	log_debug("event=poll source=%s url=%s", src->name,
	    log_value(v, sizeof(v), src->st.url));
	src->fetch = fetch_start(d->fetcher, &o, on_body, on_done, src);
	if (src->fetch == NULL) {
		/* libcurl refused the URL itself: record it like any failure;
		 * dispatch's own loop goes on with the next source */
		struct fetch_result r = { .error = "the URL cannot be fetched" };

		poll_finished(src, &r);
	}
}

static void
dispatch(struct daemon *d)
{
	struct sched_item *it;

	if (d->stopping)
		return;
	while ((it = sched_next(&d->sched)) != NULL)
		poll_start(d, it->owner);
	if (d->once && d->sched.active == 0 && d->sched.waiting == 0)
		ev_break(d->loop, EVBREAK_ALL);
}

/* ---- configuration ---- */

static void
log_conf_errors(const struct conf_errors *errs, const char *during)
{
	for (size_t i = 0; i < errs->n; i++)
		log_warnx("%s%s", during, errs->v[i]);
}

/* Build d->sources from d->conf and load their rows (at start). */
static int
sources_from_conf(struct daemon *d)
{
	d->nsources = d->conf.nsources;
	d->sources = xcalloc(d->nsources ? d->nsources : 1, sizeof(*d->sources));
	for (size_t i = 0; i < d->nsources; i++)
		d->sources[i] = source_new(d, &d->conf.sources[i]);
	qsort(d->sources, d->nsources, sizeof(*d->sources), source_cmp);
	for (size_t i = 0; i < d->nsources; i++)
		if (source_load(d, d->sources[i]) == -1)
			return -1;
	if (store_commit(d->store) == -1) {
		store_failed(d);
		return -1;
	}
	return 0;
}

static void
reload(struct daemon *d)
{
	struct conf c;
	struct conf_errors errs;
	struct source **next;
	struct tagger *tagger;
	size_t n, added = 0, changed = 0, removed = 0;

	log_info("event=reload path=%s", d->conf.path);
	notify_reloading();
	if (conf_load(&c, d->conf.path, &errs) == -1 ||
	    (conf_errors_release(&errs), tagger_load(&tagger, c.fields_path, &errs)) == -1) {
		log_conf_errors(&errs, "reload: ");
		log_warnx("event=reload result=rejected errors=%zu note=\"keeping the running configuration\"",
		    errs.n);
		conf_errors_release(&errs);
		conf_release(&c);
		daemon_status(d, 1);
		return;
	}
	conf_errors_release(&errs);
	daemon_counters_retag(d, d->tagger, tagger);
	tagger_free(d->tagger);
	d->tagger = tagger;
	if (strcmp(c.state_dir, d->conf.state_dir) != 0)
		log_warnx("event=reload note=\"state_dir changes take effect at the next start\"");
	if (strcmp(c.listen, d->conf.listen) != 0 || strcmp(c.output_dir, d->conf.output_dir) != 0)
		log_warnx("event=reload note=\"listen and output_dir changes take effect at the next start\"");

	n = c.nsources;
	next = xcalloc(n ? n : 1, sizeof(*next));
	for (size_t i = 0; i < n; i++) {
		const struct conf_source *cs = &c.sources[i];
		struct source *src = find_source(d, cs->name);
		int64_t interval = conf_source_interval(&c, cs);

		if (src == NULL && (src = find_orphan(d, cs->name)) != NULL) {
			/* removed by an earlier reload, transfer still running:
			 * it is back, with whatever settings the file gives */
			LIST_REMOVE(src, orphan_link);
			src->removed = 0;
		}
		if (src == NULL) {
			src = source_new(d, cs);
			src->interval = interval;
			src->removed = -1;	/* marks it new, below */
			added++;
		} else if (src->fetch != NULL) {
			/* the transfer runs on; its end applies the file's settings,
			 * the latest file's only */
			int url_changed = strcmp(src->configured_url, cs->url) != 0;

			free(src->pending_url);
			src->pending_url = url_changed ? xstrdup(cs->url) : NULL;
			src->pending_interval = src->interval != interval ? interval : 0;
			changed += url_changed || src->interval != interval;
		} else if (strcmp(src->configured_url, cs->url) != 0 ||
		    src->interval != interval) {
			changed++;
			if (strcmp(src->configured_url, cs->url) != 0) {
				free(src->configured_url);
				src->configured_url = xstrdup(cs->url);
				src->interval = interval;
				sched_dequeue(&d->sched, &src->item);
				if (source_load(d, src) == 0)
					src->removed = -2;	/* restart below */
			} else {
				/* same URL: keep the last poll, move the next */
				src->interval = interval;
				if (src->st.last_poll > 0 && !src->item.queued && src->st.failures == 0) {
					src->st.next_poll = src->st.last_poll +
					    sched_jitter(interval, uniform(d));
					save_source(d, src, NULL);
					source_schedule(src, src->st.next_poll > now(d) ?
					    src->st.next_poll - now(d) : 0);
				}
			}
		}
		source_set_fields(src, cs);
		next[i] = src;
	}
	/* whatever is not in the new file goes */
	for (size_t i = 0; i < d->nsources; i++) {
		struct source *src = d->sources[i];
		int kept = 0;

		for (size_t j = 0; j < n && !kept; j++)
			kept = next[j] == src;
		if (kept)
			continue;
		removed++;
		log_info("event=removed source=%s%s", src->name,
		    src->fetch ? " note=\"its running transfer finishes first\"" : "");
		if (src->fetch != NULL) {
			ev_timer_stop(d->loop, &src->timer);
			src->removed = 1;	/* freed when its transfer ends */
			LIST_INSERT_HEAD(&d->orphans, src, orphan_link);
		} else
			source_free(d, src);
	}
	free(d->sources);
	d->sources = next;
	d->nsources = n;
	qsort(d->sources, d->nsources, sizeof(*d->sources), source_cmp);

	conf_release(&d->conf);
	d->conf = c;
	sched_set_limits(&d->sched, d->conf.max_per_host, d->conf.max_transfers);

	for (size_t i = 0; i < d->nsources; i++) {
		struct source *src = d->sources[i];

		if (src->removed == -1) {
			src->removed = 0;
			if (source_load(d, src) == 0) {
				log_info("event=added source=%s", src->name);
				source_start(d, src);
			}
		} else if (src->removed == -2) {
			src->removed = 0;
			log_info("event=changed source=%s note=\"new url, starting afresh\"", src->name);
			source_start(d, src);
		}
	}
	log_info("event=reload result=ok sources=%zu added=%zu changed=%zu removed=%zu",
	    d->nsources, added, changed, removed);
	daemon_publish_soon(d);	/* fields, sources or base_url may have changed */
	if (!d->once && d->digests_started)
		daemon_digests_sync(d);
	else if (!d->once && d->conf.ndigests > 0 && !ev_is_active(&d->digest_start))
		ev_timer_start(d->loop, &d->digest_start);
	dispatch(d);
	daemon_status(d, 1);
}

/* ---- signals ---- */

static void
stop(struct daemon *d, const char *why)
{
	size_t aborted = 0;

	if (d->stopping)
		return;
	d->stopping = 1;
	notify_stopping();
	for (size_t i = 0; i < d->nsources; i++) {
		struct source *src = d->sources[i];

		ev_timer_stop(d->loop, &src->timer);
		sched_dequeue(&d->sched, &src->item);
		if (src->fetch != NULL) {
			/* an aborted poll is not a failure: its schedule stays,
			 * and it runs again soon after the next start */
			fetch_cancel(src->fetch);
			src->fetch = NULL;
			sched_done(&d->sched, &src->item);
			parse_free(src->parse);
			src->parse = NULL;
			aborted++;
		}
	}
	/* sources dropped by a reload whose transfers still ran */
	while (!LIST_EMPTY(&d->orphans)) {
		struct source *src = LIST_FIRST(&d->orphans);

		LIST_REMOVE(src, orphan_link);
		source_free(d, src);
		aborted++;
	}
	log_info("event=stop signal=%s aborted=%zu", why, aborted);
	ev_break(d->loop, EVBREAK_ALL);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		if (d->once)
			log_info("event=reload note=\"ignored in --once\"");
		else
			reload(d);
		break;
	case SIGTERM:
		stop(d, "SIGTERM");
		break;
	case SIGINT:
		stop(d, "SIGINT");
		break;
	case SIGUSR1:
		if (d->once) {
			log_info("event=poll-all note=\"ignored in --once\"");
			break;
		}
		log_info("event=poll-all sources=%zu", d->nsources);
		for (size_t i = 0; i < d->nsources; i++) {
			struct source *src = d->sources[i];

			/* a server's Retry-After binds us even when asked */
			if (src->st.retired || src->fetch != NULL || held_by_server(d, src))
				continue;
			ev_timer_stop(d->loop, &src->timer);
			sched_enqueue(&d->sched, &src->item);
		}
		dispatch(d);
		break;
	}
}

static void
signal_watch(struct daemon *d, ev_signal *w, int signum)
{
	ev_signal_init(w, signal_cb, signum);
	w->data = d;
	ev_signal_start(d->loop, w);
}

int
daemon_run(const struct daemon_options *o)
{
	struct daemon dd, *d = &dd;
	struct conf_errors errs;
	char *err = NULL;
	size_t retired = 0;

	memset(d, 0, sizeof(*d));
	LIST_INIT(&d->orphans);
	d->once = o->once;
	d->notify = getenv("NOTIFY_SOCKET") != NULL;
	d->clock_offset = o->clock_offset;
	d->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;
	d->started = (int64_t)time(NULL) + d->clock_offset;
	if (conf_load(&d->conf, o->config_path, &errs) == -1) {
		log_conf_errors(&errs, "");
		log_warnx("cannot start: %zu problem%s in the configuration", errs.n,
		    errs.n == 1 ? "" : "s");
		conf_errors_release(&errs);
		conf_release(&d->conf);
		return 1;
	}
	conf_errors_release(&errs);
	if (tagger_load(&d->tagger, d->conf.fields_path, &errs) == -1) {
		log_conf_errors(&errs, "");
		log_warnx("cannot start: %zu problem%s in the taxonomy", errs.n,
		    errs.n == 1 ? "" : "s");
		conf_errors_release(&errs);
		conf_release(&d->conf);
		return 1;
	}
	conf_errors_release(&errs);
	daemon_counters_retag(d, NULL, d->tagger);
	if (store_open(&d->store, d->conf.state_dir, &err) == -1) {
		log_warnx("cannot start: %s", err);
		free(err);
		tagger_free(d->tagger);
		daemon_counters_release(d);
		conf_release(&d->conf);
		return 1;
	}
	/* a peer closing a socket must be an error return, not a signal */
	signal(SIGPIPE, SIG_IGN);
	d->loop = ev_default_loop(EVFLAG_AUTO);
	d->fetcher = fetcher_new(d->loop, daemon_user_agent());
	sched_init(&d->sched, d->conf.max_per_host, d->conf.max_transfers);
	ev_prepare_init(&d->commit, commit_cb);
	d->commit.data = d;
	ev_prepare_start(d->loop, &d->commit);
	signal_watch(d, &d->sighup, SIGHUP);
	signal_watch(d, &d->sigterm, SIGTERM);
	signal_watch(d, &d->sigint, SIGINT);
	signal_watch(d, &d->sigusr1, SIGUSR1);
	ev_timer_init(&d->prune, prune_cb, PRUNE_EVERY, PRUNE_EVERY);
	d->prune.data = d;
	ev_timer_init(&d->publish, daemon_publish_cb, PUBLISH_DELAY, 0.);
	d->publish.data = d;
	ev_timer_init(&d->digest_start, daemon_digests_start_cb, DIGEST_START_WAIT, 0.);
	d->digest_start.data = d;
	ev_timer_init(&d->status_timer, daemon_status_cb, STATUS_EVERY, STATUS_EVERY);
	d->status_timer.data = d;
	prune(d);
	if (!d->once)
		ev_timer_start(d->loop, &d->prune);

	if (sources_from_conf(d) == -1) {
		d->status = 1;
	} else {
		for (size_t i = 0; i < d->nsources; i++)
			retired += d->sources[i]->st.retired != 0;
		log_info("event=start version=%s config=%s sources=%zu retired=%zu mode=%s",
		    PACKAGE_VERSION, d->conf.path, d->nsources, retired,
		    d->once ? "once" : "daemon");
		if (!d->once && d->conf.listen[0] != '\0') {
			struct httpd_hooks hooks = {
				.health = daemon_health,
				.metrics = daemon_metrics,
				.metrics_type = METRICS_CONTENT_TYPE,
				.arg = d,
			};
			char *herr;

			d->httpd = httpd_start(d->loop, d->conf.listen, d->conf.output_dir,
			    &hooks, &herr);
			if (d->httpd == NULL) {
				char v[LOG_VALUE_MAX];

				/* the feeds are still polled and published to disk */
				log_warnx("event=http-failed error=%s", log_value(v, sizeof(v), herr));
				free(herr);
			} else
				log_info("event=listening address=%s", d->conf.listen);
		}
		for (size_t i = 0; i < d->nsources; i++)
			source_start(d, d->sources[i]);
		dispatch(d);
		/* files missing or out of date from an earlier run are mended
		 * at once; --once publishes when its polls are done */
		if (!d->once) {
			daemon_publish_soon(d);
			if (d->conf.ndigests > 0)
				ev_timer_start(d->loop, &d->digest_start);
			/* digests wait for the sources overdue now */
			for (size_t i = 0; i < d->nsources; i++) {
				struct source *src = d->sources[i];

				if (!src->st.retired && !held_by_server(d, src) &&
				    src->st.next_poll <= now(d)) {
					src->initial = 1;
					d->initial_polls++;
				}
			}
			if (d->initial_polls == 0)
				daemon_digests_start(d);
			/* systemd: configuration, database and listener are
			 * ready; then a watchdog and a status line, if asked */
			daemon_status(d, 1);
			notify_watchdog_start(d->loop, &d->watchdog);
			if (d->notify)
				ev_timer_start(d->loop, &d->status_timer);
		}
		if (!d->once || d->sched.active > 0 || d->sched.waiting > 0)
			ev_run(d->loop, 0);
		if (d->once && !d->stopping) {
			daemon_publish(d);
			log_info("event=done sources=%zu", d->nsources);
		} else if (ev_is_active(&d->publish))
			daemon_publish(d);	/* a change not yet published */
	}

	if (!d->stopping) {
		for (size_t i = 0; i < d->nsources; i++)
			ev_timer_stop(d->loop, &d->sources[i]->timer);
	}
	for (size_t i = 0; i < d->nsources; i++)
		source_free(d, d->sources[i]);
	while (!LIST_EMPTY(&d->orphans)) {
		struct source *src = LIST_FIRST(&d->orphans);

		LIST_REMOVE(src, orphan_link);
		source_free(d, src);
	}
	free(d->sources);
	mail_abort_all();	/* a sendmail still running: killed, run kept */
	daemon_digests_stop(d);
	publisher_free(d->publisher);
	httpd_stop(d->httpd);
	fetcher_free(d->fetcher);
	if (store_commit(d->store) == -1) {
		store_failed(d);
		d->status = 1;
	}
	ev_prepare_stop(d->loop, &d->commit);
	ev_timer_stop(d->loop, &d->prune);
	ev_timer_stop(d->loop, &d->publish);
	ev_timer_stop(d->loop, &d->digest_start);
	ev_timer_stop(d->loop, &d->status_timer);
	notify_watchdog_stop(d->loop, &d->watchdog);
	ev_signal_stop(d->loop, &d->sighup);
	ev_signal_stop(d->loop, &d->sigterm);
	ev_signal_stop(d->loop, &d->sigint);
	ev_signal_stop(d->loop, &d->sigusr1);
	sched_release(&d->sched);
	store_close(d->store);
	tagger_free(d->tagger);
	daemon_counters_release(d);
	conf_release(&d->conf);
	return d->status;
}
