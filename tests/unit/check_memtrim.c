/* check_memtrim.c: px_memtrim() unmaps the clean pages of read-only file
 * mappings, which read back unchanged, and never loses a written page:
 * not in a writable mapping, not in one made read-only after writing (as
 * the dynamic loader does with relocated data), not on the heap. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/memtrim.h"
#include "tests/unit/run_suite.h"

#define PAGES 16

/* Whether the page at p is mapped in this process (pagemap bit 63). */
static int resident(const void *p)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &ent, sizeof(ent),
			       (off_t)((uintptr_t)p / (uintptr_t)page * sizeof(ent))),
			 (ssize_t)sizeof(ent));
	close(fd);
	return (ent >> 63) & 1;
}

/* A file of PAGES pages, page i filled with the byte 'a' + i. */
static int make_file(char *path, size_t len, size_t page)
{
	char *buf = malloc(page * PAGES);
	int fd, i;

	ck_assert_ptr_nonnull(buf);
	snprintf(path, len, "/tmp/px-memtrim-%ld", (long)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < PAGES; i++)
		memset(buf + (size_t)i * page, 'a' + i, page);
	ck_assert_int_eq(write(fd, buf, page * PAGES), (ssize_t)(page * PAGES));
	free(buf);
	return fd;
}

START_TEST(test_releases_clean_keeps_written)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i, sum = 0;
	char path[64];
	int fd = make_file(path, sizeof(path), page);
	const char *ro = mmap(NULL, page * PAGES, PROT_READ, MAP_PRIVATE, fd, 0);
	char *rw = mmap(NULL, page * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *relro = mmap(NULL, page * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *heap = malloc(4 * page);

	ck_assert(ro != MAP_FAILED && rw != MAP_FAILED && relro != MAP_FAILED && heap);
	for (i = 0; i < PAGES; i++)
		sum += (unsigned char)ro[i * page];
	ck_assert_uint_eq(sum, PAGES * 'a' + PAGES * (PAGES - 1) / 2);
	ck_assert(resident(ro) && resident(ro + (PAGES - 1) * page));
	rw[0] = 'W';
	relro[page] = 'R';
	ck_assert_int_eq(mprotect(relro, page * PAGES, PROT_READ), 0);
	memset(heap, 'H', 4 * page);

	ck_assert_uint_ge(px_memtrim(), PAGES * page);
	ck_assert(!resident(ro) && !resident(ro + (PAGES - 1) * page));
	/* released pages come back from the file, unchanged */
	for (i = 0; i < PAGES; i++)
		ck_assert_int_eq(ro[i * page + page / 2], 'a' + (int)i);
	/* written pages stay, wherever they are */
	ck_assert(resident(rw) && resident(relro + page));
	ck_assert_int_eq(rw[0], 'W');
	ck_assert_int_eq(relro[page], 'R');
	ck_assert_int_eq(relro[page + 1], 'b');
	for (i = 0; i < 4 * page; i++)
		ck_assert_int_eq(heap[i], 'H');

	free(heap);
	munmap((void *)ro, page * PAGES);
	munmap(rw, page * PAGES);
	munmap(relro, page * PAGES);
	close(fd);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memtrim");
	TCase *tc = tcase_create("memtrim");

	tcase_add_test(tc, test_releases_clean_keeps_written);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
