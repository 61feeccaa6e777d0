/* thumb_bench.c: the time and peak memory of PlexiChat's image work on
 * one file, through the code the server runs (handlers/files_image.c,
 * files_scan.c). Each measurement runs in a child process, so its peak
 * resident set (getrusage of the child, ru_maxrss) is the work's own:
 *   baseline   libvips started, nothing done
 *   thumbnail  N x the 400 px thumbnail (the figure: p50, p95)
 *   upload     N x what an upload makes: the header check, the copy
 *              without metadata, thumbnail and preview
 * Usage: thumb_bench IMAGE [N]. Prints one line per measurement. */
#include "handlers/files_image.h"
#include "handlers/files_scan.h"
#include "storage/px_st_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum what { BASELINE, THUMB, UPLOAD };

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One unit of work; 0 or -1. */
static int work(enum what w, const char *path, const struct px_st_files *st)
{
	char hex[65], tmp[PX_ST_FILES_PATH];
	struct px_hf_img_info info;
	struct stat sb;
	int tw, th, in, out, rc = -1;

	if (w == THUMB)
		return px_hf_image_webp(path, PX_HF_THUMB_BOX, 0, 1, st, hex, &tw, &th) == PX_OK ? 0
											 : -1;
	in = open(path, O_RDONLY);
	if (in < 0 || fstat(in, &sb) != 0)
		return -1;
	out = px_st_files_temp(st, tmp);
	if (out >= 0 &&
	    px_hf_img_scan(in, (uint64_t)sb.st_size, PX_HF_IMG_JPEG, &info) == PX_OK &&
	    px_hf_img_limit(&info, 50000000) == PX_OK &&
	    px_hf_img_strip(in, (uint64_t)sb.st_size, PX_HF_IMG_JPEG, 1, out) == PX_OK &&
	    px_hf_image_webp(path, PX_HF_THUMB_BOX, 0, 1, st, hex, &tw, &th) == PX_OK &&
	    px_hf_image_webp(path, PX_HF_PREVIEW_BOX, 0, 1, st, hex, &tw, &th) == PX_OK)
		rc = 0;
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	close(in);
	return rc;
}

/* Runs n units in a child; times[] gets each one's milliseconds, *rss_kib
 * the child's peak resident set. 0 or -1. */
static int measure(enum what w, const char *path, const char *store, int n, double *times,
		   long *rss_kib)
{
	struct rusage ru;
	int fds[2], status = 0, i;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct px_st_files st;
		struct px_buf err = PX_BUF_INIT;

		close(fds[0]);
		if (px_hf_image_init("thumb_bench") != 0 || px_st_files_init(&st, store, &err) != 0)
			_exit(2);
		for (i = 0; w != BASELINE && i < n + 1; i++) {
			double t0 = now_ms(), ms;

			if (work(w, path, &st) != 0)
				_exit(3);
			ms = now_ms() - t0;
			if (i > 0 && write(fds[1], &ms, sizeof(ms)) != (ssize_t)sizeof(ms))
				_exit(4); /* the first run warms the page cache */
		}
		_exit(0);
	}
	close(fds[1]);
	for (i = 0; w != BASELINE && i < n; i++)
		if (read(fds[0], &times[i], sizeof(double)) != (ssize_t)sizeof(double))
			break;
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	*rss_kib = ru.ru_maxrss;
	return w == BASELINE || i == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "baseline", "thumbnail 400px", "upload (check, strip, 400+1280)" };
	char store[] = "/tmp/thumb-bench-XXXXXX";
	int n = argc > 2 ? atoi(argv[2]) : 30;
	double *times;
	long base = 0;
	int w;

	if (argc < 2 || n < 1 || !mkdtemp(store)) {
		fprintf(stderr, "usage: thumb_bench IMAGE.jpg [N]\n");
		return 2;
	}
	times = calloc((size_t)n, sizeof(double));
	if (!times)
		return 1;
	for (w = BASELINE; w <= UPLOAD; w++) {
		long rss = 0;

		if (measure((enum what)w, argv[1], store, n, times, &rss) != 0) {
			fprintf(stderr, "thumb_bench: %s failed\n", names[w]);
			return 1;
		}
		if (w == BASELINE) {
			base = rss;
			printf("%-32s peak RSS %6.1f MiB\n", names[w], rss / 1024.0);
			continue;
		}
		qsort(times, (size_t)n, sizeof(double), cmp);
		printf("%-32s p50 %7.1f ms  p95 %7.1f ms  (n=%d)  peak RSS %6.1f MiB (+%.1f over baseline)\n",
		       names[w], times[n / 2], times[(n * 95 + 99) / 100 - 1], n, rss / 1024.0,
		       (rss - base) / 1024.0);
	}
	free(times);
	/* the objects the runs made */
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", store);
		if (system(cmd) != 0)
			fprintf(stderr, "thumb_bench: could not remove %s\n", store);
	}
	return 0;
}
