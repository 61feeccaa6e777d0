/* px_st_files.c: the local content-addressed file store. Invariant: a
 * file under objects/ is complete and its name is the SHA-256 of its
 * bytes; partial bytes only ever exist under tmp/. */
#include "storage/px_st_files.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/dirs.h"

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
	size_t n;

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

enum px_err px_st_files_commit(const struct px_st_files *f, const char *tmp,
			       const char *hex, int *existed)
{
	char dst[PX_ST_FILES_PATH], dir[PX_ST_FILES_PATH];
	struct stat st;
	enum px_err e = PX_OK;

	*existed = 0;
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
