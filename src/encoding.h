/*
 * encoding: how the bytes of a feed become the UTF-8 that expat reads.
 *
 * Feeds arrive in every encoding, often mislabelled. The rules, after what
 * mature readers (browsers, feedparser) do:
 *  - a byte order mark decides (UTF-8, UTF-16 LE/BE);
 *  - else the XML declaration's encoding, with WHATWG label folding:
 *    ISO-8859-1, Latin-1 and US-ASCII mean windows-1252;
 *  - else UTF-8.
 * A UTF-8 document (declared or assumed) goes through a repair filter:
 * bytes that are not valid UTF-8 are read as windows-1252, the most common
 * mislabelling; C0 control characters, which XML forbids and which carry
 * nothing readable, are dropped; U+FFFE and U+FFFF become U+FFFD. So one
 * bad byte does not lose the whole feed. Encodings
 * expat does not know are decoded through iconv by expat's
 * unknown-encoding handler; a label iconv does not know either is read as
 * UTF-8 (with the repair filter) and reported.
 */
#ifndef FEEDMILL_ENCODING_H
#define FEEDMILL_ENCODING_H

#include <stddef.h>

#include <expat.h>

#include "buf.h"

/* Bytes of the document start we look at to find the XML declaration. */
#define ENCODING_SNIFF_BYTES 1024
#define ENCODING_NAME_SIZE 64

struct encoding_choice {
	/* Name to create the expat parser with; "" lets expat detect (UTF-16). */
	char	name[ENCODING_NAME_SIZE];
	/* The declared label when it was unknown and ignored, else "". */
	char	ignored_label[ENCODING_NAME_SIZE];
	int	repair_utf8;	/* run encoding_repair_utf8() on the bytes */
	/*
	 * The XML declaration of an ASCII-compatible document, to be fed to
	 * expat rewritten: what comes before it (a byte order mark, blank
	 * lines) is dropped; its encoding (already decided, and passed to
	 * expat by name) and standalone (which would forbid the HTML
	 * entities) pseudo-attributes are blanked. Offsets are from the '<'.
	 */
	size_t	skip;		/* bytes before the declaration */
	size_t	decl_len;	/* 0 when there is no declaration */
	size_t	encoding_off, encoding_len;
	size_t	standalone_off, standalone_len;
};

/*
 * Decide the encoding from the first len bytes of a document. Returns 1 when
 * decided, 0 when more bytes are needed (the declaration is not complete yet
 * and fewer than ENCODING_SNIFF_BYTES were seen; with final set it always
 * decides), -1 for an encoding feedmill cannot read (UTF-32).
 */
int encoding_sniff(const char *data, size_t len, int final,
    struct encoding_choice *out);

/* State of the UTF-8 repair filter between chunks. */
struct utf8_repair {
	unsigned char	pending[4];	/* an incomplete sequence at chunk end */
	size_t		npending;
	size_t		replaced;	/* bytes replaced so far, for reporting */
};

void encoding_repair_init(struct utf8_repair *r);

/*
 * Filter one chunk. Returns the bytes to give expat and sets *outlen: either
 * `in` itself (the common case: valid UTF-8 and nothing pending) or the
 * contents of `scratch`, which the caller owns and reuses. With final set,
 * an incomplete trailing sequence is flushed as replaced bytes.
 */
const char *encoding_repair_utf8(struct utf8_repair *r, const char *in,
    size_t len, int final, struct buf *scratch, size_t *outlen);

/* The XML_UnknownEncodingHandler that decodes through iconv. */
int encoding_unknown_handler(void *data, const XML_Char *name,
    XML_Encoding *info);

#endif
