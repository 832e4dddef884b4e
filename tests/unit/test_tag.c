/*
 * tag: the fields-of-work tagger through tag.h, on taxonomy files written
 * to a temporary directory: loading and every error a user can make, slugs
 * and lookups, how terms match and count, thresholds, title weight,
 * origins and their precedence, explain, a hand-written model, and
 * training: a learned word tags, untraining forgets it, and a written model
 * read back scores as the trained tagger does.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "tag.h"
#include "tap.h"
#include "xmalloc.h"

static char dir[] = "/tmp/feedmill-tag-XXXXXX";

/* ---- files and loading ---- */

/* Write text to dir/name; returns the path (malloc'd). */
static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	return path;
}

static void
print_errors(const struct conf_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		printf("#   error: %s\n", e->v[i]);
}

/* Load a taxonomy that must load; NULL (and a failed test) if it does not. */
static struct tagger *
load_ok(const char *name, const char *text, const char *what)
{
	char *path = write_file(name, text);
	struct tagger *t = NULL;
	struct conf_errors errs;
	int r = tagger_load(&t, path, &errs);

	if (!tap_ok(r == 0 && t != NULL && errs.n == 0, what))
		print_errors(&errs);
	conf_errors_release(&errs);
	free(path);
	return r == 0 ? t : NULL;
}

/* Does some error start with prefix and contain msg? */
static int
has_error(const struct conf_errors *e, const char *prefix, const char *msg)
{
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->v[i], prefix, strlen(prefix)) == 0 &&
		    strstr(e->v[i] + strlen(prefix), msg) != NULL)
			return 1;
	return 0;
}

/*
 * Loading text as name must fail with "dir/name:line: ...msg..." (or
 * "dir/name: ...msg..." when line is 0).
 */
static void
load_fails(const char *name, const char *text, int line, const char *msg)
{
	char *path = write_file(name, text), *prefix, tname[400];
	struct tagger *t = (struct tagger *)1;
	struct conf_errors errs;
	int r = tagger_load(&t, path, &errs);

	prefix = line > 0 ? xasprintf("%s:%d: ", path, line) : xasprintf("%s: ", path);
	snprintf(tname, sizeof(tname), "%s fails: line %d: %s", name, line, msg);
	if (!tap_ok(r == -1 && t == NULL && has_error(&errs, prefix, msg), tname)) {
		printf("#   returned %d, want prefix '%s'\n", r, prefix);
		print_errors(&errs);
	}
	if (r == 0)
		tagger_free(t);
	conf_errors_release(&errs);
	free(prefix);
	free(path);
}

/* ---- tagging ---- */

static size_t
tag_it(struct tagger *t, const char *title, const char *text,
    const char *const *cats, size_t ncats, const char *const *srcs, size_t nsrcs,
    struct tag *out)
{
	struct tag_input in;

	memset(&in, 0, sizeof(in));
	in.title = title;
	in.text = text;
	in.categories = cats;
	in.ncategories = ncats;
	in.source_fields = srcs;
	in.nsource_fields = nsrcs;
	return tagger_tag(t, &in, out);
}

/* The tag of field f among tags, or NULL. */
static const struct tag *
tag_of(const struct tag *tags, size_t n, size_t f)
{
	for (size_t i = 0; i < n; i++)
		if (tags[i].field == f)
			return &tags[i];
	return NULL;
}

/* Is the text (title, body) given field f from its text, and nothing else? */
static void
text_tags(struct tagger *t, const char *title, const char *text, int f, const char *name)
{
	struct tag tags[TAG_MAX_FIELDS];
	size_t n = tag_it(t, title, text, NULL, 0, NULL, 0, tags);
	int ok;

	if (f < 0)
		ok = n == 0;
	else
		ok = n == 1 && tags[0].field == (size_t)f && tags[0].origin == TAG_TEXT;
	if (!tap_ok(ok, name))
		for (size_t i = 0; i < n; i++)
			printf("#   got field %zu (%s) origin %s score %g\n", tags[i].field,
			    tagger_field(t, tags[i].field)->name,
			    tag_origin_name(tags[i].origin), tags[i].score);
}

static double
score_of(struct tagger *t, const char *title, const char *text, size_t f)
{
	double s[TAG_MAX_FIELDS];

	tagger_scores(t, title, text, s);
	return s[f];
}

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

/* ---- a valid taxonomy ---- */

static const char VALID[] =
    "# a taxonomy of our own\n"
    "[fields]\n"
    "title_weight = 2.5\n"
    "threshold = 3\n"
    "\n"
    "[field Cyber/ICT Security]\n"
    "alias = Infosec\n"
    "alias = Sécurité informatique\n"
    "term = 3 malware\n"
    "term = 2 ransomware*\n"
    "\n"
    "[field Migration]\n"
    "slug = migration-asylum\n"
    "alias = Asylum\n"
    "term = 3 border guard(s)\n"
    "threshold = 2.5\n"
    "\n"
    "; a comment\n"
    "[field Éducation]\n"
    "term = 3 school(s)\n";

static void
test_valid(void)
{
	struct tagger *t = load_ok("valid.conf", VALID, "a valid taxonomy loads");
	const struct tag_field *f;
	char *path;

	if (t == NULL)
		return;
	tap_is_int((long long)tagger_nfields(t), 3, "it has 3 fields");
	tap_ok(tagger_title_weight(t) == 2.5, "title_weight is read");
	path = xasprintf("%s/valid.conf", dir);
	tap_is_str(tagger_path(t), path, "tagger_path is the file read");
	free(path);
	tap_ok(tagger_model_path(t) == NULL, "no model: no model path");
	tap_ok(tagger_field(t, 3) == NULL, "tagger_field past the end is NULL");

	f = tagger_field(t, 0);
	tap_is_str(f->name, "Cyber/ICT Security", "field 0's name as written");
	tap_is_str(f->slug, "cyber-ict-security", "its slug derived from the name");
	tap_is_int((long long)f->naliases, 2, "its two aliases");
	tap_is_str(f->aliases[1], "Sécurité informatique", "aliases kept as written");
	tap_is_int((long long)f->nterms, 2, "its two terms");
	tap_is_str(f->terms[1].text, "ransomware*", "a term's text as written");
	tap_ok(f->terms[1].weight == 2, "a term's weight");
	tap_is_int(f->terms[1].line, 10, "a term's line");
	tap_ok(f->threshold == 3, "the default threshold applies");
	tap_is_int(f->line, 6, "the field's header line");
	tap_ok(!f->learned, "no model: not learned");

	f = tagger_field(t, 1);
	tap_is_str(f->name, "Migration", "field 1 keeps file order");
	tap_is_str(f->slug, "migration-asylum", "an explicit slug is kept");
	tap_ok(f->threshold == 2.5, "a field's own threshold");

	f = tagger_field(t, 2);
	tap_is_str(f->slug, "education", "the slug of 'Éducation' drops the accent");

	/* lookups: name, slug, alias; case, accents and punctuation do not matter */
	{
		static const struct { const char *label; int want; } cases[] = {
			{ "Cyber/ICT Security", 0 },
			{ "cyber ict security", 0 },
			{ "CYBER-ICT-SECURITY", 0 },
			{ "cyber-ict-security", 0 },
			{ "  Cyber / ICT -- security!! ", 0 },
			{ "Infosec", 0 },
			{ "INFOSEC.", 0 },
			{ "securite informatique", 0 },
			{ "SÉCURITÉ-Informatique", 0 },
			{ "Migration", 1 },
			{ "migration-asylum", 1 },
			{ "Migration Asylum", 1 },
			{ "asylum", 1 },
			{ "Éducation", 2 },
			{ "education", 2 },
			{ "EDUCATION", 2 },
			{ "cyber", -1 },
			{ "security", -1 },
			{ "migrations", -1 },
			{ "", -1 },
			{ "!!!", -1 },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
			char name[200];

			snprintf(name, sizeof(name), "tagger_lookup('%s') is %d", cases[i].label,
			    cases[i].want);
			tap_is_int(tagger_lookup(t, cases[i].label), cases[i].want, name);
		}
	}
	tagger_free(t);

	/* more slugs */
	t = load_ok("slugs.conf",
	    "[field  Human Rights & Democracy ]\nterm = 1 x\n"
	    "[field Пример]\nslug = example-1\nterm = 1 y\n"
	    "[field R&D 2030]\nterm = 1 z\n", "a taxonomy with odd names loads");
	if (t != NULL) {
		tap_is_str(tagger_field(t, 0)->slug, "human-rights-democracy",
		    "slug of 'Human Rights & Democracy'");
		tap_is_str(tagger_field(t, 1)->slug, "example-1", "a non-ASCII name with a slug");
		tap_is_int(tagger_lookup(t, "пример"), 1, "a non-ASCII name looks up, any case");
		tap_is_str(tagger_field(t, 2)->slug, "r-d-2030", "slug of 'R&D 2030'");
		tagger_free(t);
	}

	/* the [fields] section may come last, and is optional */
	t = load_ok("late.conf", "[field A]\nterm = 1 a\n[fields]\nthreshold = 7\n",
	    "[fields] after the fields loads");
	if (t != NULL) {
		tap_ok(tagger_field(t, 0)->threshold == 7, "a later [fields] threshold is the default");
		tap_ok(tagger_title_weight(t) == TAG_DEFAULT_TITLE_WEIGHT, "title_weight defaults");
		tagger_free(t);
	}
	t = load_ok("nofields.conf", "[field A]\nterm = 1 a\n", "no [fields] section loads");
	if (t != NULL) {
		tap_ok(tagger_field(t, 0)->threshold == TAG_DEFAULT_THRESHOLD, "threshold defaults");
		tagger_free(t);
	}
	t = load_ok("groups3.conf", "[field A]\nterm = 1 a(b) c(d) e(f)\nterm = 2 traffick*\n",
	    "three optional groups and a prefix term load");
	tagger_free(t);
}

/* ---- errors ---- */

static void
test_errors(void)
{
	char *longline, *okline, *path, *prefix;
	struct tagger *t;
	struct conf_errors errs;

	load_fails("e-key.conf", "[fields]\ntitle_weight = 2\ncolour = blue\n[field A]\nterm = 1 a\n",
	    3, "unknown key 'colour'");
	load_fails("e-fkey.conf", "[field A]\nterm = 1 a\nweight = 3\n", 3, "unknown key 'weight'");
	load_fails("e-sect.conf", "[field A]\nterm = 1 a\n\n[bogus]\nx = 1\n", 4,
	    "unknown section [bogus]");
	load_fails("e-outside.conf", "threshold = 3\n[field A]\nterm = 1 a\n", 1, "outside any section");
	load_fails("e-noweight.conf", "[field A]\nterm = border\n", 2, "expected 'term = WEIGHT TERM'");
	load_fails("e-noweight2.conf", "[field A]\nterm = 1 a\nterm = border guard\n", 3,
	    "term weight 'border' is not a number");
	load_fails("e-badweight.conf", "[field A]\nterm = 2x border\n", 2, "term weight '2x' is not a number");
	load_fails("e-nanweight.conf", "[field A]\nterm = nan border\n", 2, "is not a number");
	load_fails("e-bigweight.conf", "[field A]\nterm = 1e300 border\n", 2, "is not a number");
	load_fails("e-star.conf", "[field A]\nterm = 1 traf*ficking\n", 2, "'*' may only end a term");
	load_fails("e-paren.conf", "[field A]\nterm = 1 a\nterm = 1 border guard(s\n", 3, "'(' without ')'");
	load_fails("e-paren2.conf", "[field A]\nterm = 1 border guard)s\n", 2, "')' without '('");
	load_fails("e-nested.conf", "[field A]\nterm = 1 a((b))\n", 2, "'(' without ')'");
	load_fails("e-groups.conf", "[field A]\nterm = 1 a(b) c(d) e(f) g(h)\n", 2,
	    "more than 3 optional groups");
	load_fails("e-empty.conf", "[field A]\nterm = 1 (x)\nterm = 1 ...\n", 3, "no letters or digits");
	load_fails("e-dupfield.conf", "[field A]\nterm = 1 a\n[field B]\nterm = 1 b\n[field A]\nterm = 1 c\n",
	    5, "field 'A' is defined twice");
	load_fails("e-dupslug.conf", "[field A]\nslug = same\nterm = 1 a\n[field B]\nslug = same\n", 4,
	    "the same slug 'same'");
	load_fails("e-dupslug2.conf", "[field Human Rights]\n[field Human-Rights]\n", 2,
	    "the same slug 'human-rights'");
	load_fails("e-badslug.conf", "[field A]\nslug = Not A Slug\n", 2, "slug 'Not A Slug' must be");
	load_fails("e-badslug2.conf", "[field A]\nslug = -a\n", 2, "slug '-a' must be");
	load_fails("e-badslug3.conf", "[field A]\nslug = a-\n", 2, "slug 'a-' must be");
	/* the message promises single inner '-' */
	load_fails("e-badslug4.conf", "[field A]\nslug = a--b\n", 2, "slug 'a--b' must be");
	load_fails("e-alias.conf", "[field A]\nalias = Shared label\n[field B]\nalias = shared-label!\n", 3,
	    "names both 'A' and 'B'");
	load_fails("e-alias2.conf", "[field A]\n[field B]\nalias = a\n", 2, "names both 'A' and 'B'");
	load_fails("e-ascii.conf", "[field A]\nterm = 1 a\n[field Миграция]\nterm = 1 b\n", 3,
	    "field 'Миграция' needs a 'slug'");
	load_fails("e-threshold.conf", "[fields]\nthreshold = high\n[field A]\n", 2, "threshold 'high'");
	load_fails("e-tw.conf", "[fields]\ntitle_weight = 1000\n[field A]\n", 2, "title_weight '1000'");
	load_fails("e-header.conf", "[field A\nterm = 1 a\n", 1, "section header without ']'");
	load_fails("e-noname.conf", "[field ]\nterm = 1 a\n", 1, "[field] needs a name");
	load_fails("e-noeq.conf", "[field A]\nterm 1 a\n", 2, "expected 'key = value'");
	load_fails("e-nofield.conf", "[fields]\nthreshold = 2\n", 0, "no [field NAME] sections");

	/* lines: 198 characters are fine, 199 are not */
	okline = xmalloc(300);
	strcpy(okline, "[field A]\nterm = 1 ");
	for (size_t i = strlen("term = 1 "); i < 198; i++)
		strcat(okline, i % 10 == 9 ? " " : "w");
	strcat(okline, "\n");
	t = load_ok("line198.conf", okline, "a line of 198 characters loads");
	tagger_free(t);
	longline = xmalloc(600);
	strcpy(longline, "[field A]\nterm = 1 a\nterm = 1 ");
	for (size_t i = strlen("term = 1 "); i < 199; i++)
		strcat(longline, i % 10 == 9 ? " " : "w");
	strcat(longline, "\n");
	load_fails("e-line199.conf", longline, 3, "line longer than 198 characters");
	strcpy(longline, "[field A]\n# ");
	for (size_t i = 0; i < 500; i++)
		strcat(longline, "c");
	strcat(longline, "\nterm = 1 a\n");
	load_fails("e-line500.conf", longline, 2, "line longer than 198 characters");
	free(okline);
	free(longline);

	/* TAG_MAX_FIELDS fields load; one more does not */
	{
		char *many = xmalloc(64 * (TAG_MAX_FIELDS + 1) + 1), *w = many;
		char want[64];

		for (int i = 0; i <= TAG_MAX_FIELDS; i++)
			w += sprintf(w, "[field Field %d]\nterm = 3 word%d\n", i, i);
		snprintf(want, sizeof(want), "more than %d fields", TAG_MAX_FIELDS);
		load_fails("e-fields.conf", many, 2 * TAG_MAX_FIELDS + 1, want);
		many[w - many - strlen("[field Field 256]\nterm = 3 word256\n")] = '\0';
		t = load_ok("max-fields.conf", many, "TAG_MAX_FIELDS fields load");
		if (t != NULL) {
			struct tag tags[TAG_MAX_FIELDS];
			const char *cats[] = { "field 255", "Field 0" };

			tap_is_int((long long)tag_it(t, "word7", "word255 word128", cats, 2, NULL, 0, tags), 4,
			    "...and tag: the last field by category and by text");
			tap_ok(tags[3].field == 255 && tags[3].origin == TAG_CATEGORY, "...in order");
			tagger_free(t);
		}
		free(many);
	}

	/* every problem is reported, each at its line */
	path = write_file("e-many.conf", "[fields]\nbogus = 1\n[field A]\nterm = x y\n"
	    "term = 1 a*b\n[field A]\n");
	t = (struct tagger *)1;
	tap_is_int(tagger_load(&t, path, &errs), -1, "a file with four problems fails");
	prefix = xasprintf("%s:", path);
	if (!tap_ok(errs.n == 4 && has_error(&errs, prefix, "2: unknown key 'bogus'") &&
	    has_error(&errs, prefix, "4: term weight 'x'") &&
	    has_error(&errs, prefix, "5: term 'a*b'") &&
	    has_error(&errs, prefix, "6: field 'A' is defined twice"), "...with all four reported"))
		print_errors(&errs);
	conf_errors_release(&errs);
	free(prefix);
	free(path);

	/* a missing file */
	path = xasprintf("%s/no-such.conf", dir);
	t = (struct tagger *)1;
	tap_is_int(tagger_load(&t, path, &errs), -1, "a missing file fails");
	tap_ok(t == NULL, "...and gives no tagger");
	prefix = xasprintf("%s: ", path);
	if (!tap_ok(errs.n == 1 && has_error(&errs, prefix, "cannot read"), "...saying it cannot read it"))
		print_errors(&errs);
	conf_errors_release(&errs);
	free(prefix);
	free(path);

	/* a directory */
	t = (struct tagger *)1;
	tap_is_int(tagger_load(&t, dir, &errs), -1, "a directory is no taxonomy");
	conf_errors_release(&errs);

	/* models */
	free(write_file("m-unknown.model", "[model]\ntitle_weight = 2\nfloor = -1\n\n"
	    "[field A]\nbias = 0\n[field Nope]\nbias = 1\n"));
	path = xasprintf("%s/m-unknown.model", dir);
	prefix = xasprintf("%s:7: ", path);
	{
		char *p2 = write_file("e-model-unknown2.conf",
		    "[fields]\nmodel = m-unknown.model\n[field A]\nterm = 1 a\n");

		t = NULL;
		tagger_load(&t, p2, &errs);
		if (!tap_ok(has_error(&errs, prefix, "model for field 'Nope', which the taxonomy does not have"),
		    "a model naming an unknown field: model file:7: message"))
			print_errors(&errs);
		tagger_free(t);
		conf_errors_release(&errs);
		free(p2);
	}
	free(prefix);
	free(path);

	free(write_file("m-notw.model", "[model]\nfloor = -1\n[field A]\nbias = 0\nterm = 1 a\n"));
	path = write_file("e-model-notw.conf", "[fields]\nmodel = m-notw.model\n[field A]\nterm = 1 a\n");
	t = (struct tagger *)1;
	tap_is_int(tagger_load(&t, path, &errs), -1, "a model without title_weight fails");
	prefix = xasprintf("%s/m-notw.model: ", dir);
	if (!tap_ok(has_error(&errs, prefix, "no [model] title_weight"), "...naming the model file"))
		print_errors(&errs);
	conf_errors_release(&errs);
	free(prefix);
	free(path);

	free(write_file("m-bad.model", "[model]\ntitle_weight = 2\n[field A]\nbias = lots\n"
	    "term = 1 a\nalias = b\n[field A]\n"));
	path = write_file("e-model-bad.conf", "[fields]\nmodel = m-bad.model\n[field A]\nterm = 1 a\n");
	t = (struct tagger *)1;
	tap_is_int(tagger_load(&t, path, &errs), -1, "a model with bad lines fails");
	prefix = xasprintf("%s/m-bad.model:", dir);
	if (!tap_ok(has_error(&errs, prefix, "4: bias 'lots' is not a number") &&
	    has_error(&errs, prefix, "6: unknown key 'alias'") &&
	    has_error(&errs, prefix, "7: field 'A' is in the model twice"), "...each at its line"))
		print_errors(&errs);
	conf_errors_release(&errs);
	free(prefix);
	free(path);

	path = write_file("e-model-missing.conf", "[fields]\nmodel = none.model\n[field A]\nterm = 1 a\n");
	t = (struct tagger *)1;
	tap_is_int(tagger_load(&t, path, &errs), -1, "a missing model fails");
	prefix = xasprintf("%s/none.model: ", dir);
	if (!tap_ok(has_error(&errs, prefix, "cannot read"), "...naming the model file, relative to the taxonomy"))
		print_errors(&errs);
	conf_errors_release(&errs);
	free(prefix);
	free(path);
}

/* ---- how terms match ---- */

static const char TERMS[] =
    "[fields]\n"
    "threshold = 3\n"
    "title_weight = 2\n"
    "[field Migration]\n"
    "term = 3 border guard(s)\n"
    "term = 3 labo(u)r\n"
    "term = 3 traffick*\n"
    "term = 3 Éducation\n"
    "term = 3 cyber-security\n"
    "[field Other]\n"
    "term = 3 zzz\n";

static void
test_terms(void)
{
	struct tagger *t = load_ok("terms.conf", TERMS, "a taxonomy of terms loads");
	double once, many;

	if (t == NULL)
		return;
	text_tags(t, NULL, "The border guards met.", 0, "'border guard(s)' matches 'border guards'");
	text_tags(t, NULL, "A BORDER GUARD said", 0, "'border guard(s)' matches 'border guard', any case");
	text_tags(t, NULL, "border-guard", 0, "...and 'border-guard'");
	text_tags(t, NULL, "border patrol guards", -1, "...not 'border patrol guards'");
	text_tags(t, NULL, "the border guardsmen", -1, "...not 'border guardsmen'");
	text_tags(t, NULL, "labour rights", 0, "'labo(u)r' matches 'labour'");
	text_tags(t, NULL, "labor rights", 0, "'labo(u)r' matches 'labor'");
	text_tags(t, NULL, "laboratory rights", -1, "'labo(u)r' does not match 'laboratory'");
	text_tags(t, NULL, "trafficking", 0, "'traffick*' matches 'trafficking'");
	text_tags(t, NULL, "the Traffickers", 0, "'traffick*' matches 'Traffickers'");
	text_tags(t, NULL, "untrafficked goods", -1, "'traffick*' does not match 'untrafficked'");
	text_tags(t, NULL, "traffic jam", -1, "'traffick*' does not match 'traffic'");
	text_tags(t, NULL, "education for all", 0, "a term with an accent matches the text without");
	text_tags(t, NULL, "Cyber Security", 0, "a term's punctuation does not matter");
	text_tags(t, NULL, "cybersecurity", -1, "...but words stay words");
	text_tags(t, NULL, "", -1, "an empty text gets no field");
	text_tags(t, NULL, NULL, -1, "no title and no text get no field");

	once = score_of(t, NULL, "a border guard", 0);
	many = score_of(t, NULL, "border guard, border guards and Border Guards; border guard", 0);
	tap_ok(near(once, many), "a term counts once however often it appears");
	many = score_of(t, NULL, "labour, labor, labour", 0);
	tap_ok(near(once, many), "...and whichever of its forms appear");
	many = score_of(t, NULL, "labour and border guards", 0);
	tap_ok(near(many - once, 3), "two terms count their two weights");
	tap_ok(near(score_of(t, "traffickers", NULL, 0) - score_of(t, NULL, NULL, 0), 3 * 2),
	    "a term in the title counts title_weight times its weight");
	tap_ok(near(score_of(t, NULL, "traffickers", 0) - score_of(t, NULL, NULL, 0), 3),
	    "a term in the text counts its weight once");
	tagger_free(t);
}

/* ---- weights and thresholds ---- */

static const char WEIGHTS[] =
    "[fields]\n"
    "title_weight = 3\n"
    "threshold = 4\n"
    "[field Elections]\n"
    "term = 2 ballot\n"
    "term = 2 vote(s)\n"
    "[field Water]\n"
    "threshold = 1\n"
    "term = 1 river\n"
    "[field Birds]\n"
    "term = 5 migration\n"
    "term = -4 bird migration\n"
    "term = -9 migration policy\n";

static void
test_weights(void)
{
	struct tagger *t = load_ok("weights.conf", WEIGHTS, "a taxonomy with thresholds loads");

	if (t == NULL)
		return;
	text_tags(t, NULL, "a ballot", -1, "one term of weight 2 misses the default threshold 4");
	text_tags(t, NULL, "a ballot and votes", 0, "two terms of weight 2 reach it");
	text_tags(t, "Ballot", "nothing", 0, "one term in the title counts 3 x 2");
	text_tags(t, NULL, "the river", 1, "a field's own threshold (1) is reached by weight 1");
	text_tags(t, NULL, "seasonal migration", 2, "'migration' (5) tags Birds");
	text_tags(t, NULL, "the bird migration", -1, "a negative term takes it back (5 - 4)");
	text_tags(t, NULL, "migration policy", -1, "a large negative term vetoes");
	tap_ok(near(score_of(t, NULL, "bird migration", 2) - score_of(t, NULL, "migration", 2), -4),
	    "a negative weight lowers the score by its weight");
	{
		struct tag tags[TAG_MAX_FIELDS];
		double s[TAG_MAX_FIELDS];
		size_t n = tag_it(t, "Vote", "river migration ballot", NULL, 0, NULL, 0, tags);

		tagger_scores(t, "Vote", "river migration ballot", s);
		tap_ok(n == 3 && tags[0].field == 0 && tags[1].field == 1 && tags[2].field == 2,
		    "three fields from one text, in taxonomy order");
		tap_ok(n == 3 && tags[0].score == s[0] && tags[1].score == s[1] && tags[2].score == s[2],
		    "each tag's score is its field's text score");
		tap_ok(n == 3 && tags[0].score >= 0 && tags[1].score >= 0 && tags[2].score >= 0,
		    "a text tag's score (a margin over the threshold) is >= 0");
	}
	tagger_free(t);
}

/* ---- origins ---- */

static const char ORIGINS[] =
    "[field Alpha]\n"
    "alias = First\n"
    "term = 3 alpha\n"
    "[field Beta]\n"
    "slug = b\n"
    "term = 3 beta\n"
    "[field Gamma]\n"
    "term = 3 gamma\n"
    "[field Delta]\n"
    "term = 3 delta\n";

static void
test_origins(void)
{
	struct tagger *t = load_ok("origins.conf", ORIGINS, "a taxonomy for origins loads");
	struct tag tags[TAG_MAX_FIELDS];
	double s[TAG_MAX_FIELDS];
	size_t n;
	const struct tag *g;

	if (t == NULL)
		return;
	{
		const char *cats[] = { "first!", "Nonsense" };
		const char *srcs[] = { "no such field" };

		n = tag_it(t, NULL, "nothing", cats, 2, srcs, 1, tags);
		tap_ok(n == 1 && tags[0].field == 0 && tags[0].origin == TAG_CATEGORY,
		    "a category naming an alias gives the field, origin category");
		tap_is_str(tag_origin_name(TAG_CATEGORY), "category", "origin names: category");
	}
	{
		const char *srcs[] = { "GAMMA" };

		n = tag_it(t, NULL, NULL, NULL, 0, srcs, 1, tags);
		tap_ok(n == 1 && tags[0].field == 2 && tags[0].origin == TAG_SOURCE,
		    "a source's field gives the field, origin source");
		tap_is_str(tag_origin_name(TAG_SOURCE), "source", "origin names: source");
		tap_is_str(tag_origin_name(TAG_TEXT), "text", "origin names: text");
	}
	{
		/* Alpha: category and source and text; Beta: source and text;
		 * Gamma: text only; Delta: category and source */
		const char *cats[] = { "Delta", "alpha" };
		const char *srcs[] = { "delta", "b", "Alpha" };

		n = tag_it(t, "alpha beta", "gamma", cats, 2, srcs, 3, tags);
		tagger_scores(t, "alpha beta", "gamma", s);
		tap_is_int((long long)n, 4, "four fields by three origins");
		g = tag_of(tags, n, 0);
		tap_ok(g != NULL && g->origin == TAG_CATEGORY, "category before source and text");
		g = tag_of(tags, n, 1);
		tap_ok(g != NULL && g->origin == TAG_SOURCE, "source before text");
		g = tag_of(tags, n, 2);
		tap_ok(g != NULL && g->origin == TAG_TEXT, "text alone: text");
		g = tag_of(tags, n, 3);
		tap_ok(g != NULL && g->origin == TAG_CATEGORY, "category before source");
		tap_ok(n == 4 && tags[0].field == 0 && tags[1].field == 1 && tags[2].field == 2 &&
		    tags[3].field == 3, "tags come out in taxonomy order, not input order");
		tap_ok(n == 4 && tags[0].score == s[0] && tags[3].score == s[3],
		    "every tag keeps the text's score, whatever its origin");
		tap_ok(n == 4 && tags[3].score < 0, "(Delta's text score is below its threshold)");
	}
	{
		const char *cats[] = { "Beta", "b", "BETA" };

		n = tag_it(t, NULL, NULL, cats, 3, NULL, 0, tags);
		tap_ok(n == 1 && tags[0].field == 1, "one field named three ways is one tag");
	}
	tagger_free(t);
}

/* ---- long texts ---- */

static void
test_long(void)
{
	struct tagger *t = load_ok("long.conf", "[field Zebras]\nterm = 3 zebra\n"
	    "[field Long]\nterm = 3 zebra in the title\n", "a taxonomy for long texts loads");
	size_t big = TAG_MAX_TEXT + 40000;
	char *text = xmalloc(big + 1), *p;

	if (t == NULL) {
		free(text);
		return;
	}
	/* "zebra" first, then filler */
	memcpy(text, "zebra ", 6);
	for (size_t i = 6; i < big; i++)
		text[i] = i % 6 == 5 ? ' ' : 'x';
	text[big] = '\0';
	text_tags(t, NULL, text, 0, "a term at the start of a long text tags");
	text_tags(t, text, NULL, 0, "...and of a long title");

	/* filler, then "zebra" past TAG_MAX_TEXT */
	memset(text, 'x', big);
	for (size_t i = 5; i < big; i += 6)
		text[i] = ' ';
	memcpy(text + TAG_MAX_TEXT + 600, " zebra ", 7);
	text_tags(t, NULL, text, -1, "a term past TAG_MAX_TEXT is not read");

	/* "zebra" ending exactly at TAG_MAX_TEXT is read; one byte later it is cut */
	memset(text, 'x', big);
	for (size_t i = 5; i < big; i += 6)
		text[i] = ' ';
	p = text + TAG_MAX_TEXT - 6;
	memcpy(p, " zebra ", 7);
	text_tags(t, NULL, text, 0, "a term ending at byte TAG_MAX_TEXT is read");
	memset(text, 'x', big);
	for (size_t i = 5; i < big; i += 6)
		text[i] = ' ';
	memcpy(p + 1, " zebra ", 7);
	text_tags(t, NULL, text, -1, "a term cut at TAG_MAX_TEXT is not");

	/* two-byte characters across the cut: text[TAG_MAX_TEXT] is inside an é */
	text[0] = 'a';
	for (size_t i = 1; i + 1 < big; i += 2) {
		text[i] = (char)0xc3;
		text[i + 1] = (char)0xa9;	/* é */
	}
	text[big - 1] = 'b';
	text[big] = '\0';
	tap_ok(((unsigned char)text[TAG_MAX_TEXT] & 0xc0) == 0x80, "(the cut splits a character)");
	text_tags(t, NULL, text, -1, "a text cut inside a character: no crash, no field");
	memcpy(text + TAG_MAX_TEXT - 9, " zebra  ", 8);
	text_tags(t, NULL, text, 0, "...and a term just before that cut is read");
	memcpy(text + TAG_MAX_TEXT - 9, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8);
	memcpy(text + TAG_MAX_TEXT + 3, " zebra  ", 8);
	text_tags(t, NULL, text, -1, "...and one just after it is not");
	free(text);
	tagger_free(t);
}

/* ---- explain ---- */

static char *
explain(struct tagger *t, const char *title, const char *text, const char *const *cats,
    size_t ncats)
{
	struct tag_input in;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	memset(&in, 0, sizeof(in));
	in.title = title;
	in.text = text;
	in.categories = cats;
	in.ncategories = ncats;
	tagger_explain(t, &in, fp);
	fclose(fp);
	return out;
}

static void
test_explain(void)
{
	struct tagger *t = load_ok("explain.conf", TERMS, "a taxonomy to explain loads");
	char *out;

	if (t == NULL)
		return;
	out = explain(t, "Traffickers caught", "by border guards", NULL, 0);
	if (!tap_ok(strstr(out, "Migration") != NULL && strstr(out, "border guard(s)") != NULL &&
	    strstr(out, "traffick*") != NULL, "explain names the field and the terms that fired"))
		printf("# %s\n", out);
	tap_ok(strstr(out, "text") != NULL, "...and the origin");
	tap_ok(strstr(out, "(title)") != NULL, "...and that a term was in the title");
	tap_ok(strstr(out, "labo(u)r") == NULL, "...and not the terms that did not fire");
	free(out);
	{
		const char *cats[] = { "other" };

		out = explain(t, NULL, "nothing to see", cats, 1);
		tap_ok(strstr(out, "Other") != NULL && strstr(out, "category") != NULL,
		    "explain of a category tag names the field and the origin");
		tap_ok(strstr(out, "Migration") != NULL, "...and shows the nearest miss");
		free(out);
	}
	out = explain(t, NULL, "nothing to see", NULL, 0);
	tap_ok(strstr(out, "no field") != NULL, "explain says when no field is given");
	free(out);
	tagger_free(t);
}

/* ---- a model written by hand ---- */

static void
test_model_file(void)
{
	struct tagger *t;
	char *mpath;

	free(write_file("hand.model",
	    "# written by hand for the test\n"
	    "[model]\n"
	    "title_weight = 2\n"
	    "floor = -1\n"
	    "trained = 3 examples\n"
	    "\n"
	    "[field Animals]\n"
	    "bias = -2\n"
	    "cutoff = 0\n"
	    "term = 1.5 zebra\n"
	    "term = 3 wildlife\n"
	    "[field Finance]\n"
	    "bias = -2\n"
	    "cutoff = 0.5\n"
	    "term = 3 bank(s)\n"));
	t = load_ok("model.conf",
	    "[fields]\n"
	    "title_weight = 5\n"
	    "model = hand.model\n"
	    "[field Animals]\n"
	    "term = 3 elephant\n"
	    "[field Finance]\n"
	    "term = 3 bank(s)\n"
	    "[field Sport]\n"
	    "term = 3 football\n", "a taxonomy with a model loads");
	if (t == NULL)
		return;
	mpath = xasprintf("%s/hand.model", dir);
	tap_is_str(tagger_model_path(t), mpath, "the model path is relative to the taxonomy");
	free(mpath);
	tap_ok(tagger_field(t, 0)->learned && tagger_field(t, 1)->learned &&
	    !tagger_field(t, 2)->learned, "fields in the model are learned, others not");
	tap_ok(tagger_field(t, 0)->bias == -2 && tagger_field(t, 1)->cutoff == 0.5,
	    "bias and cutoff are read");
	tap_is_int((long long)tagger_field(t, 0)->nmodel, 2, "the model's terms are read");
	tap_ok(tagger_title_weight(t) == 2, "the model's title_weight is used");
	tap_ok(tagger_floor(t) == -1, "the model's floor is read");

	text_tags(t, NULL, "wildlife", 0, "a model's term reaching the cutoff tags");
	text_tags(t, NULL, "an elephant", -1, "a learned field's hand terms no longer count");
	text_tags(t, NULL, "football", 2, "a field not in the model keeps its hand terms");
	text_tags(t, NULL, "a zebra", 0, "below the cutoff, the best field reaching the floor is given");
	text_tags(t, NULL, "nothing", -1, "a best field below the floor is not");
	text_tags(t, "Zebra", NULL, 0, "a title hit counts the model's title_weight");
	tap_ok(near(score_of(t, "Zebra", NULL, 0) - score_of(t, NULL, "zebra", 0), 1.5),
	    "...2 x 1.5 against 1 x 1.5");
	tap_ok(near(score_of(t, NULL, "banks", 1), -2 + 3 - 0.5), "the score is bias + weights - cutoff");
	{
		struct tag tags[TAG_MAX_FIELDS];
		const char *cats[] = { "Finance" };
		size_t n = tag_it(t, NULL, "a zebra", cats, 1, NULL, 0, tags);

		tap_ok(n == 1 && tags[0].field == 1 && tags[0].origin == TAG_CATEGORY,
		    "no floor field when the release has a field already");
	}
	{
		char *out = explain(t, NULL, "wildlife and a zebra", NULL, 0);

		tap_ok(strstr(out, "Animals") != NULL && strstr(out, "zebra") != NULL &&
		    strstr(out, "wildlife") != NULL && strstr(out, "model") != NULL,
		    "explain shows a model's terms");
		free(out);
	}
	tagger_free(t);
}

/* ---- training ---- */

static const char TRAIN_HEAD[] =
    "[fields]\n"
    "title_weight = 2\n"
    "threshold = 3\n";
static const char TRAIN_BODY[] =
    "[field Animals]\n"
    "term = 3 wildlife\n"
    "[field Finance]\n"
    "term = 3 bank(s)\n"
    "term = 2 interest rate*\n"
    "[field Sport]\n"
    "term = 3 football\n"
    "term = 1 match*\n";

#define NEX	42

struct examples {
	struct tag_example	 ex[NEX];
	char			*title[NEX];
	char			*text[NEX];
	unsigned char		 labels[NEX][3];
};

static void
make_examples(struct examples *e)
{
	static const char *const filler[] = { "the report", "on monday", "officials said",
	    "in the capital", "a new study", "last week", "according to sources" };
	static const char *const animals[] = { "herd", "savanna", "grazing", "stripes",
	    "wildlife park", "conservation", "migration" };
	static const char *const finance[] = { "banks", "market", "interest rates", "loans",
	    "inflation", "bonds", "investors" };
	static const char *const sport[] = { "football", "league", "goal", "matches",
	    "coach", "season", "players" };

	memset(e, 0, sizeof(*e));
	for (int i = 0; i < NEX; i++) {
		int f = i % 3, k = i / 3;
		const char *const *words = f == 0 ? animals : f == 1 ? finance : sport;
		const char *fill = filler[i % 7];

		if (f == 0 && k % 7 != 6)	/* most animal stories have a zebra */
			e->title[i] = xasprintf("Zebra %s %s", words[k % 7], fill);
		else
			e->title[i] = xasprintf("%s %s", fill, words[k % 7]);
		e->text[i] = xasprintf("%s %s %s and %s. %s", fill, words[(k + 1) % 7],
		    words[(k + 3) % 7], f == 0 && k % 2 ? "a zebra" : filler[(i + 3) % 7],
		    filler[(i + 5) % 7]);
		e->labels[i][f] = 1;
		e->ex[i].title = e->title[i];
		e->ex[i].text = e->text[i];
		e->ex[i].labels = e->labels[i];
	}
}

static void
free_examples(struct examples *e)
{
	for (int i = 0; i < NEX; i++) {
		free(e->title[i]);
		free(e->text[i]);
	}
}

static const char *const probes[][2] = {
	{ "A zebra escapes", "it was seen near the road" },
	{ NULL, "zebra" },
	{ "Interest rates", "banks and markets" },
	{ "Football", "the league season" },
	{ "Zebra", "zebra wildlife herd banks football" },
	{ "the report", "officials said on monday" },
	{ NULL, NULL },
	{ "", "matches of the season, a zebra in the stands" },
};
#define NPROBES	(sizeof(probes) / sizeof(*probes))

static void
test_train(void)
{
	char *text = xasprintf("%s%s", TRAIN_HEAD, TRAIN_BODY), *mtext, *lterm, *mpath;
	struct tagger *t = load_ok("train.conf", text, "a taxonomy to train loads"), *r;
	struct tag_train_params p;
	struct examples e;
	double before[NPROBES][TAG_MAX_FIELDS], after[TAG_MAX_FIELDS];
	const char *zebra = "A zebra was seen near the river";
	FILE *fp;
	int same;

	free(text);
	if (t == NULL)
		return;
	for (size_t i = 0; i < NPROBES; i++)
		tagger_scores(t, probes[i][0], probes[i][1], before[i]);
	text_tags(t, NULL, zebra, -1, "before training, 'zebra' tags nothing");
	text_tags(t, NULL, "wildlife", 0, "before training, the hand term 'wildlife' tags Animals");

	make_examples(&e);
	tag_train_defaults(&p);
	tap_is_int(tag_train(t, e.ex, 0, &p), -1, "training on no examples fails");
	tap_is_int(tag_train(t, e.ex, NEX, &p), 0, "training on 42 examples succeeds");
	tap_ok(tagger_field(t, 0)->learned && tagger_field(t, 1)->learned &&
	    tagger_field(t, 2)->learned, "every field has a model");
	text_tags(t, NULL, zebra, 0, "after training, a text with 'zebra' is tagged Animals");
	text_tags(t, "Zebra", NULL, 0, "...and so is a title");
	text_tags(t, NULL, "the league season and the goal", 2, "a sport text is tagged Sport");
	text_tags(t, NULL, "banks raise interest rates", 1, "a finance text is tagged Finance");
	{
		struct tag tags[TAG_MAX_FIELDS];
		size_t n = tag_it(t, NULL, "A horse was seen near the river", NULL, 0, NULL, 0, tags);

		tap_ok(tag_of(tags, n, 0) == NULL,
		    "...while the same text without 'zebra' is not tagged Animals");
	}
	tap_ok(score_of(t, NULL, zebra, 0) > score_of(t, NULL, "A horse was seen near the river", 0),
	    "'zebra' raises the Animals score");

	/* the model, written and read back through a taxonomy */
	fp = fopen(mpath = xasprintf("%s/trained.model", dir), "w");
	tap_is_int(tag_model_write(t, fp, "42 test examples"), 0, "tag_model_write succeeds");
	fclose(fp);
	text = xasprintf("%smodel = trained.model\n%s", TRAIN_HEAD, TRAIN_BODY);
	r = load_ok("trained.conf", text, "a taxonomy naming the written model (relative) loads");
	free(text);
	if (r != NULL) {
		double a[TAG_MAX_FIELDS], b[TAG_MAX_FIELDS], worst = 0;
		int tags_same = 1;

		tap_is_str(tagger_model_path(r), mpath, "its model path");
		tap_ok(tagger_title_weight(r) == tagger_title_weight(t), "the same title_weight");
		tap_ok(tagger_floor(r) == tagger_floor(t), "the same floor");
		for (size_t i = 0; i < NPROBES; i++) {
			struct tag ta[TAG_MAX_FIELDS], tb[TAG_MAX_FIELDS];
			size_t na, nb;

			tagger_scores(t, probes[i][0], probes[i][1], a);
			tagger_scores(r, probes[i][0], probes[i][1], b);
			for (size_t f = 0; f < 3; f++)
				if (fabs(a[f] - b[f]) > worst)
					worst = fabs(a[f] - b[f]);
			na = tag_it(t, probes[i][0], probes[i][1], NULL, 0, NULL, 0, ta);
			nb = tag_it(r, probes[i][0], probes[i][1], NULL, 0, NULL, 0, tb);
			if (na != nb)
				tags_same = 0;
			for (size_t j = 0; j < na && j < nb; j++)
				if (ta[j].field != tb[j].field || ta[j].origin != tb[j].origin)
					tags_same = 0;
		}
		if (!tap_ok(worst <= 1e-6, "the model read back scores as the trained tagger, to 1e-6"))
			printf("#   largest difference %g\n", worst);
		tap_ok(tags_same, "...and tags the same");
		tagger_free(r);
	}
	free(mpath);

	/* untraining forgets */
	tag_untrain(t);
	tap_ok(!tagger_field(t, 0)->learned && tagger_field(t, 0)->nmodel == 0, "untrained: no model");
	tap_ok(tagger_title_weight(t) == 2, "untrained: the taxonomy's title_weight");
	text_tags(t, NULL, zebra, -1, "untrained: 'zebra' tags nothing again");
	text_tags(t, NULL, "wildlife", 0, "untrained: the hand term tags again");
	same = 1;
	for (size_t i = 0; i < NPROBES; i++) {
		tagger_scores(t, probes[i][0], probes[i][1], after);
		for (size_t f = 0; f < 3; f++)
			if (after[f] != before[i][f])
				same = 0;
	}
	tap_ok(same, "untrained: every score is as before training");

	/* training twice gives the same model */
	{
		double s1[TAG_MAX_FIELDS], s2[TAG_MAX_FIELDS];

		tag_train(t, e.ex, NEX, &p);
		tagger_scores(t, NULL, zebra, s1);
		tag_train(t, e.ex, NEX, &p);
		tagger_scores(t, NULL, zebra, s2);
		tap_ok(s1[0] == s2[0] && s1[1] == s2[1] && s1[2] == s2[2],
		    "training again on the same examples gives the same scores");
	}
	free_examples(&e);
	tagger_free(t);

	/*
	 * A taxonomy whose term line is 198 characters long (the most a line
	 * may have) trains into a model that must load back too.
	 */
	lterm = xmalloc(300);
	lterm[0] = '\0';
	for (size_t i = strlen("term = 3 "); i < 198; i++)
		strcat(lterm, i % 10 == 0 ? " " : "l");
	mtext = xasprintf("[field Long]\nterm = 3 %s\n[field Short]\nterm = 3 short\n", lterm);
	t = load_ok("longterm.conf", mtext, "a taxonomy with a 198-character term line loads");
	free(mtext);
	if (t != NULL) {
		make_examples(&e);
		tap_is_int(tag_train(t, e.ex, NEX, &p), 0, "it trains");
		fp = fopen(mpath = xasprintf("%s/longterm.model", dir), "w");
		tag_model_write(t, fp, NULL);
		fclose(fp);
		free(mpath);
		mtext = xasprintf("[fields]\nmodel = longterm.model\n"
		    "[field Long]\nterm = 3 %s\n[field Short]\nterm = 3 short\n", lterm);
		r = load_ok("longterm2.conf", mtext, "and the model it writes loads back");
		free(mtext);
		if (r != NULL) {
			double a[TAG_MAX_FIELDS], b[TAG_MAX_FIELDS];
			char *with = xasprintf("short notes on %s", lterm);

			tagger_scores(t, NULL, with, a);
			tagger_scores(r, NULL, with, b);
			if (!tap_ok(fabs(a[0] - b[0]) <= 1e-6 && fabs(a[1] - b[1]) <= 1e-6,
			    "...and scores a text with the long term as the trained tagger"))
				printf("#   Long: trained %g, read back %g\n", a[0], b[0]);
			free(with);
		}
		tagger_free(r);
		free_examples(&e);
		tagger_free(t);
	}
	free(lterm);

	/* a taxonomy deep in directories trains into a model that loads back */
	{
		char *deep = xasprintf("%s/%s", dir, "a-directory-with-a-rather-long-name-for-its-taxonomies-0001");
		char *deeper = xasprintf("%s/%s", deep, "another-directory-with-a-rather-long-name-for-taxonomies-02");
		char *name = xasprintf("%s/%s", "another-directory-with-a-rather-long-name-for-taxonomies-02",
		    "and-the-last-directory-with-a-long-name-3");

		if (mkdir(deep, 0700) == 0 && mkdir(deeper, 0700) == 0 &&
		    mkdir(mpath = xasprintf("%s/%s", deep, name), 0700) == 0) {
			char *tname = xasprintf("%s/%s", strrchr(deep, '/') + 1, name);
			char *file = xasprintf("%s/fields.conf", tname);

			free(mpath);
			text = xasprintf("%s%s", TRAIN_HEAD, TRAIN_BODY);
			t = load_ok(file, text, "a taxonomy in a deep directory loads");
			free(text);
			free(file);
			if (t != NULL) {
				make_examples(&e);
				tag_train(t, e.ex, NEX, &p);
				fp = fopen(mpath = xasprintf("%s/%s/fields.model", dir, tname), "w");
				tag_model_write(t, fp, "deep");
				fclose(fp);
				free(mpath);
				text = xasprintf("%smodel = fields.model\n%s", TRAIN_HEAD, TRAIN_BODY);
				file = xasprintf("%s/with-model.conf", tname);
				r = load_ok(file, text, "and the model it writes loads back");
				free(text);
				free(file);
				tagger_free(r);
				free_examples(&e);
				tagger_free(t);
			}
			free(tname);
		} else
			tap_ok(0, "making deep directories");
		free(deep);
		free(deeper);
		free(name);
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_valid();
	test_errors();
	test_terms();
	test_weights();
	test_origins();
	test_long();
	test_explain();
	test_model_file();
	test_train();
	if (getenv("FEEDMILL_KEEP_TMP") == NULL) {
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	} else
		printf("# files left in %s\n", dir);
	return tap_done();
}
