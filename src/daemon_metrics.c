/*
 * daemon_metrics: what the daemon counts, shown two ways: /metrics in the
 * Prometheus text format for monitoring, and the one-line STATUS= that
 * systemctl status shows. Counters are the process's own (they start at
 * zero with the process, as Prometheus expects of counters); gauges are
 * read from the running state and the database when asked.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "buf.h"
#include "daemon_int.h"
#include "fetch.h"
#include "metrics.h"
#include "notify.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

static const char *const outcome_names[POLL_OUTCOMES] = {
	"fetched", "unchanged", "failed",
};

static const char *const error_names[POLL_ERRORS] = {
	"dns", "connect", "timeout", "tls", "http", "too_large", "not_a_feed", "other",
};

void
daemon_count_poll(struct daemon *d, const struct fetch_result *r,
    enum poll_outcome outcome, int not_a_feed)
{
	struct daemon_counters *c = &d->counters;
	enum poll_error kind;

	c->polls[outcome]++;
	c->bytes += r->bytes > 0 ? (uint64_t)r->bytes : 0;
	if (outcome != POLL_FAILED)
		return;
	if (not_a_feed)
		kind = POLL_ERROR_NOT_A_FEED;
	else {
		switch (r->error_kind) {
		case FETCH_ERROR_NONE:
			kind = r->status >= 400 ? POLL_ERROR_HTTP : POLL_ERROR_OTHER;
			break;
		case FETCH_ERROR_DNS:
			kind = POLL_ERROR_DNS;
			break;
		case FETCH_ERROR_CONNECT:
			kind = POLL_ERROR_CONNECT;
			break;
		case FETCH_ERROR_TIMEOUT:
			kind = POLL_ERROR_TIMEOUT;
			break;
		case FETCH_ERROR_TLS:
			kind = POLL_ERROR_TLS;
			break;
		case FETCH_ERROR_TOO_LARGE:
			kind = POLL_ERROR_TOO_LARGE;
			break;
		case FETCH_ERROR_ABORTED:	/* only the parser stops a body */
			kind = POLL_ERROR_NOT_A_FEED;
			break;
		default:
			kind = POLL_ERROR_OTHER;
			break;
		}
	}
	c->errors[kind]++;
}

/* ---- /metrics ---- */

static void
family_by_label(struct buf *b, const char *name, const char *type, const char *help,
    const char *label, const char *const *values, const unsigned long *counts, size_t n)
{
	metrics_family(b, name, type, help);
	for (size_t i = 0; i < n; i++)
		metrics_sample(b, name, label, values[i], (double)counts[i]);
}

static void
one(struct buf *b, const char *name, const char *type, const char *help, double v)
{
	metrics_family(b, name, type, help);
	metrics_sample(b, name, NULL, NULL, v);
}

char *
daemon_metrics(void *arg)
{
	struct daemon *d = arg;
	const struct daemon_counters *c = &d->counters;
	struct buf b;
	unsigned long states[3] = { 0, 0, 0 };
	static const char *const state_names[3] = { "ok", "backoff", "retired" };
	const char *dedup_names[DEDUP_ERROR + 1];
	int64_t releases;

	buf_init(&b, (size_t)-1);
	metrics_family(&b, "feedmill_build_info", "gauge", "The running version (always 1).");
	metrics_sample(&b, "feedmill_build_info", "version", PACKAGE_VERSION, 1);
	one(&b, "feedmill_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the epoch.", (double)d->started);

	/* polling */
	family_by_label(&b, "feedmill_polls_total", "counter",
	    "Polls that ended, by result (unchanged: 304 Not Modified).",
	    "result", outcome_names, c->polls, POLL_OUTCOMES);
	family_by_label(&b, "feedmill_poll_errors_total", "counter",
	    "Failed polls, by kind of error.", "kind", error_names, c->errors, POLL_ERRORS);
	one(&b, "feedmill_fetched_bytes_total", "counter",
	    "Feed body bytes fetched (after decompression).", (double)c->bytes);
	for (size_t i = 0; i < d->nsources; i++) {
		const struct store_source *st = &d->sources[i]->st;

		states[st->retired ? 2 : st->failures > 0 ? 1 : 0]++;
	}
	family_by_label(&b, "feedmill_sources", "gauge",
	    "Configured sources: polled normally, in backoff after failures, retired (410 Gone).",
	    "state", state_names, states, 3);
	metrics_family(&b, "feedmill_source_failures", "gauge",
	    "Consecutive failed polls of each source (0 after a success).");
	for (size_t i = 0; i < d->nsources; i++)
		metrics_sample(&b, "feedmill_source_failures", "source", d->sources[i]->name,
		    d->sources[i]->st.failures);
	metrics_family(&b, "feedmill_source_last_success_seconds", "gauge",
	    "When each source was last polled successfully, in seconds since the epoch "
	    "(0: never).");
	for (size_t i = 0; i < d->nsources; i++)
		metrics_sample(&b, "feedmill_source_last_success_seconds", "source",
		    d->sources[i]->name, (double)d->sources[i]->st.last_success);

	/* releases */
	releases = store_release_count(d->store);
	one(&b, "feedmill_releases", "gauge", "Releases stored.",
	    releases < 0 ? 0 : (double)releases);
	for (int k = 0; k <= DEDUP_ERROR; k++)
		dedup_names[k] = dedup_result_name((enum dedup_result)k);
	family_by_label(&b, "feedmill_entries_total", "counter",
	    "Feed entries taken in, by what they were to the store.",
	    "result", dedup_names, c->entries, DEDUP_ERROR + 1);
	metrics_family(&b, "feedmill_duplicates_total", "counter",
	    "Duplicates collapsed: paragraphs repeated inside an item, copies of a "
	    "release from another feed or GUID, and revisions of a stored release.");
	metrics_sample(&b, "feedmill_duplicates_total", "kind", "within_item",
	    (double)c->repeats);
	metrics_sample(&b, "feedmill_duplicates_total", "kind", "across_feeds",
	    (double)c->entries[DEDUP_DUPLICATE]);
	metrics_sample(&b, "feedmill_duplicates_total", "kind", "update",
	    (double)c->entries[DEDUP_UPDATED]);
	metrics_family(&b, "feedmill_tags_total", "counter",
	    "Fields given to releases as they were filed (again), by field slug.");
	for (size_t i = 0; c->tags != NULL && i < tagger_nfields(d->tagger); i++)
		metrics_sample(&b, "feedmill_tags_total", "field",
		    tagger_field(d->tagger, i)->slug, (double)c->tags[i]);

	/* publishing */
	metrics_family(&b, "feedmill_publish_duration_seconds", "summary",
	    "Time spent writing the published files.");
	metrics_sample(&b, "feedmill_publish_duration_seconds_sum", NULL, NULL,
	    c->publish_seconds);
	metrics_sample(&b, "feedmill_publish_duration_seconds_count", NULL, NULL,
	    (double)c->publishes);
	one(&b, "feedmill_publish_last_duration_seconds", "gauge",
	    "How long the last publish took.", c->publish_last);
	one(&b, "feedmill_publish_failures_total", "counter",
	    "Publishes that failed (what they missed is retried).", (double)c->publish_failures);

	/* digests */
	one(&b, "feedmill_digests_sent_total", "counter",
	    "Digest messages the mail server or sendmail accepted.", (double)c->digests_sent);
	one(&b, "feedmill_digest_failures_total", "counter",
	    "Attempts to send a digest that failed (it stays pending and is retried).",
	    (double)c->digest_failures);
	metrics_family(&b, "feedmill_digests_pending", "gauge",
	    "Digest runs composed and not yet sent, by digest.");
	for (size_t i = 0; i < d->conf.ndigests; i++) {
		int n = store_digest_pending_count(d->store, d->conf.digests[i].name);

		metrics_sample(&b, "feedmill_digests_pending", "digest",
		    d->conf.digests[i].name, n < 0 ? 0 : n);
	}
	return buf_detach(&b);
}

/* ---- systemd's status line ---- */

void
daemon_status(struct daemon *d, int ready)
{
	size_t failing = 0, retired = 0;
	int64_t last = 0, releases;
	char text[sizeof(d->status_sent)], when[32] = "never";

	if (!d->notify)
		return;
	for (size_t i = 0; i < d->nsources; i++) {
		const struct store_source *st = &d->sources[i]->st;

		retired += st->retired != 0;
		failing += !st->retired && st->failures > 0;
		if (st->last_poll > last)
			last = st->last_poll;
	}
	if (last > 0) {
		time_t t = (time_t)last;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	}
	releases = store_release_count(d->store);
	snprintf(text, sizeof(text), "%zu source%s, %zu failing, %zu retired; %lld release%s; "
	    "last poll %s", d->nsources, d->nsources == 1 ? "" : "s", failing, retired,
	    (long long)releases, releases == 1 ? "" : "s", when);
	if (!ready && strcmp(text, d->status_sent) == 0)
		return;
	snprintf(d->status_sent, sizeof(d->status_sent), "%s", text);
	if (ready)
		notify_ready(text);
	else
		notify_status(text);
}

void
daemon_status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_status(w->data, 0);
}

/* ---- tag counters across a taxonomy reload ---- */

void
daemon_counters_retag(struct daemon *d, const struct tagger *old, const struct tagger *next)
{
	size_t n = tagger_nfields(next);
	unsigned long *tags = xcalloc(n ? n : 1, sizeof(*tags));

	for (size_t i = 0; old != NULL && d->counters.tags != NULL && i < n; i++) {
		const char *slug = tagger_field(next, i)->slug;

		for (size_t j = 0; j < tagger_nfields(old); j++)
			if (strcmp(tagger_field(old, j)->slug, slug) == 0)
				tags[i] = d->counters.tags[j];
	}
	free(d->counters.tags);
	d->counters.tags = tags;
}

void
daemon_counters_release(struct daemon *d)
{
	free(d->counters.tags);
	d->counters.tags = NULL;
}
