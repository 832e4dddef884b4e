/*
 * dedup against a real SQLite store in a temporary directory: canonical
 * links, then the cases of shared/DESIGN.md "Releases and duplicates" one
 * by one, each with entries as the parser hands them over.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "date.h"
#include "dedup.h"
#include "store.h"
#include "tap.h"
#include "xmalloc.h"

#define T0	1795000000	/* "now" for the first poll */
#define DAY	86400

static struct store *st;
static struct dedup_config cfg = {
	.update_overlap = DEDUP_DEFAULT_OVERLAP,
	.keep_seconds = 365LL * DAY,
};

static void
test_links(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "HTTPS://WWW.Example.ORG:443/Press/Item?utm_source=rss&utm_medium=feed#top",
		  "https://www.example.org/Press/Item" },
		{ "http://example.org:80/a?id=7&fbclid=IwAR3&gclid=x&mc_cid=1&mc_eid=2&yclid=3&_hsenc=4",
		  "http://example.org/a?id=7" },
		{ "http://example.org/a?ref=twitter&page=2", "http://example.org/a?page=2" },
		{ "http://example.org:8080/a", "http://example.org:8080/a" },
		{ "https://example.org/a?UTM_Campaign=x", "https://example.org/a" },
		{ "https://example.org", "https://example.org/" },
		{ "https://example.org/a?b=1&b=2", "https://example.org/a?b=1&b=2" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = dedup_canonical_link(cases[i].in), name[300];

		snprintf(name, sizeof(name), "canonical link of %s", cases[i].in);
		tap_is_str(got, cases[i].want, name);
		free(got);
	}
	tap_ok(dedup_canonical_link("ftp://example.org/x") == NULL, "an ftp link has no canonical form");
	tap_ok(dedup_canonical_link("not a url") == NULL, "nor has garbage");
	tap_ok(dedup_canonical_link(NULL) == NULL, "nor has no link");
}

/* ---- building entries ---- */

struct entry {
	struct feed_entry e;
	char *content;
};

static void
entry_init(struct entry *x, const char *id, const char *title, const char *link,
    const char *content, int64_t published)
{
	memset(x, 0, sizeof(*x));
	x->e.id = id;
	x->e.title = title;
	x->e.link = link;
	x->content = content ? xstrdup(content) : NULL;
	x->e.content = x->content;
	x->e.published = published;
	x->e.updated = DATE_NONE;
}

/* n paragraphs "<p>Paragraph i of <topic> ...</p>", each twice if doubled,
 * then the listed extra paragraphs. */
static char *
body(const char *topic, int n, int doubled, const char *extra)
{
	struct buf b;

	buf_init(&b, (size_t)-1);
	for (int round = 0; round < (doubled ? 2 : 1); round++)
		for (int i = 1; i <= n; i++) {
			char p[400];

			snprintf(p, sizeof(p), "<p>Paragraph %d about %s: the delegation met "
			    "officials on day %d and discussed point %d of the plan.</p>\n",
			    i, topic, i, i * 7);
			buf_addstr(&b, p);
		}
	if (extra)
		buf_addstr(&b, extra);
	return buf_detach(&b);
}

static enum dedup_result
take(const char *source, struct entry *x, int64_t now, int64_t *release)
{
	struct dedup_outcome o;
	enum dedup_result r = dedup_entry(st, &cfg, source, &x->e, now, &o);

	if (release != NULL)
		*release = o.release;
	return r;
}

static int64_t
count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t n = -1;
	char *path = getenv("DEDUP_TEST_DB");

	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void
commit(void)
{
	store_commit(st);
	store_begin(st);
}

static void
test_newsroom(void)
{
	char *doubled = body("the newsroom case", 10, 0, NULL), *lead;
	struct entry atom, rss, rdf;
	int64_t r1, r2, r3;
	struct store_release rel;
	size_t paras = 0;

	/* the shape of the seed: an opening paragraph, then nine that all
	 * appear again */
	free(doubled);
	lead = xstrdup("<p>VIENNA, 3 November 2026 – The Organisation opened its annual "
	    "review of commitments today.</p>\n");
	{
		char *nine = body("the review", 9, 1, NULL);
		char *nine_once = body("the review", 9, 0, NULL);

		doubled = xasprintf("%s%s", lead, nine);
		entry_init(&atom, "tag:example.org,2026:release/881",
		    "Annual review of commitments opens in Vienna",
		    "https://www.example.org/news/881", doubled, T0 - 3600);
		entry_init(&rss, "https://www.example.org/?p=881",
		    "Annual review of commitments opens in Vienna",
		    "https://www.example.org/news/881?fbclid=IwAR0abc", doubled, T0 - 3500);
		free(doubled);
		doubled = xasprintf("%s%s", lead, nine_once);
		entry_init(&rdf, "urn:example:881",
		    "Annual review of commitments opens in Vienna",
		    "https://WWW.example.org/news/881?utm_source=rdf&utm_medium=feed", doubled, T0 - 3000);
		free(nine);
		free(nine_once);
		free(doubled);
		free(lead);
	}
	{
		static const char *const c1[] = { "Environmental activities" };
		static const char *const c2[] = { "environmental  activities", "Maritime" };
		static const char *const c3[] = { "Maritime", "Border management" };

		atom.e.categories = c1;
		atom.e.ncategories = 1;
		rss.e.categories = c2;
		rss.e.ncategories = 2;
		rdf.e.categories = c3;
		rdf.e.ncategories = 2;
	}
	tap_is_str(dedup_result_name(take("atom", &atom, T0, &r1)), "new",
	    "newsroom: the Atom copy is a new release");
	tap_is_str(dedup_result_name(take("rss", &rss, T0, &r2)), "duplicate",
	    "newsroom: the RSS copy (own GUID, fbclid link) is a duplicate");
	tap_is_str(dedup_result_name(take("rdf", &rdf, T0, &r3)), "duplicate",
	    "newsroom: the RDF copy (utm link, body not doubled) is a duplicate");
	tap_ok(r1 == r2 && r2 == r3 && r1 > 0, "newsroom: all three are one release");
	tap_is_int(store_delivery_count(st, r1), 3, "newsroom: the release has three sources");
	store_release_get(st, r1, &rel);
	for (const char *p = rel.body_html; (p = strstr(p, "<p>")) != NULL; p++)
		paras++;
	tap_is_int((long long)paras, 10, "newsroom: its body has ten paragraphs");
	tap_is_int(rel.published, T0 - 3600, "newsroom: it keeps the earliest date");
	tap_ok(rel.summary && strncmp(rel.summary, "VIENNA, 3 November", 18) == 0,
	    "newsroom: the summary is the lead paragraph");
	tap_is_str(rel.categories, "Environmental activities\nMaritime\nBorder management",
	    "newsroom: the categories of every copy, each once");
	store_release_clear(&rel);
	free(atom.content);
	free(rss.content);
	free(rdf.content);
}

static void
test_updates(void)
{
	char *v1 = body("an edited release", 8, 0, NULL);
	char *v2 = body("an edited release", 8, 0,
	    "<p>An added paragraph: the Chair will report back in December.</p>");
	struct entry a, b, c;
	int64_t r1, r2, r3;
	struct store_release rel;

	/* one paragraph changed, one added, same GUID: a revision */
	v2 = realloc(v2, strlen(v2) + 1);
	{
		char *p = strstr(v2, "Paragraph 3 about");

		memcpy(p, "Statement", 9);
	}
	entry_init(&a, "guid-edit-1", "Council agrees on mediation roster",
	    "https://example.org/edit", v1, T0 - DAY);
	entry_init(&b, "guid-edit-1", "Council agrees on mediation roster",
	    "https://example.org/edit", v2, T0 - DAY);
	b.e.updated = T0;
	tap_is_str(dedup_result_name(take("sec", &a, T0, &r1)), "new", "edit: the first version is new");
	tap_is_str(dedup_result_name(take("sec", &b, T0 + 60, &r2)), "updated",
	    "edit: a changed and an added paragraph under the same GUID is an update");
	tap_ok(r1 == r2, "edit: no second release appears");
	store_release_get(st, r1, &rel);
	tap_ok(strstr(rel.body_html, "An added paragraph") != NULL && strstr(rel.body_html, "Statement 3 about") != NULL,
	    "edit: the stored text is the revised one");
	tap_is_int(rel.updated, T0, "edit: <updated> moves to the revision's date");
	tap_is_int(rel.revisions, 1, "edit: the revision is counted");
	store_release_clear(&rel);
	tap_is_str(dedup_result_name(take("sec", &b, T0 + 120, NULL)), "unchanged",
	    "edit: the revision seen again is unchanged");
	tap_is_str(dedup_result_name(take("sec", &a, T0 + 150, NULL)), "unchanged",
	    "edit: the older version under the same GUID (a lagging mirror) changes nothing");
	store_release_get(st, r1, &rel);
	tap_ok(strstr(rel.body_html, "An added paragraph") != NULL && rel.revisions == 1,
	    "edit: the release keeps its revision");
	store_release_clear(&rel);

	/* the old version from another feed, later: a copy, not a step back */
	entry_init(&c, "other-feed-77", "Council agrees on mediation roster",
	    "https://example.org/edit?utm_source=x", v1, T0 - DAY);
	tap_is_str(dedup_result_name(take("pc", &c, T0 + 180, &r3)), "duplicate",
	    "edit: the older version from another source joins as a duplicate");
	store_release_get(st, r1, &rel);
	tap_ok(r3 == r1 && strstr(rel.body_html, "An added paragraph") != NULL,
	    "edit: and does not turn the release back");
	store_release_clear(&rel);
	free(a.content);
	free(b.content);
	free(c.content);
	free(v1);
	free(v2);

	/* an edited copy under another GUID and link: found by overlap */
	v1 = body("a long statement", 12, 0, NULL);
	v2 = body("a long statement", 12, 0, "<p>A thirteenth paragraph was added later.</p>");
	entry_init(&a, "stmt-1", "Statement on the ceasefire", "https://example.org/s1", v1, T0 - DAY);
	entry_init(&b, "stmt-1-rev", "Statement on the ceasefire (updated)", "https://example.org/s1-rev", v2, T0 - DAY);
	b.e.updated = T0;
	take("sec", &a, T0, &r1);
	tap_is_str(dedup_result_name(take("pc", &b, T0 + 60, &r2)), "updated",
	    "overlap: 12 of 13 paragraphs in common is an update");
	tap_ok(r1 == r2, "overlap: of the same release");
	store_release_get(st, r1, &rel);
	tap_is_str(rel.title, "Statement on the ceasefire (updated)", "overlap: the title is revised too");
	store_release_clear(&rel);
	free(a.content);
	free(b.content);
	free(v1);
	free(v2);
}

static void
test_boilerplate(void)
{
	const char *closing = "<p>For further information contact the press office, +43 1 000 0000.</p>"
	    "<p>Follow us on every network we are on.</p><p>The Organisation works for stability.</p>";
	struct entry x[5];
	int64_t r[5];
	const char *topics[5] = { "water", "roads", "schools", "courts", "media" };

	for (int i = 0; i < 5; i++) {
		char *b = body(topics[i], 2, 0, closing);
		char title[64], id[16];

		snprintf(title, sizeof(title), "Release on %s", topics[i]);
		snprintf(id, sizeof(id), "bp-%d", i);
		entry_init(&x[i], xstrdup(id), xstrdup(title), NULL, b, T0);
		free(b);
	}
	for (int i = 0; i < 5; i++)
		tap_is_str(dedup_result_name(take("sec", &x[i], T0, &r[i])), "new",
		    "boilerplate: a short release sharing only the closing paragraphs is new");
	tap_ok(r[0] != r[1] && r[3] != r[4] && r[2] != r[4], "boilerplate: they stay separate releases");
	for (int i = 0; i < 5; i++) {
		free((char *)(uintptr_t)x[i].e.id);
		free((char *)(uintptr_t)x[i].e.title);
		free(x[i].content);
	}
}

static void
test_odd_items(void)
{
	struct entry a, b, c, d;
	int64_t r1, r2;
	char *huge, *tiny;
	struct buf hb;

	entry_init(&a, "t-1", "Press statement", "https://example.org/ps/1", NULL, T0);
	entry_init(&b, "t-2", "Press statement", "https://example.org/ps/2", NULL, T0);
	tap_is_str(dedup_result_name(take("sec", &a, T0, &r1)), "new", "title only: new");
	tap_is_str(dedup_result_name(take("sec", &b, T0, &r2)), "new",
	    "title only: another item with the same title and another link is new too");
	tap_ok(r1 != r2, "title only: two releases");

	entry_init(&c, "empty-1", "", NULL, "", T0);
	tap_is_str(dedup_result_name(take("sec", &c, T0, &r1)), "new", "an empty item is taken in");
	tap_is_str(dedup_result_name(take("sec", &c, T0, NULL)), "unchanged", "and not twice");

	buf_init(&hb, (size_t)-1);
	buf_addstr(&hb, "<p>");
	for (int i = 0; i < 60000; i++)
		buf_addstr(&hb, "word ");
	buf_addstr(&hb, "</p>");
	huge = buf_detach(&hb);
	entry_init(&d, "huge-1", "One huge paragraph", NULL, huge, T0);
	tap_is_str(dedup_result_name(take("sec", &d, T0, &r1)), "new", "a body of one huge paragraph is new");
	free(d.content);
	free(huge);

	buf_init(&hb, (size_t)-1);
	for (int i = 0; i < 10000; i++) {
		char p[40];

		snprintf(p, sizeof(p), "<p>item %d</p>", i);
		buf_addstr(&hb, p);
	}
	tiny = buf_detach(&hb);
	entry_init(&d, "tiny-1", "Ten thousand tiny paragraphs", NULL, tiny, T0);
	tap_is_str(dedup_result_name(take("sec", &d, T0, &r1)), "new", "10,000 tiny paragraphs: new");
	tap_is_str(dedup_result_name(take("sec", &d, T0, NULL)), "unchanged", "10,000 tiny paragraphs: then unchanged");
	free(d.content);
	free(tiny);
	free(c.content);

	/* a careless feed reuses a GUID for another release */
	{
		char *b1 = body("fisheries", 5, 0, NULL), *b2 = body("elections", 5, 0, NULL);

		entry_init(&a, "same-guid", "Talks on fisheries resume", NULL, b1, T0);
		entry_init(&b, "same-guid", "Election observers deployed", NULL, b2, T0 + DAY);
		take("careless", &a, T0, &r1);
		tap_is_str(dedup_result_name(take("careless", &b, T0 + DAY, &r2)), "new",
		    "a reused GUID with another title and text is a new release");
		tap_ok(r1 != r2, "not an update of the first");
		free(a.content);
		free(b.content);
		free(b1);
		free(b2);
	}
}

static void
test_idempotent(const char *dir)
{
	char *b = body("idempotence", 6, 1, NULL);
	struct entry x;
	int64_t before, r;
	int unchanged = 0;
	char *err = NULL;

	entry_init(&x, "idem-1", "Polled a hundred times", "https://example.org/idem", b, T0);
	take("sec", &x, T0, &r);
	commit();
	before = store_release_count(st);
	for (int i = 0; i < 100; i++)
		unchanged += take("sec", &x, T0 + i * 60, NULL) == DEDUP_UNCHANGED;
	tap_is_int(unchanged, 100, "polling an unchanged item 100 times: unchanged every time");
	tap_is_int(store_release_count(st), before, "and no release appears");
	store_commit(st);
	store_close(st);
	tap_is_int(store_open(&st, dir, &err), 0, "the store opens again after a restart");
	store_begin(st);
	tap_is_int(store_release_count(st), before, "a restart loses nothing");
	tap_is_str(dedup_result_name(take("sec", &x, T0 + DAY, NULL)), "unchanged",
	    "and duplicates nothing");
	{
		struct entry y;
		char *yb = body("a deferred item", 3, 0, NULL);

		/* the daemon's budget spent: known items still pass, new wait */
		cfg.quick_only = 1;
		tap_is_str(dedup_result_name(take("sec", &x, T0 + DAY, NULL)), "unchanged",
		    "quick only: a known unchanged item is still recognised");
		entry_init(&y, "deferred-1", "Waits for the next poll", NULL, yb, T0);
		tap_is_str(dedup_result_name(take("sec", &y, T0 + DAY, NULL)), "deferred",
		    "quick only: a new item is deferred");
		cfg.quick_only = 0;
		tap_is_str(dedup_result_name(take("sec", &y, T0 + DAY, NULL)), "new",
		    "and taken in when there is time");
		free(y.content);
		free(yb);
	}
	free(x.content);
	free(b);
}

static void
test_retention(void)
{
	char *b = body("an old story", 4, 0, NULL);
	struct entry x, copy;
	int64_t r, pruned = 0;

	entry_init(&x, "old-1", "An old story", "https://example.org/old", b, T0 - 400LL * DAY);
	tap_is_str(dedup_result_name(take("sec", &x, T0, &r)), "old",
	    "an item older than keep_days is not taken in");
	x.e.published = T0 - 300LL * DAY;
	tap_is_str(dedup_result_name(take("sec", &x, T0, &r)), "new", "one within keep_days is");
	commit();
	tap_is_int(store_prune(st, T0 + 100LL * DAY - 365LL * DAY, T0, T0 + 100LL * DAY, &pruned), 0,
	    "pruning 100 days later succeeds");
	tap_is_int(pruned, 1, "it prunes the release that passed keep_days");
	tap_is_int(count("SELECT count(*) FROM paragraph WHERE release NOT IN (SELECT id FROM release)"), 0,
	    "with its paragraph index rows");
	commit();
	tap_is_str(dedup_result_name(take("sec", &x, T0 + 101LL * DAY, &r)), "pruned",
	    "the source still listing it does not bring it back");
	entry_init(&copy, "elsewhere-1", "An old story", "https://example.org/old?utm_source=y", b,
	    T0 - 300LL * DAY);
	tap_is_str(dedup_result_name(take("other", &copy, T0 + 101LL * DAY, &r)), "pruned",
	    "nor does a copy of it from another source");
	free(x.content);
	free(copy.content);
	free(b);
}

int
main(void)
{
	char tmpl[] = "/tmp/feedmill-dedup-XXXXXX", *dir, *err = NULL, *db;

	test_links();
	if ((dir = mkdtemp(tmpl)) == NULL || store_open(&st, dir, &err) == -1) {
		tap_ok(0, "a store in a temporary directory");
		return tap_done();
	}
	db = xasprintf("%s/%s", dir, STORE_FILE);
	setenv("DEDUP_TEST_DB", db, 1);
	store_begin(st);
	test_newsroom();
	commit();
	test_updates();
	commit();
	test_boilerplate();
	commit();
	test_odd_items();
	commit();
	test_idempotent(dir);
	commit();
	test_retention();
	store_commit(st);
	store_close(st);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	free(db);
	return tap_done();
}
