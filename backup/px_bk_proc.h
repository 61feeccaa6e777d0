/* px_bk_proc.h: runs a helper program (pg_dump) and collects its output.
 * The backup is threaded, so children are started with posix_spawnp, never
 * fork: a forked child of a threaded process may only call
 * async-signal-safe functions, and the other threads' locks (malloc's,
 * stdio's) stay taken in it. */
#ifndef PX_BK_PROC_H
#define PX_BK_PROC_H

#include "core/buf.h"

/* Runs argv[0], looked up on PATH, with the arguments argv (NULL-ended),
 * this process's environment, stdin and stderr, and its stdout appended
 * to out. The child starts with no signal blocked and SIGPIPE at its
 * default action, whatever the calling thread had. Waits for it to end.
 * Returns its exit status (0-255), or -1 with the reason appended to why:
 * it could not be started, it was killed by a signal, its output could
 * not be read or stored. out and why are the caller's to free. */
int px_bk_proc_capture(const char *const argv[], struct px_buf *out,
		       struct px_buf *why) __attribute__((warn_unused_result));

#endif
