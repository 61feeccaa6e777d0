/* gen.h: the change generation of this machine.
 *
 * One number, kept in a small file that every plexichat.fcgi process of
 * the machine maps, goes up after every change that could make a cached
 * answer wrong: a process raises it after each request that may have
 * written, before the answer leaves, and each process's event hub raises
 * it when PostgreSQL notifies a change made elsewhere (another machine,
 * the admin CLI). A cache entry made at generation g is good only while
 * the number is still g, so a change made through this machine is seen by
 * every process at once. */
#ifndef PX_GEN_H
#define PX_GEN_H

/* Maps the file at path, creating it (mode 0600) when missing; later
 * calls do nothing. 0, or -1 with errno: caches that need it stay off. */
int px_gen_open(const char *path) __attribute__((nonnull, warn_unused_result));
/* The current generation, or -1 when no file is mapped. */
long long px_gen_now(void);
/* Raises the generation (nothing when no file is mapped). */
void px_gen_bump(void);

#endif
