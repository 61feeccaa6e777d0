/* px_bk_proc.c: helper programs started with posix_spawnp, stdout through
 * a pipe. Every call of the spawn API is checked: each returns its error
 * number instead of setting errno. */
#include "backup/px_bk_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Signal state for the child: nothing blocked (a thread of ours may block
 * signals it leaves to another), SIGPIPE at its default (a caller that
 * ignores it must not make pg_dump ignore it). Returns 0 or an errno. */
static int attr_setup(posix_spawnattr_t *attr)
{
	sigset_t none, dfl;
	int e;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if ((e = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(attr, &dfl)) != 0)
		return e;
	return posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
}

/* Starts argv with wfd as its stdout; *pid set on success. wfd is
 * close-on-exec, and so is every descriptor this program opens, so the
 * child keeps only the copy on fd 1. Returns 0 or an errno. */
static int spawn(const char *const argv[], int wfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int e, have_fa = 0, have_attr = 0;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	have_fa = 1;
	if ((e = posix_spawn_file_actions_adddup2(&fa, wfd, STDOUT_FILENO)) != 0)
		goto out;
	if ((e = posix_spawnattr_init(&attr)) != 0)
		goto out;
	have_attr = 1;
	if ((e = attr_setup(&attr)) != 0)
		goto out;
	e = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)argv, environ);
out:
	if (have_attr)
		posix_spawnattr_destroy(&attr);
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	return e;
}

/* Appends everything readable from fd to out until end of file.
 * Returns 0, an errno, or ENOMEM when out failed. */
static int drain(int fd, struct px_buf *out)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return out->failed ? ENOMEM : 0;
		px_buf_append(out, buf, (size_t)n);
	}
}

/* Waits for pid; its wait status in *st. Returns 0 or an errno. */
static int reap(pid_t pid, int *st)
{
	while (waitpid(pid, st, 0) < 0)
		if (errno != EINTR)
			return errno;
	return 0;
}

int px_bk_proc_capture(const char *const argv[], struct px_buf *out,
		       struct px_buf *why)
{
	int fds[2] = { -1, -1 }, e, rd, st = 0, rc = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		px_buf_printf(why, "pipe: %s", strerror(errno));
		goto out;
	}
	e = spawn(argv, fds[1], &pid);
	if (e != 0) {
		px_buf_printf(why, "cannot start %s: %s", argv[0], strerror(e));
		goto out;
	}
	close(fds[1]);
	fds[1] = -1;
	rd = drain(fds[0], out);
	/* closed before waiting: a child still writing gets EPIPE, not stuck */
	close(fds[0]);
	fds[0] = -1;
	e = reap(pid, &st);
	if (e != 0)
		px_buf_printf(why, "waiting for %s: %s", argv[0], strerror(e));
	else if (rd != 0)
		px_buf_printf(why, "reading from %s: %s", argv[0], strerror(rd));
	else if (WIFSIGNALED(st))
		px_buf_printf(why, "%s killed by signal %d", argv[0], WTERMSIG(st));
	else if (WIFEXITED(st))
		rc = WEXITSTATUS(st);
	else
		px_buf_printf(why, "%s ended with wait status %d", argv[0], st);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return rc;
}
