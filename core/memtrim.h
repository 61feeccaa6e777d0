/* memtrim.h: gives back memory an idle process holds without using it.
 *
 * Starting a process touches pages it will not touch again: the dynamic
 * loader reads the symbol and relocation tables of every shared library,
 * constructors and config parsing run once, and the kernel maps whole
 * neighbourhoods of file pages around each fault. Those pages stay in the
 * process's resident set although only the page cache (one copy shared by
 * every process) needs to hold them. px_memtrim() unmaps the clean pages of
 * read-only file mappings (they come back from the page cache, unchanged,
 * when touched) and returns free malloc memory to the system. Pages the
 * process has written (relocated data, anything copied on write) are never
 * touched, so the call is safe while other threads run. */
#ifndef PX_MEMTRIM_H
#define PX_MEMTRIM_H

#include <stddef.h>

/* Bytes of file pages released (0 when /proc is unavailable). */
size_t px_memtrim(void);

#endif
