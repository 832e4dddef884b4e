#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "uri.h"
#include "xmalloc.h"

/* The five components of RFC 3986 appendix B; each NULL when absent. */
struct uri_parts {
	char *scheme, *authority, *path, *query, *fragment;
};

static size_t
scheme_len(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i;
		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

int
uri_is_absolute(const char *s)
{
	return scheme_len(s) > 0;
}

static void
uri_split(const char *s, struct uri_parts *u)
{
	size_t n;

	memset(u, 0, sizeof(*u));
	if ((n = scheme_len(s)) > 0) {
		u->scheme = xstrndup(s, n);
		s += n + 1;
	}
	if (s[0] == '/' && s[1] == '/') {
		s += 2;
		n = strcspn(s, "/?#");
		u->authority = xstrndup(s, n);
		s += n;
	}
	n = strcspn(s, "?#");
	u->path = xstrndup(s, n);
	s += n;
	if (*s == '?') {
		s++;
		n = strcspn(s, "#");
		u->query = xstrndup(s, n);
		s += n;
	}
	if (*s == '#')
		u->fragment = xstrdup(s + 1);
}

static void
uri_parts_free(struct uri_parts *u)
{
	free(u->scheme);
	free(u->authority);
	free(u->path);
	free(u->query);
	free(u->fragment);
}

/* RFC 3986 5.2.4, on a private copy. */
static char *
remove_dot_segments(const char *path)
{
	size_t n = strlen(path);
	char *in = xstrdup(path), *out = xmalloc(n + 1);
	char *p = in;
	size_t o = 0;

	while (*p != '\0') {
		if (strncmp(p, "../", 3) == 0) {
			p += 3;
		} else if (strncmp(p, "./", 2) == 0) {
			p += 2;
		} else if (strncmp(p, "/./", 3) == 0) {
			p += 2;
		} else if (strcmp(p, "/.") == 0) {
			p[1] = '\0';
		} else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
			if (p[3] == '\0') {
				p += 2;
				*p = '/';
			} else {
				p += 3;
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
			p += strlen(p);
		} else {
			size_t seg = 1 + strcspn(p + 1, "/");

			if (*p != '/')
				seg = strcspn(p, "/");
			memcpy(out + o, p, seg);
			o += seg;
			p += seg;
		}
	}
	out[o] = '\0';
	free(in);
	return out;
}

static char *
merge_paths(const struct uri_parts *base, const char *ref_path)
{
	const char *slash;

	if (base->authority != NULL && base->path[0] == '\0')
		return xasprintf("/%s", ref_path);
	slash = strrchr(base->path, '/');
	if (slash == NULL)
		return xstrdup(ref_path);
	return xasprintf("%.*s%s", (int)(slash - base->path + 1), base->path,
	    ref_path);
}

static char *
uri_join(const struct uri_parts *t)
{
	struct buf b;

	buf_init(&b, (size_t)-1);
	if (t->scheme) {
		buf_addstr(&b, t->scheme);
		buf_addc(&b, ':');
	}
	if (t->authority) {
		buf_addstr(&b, "//");
		buf_addstr(&b, t->authority);
	}
	buf_addstr(&b, t->path ? t->path : "");
	if (t->query) {
		buf_addc(&b, '?');
		buf_addstr(&b, t->query);
	}
	if (t->fragment) {
		buf_addc(&b, '#');
		buf_addstr(&b, t->fragment);
	}
	return buf_detach(&b);
}

char *
uri_resolve(const char *base, const char *ref)
{
	struct uri_parts b, r, t;
	size_t len;
	char *trimmed, *result;

	while (isspace((unsigned char)*ref))
		ref++;
	len = strlen(ref);
	while (len > 0 && isspace((unsigned char)ref[len - 1]))
		len--;
	if (len > URI_MAX_BYTES ||
	    (base != NULL && strlen(base) + len > URI_MAX_BYTES))
		return NULL;
	trimmed = xstrndup(ref, len);
	if (!uri_is_absolute(trimmed) && (base == NULL || !uri_is_absolute(base)))
		return trimmed;	/* nothing to resolve against */

	uri_split(trimmed, &r);
	free(trimmed);
	memset(&t, 0, sizeof(t));
	if (r.scheme != NULL) {
		/* 5.2.2: an absolute reference still loses its dot segments */
		t.scheme = r.scheme;
		t.authority = r.authority;
		t.path = remove_dot_segments(r.path);
		t.query = r.query;
		t.fragment = r.fragment;
		result = uri_join(&t);
		free(t.path);
		uri_parts_free(&r);
		return result;
	}
	uri_split(base, &b);
	if (r.authority != NULL) {
		t.authority = r.authority;
		t.path = remove_dot_segments(r.path);
		t.query = r.query;
	} else {
		if (r.path[0] == '\0') {
			t.path = xstrdup(b.path);
			t.query = r.query ? r.query : b.query;
		} else {
			if (r.path[0] == '/') {
				t.path = remove_dot_segments(r.path);
			} else {
				char *m = merge_paths(&b, r.path);

				t.path = remove_dot_segments(m);
				free(m);
			}
			t.query = r.query;
		}
		t.authority = b.authority;
	}
	t.scheme = b.scheme;
	t.fragment = r.fragment;
	result = uri_join(&t);
	free(t.path);
	uri_parts_free(&b);
	uri_parts_free(&r);
	return result;
}
