/*
 * date: feed dates to UTC seconds, and back to RFC 3339.
 *
 * Feeds carry RFC 822/2822 dates (RSS) and ISO 8601/RFC 3339 dates (Atom,
 * Dublin Core), and both in every real-world deviation. An unparseable date
 * is not an error anywhere in feedmill: it is simply absent (DATE_NONE).
 */
#ifndef FEEDMILL_DATE_H
#define FEEDMILL_DATE_H

#include <stdint.h>

#define DATE_NONE INT64_MIN
/* "2003-07-24T10:00:00Z" plus the NUL. */
#define DATE_RFC3339_SIZE 21

/*
 * Parse s as ISO 8601 (with or without seconds, fractions, 'Z' or an offset,
 * or a date alone) or as an RFC 822 date (through curl_getdate, after
 * smoothing the common deviations: full month and weekday names, wrong
 * weekdays, military and unknown zone names, "+01:00" offsets, missing
 * seconds, two-digit years, extra spaces). Returns the UTC time in seconds
 * since the epoch, or DATE_NONE. Years outside 1..9999 are DATE_NONE.
 */
int64_t date_parse(const char *s);

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" into out (DATE_RFC3339_SIZE bytes). */
void date_format_rfc3339(int64_t t, char *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t date_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
