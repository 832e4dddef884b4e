/*
 * feedmill digest NAME [--dry-run] [-c FILE]
 *
 * With --dry-run: print the message the digest would send now, recording
 * nothing. Without: send what is pending in its outbox, else compose a
 * run, store it as pending, send it, mark it sent.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "digest.h"
#include "log.h"
#include "mail.h"
#include "store.h"
#include "tag.h"
#include "xmalloc.h"

/* A failed send is tried again this long after (the daemon backs off). */
#define RETRY_SECONDS	300

static int64_t
clock_now(void)
{
	const char *off = getenv("FEEDMILL_TIME_OFFSET");

	return (int64_t)time(NULL) + (off != NULL ? strtoll(off, NULL, 10) : 0);
}

/* The message as it would go out, without its CRs, a chunk at a time. */
static void
print_message(FILE *m, size_t len)
{
	char chunk[16384];
	size_t off = 0;
	ssize_t got;

	while (off < len && (got = pread(fileno(m), chunk, len - off < sizeof(chunk) ?
	    len - off : sizeof(chunk), (off_t)off)) > 0) {
		for (ssize_t i = 0; i < got; i++)
			if (chunk[i] != '\r')
				putchar(chunk[i]);
		off += (size_t)got;
	}
}

/* Send a stored run and record the outcome. 0 or -1. */
static int
send_run(struct store *s, const struct conf *c, const struct conf_digest *d,
    struct store_digest_run *run)
{
	char *err;
	int sent = mail_send(c, &d->to, fileno(run->message), run->message_len, &err) == 0;

	if (store_begin(s) == -1 ||
	    (sent ? store_digest_mark_sent(s, run->id, clock_now()) :
	    store_digest_mark_failed(s, run->id, err, clock_now() + RETRY_SECONDS)) == -1 ||
	    store_commit(s) == -1) {
		log_warnx("%s", store_error(s));
		free(err);
		return -1;
	}
	if (!sent) {
		log_warnx("digest %s: %s (kept in the outbox)", d->name, err);
		free(err);
		return -1;
	}
	printf("digest %s: sent %s, %d release%s, to %zu address%s\n", d->name, run->message_id,
	    run->items, run->items == 1 ? "" : "s", d->to.n, d->to.n == 1 ? "" : "es");
	return 0;
}

int
cmd_digest(int argc, char **argv)
{
	const char *config = cmd_default_config(), *name = NULL;
	const struct conf_digest *d = NULL;
	struct conf_errors errs;
	struct conf c;
	struct tagger *t = NULL;
	struct store *s = NULL;
	struct store_digest_run run;
	int64_t *ids = NULL;
	size_t n = 0;
	int dry = 0, status = 1, r;
	char *err = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "usage: feedmill digest NAME [--dry-run] [-c FILE]\n");
			return EXIT_USAGE;
		}
	}
	if (name == NULL) {
		fprintf(stderr, "usage: feedmill digest NAME [--dry-run] [-c FILE]\n");
		return EXIT_USAGE;
	}
	if (cmd_load_config(&c, config) == -1)
		return 1;
	for (size_t i = 0; i < c.ndigests; i++)
		if (strcmp(c.digests[i].name, name) == 0)
			d = &c.digests[i];
	if (d == NULL) {
		log_warnx("%s has no [digest %s]", config, name);
		conf_release(&c);
		return 1;
	}
	if (tagger_load(&t, c.fields_path, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_release(&errs);
		conf_release(&c);
		return 1;
	}
	r = dry ? store_open_readonly(&s, c.state_dir, &err) : store_open(&s, c.state_dir, &err);
	if (r != 0) {
		log_warnx("%s", r == 1 ? "no database yet: run feedmill first" : err);
		goto out;
	}
	memset(&run, 0, sizeof(run));
	if (!dry) {
		/* what an earlier run left pending goes first, as it was */
		if ((r = store_digest_pending(s, d->name, &run)) == -1) {
			log_warnx("%s", store_error(s));
			goto out;
		}
		if (r == 1) {
			status = send_run(s, &c, d, &run) == 0 ? 0 : 1;
			store_digest_run_clear(&run);
			goto out;
		}
	}
	r = digest_compose(s, t, &c, d, clock_now(), &run, &ids, &n, &err);
	if (r == -1) {
		log_warnx("digest %s: %s", d->name, err);
		goto out;
	}
	if (r == 1) {
		printf("digest %s: nothing new\n", d->name);
		status = 0;
		goto out;
	}
	if (dry) {
		print_message(run.message, run.message_len);
		status = 0;
	} else if (store_begin(s) == -1 || store_digest_add(s, &run, ids, n) == -1 ||
	    store_commit(s) == -1)
		log_warnx("%s", store_error(s));
	else
		status = send_run(s, &c, d, &run) == 0 ? 0 : 1;
	store_digest_run_clear(&run);
out:
	free(err);
	free(ids);
	store_close(s);
	tagger_free(t);
	conf_release(&c);
	return status;
}
