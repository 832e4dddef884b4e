#include "config.h"

#include "conf.h"
#include "tap.h"

int
main(void)
{
	static const struct { const char *s; long long want; } durations[] = {
		{ "30s", 30 }, { "15m", 900 }, { "2h", 7200 }, { "1d", 86400 },
		{ "1h30m", 5400 }, { " 1h 30m ", 5400 }, { "90m", 5400 },
		{ "", -1 }, { "15", -1 }, { "15x", -1 }, { "m", -1 }, { "0s", -1 },
		{ "-5m", -1 }, { "99999999999999999999d", -1 }, { "1h-", -1 },
	};
	static const struct { const char *s; long long want; } sizes[] = {
		{ "4096", 4096 }, { "16M", 16777216 }, { "512k", 524288 },
		{ "1G", 1073741824 }, { "16MiB", 16777216 }, { "8MB", 8388608 },
		{ "", -1 }, { "M", -1 }, { "16Q", -1 }, { "-1", -1 },
		{ "99999999999999999999", -1 },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(durations) / sizeof(*durations); i++) {
		int64_t secs = -1;

		snprintf(name, sizeof(name), "duration '%s'", durations[i].s);
		if (conf_parse_duration(durations[i].s, &secs) == -1)
			secs = -1;
		tap_is_int(secs, durations[i].want, name);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		size_t bytes = 0;
		long long got;

		snprintf(name, sizeof(name), "size '%s'", sizes[i].s);
		got = conf_parse_size(sizes[i].s, &bytes) == -1 ? -1 : (long long)bytes;
		tap_is_int(got, sizes[i].want, name);
	}
	return tap_done();
}
