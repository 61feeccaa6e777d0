/* wl_procs.c: CPU and memory of the server's processes (wl_procs.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/wl_procs.h"

static int read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* CPU seconds, PSS (KiB) and parent of pid. */
static int proc_sample(int pid, double *cpu, long *pss, long *shm, int *ppid)
{
	char path[64], buf[4096], *p;
	unsigned long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", ppid, &ut, &st) != 3)
		return -1;
	*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	if (!pss)
		return 0;
	*pss = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	*shm = 0;
	if (read_file(path, buf, sizeof(buf)) > 0 && (p = strstr(buf, "\nPss:"))) {
		*pss = atol(p + 5);
		if ((p = strstr(buf, "\nPss_Shmem:")))
			*shm = atol(p + 11);
	}
	return 0;
}

/* Every group: the root, and for postgres each child of it. */
void wl_procs_sample(struct wl_group *g, int n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int i;

	for (i = 0; i < n; i++) {
		int pp;

		g[i].cpu = 0;
		g[i].pss_kib = g[i].shm_kib = 0;
		g[i].nproc = proc_sample(g[i].root, &g[i].cpu, &g[i].pss_kib, &g[i].shm_kib, &pp) == 0;
	}
	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name), pp;
		double cpu;
		long pss, shm;

		if (pid <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!g[i].kids || pid == g[i].root)
				continue;
			if (proc_sample(pid, &cpu, &pss, &shm, &pp) == 0 && pp == g[i].root) {
				g[i].cpu += cpu;
				g[i].pss_kib += pss;
				g[i].shm_kib += shm;
				g[i].nproc++;
			}
		}
	}
	if (d)
		closedir(d);
}

const char *wl_procs_pids(const struct wl_group *g, int ng)
{
	static char out[8192];
	size_t n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	int i;

	out[0] = '\0';
	for (i = 0; i < ng; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%d", n ? "," : "", g[i].root);
	while (d && (e = readdir(d)) && n < sizeof(out) - 16) {
		int pid = atoi(e->d_name), pp;
		double cpu;

		for (i = 0; pid > 0 && i < ng; i++)
			if (g[i].kids && pid != g[i].root && proc_sample(pid, &cpu, NULL, NULL, &pp) == 0 &&
			    pp == g[i].root)
				n += (size_t)snprintf(out + n, sizeof(out) - n, ",%d", pid);
	}
	if (d)
		closedir(d);
	return out;
}

double wl_procs_self_cpu(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (double)r.ru_utime.tv_sec + (double)r.ru_stime.tv_sec +
	       ((double)r.ru_utime.tv_usec + (double)r.ru_stime.tv_usec) / 1e6;
}

int wl_procs_parse(char *spec, struct wl_group *g, int max)
{
	char *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(spec, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		memset(&g[n], 0, sizeof(g[n]));
		g[n].name = tok;
		g[n].root = atoi(eq + 1);
		g[n].kids = strcmp(tok, "postgres") == 0;
		n++;
	}
	return n;
}

long wl_procs_pss(const struct wl_group *g, int n)
{
	long t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += g[i].pss_kib;
	return t;
}

double wl_procs_cpu(const struct wl_group *g, int n)
{
	double t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += g[i].cpu;
	return t;
}

const char *wl_procs_load(void)
{
	static char l[64];
	size_t a;

	if (read_file("/proc/loadavg", l, sizeof(l)) <= 0)
		return "?";
	a = strcspn(l, " ");
	l[a + 1 + strcspn(l + a + 1, " ")] = '\0';
	return l;
}
