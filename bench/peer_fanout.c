/* peer_fanout.c: one room, N members, the same measurement against two
 * servers (bench/peer-bench.sh): an XMPP multi-user chat room (ejabberd)
 * and a PlexiChat channel with one SSE stream per member. One client for
 * both, in C, so that neither side is measured through a slower client and
 * the client's own cost (it shares the machine) is the same for both.
 *
 *   peer_fanout xmpp HOST PORT ROOM_JID USER_PREFIX:PASSWORD@DOMAIN SUBS PIDS PHASE...
 *   peer_fanout sse  HOST PORT CHANNEL_ID TOKENS_FILE               SUBS PIDS PHASE...
 *   peer_fanout ws   (as sse: one WebSocket per member, GET /api/v1/events/ws)
 *
 * Member k is user USER_PREFIXk (nick nk), or the k-th token of the file.
 * PIDS ("1,2" or "-"): processes whose RSS is read before the members
 * connect and once all are in, for the memory per connected member.
 * PHASE is one of
 *   rate:R:N  N messages at R a second, sent on schedule whatever the
 *             server's pace (open loop); latency counts from the schedule
 *   sat:S:T   S senders for T seconds, each sending its next message as
 *             soon as the previous one was accepted (closed loop)
 * A message is accepted when the server says so: PlexiChat answers the
 * POST with 201 once the message is committed; ejabberd has no answer to a
 * groupchat message, and its sender's own copy from the room (sent after
 * the room archived it, in the same broadcast as everyone's) stands for it.
 * Delivery latency: from the send (rate: its scheduled time) to the arrival
 * of the message at each member, senders included. Every body is
 * "pxpeer SEQ"; arrivals are counted once per member and message.
 * Each phase prints a line "RESULT proto phase key=value..." for the script.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_frame.h"

#define MAX_MSGS 400000
#define MAX_SENDERS 64
#define HIST_US 100              /* histogram bucket: 0.1 ms */
#define HIST_N 600000            /* up to 60 s */
#define TAG "pxpeer "

enum state { X_FEAT1, X_AUTH, X_FEAT2, X_BIND, X_JOIN, S_HEAD, S_WAIT, READY, H_IDLE, H_BUSY };

struct conn {
	int fd;
	enum state st;
	char *buf;
	size_t len, cap;
	long long inflight;      /* sender: the message awaiting acceptance, -1 none */
};

struct run {
	int xmpp, ws;            /* the protocol: XMPP, WebSocket, else SSE */
	const char *host, *target, *cred;
	int port, subs, nsend;   /* members; HTTP sender connections open */
	struct conn *c;          /* subs members, then (SSE) MAX_SENDERS senders */
	char **tokens;
	char user[64], pass[64], domain[128];
	int ep;
	double *sent;            /* per message: when sent (or scheduled) */
	int *got;                /* per message: members that have it */
	short *by;               /* per message: its sender */
	unsigned char *seen;     /* MAX_MSGS x subs bits */
	long long next;          /* next message number */
	/* the current phase */
	long long first, accepted;
	int closed_loop, active; /* closed loop: senders 0..active-1 keep sending */
	long long pending[MAX_SENDERS * 4];
	int npending;
	uint32_t *hist;
	long long deliveries;
	long long errors;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static int dial(const struct run *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r->port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, r->host, &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Writes all of p on a non-blocking socket (waiting while it is full). */
static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			poll(&pf, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_str(struct conn *c, const char *s)
{
	return send_all(c->fd, s, strlen(s));
}

static void b64(const unsigned char *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3, out += 4) {
		out[0] = t[in[i] >> 2];
		out[1] = t[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[2] = t[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[3] = t[in[i + 2] & 63];
	}
	if (n - i == 1) {
		out[0] = t[in[i] >> 2];
		out[1] = t[(in[i] & 3) << 4];
		out[2] = out[3] = '=';
		out += 4;
	} else if (n - i == 2) {
		out[0] = t[in[i] >> 2];
		out[1] = t[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[2] = t[(in[i + 1] & 15) << 2];
		out[3] = '=';
		out += 4;
	}
	*out = '\0';
}

static int xmpp_header(struct run *r, struct conn *c)
{
	char h[512];

	snprintf(h, sizeof(h), "<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
		 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", r->domain);
	return send_str(c, h);
}

/* Opens member k: the XMPP stream header, or the SSE request. */
static int member_open(struct run *r, int k)
{
	struct conn *c = &r->c[k];
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)k };
	char req[1024];

	if ((c->fd = dial(r)) < 0)
		return -1;
	c->inflight = -1;
	if (r->xmpp) {
		c->st = X_FEAT1;
		if (xmpp_header(r, c) != 0)
			return -1;
	} else if (r->ws) {
		c->st = S_HEAD;
		snprintf(req, sizeof(req), "GET /api/v1/events/ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
			 r->host, r->port, r->tokens[k]);
		if (send_str(c, req) != 0)
			return -1;
	} else {
		c->st = S_HEAD;
		snprintf(req, sizeof(req), "GET /api/v1/events HTTP/1.0\r\nHost: %s:%d\r\n"
			 "Accept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n",
			 r->host, r->port, r->tokens[k]);
		if (send_str(c, req) != 0)
			return -1;
	}
	return epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &e);
}

static void drop(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static void record(struct run *r, int k, long long seq);

/* Finds "pxpeer SEQ" followed by a delimiter; keeps what may be the start
 * of an unfinished one. A message seen twice on a socket (SSE carries the
 * body and its HTML) counts once. */
static size_t scan_at(struct run *r, int k, const char *buf, size_t len)
{
	size_t off = 0, keep = len > sizeof(TAG) ? len - sizeof(TAG) : 0;
	const char *p;

	while ((p = memmem(buf + off, len - off, TAG, sizeof(TAG) - 1))) {
		const char *d = p + sizeof(TAG) - 1, *end = buf + len;
		long long seq = 0;

		while (d < end && *d >= '0' && *d <= '9')
			seq = seq * 10 + (*d++ - '0');
		if (d == end) {
			keep = (size_t)(p - buf);
			break;
		}
		record(r, k, seq);
		off = (size_t)(d - buf);
		keep = off > keep ? off : keep;
	}
	return keep;
}

static void scan(struct run *r, int k)
{
	drop(&r->c[k], scan_at(r, k, r->c[k].buf, r->c[k].len));
}

static int has(const struct conn *c, const char *s)
{
	return memmem(c->buf, c->len, s, strlen(s)) != NULL;
}

/* The XMPP log-in and room join, one step per answer. -1: failed. */
static int xmpp_step(struct run *r, int k)
{
	struct conn *c = &r->c[k];
	char s[512], plain[256], enc[400];
	int n;

	switch (c->st) {
	case X_FEAT1:
		if (!has(c, "</stream:features>"))
			return 0;
		n = snprintf(plain, sizeof(plain), "%c%s%d%c%s", 0, r->user, k, 0, r->pass);
		b64((unsigned char *)plain, (size_t)n, enc);
		snprintf(s, sizeof(s), "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>", enc);
		c->st = X_AUTH;
		c->len = 0;
		return send_str(c, s);
	case X_AUTH:
		if (has(c, "<failure"))
			return -1;
		if (!has(c, "<success"))
			return 0;
		c->st = X_FEAT2;
		c->len = 0;
		return xmpp_header(r, c);
	case X_FEAT2:
		if (!has(c, "</stream:features>"))
			return 0;
		c->st = X_BIND;
		c->len = 0;
		return send_str(c, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
				"<resource>bench</resource></bind></iq>");
	case X_BIND:
		if (!has(c, "</iq>"))
			return 0;
		c->st = X_JOIN;
		c->len = 0;
		snprintf(s, sizeof(s), "<presence to='%s/n%d'><x xmlns='http://jabber.org/protocol/muc'>"
			 "<history maxstanzas='0'/></x></presence>", r->target, k);
		return send_str(c, s);
	case X_JOIN:
		if (has(c, "<presence type='error'"))
			return -1;
		if (!has(c, "code='110'"))
			return 0;
		c->st = READY;
		c->len = 0;
		return 0;
	default:
		scan(r, k);
		return 0;
	}
}

static int sse_step(struct run *r, int k)
{
	struct conn *c = &r->c[k];
	char *end;

	if (c->st == S_HEAD) {
		if (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
			return 0;
		if (c->len < 12 || memcmp(c->buf + 9, "200", 3) != 0)
			return -1;
		drop(c, (size_t)(end + 4 - c->buf));
		c->st = S_WAIT;
	}
	/* the hub's ": waiting" says the stream has caught up and is held */
	if (c->st == S_WAIT && has(c, ": waiting"))
		c->st = READY;
	scan(r, k);
	return 0;
}

/* WebSocket: the 101, then whole frames; plexichat-ws's {"type":"ready"}
 * says the socket has caught up. Pings are answered. */
static int ws_step(struct run *r, int k)
{
	struct conn *c = &r->c[k];
	size_t off = 0, h, n;
	char *end;
	int op;

	if (c->st == S_HEAD) {
		if (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
			return 0;
		if (c->len < 12 || memcmp(c->buf + 9, "101", 3) != 0)
			return -1;
		drop(c, (size_t)(end + 4 - c->buf));
		c->st = S_WAIT;
	}
	while (ws_frame_next((unsigned char *)c->buf + off, c->len - off, &h, &n, &op)) {
		const char *p = c->buf + off + h;

		if (op == 0x1) {
			if (c->st == S_WAIT && memmem(p, n, "\"type\":\"ready\"", 14))
				c->st = READY;
			scan_at(r, k, p, n);
		} else if (op == 0x9 && n <= 125) {
			unsigned char pong[6 + 125];

			send_all(c->fd, (const char *)pong, ws_frame_pong((const unsigned char *)p, n, pong));
		} else if (op == 0x8) {
			return -1;
		}
		off += h + n;
	}
	drop(c, off);
	return 0;
}

static struct conn *sender(struct run *r, int i)
{
	return r->xmpp ? &r->c[i] : &r->c[r->subs + i];
}

/* Sends message seq on sender i. */
static int send_msg(struct run *r, int i, long long seq)
{
	struct conn *c = sender(r, i);
	char body[64], req[1024];
	int b;

	c->inflight = seq;
	r->by[seq] = (short)i;
	if (r->xmpp) {
		snprintf(req, sizeof(req), "<message to='%s' type='groupchat' id='m%lld'><body>" TAG "%lld</body></message>",
			 r->target, seq, seq);
		return send_str(c, req);
	}
	c->st = H_BUSY;
	b = snprintf(body, sizeof(body), "{\"body\":\"" TAG "%lld\"}", seq);
	snprintf(req, sizeof(req), "POST /api/v1/channels/%s/messages HTTP/1.1\r\nHost: %s:%d\r\n"
		 "Authorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		 r->target, r->host, r->port, r->tokens[i % r->subs], b, body);
	return send_str(c, req);
}

/* The next message of a closed-loop sender, once its last was accepted. */
static void accepted(struct run *r, int i)
{
	sender(r, i)->inflight = -1;
	r->accepted++;
	if (r->closed_loop && i < r->active && r->next < MAX_MSGS - 1) {
		long long seq = r->next++;

		r->sent[seq] = now_ms();
		if (send_msg(r, i, seq) != 0)
			r->errors++;
	}
}

static void record(struct run *r, int k, long long seq)
{
	size_t bit;
	double d;
	long long b;

	if (seq < r->first || seq >= r->next)
		return;
	bit = (size_t)seq * (size_t)r->subs + (size_t)k;
	if (r->seen[bit / 8] & (1u << (bit % 8)))
		return;
	r->seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
	r->got[seq]++;
	r->deliveries++;
	d = now_ms() - r->sent[seq];
	b = (long long)(d * 1000.0 / HIST_US);
	r->hist[b < 0 ? 0 : b >= HIST_N ? HIST_N - 1 : b]++;
	/* an XMPP sender's own copy: the room has taken the message */
	if (r->xmpp && r->by[seq] == k)
		accepted(r, k);
}

/* An HTTP sender's answer: the status, and the end of the response (its
 * Content-Length, or the last chunk). */
static int http_step(struct run *r, int i)
{
	struct conn *c = sender(r, i);
	char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
	size_t head, total;

	if (c->st != H_BUSY || !end)
		return 0;
	head = (size_t)(end + 4 - c->buf);
	end[2] = '\0';
	cl = strcasestr(c->buf, "\ncontent-length:");
	end[2] = '\r';
	if (cl) {
		total = head + (size_t)strtoul(cl + 16, NULL, 10);
		if (c->len < total)
			return 0;
	} else {
		char *z = memmem(c->buf + head, c->len - head, "\r\n0\r\n\r\n", 7);

		if (!z)
			return 0;
		total = (size_t)(z + 7 - c->buf);
	}
	if (c->len < 12 || memcmp(c->buf + 9, "201", 3) != 0) {
		if (r->errors++ == 0)
			fprintf(stderr, "POST refused: %.*s\n", (int)(c->len < 300 ? c->len : 300), c->buf);
		return -1;
	}
	drop(c, total);
	c->st = H_IDLE;
	accepted(r, i);
	return 0;
}

static int readable(struct run *r, int k)
{
	struct conn *c = &r->c[k];
	int closed = 0, rc;

	for (;;) {
		ssize_t got;

		if (c->cap - c->len < 16384) {
			char *p = realloc(c->buf, c->cap + 65536);

			if (!p)
				return -1;
			c->buf = p;
			c->cap += 65536;
		}
		got = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (got > 0) {
			c->len += (size_t)got;
			continue;
		}
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		closed = 1;
		break;
	}
	/* what came before a close is read first (an answer, then the close) */
	if (k >= r->subs)
		rc = http_step(r, k - r->subs);
	else
		rc = r->xmpp ? xmpp_step(r, k) : r->ws ? ws_step(r, k) : sse_step(r, k);
	return closed ? -1 : rc;
}

/* An HTTP sender whose connection the server closed: a new one. A request
 * that had no answer at all is sent again on it, as browsers do: the web
 * server may close an idle keep-alive connection just as a request leaves
 * (a message seen twice by a member still counts once). */
static int sender_reopen(struct run *r, int k)
{
	struct conn *c = &r->c[k];
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)k };
	long long seq = c->inflight;
	int resend = seq >= 0 && c->len == 0;

	if (seq >= 0 && !resend)
		r->errors++;
	c->len = 0;
	c->inflight = -1;
	if ((c->fd = dial(r)) < 0 || epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
		return -1;
	c->st = H_IDLE;
	if (resend)
		return send_msg(r, k - r->subs, seq);
	return 0;
}

/* Runs the loop for at most ms; returns early when done() says so. */
static void pump(struct run *r, double ms, int (*done)(struct run *))
{
	struct epoll_event ev[256];
	double until = now_ms() + ms;

	while (now_ms() < until && !(done && done(r))) {
		int n = epoll_wait(r->ep, ev, 256, 1), i;

		for (i = 0; i < n; i++) {
			int k = (int)ev[i].data.u32;

			if (readable(r, k) != 0) {
				if (k < r->subs && r->c[k].st != READY && r->errors < 5)
					fprintf(stderr, "member %d failed in state %d: %.*s\n", k, r->c[k].st,
						(int)(r->c[k].len < 300 ? r->c[k].len : 300), r->c[k].buf);
				epoll_ctl(r->ep, EPOLL_CTL_DEL, r->c[k].fd, NULL);
				close(r->c[k].fd);
				r->c[k].fd = -1;
				if (k >= r->subs && sender_reopen(r, k) == 0)
					continue;
				r->c[k].st = X_FEAT1;
				r->errors++;
			}
		}
	}
}

static int all_ready(struct run *r)
{
	int k;

	for (k = 0; k < r->subs; k++)
		if (r->c[k].st != READY)
			return 0;
	return 1;
}

static int all_delivered(struct run *r)
{
	long long s;

	for (s = r->first; s < r->next; s++)
		if (r->got[s] < r->subs)
			return 0;
	return 1;
}

/* HTTP senders 0..n-1 open (keep-alive connections to the web server). */
static int senders_open(struct run *r, int n)
{
	for (; !r->xmpp && r->nsend < n; r->nsend++) {
		struct conn *c = &r->c[r->subs + r->nsend];
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)(r->subs + r->nsend) };

		if ((c->fd = dial(r)) < 0 || epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
			return -1;
		c->st = H_IDLE;
		c->inflight = -1;
	}
	if (r->xmpp && n > r->nsend)
		r->nsend = n;
	return 0;
}

static long rss_kib(const char *pids)
{
	char list[512], *save = NULL, *p, path[64], line[256];
	long total = 0;

	snprintf(list, sizeof(list), "%s", pids);
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/status", p);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "VmRSS:", 6) == 0)
				total += atol(line + 6);
		fclose(f);
	}
	return total;
}

static double hist_pct(const struct run *r, double p)
{
	long long want = (long long)((double)(r->deliveries - 1) * p), seen = 0;
	int b;

	for (b = 0; b < HIST_N; b++) {
		seen += r->hist[b];
		if (seen > want)
			return (b + 0.5) * HIST_US / 1000.0;
	}
	return HIST_N * HIST_US / 1000.0;
}

static void phase_start(struct run *r)
{
	r->first = r->next;
	r->accepted = 0;
	r->deliveries = 0;
	r->npending = 0;
	memset(r->hist, 0, HIST_N * sizeof(*r->hist));
}

/* Waits (up to 30 s) for the phase's messages to reach every member. */
static void phase_end(struct run *r, const char *name, double secs)
{
	long long msgs = r->next - r->first, want = msgs * r->subs;
	double t0 = now_ms();

	r->active = 0;
	pump(r, 30000, all_delivered);
	printf("RESULT %s %s msgs=%lld secs=%.2f sent_per_s=%.1f accepted_per_s=%.1f deliveries=%lld missing=%lld "
	       "drain_ms=%.0f p50=%.1f p99=%.1f max=%.1f errors=%lld load=",
	       r->xmpp ? "xmpp" : r->ws ? "ws" : "sse", name, msgs, secs, (double)msgs / secs, (double)r->accepted / secs,
	       r->deliveries, want - r->deliveries, now_ms() - t0,
	       r->deliveries ? hist_pct(r, 0.50) : 0, r->deliveries ? hist_pct(r, 0.99) : 0,
	       r->deliveries ? hist_pct(r, 1.0) : 0, r->errors);
	{
		FILE *f = fopen("/proc/loadavg", "r");
		char l[64] = "?";

		if (f && fgets(l, sizeof(l), f))
			l[strcspn(l, " ")] = '\0';
		if (f)
			fclose(f);
		printf("%s\n", l);
	}
	fflush(stdout);
}

/* rate:R:N: open loop, one sender (XMPP: member 0; HTTP: the first idle of
 * up to MAX_SENDERS connections, as many as the server's pace needs). */
static void phase_rate(struct run *r, double rate, long long n)
{
	double t0 = now_ms(), due;
	long long i = 0;
	int s;

	if (senders_open(r, r->xmpp ? 1 : 4) != 0)
		return;
	phase_start(r);
	r->closed_loop = 0;
	while (i < n || r->npending) {
		due = t0 + (double)i * 1000.0 / rate;
		if (i < n && now_ms() >= due) {
			r->sent[r->next] = due;
			r->pending[r->npending++] = r->next++;
			i++;
		}
		for (s = 0; r->npending && s < r->nsend; s++) {
			if (r->xmpp ? 0 : sender(r, s)->st != H_IDLE)
				continue;
			if (send_msg(r, s, r->pending[0]) != 0)
				r->errors++;
			memmove(r->pending, r->pending + 1, (size_t)--r->npending * sizeof(r->pending[0]));
		}
		if (r->npending && !r->xmpp && r->nsend < MAX_SENDERS)
			senders_open(r, r->nsend + 1);
		if (r->npending >= (int)(sizeof(r->pending) / sizeof(r->pending[0])) - 1)
			break;
		pump(r, i < n ? due + 1000.0 / rate - now_ms() : 1, NULL);
	}
	{
		char name[64];

		snprintf(name, sizeof(name), "rate%.0f", rate);
		phase_end(r, name, (now_ms() - t0) / 1000.0);
	}
}

/* sat:S:T: S closed-loop senders for T seconds. */
static void phase_sat(struct run *r, int s, double secs)
{
	double t0;
	int i;
	char name[64];

	if (s > MAX_SENDERS || s > r->subs || senders_open(r, s) != 0)
		return;
	phase_start(r);
	r->closed_loop = 1;
	r->active = s;
	t0 = now_ms();
	for (i = 0; i < s; i++) {
		long long seq = r->next++;

		r->sent[seq] = t0;
		if (send_msg(r, i, seq) != 0)
			r->errors++;
	}
	pump(r, secs * 1000.0, NULL);
	secs = (now_ms() - t0) / 1000.0;
	snprintf(name, sizeof(name), "sat%d", s);
	phase_end(r, name, secs);
}

static int load_tokens(struct run *r, const char *file)
{
	char line[256];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (!f)
		return -1;
	if (!(r->tokens = calloc((size_t)r->subs, sizeof(char *)))) {
		fclose(f);
		return -1;
	}
	while (n < r->subs && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			r->tokens[n++] = strdup(line);
	}
	fclose(f);
	return n == r->subs ? 0 : -1;
}

static void run_free(struct run *r)
{
	int k;

	for (k = 0; r->c && k < r->subs + MAX_SENDERS; k++) {
		if (r->c[k].fd > 0)
			close(r->c[k].fd);
		free(r->c[k].buf);
	}
	for (k = 0; r->tokens && k < r->subs; k++)
		free(r->tokens[k]);
	free(r->tokens);
	free(r->c);
	free(r->sent);
	free(r->got);
	free(r->by);
	free(r->seen);
	free(r->hist);
	if (r->ep >= 0)
		close(r->ep);
}

/* Connects every member and prints the memory they took. */
static int run_members(struct run *r, const char *pids)
{
	long before = rss_kib(pids), during;
	double t0 = now_ms();
	int k;

	for (k = 0; k < r->subs; k++) {
		if (member_open(r, k) != 0) {
			fprintf(stderr, "member %d: %s\n", k, strerror(errno));
			return -1;
		}
		/* in batches, as a population of clients would arrive */
		if (k % 100 == 99)
			pump(r, 100, NULL);
	}
	pump(r, 120000, all_ready);
	if (!all_ready(r)) {
		fprintf(stderr, "not every member is in after 120 s\n");
		return -1;
	}
	pump(r, 1000, NULL);
	during = rss_kib(pids);
	printf("RESULT %s members n=%d connect_s=%.1f rss_before_kib=%ld rss_kib=%ld kib_per_member=%.1f\n",
	       r->xmpp ? "xmpp" : r->ws ? "ws" : "sse", r->subs, (now_ms() - t0) / 1000.0, before, during,
	       (double)(during - before) / r->subs);
	fflush(stdout);
	return 0;
}

static void run_phases(struct run *r, int n, char **phase)
{
	int a;

	for (a = 0; a < n && r->next < MAX_MSGS - 100000; a++) {
		double x;
		long long y;

		if (sscanf(phase[a], "rate:%lf:%lld", &x, &y) == 2 && x > 0 && y > 0 &&
		    r->next + y < MAX_MSGS)
			phase_rate(r, x, y);
		else if (sscanf(phase[a], "sat:%lld:%lf", &y, &x) == 2 && y > 0 && x > 0)
			phase_sat(r, (int)y, x);
		else
			fprintf(stderr, "phase %s: not understood\n", phase[a]);
	}
}

int main(int argc, char **argv)
{
	struct run r = { .ep = -1 };
	int rc = 2;

	if (argc < 9) {
		fprintf(stderr, "usage: peer_fanout xmpp|sse|ws HOST PORT TARGET CRED SUBS PIDS PHASE...\n");
		return 2;
	}
	r.xmpp = strcmp(argv[1], "xmpp") == 0;
	r.ws = strcmp(argv[1], "ws") == 0;
	r.host = argv[2];
	r.port = atoi(argv[3]);
	r.target = argv[4];
	r.cred = argv[5];
	r.subs = atoi(argv[6]);
	if (r.subs < 1)
		goto out;
	if (r.xmpp) {
		if (sscanf(r.cred, "%63[^:]:%63[^@]@%127s", r.user, r.pass, r.domain) != 3)
			goto out;
	} else if (load_tokens(&r, r.cred) != 0) {
		fprintf(stderr, "need %d tokens in %s\n", r.subs, r.cred);
		goto out;
	}
	rc = 1;
	r.c = calloc((size_t)r.subs + MAX_SENDERS, sizeof(*r.c));
	r.sent = calloc(MAX_MSGS, sizeof(*r.sent));
	r.got = calloc(MAX_MSGS, sizeof(*r.got));
	r.by = calloc(MAX_MSGS, sizeof(*r.by));
	r.seen = calloc((size_t)MAX_MSGS * (size_t)r.subs / 8 + 1, 1);
	r.hist = calloc(HIST_N, sizeof(*r.hist));
	r.ep = epoll_create1(0);
	if (!r.c || !r.sent || !r.got || !r.by || !r.seen || !r.hist || r.ep < 0)
		goto out;
	if (run_members(&r, argv[7]) != 0)
		goto out;
	run_phases(&r, argc - 8, argv + 8);
	rc = r.errors ? 1 : 0;
out:
	run_free(&r);
	return rc;
}
