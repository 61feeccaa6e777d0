/* memtrim.c: releases clean file pages and free heap (see memtrim.h). */
#include "core/memtrim.h"

#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* /proc/self/pagemap: one 64-bit entry per virtual page */
#define PM_PRESENT   (UINT64_C(1) << 63)
#define PM_FILE      (UINT64_C(1) << 61)  /* file page (a copied one is anonymous) */
#define PM_BATCH     512

/* A mapping worth trimming: private, never writable, backed by a file.
 * Writable mappings are skipped even where their pages are clean, since a
 * page written between our look and madvise() would lose the write. */
static int trimmable(const char *line, uintptr_t *lo, uintptr_t *hi)
{
	unsigned long long a, b, inode;
	char perms[8];

	if (sscanf(line, "%llx-%llx %7s %*s %*s %llu", &a, &b, perms, &inode) != 4)
		return 0;
	if (inode == 0 || strlen(perms) < 4 || perms[1] == 'w' || perms[3] != 'p')
		return 0;
	*lo = (uintptr_t)a;
	*hi = (uintptr_t)b;
	return 1;
}

static size_t drop(uintptr_t from, uintptr_t to)
{
	if (from == to || madvise((void *)from, to - from, MADV_DONTNEED) != 0)
		return 0;
	return to - from;
}

/* Drops the runs of present file pages in [lo, hi). */
static size_t trim_range(int pm, uintptr_t lo, uintptr_t hi, size_t page)
{
	uint64_t ent[PM_BATCH];
	uintptr_t addr = lo, run = 0;
	size_t released = 0;

	while (addr < hi) {
		size_t n = (hi - addr) / page, i;
		ssize_t got;

		if (n > PM_BATCH)
			n = PM_BATCH;
		got = pread(pm, ent, n * sizeof(ent[0]), (off_t)(addr / page * sizeof(ent[0])));
		if (got <= 0)
			break;
		n = (size_t)got / sizeof(ent[0]);
		for (i = 0; i < n; i++, addr += page) {
			int clean = (ent[i] & (PM_PRESENT | PM_FILE)) == (PM_PRESENT | PM_FILE);

			if (clean && !run)
				run = addr;
			else if (!clean && run) {
				released += drop(run, addr);
				run = 0;
			}
		}
	}
	if (run)
		released += drop(run, addr);
	return released;
}

size_t px_memtrim(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), released = 0, cap = 0;
	char *line = NULL;
	FILE *maps = fopen("/proc/self/maps", "re");
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (maps && pm >= 0) {
		uintptr_t lo, hi;

		while (getline(&line, &cap, maps) > 0)
			if (trimmable(line, &lo, &hi))
				released += trim_range(pm, lo, hi, page);
	}
	free(line);
	if (pm >= 0)
		close(pm);
	if (maps)
		fclose(maps);
	malloc_trim(0);
	return released;
}
