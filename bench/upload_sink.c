/* upload_sink.c: the floor for bench/files-bench.sh's upload, "dd through
 * the same socket path": a bare libfcgi responder behind the same kind of
 * lighttpd route (request body streamed to FastCGI) that writes the body to
 * a new file in DIR, fsyncs it and renames it into place before it answers,
 * as PlexiChat does, and does nothing else (no hash, no type check, no
 * database). One request at a time is all the benchmark sends. */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536

/* Copies the request body into DIR/NNN; the byte count, or -1. */
static long long sink(FCGX_Request *r, const char *dir, unsigned long n)
{
	char tmp[4096], dst[4096], *buf = malloc(CHUNK);
	long long total = 0;
	int fd = -1, got;

	snprintf(tmp, sizeof(tmp), "%s/.part-%lu", dir, n);
	snprintf(dst, sizeof(dst), "%s/%lu", dir, n);
	if (!buf || (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto fail;
	while ((got = FCGX_GetStr(buf, CHUNK, r->in)) > 0) {
		for (int done = 0; done < got;) {
			ssize_t w = write(fd, buf + done, (size_t)(got - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto fail;
			done += (int)w;
		}
		total += got;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) != 0)
		goto fail;
	free(buf);
	return total;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(buf);
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	FCGX_Request r;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: upload_sink SOCKET DIR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	FCGX_Init();
	if ((fd = FCGX_OpenSocket(argv[1], 16)) < 0)
		return 1;
	chmod(argv[1], 0666);
	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		long long got = sink(&r, argv[2], ++n);

		if (got < 0)
			FCGX_FPrintF(r.out, "Status: 500\r\nContent-Type: text/plain\r\n\r\nfailed\n");
		else
			FCGX_FPrintF(r.out, "Status: 201\r\nContent-Type: text/plain\r\n\r\n%lld\n", got);
		FCGX_Finish_r(&r);
	}
	return 0;
}
