/*
 * parse_only FILE...: feedmill's parser with nothing around it.
 *
 * Drives the parse.h API the way `feedmill parse` does (64 KiB reads, a
 * file: URL as base so links resolve) but its entry callback only counts,
 * so the time is the parser's alone and the gap to `feedmill parse` is what
 * formatting the output costs. Linked against the build's libfeedmill.a.
 *
 * Prints "FILE: N entries" a file; exit status 1 if any file fails to parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

#define READ_CHUNK_BYTES (64 * 1024)

static void
on_entry(const struct feed_entry *e, void *arg)
{
	(void)e;
	++*(size_t *)arg;
}

static int
parse_file(const char *path, char *chunk)
{
	char abs[PATH_MAX], url[PATH_MAX + 8];
	struct parse *p;
	size_t entries = 0;
	ssize_t n;
	int fd, status = 0;

	if ((fd = open(path, O_RDONLY)) == -1 || realpath(path, abs) == NULL) {
		fprintf(stderr, "parse_only: cannot open '%s': %s\n", path,
		    strerror(errno));
		return 1;
	}
	/* the corpus's paths need no percent-encoding */
	snprintf(url, sizeof(url), "file://%s", abs);
	p = parse_new(path, url, on_entry, &entries);
	for (;;) {
		n = read(fd, chunk, READ_CHUNK_BYTES);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1 || parse_finish(p) == -1)
				status = 1;
			break;
		}
		if (parse_chunk(p, chunk, (size_t)n) == -1) {
			status = 1;
			break;
		}
	}
	if (parse_error(p) != NULL)
		fprintf(stderr, "parse_only: '%s': %s\n", path, parse_error(p));
	printf("%s: %zu entries\n", path, entries);
	parse_free(p);
	close(fd);
	return status;
}

int
main(int argc, char **argv)
{
	char *chunk = malloc(READ_CHUNK_BYTES);
	int status = 0;

	if (chunk == NULL) {
		perror("parse_only");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		status |= parse_file(argv[i], chunk);
	free(chunk);
	return status;
}
