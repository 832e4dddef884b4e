/*
 * opml: read the subscription list other feed readers export (OPML 1.0 and
 * 2.0), so users can move over. Only outlines with an xmlUrl are feeds; an
 * outline without one that holds others is a folder.
 */
#ifndef FEEDMILL_OPML_H
#define FEEDMILL_OPML_H

#define OPML_MAX_BYTES (16 * 1024 * 1024)
#define OPML_MAX_DEPTH 64

struct opml_outline {
	const char	*title;		/* title, else text; may be NULL */
	const char	*xml_url;
	const char	*html_url;	/* may be NULL */
	const char	*folder;	/* the enclosing folder's title, or NULL */
};

typedef void (*opml_fn)(const struct opml_outline *o, void *arg);

/*
 * Call fn for each feed outline of the OPML file at path, in document
 * order. Returns 0, or -1 with *err set to a malloc'd message (outlines
 * before the problem have been reported).
 */
int opml_read(const char *path, opml_fn fn, void *arg, char **err);

#endif
