/*
 * tag: the taxonomy, its model, and filing releases under fields (tag.h).
 *
 * Every term of every field (hand-written and learned) is compiled into
 * one automaton (match.h); each of its patterns posts to the terms it
 * spells. A term with optional parts ("guard(s)") is several patterns, and
 * counts once however many of them are found.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "log.h"
#include "match.h"
#include "normalise.h"
#include "tag.h"
#include "tag_int.h"
#include "xmalloc.h"

#define MAX_ERRORS		50
#define READ_LINE_BYTES		4096
#define MAX_LINE		198	/* as conf.h: Debian's inih reads 200 bytes */
#define MAX_FILE_BYTES		(32 * 1024 * 1024)	/* a model is large */
#define MAX_OPTIONAL_GROUPS	3
#define MAX_ALIASES		4096

/* ---- errors ---- */

static void
tag_error(struct conf_errors *e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
tag_error(struct conf_errors *e, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (e->n > MAX_ERRORS)
		return;
	e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	if (e->n == MAX_ERRORS) {
		e->v[e->n++] = xasprintf("%s: more problems, not shown", file);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->v[e->n++] = line > 0 ? xasprintf("%s:%d: %s", file, line, msg) :
	    xasprintf("%s: %s", file, msg);
}

/* ---- terms ---- */

/*
 * The keys a term spells, into keys (at most 1 << MAX_OPTIONAL_GROUPS,
 * malloc'd) with *open set when its last word may continue. Returns how
 * many, or -1 with *why.
 */
int
tag_term_keys(const char *term, char **keys, int *open, const char **why)
{
	char stripped[MATCH_MAX_PATTERN + 1];
	const char *groups[MAX_OPTIONAL_GROUPS][2];
	size_t len = strlen(term), ngroups = 0;
	int nkeys = 0;

	*open = 0;
	while (len > 0 && term[len - 1] == ' ')
		len--;
	if (len > 0 && term[len - 1] == '*') {
		*open = 1;
		len--;
	}
	if (len == 0 || len > MATCH_MAX_PATTERN) {
		*why = len == 0 ? "empty term" : "term too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (term[i] == '*') {
			*why = "'*' may only end a term";
			return -1;
		}
		if (term[i] == ')') {
			*why = "')' without '('";
			return -1;
		}
		if (term[i] != '(')
			continue;
		if (ngroups == MAX_OPTIONAL_GROUPS) {
			*why = "more than 3 optional groups";
			return -1;
		}
		groups[ngroups][0] = term + i;
		while (i < len && term[i] != ')')
			i++;
		if (i == len || memchr(groups[ngroups][0] + 1, '(',
		    (size_t)(term + i - groups[ngroups][0] - 1)) != NULL) {
			*why = "'(' without ')'";
			return -1;
		}
		groups[ngroups++][1] = term + i;
	}
	for (unsigned mask = 0; mask < (1u << ngroups); mask++) {
		size_t o = 0, g = 0;
		char *key;

		for (size_t i = 0; i < len; i++) {
			if (g < ngroups && term + i == groups[g][0]) {
				if (mask & (1u << g))	/* the group's text */
					for (const char *p = groups[g][0] + 1; p < groups[g][1]; p++)
						stripped[o++] = *p;
				i = (size_t)(groups[g][1] - term);
				g++;
				continue;
			}
			stripped[o++] = term[i];
		}
		stripped[o] = '\0';
		key = normalise_key(stripped);
		if (*key == '\0') {
			free(key);
			continue;
		}
		if (strlen(key) > MATCH_MAX_PATTERN) {
			/* compatibility forms can grow many times over */
			free(key);
			while (nkeys > 0)
				free(keys[--nkeys]);
			*why = "term too long once normalised";
			return -1;
		}
		keys[nkeys++] = key;
	}
	if (nkeys == 0) {
		*why = "term has no letters or digits";
		return -1;
	}
	return nkeys;
}

/* ---- reading the taxonomy and the model ---- */

enum section { SECT_NONE, SECT_BAD, SECT_FIELDS, SECT_MODEL, SECT_FIELD };

struct reader {
	struct tagger		*t;
	struct conf_errors	*errs;
	const char		*path;
	FILE			*fp;
	int			 lineno;
	size_t			 bytes;
	int			 is_model;
	enum section		 section;
	struct tag_field	*field;
	char			*model;	/* model = as written */
	int			 model_line;
	char			 line[READ_LINE_BYTES];
};

#define READ_ERROR(r, ...) tag_error((r)->errs, (r)->path, (r)->lineno, __VA_ARGS__)

/* The slug of a name: its key with '-' between words; NULL unless ASCII. */
static char *
slug_of(const char *name)
{
	char *s = normalise_key(name);

	for (char *p = s; *p != '\0'; p++) {
		if (*p == ' ')
			*p = '-';
		else if ((unsigned char)*p >= 0x80) {
			free(s);
			return NULL;
		}
	}
	return s;
}

static int
slug_ok(const char *s)
{
	if (*s == '\0' || *s == '-')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    (*s == '-' && s[1] != '-')))
			return 0;
	return s[-1] != '-';
}

static int
parse_number(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || errno != 0 || !isfinite(d) || fabs(d) > 1e6)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return -1;
	*out = d;
	return 0;
}

struct tag_field *
tag_field_find(struct tagger *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

static void
begin_section(struct reader *r, const char *header)
{
	struct tagger *t = r->t;
	struct tag_field *f;
	const char *name;

	r->field = NULL;
	if (strcmp(header, r->is_model ? "model" : "fields") == 0) {
		r->section = r->is_model ? SECT_MODEL : SECT_FIELDS;
		return;
	}
	if (strncmp(header, "field ", 6) != 0) {
		READ_ERROR(r, "unknown section [%s] (expected [%s] or [field NAME])",
		    header, r->is_model ? "model" : "fields");
		r->section = SECT_BAD;
		return;
	}
	r->section = SECT_BAD;
	name = header + 6;
	name += strspn(name, " \t");
	if (*name == '\0') {
		READ_ERROR(r, "[field] needs a name");
		return;
	}
	f = tag_field_find(t, name);
	if (r->is_model) {
		if (f == NULL) {
			READ_ERROR(r, "model for field '%s', which the taxonomy does "
			    "not have (retrain the model)", name);
			return;
		}
		if (f->learned) {
			READ_ERROR(r, "field '%s' is in the model twice", name);
			return;
		}
		f->learned = 1;
		f->cutoff = 0;
	} else {
		if (f != NULL) {
			READ_ERROR(r, "field '%s' is defined twice", name);
			return;
		}
		if (t->nfields == TAG_MAX_FIELDS) {
			READ_ERROR(r, "more than %d fields", TAG_MAX_FIELDS);
			return;
		}
		t->fields = xrealloc(t->fields, (t->nfields + 1) * sizeof(*t->fields));
		f = &t->fields[t->nfields++];
		memset(f, 0, sizeof(*f));
		f->name = xstrdup(name);
		f->threshold = NAN;	/* the [fields] default, once known */
		f->line = r->lineno;
	}
	r->field = f;
	r->section = SECT_FIELD;
}

/* "term = WEIGHT TEXT" into a field's hand or model terms. */
static void
add_term(struct reader *r, const char *v)
{
	struct tag_field *f = r->field;
	char *keys[1 << MAX_OPTIONAL_GROUPS];
	char weight[64];
	const char *sp, *why, *text;
	struct tag_term *tt;
	size_t *n;
	double w;
	int nkeys, open;

	sp = strpbrk(v, " \t");
	if (sp == NULL || (size_t)(sp - v) >= sizeof(weight)) {
		READ_ERROR(r, "expected 'term = WEIGHT TERM' (e.g. 'term = 2 border guard(s)')");
		return;
	}
	snprintf(weight, sizeof(weight), "%.*s", (int)(sp - v), v);
	text = sp + strspn(sp, " \t");
	if (parse_number(weight, &w) == -1) {
		READ_ERROR(r, "term weight '%s' is not a number", weight);
		return;
	}
	if ((nkeys = tag_term_keys(text, keys, &open, &why)) == -1) {
		READ_ERROR(r, "term '%s': %s", text, why);
		return;
	}
	for (int i = 0; i < nkeys; i++)
		free(keys[i]);
	n = r->is_model ? &f->nmodel : &f->nterms;
	if (*n >= TAG_MAX_TERMS) {
		READ_ERROR(r, "field '%s' has more than %d terms", f->name, TAG_MAX_TERMS);
		return;
	}
	if (r->is_model) {
		f->model = xrealloc(f->model, (*n + 1) * sizeof(*f->model));
		tt = &f->model[(*n)++];
	} else {
		f->terms = xrealloc(f->terms, (*n + 1) * sizeof(*f->terms));
		tt = &f->terms[(*n)++];
	}
	tt->text = xstrdup(text);
	tt->weight = w;
	tt->line = r->lineno;
}

static void
field_key(struct reader *r, const char *key, const char *v)
{
	struct tag_field *f = r->field;
	double d;

	if (strcmp(key, "term") == 0) {
		add_term(r, v);
	} else if (!r->is_model && strcmp(key, "alias") == 0) {
		if (*v == '\0') {
			READ_ERROR(r, "empty alias");
			return;
		}
		if (f->naliases == MAX_ALIASES) {
			READ_ERROR(r, "more than %d aliases", MAX_ALIASES);
			return;
		}
		f->aliases = xrealloc(f->aliases, (f->naliases + 1) * sizeof(*f->aliases));
		f->aliases[f->naliases++] = xstrdup(v);
	} else if (!r->is_model && strcmp(key, "slug") == 0) {
		if (!slug_ok(v)) {
			READ_ERROR(r, "slug '%s' must be lower-case letters, digits "
			    "and single inner '-'", v);
			return;
		}
		free(f->slug);
		f->slug = xstrdup(v);
	} else if (!r->is_model && strcmp(key, "threshold") == 0) {
		if (parse_number(v, &d) == -1)
			READ_ERROR(r, "threshold '%s' is not a number", v);
		else
			f->threshold = d;
	} else if (r->is_model && (strcmp(key, "bias") == 0 || strcmp(key, "cutoff") == 0)) {
		if (parse_number(v, &d) == -1)
			READ_ERROR(r, "%s '%s' is not a number", key, v);
		else if (key[0] == 'b')
			f->bias = d;
		else
			f->cutoff = d;
	} else
		READ_ERROR(r, "unknown key '%s' in [field %s]", key, f->name);
}

static void
top_key(struct reader *r, const char *key, const char *v)
{
	struct tagger *t = r->t;
	double d;

	if (strcmp(key, "title_weight") == 0) {
		if (parse_number(v, &d) == -1 || d < 0 || d > 100)
			READ_ERROR(r, "title_weight '%s' is not a number from 0 to 100", v);
		else if (r->is_model)
			t->model_title_weight = d;
		else
			t->title_weight = d;
	} else if (!r->is_model && strcmp(key, "threshold") == 0) {
		if (parse_number(v, &d) == -1)
			READ_ERROR(r, "threshold '%s' is not a number", v);
		else
			t->threshold = d;
	} else if (!r->is_model && strcmp(key, "model") == 0) {
		free(r->model);
		r->model = *v == '\0' ? NULL : xstrdup(v);
		r->model_line = r->lineno;
	} else if (r->is_model && strcmp(key, "floor") == 0) {
		if (parse_number(v, &d) == -1)
			READ_ERROR(r, "floor '%s' is not a number", v);
		else
			t->floor = d;
	} else if (r->is_model && strcmp(key, "trained") == 0) {
		/* what it was trained on, for people */
	} else
		READ_ERROR(r, "unknown key '%s' in [%s]", key,
		    r->is_model ? "model" : "fields");
}

static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	struct reader *r = user;

	(void)section;
	switch (r->section) {
	case SECT_BAD:
		break;
	case SECT_NONE:
		READ_ERROR(r, "'%s' outside any section", key);
		break;
	case SECT_FIELDS:
	case SECT_MODEL:
		top_key(r, key, value);
		break;
	case SECT_FIELD:
		field_key(r, key, value);
		break;
	}
	return 1;
}

/* inih reads through this, so that lines are counted and sections seen as
 * they come (Debian's inih passes no line numbers), as conf.c does. */
static char *
read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	size_t len;
	char *s;

	if (fgets(r->line, sizeof(r->line), r->fp) == NULL)
		return NULL;
	r->lineno++;
	len = strlen(r->line);
	r->bytes += len;
	if (r->bytes > MAX_FILE_BYTES) {
		READ_ERROR(r, "file larger than %d bytes", MAX_FILE_BYTES);
		return NULL;
	}
	if (len > 0 && r->line[len - 1] != '\n' && !feof(r->fp)) {
		int ch;

		while ((ch = fgetc(r->fp)) != EOF && ch != '\n')
			;
		len = MAX_LINE + 1;
	}
	while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
		r->line[--len] = '\0';
	s = r->line + strspn(r->line, " \t");
	if (len > MAX_LINE) {
		READ_ERROR(r, "line longer than %d characters", MAX_LINE);
		s = r->line + len;
	} else if (*s == '[') {
		char *end = strchr(s, ']');

		if (end == NULL) {
			READ_ERROR(r, "section header without ']'");
			r->section = SECT_BAD;
		} else {
			*end = '\0';
			begin_section(r, s + 1);
			*end = ']';
		}
	} else if (*s != '\0' && *s != ';' && *s != '#' && strpbrk(s, "=:") == NULL) {
		READ_ERROR(r, "expected 'key = value'");
		s = r->line + len;
	}
	snprintf(str, (size_t)num, "%s\n", s == r->line + len ? "" : r->line);
	return str;
}

static int
read_file(struct reader *r)
{
	struct stat st;
	int fd, ret;

	fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		tag_error(r->errs, r->path, 0, "cannot read: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		tag_error(r->errs, r->path, 0, "not a regular file");
		close(fd);
		return -1;
	}
	if ((r->fp = fdopen(fd, "r")) == NULL)
		fatal("cannot read '%s'", r->path);
	ret = ini_parse_stream(read_line, r, on_key, r);
	if (ret > 0 && r->errs->n == 0)
		tag_error(r->errs, r->path, ret, "syntax error");
	fclose(r->fp);
	r->fp = NULL;
	return 0;
}

/* ---- compiling ---- */

static int
alias_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tag_alias *)a)->key, ((const struct tag_alias *)b)->key);
}

static void
add_alias(struct tagger *t, const char *label, size_t field, int line,
    struct conf_errors *errs)
{
	char *key = normalise_key(label);

	if (*key == '\0') {
		tag_error(errs, t->path, line, "alias '%s' has no letters or digits", label);
		free(key);
		return;
	}
	for (size_t i = 0; i < t->naliases; i++)
		if (strcmp(t->aliases[i].key, key) == 0) {
			if (t->aliases[i].field != field)
				tag_error(errs, t->path, line, "'%s' names both '%s' and "
				    "'%s'", label, t->fields[t->aliases[i].field].name,
				    t->fields[field].name);
			free(key);
			return;
		}
	t->aliases = xrealloc(t->aliases, (t->naliases + 1) * sizeof(*t->aliases));
	t->aliases[t->naliases].key = key;
	t->aliases[t->naliases++].field = field;
}

static void
post_term(struct tagger *t, size_t field, int model, size_t index,
    const struct tag_term *term, struct buf *pairs)
{
	const char *text = term->text;
	char *keys[1 << MAX_OPTIONAL_GROUPS];
	const char *why;
	int nkeys, open;

	if ((nkeys = tag_term_keys(text, keys, &open, &why)) == -1)
		return;		/* reported while reading */
	t->terms = xrealloc(t->terms, (t->nterms + 1) * sizeof(*t->terms));
	t->terms[t->nterms].field = (uint16_t)field;
	t->terms[t->nterms].model = (uint8_t)model;
	t->terms[t->nterms].index = (uint32_t)index;
	t->terms[t->nterms].weight = term->weight;
	for (int i = 0; i < nkeys; i++) {
		int id = matcher_add(t->m, keys[i], open);

		if (id >= 0) {
			uint32_t pair[2] = { (uint32_t)id, (uint32_t)t->nterms };

			buf_add(pairs, pair, sizeof(pair));
		}
		free(keys[i]);
	}
	t->nterms++;
}

static int
pair_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* What tag_compile() builds, freed and zeroed. */
static void
compiled_release(struct tagger *t)
{
	matcher_free(t->m);
	free(t->terms);
	free(t->post_off);
	free(t->post);
	free(t->post_term);
	free(t->ids.v);
	free(t->hit);
	free(t->touched);
	free(t->pattern_hit);
	free(t->patterns_touched);
	t->m = NULL;
	t->terms = NULL;
	t->nterms = 0;
	t->post_off = NULL;
	t->post = NULL;
	t->post_term = NULL;
	memset(&t->ids, 0, sizeof(t->ids));
	t->hit = NULL;
	t->touched = NULL;
	t->ntouched = 0;
	t->pattern_hit = NULL;
	t->patterns_touched = NULL;
	t->npatterns_touched = 0;
}

/* (Re)build the automaton and the postings from the fields' terms. */
void
tag_compile(struct tagger *t)
{
	struct buf pairs;
	uint32_t *pv, *keys;
	size_t np, npat;

	compiled_release(t);
	t->m = matcher_new();
	buf_init(&pairs, (size_t)-1);
	for (size_t f = 0; f < t->nfields; f++) {
		struct tag_field *fl = &t->fields[f];

		/* a model replaces its field's hand weights (they were its
		 * priors): only one of the two is looked for */
		for (size_t i = 0; !fl->learned && i < fl->nterms; i++)
			post_term(t, f, 0, i, &fl->terms[i], &pairs);
		for (size_t i = 0; fl->learned && i < fl->nmodel; i++)
			post_term(t, f, 1, i, &fl->model[i], &pairs);
	}
	matcher_build(t->m);
	npat = matcher_count(t->m);
	pv = (uint32_t *)(void *)pairs.data;
	np = pairs.len / sizeof(uint32_t[2]);
	if (np > 0)
		qsort(pv, np, sizeof(uint32_t[2]), pair_cmp);
	keys = xcalloc(t->nterms ? t->nterms : 1, sizeof(*keys));
	for (size_t i = 0; i < np; i++)
		keys[pv[2 * i + 1]]++;
	t->post_off = xcalloc(npat + 1, sizeof(*t->post_off));
	t->post = xmalloc((np ? np : 1) * sizeof(*t->post));
	t->post_term = xmalloc((np ? np : 1) * sizeof(*t->post_term));
	for (size_t i = 0; i < np; i++) {
		uint32_t term = pv[2 * i + 1];

		t->post_term[i] = term;
		t->post[i].weight = (float)t->terms[term].weight;
		t->post[i].field = t->terms[term].field;
		t->post[i].shared = keys[term] > 1;
		t->post_off[pv[2 * i] + 1]++;
	}
	free(keys);
	for (size_t i = 0; i < npat; i++)
		t->post_off[i + 1] += t->post_off[i];
	buf_release(&pairs);
	t->hit = xcalloc(t->nterms ? t->nterms : 1, sizeof(*t->hit));
	t->touched = xmalloc((t->nterms ? t->nterms : 1) * sizeof(*t->touched));
	t->ntouched = 0;
	t->pattern_hit = xcalloc(npat ? npat : 1, sizeof(*t->pattern_hit));
	t->patterns_touched = xmalloc((npat ? npat : 1) * sizeof(*t->patterns_touched));
	t->npatterns_touched = 0;
}

static void
check_fields(struct tagger *t, struct conf_errors *errs)
{
	if (t->nfields == 0)
		tag_error(errs, t->path, 0, "no [field NAME] sections");
	for (size_t i = 0; i < t->nfields; i++) {
		struct tag_field *f = &t->fields[i];

		if (isnan(f->threshold))
			f->threshold = t->threshold;
		if (f->slug == NULL && (f->slug = slug_of(f->name)) == NULL) {
			tag_error(errs, t->path, f->line, "field '%s' needs a 'slug' "
			    "(its name is not ASCII)", f->name);
			f->slug = xstrdup("");
			continue;
		}
		if (!slug_ok(f->slug)) {
			tag_error(errs, t->path, f->line, "field '%s' needs a 'slug' "
			    "(its name makes none)", f->name);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->fields[j].slug, f->slug) == 0)
				tag_error(errs, t->path, f->line, "fields '%s' and '%s' "
				    "have the same slug '%s'", t->fields[j].name,
				    f->name, f->slug);
		add_alias(t, f->name, i, f->line, errs);
		add_alias(t, f->slug, i, f->line, errs);
		for (size_t j = 0; j < f->naliases; j++)
			add_alias(t, f->aliases[j], i, f->line, errs);
	}
	if (t->naliases > 1)
		qsort(t->aliases, t->naliases, sizeof(*t->aliases), alias_cmp);
}

int
tagger_load(struct tagger **out, const char *path, struct conf_errors *errs)
{
	struct tagger *t = xcalloc(1, sizeof(*t));
	struct reader r;

	memset(errs, 0, sizeof(*errs));
	t->path = xstrdup(path);
	t->title_weight = TAG_DEFAULT_TITLE_WEIGHT;
	t->threshold = TAG_DEFAULT_THRESHOLD;
	t->model_title_weight = NAN;
	t->floor = INFINITY;
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.errs = errs;
	r.path = path;
	if (read_file(&r) == 0)
		check_fields(t, errs);
	if (errs->n == 0 && r.model != NULL) {
		const char *slash = strrchr(path, '/');
		char *model_path = r.model[0] == '/' || slash == NULL ? xstrdup(r.model) :
		    xasprintf("%.*s/%s", (int)(slash - path), path, r.model);
		struct reader m;

		memset(&m, 0, sizeof(m));
		m.t = t;
		m.errs = errs;
		m.path = model_path;
		m.is_model = 1;
		t->model_path = model_path;
		read_file(&m);
		if (errs->n == 0 && isnan(t->model_title_weight))
			tag_error(errs, model_path, 0, "no [model] title_weight "
			    "(was it written by 'feedmill fields train'?)");
		t->has_model = 1;
	}
	free(r.model);
	if (errs->n > 0) {
		tagger_free(t);
		*out = NULL;
		return -1;
	}
	tag_compile(t);
	*out = t;
	return 0;
}

void
tag_field_clear_model(struct tag_field *f)
{
	for (size_t i = 0; i < f->nmodel; i++)
		free(f->model[i].text);
	free(f->model);
	f->model = NULL;
	f->nmodel = 0;
	f->learned = 0;
	f->bias = f->cutoff = 0;
}

void
tagger_free(struct tagger *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nfields; i++) {
		struct tag_field *f = &t->fields[i];

		free(f->name);
		free(f->slug);
		for (size_t j = 0; j < f->naliases; j++)
			free(f->aliases[j]);
		free(f->aliases);
		for (size_t j = 0; j < f->nterms; j++)
			free(f->terms[j].text);
		free(f->terms);
		tag_field_clear_model(f);
	}
	free(t->fields);
	for (size_t i = 0; i < t->naliases; i++)
		free(t->aliases[i].key);
	free(t->aliases);
	compiled_release(t);
	free(t->path);
	free(t->model_path);
	free(t);
}

size_t
tagger_nfields(const struct tagger *t)
{
	return t->nfields;
}

const struct tag_field *
tagger_field(const struct tagger *t, size_t i)
{
	return i < t->nfields ? &t->fields[i] : NULL;
}

double
tagger_title_weight(const struct tagger *t)
{
	return t->has_model ? t->model_title_weight : t->title_weight;
}

double
tagger_floor(const struct tagger *t)
{
	return t->floor;
}

const char *
tagger_path(const struct tagger *t)
{
	return t->path;
}

const char *
tagger_model_path(const struct tagger *t)
{
	return t->model_path;
}

int
tagger_lookup(const struct tagger *t, const char *label)
{
	struct tag_alias k, *hit;
	int field;

	k.key = normalise_key(label);
	hit = t->naliases == 0 ? NULL :
	    bsearch(&k, t->aliases, t->naliases, sizeof(*t->aliases), alias_cmp);
	field = hit ? (int)hit->field : -1;
	free(k.key);
	return field;
}

const char *
tag_origin_name(enum tag_origin o)
{
	switch (o) {
	case TAG_CATEGORY:
		return "category";
	case TAG_SOURCE:
		return "source";
	case TAG_TEXT:
		break;
	}
	return "text";
}

/* ---- scoring ---- */

struct scan_ctx {
	struct tagger	*t;
	double		*scores;
	double		 value;		/* what a hit counts here */
	unsigned char	 bit;
};

/*
 * A pattern found: each of its terms not yet found with this bit adds its
 * weight. A pattern found again (a learned model has most words of a
 * text) costs one byte's test; a term with one key (nearly all) is new
 * when its pattern is, so only the others are looked up in t->hit.
 */
static inline void
count_pattern(const struct scan_ctx *c, uint32_t id)
{
	struct tagger *t = c->t;
	const struct tag_post *p, *last;
	double *scores = c->scores, value = c->value;
	const unsigned char bit = c->bit;
	const int record = t->record_hits;

	if ((t->pattern_hit[id] & bit) != 0)
		return;		/* its terms have this bit already */
	if (t->pattern_hit[id] == 0)
		t->patterns_touched[t->npatterns_touched++] = id;
	t->pattern_hit[id] |= bit;
	last = t->post + t->post_off[id + 1];
	for (p = t->post + t->post_off[id]; p < last; p++) {
		if (__builtin_expect(p->shared | record, 0)) {
			uint32_t term = t->post_term[p - t->post];

			if ((t->hit[term] & bit) != 0)
				continue;
			if (t->hit[term] == 0)
				t->touched[t->ntouched++] = term;
			t->hit[term] |= bit;
		}
		scores[p->field] += value * p->weight;
	}
}

/* A text's key, cut at TAG_MAX_TEXT on a character boundary. */
char *
tag_text_key(const char *text)
{
	size_t len;
	char *cut, *key;

	if (text == NULL)
		return xstrdup("");
	len = strlen(text);
	if (len <= TAG_MAX_TEXT)
		return normalise_key(text);
	len = TAG_MAX_TEXT;
	while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
		len--;
	cut = xstrndup(text, len);
	key = normalise_key(cut);
	free(cut);
	return key;
}

/* The patterns in a key, then what they count: two tight loops, not a
 * call a match. */
static void
scan_key(struct tagger *t, const char *key, const struct scan_ctx *c)
{
	t->ids.n = 0;
	matcher_scan_ids(t->m, key, strlen(key), &t->ids);
	for (size_t i = 0; i < t->ids.n; i++)
		count_pattern(c, t->ids.v[i]);
}

void
tag_scan(struct tagger *t, const char *title, const char *text, double *scores)
{
	struct scan_ctx c = { t, scores, tagger_title_weight(t), TAG_HIT_TITLE };
	char *key;

	for (size_t i = 0; i < t->ntouched; i++)
		t->hit[t->touched[i]] = 0;
	t->ntouched = 0;
	for (size_t i = 0; i < t->npatterns_touched; i++)
		t->pattern_hit[t->patterns_touched[i]] = 0;
	t->npatterns_touched = 0;
	key = tag_text_key(title);
	scan_key(t, key, &c);
	free(key);
	c.bit = TAG_HIT_TEXT;
	c.value = 1;
	key = tag_text_key(text);
	scan_key(t, key, &c);
	free(key);
}

double
tag_hit_value(const struct tagger *t, unsigned char hit)
{
	return ((hit & TAG_HIT_TITLE) ? tagger_title_weight(t) : 0) +
	    ((hit & TAG_HIT_TEXT) ? 1 : 0);
}

/* Each field's margin before any term: >= 0 means the text files it there. */
static void
start_margins(const struct tagger *t, double *scores)
{
	for (size_t f = 0; f < t->nfields; f++) {
		const struct tag_field *fl = &t->fields[f];

		scores[f] = fl->learned ? fl->bias - fl->cutoff : -fl->threshold;
	}
}

void
tagger_scores(struct tagger *t, const char *title, const char *text, double *scores)
{
	start_margins(t, scores);
	tag_scan(t, title, text, scores);
}

size_t
tagger_tag(struct tagger *t, const struct tag_input *in, struct tag *out)
{
	double scores[TAG_MAX_FIELDS];
	signed char origin[TAG_MAX_FIELDS];
	size_t n = 0, best = 0;
	int any = 0;

	tagger_scores(t, in->title, in->text, scores);
	memset(origin, -1, sizeof(origin));
	for (size_t i = 0; i < in->ncategories; i++) {
		int f = tagger_lookup(t, in->categories[i]);

		if (f >= 0 && origin[f] < 0)
			origin[f] = TAG_CATEGORY;
	}
	for (size_t i = 0; i < in->nsource_fields; i++) {
		int f = tagger_lookup(t, in->source_fields[i]);

		if (f >= 0 && origin[f] < 0)
			origin[f] = TAG_SOURCE;
	}
	for (size_t f = 0; f < t->nfields; f++) {
		if (origin[f] < 0 && scores[f] >= 0)
			origin[f] = TAG_TEXT;
		if (origin[f] >= 0)
			any = 1;
		/* the best by the model's own score, which the floor is for */
		if (scores[f] + t->fields[f].cutoff > scores[best] + t->fields[best].cutoff)
			best = f;
	}
	/* a model's floor: the best field rather than none, if the text
	 * speaks for it (a field's bias alone is no evidence: without this,
	 * text about nothing would go to the most common field) */
	if (!any && t->nfields > 0 && t->fields[best].learned &&
	    scores[best] + t->fields[best].cutoff >= t->floor &&
	    scores[best] + t->fields[best].cutoff - t->fields[best].bias >= TAG_FLOOR_EVIDENCE)
		origin[best] = TAG_TEXT;
	for (size_t f = 0; f < t->nfields; f++)
		if (origin[f] >= 0) {
			out[n].field = f;
			out[n].origin = (enum tag_origin)origin[f];
			out[n++].score = scores[f];
		}
	return n;
}

/* ---- explaining ---- */

struct fired {
	const struct tag_term	*term;
	double			 value;	/* weight times what the hit counts */
	unsigned char		 hit;
};

/* The margins from the terms the last scan recorded (record_hits). */
static void
tagger_scores_of_hits(const struct tagger *t, double *scores)
{
	start_margins(t, scores);
	for (size_t i = 0; i < t->ntouched; i++) {
		const struct tag_term_ref *ref = &t->terms[t->touched[i]];

		scores[ref->field] += tag_hit_value(t, t->hit[t->touched[i]]) * ref->weight;
	}
}

static int
fired_cmp(const void *a, const void *b)
{
	double x = fabs(((const struct fired *)a)->value);
	double y = fabs(((const struct fired *)b)->value);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* A field's terms found by the last scan, largest first; returns how many. */
static size_t
fired_terms(struct tagger *t, size_t field, struct fired *v)
{
	const struct tag_field *fl = &t->fields[field];
	size_t n = 0;

	for (size_t i = 0; i < t->ntouched; i++) {
		const struct tag_term_ref *ref = &t->terms[t->touched[i]];
		unsigned char hit = t->hit[t->touched[i]];

		if (ref->field != field || ref->model != fl->learned)
			continue;
		v[n].term = &(ref->model ? fl->model : fl->terms)[ref->index];
		v[n].hit = hit;
		v[n].value = v[n].term->weight * tag_hit_value(t, hit);
		n++;
	}
	qsort(v, n, sizeof(*v), fired_cmp);
	return n;
}

static void
explain_field(struct tagger *t, size_t f, const double *scores, FILE *out)
{
	const struct tag_field *fl = &t->fields[f];
	struct fired *v = xmalloc((t->ntouched ? t->ntouched : 1) * sizeof(*v));
	size_t n = fired_terms(t, f, v);

	if (fl->learned)
		fprintf(out, "    model: bias %+.3f, cutoff %+.3f, score %+.3f\n",
		    fl->bias, fl->cutoff, scores[f] + fl->cutoff);
	else
		fprintf(out, "    terms: threshold %.3g, score %.3g\n", fl->threshold,
		    scores[f] + fl->threshold);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "    %+8.3f  %s%s%s\n", v[i].value, v[i].term->text,
		    (v[i].hit & TAG_HIT_TITLE) ? "  (title)" : "",
		    (v[i].hit & TAG_HIT_TEXT) && (v[i].hit & TAG_HIT_TITLE) ? " (text)" : "");
	free(v);
}

void
tagger_explain(struct tagger *t, const struct tag_input *in, FILE *out)
{
	struct tag tags[TAG_MAX_FIELDS];
	double scores[TAG_MAX_FIELDS];
	unsigned char given[TAG_MAX_FIELDS] = { 0 };
	size_t n, shown = 0;

	t->record_hits = 1;	/* the scan leaves every term it found in t */
	n = tagger_tag(t, in, tags);
	t->record_hits = 0;
	tagger_scores_of_hits(t, scores);
	if (n == 0)
		fprintf(out, "no field\n");
	for (size_t i = 0; i < n; i++) {
		const struct tag_field *fl = &t->fields[tags[i].field];

		given[tags[i].field] = 1;
		fprintf(out, "%s (%s): from the %s, margin %+.3f\n", fl->name, fl->slug,
		    tag_origin_name(tags[i].origin), tags[i].score);
		explain_field(t, tags[i].field, scores, out);
	}
	/* the nearest misses, so that a user sees what almost fired */
	for (;;) {
		size_t best = t->nfields;

		for (size_t f = 0; f < t->nfields; f++)
			if (!given[f] && (best == t->nfields || scores[f] > scores[best]))
				best = f;
		if (best == t->nfields || shown == 3)
			break;
		given[best] = 1;
		if (shown++ == 0)
			fprintf(out, "not given (nearest):\n");
		fprintf(out, "%s (%s): margin %+.3f\n", t->fields[best].name,
		    t->fields[best].slug, scores[best]);
		explain_field(t, best, scores, out);
	}
}
