/* plugins_bench.c: what a plugin hook costs a post (bench/plugins-bench.sh).
 * It times the hook where a plugin adds work: an in-process module's
 * before_store call (the example word filter) and an out-of-process
 * plugin's round trip (a JSON line to a sandboxed child and back), beside
 * the same loop with no plugin, and then holds 1,000 calls a second to the
 * process plugin while watching the memory of both processes.
 * usage: plugins_bench MODULE.so PROBE_DIR [SECONDS] */
#include "plugins/px_pl_inproc.h"
#include "plugins/px_pl_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY "Deploy is done, the dashboards look fine; ping me if the heck alarms fire again."

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	printf("%-44s p50 %8.2f us  p99 %8.2f us  (%d calls)\n", what, v[n / 2] / 1000.0,
	       v[n * 99 / 100] / 1000.0, n);
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = atol(line + 6);
	fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	static const char *const settings[] = { "words", "heck,darn", "mode", "mask", NULL };
	enum plexichat_verdict (*hook)(const struct plexichat_message *, struct plexichat_result *);
	struct plexichat_message m = { 1, 1, BODY, sizeof(BODY) - 1 };
	struct px_buf err = PX_BUF_INIT, rep = PX_BUF_INIT;
	int n = 200000, seconds = argc > 3 ? atoi(argv[3]) : 20;
	long long *t = malloc((size_t)n * sizeof(*t));
	struct px_pl_inproc *mod;
	struct px_pl_proc *proc;
	char sha[65], req[256];
	volatile int sink = 0;

	if (argc < 3 || !t || px_pl_file_sha256(argv[1], sha) != 0) {
		fprintf(stderr, "usage: plugins_bench MODULE.so PROBE_DIR [SECONDS]\n");
		return 2;
	}
	/* the loop with no plugin: what every post pays anyway */
	for (int i = 0; i < n; i++) {
		long long a = now_ns();

		sink += (int)strlen(m.body);
		t[i] = now_ns() - a;
	}
	report("no plugin (timing loop alone)", t, n);
	if (!(mod = px_pl_inproc_load(argv[1], sha, settings, &err))) {
		fprintf(stderr, "%s\n", err.data ? err.data : "cannot load");
		return 1;
	}
	hook = px_pl_inproc_before_store(mod);
	for (int i = 0; i < n; i++) {
		struct plexichat_result r;
		long long a = now_ns();

		memset(&r, 0, sizeof(r));
		sink += hook(&m, &r);
		free(r.body);
		t[i] = now_ns() - a;
	}
	report("in-process before_store (word filter)", t, n);
	px_pl_inproc_free(mod);

	{
		struct px_pl_proc_opts o = { "bench-probe", argv[2], "probe.py", NULL, 0, 256, 3600, 32,
					     2000, "{}", NULL };

		proc = px_pl_proc_new(&o);
	}
	snprintf(req, sizeof(req), "{\"type\":\"before_store\",\"channel_id\":1,\"user_id\":1,"
		 "\"body\":\"%s\"}", BODY);
	/* the first call starts the process: not counted */
	if (!proc || px_pl_proc_call(proc, req, &rep, &err) != PX_PL_OK) {
		fprintf(stderr, "process plugin: %s\n", err.data ? err.data : "cannot start");
		return 1;
	}
	n = 20000;
	for (int i = 0; i < n; i++) {
		long long a = now_ns();

		px_buf_reset(&rep);
		if (px_pl_proc_call(proc, req, &rep, &err) != PX_PL_OK) {
			fprintf(stderr, "process plugin failed: %s\n", err.data ? err.data : "");
			return 1;
		}
		t[i] = now_ns() - a;
	}
	report("out-of-process before_store (probe.py)", t, n);

	/* 1,000 calls a second for a while: memory of both sides */
	{
		long host0 = rss_kib(getpid()), kid0 = rss_kib(px_pl_proc_pid(proc)), calls = 0;
		long long start = now_ns(), next = start;

		while (now_ns() - start < (long long)seconds * 1000000000LL) {
			px_buf_reset(&rep);
			if (px_pl_proc_call(proc, req, &rep, &err) != PX_PL_OK)
				return 1;
			calls++;
			next += 1000000; /* one per millisecond */
			while (now_ns() < next)
				;
		}
		printf("sustained %.0f calls/s for %d s: host RSS %ld -> %ld KiB, plugin RSS %ld -> %ld KiB\n",
		       calls / ((now_ns() - start) / 1e9), seconds, host0, rss_kib(getpid()), kid0,
		       rss_kib(px_pl_proc_pid(proc)));
	}
	px_pl_proc_free(proc);
	px_buf_free(&err);
	px_buf_free(&rep);
	free(t);
	return sink == -1;
}
