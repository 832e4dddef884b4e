/*
 * libFuzzer target for the fields-of-work taxonomy and model readers
 * (tag.c behind our line reader and inih) and the tagger on what they load.
 *
 * The first byte is flags, the rest the file, written to a memfd:
 *   bit 0: the rest is "TAXONOMY\n%%\nMODEL"; MODEL goes to a second memfd
 *          that the taxonomy names with a `model =` line put before it;
 *   bit 1: when it loads, also train on two examples made of the input
 *          (small taxonomies only: training is not cheap) and write the
 *          model out.
 * A taxonomy that loads is tagged with a fixed text and with the input as
 * title and text, and explained. Aborts when what loaded breaks what
 * tag.h promises: a field's name, slug or alias does not look up to it,
 * a slug is not lower-case letters, digits and inner '-', tags are not in
 * taxonomy order or more than the fields, a score is not finite.
 *
 * A `model =` line could name any file; inputs with one and a '/' anywhere
 * are skipped, so the target never reads outside its memfds.
 *
 * Build: ./configure --enable-fuzzer CC=clang && make fuzz/fuzz_fields
 * Run:   ./fuzz/fuzz_fields -max_total_time=600 corpus ../fuzz/seeds-fields
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "tag.h"

#define SEPARATOR	"\n%%\n"
#define TEXT_BYTES	512	/* of the input used as a release's text */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
violation(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_fields: %s: %s\n", what, detail ? detail : "");
	abort();
}

static int
slug_ok(const char *s)
{
	if (*s == '\0' || *s == '-')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return s[-1] != '-';
}

static int
memfd_with(const void *a, size_t alen, const void *b, size_t blen)
{
	int fd = memfd_create("fuzz", 0);

	if (fd == -1)
		return -1;
	if ((alen > 0 && write(fd, a, alen) != (ssize_t)alen) ||
	    (blen > 0 && write(fd, b, blen) != (ssize_t)blen)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
check_tags(struct tagger *t, const struct tag_input *in)
{
	struct tag tags[TAG_MAX_FIELDS];
	double scores[TAG_MAX_FIELDS];
	size_t nf = tagger_nfields(t), n;

	n = tagger_tag(t, in, tags);
	if (n > nf)
		violation("more tags than fields", NULL);
	for (size_t i = 0; i < n; i++) {
		if (tags[i].field >= nf)
			violation("a tag names no field", NULL);
		if (i > 0 && tags[i].field <= tags[i - 1].field)
			violation("tags not in taxonomy order", NULL);
		if (!isfinite(tags[i].score))
			violation("a tag's score is not finite", tagger_field(t, tags[i].field)->name);
		if (tags[i].origin != TAG_CATEGORY && tags[i].origin != TAG_SOURCE &&
		    tags[i].origin != TAG_TEXT)
			violation("a tag has no origin", NULL);
	}
	tagger_scores(t, in->title, in->text, scores);
	for (size_t f = 0; f < nf; f++)
		if (!isfinite(scores[f]))
			violation("a score is not finite", tagger_field(t, f)->name);
}

static void
check_fields(struct tagger *t)
{
	size_t nf = tagger_nfields(t);

	if (nf == 0 || nf > TAG_MAX_FIELDS)
		violation("a taxonomy loaded with no or too many fields", NULL);
	for (size_t i = 0; i < nf; i++) {
		const struct tag_field *f = tagger_field(t, i);

		if (!slug_ok(f->slug))
			violation("a bad slug loaded", f->slug);
		if (tagger_lookup(t, f->name) != (int)i)
			violation("a field's name does not look up to it", f->name);
		if (tagger_lookup(t, f->slug) != (int)i)
			violation("a field's slug does not look up to it", f->slug);
		for (size_t j = 0; j < f->naliases; j++)
			if (tagger_lookup(t, f->aliases[j]) != (int)i)
				violation("an alias does not look up to its field", f->aliases[j]);
	}
}

static void
train(struct tagger *t, const char *title, const char *text)
{
	size_t nf = tagger_nfields(t), nterms = 0;
	unsigned char labels[2][4] = { { 1, 0, 1, 0 }, { 0, 1, 0, 1 } };
	struct tag_example ex[2];
	struct tag_train_params p;
	FILE *out;

	for (size_t i = 0; i < nf; i++)
		nterms += tagger_field(t, i)->nterms;
	if (nf > 4 || nterms > 32)
		return;
	ex[0].title = title;
	ex[0].text = text;
	ex[0].labels = labels[0];
	ex[1].title = text;
	ex[1].text = title;
	ex[1].labels = labels[1];
	tag_train_defaults(&p);
	p.min_df = 1;
	p.iterations = 20;
	if (tag_train(t, ex, 2, &p) != 0)
		violation("training on two examples failed", NULL);
	if ((out = fopen("/dev/null", "w")) != NULL) {
		tag_model_write(t, out, "fuzz");
		fclose(out);
	}
	check_tags(t, &(struct tag_input){ .title = title, .text = text });
	tag_untrain(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cats[] = { "Elections", "anti-trafficking", "x" };
	static const char *const srcs[] = { "youth", "water" };
	const char *tax, *model = NULL, *cat[1];
	size_t taxlen, modellen = 0;
	char path[64], prefix[64], *title, *text;
	struct tagger *t = NULL;
	struct conf_errors errs;
	int fd, mfd = -1, flags;
	struct tag_input in;

	if (size < 1)
		return 0;
	flags = data[0];
	tax = (const char *)data + 1;
	taxlen = size - 1;
	if (flags & 1) {
		const char *sep = memmem(tax, taxlen, SEPARATOR, strlen(SEPARATOR));

		if (sep != NULL) {
			model = sep + strlen(SEPARATOR);
			modellen = taxlen - (size_t)(model - tax);
			taxlen = (size_t)(sep - tax) + 1;
		} else {
			model = "";
		}
	}
	/* never read a file the input names */
	if (memmem(tax, taxlen, "model", 5) != NULL && memchr(tax, '/', taxlen) != NULL)
		return 0;
	prefix[0] = '\0';
	if (model != NULL) {
		if ((mfd = memfd_with(model, modellen, NULL, 0)) == -1)
			return 0;
		snprintf(prefix, sizeof(prefix), "[fields]\nmodel = %d\n", mfd);
	}
	if ((fd = memfd_with(prefix, strlen(prefix), tax, taxlen)) == -1) {
		if (mfd != -1)
			close(mfd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	if (tagger_load(&t, path, &errs) == 0) {
		size_t tl = size - 1 < 80 ? size - 1 : 80;
		size_t xl = size - 1 - tl < TEXT_BYTES ? size - 1 - tl : TEXT_BYTES;
		FILE *null;

		if (errs.n != 0)
			violation("loaded with errors", errs.v[0]);
		check_fields(t);
		memset(&in, 0, sizeof(in));
		in.title = "Border guards stop human traffickers";
		in.text = "Election observers and young people at the river basin.";
		check_tags(t, &in);
		in.categories = cats;
		in.ncategories = 3;
		in.source_fields = srcs;
		in.nsource_fields = 2;
		check_tags(t, &in);

		title = strndup((const char *)data + 1, tl);
		text = strndup((const char *)data + 1 + tl, xl);
		if (title == NULL || text == NULL)
			abort();
		memset(&in, 0, sizeof(in));
		in.title = title;
		in.text = text;
		cat[0] = title;
		in.categories = cat;
		in.ncategories = 1;
		check_tags(t, &in);
		if ((null = fopen("/dev/null", "w")) != NULL) {
			tagger_explain(t, &in, null);
			fclose(null);
		}
		if (flags & 2)
			train(t, title, text);
		free(title);
		free(text);
		tagger_free(t);
	} else if (errs.n == 0)
		violation("failed without saying why", NULL);
	conf_errors_release(&errs);
	close(fd);
	if (mfd != -1)
		close(mfd);
	return 0;
}
