/* gen.c: the generation is one 64-bit counter at the start of a mapped
 * page, read and raised with atomic operations, so processes need no lock. */
#include "core/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GEN_FILE_SIZE 4096

/* Lock-free atomics are address-free (C11 7.17.5), so the counter may be
 * shared by every process that maps the file. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && sizeof(long long) == sizeof(uint64_t),
	       "the generation counter needs lock-free 64-bit atomics");

static struct {
	pthread_mutex_t lock;
	/* NULL until mapped, then never unmapped: set once under lock, read
	 * by every thread without it */
	_Atomic(_Atomic uint64_t *) counter;
} gen = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Maps an open descriptor of the file, growing it to one page. */
static _Atomic uint64_t *map_counter(int fd)
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
	_Atomic uint64_t *c;
	int fd, saved, rc = 0;

	pthread_mutex_lock(&gen.lock);
	if (atomic_load_explicit(&gen.counter, memory_order_acquire))
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
		atomic_store_explicit(&gen.counter, c, memory_order_release);
		rc = 0;
	}
out:
	pthread_mutex_unlock(&gen.lock);
	return rc;
}

long long px_gen_now(void)
{
	_Atomic uint64_t *c = atomic_load_explicit(&gen.counter, memory_order_acquire);

	/* the top bit is never reached in practice; -1 stays "no file" */
	return c ? (long long)(atomic_load(c) & INT64_MAX) : -1;
}

void px_gen_bump(void)
{
	_Atomic uint64_t *c = atomic_load_explicit(&gen.counter, memory_order_acquire);

	if (c)
		atomic_fetch_add(c, 1);
}
