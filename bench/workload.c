/* workload.c: simulated users of PlexiChat over real HTTP through the web
 * server (bench/workload.sh). Each user holds one event stream (SSE, or a
 * WebSocket for a share of them) and one keep-alive HTTP/1.1 connection for
 * its actions, and after each think time does one action of the mix. Users
 * are added step by step until the p99 of the actions passes the limit.
 *
 * One thread and epoll: a client in Python or one thread per user would
 * take more of the two cores than the server it measures. The client's own
 * CPU is printed beside the server's.
 *
 *   workload HOST PORT USERS_FILE WORDS_FILE STEPS PIDS
 *     USERS_FILE: per line "TOKEN CHANNEL_A CHANNEL_B" (user i is member of both)
 *     WORDS_FILE: words for search queries and message bodies
 *     STEPS: "250,500,1000" users at each step
 *     PIDS: "lighttpd=P,plexichat.fcgi=P,...,postgres=POSTMASTER" (postgres:
 *           the postmaster and all its children; "none": measure no process)
 *   Environment: WL_THINK_MS (mean think time, exponential; 10000),
 *   WL_WS_SHARE (percent of users on WebSocket; 50), WL_WARM (s; 10),
 *   WL_WINDOW (s; 30), WL_GRACE (s; 5), WL_P99_MS (200), WL_HOLD (s the
 *   run holds the highest passing step after the ramp; unset or 0: no hold),
 *   WL_PROFILE (shell command run at the start of the hold, e.g. perf; it
 *   finds the server's pids in $WL_PIDS),
 *   WL_DROP_DELIVERIES (test only: percent of received posts to ignore,
 *   to show that missing deliveries fail the run).
 * Exit 0 when at least the first step passed: p99 within the limit, every
 * delivery, at most 1% of actions failed.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/wl_http.h"
#include "bench/wl_procs.h"

enum act { A_READ, A_POST, A_REACT, A_SEARCH, A_MARK, A_TYPING, A_N };
static const char *const act_name[A_N] = { "read latest 50", "post", "react", "search",
					   "mark read", "typing" };
/* The mix, in percent: reading dominates, as in a team's chat. */
static const int act_share[A_N] = { 30, 15, 10, 5, 20, 20 };

enum { ST_NONE, ST_SENT, ST_OPEN, ST_READY };

struct conn {
	int fd;
	char *buf;
	size_t len, cap;
};

struct user {
	char token[96];
	int ch[2];               /* channel ids */
	long long seen[2];       /* newest message id seen per channel */
	int ws, active;
	struct conn st;
	int st_state;
	long long last_event, sse_id;
	double ready_at;
	struct conn ac;          /* HTTP actions */
	int busy;                /* an action is in flight */
	char req[1536];          /* the request, sent again once when a */
	int req_len, reused;     /* reused connection closed under it */
	enum act kind;
	int post_idx;
	double started, next_at;
	int ws_ref;              /* >0: a WebSocket frame awaits its reply */
};

struct post {
	double sent, done;
	int channel, author, expected, delivered;
};

struct lat {
	double *v;
	size_t n, cap;
};

static struct {
	const char *host;
	int port;
	struct user *u;
	int nusers, nwords;
	char **words;
	struct post *posts;
	int nposts, posts_cap;
	struct lat act[A_N], all, deliv, deliv_done, deliv_kind[2];
	long errors, dupes, drops, delivered_total;
	int ep, drop_pct;
	double think_ms;
	int ws_share;
	struct wl_group g[WL_GROUPS];
	int ng;
	unsigned rnd;
	double first_pss;        /* averaged over the first step */
	int first_users;
} W;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static unsigned rnd(void)
{
	W.rnd ^= W.rnd << 13;
	W.rnd ^= W.rnd >> 17;
	W.rnd ^= W.rnd << 5;
	return W.rnd;
}

static void lat_add(struct lat *l, double v)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 4096;
		double *p = realloc(l->v, c * sizeof(double));

		if (!p)
			return;
		l->v = p;
		l->cap = c;
	}
	l->v[l->n++] = v;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-quantile of the first n samples (those of a window). */
static double pct_n(struct lat *l, size_t n, double p)
{
	if (!n || n > l->n)
		return 0;
	qsort(l->v, n, sizeof(double), cmpd);
	return l->v[(size_t)((double)(n - 1) * p)];
}

static double pct(struct lat *l, double p)
{
	return pct_n(l, l->n, p);
}

/* Opens a connection for user k. On loopback each user connects from an
 * address of its own (127.1.x.y), as real users do: the server's limits
 * per client address (events_max_streams_per_addr) then see users, not
 * this one client. */
static int dial(int k)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)W.port) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, W.host, &a.sin_addr);
	if ((ntohl(a.sin_addr.s_addr) >> 24) == 127) {
		src.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | (uint32_t)(k / 250) << 8 |
					    (uint32_t)(k % 250 + 1));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			close(fd);
			return -1;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes all of p; loopback buffers take a request whole, so a short
 * write after the connection opened is an error, not a wait. */
static int send_all(int fd, const char *p, size_t n)
{
	double until = now_ms() + 2000;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == ENOTCONN) && now_ms() < until) {
			struct timespec t = { 0, 200000 };

			nanosleep(&t, NULL);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* epoll data: user index * 2 + (0 stream, 1 actions) */
static void watch(int fd, int id)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)id };

	epoll_ctl(W.ep, EPOLL_CTL_ADD, fd, &e);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(W.ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->len = 0;
}

/* Reads what is there; 1 when the peer closed, -1 on error. */
static int conn_read(struct conn *c)
{
	for (;;) {
		ssize_t got;

		if (c->cap - c->len < 16384) {
			char *p = realloc(c->buf, c->cap + 65536);

			if (!p)
				return -1;
			c->buf = p;
			c->cap += 65536;
		}
		got = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (got > 0) {
			c->len += (size_t)got;
			continue;
		}
		if (got == 0)
			return 1;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
}

/* ---- event streams ---- */

static void stream_open(int k)
{
	struct user *u = &W.u[k];
	char req[1024], cur[48] = "";
	int n;

	if (u->last_event)
		snprintf(cur, sizeof(cur), "?last_event_id=%lld", u->last_event);
	if ((u->st.fd = dial(k)) < 0) {
		W.errors++;
		return;
	}
	if (u->ws)
		n = snprintf(req, sizeof(req),
			     "GET /api/v1/events/ws%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			     "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
			     cur, W.host, W.port, u->token);
	else
		n = snprintf(req, sizeof(req),
			     "GET /api/v1/events%s HTTP/1.0\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
			     "Authorization: Bearer %s\r\n\r\n", cur, W.host, W.port, u->token);
	if (send_all(u->st.fd, req, (size_t)n) != 0) {
		conn_close(&u->st);
		W.errors++;
		return;
	}
	watch(u->st.fd, k * 2);
	u->st_state = ST_SENT;
}

/* One event (its JSON): posts of this run are stamped and counted. */
static void on_event(int k, const char *p, size_t n, long long id)
{
	struct user *u = &W.u[k];
	const char *m, *data;
	long long ch, mid;
	int i, idx;

	if (id > 0) {
		if (id <= u->last_event)
			W.dupes++;
		else
			u->last_event = id;
	}
	if (!memmem(p, n, "\"message.created\"", 17))
		return;
	ch = wl_json_int(p, n, "\"channel_id\"");
	data = memmem(p, n, "\"data\"", 6);
	mid = data ? wl_json_int(data, n - (size_t)(data - p), "\"id\"") : -1;
	for (i = 0; i < 2; i++)
		if (u->ch[i] == ch && mid > u->seen[i])
			u->seen[i] = mid;
	if (!(m = memmem(p, n, "wl-", 3)))
		return;
	idx = atoi(m + 3);
	if (idx < 0 || idx >= W.nposts)
		return;
	if (W.drop_pct && (int)(rnd() % 100) < W.drop_pct)
		return;
	{
		struct post *ps = &W.posts[idx];
		double t = now_ms();

		/* only streams that were ready before the post was sent owe it */
		if (k != ps->author && u->ready_at && u->ready_at <= ps->sent) {
			ps->delivered++;
			W.delivered_total++;
			lat_add(&W.deliv, t - ps->sent);
			lat_add(&W.deliv_kind[u->ws], t - ps->sent);
			/* before the POST's answer counts as 0, as in ws_fanout.c */
			lat_add(&W.deliv_done, ps->done && t > ps->done ? t - ps->done : 0);
		}
	}
}

static void became_ready(int k)
{
	W.u[k].st_state = ST_READY;
	if (!W.u[k].ready_at)
		W.u[k].ready_at = now_ms();
}

static void ws_reply(int k, const char *p, size_t n);

static size_t sse_lines(int k, size_t off)
{
	struct user *u = &W.u[k];
	struct conn *c = &u->st;
	char *nl;

	while ((nl = memchr(c->buf + off, '\n', c->len - off))) {
		const char *l = c->buf + off;
		size_t n = (size_t)(nl - l);

		if (n >= 9 && memcmp(l, ": waiting", 9) == 0)
			became_ready(k);
		else if (n > 4 && memcmp(l, "id: ", 4) == 0)
			u->sse_id = atoll(l + 4);
		else if (n > 6 && memcmp(l, "data: ", 6) == 0) {
			on_event(k, l + 6, n - 6, u->sse_id);
			u->sse_id = 0;
		}
		off += n + 1;
	}
	return off;
}

static size_t ws_frames(int k, size_t off)
{
	struct conn *c = &W.u[k].st;

	while (c->len - off >= 2) {
		const unsigned char *b = (const unsigned char *)c->buf + off;
		size_t h = 2, n = b[1] & 0x7f;

		if (n == 126) {
			if (c->len - off < 4)
				break;
			n = (size_t)b[2] << 8 | b[3];
			h = 4;
		} else if (n == 127) {
			int i;

			if (c->len - off < 10)
				break;
			for (n = 0, i = 0; i < 8; i++)
				n = n << 8 | b[2 + i];
			h = 10;
		}
		if (c->len - off < h + n)
			break;
		if ((b[0] & 0x0f) == 0x1) {
			const char *p = (const char *)b + h;

			if (memmem(p, n, "\"type\":\"ready\"", 14))
				became_ready(k);
			else if (memmem(p, n, "\"type\":\"reply\"", 14))
				ws_reply(k, p, n);
			else if (n > 6 && memcmp(p, "{\"id\"", 5) == 0)
				on_event(k, p, n, wl_json_int(p, n, "\"id\""));
			else
				on_event(k, p, n, 0);
		} else if ((b[0] & 0x0f) == 0x9) {
			unsigned char pong[6 + 125] = { 0x8a, (unsigned char)(0x80 | n), 0, 0, 0, 0 };

			memcpy(pong + 6, b + h, n);
			send_all(c->fd, (const char *)pong, 6 + n);
		} else if ((b[0] & 0x0f) == 0x8) {
			return (size_t)-1;
		}
		off += h + n;
	}
	return off;
}

static void stream_lost(int k)
{
	struct user *u = &W.u[k];

	conn_close(&u->st);
	u->st_state = ST_NONE;
	if (u->busy && u->ws_ref) {  /* its reply is lost with it */
		u->busy = 0;
		u->ws_ref = 0;
		W.errors++;
	}
	if (u->active) {
		W.drops++;
		stream_open(k);  /* resumes after last_event */
	}
}

static void stream_readable(int k)
{
	struct user *u = &W.u[k];
	struct conn *c = &u->st;
	int r = conn_read(c);
	size_t off = 0;

	if (u->st_state == ST_SENT) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);

		if (!end) {
			if (r != 0)
				stream_lost(k);
			return;
		}
		if (c->len < 12 || memcmp(c->buf + 9, u->ws ? "101" : "200", 3) != 0) {
			if (W.errors++ < 5)
				fprintf(stderr, "stream refused: %.*s\n", (int)(c->len < 300 ? c->len : 300), c->buf);
			u->active = 0;
			conn_close(c);
			u->st_state = ST_NONE;
			return;
		}
		u->st_state = ST_OPEN;
		off = (size_t)(end + 4 - c->buf);
	}
	off = u->ws ? ws_frames(k, off) : sse_lines(k, off);
	if (off == (size_t)-1 || r != 0) {
		stream_lost(k);
		return;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

/* ---- actions ---- */

static double think(void)
{
	double x = (double)(rnd() % 1000000 + 1) / 1000001.0;

	return -log(x) * W.think_ms;
}

static void finish(int k, int ok)
{
	struct user *u = &W.u[k];
	double t = now_ms(), d = t - u->started;

	if (getenv("WL_DEBUG") && d > 1000)
		fprintf(stderr, "slow: user %d %s %s %.0f ms\n", k, u->ws_ref ? "ws frame" : "http",
			act_name[u->kind], d);
	if (ok) {
		lat_add(&W.act[u->kind], d);
		lat_add(&W.all, d);
		if (u->kind == A_POST && u->post_idx >= 0)
			W.posts[u->post_idx].done = t;
	} else {
		W.errors++;
	}
	u->busy = 0;
	u->ws_ref = 0;
	u->next_at = t + think();
}

static void ws_reply(int k, const char *p, size_t n)
{
	struct user *u = &W.u[k];
	long long status = wl_json_int(p, n, "\"status\"");

	if (!u->busy || !u->ws_ref || wl_json_int(p, n, "\"ref\"") != u->ws_ref)
		return;
	if ((status < 200 || status > 299) && W.errors < 5)
		fprintf(stderr, "ws %s: %.*s\n", act_name[u->kind], (int)(n < 300 ? n : 300), p);
	finish(k, status >= 200 && status <= 299);
}

/* A text frame from the client, masked with a zero key. */
static int ws_send(struct user *u, const char *json)
{
	unsigned char f[512];
	size_t n = wl_ws_frame(f, sizeof(f), json);

	return n ? send_all(u->st.fd, (const char *)f, n) : -1;
}

static enum act pick(void)
{
	int r = (int)(rnd() % 100), i;

	for (i = 0; i < A_N - 1; i++) {
		if (r < act_share[i])
			return (enum act)i;
		r -= act_share[i];
	}
	return (enum act)(A_N - 1);
}

static int new_post(int channel, int author)
{
	if (W.nposts == W.posts_cap) {
		int c = W.posts_cap ? W.posts_cap * 2 : 65536;
		struct post *p = realloc(W.posts, (size_t)c * sizeof(*p));

		if (!p)
			return -1;
		W.posts = p;
		W.posts_cap = c;
	}
	memset(&W.posts[W.nposts], 0, sizeof(W.posts[0]));
	W.posts[W.nposts].channel = channel;
	W.posts[W.nposts].author = author;
	W.posts[W.nposts].sent = now_ms();
	{
		int i, e = 0;

		for (i = 0; i < W.nusers; i++)
			e += i != author && W.u[i].st_state == ST_READY && W.u[i].active &&
			     (W.u[i].ch[0] == channel || W.u[i].ch[1] == channel);
		W.posts[W.nposts].expected = e;
	}
	return W.nposts++;
}

static void send_request(int k)
{
	struct user *u = &W.u[k];

	if (u->ac.fd < 0) {
		if ((u->ac.fd = dial(k)) < 0) {
			finish(k, 0);
			return;
		}
		watch(u->ac.fd, k * 2 + 1);
	}
	u->ac.len = 0;
	if (send_all(u->ac.fd, u->req, (size_t)u->req_len) != 0) {
		conn_close(&u->ac);
		if (u->reused) {
			u->reused = 0;
			send_request(k);
			return;
		}
		finish(k, 0);
	}
}

static void start_action(int k)
{
	struct user *u = &W.u[k];
	int c = (int)(rnd() % 2), ch = u->ch[c], n, b = 0;
	char *req = u->req, body[512], path[256], frame[256];
	const char *method = "GET";
	long long mid = u->seen[c];

	u->kind = pick();
	u->post_idx = -1;
	if ((u->kind == A_REACT || u->kind == A_MARK) && mid <= 0)
		u->kind = A_READ;   /* nothing seen yet in that channel */
	u->started = now_ms();
	u->busy = 1;
	if (u->ws && (u->kind == A_TYPING || u->kind == A_MARK) && u->st_state == ST_READY) {
		static int ref;

		u->ws_ref = ++ref;
		if (u->kind == A_TYPING)
			snprintf(frame, sizeof(frame), "{\"type\":\"typing\",\"channel_id\":%d,\"ref\":%d}", ch,
				 u->ws_ref);
		else
			snprintf(frame, sizeof(frame),
				 "{\"type\":\"read\",\"channel_id\":%d,\"message_id\":%lld,\"ref\":%d}", ch, mid,
				 u->ws_ref);
		if (ws_send(u, frame) != 0)
			finish(k, 0);
		return;
	}
	switch (u->kind) {
	case A_READ:
		snprintf(path, sizeof(path), "/api/v1/channels/%d/messages?limit=50", ch);
		break;
	case A_POST:
		method = "POST";
		u->post_idx = new_post(ch, k);
		snprintf(path, sizeof(path), "/api/v1/channels/%d/messages", ch);
		b = snprintf(body, sizeof(body), "{\"body\":\"wl-%d %s and %s, see **%s**\"}", u->post_idx,
			     W.words[rnd() % (unsigned)W.nwords], W.words[rnd() % (unsigned)W.nwords],
			     W.words[rnd() % (unsigned)W.nwords]);
		break;
	case A_REACT:
		method = "PUT";
		snprintf(path, sizeof(path), "/api/v1/channels/%d/messages/%lld/reactions/%s", ch, mid,
			 (const char *[]){ "%F0%9F%91%8D", "%F0%9F%8E%89", "%F0%9F%91%80" }[rnd() % 3]);
		break;
	case A_SEARCH:
		if (rnd() % 2)
			snprintf(path, sizeof(path), "/api/v1/search?limit=20&q=%s",
				 W.words[rnd() % (unsigned)W.nwords]);
		else
			snprintf(path, sizeof(path), "/api/v1/channels/%d/messages/search?limit=20&q=%s+%s", ch,
				 W.words[rnd() % (unsigned)W.nwords], W.words[rnd() % (unsigned)W.nwords]);
		break;
	case A_MARK:
		method = "PUT";
		snprintf(path, sizeof(path), "/api/v1/channels/%d/read-marker", ch);
		b = snprintf(body, sizeof(body), "{\"message_id\":%lld}", mid);
		break;
	default:
		method = "POST";
		snprintf(path, sizeof(path), "/api/v1/channels/%d/typing", ch);
		b = snprintf(body, sizeof(body), "{}");
		break;
	}
	n = snprintf(req, sizeof(u->req),
		     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n%s"
		     "Content-Length: %d\r\n\r\n%s", method, path, W.host, W.port, u->token,
		     b ? "Content-Type: application/json\r\n" : "", b, b ? body : "");
	/* the server closes idle keep-alive connections (lighttpd: 5 s), as
	 * a browser finds them: dial again; the dial is part of the latency */
	if (u->ac.fd >= 0) {
		char probe;
		ssize_t g = recv(u->ac.fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);

		if (g == 0 || (g < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			conn_close(&u->ac);
	}
	u->req_len = n;
	u->reused = u->ac.fd >= 0;
	send_request(k);
}

static void action_readable(int k)
{
	struct user *u = &W.u[k];
	struct conn *c = &u->ac;
	int r = conn_read(c);
	size_t n;

	if (!u->busy || u->ws_ref) {  /* an idle connection closed */
		if (r != 0)
			conn_close(c);
		return;
	}
	n = wl_http_complete(c->buf, c->len, r != 0);
	if (!n) {
		if (r != 0) {
			int again = u->reused && c->len == 0;
			size_t got = c->len;

			conn_close(c);
			if (again) {  /* as a browser does when keep-alive lost the race */
				u->reused = 0;
				send_request(k);
				return;
			}
			if (W.errors < 5)
				fprintf(stderr, "%s: connection closed after %zu bytes\n", act_name[u->kind], got);
			finish(k, 0);
		}
		return;
	}
	{
		int ok = c->len >= 12 && c->buf[9] == '2';

		if (!ok && W.errors < 5)
			fprintf(stderr, "%s: %.*s\n", act_name[u->kind], (int)(n < 400 ? n : 400), c->buf);
		finish(k, ok);
	}
	if (r != 0 || memmem(c->buf, n, "Connection: close", 17))
		conn_close(c);
	else
		c->len = 0;
}

/* ---- the loop ---- */

static void run_for(double ms)
{
	double until = now_ms() + ms;
	struct epoll_event ev[512];

	for (;;) {
		double t = now_ms();
		int n, i;

		if (t >= until)
			return;
		n = epoll_wait(W.ep, ev, 512, 5);
		for (i = 0; i < n; i++) {
			int id = (int)ev[i].data.u32;

			if (id & 1)
				action_readable(id / 2);
			else
				stream_readable(id / 2);
		}
		t = now_ms();
		for (i = 0; i < W.nusers; i++) {
			struct user *u = &W.u[i];

			if (u->active && !u->busy && u->st_state == ST_READY && u->next_at <= t)
				start_action(i);
		}
	}
}

static void reset_stats(void)
{
	int i;

	for (i = 0; i < A_N; i++)
		W.act[i].n = 0;
	W.all.n = W.deliv.n = W.deliv_done.n = W.deliv_kind[0].n = W.deliv_kind[1].n = 0;
	W.errors = W.dupes = W.drops = 0;
}

static int count_ready(int users)
{
	int i, r = 0;

	for (i = 0; i < users; i++)
		r += W.u[i].st_state == ST_READY;
	return r;
}

/* Brings the number of active users to `users`, streams first. */
static int set_users(int users, int *have)
{
	int k;
	double t0 = now_ms();

	for (k = *have; k < users; k++) {
		W.u[k].active = 1;
		stream_open(k);
		W.u[k].next_at = 1e300;
		if (k % 100 == 99)
			run_for(50);  /* in batches, as people arrive */
	}
	for (k = users; k < *have; k++) {
		W.u[k].active = 0;
		conn_close(&W.u[k].st);
		conn_close(&W.u[k].ac);
		W.u[k].st_state = ST_NONE;
		W.u[k].busy = 0;
		W.u[k].ws_ref = 0;
	}
	while (count_ready(users) < users && now_ms() - t0 < 120000)
		run_for(100);
	for (k = *have; k < users; k++)
		W.u[k].next_at = now_ms() + think();  /* spread the first actions */
	*have = users;
	return count_ready(users) == users ? 0 : -1;
}

struct step_fig {
	int users;
	double p50, p99, msgs, cpu_per_k, client_cpu, kib_per_user, kib_no_shm, kib_per_user_delta, kib_slope, dp50, dp99;
	long missing, expected;
};

static void print_shares(const double *before, double secs)
{
	double total = wl_procs_cpu(W.g, W.ng);
	int i;

	for (i = 0; i < W.ng; i++)
		total -= before[i];
	printf("  server CPU by process over %.0f s (%.2f cores in all):", secs, total / secs);
	for (i = 0; i < W.ng; i++)
		printf(" %s %.0f%%", W.g[i].name, total > 0 ? 100.0 * (W.g[i].cpu - before[i]) / total : 0);
	printf("\n");
}

static int run_step(int users, int *have, long base_pss, struct step_fig *f, double p99_limit)
{
	double warm = atof(getenv("WL_WARM") ?: "10") * 1000, win = atof(getenv("WL_WINDOW") ?: "30") * 1000;
	double grace = atof(getenv("WL_GRACE") ?: "5") * 1000, t0, t1, cpu0, self0, before[WL_GROUPS], pss_avg, shm_avg = 0;
	int i, p0, p1;

	memset(f, 0, sizeof(*f));
	f->users = users;
	if (set_users(users, have) != 0) {
		printf("%5d users: streams did not all become ready (%d of %d)\n", users, count_ready(users), users);
		return -1;
	}
	run_for(warm);
	reset_stats();
	wl_procs_sample(W.g, W.ng);
	for (i = 0; i < W.ng; i++) {
		before[i] = W.g[i].cpu;
		W.g[i].pss_avg = W.g[i].shm_avg = 0;
	}
	cpu0 = wl_procs_cpu(W.g, W.ng);
	self0 = wl_procs_self_cpu();
	p0 = W.nposts;
	t0 = now_ms();
	{
		/* memory moves with the work in flight (and the servers give
		 * idle pages back): PSS is averaged over samples every 5 s */
		double pss_sum = 0;
		int samples = 0;

		while (now_ms() - t0 < win) {
			run_for(win - (now_ms() - t0) < 5000 ? win - (now_ms() - t0) : 5000);
			wl_procs_sample(W.g, W.ng);
			pss_sum += (double)wl_procs_pss(W.g, W.ng);
			for (i = 0; i < W.ng; i++) {
				W.g[i].pss_avg += (double)W.g[i].pss_kib;
				W.g[i].shm_avg += (double)W.g[i].shm_kib;
			}
			samples++;
		}
		pss_avg = pss_sum / samples;
		for (i = 0; i < W.ng; i++) {
			W.g[i].pss_avg /= samples;
			W.g[i].shm_avg /= samples;
			shm_avg += W.g[i].shm_avg;
		}
	}
	t1 = now_ms();
	p1 = W.nposts;
	f->cpu_per_k = (wl_procs_cpu(W.g, W.ng) - cpu0) / ((t1 - t0) / 1000) / (users / 1000.0);
	f->client_cpu = (wl_procs_self_cpu() - self0) / ((t1 - t0) / 1000);
	f->kib_per_user = pss_avg / users;
	f->kib_no_shm = (pss_avg - shm_avg) / users;
	f->kib_per_user_delta = (pss_avg - (double)base_pss) / users;
	if (!W.first_users) {
		W.first_users = users;
		W.first_pss = pss_avg;
	} else if (users > W.first_users) {
		f->kib_slope = (pss_avg - W.first_pss) / (users - W.first_users);
	}
	f->p50 = pct(&W.all, 0.5);
	f->p99 = pct(&W.all, 0.99);
	f->msgs = (p1 - p0) / ((t1 - t0) / 1000);
	{
		long actions = (long)W.all.n, errors = W.errors;
		double shares[WL_GROUPS];
		size_t nact[A_N];

		for (i = 0; i < A_N; i++)
			nact[i] = W.act[i].n;  /* the window's, not the grace's */

		memcpy(shares, before, sizeof(shares));
		run_for(grace);  /* the same load: deliveries of the last posts arrive */
		for (i = p0; i < p1; i++) {
			f->expected += W.posts[i].expected;
			if (W.posts[i].delivered < W.posts[i].expected)
				f->missing += W.posts[i].expected - W.posts[i].delivered;
		}
		f->dp50 = pct(&W.deliv, 0.5);
		f->dp99 = pct(&W.deliv, 0.99);
		printf("%5d users (%d WebSocket, %d SSE): %ld actions in %.0f s (%.0f/s), p50 %.1f ms, p99 %.1f ms,"
		       " max %.0f ms; %.1f messages/s; errors %ld, stream reconnects %ld, duplicates %ld; load average %s\n",
		       users, users * W.ws_share / 100, users - users * W.ws_share / 100, actions,
		       (t1 - t0) / 1000, actions / ((t1 - t0) / 1000), f->p50, f->p99, pct_n(&W.all, (size_t)actions, 1.0),
		       f->msgs, errors, W.drops, W.dupes, wl_procs_load());
		printf("  per action p50/p99 ms:");
		for (i = 0; i < A_N; i++)
			printf(" %s %.1f/%.1f (%zu)%s", act_name[i], pct_n(&W.act[i], nact[i], 0.5),
			       pct_n(&W.act[i], nact[i], 0.99), nact[i], i < A_N - 1 ? ";" : "\n");
		printf("  deliveries to other users' streams: %ld of %ld (missing %ld); from POST sent p50 %.1f ms,"
		       " p99 %.1f ms (SSE %.1f/%.1f, WebSocket %.1f/%.1f); after POST returned p50 %.1f ms, p99"
		       " %.1f ms\n", f->expected - f->missing, f->expected, f->missing, f->dp50, f->dp99,
		       pct(&W.deliv_kind[0], 0.5), pct(&W.deliv_kind[0], 0.99), pct(&W.deliv_kind[1], 0.5),
		       pct(&W.deliv_kind[1], 0.99), pct(&W.deliv_done, 0.5), pct(&W.deliv_done, 0.99));
		printf("  server CPU %.2f cores per 1,000 users (client %.2f cores); memory (PSS) per connected user:"
		       " %.1f KiB in all (%.1f KiB without shared memory), %.1f KiB above the idle server, %.1f KiB"
		       " per user added since the first step;", f->cpu_per_k, f->client_cpu, f->kib_per_user,
		       f->kib_no_shm, f->kib_per_user_delta, f->kib_slope);
		for (i = 0; i < W.ng; i++)
			printf(" %s %.1f MiB (%d process%s, %.1f MiB shared memory)", W.g[i].name,
			       W.g[i].pss_avg / 1024.0, W.g[i].nproc, W.g[i].nproc == 1 ? "" : "es",
			       W.g[i].shm_avg / 1024.0);
		printf("\n");
		wl_procs_sample(W.g, W.ng);
		print_shares(shares, (now_ms() - t0) / 1000);
		fflush(stdout);
		return (f->p99 <= p99_limit && f->missing == 0 && errors * 100 <= actions) ? 0 : 1;
	}
}

static void hold(int users, int *have)
{
	const char *cmd = getenv("WL_PROFILE");
	double secs = atof(getenv("WL_HOLD") ?: "15"), before[WL_GROUPS], t0;
	pid_t pid = -1;
	int i;

	set_users(users, have);
	run_for(3000);
	wl_procs_sample(W.g, W.ng);
	for (i = 0; i < W.ng; i++)
		before[i] = W.g[i].cpu;
	printf("hold at %d users for %.0f s%s\n", users, secs, cmd ? " (profile)" : "");
	fflush(stdout);
	if (cmd)
		setenv("WL_PIDS", wl_procs_pids(W.g, W.ng), 1);
	if (cmd && (pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	t0 = now_ms();
	run_for(secs * 1000);
	while (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0)
		run_for(200);
	wl_procs_sample(W.g, W.ng);
	print_shares(before, (now_ms() - t0) / 1000);
}

static int load_users(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int cap = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct user *u;

		if (W.nusers == cap) {
			cap = cap ? cap * 2 : 1024;
			W.u = realloc(W.u, (size_t)cap * sizeof(*W.u));
			if (!W.u)
				return -1;
		}
		u = &W.u[W.nusers];
		memset(u, 0, sizeof(*u));
		if (sscanf(line, "%95s %d %d", u->token, &u->ch[0], &u->ch[1]) != 3)
			continue;
		u->st.fd = u->ac.fd = -1;
		W.nusers++;
	}
	fclose(f);
	return W.nusers;
}

static int load_words(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[128];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n ")] = '\0';
		if (!line[0] || strspn(line, "abcdefghijklmnopqrstuvwxyz") != strlen(line))
			continue;
		W.words = realloc(W.words, (size_t)(W.nwords + 1) * sizeof(char *));
		if (!W.words)
			return -1;
		W.words[W.nwords++] = strdup(line);
	}
	fclose(f);
	return W.nwords;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct step_fig f, best = { 0 };
	int steps[64], nsteps = 0, i, have = 0, sustained = 0, failed = 0;
	double p99_limit = atof(getenv("WL_P99_MS") ?: "200");
	long base_pss;
	char *s, *save = NULL;

	if (argc < 7) {
		fprintf(stderr, "usage: workload HOST PORT USERS_FILE WORDS_FILE STEPS PIDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	W.host = argv[1];
	W.port = atoi(argv[2]);
	W.rnd = 2463534242u;
	W.think_ms = atof(getenv("WL_THINK_MS") ?: "10000");
	W.ws_share = atoi(getenv("WL_WS_SHARE") ?: "50");
	W.drop_pct = atoi(getenv("WL_DROP_DELIVERIES") ?: "0");
	if (load_users(argv[3]) < 1 || load_words(argv[4]) < 1)
		return 2;
	/* every k-th user on WebSocket, so each step has the same share */
	for (i = 0; i < W.nusers; i++)
		W.u[i].ws = (i * W.ws_share) / 100 != ((i + 1) * W.ws_share) / 100;
	for (s = strtok_r(argv[5], ",", &save); s && nsteps < 64; s = strtok_r(NULL, ",", &save))
		if (atoi(s) > 0 && atoi(s) <= W.nusers)
			steps[nsteps++] = atoi(s);
	W.ng = wl_procs_parse(argv[6], W.g, WL_GROUPS);
	if ((W.ep = epoll_create1(0)) < 0 || !nsteps)
		return 2;
	wl_procs_sample(W.g, W.ng);
	base_pss = wl_procs_pss(W.g, W.ng);
	printf("idle server before any user: PSS %.1f MiB in all; mix:", base_pss / 1024.0);
	for (i = 0; i < A_N; i++)
		printf(" %s %d%%", act_name[i], act_share[i]);
	printf("; think time exponential, mean %.1f s; %d%% of users on WebSocket; p99 limit %.0f ms\n",
	       W.think_ms / 1000, W.ws_share, p99_limit);
	for (i = 0; i < nsteps && !failed; i++) {
		int r = run_step(steps[i], &have, base_pss, &f, p99_limit);

		if (r == 0) {
			sustained = steps[i];
			best = f;
		} else {
			failed = 1;
		}
	}
	/* the profile is taken at the highest step that passed, or at the
	 * first when none did (the hold says which) */
	if (getenv("WL_HOLD") && atof(getenv("WL_HOLD")) > 0)
		hold(sustained ? sustained : steps[0], &have);
	printf("RESULT users sustained %d (p99 of actions <= %.0f ms, every delivery, errors <= 1%%)%s\n",
	       sustained, p99_limit, failed ? "" : "; the last step passed: add steps to find the limit");
	if (sustained)
		printf("RESULT at %d users: %.1f messages/s; p99 of actions %.1f ms; server CPU %.2f cores per 1,000"
		       " users; memory (PSS, all server processes) per connected user %.1f KiB in all, %.1f KiB"
		       " without shared memory (PostgreSQL's shared_buffers), %.1f KiB above the idle server, %.1f"
		       " KiB per user added after the first step; delivery to the other members' streams p50 %.1f"
		       " ms, p99 %.1f ms (from POST sent); load average %s\n",
		       best.users, best.msgs, best.p99, best.cpu_per_k, best.kib_per_user, best.kib_no_shm,
		       best.kib_per_user_delta, best.kib_slope, best.dp50, best.dp99, wl_procs_load());
	return sustained ? 0 : 1;
}
