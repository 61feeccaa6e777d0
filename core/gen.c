/* gen.c: the generation is one 64-bit counter at the start of a mapped
 * page, read and raised with atomic operations, so processes need no lock. */
#include "core/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GEN_FILE_SIZE 4096

static struct {
	pthread_mutex_t lock;
	uint64_t *counter;       /* NULL until mapped; never unmapped */
} gen = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Maps an open descriptor of the file, growing it to one page. */
static uint64_t *map_counter(int fd)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) != 0)
		return NULL;
	/* growing twice from two processes is harmless: same size, zeros */
	if (st.st_size < GEN_FILE_SIZE && ftruncate(fd, GEN_FILE_SIZE) != 0)
		return NULL;
	p = mmap(NULL, GEN_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int px_gen_open(const char *path)
{
	uint64_t *c;
	int fd, saved, rc = 0;

	pthread_mutex_lock(&gen.lock);
	if (__atomic_load_n(&gen.counter, __ATOMIC_ACQUIRE))
		goto out;
	rc = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	c = map_counter(fd);
	saved = errno;
	close(fd);
	errno = saved;
	if (c) {
		__atomic_store_n(&gen.counter, c, __ATOMIC_RELEASE);
		rc = 0;
	}
out:
	pthread_mutex_unlock(&gen.lock);
	return rc;
}

long long px_gen_now(void)
{
	uint64_t *c = __atomic_load_n(&gen.counter, __ATOMIC_ACQUIRE);

	/* the top bit is never reached in practice; -1 stays "no file" */
	return c ? (long long)(__atomic_load_n(c, __ATOMIC_SEQ_CST) & INT64_MAX) : -1;
}

void px_gen_bump(void)
{
	uint64_t *c = __atomic_load_n(&gen.counter, __ATOMIC_ACQUIRE);

	if (c)
		__atomic_add_fetch(c, 1, __ATOMIC_SEQ_CST);
}
