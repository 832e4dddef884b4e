#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sched.h"
#include "xmalloc.h"

int64_t
sched_jitter(int64_t seconds, double u)
{
	int64_t spread;

	/* no configuration reaches this, but no input may overflow it */
	if (seconds > SCHED_MAX_DELAY)
		seconds = SCHED_MAX_DELAY;
	spread = seconds / 100 * SCHED_JITTER_PERCENT + seconds % 100 * SCHED_JITTER_PERCENT / 100;
	int64_t r;

	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	/* u = 0 gives -spread, u -> 1 gives +spread */
	r = seconds - spread + (int64_t)((double)(2 * spread) * u + 0.5);
	return r < 1 ? 1 : r;
}

int64_t
sched_delay(int64_t interval, int failures, int64_t retry_after, double u)
{
	int64_t delay = interval;

	if (failures > 0) {
		/* backoff grows to a day at most, whatever the interval */
		for (int i = 0; i < failures && delay < SCHED_MAX_BACKOFF; i++)
			delay *= 2;
		if (delay > SCHED_MAX_BACKOFF)
			delay = SCHED_MAX_BACKOFF;
		delay = sched_jitter(delay, u);
		if (delay > SCHED_MAX_BACKOFF)
			delay = SCHED_MAX_BACKOFF;
	} else
		delay = sched_jitter(delay, u);
	if (retry_after > SCHED_MAX_RETRY_AFTER)
		retry_after = SCHED_MAX_RETRY_AFTER;
	/* jitter must not bring us back before the server said we may */
	if (delay < retry_after)
		delay = retry_after;
	return delay;
}

int64_t
sched_resume_delay(int64_t now, int64_t next_poll, int64_t interval, double u)
{
	int64_t spread = interval / 10;

	if (next_poll == 0)
		return 0;
	if (next_poll > now)
		return next_poll - now;
	if (spread > SCHED_RESUME_SPREAD)
		spread = SCHED_RESUME_SPREAD;
	if (u < 0 || u >= 1)
		u = 0;
	return (int64_t)((double)spread * u);
}

/* ---- run queue ---- */

void
sched_init(struct sched *s, int per_host, int max_active)
{
	memset(s, 0, sizeof(*s));
	TAILQ_INIT(&s->ready);
	sched_set_limits(s, per_host, max_active);
}

static int
host_has_room(const struct sched *s, const struct sched_host *h)
{
	return h->active < s->per_host && !TAILQ_EMPTY(&h->waiting);
}

static void
host_update_ready(struct sched *s, struct sched_host *h)
{
	int want = host_has_room(s, h);

	if (want && !h->ready) {
		TAILQ_INSERT_TAIL(&s->ready, h, ready_link);
		h->ready = 1;
	} else if (!want && h->ready) {
		TAILQ_REMOVE(&s->ready, h, ready_link);
		h->ready = 0;
	}
}

void
sched_set_limits(struct sched *s, int per_host, int max_active)
{
	s->per_host = per_host < 1 ? 1 : per_host;
	s->max_active = max_active < 1 ? 1 : max_active;
	for (size_t i = 0; i < s->nhosts; i++)
		host_update_ready(s, s->hosts[i]);
}

void
sched_release(struct sched *s)
{
	for (size_t i = 0; i < s->nhosts; i++) {
		free(s->hosts[i]->name);
		free(s->hosts[i]);
	}
	free(s->hosts);
	memset(s, 0, sizeof(*s));
	TAILQ_INIT(&s->ready);
}

/* The politeness unit is the host name: "HTTP://Example.ORG:8080/x" and
 * "https://example.org/y" share one. */
static char *
url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *r;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK)
		curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_cleanup(u);
	r = xstrdup(host ? host : "");
	curl_free(host);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static struct sched_host *
intern_host(struct sched *s, char *name)
{
	size_t lo = 0, hi = s->nhosts;
	struct sched_host *h;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, s->hosts[mid]->name);

		if (c == 0) {
			free(name);
			return s->hosts[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (s->nhosts == s->hosts_alloc) {
		s->hosts_alloc = s->hosts_alloc ? s->hosts_alloc * 2 : 16;
		s->hosts = xrealloc(s->hosts, s->hosts_alloc * sizeof(*s->hosts));
	}
	h = xcalloc(1, sizeof(*h));
	h->name = name;
	TAILQ_INIT(&h->waiting);
	memmove(s->hosts + lo + 1, s->hosts + lo, (s->nhosts - lo) * sizeof(*s->hosts));
	s->hosts[lo] = h;
	s->nhosts++;
	return h;
}

/* A host no item points at goes, so that a server redirecting to a new
 * name on every poll cannot grow the table. */
static void
release_host(struct sched *s, struct sched_host *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	for (size_t i = 0; i < s->nhosts; i++) {
		if (s->hosts[i] != h)
			continue;
		memmove(s->hosts + i, s->hosts + i + 1, (s->nhosts - i - 1) * sizeof(*s->hosts));
		s->nhosts--;
		break;
	}
	if (h->ready)
		TAILQ_REMOVE(&s->ready, h, ready_link);
	free(h->name);
	free(h);
}

void
sched_item_set_host(struct sched *s, struct sched_item *it, const char *url)
{
	struct sched_host *h;

	if (it->queued || it->active)
		return;
	h = intern_host(s, url_host(url));
	h->refs++;
	release_host(s, it->host);
	it->host = h;
}

void
sched_item_clear(struct sched *s, struct sched_item *it)
{
	sched_dequeue(s, it);
	if (it->active)
		sched_done(s, it);
	release_host(s, it->host);
	it->host = NULL;
}

void
sched_enqueue(struct sched *s, struct sched_item *it)
{
	if (it->queued || it->active || it->host == NULL)
		return;
	TAILQ_INSERT_TAIL(&it->host->waiting, it, link);
	it->queued = 1;
	s->waiting++;
	host_update_ready(s, it->host);
}

void
sched_dequeue(struct sched *s, struct sched_item *it)
{
	if (!it->queued)
		return;
	TAILQ_REMOVE(&it->host->waiting, it, link);
	it->queued = 0;
	s->waiting--;
	host_update_ready(s, it->host);
}

struct sched_item *
sched_next(struct sched *s)
{
	struct sched_host *h;
	struct sched_item *it;

	if (s->active >= s->max_active || (h = TAILQ_FIRST(&s->ready)) == NULL)
		return NULL;
	it = TAILQ_FIRST(&h->waiting);
	TAILQ_REMOVE(&h->waiting, it, link);
	it->queued = 0;
	it->active = 1;
	s->waiting--;
	h->active++;
	s->active++;
	/* to the back of the line, if it still has work and room */
	TAILQ_REMOVE(&s->ready, h, ready_link);
	h->ready = 0;
	host_update_ready(s, h);
	return it;
}

void
sched_done(struct sched *s, struct sched_item *it)
{
	if (!it->active)
		return;
	it->active = 0;
	it->host->active--;
	s->active--;
	host_update_ready(s, it->host);
}
