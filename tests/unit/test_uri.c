#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "uri.h"
#include "xmalloc.h"

/* RFC 3986 section 5.4: every normal and abnormal example. */
static const char *const examples[][2] = {
	{ "g:h", "g:h" }, { "g", "http://a/b/c/g" }, { "./g", "http://a/b/c/g" },
	{ "g/", "http://a/b/c/g/" }, { "/g", "http://a/g" }, { "//g", "http://g" },
	{ "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
	{ "#s", "http://a/b/c/d;p?q#s" }, { "g#s", "http://a/b/c/g#s" },
	{ "g?y#s", "http://a/b/c/g?y#s" }, { ";x", "http://a/b/c/;x" },
	{ "g;x", "http://a/b/c/g;x" }, { "g;x?y#s", "http://a/b/c/g;x?y#s" },
	{ "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" },
	{ "./", "http://a/b/c/" }, { "..", "http://a/b/" }, { "../", "http://a/b/" },
	{ "../g", "http://a/b/g" }, { "../..", "http://a/" },
	{ "../../", "http://a/" }, { "../../g", "http://a/g" },
	{ "../../../g", "http://a/g" }, { "../../../../g", "http://a/g" },
	{ "/./g", "http://a/g" }, { "/../g", "http://a/g" },
	{ "g.", "http://a/b/c/g." }, { ".g", "http://a/b/c/.g" },
	{ "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
	{ "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" },
	{ "g/./h", "http://a/b/c/g/h" }, { "g/../h", "http://a/b/c/h" },
	{ "g;x=1/./y", "http://a/b/c/g;x=1/y" }, { "g;x=1/../y", "http://a/b/c/y" },
	{ "g?y/./x", "http://a/b/c/g?y/./x" }, { "g?y/../x", "http://a/b/c/g?y/../x" },
	{ "g#s/./x", "http://a/b/c/g#s/./x" }, { "g#s/../x", "http://a/b/c/g#s/../x" },
	{ "http:g", "http:g" },
};

int
main(void)
{
	char *r;

	for (size_t i = 0; i < sizeof(examples) / sizeof(*examples); i++) {
		char name[128];

		snprintf(name, sizeof(name), "RFC 3986 5.4: '%s'", examples[i][0]);
		r = uri_resolve("http://a/b/c/d;p?q", examples[i][0]);
		tap_is_str(r, examples[i][1], name);
		free(r);
	}
	r = uri_resolve("http://example.org", "news/1");
	tap_is_str(r, "http://example.org/news/1", "a base without a path gains '/'");
	free(r);
	r = uri_resolve(NULL, "  /news/1\n");
	tap_is_str(r, "/news/1", "without a base the reference is kept, trimmed");
	free(r);
	r = uri_resolve("http://example.org/a/", "\n  https://other.example/x  ");
	tap_is_str(r, "https://other.example/x", "an absolute reference wins, trimmed");
	free(r);
	r = uri_resolve("file:///srv/feeds/a.xml", "b.xml");
	tap_is_str(r, "file:///srv/feeds/b.xml", "file: bases resolve too");
	free(r);
	r = uri_resolve("http://example.org/", "http://a/b/c/./../g");
	tap_is_str(r, "http://a/b/g", "an absolute reference loses its dot segments");
	free(r);
	r = uri_resolve(NULL, "mailto:press@example.org");
	tap_is_str(r, "mailto:press@example.org", "an opaque URI is kept");
	free(r);
	{
		char *longref = xmalloc(URI_MAX_BYTES + 2);

		memset(longref, 'a', URI_MAX_BYTES + 1);
		longref[URI_MAX_BYTES + 1] = '\0';
		tap_ok(uri_resolve("http://a/", longref) == NULL,
		    "a reference past URI_MAX_BYTES resolves to nothing");
		longref[URI_MAX_BYTES - 20] = '\0';
		r = uri_resolve("http://example.org/a/b/c/d/e/f/g/h/", longref);
		tap_ok(r == NULL, "so does a result past URI_MAX_BYTES");
		free(r);
		free(longref);
	}
	tap_ok(uri_is_absolute("tag:example.org,2026:1"), "tag: URIs are absolute");
	tap_ok(!uri_is_absolute("/x:y"), "a path with a colon is not");
	return tap_done();
}
