#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encoding.h"
#include "xmalloc.h"

/* WHATWG: these labels are all decoded as windows-1252 by every browser. */
static const char *const windows1252_labels[] = {
	"ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1",
	"ibm819", "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591",
	"iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii",
	"windows-1252", "x-cp1252",
};
static const char *const utf8_labels[] = {
	"unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8",
	"utf8", "x-unicode20utf8",
};
/* Stateful encodings cannot be decoded byte by byte by expat's handler. */
static const char *const stateful_prefixes[] = {
	"iso-2022", "iso2022", "utf-7", "utf7", "hz-gb", "csiso2022",
};

static int
label_in(const char *label, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(label, list[i]) == 0)
			return 1;
	return 0;
}

static void
choose_label(const char *label, struct encoding_choice *out)
{
	iconv_t cd;

	if (label[0] == '\0' ||
	    label_in(label, utf8_labels, sizeof(utf8_labels) / sizeof(*utf8_labels)) ||
	    strncmp(label, "utf-16", 6) == 0 || strncmp(label, "utf16", 5) == 0 ||
	    strncmp(label, "ucs-2", 5) == 0) {
		/* UTF-16 declared on ASCII-compatible bytes: a converted file
		 * that kept its old declaration. Read it as what it is. */
		strcpy(out->name, "UTF-8");
		out->repair_utf8 = 1;
		return;
	}
	if (label_in(label, windows1252_labels,
	    sizeof(windows1252_labels) / sizeof(*windows1252_labels))) {
		strcpy(out->name, "windows-1252");
		return;
	}
	for (size_t i = 0; i < sizeof(stateful_prefixes) / sizeof(*stateful_prefixes); i++)
		if (strncmp(label, stateful_prefixes[i], strlen(stateful_prefixes[i])) == 0)
			goto unknown;
	cd = iconv_open("UTF-32LE", label);
	if (cd != (iconv_t)-1) {
		iconv_close(cd);
		snprintf(out->name, sizeof(out->name), "%s", label);
		return;
	}
unknown:
	snprintf(out->ignored_label, sizeof(out->ignored_label), "%s", label);
	strcpy(out->name, "UTF-8");
	out->repair_utf8 = 1;
}

/*
 * Find the pseudo-attribute `name="value"` inside the XML declaration
 * decl[0..len): its value (lowercased, trimmed) into value if not NULL, and
 * the span from the name to the closing quote into *off and *span.
 */
static void
pseudo_attribute(const char *decl, size_t len, const char *name, char *value,
    size_t valuesz, size_t *off, size_t *span)
{
	const char *p = decl, *end = decl + len, *start;
	size_t nlen = strlen(name), o = 0;

	if (value != NULL)
		value[0] = '\0';
	*off = *span = 0;
	for (; p + nlen <= end; p++) {
		char quote;
		const char *v;

		if (strncmp(p, name, nlen) != 0)
			continue;
		start = p;
		p += nlen;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			return;
		quote = *p++;
		v = p;
		while (p < end && *p != quote)
			p++;
		if (p >= end)
			return;
		*off = (size_t)(start - decl);
		*span = (size_t)(p + 1 - start);
		if (value == NULL)
			return;
		/* trimmed: some feeds write encoding=" UTF-8 " */
		while (v < p && isspace((unsigned char)*v))
			v++;
		while (p > v && isspace((unsigned char)p[-1]))
			p--;
		while (v < p && o + 1 < valuesz)
			value[o++] = (char)tolower((unsigned char)*v++);
		value[o] = '\0';
		return;
	}
}

int
encoding_sniff(const char *data, size_t len, int final,
    struct encoding_choice *out)
{
	const unsigned char *u = (const unsigned char *)data;
	const char *end, *decl;
	char label[ENCODING_NAME_SIZE];
	size_t scan, ws = 0, bom = 0;

	memset(out, 0, sizeof(*out));
	if (len < 4 && !final)
		return 0;
	if (len >= 4 && ((u[0] == 0 && u[1] == 0) ||
	    (u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) ||
	    (u[1] == 0 && u[2] == 0 && u[3] == 0)))
		return -1;	/* UTF-32 or UCS-4 */
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		bom = 3;
	else if (len >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) ||
	    (u[0] == 0xFF && u[1] == 0xFE) ||
	    (u[0] == 0 && u[1] != 0) || (u[0] != 0 && u[1] == 0)))
		return 1;	/* UTF-16, with or without BOM: expat detects it */

	scan = len < ENCODING_SNIFF_BYTES ? len : ENCODING_SNIFF_BYTES;
	/* Blank lines before the XML declaration are a common server-side
	 * template slip; expat rejects them, readers skip them. */
	ws = bom;
	while (ws < scan && (data[ws] == ' ' || data[ws] == '\t' ||
	    data[ws] == '\r' || data[ws] == '\n'))
		ws++;
	decl = data + ws;
	label[0] = '\0';
	if (scan - ws >= 5 && strncmp(decl, "<?xml", 5) == 0) {
		end = memmem(decl, scan - ws, "?>", 2);
		if (end == NULL && !final && len < ENCODING_SNIFF_BYTES)
			return 0;
		if (end != NULL) {
			out->skip = ws;
			out->decl_len = (size_t)(end + 2 - decl);
			pseudo_attribute(decl, out->decl_len, "encoding", label,
			    sizeof(label), &out->encoding_off, &out->encoding_len);
			pseudo_attribute(decl, out->decl_len, "standalone", NULL, 0,
			    &out->standalone_off, &out->standalone_len);
		}
	} else if (scan - ws < 5 && !final && len < ENCODING_SNIFF_BYTES) {
		return 0;
	}
	if (bom)
		label[0] = '\0';	/* the byte order mark wins: UTF-8 */
	choose_label(label, out);
	return 1;
}

/* windows-1252 0x80..0x9F; 0 marks the five undefined bytes. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static void
add_codepoint(struct buf *b, unsigned cp)
{
	char u[3];

	/* only BMP code points >= 0x80 reach here */
	if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 2);
	} else {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 3);
	}
}

static void
add_cp1252(struct buf *b, unsigned char c)
{
	unsigned cp = c >= 0xA0 ? c : cp1252_high[c - 0x80];

	add_codepoint(b, cp ? cp : 0xFFFD);
}

/*
 * Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0 if it is
 * invalid. *incomplete is set when the sequence is a valid prefix that runs
 * past avail.
 */
static size_t
utf8_seq(const unsigned char *p, size_t avail, int *incomplete)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t n;

	*incomplete = 0;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	for (size_t i = 1; i < n; i++) {
		if (i >= avail) {
			*incomplete = 1;
			return n;
		}
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

/* XML 1.0 forbids U+FFFE and U+FFFF even though they are valid UTF-8. */
static int
is_nonchar(const unsigned char *p, size_t n)
{
	return n == 3 && p[0] == 0xEF && p[1] == 0xBF &&
	    (p[2] == 0xBE || p[2] == 0xBF);
}

#define HIGH_BITS	UINT64_C(0x8080808080808080)
#define CONTROL_OFFSET	UINT64_C(0x6060606060606060)

static int
is_xml_control(unsigned char c)
{
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

void
encoding_repair_init(struct utf8_repair *r)
{
	memset(r, 0, sizeof(*r));
}

const char *
encoding_repair_utf8(struct utf8_repair *r, const char *in, size_t len,
    int final, struct buf *scratch, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n;
	int inc;

	if (r->npending == 0) {
		/* Fast path: most chunks are valid; hand them over untouched. */
		while (i < len) {
			/* eight plain ASCII bytes at a time: none >= 0x80, none < 0x20 */
			while (len - i >= sizeof(uint64_t)) {
				uint64_t w;

				memcpy(&w, p + i, sizeof(w));
				/* with no high bit, b + 0x60 sets it iff b >= 0x20,
				 * and no byte carries into the next */
				if ((w & HIGH_BITS) != 0 ||
				    ((w + CONTROL_OFFSET) & HIGH_BITS) != HIGH_BITS)
					break;
				i += sizeof(w);
			}
			if (i >= len)
				break;
			if (p[i] < 0x80) {
				if (is_xml_control(p[i]))
					break;
				i++;
				continue;
			}
			n = utf8_seq(p + i, len - i, &inc);
			if (n == 0)
				break;
			if (inc) {
				if (final)
					break;
				memcpy(r->pending, p + i, len - i);
				r->npending = len - i;
				*outlen = i;
				return in;
			}
			if (is_nonchar(p + i, n))
				break;
			i += n;
		}
		if (i == len) {
			*outlen = len;
			return in;
		}
	}

	buf_reset(scratch);
	if (r->npending > 0) {
		unsigned char tmp[8];
		size_t take = len < 4 - r->npending ? len : 4 - r->npending;

		memcpy(tmp, r->pending, r->npending);
		memcpy(tmp + r->npending, p, take);
		n = utf8_seq(tmp, r->npending + take, &inc);
		if (inc && !final) {
			/* still incomplete: only possible when len is tiny */
			memcpy(r->pending + r->npending, p, take);
			r->npending += take;
			*outlen = 0;
			return in;
		}
		if (n == 0 || inc) {
			/* the pending bytes were never UTF-8: take them as 1252 */
			for (size_t k = 0; k < r->npending; k++)
				add_cp1252(scratch, r->pending[k]);
			r->replaced += r->npending;
		} else {
			if (is_nonchar(tmp, n)) {
				add_codepoint(scratch, 0xFFFD);
				r->replaced += n;
			} else {
				buf_add(scratch, tmp, n);
			}
			i = n - r->npending;
		}
		r->npending = 0;
	} else {
		buf_add(scratch, in, i);
	}

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if (is_xml_control(c))
				r->replaced++;
			else
				buf_addc(scratch, (char)c);
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i, &inc);
		if (inc) {
			if (!final) {
				memcpy(r->pending, p + i, len - i);
				r->npending = len - i;
				break;
			}
			n = 0;
		}
		if (n == 0) {
			add_cp1252(scratch, c);
			r->replaced++;
			i++;
		} else if (is_nonchar(p + i, n)) {
			add_codepoint(scratch, 0xFFFD);
			r->replaced += n;
			i += n;
		} else {
			buf_add(scratch, p + i, n);
			i += n;
		}
	}
	*outlen = scratch->len;
	return buf_str(scratch);
}

/* ---- expat's unknown-encoding handler, through iconv ---- */

#define MAX_MB_LEN 4
#define REPLACEMENT_CHAR 0xFFFD

struct iconv_encoding {
	iconv_t		cd;
	unsigned char	seqlen[256];
};

/* Decode n bytes to one code point, or -1 (invalid) / -2 (incomplete). */
static int
iconv_one(iconv_t cd, const unsigned char *in, size_t n)
{
	unsigned char out[8];
	char *ip = (char *)(uintptr_t)in, *op = (char *)out;
	size_t il = n, ol = sizeof(out);

	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
		return errno == EINVAL ? -2 : -1;
	if (il != 0 || sizeof(out) - ol != 4)
		return -1;	/* more than one character: not a table entry */
	return (int)(out[0] | out[1] << 8 | out[2] << 16 | (unsigned)out[3] << 24);
}

static int
iconv_convert(void *data, const char *s)
{
	struct iconv_encoding *e = data;
	const unsigned char *u = (const unsigned char *)s;
	int cp = iconv_one(e->cd, u, e->seqlen[u[0]]);

	return cp < 0 ? REPLACEMENT_CHAR : cp;
}

static void
iconv_release(void *data)
{
	struct iconv_encoding *e = data;

	iconv_close(e->cd);
	free(e);
}

int
encoding_unknown_handler(void *data, const XML_Char *name, XML_Encoding *info)
{
	static const unsigned char trails[] = {
		0xA1, 0x80, 0x40, 0xB0, 0xE0, 0x30, 0x5C, 0xFE,
	};
	struct iconv_encoding *e;
	int multibyte = 0;

	(void)data;
	e = xcalloc(1, sizeof(*e));
	e->cd = iconv_open("UTF-32LE", name);
	if (e->cd == (iconv_t)-1) {
		free(e);
		return XML_STATUS_ERROR;
	}
	for (int b = 0; b < 256; b++) {
		unsigned char seq[MAX_MB_LEN] = { (unsigned char)b };
		int cp = iconv_one(e->cd, seq, 1);

		e->seqlen[b] = 1;
		if (cp >= 0) {
			/* expat wants ASCII to stay ASCII; others are checked by it */
			info->map[b] = cp;
			continue;
		}
		info->map[b] = REPLACEMENT_CHAR;
		if (cp == -1)
			continue;
		/* An incomplete lead byte: find how many bytes it takes. */
		for (int len = 2; len <= MAX_MB_LEN; len++) {
			int any_incomplete = 0, found = 0;

			for (size_t t = 0; t < sizeof(trails) && !found; t++) {
				memset(seq + 1, trails[t], MAX_MB_LEN - 1);
				cp = iconv_one(e->cd, seq, (size_t)len);
				if (cp >= 0)
					found = 1;
				else if (cp == -2)
					any_incomplete = 1;
			}
			if (found) {
				info->map[b] = -len;
				e->seqlen[b] = (unsigned char)len;
				multibyte = 1;
				break;
			}
			if (!any_incomplete)
				break;
		}
	}
	info->data = e;
	info->convert = multibyte ? iconv_convert : NULL;
	info->release = iconv_release;
	return XML_STATUS_OK;
}
