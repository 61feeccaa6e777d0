/* wl_procs.h: the server's processes as bench/workload.c measures them:
 * CPU seconds and proportional memory (PSS) per group of processes, read
 * from /proc. A group is one process (lighttpd, plexichat.fcgi,
 * plexichat-ws) or a root and all its children (the postmaster). */
#ifndef WL_PROCS_H
#define WL_PROCS_H

#define WL_GROUPS 5

struct wl_group {
	const char *name;
	int root;                /* pid; for postgres the postmaster */
	int kids;                /* count the root's children too */
	double cpu;              /* seconds, at the last sample */
	long pss_kib, shm_kib;   /* shm: Pss_Shmem, e.g. PostgreSQL's shared_buffers */
	double pss_avg, shm_avg; /* kept by the caller over a step's window */
	int nproc;               /* processes found at the last sample */
};

/* "name=pid,..." into g (at most max); "postgres" counts its children.
 * Returns how many groups. */
int wl_procs_parse(char *spec, struct wl_group *g, int max);
/* Reads every group's CPU, PSS and Pss_Shmem from /proc now. */
void wl_procs_sample(struct wl_group *g, int n);
/* Sums of the last sample. */
long wl_procs_pss(const struct wl_group *g, int n);
double wl_procs_cpu(const struct wl_group *g, int n);
/* "pid,pid,...": every process of the groups, for perf -p (static). */
const char *wl_procs_pids(const struct wl_group *g, int n);
/* This process's own CPU seconds. */
double wl_procs_self_cpu(void);
/* The 1- and 5-minute load averages, "a b" (static). */
const char *wl_procs_load(void);

#endif
