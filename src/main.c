#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "cmd.h"
#include "log.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "check-config", cmd_check_config, "check-config [-c FILE]               validate the configuration" },
	{ "digest", cmd_digest, "digest NAME [--dry-run] [-c FILE]     send a digest now, or print it" },
	{ "fields", cmd_fields, "fields eval|explain|train ...          measure, explain and train the tagger" },
	{ "import-opml", cmd_import_opml, "import-opml FILE                     print [source] sections for an OPML file" },
	{ "parse", cmd_parse, "parse [--json] [--base URL] FILE...  print what feeds contain" },
	{ "run", cmd_run, "run [--once] [-v | -q] [-c FILE]     poll the sources (the daemon)" },
	{ "status", cmd_status, "status [-c FILE]                     sources, errors and digests, for a human" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: feedmill COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out, "\n  --version  print the version\n  --help     print this help\n"
	    "\nSee feedmill(8).\n");
}

int
main(int argc, char **argv)
{
	int status;

	log_init("feedmill", LOG_LEVEL_INFO);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("feedmill %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatalx("cannot initialise libcurl");
		status = commands[i].run(argc - 1, argv + 1);
		curl_global_cleanup();
		return status;
	}
	log_warnx("unknown command '%s' (see 'feedmill --help')", argv[1]);
	return EXIT_USAGE;
}
