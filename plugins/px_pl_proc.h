/* px_pl_proc.h: out-of-process plugins. Each runs as a child process
 * confined before exec: its own user (when PlexiChat runs as root), no new
 * privileges, resource limits from its manifest, a seccomp filter that
 * kills it on a forbidden system call and refuses network sockets unless
 * an admin granted "network", and only its end of a socket pair open.
 * PlexiChat talks to it in JSON lines (protocol 1,
 * docs/PLUGIN_DEVELOPMENT.md): one request, one reply with the same id,
 * within the call deadline and size bound, or the child is killed and
 * started again later with backoff. A process plugin is called by one
 * thread at a time (the struct holds a mutex). */
#ifndef PX_PL_PROC_H
#define PX_PL_PROC_H

#include <sys/types.h>

#include "core/buf.h"

#define PX_PL_REPLY_MAX (1u << 20) /* bytes of one reply line */

struct px_pl_proc_opts {
	const char *name;          /* the plugin's name (log lines, environment) */
	const char *dir;           /* its unpacked package: the working folder */
	const char *entry;         /* executable, relative to dir */
	const char *user;          /* run as this user when root; NULL: "nobody" */
	int network;               /* 1: sockets other than AF_UNIX allowed */
	int memory_mb, cpu_seconds, open_files, call_timeout_ms;
	const char *settings;      /* JSON object, handed over as PLEXICHAT_SETTINGS */
	const char *database;      /* libpq conninfo of its own data, handed over as
				    * PLEXICHAT_DATABASE; NULL: none */
};

struct px_pl_proc;

/* A handle for the plugin (nothing started yet). NULL on no memory. The
 * strings of o are copied. */
struct px_pl_proc *px_pl_proc_new(const struct px_pl_proc_opts *o)
	__attribute__((nonnull, warn_unused_result));

/* Kills the child if one runs, reaps it and frees p; NULL is fine. */
void px_pl_proc_free(struct px_pl_proc *p);

enum px_pl_call {
	PX_PL_OK = 0,          /* reply holds the plugin's answer (one JSON object) */
	PX_PL_BACKOFF,         /* not started: it failed recently, waiting */
	PX_PL_FAILED,          /* crashed, timed out, too large or bad protocol:
				* killed; detail says which */
};

/* Sends the JSON object request (without "id": one is added) and waits
 * for the reply with the same id, at most the call timeout. Starts the
 * child first if it is not running. detail (may be NULL) gets what went
 * wrong. */
enum px_pl_call px_pl_proc_call(struct px_pl_proc *p, const char *request, struct px_buf *reply,
				struct px_buf *detail) __attribute__((nonnull(1, 2, 3)));

/* The child's pid, or 0 when none runs (tests, status). */
pid_t px_pl_proc_pid(struct px_pl_proc *p) __attribute__((nonnull));
/* How many times it failed in a row (0 after a good call). */
int px_pl_proc_failures(struct px_pl_proc *p) __attribute__((nonnull));

#endif
