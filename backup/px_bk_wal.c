/* px_bk_wal.c: archive-push and archive-get of WAL files as sealed
 * "wal/<name>" objects (see px_bk_wal.h). One object per file rather
 * than content-defined shards: WAL never repeats (every page carries its
 * own LSN), so chunking would find nothing to share, while one object
 * makes the push a single atomic put that retention removes by name. */
#include "backup/px_bk_wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backup/px_bk_crypto.h"

#define MAX_WAL_FILE (1u << 30)   /* wal_segment_size is at most 1 GiB */

static int hexn(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr("0123456789ABCDEF", s[i]) || !s[i])
			return 0;
	return 1;
}

int px_bk_wal_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 16 && hexn(name, 8) && !strcmp(name + 8, ".history"))
		return 1;
	if (n < 24 || !hexn(name, 24))
		return 0;
	if (n == 24 || !strcmp(name + 24, ".partial"))
		return 1;
	return n == 40 && name[24] == '.' && hexn(name + 25, 8) &&
	       !strcmp(name + 33, ".backup");
}

static enum px_err read_file(const char *path, struct px_buf *out,
			     struct px_buf *err)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum px_err rc = PX_E_VALIDATION_FAILED;

	if (fd < 0 || fstat(fd, &st) != 0) {
		px_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_WAL_FILE) {
		px_buf_printf(err, "%s is not a WAL file", path);
		goto out;
	}
	rc = PX_E_SYSTEM_INTERNAL;
	if (px_buf_reserve(out, (size_t)st.st_size + 1) != 0)
		goto out;
	rc = PX_E_VALIDATION_FAILED;
	while (out->len < (size_t)st.st_size) {
		got = read(fd, out->data + out->len, (size_t)st.st_size - out->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			px_buf_printf(err, "cannot read %s: %s", path,
				      got < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		out->len += (size_t)got;
	}
	rc = PX_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Opens the stored box of name into plain. */
static enum px_err open_box(struct px_bk_repo *r, const char *obj,
			    const struct px_buf *box, struct px_buf *plain)
{
	enum px_err rc = px_bk_box_open(r->codec, "PXWL", px_bk_keys_lookup,
					&r->keys, obj, strlen(obj), box->data,
					box->len, plain);

	/* the key set is complete, so an unknown key id is tampering */
	return rc == PX_E_STORAGE_KEY_INVALID ? PX_E_STORAGE_SHARD_CORRUPT : rc;
}

/* SHA-256 of the file at path, read in 1 MiB pieces (the whole segment
 * is never held for this), and its size. */
static enum px_err hash_file(const char *path, unsigned char sha[32], size_t *size,
			     struct px_buf *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(1 << 20);
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum px_err rc = PX_E_VALIDATION_FAILED;

	*size = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		px_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_WAL_FILE) {
		px_buf_printf(err, "%s is not a WAL file", path);
		goto out;
	}
	rc = PX_E_SYSTEM_INTERNAL;
	if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((got = read(fd, buf, 1 << 20)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			px_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
			rc = PX_E_VALIDATION_FAILED;
			goto out;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1)
			goto out;
		*size += (size_t)got;
	}
	rc = EVP_DigestFinal_ex(ctx, sha, NULL) == 1 ? PX_OK : PX_E_SYSTEM_INTERNAL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Compares the object already stored under obj with the file's hash and
 * size: PX_OK when the same, VALIDATION_CONFLICT when different,
 * STORAGE_SHARD_MISSING when absent. A stored object that does not open
 * is a conflict too: it is never overwritten, since it may be the only
 * copy an operator can still investigate. Holds the stored object and
 * its plaintext only while comparing. */
static enum px_err compare_stored(struct px_bk_repo *r, const char *obj,
				  const unsigned char sha[32], size_t size,
				  struct px_buf *err)
{
	struct px_buf box = PX_BUF_INIT, plain = PX_BUF_INIT;
	unsigned char got[32];
	enum px_err rc = px_st_get(r->store, obj, &box);

	if (rc != PX_OK)
		goto out;
	rc = open_box(r, obj, &box, &plain);
	px_buf_free(&box);
	if (rc == PX_OK) {
		px_bk_sha256(plain.data ? plain.data : "", plain.len, got);
		if (plain.len == size && !memcmp(got, sha, 32))
			goto out;
	}
	if (rc == PX_OK || rc == PX_E_STORAGE_SHARD_CORRUPT) {
		px_buf_printf(err, "%s is already archived with different content%s: "
			      "refusing to overwrite it", obj,
			      rc == PX_OK ? "" : " (the stored copy does not authenticate)");
		rc = PX_E_VALIDATION_CONFLICT;
	}
out:
	px_buf_free(&box);
	px_buf_free(&plain);
	return rc;
}

enum px_err px_bk_wal_push(struct px_bk_repo *r, const char *path,
			   const char *name, int *existed, struct px_buf *err)
{
	const struct px_bk_datakey *k = px_bk_keys_current(&r->keys);
	struct px_buf data = PX_BUF_INIT, box = PX_BUF_INIT, obj = PX_BUF_INIT;
	unsigned char sha[32], again[32];
	size_t size = 0;
	enum px_err rc = PX_E_VALIDATION_FAILED;

	*existed = 0;
	if (!px_bk_wal_name_ok(name)) {
		px_buf_printf(err, "\"%s\" is not a WAL file name", name);
		return rc;
	}
	px_buf_printf(&obj, "%s%s", PX_BK_WAL_PREFIX, name);
	rc = obj.failed ? PX_E_SYSTEM_INTERNAL : hash_file(path, sha, &size, err);
	if (rc != PX_OK)
		goto out;
	/* PostgreSQL re-sends a segment whose earlier push was not
	 * acknowledged (a crash, a timeout): the same bytes are success */
	rc = compare_stored(r, obj.data, sha, size, err);
	if (rc == PX_OK)
		*existed = 1;
	if (rc != PX_E_STORAGE_SHARD_MISSING)
		goto out;
	rc = read_file(path, &data, err);
	if (rc != PX_OK)
		goto out;
	px_bk_sha256(data.data ? data.data : "", data.len, again);
	if (data.len != size || memcmp(again, sha, 32)) {
		px_buf_printf(err, "%s changed while it was being archived", path);
		rc = PX_E_VALIDATION_FAILED;
		goto out;
	}
	rc = PX_E_SYSTEM_INTERNAL;
	if (px_bk_box_seal(r->codec, "PXWL", k->enc, k->id, obj.data, obj.len,
			   data.data, data.len, 1, &box) != 0)
		goto out;
	px_buf_free(&data);   /* only the sealed copy from here on */
	if (r->store->ops->put_new) {
		/* create-only: of two archivers racing, exactly one stores */
		rc = r->store->ops->put_new(r->store, obj.data, box.data, box.len);
		px_buf_free(&box);
		if (rc == PX_E_VALIDATION_CONFLICT)
			rc = compare_stored(r, obj.data, sha, size, err);
		goto out;
	}
	rc = px_st_put(r->store, obj.data, box.data, box.len);
	px_buf_free(&box);
	if (rc == PX_OK)
		rc = px_st_flush(r->store);
	if (rc != PX_OK)
		goto out;
	/* A store that can only replace (S3): two archivers racing on one
	 * name with different bytes both put, the later wins, and whichever
	 * reads back content not its own fails. */
	rc = compare_stored(r, obj.data, sha, size, err);
	if (rc == PX_E_STORAGE_SHARD_MISSING) {
		px_buf_printf(err, "%s vanished right after it was stored", obj.data);
		rc = PX_E_STORAGE_FAILED;
	}
out:
	px_buf_free(&data);
	px_buf_free(&box);
	px_buf_free(&obj);
	return rc;
}

static enum px_err write_file(const char *path, const struct px_buf *b,
			      struct px_buf *err)
{
	struct px_buf tmp = PX_BUF_INIT;
	const char *p = b->data;
	size_t left = b->len;
	ssize_t w;
	int fd = -1;
	enum px_err rc = PX_E_STORAGE_FAILED;

	px_buf_printf(&tmp, "%s.plexichat-tmp", path);
	if (tmp.failed)
		goto out;
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (left > 0) {
		w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0)
		goto fail;
	rc = PX_OK;
	goto out;
fail:
	px_buf_printf(err, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp.data);
out:
	px_buf_free(&tmp);
	return rc;
}

enum px_err px_bk_wal_get(struct px_bk_repo *r, const char *name,
			  const char *path, struct px_buf *err)
{
	struct px_buf obj = PX_BUF_INIT, box = PX_BUF_INIT, plain = PX_BUF_INIT;
	enum px_err rc = PX_E_VALIDATION_FAILED;

	if (!px_bk_wal_name_ok(name)) {
		px_buf_printf(err, "\"%s\" is not a WAL file name", name);
		return rc;
	}
	px_buf_printf(&obj, "%s%s", PX_BK_WAL_PREFIX, name);
	rc = obj.failed ? PX_E_SYSTEM_INTERNAL : px_st_get(r->store, obj.data, &box);
	if (rc == PX_E_STORAGE_SHARD_MISSING)
		px_buf_printf(err, "%s is not in the archive", obj.data);
	if (rc != PX_OK)
		goto out;
	rc = open_box(r, obj.data, &box, &plain);
	if (rc == PX_E_STORAGE_SHARD_CORRUPT)
		px_buf_printf(err, "WAL file %s in the store is corrupt (authentication failed)",
			      name);
	if (rc != PX_OK)
		goto out;
	px_buf_free(&box);
	rc = write_file(path, &plain, err);
out:
	px_buf_free(&obj);
	px_buf_free(&box);
	px_buf_free(&plain);
	return rc;
}

struct list_ctx {
	struct px_bk_wal_names *l;
	int oom;
};

static int add_name(void *arg, const char *name, size_t size)
{
	struct list_ctx *c = arg;
	const char *base = name + strlen(PX_BK_WAL_PREFIX);
	char **nn;

	(void)size;
	if (strncmp(name, PX_BK_WAL_PREFIX, strlen(PX_BK_WAL_PREFIX)) ||
	    !px_bk_wal_name_ok(base))
		return 0;
	nn = realloc(c->l->names, (c->l->n + 1) * sizeof(*nn));
	if (nn)
		c->l->names = nn;
	if (!nn || !(nn[c->l->n] = strdup(base))) {
		c->oom = 1;
		return 1;
	}
	c->l->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum px_err px_bk_wal_list(struct px_st_store *st, struct px_bk_wal_names *out)
{
	struct list_ctx c = { out, 0 };
	enum px_err rc;

	out->names = NULL;
	out->n = 0;
	rc = px_st_list(st, PX_BK_WAL_PREFIX, add_name, &c);
	if (rc == PX_OK && c.oom)
		rc = PX_E_SYSTEM_INTERNAL;
	if (rc == PX_OK && out->n)
		qsort(out->names, out->n, sizeof(*out->names), name_cmp);
	return rc;
}

void px_bk_wal_names_free(struct px_bk_wal_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}
