/*
 * feedmill check-config [-c FILE]   validate the configuration
 * feedmill import-opml FILE         print [source] sections for an OPML file
 */
#include "config.h"

#include <ctype.h>
#include <iconv.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "store.h"
#include "log.h"
#include "opml.h"
#include "tag.h"
#include "xmalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define DEFAULT_CONF SYSCONFDIR "/feedmill/feedmill.conf"
#define MAX_NAME_CHARS 48

const char *
cmd_default_config(void)
{
	return DEFAULT_CONF;
}

int
cmd_load_config(struct conf *c, const char *path)
{
	struct conf_errors errs;

	if (conf_load(c, path, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_release(&errs);
		conf_release(c);
		return -1;
	}
	conf_errors_release(&errs);
	return 0;
}

const char *
cmd_config_path(int argc, char **argv, int *next)
{
	const char *path = cmd_default_config();
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			break;
	}
	*next = i;
	return path;
}

/*
 * Sources the daemon retired after a 410 are not a configuration error,
 * but the one who edits the file needs to know they are no longer polled.
 */
static void
report_retired(const struct conf *c)
{
	struct store *s;
	char *err;
	int r = store_open_readonly(&s, c->state_dir, &err);

	if (r == 1)
		return;
	if (r == -1) {
		fprintf(stderr, "%s: warning: %s\n", c->path, err);
		free(err);
		return;
	}
	for (size_t i = 0; i < c->nsources; i++) {
		struct store_source st;

		if (store_source_get(s, c->sources[i].name, &st) == -1)
			continue;
		if (st.retired && strcmp(st.configured_url, c->sources[i].url) == 0)
			printf("%s:%d: source '%s' is retired: its server answered "
			    "410 Gone; change its url to poll it again\n",
			    c->sources[i].file, c->sources[i].line, st.name);
		store_source_release(&st);
	}
	store_close(s);
}

/* The taxonomy file, and the field labels sources and digests use. */
static int
check_fields(const struct conf *c)
{
	struct conf_errors errs;
	struct tagger *t;
	int bad = 0;

	if (tagger_load(&t, c->fields_path, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_release(&errs);
		return -1;
	}
	for (size_t i = 0; i < c->nsources; i++)
		for (size_t j = 0; j < c->sources[i].fields.n; j++)
			if (tagger_lookup(t, c->sources[i].fields.v[j]) < 0) {
				fprintf(stderr, "%s:%d: source '%s': field '%s' is not in "
				    "%s\n", c->sources[i].file, c->sources[i].line,
				    c->sources[i].name, c->sources[i].fields.v[j],
				    c->fields_path);
				bad = 1;
			}
	for (size_t i = 0; i < c->ndigests; i++)
		for (size_t j = 0; j < c->digests[i].fields.n; j++)
			if (tagger_lookup(t, c->digests[i].fields.v[j]) < 0) {
				fprintf(stderr, "%s:%d: digest '%s': field '%s' is not in "
				    "%s\n", c->digests[i].file, c->digests[i].line,
				    c->digests[i].name, c->digests[i].fields.v[j],
				    c->fields_path);
				bad = 1;
			}
	if (!bad)
		printf("%s: ok, %zu field%s%s%s\n", c->fields_path, tagger_nfields(t),
		    tagger_nfields(t) == 1 ? "" : "s",
		    tagger_model_path(t) ? ", model " : "",
		    tagger_model_path(t) ? tagger_model_path(t) : "");
	tagger_free(t);
	return bad ? -1 : 0;
}

int
cmd_check_config(int argc, char **argv)
{
	struct conf c;
	struct conf_errors errs;
	const char *path;
	int next, status;

	path = cmd_config_path(argc, argv, &next);
	if (next != argc) {
		fprintf(stderr, "usage: feedmill check-config [-c FILE]\n");
		return EXIT_USAGE;
	}
	if (conf_load(&c, path, &errs) == 0) {
		printf("%s: ok, %zu source%s, %zu digest%s\n", path, c.nsources,
		    c.nsources == 1 ? "" : "s", c.ndigests, c.ndigests == 1 ? "" : "s");
		status = check_fields(&c) == 0 ? 0 : 1;
		report_retired(&c);
	} else {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		status = 1;
	}
	conf_errors_release(&errs);
	conf_release(&c);
	return status;
}

struct import {
	char	**names;
	size_t	  n;
	size_t	  skipped;
};

/* "Élections" -> "Elections", so names keep their letters. */
static char *
transliterate(const char *utf8)
{
	size_t inlen = strlen(utf8), outlen = inlen * 4 + 1;
	char *out = xmalloc(outlen), *op = out, *ip = (char *)(uintptr_t)utf8;
	iconv_t cd;

	/* glibc transliterates by the locale's tables */
	setlocale(LC_CTYPE, "C.UTF-8");
	cd = iconv_open("ASCII//TRANSLIT", "UTF-8");
	if (cd == (iconv_t)-1 || iconv(cd, &ip, &inlen, &op, &outlen) == (size_t)-1) {
		free(out);
		out = xstrdup(utf8);	/* non-ASCII bytes then separate words */
	} else {
		*op = '\0';
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	setlocale(LC_CTYPE, "C");
	return out;
}

/* A source name from a title: lowercase words joined by '-'. */
static char *
make_name(struct import *im, const char *title, const char *url)
{
	char base[MAX_NAME_CHARS + 1], *name, *ascii = NULL;
	size_t o = 0;
	const char *s = title;

	if (s == NULL || *s == '\0') {
		/* the host of the URL */
		s = strstr(url, "://");
		s = s ? s + 3 : url;
	} else {
		s = ascii = transliterate(title);
	}
	for (; *s && o < MAX_NAME_CHARS; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) && ch < 0x80)
			base[o++] = (char)tolower(ch);
		else if (o > 0 && base[o - 1] != '-')
			base[o++] = '-';
		if (ch == '/' && title == NULL)
			break;
	}
	while (o > 0 && base[o - 1] == '-')
		o--;
	base[o] = '\0';
	free(ascii);
	if (o == 0)
		strcpy(base, "feed");
	name = xstrdup(base);
	for (int k = 2;; k++) {
		int taken = 0;

		for (size_t i = 0; i < im->n && !taken; i++)
			taken = strcmp(im->names[i], name) == 0;
		if (!taken)
			break;
		free(name);
		name = xasprintf("%s-%d", base, k);
	}
	im->names = xrealloc(im->names, (im->n + 1) * sizeof(*im->names));
	im->names[im->n++] = name;
	return name;
}

/* Text for a comment line: no line breaks or control characters. */
static void
print_comment_text(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void
on_outline(const struct opml_outline *o, void *arg)
{
	struct import *im = arg;
	const char *u = o->xml_url;
	size_t len = strlen(u);
	int web = strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
	int clean = 1;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f || u[i] == ';')
			clean = 0;
	if (!web || !clean || len + 6 > CONF_MAX_LINE) {
		char esc[128];

		log_warnx("skipping outline '%s': its xmlUrl is not an http(s) URL "
		    "feedmill can store", log_escape(esc, sizeof(esc),
		    o->title ? o->title : u, strlen(o->title ? o->title : u)));
		im->skipped++;
		return;
	}
	printf("[source %s]\n", make_name(im, o->title, u));
	if (o->title != NULL || o->folder != NULL) {
		printf("; ");
		if (o->title != NULL)
			print_comment_text(o->title);
		if (o->folder != NULL) {
			printf(o->title ? " (folder: " : "(folder: ");
			print_comment_text(o->folder);
			putchar(')');
		}
		putchar('\n');
	}
	printf("url = %s\n\n", u);
}

int
cmd_import_opml(int argc, char **argv)
{
	struct import im = { NULL, 0, 0 };
	char *err = NULL, esc[256];
	int status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: feedmill import-opml FILE\n");
		return EXIT_USAGE;
	}
	printf("; sources imported from %s by feedmill import-opml\n\n",
	    log_escape(esc, sizeof(esc), argv[1], strlen(argv[1])));
	if (opml_read(argv[1], on_outline, &im, &err) == -1) {
		log_warnx("'%s': %s", esc, err);
		status = 1;
	}
	free(err);
	for (size_t i = 0; i < im.n; i++)
		free(im.names[i]);
	free(im.names);
	return status;
}
