/* dirs.c: owns the table of standard folders under data_dir. */
#include "core/dirs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[PX_DIR__COUNT] = {
	"logs", "uploads", "backup-staging", "run",
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *paths[PX_DIR__COUNT];

static int make_dir(const char *p, mode_t mode)
{
	return mkdir(p, mode) == 0 || errno == EEXIST ? 0 : -1;
}

int px_dirs_make(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp)) {
		errno = n ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (make_dir(tmp, mode) != 0)
			return -1;
		tmp[i] = '/';
	}
	return make_dir(tmp, mode);
}

int px_dirs_init(const char *data_dir, struct px_buf *err)
{
	char *fresh[PX_DIR__COUNT] = { 0 };
	int i, rc = -1;

	if (px_dirs_make(data_dir, 0750) != 0) {
		px_buf_printf(err, "%s: %s", data_dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < PX_DIR__COUNT; i++) {
		struct px_buf p = PX_BUF_INIT;

		px_buf_printf(&p, "%s/%s", data_dir, names[i]);
		fresh[i] = px_buf_steal(&p);
		if (!fresh[i] || make_dir(fresh[i], 0750) != 0) {
			px_buf_printf(err, "%s: %s", fresh[i] ? fresh[i] : data_dir,
				      strerror(errno));
			goto out;
		}
	}
	pthread_mutex_lock(&lock);
	for (i = 0; i < PX_DIR__COUNT; i++) {
		char *old = paths[i];

		paths[i] = fresh[i];
		fresh[i] = old;
	}
	pthread_mutex_unlock(&lock);
	rc = 0;
out:
	for (i = 0; i < PX_DIR__COUNT; i++)
		free(fresh[i]);
	return rc;
}

const char *px_dirs_path(enum px_dir d)
{
	return d < PX_DIR__COUNT ? paths[d] : NULL;
}

const char *px_dirs_name(enum px_dir d)
{
	return d < PX_DIR__COUNT ? names[d] : NULL;
}

int px_dirs_fsync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}
