/*
 * libFuzzer target for the configuration loader (inih behind our line
 * reader) and the OPML reader: both read files users get from elsewhere.
 * The first byte picks which; the rest is the file, written to a memfd.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "opml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count(const struct opml_outline *o, void *arg)
{
	size_t *n = arg;

	*n += o->xml_url[0] != '\0' && (o->title == NULL || o->title[0] != '\1');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	if (size < 1)
		return 0;
	if ((fd = memfd_create("fuzz", 0)) == -1)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (data[0] & 1) {
		size_t n = 0;
		char *err = NULL;

		opml_read(path, count, &n, &err);
		free(err);
	} else {
		struct conf c;
		struct conf_errors errs;

		conf_load(&c, path, &errs);
		conf_errors_release(&errs);
		conf_release(&c);
	}
	close(fd);
	return 0;
}
