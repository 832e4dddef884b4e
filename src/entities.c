#include "config.h"

#include "entities.h"
#include "entities_dtd.h"

const char *
entities_html_dtd(size_t *len)
{
	*len = sizeof(html_entities_dtd) - 1;
	return html_entities_dtd;
}
