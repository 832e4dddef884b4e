#include "config.h"

#include <curl/curl.h>

#include "date.h"
#include "tap.h"

/* Each: input, expected RFC 3339 UTC or NULL for "no date". */
static const char *const cases[][2] = {
	/* RFC 822 / 2822 as written, and as the wild writes it */
	{ "Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z" },
	{ "Sun, 06 Nov 1994 08:49:37 +0100", "1994-11-06T07:49:37Z" },
	{ "Thu, 24 Jul 2003 10:00:00 -0400", "2003-07-24T14:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00 EDT", "2003-07-24T14:00:00Z" },
	{ "Thu, 24 Jul 03 10:00:00 GMT", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 99 10:00:00 GMT", "1999-07-24T10:00:00Z" },
	{ "Mon, 24 Jul 2003 10:00:00 GMT", "2003-07-24T10:00:00Z" },
	{ "Thursday, 24 July 2003 10:00:00 GMT", "2003-07-24T10:00:00Z" },
	{ "  Thu,   24  Jul   2003  10:00:00    GMT  ", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 Z", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 A", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 N", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 PST", "2003-07-24T18:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 CEST", "2003-07-24T08:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 UT", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 +02:00", "2003-07-24T08:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00 XYZT", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10:00:00", "2003-07-24T10:00:00Z" },
	{ "Thu, 24 Jul 2003 10.00.00 GMT", "2003-07-24T10:00:00Z" },
	{ "Thu,24 Jul 2003 10:00:00 GMT", "2003-07-24T10:00:00Z" },
	{ "24 Jul 2003", "2003-07-24T00:00:00Z" },
	{ "Thu, 24 Sept 2003 10:00:00 GMT", "2003-09-24T10:00:00Z" },
	{ "Tue, 10 Jun 2003 04:00:00 +0200 (CEST)", "2003-06-10T02:00:00Z" },
	{ "Tue, 10 Jun 2003 04:00:00 +0000 (UTC)", "2003-06-10T04:00:00Z" },
	{ "Tue, 10 Jun 2003 04:00:00.000 GMT", "2003-06-10T04:00:00Z" },
	{ "Tue, 10 Jun 2003 4:00:00 pm GMT", "2003-06-10T16:00:00Z" },
	{ "Tue, 10 Jun 2003 12:30:00 am GMT", "2003-06-10T00:30:00Z" },
	{ "Tue, 10 Jun 2003 12:30:00 PM GMT", "2003-06-10T12:30:00Z" },
	{ "Jun 10 2003 04:00:00 GMT", "2003-06-10T04:00:00Z" },
	{ "Sat, 29 Feb 2020 10:00:00 GMT", "2020-02-29T10:00:00Z" },
	/* ISO 8601 / RFC 3339 */
	{ "2003-07-24T10:00:00Z", "2003-07-24T10:00:00Z" },
	{ "2003-07-24T10:00:00.123456Z", "2003-07-24T10:00:00Z" },
	{ "2003-07-24T10:00:00+02:00", "2003-07-24T08:00:00Z" },
	{ "2003-07-24T10:00:00-0530", "2003-07-24T15:30:00Z" },
	{ "2003-07-24T10:00:00+02", "2003-07-24T08:00:00Z" },
	{ "2003-07-24T10:00Z", "2003-07-24T10:00:00Z" },
	{ "2003-07-24T10:00", "2003-07-24T10:00:00Z" },
	{ "2003-07-24 10:00:00", "2003-07-24T10:00:00Z" },
	{ "2003-07-24t10:00:00z", "2003-07-24T10:00:00Z" },
	{ "2003-07-24", "2003-07-24T00:00:00Z" },
	{ "2003-07", "2003-07-01T00:00:00Z" },
	{ "20030724T100000Z", "2003-07-24T10:00:00Z" },
	{ "2003-12-31T23:30:00-01:00", "2004-01-01T00:30:00Z" },
	{ "2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z" },
	{ "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z" },
	{ "1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z" },
	/* not dates: absent, never an error */
	{ "", NULL }, { "yesterday", NULL }, { "2003-13-01", NULL },
	{ "2023-02-29", NULL }, { "2003-07-24T25:00:00Z", NULL },
	{ "2003-07-24T10:00:00+25:00", NULL }, { "2003-07-24Tgarbage", NULL },
	{ "Thu, 24 Foo 2003 10:00:00 GMT", NULL },
	{ "Thu, 24 Jul 2003 99:00:00 GMT", NULL },
	{ "Mon, 31 Feb 2003 10:00:00 GMT", NULL },
	{ "Fri, 29 Feb 2019 10:00:00 GMT", NULL },
	{ "Thu, 01 Jan 0001 00:00:00 GMT", NULL },
};

int
main(void)
{
	char out[DATE_RFC3339_SIZE], name[160];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int64_t t = date_parse(cases[i][0]);

		snprintf(name, sizeof(name), "date '%s'", cases[i][0]);
		if (t == DATE_NONE) {
			tap_is_str(NULL, cases[i][1], name);
			continue;
		}
		date_format_rfc3339(t, out);
		tap_is_str(out, cases[i][1], name);
	}
	tap_ok(date_parse(NULL) == DATE_NONE, "NULL is no date");
	date_format_rfc3339(0, out);
	tap_is_str(out, "1970-01-01T00:00:00Z", "the epoch formats");
	date_format_rfc3339(-1, out);
	tap_is_str(out, "1969-12-31T23:59:59Z", "a second before the epoch formats");
	tap_is_int(date_days_from_civil(2000, 3, 1), 11017, "days from civil");
	curl_global_cleanup();
	return tap_done();
}
