/*
 * feedmill status [-c FILE]: the state of things for a human, read from
 * the configuration and the database (read-only, so it runs beside the
 * daemon): each source with its last poll, its result, its next poll and
 * its error streak; each digest with its last sending, what is pending and
 * when it runs next.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "conf.h"
#include "digest.h"
#include "log.h"
#include "store.h"

/* "2026-11-29 07:00" in the machine's local time, or "never". */
static const char *
local_time(int64_t t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0)
		return "never";
	localtime_r(&tt, &tm);
	strftime(buf, sz, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* "3m ago", "in 2h", "now": the distance from now, in its largest unit. */
static const char *
relative(int64_t t, int64_t now, char *buf, size_t sz)
{
	int64_t d = t - now, a = d < 0 ? -d : d;
	long long v;
	const char *unit;

	if (t <= 0)
		return "";
	if (a < 60)
		return d <= 0 ? "(just now)" : "(in under a minute)";
	if (a < 3600) {
		v = a / 60;
		unit = "m";
	} else if (a < 2 * 86400) {
		v = a / 3600;
		unit = "h";
	} else {
		v = a / 86400;
		unit = "d";
	}
	snprintf(buf, sz, d < 0 ? "(%lld%s ago)" : "(in %lld%s)", v, unit);
	return buf;
}

/* One line, no control characters: what a server sent stays on its line. */
static void
print_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void
print_source(struct store *s, const struct conf *c, const struct conf_source *cs,
    int64_t now)
{
	struct store_source st;
	char state[32], last[32], lastrel[32], next[32], nextrel[32], poll[72];
	int found;

	/* -1 is also a source the daemon has not seen yet (added since) */
	memset(&st, 0, sizeof(st));
	found = s != NULL && store_source_get(s, cs->name, &st) == 0;
	if (!found || st.last_poll == 0)
		snprintf(state, sizeof(state), "not polled yet");
	else if (st.retired)
		snprintf(state, sizeof(state), "retired (410)");
	else if (st.failures > 0)
		snprintf(state, sizeof(state), "failing x%d", st.failures);
	else if (st.last_status > 0)
		snprintf(state, sizeof(state), "ok (%d)", st.last_status);
	else
		snprintf(state, sizeof(state), "ok");
	snprintf(poll, sizeof(poll), "%s %s", local_time(st.last_poll, last, sizeof(last)),
	    relative(st.last_poll, now, lastrel, sizeof(lastrel)));
	printf("%-20s %-15s %-27s ", cs->name, state, poll);
	if (st.retired)
		printf("not polled again");
	else if (found && st.last_poll > 0)
		printf("%s %s", local_time(st.next_poll, next, sizeof(next)),
		    relative(st.next_poll > now ? st.next_poll : now, now, nextrel, sizeof(nextrel)));
	else
		printf("at start");
	putchar('\n');
	printf("%-20s url %s", "", found && st.url ? st.url : cs->url);
	if (found && st.url && strcmp(st.url, cs->url) != 0)
		printf(" (moved from %s)", cs->url);
	printf(", every %lldm\n", (long long)conf_source_interval(c, cs) / 60);
	if (found && st.last_error != NULL && (st.failures > 0 || st.retired)) {
		printf("%-20s error ", "");
		print_clean(st.last_error);
		if (st.last_success > 0)
			printf(" (last success %s)", local_time(st.last_success, last, sizeof(last)));
		putchar('\n');
	}
	if (found && st.retry_until > now)
		printf("%-20s the server asked to wait until %s\n", "",
		    local_time(st.retry_until, next, sizeof(next)));
	store_source_release(&st);
}

static int
print_digest(struct store *s, const struct conf_digest *cd, int64_t now)
{
	int64_t sent = 0;
	int pending = 0;
	char when[32], rel[32], next[32];
	int64_t at;

	if (s != NULL && (store_digest_last_sent(s, cd->name, &sent) == -1 ||
	    (pending = store_digest_pending_count(s, cd->name)) < 0)) {
		printf("%-20s cannot read its state: %s\n", cd->name, store_error(s));
		return -1;
	}
	at = digest_next_time(now, cd->at, cd->timezone);
	printf("%-20s last sent %s%s%s, pending %d, next %s (%02d:%02d %s)\n", cd->name,
	    local_time(sent, when, sizeof(when)), sent > 0 ? " " : "",
	    relative(sent, now, rel, sizeof(rel)), pending, local_time(at, next, sizeof(next)),
	    cd->at / 60, cd->at % 60, cd->timezone ? cd->timezone : "local time");
	return 0;
}

int
cmd_status(int argc, char **argv)
{
	struct conf c;
	struct store *s = NULL;
	const char *path;
	char *err = NULL;
	int next, r, status = 0;
	int64_t now = (int64_t)time(NULL);

	path = cmd_config_path(argc, argv, &next);
	if (next < argc) {
		fprintf(stderr, "usage: feedmill status [-c FILE]\n");
		return EXIT_USAGE;
	}
	if (cmd_load_config(&c, path) == -1)
		return 1;
	if ((r = store_open_readonly(&s, c.state_dir, &err)) == -1) {
		log_warnx("%s", err);
		free(err);
		conf_release(&c);
		return 1;
	}
	printf("feedmill %s, configuration %s\n", PACKAGE_VERSION, c.path);
	{
		long pid;
		int w = store_writer(c.state_dir, &pid);

		if (w == 1)
			printf("daemon: running (pid %ld)\n", pid);
		else if (w == 0)
			printf("daemon: not running\n");
		else
			printf("daemon: unknown (pid %ld runs; cannot tell what it is)\n", pid);
	}
	if (r == 1)
		printf("database: none yet in %s (the daemon has not run)\n", c.state_dir);
	else
		printf("database: %s/%s, %lld releases\n", c.state_dir, STORE_FILE,
		    (long long)store_release_count(s));
	printf("\nsources: %zu\n", c.nsources);
	if (c.nsources > 0)
		printf("%-20s %-15s %-27s %s\n", "NAME", "STATE", "LAST POLL", "NEXT POLL");
	for (size_t i = 0; i < c.nsources; i++)
		print_source(s, &c, &c.sources[i], now);
	if (c.ndigests > 0) {
		printf("\ndigests: %zu\n", c.ndigests);
		for (size_t i = 0; i < c.ndigests; i++)
			if (print_digest(s, &c.digests[i], now) == -1)
				status = 1;
	}
	store_close(s);
	conf_release(&c);
	return status;
}
