/* px_pl_proc.c: out-of-process plugins. Everything the child needs is
 * prepared before fork (the seccomp program exported to memory, the
 * user's ids, the environment), because after fork in a threaded program
 * the child may only make system calls: it confines itself and execs. */
#include "plugins/px_pl_proc.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MAX 60

struct px_pl_proc {
	pthread_mutex_t mu;
	char *name, *dir, *path, *user, *settings_env;
	char *database_env; /* holds its role's password: wiped when freed */
	int network, memory_mb, cpu_seconds, open_files, timeout_ms;
	pid_t pid;
	int fd;
	unsigned long long next_id;
	int failures;
	time_t retry_at;           /* monotonic seconds */
	struct px_buf in;          /* read, not yet a whole line */
	struct sock_filter *bpf;   /* the exported seccomp program */
	unsigned short bpf_len;
};

static time_t now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* System calls no plugin has a use for: the process is killed on any. */
static const int denied[] = {
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(bpf),
	SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(reboot), SCMP_SYS(swapon),
	SCMP_SYS(swapoff), SCMP_SYS(acct), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime),
	SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex), SCMP_SYS(userfaultfd),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(iopl),
	SCMP_SYS(ioperm), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(fanotify_init), SCMP_SYS(quotactl),
	SCMP_SYS(syslog), SCMP_SYS(vhangup), SCMP_SYS(personality), SCMP_SYS(mknod),
	SCMP_SYS(mknodat),
};

/* Builds the filter and exports it as BPF into p->bpf. 0, or -1. */
static int build_filter(struct px_pl_proc *p)
{
	static const unsigned long ns[] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET,
					    CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS,
					    CLONE_NEWCGROUP };
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	int fd = -1, rc = -1;
	struct stat st;

	if (!c)
		return -1;
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (seccomp_rule_add(c, SCMP_ACT_KILL_PROCESS, denied[i], 0) != 0)
			goto out;
	/* new namespaces through clone; clone3's flags are out of a filter's
	 * reach, so it answers ENOSYS and libc falls back to clone */
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (seccomp_rule_add(c, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, ns[i], ns[i])) != 0)
			goto out;
	if (seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0)
		goto out;
	/* without the network permission: local sockets only */
	if (!p->network &&
	    seccomp_rule_add(c, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
			     SCMP_A0(SCMP_CMP_NE, AF_UNIX)) != 0)
		goto out;
	if ((fd = memfd_create("px-seccomp", MFD_CLOEXEC)) < 0 || seccomp_export_bpf(c, fd) != 0 ||
	    fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > 65535)
		goto out;
	p->bpf = malloc((size_t)st.st_size);
	if (!p->bpf || pread(fd, p->bpf, (size_t)st.st_size, 0) != st.st_size)
		goto out;
	p->bpf_len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(c);
	return rc;
}

struct px_pl_proc *px_pl_proc_new(const struct px_pl_proc_opts *o)
{
	struct px_pl_proc *p = calloc(1, sizeof(*p));
	struct px_buf path = PX_BUF_INIT, env = PX_BUF_INIT;

	if (!p)
		return NULL;
	px_buf_printf(&env, "PLEXICHAT_SETTINGS=%s", o->settings ? o->settings : "{}");
	p->settings_env = env.failed ? NULL : env.data;
	if (o->database) {
		struct px_buf d = PX_BUF_INIT;

		px_buf_printf(&d, "PLEXICHAT_DATABASE=%s", o->database);
		p->database_env = d.failed ? NULL : d.data;
		if (d.failed)
			px_buf_free(&d);
	}
	pthread_mutex_init(&p->mu, NULL);
	p->fd = -1;
	px_buf_printf(&path, "%s/%s", o->dir, o->entry);
	p->name = strdup(o->name);
	p->dir = strdup(o->dir);
	p->path = path.failed ? NULL : path.data;
	p->user = strdup(o->user ? o->user : "nobody");
	p->network = o->network;
	p->memory_mb = o->memory_mb;
	p->cpu_seconds = o->cpu_seconds;
	p->open_files = o->open_files;
	p->timeout_ms = o->call_timeout_ms;
	if (!p->name || !p->dir || !p->path || !p->user || !p->settings_env ||
	    (o->database && !p->database_env) || build_filter(p) != 0) {
		if (path.failed)
			px_buf_free(&path);
		if (env.failed)
			px_buf_free(&env);
		px_pl_proc_free(p);
		return NULL;
	}
	return p;
}

/* Kills and reaps the child; detail gets how it ended when it had already
 * (or does within grace_ms: one that closed its socket is on its way). */
static void stop(struct px_pl_proc *p, struct px_buf *detail, int grace_ms)
{
	int status = 0;

	if (p->pid > 0) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		for (int waited = 0; r == 0 && waited < grace_ms; waited += 5) {
			struct timespec five = { 0, 5000000 };

			nanosleep(&five, NULL);
			r = waitpid(p->pid, &status, WNOHANG);
		}
		if (r == 0) {
			kill(p->pid, SIGKILL);
			while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
				;
		} else if (r == p->pid && detail) {
			if (WIFSIGNALED(status))
				px_buf_printf(detail, " (killed by signal %d%s)", WTERMSIG(status),
					      WTERMSIG(status) == SIGSYS ? ": a forbidden system call"
					      : WTERMSIG(status) == SIGXCPU ? ": out of CPU time" : "");
			else if (WIFEXITED(status))
				px_buf_printf(detail, " (exited with %d)", WEXITSTATUS(status));
		}
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->pid = 0;
	px_buf_reset(&p->in);
}

void px_pl_proc_free(struct px_pl_proc *p)
{
	if (!p)
		return;
	stop(p, NULL, 0);
	pthread_mutex_destroy(&p->mu);
	free(p->name);
	free(p->dir);
	free(p->path);
	free(p->user);
	free(p->settings_env);
	if (p->database_env)
		explicit_bzero(p->database_env, strlen(p->database_env));
	free(p->database_env);
	free(p->bpf);
	px_buf_free(&p->in);
	free(p);
}

/* The child, between fork and exec: system calls only. */
static void __attribute__((noreturn)) child(const struct px_pl_proc *p, int sock, int devnull,
					   uid_t uid, gid_t gid, char *const *env)
{
	struct sock_fprog prog = { p->bpf_len, p->bpf };
	struct rlimit mem = { (rlim_t)p->memory_mb << 20, (rlim_t)p->memory_mb << 20 };
	struct rlimit cpu = { (rlim_t)p->cpu_seconds, (rlim_t)p->cpu_seconds + 1 };
	struct rlimit nofile = { (rlim_t)p->open_files, (rlim_t)p->open_files };
	struct rlimit none = { 0, 0 };
	char *const argv[] = { p->path, NULL };

	if (dup2(sock, 0) < 0 || dup2(sock, 1) < 0 || dup2(devnull, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (chdir(p->dir) != 0 || setrlimit(RLIMIT_AS, &mem) != 0 ||
	    setrlimit(RLIMIT_CPU, &cpu) != 0 || setrlimit(RLIMIT_NOFILE, &nofile) != 0 ||
	    setrlimit(RLIMIT_CORE, &none) != 0)
		_exit(126);
	if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
		_exit(126);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		_exit(126);
	execve(p->path, argv, env);
	_exit(127);
}

static int start(struct px_pl_proc *p, struct px_buf *detail)
{
	struct passwd pw, *found = NULL;
	char pwbuf[1024], envname[96];
	char *env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "PLEXICHAT_PROTOCOL=1", envname,
			"LANG=C.UTF-8", p->settings_env, p->database_env, NULL };
	int sv[2] = { -1, -1 }, devnull = -1;
	pid_t pid;

	snprintf(envname, sizeof(envname), "PLEXICHAT_PLUGIN=%s", p->name);
	if (getpwnam_r(p->user, &pw, pwbuf, sizeof(pwbuf), &found) != 0 || !found) {
		px_buf_printf(detail, "no user %s to run it as", p->user);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		px_buf_printf(detail, "cannot start: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		px_buf_printf(detail, "cannot start: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(p, sv[1], devnull, pw.pw_uid, pw.pw_gid, env);
	close(sv[1]);
	close(devnull);
	p->pid = pid;
	p->fd = sv[0];
	return 0;
fail:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	if (devnull >= 0)
		close(devnull);
	return -1;
}

/* Waits for fd to be ready for ev until deadline (ms, monotonic): 1,
 * 0 on timeout, -1 on error or hang-up without data. */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pf = { fd, ev, 0 };
		int r;

		if (left <= 0)
			return 0;
		r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r;
		return pf.revents & (ev | POLLHUP | POLLERR) ? 1 : -1;
	}
}

static int send_all(struct px_pl_proc *p, const char *s, size_t n, long long deadline)
{
	while (n) {
		ssize_t w;

		if (wait_fd(p->fd, POLLOUT, deadline) != 1)
			return -1;
		w = send(p->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until a whole line is buffered: its length (without '\n'), or
 * -1 (hang-up, error), -2 (timeout), -3 (longer than the bound). */
static long read_line(struct px_pl_proc *p, long long deadline)
{
	for (;;) {
		char *nl = p->in.len ? memchr(p->in.data, '\n', p->in.len) : NULL;
		ssize_t got;
		int w;

		if (nl)
			return nl - p->in.data;
		if (p->in.len > PX_PL_REPLY_MAX)
			return -3;
		if ((w = wait_fd(p->fd, POLLIN, deadline)) != 1)
			return w == 0 ? -2 : -1;
		if (px_buf_reserve(&p->in, 65536) != 0)
			return -1;
		got = read(p->fd, p->in.data + p->in.len, 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p->in.len += (size_t)got;
	}
}

static enum px_pl_call failed(struct px_pl_proc *p, struct px_buf *detail, const char *why,
			       int grace_ms)
{
	struct px_buf how = PX_BUF_INIT;
	int wait;

	stop(p, &how, grace_ms);
	p->failures++;
	wait = p->failures >= 7 ? BACKOFF_MAX : 1 << (p->failures - 1);
	p->retry_at = now_s() + (wait < BACKOFF_MAX ? wait : BACKOFF_MAX);
	if (detail)
		px_buf_printf(detail, "%s%s", why, how.data ? how.data : "");
	px_log_warn("plugins", NULL, "plugin %s: %s%s; started again in %d s at the earliest",
		    p->name, why, how.data ? how.data : "", wait);
	px_buf_free(&how);
	return PX_PL_FAILED;
}

/* Checks that line is one JSON object whose "id" is id. */
static int reply_ok(const char *line, size_t n, unsigned long long id)
{
	struct json_tokener *t = json_tokener_new();
	struct json_object *o = t ? json_tokener_parse_ex(t, line, (int)n) : NULL, *v;
	int ok = o && json_tokener_get_parse_end(t) == n && json_object_is_type(o, json_type_object) &&
		 json_object_object_get_ex(o, "id", &v) && json_object_is_type(v, json_type_int) &&
		 (unsigned long long)json_object_get_int64(v) == id;

	json_object_put(o);
	if (t)
		json_tokener_free(t);
	return ok;
}

static enum px_pl_call call_locked(struct px_pl_proc *p, const char *request,
				   struct px_buf *reply, struct px_buf *detail)
{
	long long deadline;
	struct px_buf line = PX_BUF_INIT;
	unsigned long long id;
	long n;
	int rc;

	if (p->fd < 0) {
		if (p->failures && now_s() < p->retry_at)
			return PX_PL_BACKOFF;
		if (start(p, detail) != 0)
			return failed(p, detail, "could not start", 0);
	}
	id = ++p->next_id;
	if (request[0] != '{')
		return PX_PL_FAILED;
	px_buf_printf(&line, "{\"id\":%llu%s%s\n", id, request[1] == '}' ? "" : ",", request + 1);
	deadline = now_ms() + p->timeout_ms;
	rc = line.failed ? -1 : send_all(p, line.data, line.len, deadline);
	px_buf_free(&line);
	if (rc != 0)
		return failed(p, detail, "could not be written to", 200);
	n = read_line(p, deadline);
	if (n == -2)
		return failed(p, detail, "gave no answer in time", 0);
	if (n == -3)
		return failed(p, detail, "answered more than 1 MiB", 0);
	if (n < 0)
		return failed(p, detail, "ended its connection", 200);
	if (!reply_ok(p->in.data, (size_t)n, id))
		return failed(p, detail, "broke the protocol (not a JSON object with this call's id)", 0);
	px_buf_append(reply, p->in.data, (size_t)n);
	px_buf_drop(&p->in, (size_t)n + 1);
	p->failures = 0;
	return PX_PL_OK;
}

enum px_pl_call px_pl_proc_call(struct px_pl_proc *p, const char *request, struct px_buf *reply,
				struct px_buf *detail)
{
	enum px_pl_call r;

	pthread_mutex_lock(&p->mu);
	r = call_locked(p, request, reply, detail);
	pthread_mutex_unlock(&p->mu);
	return r;
}

pid_t px_pl_proc_pid(struct px_pl_proc *p)
{
	pid_t pid;

	pthread_mutex_lock(&p->mu);
	pid = p->pid;
	pthread_mutex_unlock(&p->mu);
	return pid;
}

int px_pl_proc_failures(struct px_pl_proc *p)
{
	int n;

	pthread_mutex_lock(&p->mu);
	n = p->failures;
	pthread_mutex_unlock(&p->mu);
	return n;
}
