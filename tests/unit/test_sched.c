/*
 * The schedule with made-up clocks: jitter bounds, backoff doubling and its
 * cap, Retry-After winning over a shorter backoff, resuming after a restart;
 * and the run queue's per-host and global caps.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sched.h"
#include "tap.h"

#define HOUR	3600
#define DAY	(24 * HOUR)

static void
test_policy(void)
{
	int64_t lo = DAY, hi = 0;
	int jitter_ok = 1;

	tap_is_int(sched_jitter(1800, 0.5), 1800, "u = 0.5 leaves the interval as it is");
	tap_is_int(sched_jitter(1800, 0.0), 1620, "u = 0 gives the interval less 10%");
	tap_ok(sched_jitter(1800, 0.9999) <= 1980 && sched_jitter(1800, 0.9999) >= 1979,
	    "u close to 1 gives the interval plus 10%");
	for (int i = 0; i < 1000; i++) {
		int64_t j = sched_jitter(1800, (double)i / 1000.0);

		if (j < 1620 || j > 1980)
			jitter_ok = 0;
		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
	}
	tap_ok(jitter_ok, "jitter stays within +-10%");
	tap_ok(hi - lo > 300, "jitter spreads across the range");
	tap_is_int(sched_jitter(1, 0.0), 1, "a delay never drops below one second");

	tap_is_int(sched_delay(1800, 0, 0, 0.5), 1800, "success: the interval");
	tap_is_int(sched_delay(1800, 1, 0, 0.5), 3600, "one failure: twice the interval");
	tap_is_int(sched_delay(1800, 3, 0, 0.5), 14400, "three failures: eight times");
	tap_is_int(sched_delay(1800, 6, 0, 0.5), DAY, "backoff is capped at 24 h");
	tap_is_int(sched_delay(1800, 60, 0, 0.5), DAY, "a long streak stays capped (no overflow)");
	tap_ok(sched_delay(1800, 60, 0, 0.999) <= DAY,
	    "the backoff cap is never exceeded, jitter or not");
	tap_ok(sched_delay(1800, 60, 0, 0.0) < DAY,
	    "backoffs at the cap are still spread");
	tap_is_int(sched_delay(7 * DAY, 0, 0, 0.5), 7 * DAY,
	    "an interval of a week is kept after a success (the cap is for backoff)");
	tap_is_int(sched_delay(7 * DAY, 1, 0, 0.5), DAY,
	    "a failing weekly source is retried within a day");
	tap_ok(sched_jitter(INT64_MAX, 0.5) > 0 && sched_jitter(INT64_MAX, 0.5) <= SCHED_MAX_DELAY,
	    "an absurd delay neither overflows nor passes a year");
	tap_is_int(sched_delay(1800, 1, 5 * HOUR, 0.5), 5 * HOUR,
	    "Retry-After longer than the backoff wins");
	tap_is_int(sched_delay(1800, 1, 60, 0.5), 3600,
	    "Retry-After shorter than the backoff does not shorten it");
	tap_is_int(sched_delay(1800, 1, 3600, 0.0), 3600,
	    "jitter never brings the poll before Retry-After");
	tap_is_int(sched_delay(1800, 1, 365LL * DAY, 0.5), DAY,
	    "a Retry-After of a year is capped at a day");

	tap_is_int(sched_resume_delay(1000000, 0, 1800, 0.7), 0,
	    "a source never polled goes at once");
	tap_is_int(sched_resume_delay(1000000, 1000000 + 600, 1800, 0.7), 600,
	    "a known source keeps what is left of its schedule");
	tap_ok(sched_resume_delay(1000000, 1000000 - 7200, 1800, 0.7) <= SCHED_RESUME_SPREAD,
	    "an overdue source goes within the resume spread");
	tap_ok(sched_resume_delay(1000000, 1000000 - 7200, 1800, 0.1) !=
	    sched_resume_delay(1000000, 1000000 - 7200, 1800, 0.9),
	    "overdue sources are spread, not fired together");
}

static void
test_queue(void)
{
	struct sched s;
	struct sched_item items[10];
	struct sched_item *it, *got[10];
	int n = 0, a_active = 0;

	sched_init(&s, 2, 3);
	for (int i = 0; i < 10; i++) {
		items[i] = (struct sched_item){ .owner = &items[i] };
		/* six on one host (in two spellings), four on four others */
		sched_item_set_host(&s, &items[i], i < 6 ?
		    (i % 2 ? "http://A.example.org/f" : "https://a.example.org:8443/g") :
		    (i == 6 ? "http://b.example.org/" : i == 7 ? "http://c.example.org/" :
		    i == 8 ? "http://d.example.org/" : "file:///tmp/x.xml"));
	}
	tap_ok(items[0].host == items[1].host, "host names compare case-insensitively, port aside");
	tap_is_str(items[9].host->name, "", "a file: URL has the empty host");
	for (int i = 0; i < 10; i++)
		sched_enqueue(&s, &items[i]);
	sched_enqueue(&s, &items[0]);
	tap_is_int((long long)s.waiting, 10, "enqueueing twice queues once");

	while ((it = sched_next(&s)) != NULL)
		got[n++] = it;
	tap_is_int(n, 3, "at most max_active transfers start");
	for (int i = 0; i < n; i++)
		a_active += got[i]->host == items[0].host;
	tap_ok(a_active <= 2, "at most per_host transfers to one host");
	tap_ok(got[0]->host != got[1]->host, "hosts take turns");

	/* finish everything as it starts, counting per-host peaks */
	int max_a = 0, total = n, cur_a = a_active;
	while (n > 0) {
		it = got[--n];
		if (it->host == items[0].host)
			cur_a--;
		sched_done(&s, it);
		while ((it = sched_next(&s)) != NULL) {
			got[n++] = it;
			total++;
			if (it->host == items[0].host && ++cur_a > max_a)
				max_a = cur_a;
		}
	}
	tap_is_int(total, 10, "every queued item runs once");
	tap_ok(max_a <= 2, "the per-host cap holds throughout");
	tap_is_int(s.active, 0, "nothing is left active");

	sched_enqueue(&s, &items[3]);
	sched_dequeue(&s, &items[3]);
	tap_ok(sched_next(&s) == NULL, "a dequeued item does not run");

	sched_set_limits(&s, 1, 1);
	sched_enqueue(&s, &items[0]);
	sched_enqueue(&s, &items[1]);
	it = sched_next(&s);
	tap_ok(it != NULL && sched_next(&s) == NULL, "lowered caps apply to new starts");
	sched_done(&s, it);
	tap_ok(sched_next(&s) != NULL, "a finished transfer makes room");
	sched_release(&s);
}

int
main(void)
{
	test_policy();
	test_queue();
	return tap_done();
}
