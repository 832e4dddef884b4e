#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "entities.h"

struct html_entity {
	const char *name;
	const char *utf8;
};

#include "entities_dtd.h"

const char *
entities_html_dtd(size_t *len)
{
	*len = sizeof(html_entities_dtd) - 1;
	return html_entities_dtd;
}

static int
entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct html_entity *)elem)->name);
}

const char *
entities_lookup(const char *name)
{
	const struct html_entity *e;

	e = bsearch(name, html5_entities,
	    sizeof(html5_entities) / sizeof(html5_entities[0]),
	    sizeof(html5_entities[0]), entity_cmp);
	return e ? e->utf8 : NULL;
}
