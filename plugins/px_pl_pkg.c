/* px_pl_pkg.c: plugin packages through libarchive (tar, gzip). Every
 * entry is checked before anything is written; unpacking creates each
 * folder and file relative to the folder above it (openat, O_NOFOLLOW,
 * O_EXCL), so no name and no link can lead outside the target. */
#include "plugins/px_pl_pkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAX 65536

int px_pl_pkg_load(const char *path, struct px_buf *out, struct px_buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int rc = -1;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		px_buf_printf(err, "%s: cannot read (%s)", path, fd < 0 ? strerror(errno) : "not a file");
		goto out;
	}
	if (st.st_size > (off_t)PX_PL_PKG_MAX) {
		px_buf_printf(err, "%s: larger than %u MiB", path, PX_PL_PKG_MAX >> 20);
		goto out;
	}
	for (;;) {
		ssize_t got;

		if (px_buf_reserve(out, 65536) != 0)
			goto out;
		got = read(fd, out->data + out->len, 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			px_buf_printf(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		out->len += (size_t)got;
		out->data[out->len] = '\0';
		if (out->len > PX_PL_PKG_MAX) {
			px_buf_printf(err, "%s: larger than %u MiB", path, PX_PL_PKG_MAX >> 20);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* An entry's name as the package means it: "./" prefixes and a folder's
 * trailing '/' dropped. NULL when it is absolute, empty, has an empty,
 * "." or ".." segment, a backslash or a control character, or is too
 * long. */
static const char *clean_name(const char *s, char *buf, size_t cap)
{
	size_t n;
	const char *seg;

	while (s[0] == '.' && s[1] == '/')
		s += 2;
	n = strlen(s);
	if (n && s[n - 1] == '/')
		n--;
	if (n == 0 || n >= cap || s[0] == '/')
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	seg = buf;
	for (char *p = buf;; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\0')
			return NULL;
		if (*p == '\\')
			return NULL;
		if (*p == '/' || *p == '\0') {
			size_t k = (size_t)(p - seg);

			if (k == 0 || (k == 1 && seg[0] == '.') || (k == 2 && !memcmp(seg, "..", 2)))
				return NULL;
			if (*p == '\0')
				return buf;
			seg = p + 1;
		}
	}
}

typedef int (*entry_fn)(void *arg, struct archive *a, const char *name, int is_dir,
			int exec, int64_t size, struct px_buf *err);

/* Opens the package, checks each entry and hands it to fn. */
static int walk(const void *p, size_t n, entry_fn fn, void *arg, struct px_buf *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t total = 0;
	int count = 0, rc = -1, r;
	char name[PX_PL_PATH_MAX];

	if (!a)
		return -1;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_none(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, p, n) != ARCHIVE_OK) {
		px_buf_printf(err, "package: not a tar archive (%s)", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		mode_t type = archive_entry_filetype(e);
		int64_t size = archive_entry_size(e);
		const char *raw = archive_entry_pathname(e);

		if (!raw || !clean_name(raw, name, sizeof(name))) {
			px_buf_printf(err, "package: entry \"%s\": not a plain relative name", raw ? raw : "");
			goto out;
		}
		if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(e)) {
			px_buf_printf(err, "package: %s: only files and folders are allowed", name);
			goto out;
		}
		total += size > 0 ? (uint64_t)size : 0;
		if (++count > PX_PL_PKG_ENTRIES || total > PX_PL_PKG_UNPACKED) {
			px_buf_printf(err, "package: more than %d entries or %u MiB unpacked",
				      PX_PL_PKG_ENTRIES, PX_PL_PKG_UNPACKED >> 20);
			goto out;
		}
		if (fn(arg, a, name, type == AE_IFDIR, (archive_entry_perm(e) & 0111) != 0, size, err))
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		px_buf_printf(err, "package: damaged (%s)", archive_error_string(a));
		goto out;
	}
	if (count == 0) {
		px_buf_puts(err, "package: empty");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

struct inspect {
	struct px_buf manifest;
	struct px_buf files; /* "\n" + each regular file's name + "\n" */
	int seen;
};

static int on_inspect(void *arg, struct archive *a, const char *name, int is_dir, int exec,
		      int64_t size, struct px_buf *err)
{
	struct inspect *in = arg;

	(void)exec;
	if (is_dir)
		return 0;
	if (in->files.len == 0)
		px_buf_putc(&in->files, '\n');
	px_buf_puts(&in->files, name);
	px_buf_putc(&in->files, '\n');
	if (strcmp(name, "plugin.json"))
		return 0;
	if (in->seen++ || size > MANIFEST_MAX) {
		px_buf_puts(err, "package: plugin.json twice, or larger than 64 KiB");
		return -1;
	}
	if (px_buf_reserve(&in->manifest, (size_t)size + 1) != 0)
		return -1;
	if (archive_read_data(a, in->manifest.data, (size_t)size) != size) {
		px_buf_puts(err, "package: plugin.json unreadable");
		return -1;
	}
	in->manifest.len = (size_t)size;
	in->manifest.data[size] = '\0';
	return 0;
}

int px_pl_pkg_inspect(const void *p, size_t n, struct px_pl_manifest *m, struct px_buf *text,
		      struct px_buf *err)
{
	struct inspect in = { PX_BUF_INIT, PX_BUF_INIT, 0 };
	struct px_buf want = PX_BUF_INIT;
	int rc = -1;

	if (walk(p, n, on_inspect, &in, err))
		goto out;
	if (!in.seen) {
		px_buf_puts(err, "package: no plugin.json at its root");
		goto out;
	}
	if (px_pl_manifest_parse(in.manifest.data, in.manifest.len, m, err))
		goto out;
	px_buf_printf(&want, "\n%s\n", m->entry);
	if (in.files.failed || want.failed || !in.files.data || !strstr(in.files.data, want.data)) {
		px_buf_printf(err, "package: the entry point %s is not in it", m->entry);
		goto out;
	}
	if (text)
		px_buf_append(text, in.manifest.data, in.manifest.len);
	rc = text && text->failed ? -1 : 0;
out:
	px_buf_free(&in.manifest);
	px_buf_free(&in.files);
	px_buf_free(&want);
	return rc;
}

/* The folder holding name's last segment, opened under root (created as
 * needed, never through a link). A new descriptor, or -1. */
static int parent_of(int root, const char *name, const char **base)
{
	char seg[PX_PL_PATH_MAX];
	const char *s = name, *slash;
	int fd = dup(root);

	while (fd >= 0 && (slash = strchr(s, '/'))) {
		int next;

		snprintf(seg, sizeof(seg), "%.*s", (int)(slash - s), s);
		if (mkdirat(fd, seg, 0755) != 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		s = slash + 1;
	}
	*base = s;
	return fd;
}

static int on_unpack(void *arg, struct archive *a, const char *name, int is_dir, int exec,
		     int64_t size, struct px_buf *err)
{
	int root = *(int *)arg, dir, fd = -1, rc = -1;
	const char *base;
	char buf[65536];

	(void)size;
	if ((dir = parent_of(root, name, &base)) < 0)
		goto out;
	if (is_dir) {
		rc = mkdirat(dir, base, 0755) == 0 || errno == EEXIST ? 0 : -1;
		goto out;
	}
	fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    exec ? 0755 : 0644);
	if (fd < 0)
		goto out;
	for (;;) {
		la_ssize_t got = archive_read_data(a, buf, sizeof(buf));

		if (got == 0)
			break;
		if (got < 0 || write(fd, buf, (size_t)got) != got)
			goto out;
	}
	rc = fsync(fd);
out:
	if (rc)
		px_buf_printf(err, "package: cannot unpack %s (%s)", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	return rc;
}

int px_pl_pkg_unpack(const void *p, size_t n, const char *dir, struct px_buf *err)
{
	struct px_pl_manifest m;
	int root = -1, rc = -1, made = 0;

	if (px_pl_pkg_inspect(p, n, &m, NULL, err))
		return -1;
	if (mkdir(dir, 0755) != 0) {
		px_buf_printf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	made = 1;
	root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0 || walk(p, n, on_unpack, &root, err))
		goto out;
	rc = 0;
out:
	if (root >= 0)
		close(root);
	if (rc && made)
		px_pl_pkg_rmtree(dir);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

int px_pl_pkg_rmtree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
