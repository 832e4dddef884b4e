/*
 * daemon_digest: each configured digest on its schedule (digest.h), in
 * the daemon's loop.
 *
 * A digest is due at the first `at` (on its zone's clocks) after its last
 * run, which the store remembers. When due: what its outbox holds pending
 * goes first; else a run is composed, stored as pending and committed,
 * then sent on the fetcher's multi handle, and marked sent when the
 * server took it. A failure stays pending and is retried with backoff.
 * A daemon that was down when a digest fell due sends one run at start,
 * covering the whole gap.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "conf.h"
#include "daemon_int.h"
#include "digest.h"
#include "log.h"
#include "mail.h"
#include "store.h"
#include "xmalloc.h"

#define RETRY_FIRST	10		/* seconds after a failed send */
#define RETRY_MAX	(60 * 60)
#define COMPOSE_RETRY	300		/* after the store failed composing */

struct digest_state {
	struct daemon	*d;
	char		*name;
	ev_timer	 timer;
	int		 sending;
	int		 removed;	/* by a reload, while sending */
	int		 attempts;	/* failed sends in a row */
	int64_t		 run;		/* the run being sent */
};

static void due_cb(struct ev_loop *loop, ev_timer *w, int revents);

static const struct conf_digest *
conf_of(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->conf.ndigests; i++)
		if (strcmp(d->conf.digests[i].name, name) == 0)
			return &d->conf.digests[i];
	return NULL;
}

static char *
last_key(const char *name)
{
	return xasprintf("digest/%s/last", name);
}

/* When the digest last ran (composed or found nothing), 0 if never. */
static int64_t
last_run(struct digest_state *ds)
{
	char *key = last_key(ds->name), *v = NULL;
	int64_t t = 0;

	if (store_meta_get(ds->d->store, key, &v) == 1)
		t = strtoll(v, NULL, 10);
	free(v);
	free(key);
	return t;
}

static int
set_last_run(struct digest_state *ds, int64_t t)
{
	char *key = last_key(ds->name), v[32];
	int r;

	snprintf(v, sizeof(v), "%lld", (long long)t);
	r = store_begin(ds->d->store) == -1 ? -1 : store_meta_set(ds->d->store, key, v);
	free(key);
	return r;
}

static void
arm(struct digest_state *ds, int64_t when)
{
	int64_t delay = when - daemon_now(ds->d);

	ev_timer_stop(ds->d->loop, &ds->timer);
	ev_timer_set(&ds->timer, delay > 0 ? (double)delay : 0., 0.);
	ev_timer_start(ds->d->loop, &ds->timer);
}

/* Wait for the next `at` after the last run. */
static void
schedule(struct digest_state *ds)
{
	const struct conf_digest *cd = conf_of(ds->d, ds->name);
	int64_t last = last_run(ds);

	if (cd == NULL)
		return;
	if (last == 0) {
		/* a new digest starts counting now */
		last = daemon_now(ds->d);
		if (set_last_run(ds, last) == -1)
			daemon_store_failed(ds->d);
	}
	arm(ds, digest_next_time(last, cd->at, cd->timezone));
}

static void
state_free(struct digest_state *ds)
{
	ev_timer_stop(ds->d->loop, &ds->timer);
	free(ds->name);
	free(ds);
}

static void
on_sent(void *arg, const char *error)
{
	struct digest_state *ds = arg;
	struct daemon *d = ds->d;
	int64_t t = daemon_now(d);
	char v[LOG_VALUE_MAX];

	ds->sending = 0;
	if (error != NULL)
		d->counters.digest_failures++;
	else
		d->counters.digests_sent++;
	if (ds->removed)
		return;		/* freed at the next reload or the end */
	if (error != NULL) {
		int64_t wait = RETRY_FIRST;

		for (int i = 0; i < ds->attempts && wait < RETRY_MAX; i++)
			wait *= 2;
		if (wait > RETRY_MAX)
			wait = RETRY_MAX;
		ds->attempts++;
		if (store_begin(d->store) == -1 ||
		    store_digest_mark_failed(d->store, ds->run, error, t + wait) == -1)
			daemon_store_failed(d);
		log_warnx("event=digest-failed digest=%s error=%s failures=%d retry=%llds",
		    ds->name, log_value(v, sizeof(v), error), ds->attempts, (long long)wait);
		arm(ds, t + wait);
		return;
	}
	ds->attempts = 0;
	if (store_begin(d->store) == -1 || store_digest_mark_sent(d->store, ds->run, t) == -1 ||
	    store_commit(d->store) == -1)
		daemon_store_failed(d);
	log_info("event=digest-sent digest=%s run=%lld", ds->name, (long long)ds->run);
	schedule(ds);
}

static void
send_run(struct digest_state *ds, const struct store_digest_run *run)
{
	const struct conf_digest *cd = conf_of(ds->d, ds->name);
	char *err = NULL;

	ds->sending = 1;
	ds->run = run->id;
	if (mail_send_start(ds->d->fetcher, &ds->d->conf, &cd->to, fileno(run->message),
	    run->message_len, on_sent, ds, &err) == -1) {
		on_sent(ds, err);
		free(err);
	}
}

/* The timer: send what is pending, or compose and send if due. */
static void
run_now(struct digest_state *ds)
{
	struct daemon *d = ds->d;
	const struct conf_digest *cd = conf_of(d, ds->name);
	struct store_digest_run run;
	int64_t t = daemon_now(d), *ids = NULL, last;
	size_t n = 0;
	char *err = NULL, v[LOG_VALUE_MAX];
	int r;

	if (ds->sending || cd == NULL)
		return;
	if ((r = store_digest_pending(d->store, ds->name, &run)) == -1) {
		daemon_store_failed(d);
		arm(ds, t + COMPOSE_RETRY);
		return;
	}
	if (r == 1) {
		if (run.next_attempt > t)
			arm(ds, run.next_attempt);
		else {
			log_info("event=digest-resend digest=%s run=%lld", ds->name, (long long)run.id);
			send_run(ds, &run);
		}
		store_digest_run_clear(&run);
		return;
	}
	last = last_run(ds);
	if (last == 0 || digest_next_time(last, cd->at, cd->timezone) > t) {
		schedule(ds);
		return;
	}
	r = digest_compose(d->store, d->tagger, &d->conf, cd, t, &run, &ids, &n, &err);
	if (r == -1) {
		log_warnx("event=digest-failed digest=%s error=%s", ds->name,
		    log_value(v, sizeof(v), err));
		free(err);
		arm(ds, t + COMPOSE_RETRY);
		return;
	}
	if (r == 1) {
		log_info("event=digest-empty digest=%s", ds->name);
		if (set_last_run(ds, t) == -1)
			daemon_store_failed(d);
		schedule(ds);
		return;
	}
	/* pending and committed before a byte goes out */
	if (store_begin(d->store) == -1 || store_digest_add(d->store, &run, ids, n) == -1 ||
	    set_last_run(ds, t) == -1 || store_commit(d->store) == -1) {
		daemon_store_failed(d);
		free(ids);
		store_digest_run_clear(&run);
		arm(ds, t + COMPOSE_RETRY);
		return;
	}
	log_info("event=digest-composed digest=%s run=%lld releases=%d", ds->name,
	    (long long)run.id, run.items);
	send_run(ds, &run);
	free(ids);
	store_digest_run_clear(&run);
}

static void
due_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run_now(w->data);
}

void
daemon_digests_sync(struct daemon *d)
{
	struct digest_state **next = xcalloc(d->conf.ndigests + d->ndigests + 1, sizeof(*next));
	size_t n = d->conf.ndigests;

	for (size_t i = 0; i < d->conf.ndigests; i++) {
		struct digest_state *ds = NULL;

		for (size_t j = 0; j < d->ndigests && ds == NULL; j++)
			if (d->digests[j] != NULL &&
			    strcmp(d->digests[j]->name, d->conf.digests[i].name) == 0) {
				ds = d->digests[j];
				ds->removed = 0;	/* back in the file */
				d->digests[j] = NULL;
			}
		if (ds == NULL) {
			ds = xcalloc(1, sizeof(*ds));
			ds->d = d;
			ds->name = xstrdup(d->conf.digests[i].name);
			ev_timer_init(&ds->timer, due_cb, 0., 0.);
			ds->timer.data = ds;
		}
		next[i] = ds;
	}
	for (size_t j = 0; j < d->ndigests; j++) {
		if (d->digests[j] == NULL)
			continue;
		if (d->digests[j]->sending) {
			/* gone from the file, its mail still on the way: kept
			 * until it lands, then freed by a later sync or the end */
			ev_timer_stop(d->loop, &d->digests[j]->timer);
			d->digests[j]->removed = 1;
			next[n++] = d->digests[j];
		} else
			state_free(d->digests[j]);
	}
	free(d->digests);
	d->digests = next;
	d->ndigests = n;
	/* due now (or pending) runs at once; the rest wait for their time */
	for (size_t i = 0; i < d->conf.ndigests; i++)
		run_now(d->digests[i]);
}

void
daemon_digests_start(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->digest_start);
	if (d->once || d->digests_started || d->stopping)
		return;
	d->digests_started = 1;
	daemon_digests_sync(d);
}

void
daemon_digests_start_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_digests_start(w->data);
}

void
daemon_digests_stop(struct daemon *d)
{
	for (size_t i = 0; i < d->ndigests; i++)
		state_free(d->digests[i]);
	free(d->digests);
	d->digests = NULL;
	d->ndigests = 0;
}
