/* px_st_local.c: objects as files under one root folder. Names never
 * contain ".." or start with "/" (checked), so nothing escapes the root.
 * Synchronous puts write a temporary file, fsync it, rename it. Queued
 * puts write the temporary file and only start its write-back
 * (sync_file_range), then fsync and rename in batches: the disk works in
 * the background while the backup goes on, and a final name still never
 * exists before its data is durable. */
#include "storage/px_st_local.h"
#include "core/dirs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIRTY 512
#define MAX_PENDING 64

struct pending {
	char *tmp, *final;
};

struct local {
	struct px_st_store base;
	char *root;
	char *dirty[MAX_DIRTY];   /* folders with renames not yet fsynced */
	size_t ndirty;
	struct pending pending[MAX_PENDING];   /* written, not yet renamed */
	size_t npending;
	unsigned long seq;
};

static enum px_err errno_code(int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return PX_E_STORAGE_FULL;
	if (e == EACCES || e == EPERM || e == EROFS)
		return PX_E_STORAGE_CREDENTIALS;
	if (e == ENOENT)
		return PX_E_STORAGE_SHARD_MISSING;
	return PX_E_STORAGE_FAILED;
}

static enum px_err fail(struct local *l, const char *what, const char *path,
			int e)
{
	px_buf_reset(&l->base.errmsg);
	px_buf_printf(&l->base.errmsg, "%s %s: %s", what, path, strerror(e));
	return errno_code(e);
}

static int name_ok(const char *name)
{
	return *name && name[0] != '/' && !strstr(name, "..") &&
	       !strstr(name, "//");
}

/* Makes the folders above a file's path (which ends at its last '/'). */
static int make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n == 0)
		return 0;
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return px_dirs_make(dir, 0750);
}

static enum px_err sync_dirty(struct local *l)
{
	enum px_err rc = PX_OK;
	size_t i;

	for (i = 0; i < l->ndirty; i++) {
		if (rc == PX_OK && px_dirs_fsync(l->dirty[i]) != 0)
			rc = fail(l, "fsync", l->dirty[i], errno);
		free(l->dirty[i]);
	}
	l->ndirty = 0;
	return rc;
}

static enum px_err mark_dirty(struct local *l, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path), i;
	char *d;

	for (i = 0; i < l->ndirty; i++)
		if (strlen(l->dirty[i]) == n && !memcmp(l->dirty[i], path, n))
			return PX_OK;
	if (l->ndirty == MAX_DIRTY) {
		enum px_err rc = sync_dirty(l);

		if (rc != PX_OK)
			return rc;
	}
	d = strndup(path, n);
	if (!d)
		return PX_E_STORAGE_FAILED;
	l->dirty[l->ndirty++] = d;
	return PX_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes p into a new temporary file next to the object's path. With
 * durable, fsyncs it; otherwise only starts its write-back. On success
 * path and tmp hold the final and temporary names. */
static enum px_err write_tmp(struct local *l, const char *name, const void *p,
			     size_t n, int durable, struct px_buf *path,
			     struct px_buf *tmp)
{
	enum px_err rc = PX_E_STORAGE_FAILED;
	int fd = -1;

	if (!name_ok(name))
		return PX_E_STORAGE_FAILED;
	px_buf_printf(path, "%s/%s", l->root, name);
	px_buf_printf(tmp, "%s.tmp-%ld-%lu", path->data, (long)getpid(), ++l->seq);
	if (path->failed || tmp->failed)
		goto out;
	fd = open(tmp->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	/* the object's folder is made on its first use only */
	if (fd < 0 && errno == ENOENT) {
		if (make_parent(path->data) != 0) {
			rc = fail(l, "mkdir", path->data, errno);
			goto out;
		}
		fd = open(tmp->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	}
	if (fd < 0) {
		rc = fail(l, "create", tmp->data, errno);
		goto out;
	}
	if (write_all(fd, p, n) != 0 ||
	    (durable ? fsync(fd) : sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)) != 0) {
		rc = fail(l, "write", tmp->data, errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = fail(l, "close", tmp->data, errno);
		goto out;
	}
	fd = -1;
	rc = PX_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != PX_OK && tmp->len)
		unlink(tmp->data);
	return rc;
}

static enum px_err publish(struct local *l, const char *tmp, const char *path)
{
	if (rename(tmp, path) != 0)
		return fail(l, "rename", path, errno);
	return mark_dirty(l, path);
}

static enum px_err local_put(struct px_st_store *s, const char *name,
			     const void *p, size_t n)
{
	struct local *l = (struct local *)s;
	struct px_buf path = PX_BUF_INIT, tmp = PX_BUF_INIT;
	enum px_err rc = write_tmp(l, name, p, n, 1, &path, &tmp);

	if (rc == PX_OK) {
		rc = publish(l, tmp.data, path.data);
		if (rc != PX_OK)
			unlink(tmp.data);
	}
	px_buf_free(&path);
	px_buf_free(&tmp);
	return rc;
}

/* link(2) instead of rename(2): it fails with EEXIST rather than replace
 * an object another process stored first. */
static enum px_err local_put_new(struct px_st_store *s, const char *name,
				 const void *p, size_t n)
{
	struct local *l = (struct local *)s;
	struct px_buf path = PX_BUF_INIT, tmp = PX_BUF_INIT;
	enum px_err rc = write_tmp(l, name, p, n, 1, &path, &tmp);

	if (rc == PX_OK) {
		if (link(tmp.data, path.data) != 0)
			rc = errno == EEXIST ? PX_E_VALIDATION_CONFLICT :
			     fail(l, "link", path.data, errno);
		unlink(tmp.data);
		if (rc == PX_OK) {
			rc = mark_dirty(l, path.data);
			if (rc == PX_OK)
				rc = sync_dirty(l);
		}
	}
	px_buf_free(&path);
	px_buf_free(&tmp);
	return rc;
}

/* fsyncs and renames every pending file; on failure the rest stay
 * pending and are removed by free. */
static enum px_err commit_pending(struct local *l)
{
	enum px_err rc = PX_OK;
	size_t i;

	for (i = 0; i < l->npending; i++) {
		struct pending *pe = &l->pending[i];
		int fd = open(pe->tmp, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fsync(fd) != 0) {
			rc = fail(l, "fsync", pe->tmp, errno);
			if (fd >= 0)
				close(fd);
			break;
		}
		close(fd);
		rc = publish(l, pe->tmp, pe->final);
		if (rc != PX_OK)
			break;
		free(pe->tmp);
		free(pe->final);
		pe->tmp = pe->final = NULL;
	}
	/* keep the failed and later ones */
	memmove(l->pending, l->pending + i, (l->npending - i) * sizeof(l->pending[0]));
	l->npending -= i;
	return rc;
}

static enum px_err local_put_async(struct px_st_store *s, const char *name,
				   struct px_buf *data)
{
	struct local *l = (struct local *)s;
	struct px_buf path = PX_BUF_INIT, tmp = PX_BUF_INIT;
	enum px_err rc = PX_OK;

	if (l->npending == MAX_PENDING)
		rc = commit_pending(l);
	if (rc == PX_OK)
		rc = write_tmp(l, name, data->data, data->len, 0, &path, &tmp);
	if (rc == PX_OK) {
		l->pending[l->npending].tmp = px_buf_steal(&tmp);
		l->pending[l->npending].final = px_buf_steal(&path);
		l->npending++;
	}
	px_buf_free(data);
	px_buf_free(&path);
	px_buf_free(&tmp);
	return rc;
}

static enum px_err local_flush(struct px_st_store *s)
{
	struct local *l = (struct local *)s;
	enum px_err rc = commit_pending(l);

	return rc == PX_OK ? sync_dirty(l) : rc;
}

static enum px_err local_get(struct px_st_store *s, const char *name,
			     struct px_buf *out)
{
	struct local *l = (struct local *)s;
	struct px_buf path = PX_BUF_INIT;
	enum px_err rc = PX_E_STORAGE_FAILED;
	struct stat st;
	int fd = -1;
	size_t got = 0;

	px_buf_reset(out);
	if (!name_ok(name))
		return PX_E_STORAGE_FAILED;
	px_buf_printf(&path, "%s/%s", l->root, name);
	if (path.failed)
		goto out;
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = fail(l, "open", path.data, errno);
		goto out;
	}
	if (px_buf_reserve(out, (size_t)st.st_size) != 0)
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, out->data + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = fail(l, "read", path.data, r < 0 ? errno : EIO);
			goto out;
		}
		got += (size_t)r;
	}
	out->len = got;
	out->data[got] = '\0';
	rc = PX_OK;
out:
	if (fd >= 0)
		close(fd);
	px_buf_free(&path);
	return rc;
}

/* Local reads are fast and the page cache reads ahead: get_begin only
 * remembers the name. */
static enum px_err local_get_begin(struct px_st_store *s, const char *name,
				   void **h)
{
	*h = strdup(name);
	return *h ? PX_OK : PX_E_STORAGE_FAILED;
}

static enum px_err local_get_end(struct px_st_store *s, void *h,
				 struct px_buf *out)
{
	enum px_err rc = local_get(s, h, out);

	free(h);
	return rc;
}

/* Walks dir (relative name rel) depth-first, reporting regular files
 * whose relative name starts with prefix. Returns 1 when fn stopped it. */
static int walk(struct local *l, const char *dir, const char *rel,
		const char *prefix, px_st_list_fn fn, void *arg, int *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int stop = 0;

	if (!d) {
		if (errno != ENOENT)
			*err = errno;
		return 0;
	}
	while (!stop && !*err && (e = readdir(d)) != NULL) {
		struct px_buf full = PX_BUF_INIT, name = PX_BUF_INIT;
		size_t plen = strlen(prefix), nlen;
		struct stat st;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp-"))
			continue;
		px_buf_printf(&full, "%s/%s", dir, e->d_name);
		px_buf_printf(&name, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (full.failed || name.failed) {
			*err = ENOMEM;
		} else if (lstat(full.data, &st) != 0) {
			if (errno != ENOENT)
				*err = errno;
		} else {
			nlen = name.len < plen ? name.len : plen;
			/* descend only where the prefix can still match */
			if (memcmp(name.data, prefix, nlen) != 0) {
				/* no match */
			} else if (S_ISDIR(st.st_mode)) {
				stop = walk(l, full.data, name.data, prefix, fn,
					    arg, err);
			} else if (S_ISREG(st.st_mode) && name.len >= plen) {
				stop = fn(arg, name.data, (size_t)st.st_size);
			}
		}
		px_buf_free(&full);
		px_buf_free(&name);
	}
	closedir(d);
	return stop;
}

static enum px_err local_list(struct px_st_store *s, const char *prefix,
			      px_st_list_fn fn, void *arg)
{
	struct local *l = (struct local *)s;
	int err = 0;

	walk(l, l->root, "", prefix, fn, arg, &err);
	return err ? fail(l, "list", l->root, err) : PX_OK;
}

static enum px_err local_del(struct px_st_store *s, const char *name)
{
	struct local *l = (struct local *)s;
	struct px_buf path = PX_BUF_INIT;
	enum px_err rc = PX_OK;

	if (!name_ok(name))
		return PX_E_STORAGE_FAILED;
	px_buf_printf(&path, "%s/%s", l->root, name);
	if (path.failed)
		rc = PX_E_STORAGE_FAILED;
	else if (unlink(path.data) != 0 && errno != ENOENT)
		rc = fail(l, "unlink", path.data, errno);
	px_buf_free(&path);
	return rc;
}

static void local_free(struct px_st_store *s)
{
	struct local *l = (struct local *)s;
	size_t i;

	for (i = 0; i < l->ndirty; i++)
		free(l->dirty[i]);
	for (i = 0; i < l->npending; i++) {
		if (l->pending[i].tmp)
			unlink(l->pending[i].tmp);
		free(l->pending[i].tmp);
		free(l->pending[i].final);
	}
	free(l->root);
	free(l);
}

/* Removes the temporary files (see write_tmp) under dir, except in the
 * entry named skip; returns their count. */
static long sweep_dir(const char *dir, const char *skip)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct px_buf full = PX_BUF_INIT;
		struct stat st;

		if (e->d_name[0] == '.' || (skip && !strcmp(e->d_name, skip)))
			continue;
		px_buf_printf(&full, "%s/%s", dir, e->d_name);
		if (!full.failed && lstat(full.data, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				n += sweep_dir(full.data, NULL);
			else if (S_ISREG(st.st_mode) && strstr(e->d_name, ".tmp-") &&
				 unlink(full.data) == 0)
				n++;
		}
		px_buf_free(&full);
	}
	closedir(d);
	return n;
}

/* Under the exclusive lock no other run writes shards or manifests, so
 * every temporary file there was left by a run killed before its rename.
 * locks/ is left alone: a run that is just starting writes its own lock
 * object there before it sees ours. One walk of the store per run, small
 * next to the backup itself. */
static long local_sweep(struct px_st_store *s)
{
	return sweep_dir(((struct local *)s)->root, "locks");
}

static enum px_err local_prepare(struct px_st_store *s)
{
	struct local *l = (struct local *)s;
	struct px_buf dir = PX_BUF_INIT;
	enum px_err rc = PX_OK;
	int i;

	for (i = 0; i < 256 && rc == PX_OK; i++) {
		px_buf_reset(&dir);
		px_buf_printf(&dir, "%s/shards/%02x/", l->root, i);
		if (dir.failed)
			rc = PX_E_STORAGE_FAILED;
		else if (make_parent(dir.data) != 0)
			rc = fail(l, "mkdir", dir.data, errno);
	}
	px_buf_free(&dir);
	return rc;
}

static const struct px_st_store_ops local_ops = {
	"local", local_put, local_put_async, local_flush, local_get,
	local_get_begin, local_get_end, local_list, local_del, local_free,
	local_sweep, local_prepare, local_put_new,
};

struct px_st_store *px_st_local_open(const char *root, struct px_buf *err)
{
	struct local *l = calloc(1, sizeof(*l));
	struct px_buf probe = PX_BUF_INIT;

	if (!l)
		goto fail;
	l->base.ops = &local_ops;
	l->root = strdup(root);
	if (!l->root)
		goto fail;
	while (strlen(l->root) > 1 && l->root[strlen(l->root) - 1] == '/')
		l->root[strlen(l->root) - 1] = '\0';
	px_buf_printf(&probe, "%s/x", l->root);
	if (probe.failed || make_parent(probe.data) != 0) {
		px_buf_printf(err, "cannot create %s: %s", l->root,
			      strerror(errno));
		goto fail;
	}
	px_buf_free(&probe);
	return &l->base;
fail:
	px_buf_free(&probe);
	if (l)
		local_free(&l->base);
	return NULL;
}
