/*
 * daemon_publish: the daemon's publishing (publish.h, after changes) and
 * the /healthz summary its HTTP server gives.
 */
#include "config.h"

#include <stdlib.h>

#include <ev.h>
#include <jansson.h>

#include "daemon_int.h"
#include "date.h"
#include "log.h"
#include "publish.h"
#include "store.h"
#include "xmalloc.h"

/* Write the published files for what changed, and commit. */
void
daemon_publish(struct daemon *d)
{
	struct publish_stats st;
	double start = ev_time();
	char *err;

	ev_timer_stop(d->loop, &d->publish);
	if (d->publisher == NULL)
		d->publisher = publisher_new();
	if (publish_run(d->publisher, d->store, d->tagger, &d->conf, &st, &err) == -1) {
		char v[LOG_VALUE_MAX];

		log_warnx("event=publish-failed error=%s", log_value(v, sizeof(v), err));
		free(err);
		d->counters.publish_failures++;
		/* what was not published stays noted; the next change retries */
		if (store_commit(d->store) == -1)
			daemon_store_failed(d);
		return;
	}
	if (store_commit(d->store) == -1) {
		daemon_store_failed(d);
		d->counters.publish_failures++;
		return;
	}
	d->counters.publishes++;
	d->counters.publish_last = ev_time() - start;
	d->counters.publish_seconds += d->counters.publish_last;
	log_info("event=published releases=%zu feeds=%zu written=%zu unchanged=%zu%s ms=%lld",
	    st.releases, st.feeds, st.written, st.unchanged, st.full ? " full=yes" : "",
	    (long long)((ev_time() - start) * 1000));
	/* systemctl status shows the new releases now, not at the next
	 * STATUS_EVERY tick (it sends nothing when the line is the same) */
	daemon_status(d, 0);
}

void
daemon_publish_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_publish(w->data);
}

/* Publish soon (once for a burst of changes). */
void
daemon_publish_soon(struct daemon *d)
{
	if (d->once || ev_is_active(&d->publish))
		return;
	ev_timer_set(&d->publish, PUBLISH_DELAY, 0.);
	ev_timer_start(d->loop, &d->publish);
}

/* Healthy while some source succeeded within three intervals (or the
 * daemon is younger than that): a source down is news, all down is not. */
char *
daemon_health(void *arg, int *ok)
{
	struct daemon *d = arg;
	int64_t t = daemon_now(d), last = 0, stale = 3 * d->conf.interval;
	size_t failing = 0, retired = 0;
	char when[DATE_RFC3339_SIZE];
	json_t *o;
	char *text;

	if (stale < 15 * 60)
		stale = 15 * 60;
	for (size_t i = 0; i < d->nsources; i++) {
		const struct store_source *st = &d->sources[i]->st;

		if (st->last_success > last)
			last = st->last_success;
		failing += st->failures > 0;
		retired += st->retired != 0;
	}
	*ok = d->nsources == 0 || t - (last > d->started ? last : d->started) <= stale;
	o = json_object();
	json_object_set_new(o, "status", json_string(*ok ? "ok" : "stale"));
	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(o, "sources", json_integer((json_int_t)d->nsources));
	json_object_set_new(o, "failing", json_integer((json_int_t)failing));
	json_object_set_new(o, "retired", json_integer((json_int_t)retired));
	json_object_set_new(o, "releases", json_integer((json_int_t)store_release_count(d->store)));
	if (last > 0) {
		date_format_rfc3339(last, when);
		json_object_set_new(o, "last_success", json_string(when));
	} else
		json_object_set_new(o, "last_success", json_null());
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text ? text : xstrdup("{}");
}

