/* px_st_files.c: the content-addressed file store, local or in S3.
 * Invariant: an object (a file under objects/, or an S3 key objects/...)
 * is complete and its name is the SHA-256 of its bytes; partial bytes
 * only ever exist under tmp/ (S3 makes a put or a completed multipart
 * upload visible whole). */
#include "storage/px_st_files.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/cfg.h"
#include "core/dirs.h"
#include "storage/px_st_azure.h"
#include "storage/px_st_open.h"
#include "storage/px_st_s3.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int px_st_files_init(struct px_st_files *f, const char *root, struct px_buf *err)
{
	char sub[PX_ST_FILES_PATH + 16], cwd[PX_ST_FILES_PATH];
	struct stat st;
	size_t n;

	f->remote = NULL;
	f->part_size = 0;
	if (!root || !*root) {
		px_buf_puts(err, "no file store folder given (files_dir)");
		return -1;
	}
	if (root[0] == '/')
		n = (size_t)snprintf(f->root, sizeof(f->root), "%s", root);
	else if (getcwd(cwd, sizeof(cwd)))
		n = (size_t)snprintf(f->root, sizeof(f->root), "%s/%s", cwd, root);
	else
		n = sizeof(f->root);
	if (n >= sizeof(f->root) - 80) {
		px_buf_printf(err, "file store folder path too long: %s", root);
		return -1;
	}
	while (n > 1 && f->root[n - 1] == '/')
		f->root[--n] = '\0';
	/* every request opens the store: one stat when it is made already
	 * (tmp/ is made last), instead of a mkdir per folder level */
	snprintf(sub, sizeof(sub), "%s/tmp", f->root);
	if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (px_dirs_make(f->root, 0750) != 0)
		goto fail;
	snprintf(sub, sizeof(sub), "%s/objects", f->root);
	if (px_dirs_make(sub, 0750) != 0)
		goto fail;
	snprintf(sub, sizeof(sub), "%s/tmp", f->root);
	if (px_dirs_make(sub, 0750) != 0)
		goto fail;
	return 0;
fail:
	px_buf_printf(err, "cannot make the file store folders under %s: %s", f->root,
		      strerror(errno));
	return -1;
}

int px_st_files_temp(const struct px_st_files *f, char *path)
{
	int fd;

	if (snprintf(path, PX_ST_FILES_PATH, "%s/tmp/up-XXXXXX", f->root) >= PX_ST_FILES_PATH) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(path);
	if (fd >= 0 && fchmod(fd, 0640) != 0) {
		int saved = errno;

		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	return fd;
}

int px_st_files_valid_name(const char *hex)
{
	size_t i;

	if (!hex)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return 0;
	return hex[64] == '\0';
}

int px_st_files_path(const struct px_st_files *f, const char *hex, char *out)
{
	if (!px_st_files_valid_name(hex))
		return -1;
	return snprintf(out, PX_ST_FILES_PATH, "%s/objects/%.2s/%s", f->root, hex, hex + 2) <
			       PX_ST_FILES_PATH
		       ? 0
		       : -1;
}

static enum px_err io_err(void)
{
	return errno == ENOSPC || errno == EDQUOT ? PX_E_STORAGE_FULL : PX_E_STORAGE_FAILED;
}

int px_st_files_open_remote(struct px_st_files *f, const char *root,
			    const struct px_st_store_opts *o, uint64_t part_size,
			    struct px_buf *err)
{
	if (px_st_files_init(f, root, err) != 0)
		return -1;
	if (!o->url || (strncmp(o->url, "s3://", 5) != 0 && strncmp(o->url, "gs://", 5) != 0 &&
			strncmp(o->url, "azure://", 8) != 0)) {
		px_buf_puts(err, "the remote file store must be s3://bucket[/prefix] (files_s3_url), "
			    "gs://bucket[/prefix] (files_gcs_url) or azure://container[/prefix] "
			    "(files_azure_url)");
		return -1;
	}
	f->remote = px_st_store_open(o, err);
	if (!f->remote)
		return -1;
	f->part_size = part_size;
	return 0;
}

/* The store options of files_store = kind (s3, gcs or azure) from c. */
static void remote_opts(const struct px_cfg *c, const char *kind, struct px_st_store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = (int)px_cfg_int(c, "files_s3_concurrency");
	if (!strcmp(kind, "azure")) {
		o->url = px_cfg_str(c, "files_azure_url");
		o->azure_account = px_cfg_str(c, "files_azure_account");
		o->azure_key = px_cfg_str(c, "files_azure_key");
		o->azure_endpoint = px_cfg_str(c, "files_azure_endpoint");
	} else if (!strcmp(kind, "gcs")) {
		o->url = px_cfg_str(c, "files_gcs_url");
		o->s3_endpoint = px_cfg_str(c, "files_gcs_endpoint");
		o->s3_region = "auto";
		o->s3_access_key = px_cfg_str(c, "files_gcs_access_key");
		o->s3_secret_key = px_cfg_str(c, "files_gcs_secret_key");
		o->s3_path_style = 1;
	} else {
		o->url = px_cfg_str(c, "files_s3_url");
		o->s3_endpoint = px_cfg_str(c, "files_s3_endpoint");
		o->s3_region = px_cfg_str(c, "files_s3_region");
		o->s3_access_key = px_cfg_str(c, "files_s3_access_key");
		o->s3_secret_key = px_cfg_str(c, "files_s3_secret_key");
		o->s3_path_style = px_cfg_bool(c, "files_s3_path_style");
	}
}

int px_st_files_open_config(const struct px_cfg *c, struct px_st_files *st, struct px_buf *err)
{
	const char *dir = px_cfg_str(c, "files_dir"), *kind = px_cfg_str(c, "files_store");
	struct px_buf def = PX_BUF_INIT;
	struct px_st_store_opts o;
	int rc;

	st->remote = NULL;
	if (!*dir) {
		px_buf_printf(&def, "%s/files", px_cfg_str(c, "data_dir"));
		dir = def.data ? def.data : "";
	}
	if (!strcmp(kind, "local")) {
		rc = px_st_files_init(st, dir, err);
		px_buf_free(&def);
		return rc;
	}
	remote_opts(c, kind, &o);
	if (!strcmp(kind, "azure") && !*o.azure_key) {
		px_buf_puts(err, "files_store = azure needs files_azure_key (download URLs are "
			    "service SAS signed with the account key)");
		px_buf_free(&def);
		return -1;
	}
	if (!*o.url) {
		px_buf_printf(err, "files_store = %s but files_%s_url is empty", kind, kind);
		px_buf_free(&def);
		return -1;
	}
	rc = px_st_files_open_remote(st, dir, &o, (uint64_t)px_cfg_int(c, "files_s3_part_size"),
				     err);
	px_buf_free(&def);
	return rc;
}

const char *px_st_files_remote_url(const struct px_cfg *c)
{
	const char *kind = px_cfg_str(c, "files_store");

	return !strcmp(kind, "azure") ? px_cfg_str(c, "files_azure_url")
	       : !strcmp(kind, "gcs") ? px_cfg_str(c, "files_gcs_url")
	       : !strcmp(kind, "s3")  ? px_cfg_str(c, "files_s3_url")
				      : NULL;
}

int px_st_files_signed_url(const struct px_st_files *f, const char *hex,
			   const struct px_st_files_url *u, struct px_buf *out)
{
	char key[80];

	if (!f->remote || px_st_files_key(hex, key) != 0)
		return -1;
	if (px_st_azure_is(f->remote)) {
		struct px_st_azure_sas p = { u->endpoint, u->expires, u->now, u->content_type,
					     u->content_disposition, u->cache_control };

		return px_st_azure_presign_get(f->remote, key, &p, out);
	} else {
		struct px_st_s3_presign p = { u->endpoint, u->expires, u->now, u->content_type,
					      u->content_disposition, u->cache_control };

		return px_st_s3_presign_get(f->remote, key, &p, out);
	}
}

void px_st_files_close(struct px_st_files *f)
{
	px_st_store_free(f->remote);
	f->remote = NULL;
}

int px_st_files_key(const char *hex, char out[80])
{
	if (!px_st_files_valid_name(hex))
		return -1;
	snprintf(out, 80, "objects/%.2s/%s", hex, hex + 2);
	return 0;
}

static enum px_err remote_head(const struct px_st_files *f, const char *key, uint64_t *size)
{
	return px_st_azure_is(f->remote) ? px_st_azure_head(f->remote, key, size)
					 : px_st_s3_head(f->remote, key, size);
}

enum px_err px_st_files_read(const struct px_st_files *f, const char *hex, uint64_t off,
			     size_t len, struct px_buf *out)
{
	char key[80];

	if (!f->remote || px_st_files_key(hex, key) != 0)
		return PX_E_STORAGE_FAILED;
	return px_st_azure_is(f->remote) ? px_st_azure_get_range(f->remote, key, off, len, out)
					 : px_st_s3_get_range(f->remote, key, off, len, out);
}

/* Streams fd to the remote store; an Azure container that does not exist
 * yet (404 on the put) is made and the put tried once more. */
static enum px_err remote_put(const struct px_st_files *f, const char *key, int fd,
			      uint64_t size, const char *hex)
{
	enum px_err e;

	if (!px_st_azure_is(f->remote))
		return px_st_s3_put_file(f->remote, key, fd, size, hex, f->part_size);
	e = px_st_azure_put_file(f->remote, key, fd, size, f->part_size);
	if (e == PX_E_STORAGE_SHARD_MISSING && f->remote->ops->prepare &&
	    f->remote->ops->prepare(f->remote) == PX_OK)
		e = px_st_azure_put_file(f->remote, key, fd, size, f->part_size);
	return e;
}

/* Remote commit: streams tmp to the store unless an object of its size
 * is there. */
static enum px_err commit_remote(const struct px_st_files *f, const char *tmp,
				 const char *hex, int *existed)
{
	char key[80];
	struct stat st;
	uint64_t have = 0;
	enum px_err e;
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || px_st_files_key(hex, key) != 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	e = remote_head(f, key, &have);
	if (e == PX_OK && have == (uint64_t)st.st_size) {
		*existed = 1;
		goto out;
	}
	if (e != PX_OK && e != PX_E_STORAGE_SHARD_MISSING)
		goto out;
	e = remote_put(f, key, fd, (uint64_t)st.st_size, hex);
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return e == PX_E_STORAGE_SHARD_MISSING ? PX_E_STORAGE_FAILED : e;
}

enum px_err px_st_files_commit(const struct px_st_files *f, const char *tmp,
			       const char *hex, int *existed)
{
	char dst[PX_ST_FILES_PATH], dir[PX_ST_FILES_PATH];
	struct stat st;
	enum px_err e = PX_OK;

	*existed = 0;
	if (f->remote && px_st_files_valid_name(hex))
		return commit_remote(f, tmp, hex, existed);
	if (px_st_files_path(f, hex, dst) != 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	memcpy(dir, dst, sizeof(dir));
	*strrchr(dir, '/') = '\0'; /* root/objects/ab */
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		e = io_err();
		goto out;
	}
	if (stat(dst, &st) == 0 && S_ISREG(st.st_mode)) {
		*existed = 1;
		goto out; /* the same bytes are there already: tmp goes */
	}
	if (rename(tmp, dst) != 0 || px_dirs_fsync(dir) != 0) {
		e = io_err();
		goto out;
	}
	return PX_OK;
out:
	unlink(tmp);
	return e;
}

enum px_err px_st_files_commit_fd(const struct px_st_files *f, int fd, const char *path,
				  char *hex, long long *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE], *buf = malloc(65536);
	unsigned hl = 0;
	long long n = 0;
	ssize_t k = 0;
	int existed = 0;
	enum px_err e = PX_E_STORAGE_FAILED;

	if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		e = PX_E_SYSTEM_INTERNAL;
		goto fail;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		goto fail;
	while ((k = read(fd, buf, 65536)) > 0 || (k < 0 && errno == EINTR))
		if (k > 0) {
			EVP_DigestUpdate(md, buf, (size_t)k);
			n += k;
		}
	if (k < 0 || EVP_DigestFinal_ex(md, h, &hl) != 1 || hl != 32 || fsync(fd) != 0)
		goto fail;
	px_codec_hex_str(hex, h, 32);
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (size)
		*size = n;
	e = px_st_files_commit(f, path, hex, &existed);
	EVP_MD_CTX_free(md);
	free(buf);
	return e;
fail:
	if (fd >= 0)
		close(fd);
	unlink(path);
	EVP_MD_CTX_free(md);
	free(buf);
	return e;
}

enum px_err px_st_files_remove(const struct px_st_files *f, const char *hex, int *gone)
{
	char path[PX_ST_FILES_PATH], key[80];
	int dummy = 0;

	gone = gone ? gone : &dummy;
	*gone = 0;
	if (px_st_files_key(hex, key) != 0)
		return PX_E_STORAGE_FAILED;
	if (f->remote) {
		*gone = 1;
		return px_st_del(f->remote, key);
	}
	if (px_st_files_path(f, hex, path) != 0)
		return PX_E_STORAGE_FAILED;
	if (unlink(path) == 0) {
		*gone = 1;
		return PX_OK;
	}
	return errno == ENOENT ? PX_OK : PX_E_STORAGE_FAILED;
}

static int is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

struct remote_list {
	px_st_files_list_fn fn;
	void *arg;
};

static int remote_entry(void *arg, const char *name, size_t size)
{
	struct remote_list *l = arg;
	char hex[65];

	/* "objects/ab/<62 hex>" */
	if (strlen(name) != 8 + 2 + 1 + 62 || strncmp(name, "objects/", 8) != 0 ||
	    name[10] != '/')
		return 0;
	snprintf(hex, sizeof(hex), "%.2s%s", name + 8, name + 11);
	return px_st_files_valid_name(hex) ? l->fn(l->arg, hex, size, 0) : 0;
}

/* One objects/ab/ folder of a local store; 1 when fn stopped. */
static int list_dir(const char *dir, const char *ab, px_st_files_list_fn fn, void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int stop = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while (!stop && (e = readdir(d)) != NULL) {
		char hex[65], path[PX_ST_FILES_PATH + 300];
		struct stat st;

		if (strlen(e->d_name) != 62)
			continue;
		snprintf(hex, sizeof(hex), "%.2s%.62s", ab, e->d_name);
		if (snprintf(path, sizeof(path), "%s/%.62s", dir, e->d_name) >= (int)sizeof(path) ||
		    !px_st_files_valid_name(hex) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		stop = fn(arg, hex, (uint64_t)st.st_size, st.st_mtime) != 0;
	}
	closedir(d);
	return stop;
}

enum px_err px_st_files_list(const struct px_st_files *f, px_st_files_list_fn fn, void *arg)
{
	char objects[PX_ST_FILES_PATH + 16], dir[PX_ST_FILES_PATH + 300];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (f->remote) {
		struct remote_list l = { fn, arg };

		return px_st_list(f->remote, "objects/", remote_entry, &l);
	}
	snprintf(objects, sizeof(objects), "%s/objects", f->root);
	d = opendir(objects);
	if (!d)
		return errno == ENOENT ? PX_OK : PX_E_STORAGE_FAILED;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (!is_hex2(e->d_name))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", objects, e->d_name);
		rc = list_dir(dir, e->d_name, fn, arg);
	}
	closedir(d);
	return rc < 0 ? PX_E_STORAGE_FAILED : PX_OK;
}

int px_st_files_list_tmp(const struct px_st_files *f, px_st_files_tmp_fn fn, void *arg)
{
	char dir[PX_ST_FILES_PATH + 16];
	struct dirent *e;
	DIR *d;
	int stop = 0;

	snprintf(dir, sizeof(dir), "%s/tmp", f->root);
	if (!(d = opendir(dir)))
		return -1;
	while (!stop && (e = readdir(d)) != NULL) {
		char path[PX_ST_FILES_PATH + 300];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		stop = fn(arg, path, (uint64_t)st.st_size, st.st_mtime) != 0;
	}
	closedir(d);
	return 0;
}

int px_st_files_is_tmp(const struct px_st_files *f, const char *path)
{
	size_t n = strlen(f->root);
	const char *name;

	if (!path || strncmp(path, f->root, n) != 0 || strncmp(path + n, "/tmp/", 5) != 0)
		return 0;
	name = path + n + 5;
	return *name && *name != '.' && !strchr(name, '/');
}

enum px_err px_st_files_remove_cb(void *f, const char *hex, int *gone)
{
	return px_st_files_remove(f, hex, gone);
}

enum px_err px_st_files_list_cb(void *f, px_st_files_list_fn fn, void *arg)
{
	return px_st_files_list(f, fn, arg);
}

int px_st_files_list_tmp_cb(void *f, px_st_files_tmp_fn fn, void *arg)
{
	return px_st_files_list_tmp(f, fn, arg);
}

int px_st_files_is_tmp_cb(void *f, const char *path)
{
	return px_st_files_is_tmp(f, path);
}

const char *px_st_files_detail_cb(void *f)
{
	const struct px_st_files *s = f;

	return s->remote && s->remote->errmsg.data ? s->remote->errmsg.data : "";
}
