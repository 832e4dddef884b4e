/*
 * Unit tests for digest scheduling (digest_next_time, digest_local_date)
 * and the mail pieces (mail.h): summer time in Europe/Vienna, a zone far
 * from UTC, RFC 2047 headers, quoted-printable, wrapping.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "digest.h"
#include "mail.h"
#include "tap.h"

static int64_t
utc(const char *s)
{
	return date_parse(s);
}

static void
next_is(int64_t after, const char *at, const char *zone, const char *want, const char *name)
{
	int h, m;
	char got[DATE_RFC3339_SIZE];

	sscanf(at, "%d:%d", &h, &m);
	date_format_rfc3339(digest_next_time(after, h * 60 + m, zone), got);
	tap_is_str(got, want, name);
}

/* Quoted-printable the plain way, a byte at a time, as RFC 2045 says it
 * (with our two extras: CRLF line ends, and a line's leading dot encoded):
 * what mail_qp's faster runs must give. */
static void
qp_reference(struct buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		char enc[4];
		size_t n;

		if (*p == '\n') {
			buf_addstr(b, "\r\n");
			col = 0;
			continue;
		}
		if (*p == '\r')
			continue;
		if ((*p == ' ' || *p == '\t') && (p[1] == '\n' || p[1] == '\0' ||
		    (p[1] == '\r' && p[2] == '\n')))
			n = (size_t)snprintf(enc, sizeof(enc), "=%c%c", hex[*p >> 4], hex[*p & 15]);
		else if (((*p >= 33 && *p <= 126 && *p != '=') || *p == ' ' || *p == '\t') &&
		    !(*p == '.' && col == 0)) {
			enc[0] = (char)*p;
			enc[1] = '\0';
			n = 1;
		} else
			n = (size_t)snprintf(enc, sizeof(enc), "=%c%c", hex[*p >> 4], hex[*p & 15]);
		if (col + n > 75) {
			buf_addstr(b, "=\r\n");
			col = 0;
		}
		buf_add(b, enc, n);
		col += n;
	}
}

/* Random texts made of the bytes that matter (spaces and tabs before line
 * ends, CRs, dots, '=', UTF-8, long runs) against the reference. */
static void
qp_against_reference(void)
{
	static const char *const pieces[] = {
		"a", "word", " ", "\t", "\n", "\r\n", "\r", ".", "=", "caf\xc3\xa9",
		"\x01", "\x7f", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "  \n", " \r\n",
		"\xe2\x80\x94", "~", "..", "= ",
	};
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int bad = 0;

	for (int round = 0; round < 2000 && !bad; round++) {
		struct buf text, fast, slow;
		int len;

		buf_init(&text, (size_t)-1);
		buf_init(&fast, (size_t)-1);
		buf_init(&slow, (size_t)-1);
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		len = (int)(seed >> 58);	/* 0..63 pieces */
		for (int i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			buf_addstr(&text, pieces[(seed >> 33) % (sizeof(pieces) / sizeof(*pieces))]);
		}
		mail_qp(&fast, text.len ? buf_str(&text) : "");
		qp_reference(&slow, text.len ? buf_str(&text) : "");
		if (strcmp(fast.len ? buf_str(&fast) : "", slow.len ? buf_str(&slow) : "") != 0) {
			printf("# differs for %s\n#   fast: %s\n#   slow: %s\n", buf_str(&text),
			    buf_str(&fast), buf_str(&slow));
			bad = 1;
		}
		buf_release(&text);
		buf_release(&fast);
		buf_release(&slow);
	}
	tap_ok(!bad, "quoted-printable: 2000 random texts as the byte-at-a-time encoder gives them");
}

int
main(void)
{
	struct buf b;
	char d[11];

	/* Vienna: CET (UTC+1) in winter, CEST (UTC+2) from 29 March 2026 02:00 */
	next_is(utc("2026-03-27T12:00:00Z"), "07:00", "Europe/Vienna", "2026-03-28T06:00:00Z",
	    "07:00 in Vienna before summer time is 06:00 UTC");
	next_is(utc("2026-03-28T06:00:00Z"), "07:00", "Europe/Vienna", "2026-03-29T05:00:00Z",
	    "the day summer time starts, 07:00 in Vienna is 05:00 UTC");
	next_is(utc("2026-03-28T12:00:00Z"), "02:30", "Europe/Vienna", "2026-03-29T01:30:00Z",
	    "02:30 does not exist that day: the time just after (03:30 CEST)");
	next_is(utc("2026-10-24T12:00:00Z"), "07:00", "Europe/Vienna", "2026-10-25T06:00:00Z",
	    "the day summer time ends, 07:00 in Vienna is 06:00 UTC again");
	{
		int64_t first = digest_next_time(utc("2026-10-24T12:00:00Z"), 150, "Europe/Vienna");
		int64_t second = digest_next_time(first, 150, "Europe/Vienna");

		tap_ok(second - first >= 23 * 3600, "02:30 happens twice when summer time "
		    "ends, the digest runs once that day");
	}
	next_is(utc("2026-11-29T06:59:59Z"), "07:00", "Etc/UTC", "2026-11-29T07:00:00Z",
	    "one second before: today");
	next_is(utc("2026-11-29T07:00:00Z"), "07:00", "Etc/UTC", "2026-11-30T07:00:00Z",
	    "at the time itself: tomorrow");
	/* Kiritimati is UTC+14: its 07:00 is 17:00 UTC the day before */
	next_is(utc("2026-11-29T12:00:00Z"), "07:00", "Pacific/Kiritimati", "2026-11-29T17:00:00Z",
	    "a zone 14 hours ahead of UTC");
	next_is(utc("2026-11-29T12:00:00Z"), "07:00", "Pacific/Pago_Pago", "2026-11-29T18:00:00Z",
	    "a zone 11 hours behind UTC");
	digest_local_date(utc("2026-11-29T12:00:00Z"), "Pacific/Kiritimati", d);
	tap_is_str(d, "2026-11-30", "the local date far east of UTC");
	digest_local_date(utc("2026-11-29T12:00:00Z"), "Pacific/Pago_Pago", d);
	tap_is_str(d, "2026-11-29", "the local date far west of UTC");

	buf_init(&b, (size_t)-1);
	mail_header(&b, "Subject", "Plain subject");
	tap_is_str(buf_str(&b), "Subject: Plain subject\r\n", "an ASCII header as it is");
	buf_reset(&b);
	mail_header(&b, "Subject", "evil\r\nBcc: x@example.org");
	tap_is_str(buf_str(&b), "Subject: evil  Bcc: x@example.org\r\n",
	    "a line break in a header value becomes spaces");
	buf_reset(&b);
	mail_header(&b, "Subject", "Grüße");
	tap_is_str(buf_str(&b), "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n",
	    "a non-ASCII header as an RFC 2047 encoded-word");
	buf_reset(&b);
	mail_qp(&b, "a=b caf\xc3\xa9 \n.dot");
	tap_is_str(buf_str(&b), "a=3Db caf=C3=A9=20\r\n=2Edot",
	    "quoted-printable: =, UTF-8, a space before a line end, a leading dot");
	qp_against_reference();
	buf_reset(&b);
	mail_wrap(&b, "one two three four five six seven", "  ", 14);
	tap_is_str(buf_str(&b), "  one two\n  three four\n  five six\n  seven\n",
	    "wrapping at the width with an indent");
	buf_release(&b);
	return tap_done();
}
