/*
 * publish_files: writing published files (publish_int.h): each to a
 * temporary file beside its place, all synced at once, then renamed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xxhash.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "publish_int.h"
#include "store.h"
#include "xmalloc.h"

/* ---- files ---- */

static int
mkdirs(struct pub *p, const char *path)
{
	char *dir = xstrdup(path);

	for (char *s = dir + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			pub_fail(p, "cannot create '%s': %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		*s = '/';
	}
	free(dir);
	return 0;
}

/*
 * What tells whether a file changed: XXH3's 128 bits, not the BLAKE2b of
 * paragraph and release hashes. A publish hashes every document it
 * renders, tens of MB after a few new releases, and a collision could at
 * worst keep one of our own files from being rewritten, so speed wins.
 */
void
pub_hash(unsigned char hash[STORE_HASH_BYTES], const void *data, size_t len)
{
	XXH128_canonical_t canon;

	_Static_assert(sizeof(canon.digest) == STORE_HASH_BYTES, "a file hash fills its column");
	XXH128_canonicalFromHash(&canon, XXH3_128bits(data, len));
	memcpy(hash, canon.digest, STORE_HASH_BYTES);
}

static void
parts_hash(unsigned char hash[STORE_HASH_BYTES], const struct iovec *parts, size_t n)
{
	XXH3_state_t *st = XXH3_createState();
	XXH128_canonical_t canon;

	if (st == NULL)
		fatal("out of memory for a hash state");
	XXH3_128bits_reset(st);
	for (size_t i = 0; i < n; i++)
		XXH3_128bits_update(st, parts[i].iov_base, parts[i].iov_len);
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
	XXH3_freeState(st);
	memcpy(hash, canon.digest, STORE_HASH_BYTES);
}

/* All of parts to fd, in writev calls of at most IOV_MAX pieces. */
static int
write_parts(int fd, const struct iovec *parts, size_t n)
{
	struct iovec v[IOV_MAX];

	while (n > 0) {
		size_t k = n < IOV_MAX ? n : IOV_MAX, want = 0;
		ssize_t w;

		memcpy(v, parts, k * sizeof(*v));
		for (size_t i = 0; i < k; i++)
			want += v[i].iov_len;
		if (want == 0) {
			parts += k;
			n -= k;
			continue;
		}
		if ((w = writev(fd, v, (int)k)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* a short write: skip what went, go on from there */
		while (n > 0 && (size_t)w >= parts->iov_len) {
			w -= (ssize_t)parts->iov_len;
			parts++;
			n--;
		}
		if (w > 0) {
			struct iovec rest = { (char *)parts->iov_base + w, parts->iov_len - (size_t)w };

			if (write_parts(fd, &rest, 1) == -1)
				return -1;
			parts++;
			n--;
		}
	}
	return 0;
}

/* Write rel (under output_dir) if its content changed: temporary file,
 * fsync, rename, so a reader never sees half a feed. */
int
pub_write_parts(struct pub *p, const char *rel, const struct iovec *parts, size_t n,
    const struct buf *key)
{
	unsigned char hash[STORE_HASH_BYTES], old[STORE_HASH_BYTES];
	char *path = xasprintf("%s/%s", p->c->output_dir, rel), *tmp;
	struct stat st;
	size_t len = 0;
	int fd, r;

	for (size_t i = 0; i < n; i++)
		len += parts[i].iov_len;
	if (key != NULL)
		pub_hash(hash, key->data, key->len);
	else
		parts_hash(hash, parts, n);
	if ((r = store_file_hash(p->s, rel, old)) == -1) {
		free(path);
		return pub_store_failed(p);
	}
	if (r == 1 && memcmp(hash, old, sizeof(hash)) == 0 && stat(path, &st) == 0 &&
	    (size_t)st.st_size == len) {
		p->stats->unchanged++;
		free(path);
		return 0;
	}
	if (mkdirs(p, path) == -1) {
		free(path);
		return -1;
	}
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		pub_fail(p, "cannot write '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	errno = 0;
	if (fchmod(fd, 0644) == -1 || write_parts(fd, parts, n) == -1) {
		pub_fail(p, "cannot write '%s': %s", tmp, errno ? strerror(errno) : "short write");
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	/* synced and renamed into place with the others (commit_files) */
	p->staged = xrealloc(p->staged, (p->nstaged + 1) * sizeof(*p->staged));
	p->staged[p->nstaged].tmp = tmp;
	p->staged[p->nstaged].path = path;
	p->staged[p->nstaged].rel = xstrdup(rel);
	memcpy(p->staged[p->nstaged].hash, hash, sizeof(hash));
	p->nstaged++;
	return 0;
fail:
	free(tmp);
	free(path);
	return -1;
}

int
pub_write_file(struct pub *p, const char *rel, const struct buf *content)
{
	/* data is NULL when empty: writev and XXH3 take that with length 0 */
	struct iovec whole = { content->data, content->len };

	return pub_write_parts(p, rel, &whole, 1, NULL);
}

int
pub_staged(const struct pub *p, const char *rel)
{
	for (size_t i = 0; i < p->nstaged; i++)
		if (strcmp(p->staged[i].rel, rel) == 0)
			return 1;
	return 0;
}

/*
 * Every staged file to disk in one go (syncfs: one flush for all, not one
 * fsync each), then each renamed over the old: a reader sees the old file
 * or the new one, never half, and a crash leaves no empty one.
 */
int
pub_commit_files(struct pub *p)
{
	int dfd = open(p->c->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (p->nstaged > 0 && (dfd == -1 || syncfs(dfd) == -1)) {
		/* no syncfs here: each file on its own */
		for (size_t i = 0; i < p->nstaged; i++) {
			int fd = open(p->staged[i].tmp, O_RDONLY | O_CLOEXEC);

			if (fd == -1 || fsync(fd) == -1) {
				pub_fail(p, "cannot sync '%s': %s", p->staged[i].tmp, strerror(errno));
				if (fd != -1)
					close(fd);
				if (dfd != -1)
					close(dfd);
				return -1;
			}
			close(fd);
		}
	}
	if (dfd != -1)
		close(dfd);
	for (size_t i = 0; i < p->nstaged; i++) {
		struct staged *f = &p->staged[i];

		if (rename(f->tmp, f->path) == -1)
			return pub_fail(p, "cannot rename '%s' to '%s': %s", f->tmp, f->path,
			    strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		if (store_file_hash_set(p->s, f->rel, f->hash) == -1)
			return pub_store_failed(p);
		p->stats->written++;
	}
	return 0;
}

void
pub_staged_release(struct pub *p)
{
	for (size_t i = 0; i < p->nstaged; i++) {
		if (p->staged[i].tmp != NULL) {
			unlink(p->staged[i].tmp);	/* not published after all */
			free(p->staged[i].tmp);
		}
		free(p->staged[i].path);
		free(p->staged[i].rel);
	}
	free(p->staged);
}

