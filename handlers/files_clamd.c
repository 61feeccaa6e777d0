/* files_clamd.c: a clamd client for one stream. One connection per scan
 * (clamd's IDSESSION is not worth keeping across requests); the socket is
 * non-blocking and every wait is bounded by the caller's deadline, so a
 * hung clamd costs one timeout, never a worker. */
#include "handlers/files_clamd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define ANSWER_MAX 1024

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes: 0 or -1. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { fd, events, 0 };
	long long left = deadline - now_ms();
	int r;

	if (left <= 0)
		return -1;
	do
		r = poll(&p, 1, (int)left);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_for(fd, POLLOUT, deadline) != 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum px_hf_scan px_hf_clamd_verdict(const char *a, char *detail, size_t cap)
{
	size_t n = strlen(a);

	if (strncmp(a, "stream: ", 8) == 0)
		a += 8, n -= 8;
	if (strcmp(a, "OK") == 0) {
		snprintf(detail, cap, "OK");
		return PX_HF_SCAN_CLEAN;
	}
	if (n > 6 && strcmp(a + n - 6, " FOUND") == 0) {
		snprintf(detail, cap, "%.*s", (int)(n - 6), a);
		return PX_HF_SCAN_FOUND;
	}
	snprintf(detail, cap, "clamd: %s", *a ? a : "empty answer");
	return PX_HF_SCAN_ERROR;
}

static int connect_unix(const char *path, long long deadline)
{
	struct sockaddr_un sa;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if ((errno == EINPROGRESS || errno == EAGAIN) && wait_for(fd, POLLOUT, deadline) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
		return fd;
	close(fd);
	return -1;
}

enum px_hf_scan px_hf_clamd_scan(const char *path, int fd, int timeout_ms, char *detail,
				 size_t cap)
{
	long long deadline = now_ms() + timeout_ms;
	char *buf = malloc(CHUNK + 4), answer[ANSWER_MAX + 1];
	enum px_hf_scan v = PX_HF_SCAN_ERROR;
	size_t got = 0;
	off_t off = 0;
	int s = -1;
	ssize_t n;

	snprintf(detail, cap, "out of memory");
	if (!buf)
		goto out;
	s = connect_unix(path, deadline);
	if (s < 0) {
		snprintf(detail, cap, "cannot connect to clamd at %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(detail, cap, "clamd did not take the stream within %d ms", timeout_ms);
	if (send_all(s, "zINSTREAM", 10, deadline) != 0)
		goto out;
	for (;;) {
		uint32_t be;

		do
			n = pread(fd, buf + 4, CHUNK, off);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(detail, cap, "cannot read the upload: %s", strerror(errno));
			goto out;
		}
		be = htonl((uint32_t)n);
		memcpy(buf, &be, 4);
		/* clamd answers early (size limit) and closes: the send fails
		 * then, and the answer below says why */
		if (send_all(s, buf, (size_t)n + 4, deadline) != 0 || n == 0)
			break;
		off += n;
	}
	snprintf(detail, cap, "clamd did not answer within %d ms", timeout_ms);
	while (got < ANSWER_MAX) {
		n = recv(s, answer + got, ANSWER_MAX - got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_for(s, POLLIN, deadline) != 0)
				goto out;
			continue;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(answer, '\0', got))
			break;
	}
	answer[got] = '\0';
	if (got == 0) {
		snprintf(detail, cap, "clamd closed the connection without an answer");
		goto out;
	}
	/* the answer ends with NUL (z-prefixed command); strip line ends too */
	got = strlen(answer);
	while (got && (answer[got - 1] == '\n' || answer[got - 1] == '\r'))
		answer[--got] = '\0';
	v = px_hf_clamd_verdict(answer, detail, cap);
out:
	if (s >= 0)
		close(s);
	free(buf);
	return v;
}
