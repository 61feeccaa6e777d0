/* px_bk_files.c: backup and restore of the uploads folder. Paths in the
 * manifest are relative and checked on restore, so a manifest cannot
 * write outside the target folder. */
#include "backup/px_bk_files.h"
#include "core/codec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define READ_BLOCK (1u << 20)

struct walk {
	struct px_bk_writer *w;
	struct px_bk_repo *r;
	const struct px_bk_files_opts *o;
	json_object *old_cache, *new_cache, *list;
	struct px_bk_files_stats *st;
	struct px_buf *err;
	char *block;
};

static int64_t mtime_ns(const struct stat *s)
{
	return (int64_t)s->st_mtim.tv_sec * 1000000000 + s->st_mtim.tv_nsec;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

/* 1 when every shard of the list is known to be in the store. */
static int all_known(struct px_bk_repo *r, json_object *shards)
{
	size_t i, n = json_object_array_length(shards);
	unsigned char id[32];

	for (i = 0; i < n; i++) {
		json_object *ref = json_object_array_get_idx(shards, i);
		const char *hex = json_object_get_string(json_object_array_get_idx(ref, 0));

		if (!hex || px_codec_hex_decode_fixed(hex, id, 32) != 0 ||
		    !px_bk_known_has(r->known, id))
			return 0;
	}
	return 1;
}

static enum px_err read_file(struct walk *k, const char *full, json_object *e)
{
	enum px_err rc = PX_OK;
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0) {
		px_buf_printf(k->err, "open %s: %s", full, strerror(errno));
		return PX_E_STORAGE_FAILED;
	}
	px_bk_writer_begin(k->w);
	while ((n = read(fd, k->block, READ_BLOCK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			px_buf_printf(k->err, "read %s: %s", full, strerror(errno));
			rc = PX_E_STORAGE_FAILED;
			break;
		}
		k->st->bytes_read += (uint64_t)n;
		rc = px_bk_writer_write(k->w, k->block, (size_t)n);
		if (rc != PX_OK)
			break;
	}
	close(fd);
	return rc == PX_OK ? px_bk_writer_end(k->w, e) : rc;
}

/* Whether rel names a content-addressed object: objects/ab/<62 hex>. */
static int is_object(const char *rel)
{
	size_t i;

	if (strlen(rel) != 8 + 2 + 1 + 62 || strncmp(rel, "objects/", 8) != 0 || rel[10] != '/')
		return 0;
	for (i = 8; rel[i]; i++)
		if (i != 10 && !((rel[i] >= '0' && rel[i] <= '9') || (rel[i] >= 'a' && rel[i] <= 'f')))
			return 0;
	return 1;
}

/* The cache entry that lets rel go unread: the local cache's when path,
 * size, mtime and inode agree, else for an object the previous snapshot's
 * when path and size do (its name is its content). NULL: read it. */
static json_object *reusable(struct walk *k, const char *rel, const struct stat *s)
{
	json_object *c = NULL, *shards;

	if (k->old_cache && json_object_object_get_ex(k->old_cache, rel, &c) &&
	    jint(c, "size") == (int64_t)s->st_size && jint(c, "mtime_ns") == mtime_ns(s) &&
	    jint(c, "ino") == (int64_t)s->st_ino &&
	    json_object_object_get_ex(c, "shards", &shards) && all_known(k->r, shards))
		return c;
	c = NULL;
	if (k->o && k->o->prev && is_object(rel) &&
	    json_object_object_get_ex(k->o->prev, rel, &c) &&
	    jint(c, "bytes") == (int64_t)s->st_size &&
	    json_object_object_get_ex(c, "shards", &shards) && all_known(k->r, shards))
		return c;
	return NULL;
}

static enum px_err add_file(struct walk *k, const char *full, const char *rel,
			    const struct stat *s, json_object *e)
{
	json_object *c = reusable(k, rel, s), *shards, *ce;

	k->st->bytes += (uint64_t)s->st_size;
	if (c && json_object_object_get_ex(c, "shards", &shards)) {
		json_object_object_add(e, "bytes", json_object_new_int64(s->st_size));
		json_object_object_add(e, "shards", json_object_get(shards));
		px_bk_writer_reuse(k->w, shards, (uint64_t)s->st_size);
		k->st->skipped++;
	} else {
		enum px_err rc = read_file(k, full, e);

		if (rc != PX_OK)
			return rc;
	}
	k->st->files++;
	ce = json_object_new_object();
	json_object_object_add(ce, "size", json_object_new_int64(s->st_size));
	json_object_object_add(ce, "mtime_ns", json_object_new_int64(mtime_ns(s)));
	json_object_object_add(ce, "ino", json_object_new_int64((int64_t)s->st_ino));
	json_object_object_get_ex(e, "shards", &shards);
	json_object_object_add(ce, "shards", json_object_get(shards));
	json_object_object_add(k->new_cache, rel, ce);
	return PX_OK;
}

static int skip_name(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

static enum px_err walk_dir(struct walk *k, const char *dir, const char *rel)
{
	struct dirent **ents = NULL;
	enum px_err rc = PX_OK;
	int n, i;

	n = scandir(dir, &ents, skip_name, alphasort);
	if (n < 0) {
		px_buf_printf(k->err, "scan %s: %s", dir, strerror(errno));
		return PX_E_STORAGE_FAILED;
	}
	for (i = 0; i < n && rc == PX_OK; i++) {
		struct px_buf full = PX_BUF_INIT, r = PX_BUF_INIT;
		json_object *e;
		struct stat s;

		if (!*rel && k->o && k->o->only && strcmp(ents[i]->d_name, k->o->only) != 0)
			continue;

		px_buf_printf(&full, "%s/%s", dir, ents[i]->d_name);
		px_buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", ents[i]->d_name);
		if (full.failed || r.failed) {
			rc = PX_E_SYSTEM_INTERNAL;
		} else if (lstat(full.data, &s) != 0) {
			/* vanished between readdir and lstat: not an error */
		} else if (S_ISDIR(s.st_mode) || S_ISREG(s.st_mode) ||
			   S_ISLNK(s.st_mode)) {
			e = json_object_new_object();
			json_object_object_add(e, "path", json_object_new_string(r.data));
			json_object_object_add(e, "mode",
					       json_object_new_int((int)(s.st_mode & 07777)));
			json_object_object_add(e, "mtime_ns",
					       json_object_new_int64(mtime_ns(&s)));
			json_object_array_add(k->list, e);
			if (S_ISDIR(s.st_mode)) {
				json_object_object_add(e, "type", json_object_new_string("dir"));
				k->st->dirs++;
				rc = walk_dir(k, full.data, r.data);
			} else if (S_ISLNK(s.st_mode)) {
				char target[4096];
				ssize_t tl = readlink(full.data, target, sizeof(target) - 1);

				target[tl > 0 ? tl : 0] = '\0';
				json_object_object_add(e, "type", json_object_new_string("symlink"));
				json_object_object_add(e, "target", json_object_new_string(target));
			} else {
				json_object_object_add(e, "type", json_object_new_string("file"));
				rc = add_file(k, full.data, r.data, &s, e);
			}
		}
		px_buf_free(&full);
		px_buf_free(&r);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* ---- a remote file store ---- */

struct robj {
	unsigned char id[32];
	uint64_t size;
};

struct rlist {
	struct robj *v;
	size_t n, cap;
	int failed;
};

static int on_remote(void *arg, const char *hex, uint64_t size, time_t mtime)
{
	struct rlist *l = arg;

	(void)mtime;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct robj *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->failed = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	if (px_codec_hex_decode_fixed(hex, l->v[l->n].id, 32) == 0)
		l->v[l->n++].size = size;
	return 0;
}

static int cmp_robj(const void *a, const void *b)
{
	return memcmp(((const struct robj *)a)->id, ((const struct robj *)b)->id, 32);
}

static json_object *entry(const char *path, const char *type, int mode)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "path", json_object_new_string(path));
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "mode", json_object_new_int(mode));
	return e;
}

/* Reads object hex of fs piece by piece into the writer. */
static enum px_err read_remote(struct px_bk_writer *w, const struct px_st_files *fs,
			       const char *hex, uint64_t size, json_object *e,
			       struct px_bk_files_stats *st, struct px_buf *err)
{
	struct px_buf piece = PX_BUF_INIT;
	uint64_t off = 0;
	enum px_err rc = PX_OK;

	px_bk_writer_begin(w);
	while (off < size && rc == PX_OK) {
		rc = px_st_files_read(fs, hex, off, PX_BK_FILES_RANGE, &piece);
		if (rc == PX_OK && piece.len == 0)
			rc = PX_E_STORAGE_FAILED;   /* shorter than listed */
		if (rc != PX_OK) {
			px_buf_printf(err, "read object %s at %llu: %s", hex, (unsigned long long)off,
				      fs->remote->errmsg.data ? fs->remote->errmsg.data : "failed");
			break;
		}
		rc = px_bk_writer_write(w, piece.data, piece.len);
		off += piece.len;
		st->bytes_read += piece.len;
	}
	px_buf_free(&piece);
	if (rc == PX_OK && off != size) {
		px_buf_printf(err, "object %s: %llu bytes read, %llu listed", hex,
			      (unsigned long long)off, (unsigned long long)size);
		rc = PX_E_STORAGE_FAILED;
	}
	return rc == PX_OK ? px_bk_writer_end(w, e) : rc;
}

enum px_err px_bk_files_backup_remote(struct px_bk_writer *w, struct px_bk_repo *r,
				      const struct px_st_files *fs,
				      const struct px_bk_files_opts *o, json_object *list,
				      struct px_bk_files_stats *st, struct px_buf *err)
{
	struct rlist l = { NULL, 0, 0, 0 };
	enum px_err rc;
	char dir[3] = "", path[80], hex[65];
	size_t i;

	memset(st, 0, sizeof(*st));
	rc = px_st_files_list(fs, on_remote, &l);
	if (rc != PX_OK || l.failed) {
		px_buf_printf(err, "cannot list the file store: %s",
			      fs->remote && fs->remote->errmsg.data ? fs->remote->errmsg.data
								      : "out of memory");
		free(l.v);
		return rc != PX_OK ? rc : PX_E_SYSTEM_INTERNAL;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_robj);
	json_object_array_add(list, entry("objects", "dir", 0750));
	st->dirs++;
	for (i = 0; i < l.n && rc == PX_OK; i++) {
		json_object *e, *prev = NULL, *shards;

		px_codec_hex_str(hex, l.v[i].id, 32);
		if (strncmp(dir, hex, 2) != 0) {
			memcpy(dir, hex, 2);
			snprintf(path, sizeof(path), "objects/%.2s", hex);
			json_object_array_add(list, entry(path, "dir", 0750));
			st->dirs++;
		}
		if (px_st_files_key(hex, path) != 0)
			continue;
		e = entry(path, "file", 0640);
		json_object_array_add(list, e);
		st->files++;
		st->bytes += l.v[i].size;
		if (o && o->prev && json_object_object_get_ex(o->prev, path, &prev) &&
		    jint(prev, "bytes") == (int64_t)l.v[i].size &&
		    json_object_object_get_ex(prev, "shards", &shards) && all_known(r, shards)) {
			json_object_object_add(e, "bytes", json_object_new_int64((int64_t)l.v[i].size));
			json_object_object_add(e, "shards", json_object_get(shards));
			px_bk_writer_reuse(w, shards, l.v[i].size);
			st->skipped++;
			continue;
		}
		rc = read_remote(w, fs, hex, l.v[i].size, e, st, err);
	}
	free(l.v);
	return rc;
}

json_object *px_bk_files_by_path(json_object *m)
{
	json_object *files = NULL, *by, *p;
	size_t i, n;

	if (!m || !json_object_object_get_ex(m, "files", &files) ||
	    !json_object_is_type(files, json_type_array))
		return NULL;
	by = json_object_new_object();
	n = json_object_array_length(files);
	for (i = 0; by && i < n; i++) {
		json_object *e = json_object_array_get_idx(files, i);

		if (json_object_object_get_ex(e, "path", &p) && json_object_is_type(p, json_type_string))
			json_object_object_add(by, json_object_get_string(p), json_object_get(e));
	}
	return by;
}

enum px_err px_bk_files_backup(struct px_bk_writer *w, struct px_bk_repo *r,
			       const char *root, const struct px_bk_files_opts *o,
			       json_object *old_cache,
			       json_object *new_cache, json_object *list,
			       struct px_bk_files_stats *st, struct px_buf *err)
{
	struct walk k = { w, r, o, old_cache, new_cache, list, st, err, NULL };
	enum px_err rc;

	memset(st, 0, sizeof(*st));
	k.block = malloc(READ_BLOCK);
	if (!k.block)
		return PX_E_SYSTEM_INTERNAL;
	rc = walk_dir(&k, root, "");
	free(k.block);
	return rc;
}

static int path_ok(const char *p)
{
	const char *s;

	if (!*p || *p == '/')
		return 0;
	for (s = p; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (!strncmp(s, "..", 2) && (s[2] == '/' || !s[2]))
			return 0;
		if (*s == '/' || !*s)
			return 0;
	}
	return 1;
}

static enum px_err restore_file(struct px_bk_reader *rd, json_object *e,
				const char *full, uint64_t *bytes,
				struct px_buf *err)
{
	json_object *shards = NULL;
	struct px_buf plain = PX_BUF_INIT;
	unsigned char id[32];
	enum px_err rc = PX_E_STORAGE_SHARD_CORRUPT;
	int64_t written = 0;
	size_t i, n;
	int fd = -1;

	if (!json_object_object_get_ex(e, "shards", &shards))
		goto out;
	rc = PX_E_STORAGE_FAILED;
	fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		px_buf_printf(err, "create %s: %s", full, strerror(errno));
		goto out;
	}
	n = json_object_array_length(shards);
	for (i = 0; i < n; i++) {
		const char *sid = json_object_get_string(
			json_object_array_get_idx(json_object_array_get_idx(shards, i), 0));
		size_t off = 0;

		if (!sid || px_codec_hex_decode_fixed(sid, id, 32) != 0) {
			rc = PX_E_STORAGE_SHARD_CORRUPT;
			goto out;
		}
		rc = px_bk_reader_next(rd, id, &plain);
		if (rc != PX_OK) {
			px_buf_printf(err, "shard %s of %s", sid,
				      json_object_get_string(json_object_object_get(e, "path")));
			goto out;
		}
		rc = PX_E_STORAGE_FAILED;
		while (off < plain.len) {
			ssize_t wr = write(fd, plain.data + off, plain.len - off);

			if (wr < 0 && errno == EINTR)
				continue;
			if (wr < 0) {
				px_buf_printf(err, "write %s: %s", full, strerror(errno));
				if (errno == ENOSPC)
					rc = PX_E_STORAGE_FULL;
				goto out;
			}
			off += (size_t)wr;
		}
		*bytes += plain.len;
		written += (int64_t)plain.len;
	}
	if (written != jint(e, "bytes")) {
		px_buf_printf(err, "file %s: %lld bytes restored, manifest says %lld",
			      full, (long long)written, (long long)jint(e, "bytes"));
		rc = PX_E_STORAGE_SHARD_CORRUPT;
		goto out;
	}
	if (fsync(fd) != 0)
		goto out;
	rc = PX_OK;
out:
	if (fd >= 0)
		close(fd);
	px_buf_free(&plain);
	return rc;
}

static void set_times(const char *full, json_object *e, int link)
{
	int64_t ns = jint(e, "mtime_ns");
	struct timespec ts[2];

	if (ns < 0)
		return;
	ts[0].tv_sec = ts[1].tv_sec = ns / 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = ns % 1000000000;
	utimensat(AT_FDCWD, full, ts, link ? AT_SYMLINK_NOFOLLOW : 0);
}

enum px_err px_bk_files_restore(struct px_bk_reader *rd, json_object *list,
				const char *dir, uint64_t *bytes,
				px_bk_files_restored_fn on_file, void *arg,
				struct px_buf *err)
{
	size_t i, n = json_object_array_length(list);
	enum px_err rc = PX_OK;

	for (i = 0; i < n && rc == PX_OK; i++) {
		json_object *e = json_object_array_get_idx(list, i), *v;
		const char *path, *type;
		struct px_buf full = PX_BUF_INIT;

		if (!json_object_object_get_ex(e, "path", &v) ||
		    !(path = json_object_get_string(v)) || !path_ok(path) ||
		    !json_object_object_get_ex(e, "type", &v)) {
			px_buf_printf(err, "bad file entry %zu in manifest", i);
			return PX_E_STORAGE_SHARD_CORRUPT;
		}
		type = json_object_get_string(v);
		px_buf_printf(&full, "%s/%s", dir, path);
		if (full.failed) {
			rc = PX_E_SYSTEM_INTERNAL;
		} else if (!strcmp(type, "dir")) {
			if (mkdir(full.data, 0700) != 0 && errno != EEXIST) {
				px_buf_printf(err, "mkdir %s: %s", full.data, strerror(errno));
				rc = PX_E_STORAGE_FAILED;
			}
		} else if (!strcmp(type, "symlink")) {
			if (json_object_object_get_ex(e, "target", &v) &&
			    symlink(json_object_get_string(v), full.data) != 0) {
				px_buf_printf(err, "symlink %s: %s", full.data, strerror(errno));
				rc = PX_E_STORAGE_FAILED;
			}
		} else {
			rc = restore_file(rd, e, full.data, bytes, err);
			if (rc == PX_OK)
				chmod(full.data, (mode_t)jint(e, "mode") & 07777);
			set_times(full.data, e, 0);
			if (rc == PX_OK && on_file)
				rc = on_file(arg, full.data, path, err);
		}
		px_buf_free(&full);
	}
	/* directory modes and times last: writing files inside changes them */
	for (i = n; rc == PX_OK && i-- > 0;) {
		json_object *e = json_object_array_get_idx(list, i), *v;
		struct px_buf full = PX_BUF_INIT;

		json_object_object_get_ex(e, "type", &v);
		if (strcmp(json_object_get_string(v), "file")) {
			json_object_object_get_ex(e, "path", &v);
			px_buf_printf(&full, "%s/%s", dir, json_object_get_string(v));
			json_object_object_get_ex(e, "type", &v);
			if (!strcmp(json_object_get_string(v), "dir"))
				chmod(full.data, (mode_t)jint(e, "mode") & 07777);
			set_times(full.data, e, 1);
		}
		px_buf_free(&full);
	}
	return rc;
}

json_object *px_bk_files_cache_load(const struct px_bk_repo *r)
{
	char *path = px_bk_repo_cache_path(r, "files.json");
	json_object *o = path ? json_object_from_file(path) : NULL;

	free(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = json_object_new_object();
	}
	return o;
}

int px_bk_files_cache_save(const struct px_bk_repo *r, json_object *cache)
{
	char *path = px_bk_repo_cache_path(r, "files.json");
	struct px_buf tmp = PX_BUF_INIT;
	int rc = -1;

	px_buf_printf(&tmp, "%s.tmp", path ? path : "");
	if (path && !tmp.failed &&
	    json_object_to_file_ext(tmp.data, cache, JSON_C_TO_STRING_PLAIN) == 0 &&
	    rename(tmp.data, path) == 0)
		rc = 0;
	free(path);
	px_buf_free(&tmp);
	return rc;
}
