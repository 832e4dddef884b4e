/*
 * tag_store: file a stored release under its fields (tag.h), reading what
 * the tagger needs from the store and writing the fields back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tag.h"
#include "xmalloc.h"

int
tag_stored_release(struct tagger *t, struct store *s, int64_t id,
    tag_source_fields_fn *source_fields, void *arg, unsigned long *per_field)
{
	struct store_release rel;
	struct tag tags[TAG_MAX_FIELDS];
	struct store_field fields[TAG_MAX_FIELDS];
	struct tag_input in;
	const char **cats = NULL, **imposed = NULL;
	char **sources = NULL, *p;
	size_t ncats = 0, nimposed = 0, nsources = 0, n;
	int status = -1;

	memset(&rel, 0, sizeof(rel));
	if (store_release_get(s, id, &rel) == -1 ||
	    store_release_sources(s, id, &sources, &nsources) == -1)
		goto out;
	for (p = rel.categories; p != NULL && *p != '\0';) {
		char *e = strchr(p, '\n');

		if (e != NULL)
			*e = '\0';	/* rel is ours: cut in place */
		cats = xrealloc(cats, (ncats + 1) * sizeof(*cats));
		cats[ncats++] = p;
		p = e ? e + 1 : p + strlen(p);
	}
	for (size_t i = 0; source_fields != NULL && i < nsources; i++) {
		const struct conf_list *l = source_fields(sources[i], arg);

		for (size_t j = 0; l != NULL && j < l->n; j++) {
			imposed = xrealloc(imposed, (nimposed + 1) * sizeof(*imposed));
			imposed[nimposed++] = l->v[j];
		}
	}
	memset(&in, 0, sizeof(in));
	in.title = rel.title;
	in.text = rel.body_text;
	in.categories = cats;
	in.ncategories = ncats;
	in.source_fields = imposed;
	in.nsource_fields = nimposed;
	n = tagger_tag(t, &in, tags);
	for (size_t i = 0; i < n; i++) {
		fields[i].slug = tagger_field(t, tags[i].field)->slug;
		fields[i].origin = tag_origin_name(tags[i].origin);
		fields[i].score = tags[i].score;
	}
	status = store_release_set_fields(s, id, fields, n);
	for (size_t i = 0; status == 0 && per_field != NULL && i < n; i++)
		per_field[tags[i].field]++;
out:
	for (size_t i = 0; i < nsources; i++)
		free(sources[i]);
	free(sources);
	free(cats);
	free(imposed);
	store_release_clear(&rel);
	return status;
}
