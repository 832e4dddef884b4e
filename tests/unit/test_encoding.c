#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "encoding.h"
#include "tap.h"

/* Run the repair filter over in, split into pieces of `step` bytes. */
static char *
repair(const char *in, size_t len, size_t step)
{
	struct utf8_repair r;
	struct buf scratch, out;
	size_t off = 0, n;
	const char *o;

	encoding_repair_init(&r);
	buf_init(&scratch, (size_t)-1);
	buf_init(&out, (size_t)-1);
	do {
		size_t piece = len - off < step ? len - off : step;
		int final = off + piece == len;

		o = encoding_repair_utf8(&r, in + off, piece, final, &scratch, &n);
		buf_add(&out, o, n);
		off += piece;
	} while (off < len);
	buf_release(&scratch);
	return buf_detach(&out);
}

static void
check_repair(const char *in, const char *want, const char *name)
{
	size_t len = strlen(in);
	int same = 1;
	char *whole = repair(in, len, len ? len : 1);

	tap_is_str(whole, want, name);
	for (size_t step = 1; step <= 5; step++) {
		char *pieces = repair(in, len, step);

		same &= strcmp(pieces, whole) == 0;
		free(pieces);
	}
	tap_ok(same, "... and the same in pieces of 1 to 5 bytes");
	free(whole);
}

static void
check_sniff(const char *doc, size_t len, const char *want_name, int want_repair,
    const char *name)
{
	struct encoding_choice c;
	int r = encoding_sniff(doc, len, 1, &c);

	tap_ok(r == 1 && strcmp(c.name, want_name) == 0 &&
	    c.repair_utf8 == want_repair, name);
	if (r != 1 || strcmp(c.name, want_name) != 0)
		printf("#   got '%s' (r=%d), want '%s'\n", c.name, r, want_name);
}

int
main(void)
{
	struct encoding_choice c;

	check_repair("plain ascii", "plain ascii", "ASCII passes untouched");
	check_repair("caf\xc3\xa9 \xe2\x80\x99 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x80\x99 \xf0\x9f\x98\x80",
	    "valid UTF-8 passes untouched");
	check_repair("caf\xe9 \x93quoted\x94", "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d",
	    "windows-1252 bytes in UTF-8 are read as windows-1252");
	check_repair("a\x01" "b\x0c" "c\td", "abc\td", "C0 controls XML forbids are dropped");
	check_repair("x\xef\xbf\xbey", "x\xef\xbf\xbdy", "U+FFFE becomes U+FFFD");
	check_repair("end\xe2\x80", "end\xc3\xa2\xe2\x82\xac", "a truncated sequence at the end is read as 1252");
	check_repair("\xc0\xaf", "\xc3\x80\xc2\xaf", "an overlong sequence is not UTF-8");
	check_repair("\xed\xa0\x80", "\xc3\xad\xc2\xa0\xe2\x82\xac", "a surrogate is not UTF-8");

	check_sniff("<rss/>", 6, "UTF-8", 1, "no declaration means UTF-8");
	check_sniff("<?xml version=\"1.0\"?><rss/>", 27, "UTF-8", 1, "no encoding means UTF-8");
	check_sniff("<?xml version='1.0' encoding='ISO-8859-1'?><rss/>", 49,
	    "windows-1252", 0, "ISO-8859-1 is read as windows-1252");
	check_sniff("<?xml version=\"1.0\" encoding=\"us-ascii\"?><rss/>", 47,
	    "windows-1252", 0, "US-ASCII is read as windows-1252");
	check_sniff("<?xml version=\"1.0\" encoding=\"KOI8-R\"?><rss/>", 45,
	    "koi8-r", 0, "KOI8-R is passed to iconv");
	check_sniff("<?xml version=\"1.0\" encoding=\"utf-16\"?><rss/>", 45,
	    "UTF-8", 1, "UTF-16 declared on 8-bit bytes is read as UTF-8");
	check_sniff("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss/>", 54,
	    "UTF-8", 1, "a UTF-8 BOM beats the declaration");
	check_sniff("\xff\xfe<\0r\0", 6, "", 0, "a UTF-16LE BOM is left to expat");
	check_sniff("\0<\0r\0s\0s", 8, "", 0, "UTF-16BE without BOM is left to expat");
	encoding_sniff("\n\n  <?xml version=\"1.0\" encoding=\"koi8-r\"?><rss/>", 49, 1, &c);
	tap_ok(strcmp(c.name, "koi8-r") == 0 && c.skip == 4,
	    "white space before the declaration is skipped and the label read");
	tap_is_int(encoding_sniff("\n\n  ", 5, 0, &c), 0,
	    "white space alone asks for more bytes");
	encoding_sniff("<?xml version=\"1.0\" encoding=\"x-no-such\"?><rss/>", 48, 1, &c);
	tap_ok(strcmp(c.name, "UTF-8") == 0 && strcmp(c.ignored_label, "x-no-such") == 0,
	    "an unknown label is read as UTF-8 and reported");
	tap_is_int(encoding_sniff("<?xml version=\"1.0\" enc", 23, 0, &c), 0,
	    "an unfinished declaration asks for more bytes");
	tap_is_int(encoding_sniff("\xff\xfe\0\0<\0\0\0", 8, 1, &c), -1,
	    "UTF-32 is refused");
	return tap_done();
}
