#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "date.h"

/* No real date string is longer; anything longer is not a date. */
#define MAX_DATE_CHARS 128
#define MAX_DATE_TOKENS 16
#define SECONDS_PER_DAY 86400

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const month_abbr[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};
static const char *const weekday_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday"
};

/* Howard Hinnant's days_from_civil: exact for the whole proleptic calendar. */
int64_t
date_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read exactly n digits at *p into *out; advance *p. 0 or -1. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int64_t
in_range(int64_t t)
{
	/* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
	if (t < -62135596800LL || t > 253402300799LL)
		return DATE_NONE;
	return t;
}

/*
 * ISO 8601 in the shapes feeds use: YYYY[-MM[-DD]] or YYYYMMDD, then
 * optionally [T or space]hh:mm[:ss[.frac]] (or hhmm[ss]), then optionally
 * Z, +hh, +hhmm, +hh:mm or a trailing "UTC"/"GMT". No zone means UTC.
 */
static int64_t
parse_iso8601(const char *s)
{
	const char *p = s;
	int year, mon = 1, day = 1, hour = 0, min = 0, sec = 0, off = 0;
	int basic = 0;

	if (digits(&p, 4, &year) == -1)
		return DATE_NONE;
	if (*p == '-') {
		p++;
		if (digits(&p, 2, &mon) == -1)
			return DATE_NONE;
		if (*p == '-') {
			p++;
			if (digits(&p, 2, &day) == -1)
				return DATE_NONE;
		}
	} else if (isdigit((unsigned char)*p)) {
		if (digits(&p, 2, &mon) == -1 || digits(&p, 2, &day) == -1)
			return DATE_NONE;
		basic = 1;
	}
	if (year < 1 || mon < 1 || mon > 12 || day < 1 ||
	    (unsigned)day > days_in_month(year, (unsigned)mon))
		return DATE_NONE;

	if ((*p == 'T' || *p == 't' || *p == ' ') &&
	    isdigit((unsigned char)p[1])) {
		p++;
		if (digits(&p, 2, &hour) == -1)
			return DATE_NONE;
		if (*p == ':')
			p++;
		else if (!basic && !isdigit((unsigned char)*p))
			return DATE_NONE;
		if (digits(&p, 2, &min) == -1)
			return DATE_NONE;
		if (*p == ':' || (basic && isdigit((unsigned char)*p))) {
			if (*p == ':')
				p++;
			if (digits(&p, 2, &sec) == -1)
				return DATE_NONE;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return DATE_NONE;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (hour > 24 || min > 59 || sec > 60 ||
		    (hour == 24 && (min != 0 || sec != 0)))
			return DATE_NONE;
		if (sec == 60)	/* a leap second: the instant before is close enough */
			sec = 59;
		while (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;

			p++;
			if (digits(&p, 2, &oh) == -1)
				return DATE_NONE;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &om) == -1)
				return DATE_NONE;
			if (oh > 23 || om > 59)
				return DATE_NONE;
			off = sign * (oh * 3600 + om * 60);
		} else if (strncasecmp(p, "UTC", 3) == 0 ||
		    strncasecmp(p, "GMT", 3) == 0) {
			p += 3;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return DATE_NONE;
	return in_range(date_days_from_civil(year, (unsigned)mon,
	    (unsigned)day) * SECONDS_PER_DAY + hour * 3600 + min * 60 + sec - off);
}

static int
word_index(const char *tok, size_t len, const char *const *names, int n)
{
	char low[16];

	if (len < 3 || len >= sizeof(low))
		return -1;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)tok[i]);
	low[len] = '\0';
	if (low[len - 1] == '.')	/* "Nov." */
		low[--len] = '\0';
	for (int i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);

		/* "Nov", "November" and "Sept" all name a month. */
		if (len <= nl && len >= 3 && strncmp(names[i], low, len) == 0)
			return i;
	}
	return -1;
}

static int
all_alpha(const char *tok, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isalpha((unsigned char)tok[i]))
			return 0;
	return len > 0;
}

/*
 * Rewrite an RFC 822-ish date into the shape curl_getdate() accepts, then
 * let curl parse it. With drop_unknown, alphabetic words that are neither
 * months nor weekdays (unknown zone names) are dropped, meaning UTC.
 */
static int64_t
parse_rfc822(const char *s, int drop_unknown)
{
	char out[MAX_DATE_CHARS * 2], clean[MAX_DATE_CHARS + 1];
	size_t o = 0, c = 0;
	const char *p;
	int ntok = 0, month = -1, day = -1, year = -1, hour = -1, meridiem = 0;
	int comment = 0;

	/* RFC 2822 comments, "+0200 (CEST)", say nothing we need */
	for (p = s; *p != '\0' && c < MAX_DATE_CHARS; p++) {
		if (*p == '(')
			comment++;
		else if (*p == ')' && comment > 0)
			comment--;
		else if (comment == 0)
			clean[c++] = *p;
	}
	clean[c] = '\0';

	p = clean;
	while (*p != '\0') {
		const char *tok;
		size_t len;
		char word[MAX_DATE_CHARS];
		int mi;

		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' ||
		    *p == '\n')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',' &&
		    *p != '\r' && *p != '\n')
			p++;
		len = (size_t)(p - tok);
		if (len >= sizeof(word) || ++ntok > MAX_DATE_TOKENS)
			return DATE_NONE;
		memcpy(word, tok, len);
		word[len] = '\0';

		if (word_index(word, len, weekday_names, 7) >= 0)
			continue;	/* wrong weekdays are common: ignore all */
		if (strcasecmp(word, "am") == 0 || strcasecmp(word, "pm") == 0) {
			meridiem = tolower((unsigned char)word[0]);
			continue;
		}
		if ((mi = word_index(word, len, month_names, 12)) >= 0) {
			snprintf(word, sizeof(word), "%s", month_abbr[mi]);
			month = mi;
		} else if (len == 1 && isalpha((unsigned char)word[0])) {
			/* RFC 2822 4.3: military zones other than Z mean -0000 */
			snprintf(word, sizeof(word), "GMT");
		} else if ((word[0] == '+' || word[0] == '-') && len == 6 &&
		    word[3] == ':') {
			memmove(word + 3, word + 4, 3);	/* +01:00 -> +0100 */
			len = 5;
		} else if (isdigit((unsigned char)word[0]) &&
		    strchr(word, '.') != NULL && strchr(word, ':') == NULL) {
			/* 08.49.37 -> 08:49:37, but not "1.5" sized things */
			int dots = 0;
			for (size_t i = 0; i < len; i++)
				if (word[i] == '.') {
					word[i] = ':';
					dots++;
				}
			if (dots > 2)
				return DATE_NONE;
		} else if (drop_unknown && all_alpha(word, len) &&
		    strcasecmp(word, "GMT") != 0 && strcasecmp(word, "UTC") != 0) {
			continue;
		}
		if (strchr(word, ':') != NULL && isdigit((unsigned char)word[0])) {
			char *frac = strchr(word, '.');

			if (frac != NULL)
				*frac = '\0';	/* 04:00:00.000: no sub-seconds */
			if (hour < 0)
				hour = atoi(word);
		} else if (strspn(word, "0123456789") == strlen(word)) {
			size_t n = strlen(word);

			if (n <= 2 && day < 0 && year < 0 && month < 0)
				day = atoi(word);	/* "24 Jul 2003" */
			else if (n <= 2 && day < 0 && month >= 0)
				day = atoi(word);	/* "Jul 24 2003" */
			else if (n == 4 || (n == 2 && month >= 0 && day >= 0))
				year = n == 4 ? atoi(word) :
				    atoi(word) + (atoi(word) < 70 ? 2000 : 1900);
		}
		len = strlen(word);
		if (o + len + 2 >= sizeof(out))
			return DATE_NONE;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, word, len);
		o += len;
	}
	out[o] = '\0';
	if (o == 0)
		return DATE_NONE;
	/* curl rolls 31 Feb over into March and reads 0001 as 2001 */
	if (year >= 0 && (year < 1000 || (month >= 0 && day >= 0 &&
	    (day < 1 || (unsigned)day > days_in_month(year, (unsigned)month + 1)))))
		return DATE_NONE;
	{
		time_t t = curl_getdate(out, NULL);

		if (t == (time_t)-1)
			return DATE_NONE;
		if (meridiem == 'p' && hour >= 1 && hour < 12)
			t += 12 * 3600;
		else if (meridiem == 'a' && hour == 12)
			t -= 12 * 3600;
		return in_range((int64_t)t);
	}
}

int64_t
date_parse(const char *s)
{
	int64_t t;

	if (s == NULL)
		return DATE_NONE;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || strlen(s) > MAX_DATE_CHARS)
		return DATE_NONE;
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
	    (s[4] == '-' || isdigit((unsigned char)s[4]) || s[4] == '\0'))
		return parse_iso8601(s);
	t = parse_rfc822(s, 0);
	if (t == DATE_NONE)
		t = parse_rfc822(s, 1);
	return t;
}

void
date_format_rfc3339(int64_t t, char *out)
{
	int64_t days = t / SECONDS_PER_DAY, secs = t % SECONDS_PER_DAY, y;
	unsigned m, d;

	if (secs < 0) {
		secs += SECONDS_PER_DAY;
		days--;
	}
	char tmp[64];

	civil_from_days(days, &y, &m, &d);
	/* date_parse() keeps years in 1..9999, so this fits */
	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02d:%02d:%02dZ",
	    (int)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60));
	memcpy(out, tmp, DATE_RFC3339_SIZE - 1);
	out[DATE_RFC3339_SIZE - 1] = '\0';
}
