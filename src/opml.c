#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "opml.h"
#include "xmalloc.h"

#define READ_CHUNK (64 * 1024)
#define MAX_ENTITY_AMPLIFICATION 20.0f

struct opml {
	XML_Parser	 xml;
	opml_fn		 fn;
	void		*arg;
	int		 depth;
	int		 failed;
	/* folder title at each outline depth (NULL for feeds and untitled) */
	char		*folders[OPML_MAX_DEPTH + 1];
};

static const char *
attr_ci(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i] != NULL; i += 2)
		if (strcasecmp(atts[i], name) == 0 && atts[i + 1][0] != '\0')
			return atts[i + 1];
	return NULL;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct opml *o = ud;
	struct opml_outline out;
	const char *title;

	if (++o->depth > OPML_MAX_DEPTH) {
		o->failed = 1;
		XML_StopParser(o->xml, XML_FALSE);
		return;
	}
	o->folders[o->depth] = NULL;
	if (strcmp(name, "outline") != 0)
		return;
	title = attr_ci(atts, "title");
	if (title == NULL)
		title = attr_ci(atts, "text");
	out.xml_url = attr_ci(atts, "xmlUrl");
	if (out.xml_url == NULL) {
		o->folders[o->depth] = title ? xstrdup(title) : NULL;
		return;
	}
	out.title = title;
	out.html_url = attr_ci(atts, "htmlUrl");
	out.folder = NULL;
	for (int d = o->depth - 1; d > 0 && out.folder == NULL; d--)
		out.folder = o->folders[d];
	o->fn(&out, o->arg);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct opml *o = ud;

	(void)name;
	if (o->depth <= OPML_MAX_DEPTH) {
		free(o->folders[o->depth]);
		o->folders[o->depth] = NULL;
	}
	o->depth--;
}

int
opml_read(const char *path, opml_fn fn, void *arg, char **err)
{
	struct opml o;
	FILE *fp;
	char *chunk;
	size_t n, total = 0;
	int status = 0, done = 0;

	*err = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		*err = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.fn = fn;
	o.arg = arg;
	if ((o.xml = XML_ParserCreate(NULL)) == NULL) {
		fclose(fp);
		*err = xstrdup("out of memory");
		return -1;
	}
	XML_SetUserData(o.xml, &o);
	XML_SetElementHandler(o.xml, on_start, on_end);
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(o.xml,
	    MAX_ENTITY_AMPLIFICATION);
	chunk = xmalloc(READ_CHUNK);
	while (!done) {
		n = fread(chunk, 1, READ_CHUNK, fp);
		done = n < READ_CHUNK;
		total += n;
		if (total > OPML_MAX_BYTES) {
			*err = xasprintf("larger than %d bytes", OPML_MAX_BYTES);
			status = -1;
			break;
		}
		if (XML_Parse(o.xml, chunk, (int)n, done) == XML_STATUS_ERROR) {
			*err = o.failed ?
			    xasprintf("outlines nested deeper than %d", OPML_MAX_DEPTH) :
			    xasprintf("line %lu: %s",
			    (unsigned long)XML_GetCurrentLineNumber(o.xml),
			    XML_ErrorString(XML_GetErrorCode(o.xml)));
			status = -1;
			break;
		}
	}
	if (status == 0 && ferror(fp)) {
		*err = xasprintf("cannot read: %s", strerror(errno));
		status = -1;
	}
	for (int d = 0; d <= OPML_MAX_DEPTH; d++)
		free(o.folders[d]);
	free(chunk);
	XML_ParserFree(o.xml);
	fclose(fp);
	return status;
}
