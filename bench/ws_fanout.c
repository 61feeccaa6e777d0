/* ws_fanout.c: WebSocket fan-out latency (bench/ws-bench.sh). Opens N
 * sockets to GET /api/v1/events/ws (through the web server at HOST:PORT, or
 * on plexichat-ws's unix socket), waits until each said {"type":"ready"},
 * then a second thread posts M messages over HTTP one after another
 * ("ws fan-out I"), and the epoll thread stamps the arrival of each on
 * each socket. Prints delivery after the POST returned: p50, p99, max.
 * A client in C, so that the figure is the server's and not the time an
 * interpreter takes to read a thousand sockets. With "sse" in place of the
 * unix path the same is measured for SSE streams (GET /api/v1/events), the
 * anchor of bench/ws-bench.sh.
 *
 *   ws_fanout HOST PORT CHANNEL POSTER_TOKEN TOKENS_FILE SUBS POSTS [UNIX_PATH|sse]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ws_frame.h"

#define MAX_POSTS 1000

struct sock {
	int fd, open, ready;
	char *buf;
	size_t len, cap;
};

struct run {
	const char *host, *poster, *unix_path;
	int sse;
	int port, channel, subs, posts;
	struct sock *s;
	double *arrive;          /* [post * subs + sock], 0: not yet */
	double done[MAX_POSTS];  /* when each POST returned */
	int posted;              /* written by the poster thread */
	pthread_mutex_t lock;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static int dial(const struct run *r)
{
	int fd;

	if (r->unix_path) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", r->unix_path);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return -1;
		}
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r->port) };
		int one = 1;

		inet_pton(AF_INET, r->host, &a.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return -1;
		}
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Connects and sends the handshake; the answer is read by the loop. */
static int ws_open(const struct run *r, struct sock *s, const char *token)
{
	char req[1024];
	int n;

	if ((s->fd = dial(r)) < 0)
		return -1;
	if (r->sse)
		n = snprintf(req, sizeof(req),
			     "GET /api/v1/events HTTP/1.0\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
			     "Authorization: Bearer %s\r\n\r\n", r->host, r->port, token);
	else
		n = snprintf(req, sizeof(req),
		     "GET /api/v1/events/ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n%s\r\n",
		     r->host, r->port, token,
		     r->unix_path ? "X-Forwarded-For: 127.0.0.1\r\n" : "");
	if (send_all(s->fd, req, (size_t)n) != 0)
		return -1;
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* One text frame: stamps "ws fan-out I" messages, notes "ready". */
static void on_text(struct run *r, int k, const char *p, size_t n)
{
	/* the event's JSON comes from PostgreSQL (spaces after colons) */
	const char *m = memmem(p, n, "\"message.created\"", 17);
	const char *t;

	if (memmem(p, n, "\"type\":\"ready\"", 14)) {
		r->s[k].ready = 1;
		return;
	}
	if (!m || !(t = memmem(p, n, "ws fan-out ", 11)))
		return;
	{
		int i = atoi(t + 11);

		if (i >= 0 && i < r->posts && r->arrive[(size_t)i * r->subs + k] == 0)
			r->arrive[(size_t)i * r->subs + k] = now_ms();
	}
}

/* SSE (HTTP/1.0, so unchunked): one line at a time; the hub's
 * ": waiting" says the stream is held. */
static size_t sse_lines(struct run *r, int k, size_t off)
{
	struct sock *s = &r->s[k];
	char *nl;

	while ((nl = memchr(s->buf + off, '\n', s->len - off))) {
		size_t n = (size_t)(nl - (s->buf + off));

		if (n >= 9 && memcmp(s->buf + off, ": waiting", 9) == 0)
			s->ready = 1;
		else
			on_text(r, k, s->buf + off, n);
		off += n + 1;
	}
	return off;
}

/* Consumes what s holds: the 101 head first, then server frames (pings
 * are answered). -1 when the socket must go. */
static int consume(struct run *r, int k)
{
	struct sock *s = &r->s[k];
	size_t off = 0;

	if (!s->open) {
		char *end = memmem(s->buf, s->len, "\r\n\r\n", 4);

		if (!end)
			return 0;
		if (s->len < 12 || memcmp(s->buf + 9, r->sse ? "200" : "101", 3) != 0) {
			fprintf(stderr, "upgrade refused: %.*s\n", (int)(s->len < 200 ? s->len : 200), s->buf);
			return -1;
		}
		s->open = 1;
		off = (size_t)(end + 4 - s->buf);
	}
	if (r->sse)
		off = sse_lines(r, k, off);
	while (!r->sse) {
		const unsigned char *b = (const unsigned char *)s->buf + off;
		size_t h, n;
		int op;

		if (!ws_frame_next(b, s->len - off, &h, &n, &op))
			break;
		if (op == 0x1) {
			on_text(r, k, (const char *)b + h, n);
		} else if (op == 0x9 && n <= 125) {
			unsigned char pong[6 + 125];

			send_all(s->fd, (const char *)pong, ws_frame_pong(b + h, n, pong));
		} else if (op == 0x8) {
			return -1;
		}
		off += h + n;
	}
	memmove(s->buf, s->buf + off, s->len - off);
	s->len -= off;
	return 0;
}

static int readable(struct run *r, int k)
{
	struct sock *s = &r->s[k];

	for (;;) {
		ssize_t got;

		if (s->cap - s->len < 65536) {
			char *p = realloc(s->buf, s->cap + 65536);

			if (!p)
				return -1;
			s->buf = p;
			s->cap += 65536;
		}
		got = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
		if (got > 0) {
			s->len += (size_t)got;
			continue;
		}
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return consume(r, k);
		return -1;
	}
}

/* POST /api/v1/channels/C/messages over its own HTTP/1.0 connection. */
static int post(struct run *r, int i)
{
	struct run one = *r;
	char body[64], req[1024], ans[4096];
	int fd, n, b, got = 0;

	one.unix_path = NULL;
	if ((fd = dial(&one)) < 0)
		return -1;
	b = snprintf(body, sizeof(body), "{\"body\":\"ws fan-out %d\"}", i);
	n = snprintf(req, sizeof(req),
		     "POST /api/v1/channels/%d/messages HTTP/1.0\r\nHost: %s:%d\r\n"
		     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %d\r\n\r\n%s", r->channel, r->host, r->port, r->poster, b, body);
	if (send_all(fd, req, (size_t)n) != 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t k = recv(fd, ans + got, sizeof(ans) - 1 - (size_t)got, 0);

		if (k <= 0)
			break;
		got += (int)k;
	}
	close(fd);
	ans[got] = '\0';
	return strstr(ans, " 201 ") ? 0 : -1;
}

static void *poster(void *arg)
{
	struct run *r = arg;
	struct timespec gap = { 0, 250 * 1000000L };
	int i;

	for (i = 0; i < r->posts; i++) {
		if (post(r, i) != 0) {
			fprintf(stderr, "post %d failed\n", i);
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->done[i] = now_ms();
		r->posted = i + 1;
		pthread_mutex_unlock(&r->lock);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Runs the loop until deadline, or (until_ready) until every socket is
 * ready. Returns how many sockets are ready. */
static int loop(struct run *r, int ep, double deadline, int until_ready)
{
	struct epoll_event ev[256];
	int ready = 0, k;

	while (now_ms() < deadline) {
		int n = epoll_wait(ep, ev, 256, 50), i;

		for (i = 0; i < n; i++) {
			k = (int)ev[i].data.u32;
			if (readable(r, k) != 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, r->s[k].fd, NULL);
				close(r->s[k].fd);
				r->s[k].fd = -1;
			}
		}
		for (ready = 0, k = 0; k < r->subs; k++)
			ready += r->s[k].ready;
		if (until_ready && ready == r->subs)
			return ready;
	}
	return ready;
}

int main(int argc, char **argv)
{
	struct run r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char tok[128][128];
	int ntok = 0, ep, k, ready, missing = 0;
	double *lat, t0;
	size_t nlat = 0;
	pthread_t th;
	FILE *f;

	if (argc < 8) {
		fprintf(stderr, "usage: ws_fanout HOST PORT CHANNEL POSTER_TOKEN TOKENS_FILE SUBS POSTS [UNIX]\n");
		return 2;
	}
	r.host = argv[1];
	r.port = atoi(argv[2]);
	r.channel = atoi(argv[3]);
	r.poster = argv[4];
	r.subs = atoi(argv[6]);
	r.posts = atoi(argv[7]);
	r.sse = argc > 8 && strcmp(argv[8], "sse") == 0;
	r.unix_path = argc > 8 && !r.sse ? argv[8] : NULL;
	if (r.posts > MAX_POSTS || r.subs < 1 || !(f = fopen(argv[5], "r")))
		return 2;
	while (ntok < 128 && fgets(tok[ntok], sizeof(tok[0]), f))
		if ((tok[ntok][strcspn(tok[ntok], "\r\n")] = '\0', tok[ntok][0]))
			ntok++;
	fclose(f);
	r.s = calloc((size_t)r.subs, sizeof(*r.s));
	r.arrive = calloc((size_t)r.subs * (size_t)r.posts, sizeof(double));
	ep = epoll_create1(0);
	if (!r.s || !r.arrive || ep < 0 || !ntok) {
		free(r.s);
		free(r.arrive);
		return 1;
	}
	t0 = now_ms();
	for (k = 0; k < r.subs; k++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)k };

		if (ws_open(&r, &r.s[k], tok[k % ntok]) != 0) {
			fprintf(stderr, "socket %d: %s\n", k, strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, r.s[k].fd, &e);
		/* in batches, as a browser population would arrive */
		if (k % 200 == 199)
			loop(&r, ep, now_ms() + 200, 0);
	}
	ready = loop(&r, ep, now_ms() + 120000, 1);
	printf("%s (C client): %d of %d caught up in %.1f s\n", r.sse ? "SSE streams" : "websockets",
	       ready, r.subs,
	       (now_ms() - t0) / 1000.0);
	if (ready != r.subs)
		return 1;
	pthread_create(&th, NULL, poster, &r);
	loop(&r, ep, now_ms() + r.posts * 300.0 + 3000, 0);
	pthread_join(th, NULL);
	lat = malloc((size_t)r.subs * (size_t)r.posts * sizeof(double));
	for (k = 0; lat && k < r.posts * r.subs; k++) {
		double d = r.done[k / r.subs], a = r.arrive[k];

		if (a == 0 || k / r.subs >= r.posted) {
			missing++;
			continue;
		}
		lat[nlat++] = a > d ? a - d : 0;
	}
	if (!nlat) {
		fprintf(stderr, "no deliveries (%d posted)\n", r.posted);
		return 1;
	}
	qsort(lat, nlat, sizeof(double), cmp);
	printf("%s %d; %d messages; deliveries %zu, missing %d\n", r.sse ? "SSE streams" : "websockets",
	       r.subs, r.posted, nlat, missing);
	printf("delivery after POST returned: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	       lat[nlat / 2], lat[(size_t)((double)(nlat - 1) * 0.99)], lat[nlat - 1]);
	free(lat);
	return missing ? 1 : 0;
}
