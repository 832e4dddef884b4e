/*
 * expat_count FILE...: the ceiling for any expat-based feed parser.
 *
 * Does the least work a real feed parser cannot avoid: namespace-aware
 * parsing (feeds need it to tell content:encoded from an element named
 * encoded) and keeping the character data of each element (a parser must
 * collect text that expat hands out in pieces). It then throws the text away
 * and counts elements. Reading in 64 KiB chunks matches `feedmill parse`.
 *
 * Prints "FILE: N elements" a file; exit status 1 if any file is not
 * well-formed XML.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <expat.h>

#define READ_CHUNK_BYTES (64 * 1024)
/* Separator between namespace URI and local name, as sfeed and feedmill use. */
#define NS_SEP '\x01'

struct count {
	unsigned long	 elements;
	char		*text;		/* character data of the current element */
	size_t		 len, cap;
};

static void
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct count *c = arg;

	(void)name;
	(void)attrs;
	c->elements++;
	c->len = 0;	/* a new element: its text starts afresh */
}

static void
on_end(void *arg, const XML_Char *name)
{
	struct count *c = arg;

	(void)name;
	c->len = 0;
}

static void
on_text(void *arg, const XML_Char *s, int len)
{
	struct count *c = arg;

	if (c->len + (size_t)len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;

		while (cap < c->len + (size_t)len + 1)
			cap *= 2;
		if ((c->text = realloc(c->text, cap)) == NULL) {
			perror("expat_count");
			exit(2);
		}
		c->cap = cap;
	}
	memcpy(c->text + c->len, s, (size_t)len);
	c->len += (size_t)len;
	c->text[c->len] = '\0';
}

static int
count_file(const char *path, struct count *c, char *chunk)
{
	XML_Parser xp;
	ssize_t n;
	int fd, status = 0;

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "expat_count: cannot open '%s': %s\n", path,
		    strerror(errno));
		return 1;
	}
	xp = XML_ParserCreateNS(NULL, NS_SEP);
	XML_SetUserData(xp, c);
	XML_SetElementHandler(xp, on_start, on_end);
	XML_SetCharacterDataHandler(xp, on_text);
	c->elements = 0;
	do {
		n = read(fd, chunk, READ_CHUNK_BYTES);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "expat_count: cannot read '%s': %s\n", path,
			    strerror(errno));
			status = 1;
			break;
		}
		if (XML_Parse(xp, chunk, (int)n, n == 0) == XML_STATUS_ERROR) {
			fprintf(stderr, "expat_count: '%s': line %lu: %s\n", path,
			    (unsigned long)XML_GetCurrentLineNumber(xp),
			    XML_ErrorString(XML_GetErrorCode(xp)));
			status = 1;
			break;
		}
	} while (n != 0);
	printf("%s: %lu elements\n", path, c->elements);
	XML_ParserFree(xp);
	close(fd);
	return status;
}

int
main(int argc, char **argv)
{
	struct count c = { 0 };
	char *chunk = malloc(READ_CHUNK_BYTES);
	int status = 0;

	if (chunk == NULL) {
		perror("expat_count");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		status |= count_file(argv[i], &c, chunk);
	free(chunk);
	free(c.text);
	return status;
}
