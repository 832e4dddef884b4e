#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"

static int
usage(void)
{
	fprintf(stderr, "usage: feedmill run [--once] [-v | -q] [-c FILE]\n");
	return EXIT_USAGE;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_options o;
	const char *offset;
	int ch;

	memset(&o, 0, sizeof(o));
	o.config_path = cmd_default_config();
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.once = 1;
			break;
		case 'c':
			o.config_path = optarg;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_LEVEL_WARN);
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if ((offset = getenv("FEEDMILL_TIME_OFFSET")) != NULL && *offset != '\0') {
		char *end;

		errno = 0;
		o.clock_offset = strtoll(offset, &end, 10);
		if (errno != 0 || *end != '\0') {
			log_warnx("FEEDMILL_TIME_OFFSET must be a number of seconds, not '%s'", offset);
			return EXIT_USAGE;
		}
		log_info("clock offset by %lld seconds (FEEDMILL_TIME_OFFSET)",
		    (long long)o.clock_offset);
	}
	return daemon_run(&o);
}
