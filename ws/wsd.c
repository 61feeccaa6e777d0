/* wsd.c: plexichat-ws's connections and event fan-out (ws/wsd.h).
 *
 * Invariants: one thread touches everything; every socket is in the list
 * `conns` from accept to its end; an open (upgraded) one's cursor says that every event up to it
 * was dealt with. A connection that is catching up (`behind`) reads the
 * log itself, a batch whenever its send queue has room, and is not
 * offered live events until it reached the log's head; from then on live
 * events (read once per batch for everyone) reach it in id order. A send
 * queue over ws_send_queue_kib closes its connection with 4001: a slow
 * reader costs memory up to that bound and never delays anyone else.
 * Auth notices are applied before the events fetched with them are
 * offered (as the FastCGI hub does), so no event reaches a socket whose
 * credentials were revoked before the event committed. */
#include "ws/wsd.h"
#include "fcgi/events_ws.h"
#include "fcgi/pipeline.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/err.h"
#include "core/gen.h"
#include "core/http.h"
#include "core/log.h"
#include "core/memtrim.h"
#include "core/wsproto.h"
#include "auth/perm.h"
#include "handlers/events.h"
#include "model/channels.h"
#include "model/events.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD 65536          /* an upgrade request's head */
#define HEAD_MS 30000           /* time to send it */
#define CLOSE_MS 3000           /* time for a closing socket to drain */
#define SLOW_CLOSE_MS 60000     /* ... a slow reader's: its close frame waits
				 * behind what the kernels already hold */
#define FETCH_BATCH 500
#define CATCH_UP_BATCH 200
#define LEASE_MS 30000
#define MEMBERS_MS 1000
#define SAFETY_FETCH_MS 5000
#define PRUNE_MS (3600 * 1000)

/* Tags of epoll's data: the listener, signals and the database; anything
 * else is a struct conn. */
enum { TAG_LISTEN = 1, TAG_SIGNAL, TAG_DB };

enum conn_state { ST_HEAD, ST_OPEN, ST_CLOSING };

/* The client's headers the frames' requests carry again. */
static const char *const kept_headers[] = {
	"cookie", "authorization", "origin", "host", "user-agent", "x-forwarded-for",
	"x-forwarded-proto",
};

struct conn {
	struct conn *next, *prev;  /* in `conns` */
	enum conn_state state;
	int fd, want_out, dead;
	int upgrade_asked;         /* its head said "Upgrade: websocket" */
	struct px_buf in, out;     /* unread input; output from out_off */
	size_t out_off;
	struct px_ws_parser parser;
	struct px_ws_grant g;
	struct px_kvlist hdrs;     /* kept_headers of the upgrade */
	char remote[64];
	long long cursor;
	int behind;                /* catching up from the log */
	struct px_chanset chans;
	size_t kept;               /* membership check */
	uint64_t last_in, next_ping, deadline;
};

struct px_wsd {
	struct px_app *app;
	struct px_db *db;
	int ep, lfd, sfd;
	char *path;
	struct conn *conns;        /* every socket */
	size_t nconns, nall;       /* open ones, all of them */
	struct conn *accepting;    /* whose upgrade runs the pipeline now */
	struct px_ws_hook hook;
	PGconn *listening;
	int listening_pid, db_watched;
	int known;
	long long last;            /* every event <= last was offered */
	int creds_due, members_due, stopping;
	uint64_t next_fetch, next_lease, next_members, next_presence, next_prune;
	/* the configuration, read again on SIGHUP */
	size_t max_conns, queue_max, max_message;
	uint64_t ping_ms, idle_ms, presence_ms;
	int retention;
	uint64_t idle_release_ms;
	/* memory release when quiet: upgrades and frames seen, at the last look */
	unsigned long work, work_seen;
	uint64_t quiet_since;
	int release_due;
	struct px_m_event batch[FETCH_BATCH];
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void read_config(struct px_wsd *d)
{
	struct px_snap_ref *ref;
	const struct px_cfg *cfg = px_app_cfg_acquire(d->app, &ref);

	d->max_conns = (size_t)px_cfg_int(cfg, "ws_max_connections");
	d->queue_max = (size_t)px_cfg_int(cfg, "ws_send_queue_kib") * 1024;
	d->max_message = (size_t)px_cfg_int(cfg, "ws_max_message");
	d->ping_ms = (uint64_t)px_cfg_int(cfg, "ws_ping_seconds") * 1000;
	d->idle_ms = (uint64_t)px_cfg_int(cfg, "ws_idle_seconds") * 1000;
	d->presence_ms = (uint64_t)px_cfg_int(cfg, "presence_refresh_seconds") * 1000;
	d->retention = (int)px_cfg_int(cfg, "events_retention_hours");
	d->idle_release_ms = (uint64_t)px_cfg_int(cfg, "idle_release_seconds") * 1000;
	px_app_cfg_release(d->app, ref);
}

/* ---- sending ---- */

static void watch(struct px_wsd *d, struct conn *c, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0),
				  .data.ptr = c };

	if (c->want_out == out)
		return;
	c->want_out = out;
	if (epoll_ctl(d->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->dead = 1;
}

/* Sends what the socket takes now; the rest waits for EPOLLOUT. */
static void flush(struct px_wsd *d, struct conn *c)
{
	while (!c->dead && c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(d, c, 1);
			return;
		} else {
			c->dead = 1;
		}
	}
	/* an idle socket holds no buffer */
	px_buf_free(&c->out);
	c->out_off = 0;
	if (!c->dead)
		watch(d, c, 0);
	if (c->state == ST_CLOSING && !c->dead)
		shutdown(c->fd, SHUT_WR);
}

static size_t queued(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* Starts the closing handshake: the close frame goes after what is
 * queued, and the socket ends once it drained (or after CLOSE_MS). */
static void close_with(struct px_wsd *d, struct conn *c, int code, const char *why)
{
	if (c->state == ST_CLOSING || c->dead)
		return;
	if (c->state == ST_OPEN)
		px_ws_close_frame(&c->out, code, why);
	c->state = ST_CLOSING;
	c->deadline = now_ms() + (code == PX_WS_CLOSE_SLOW ? SLOW_CLOSE_MS : CLOSE_MS);
	px_log_debug("ws", NULL, "closing socket of user %lld: %d %s", c->g.user, code, why);
	flush(d, c);
}

/* Queues one frame; a reader that let the queue grow past its bound is
 * closed instead (4001). */
static void send_frame(struct px_wsd *d, struct conn *c, enum px_ws_op op, const char *p,
		       size_t n)
{
	if (c->dead || c->state != ST_OPEN)
		return;
	if (queued(c) + n > d->queue_max) {
		px_log_info("ws", NULL, "socket of user %lld closed: its reader is too slow "
			    "(%zu bytes queued)", c->g.user, queued(c));
		/* what is queued is dropped: only the reason goes out */
		px_buf_truncate(&c->out, c->out_off);
		close_with(d, c, PX_WS_CLOSE_SLOW, "slow reader: send queue full");
		return;
	}
	px_ws_frame(&c->out, op, p, n);
	if (c->out.failed) {
		c->dead = 1;
		return;
	}
	flush(d, c);
}

static void send_text(struct px_wsd *d, struct conn *c, const struct px_buf *b)
{
	if (!b->failed)
		send_frame(d, c, PX_WS_TEXT, b->data, b->len);
}

/* ---- connections ---- */

static void conn_free(struct px_wsd *d, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(d->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	px_buf_free(&c->in);
	px_buf_free(&c->out);
	px_ws_parser_free(&c->parser);
	px_kvlist_free(&c->hdrs);
	px_chanset_free(&c->chans);
	free(c);
	d->nall--;
}

static void unlink_conn(struct px_wsd *d, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (d->conns == c)
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/* Ends a connection: its stream row goes, then its memory. */
static void conn_end(struct px_wsd *d, struct conn *c)
{
	if (c->g.stream) {
		if (px_m_streams_close(d->db, &c->g.stream, 1) != PX_OK)
			px_log_warn("ws", NULL, "stream row not removed; it lapses");
		d->nconns--;
	}
	unlink_conn(d, c);
	conn_free(d, c);
}

static void link_conn(struct px_wsd *d, struct conn *c)
{
	c->prev = NULL;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
}

static void accept_all(struct px_wsd *d)
{
	for (;;) {
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct conn *c;

		if (fd < 0)
			return;
		if (d->nall >= d->max_conns + 64 || !(c = calloc(1, sizeof(*c)))) {
			/* past the limit with room for the answers that say so */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = ST_HEAD;
		c->deadline = now_ms() + HEAD_MS;
		px_ws_parser_init(&c->parser, d->max_message);
		ev.data.ptr = c;
		d->nall++;
		link_conn(d, c);
		if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			c->dead = 1;
	}
}

static int on_upgrading(void *arg)
{
	struct px_wsd *d = arg;

	return d->accepting && d->accepting->upgrade_asked;
}

/* The hook fcgi/events_ws.c calls once the upgrade was accepted. */
static int on_accept(void *arg, const struct px_ws_grant *g)
{
	struct px_wsd *d = arg;
	struct conn *c = d->accepting;

	if (!c || d->nconns >= d->max_conns || d->stopping)
		return -1;
	c->g = *g;
	return 0;
}

/* ---- the upgrade request ---- */

/* The client's address: the front (lighttpd or Apache, the only peer of
 * the unix socket) appended it to X-Forwarded-For; what came before it is
 * the client's own claim, judged by trusted_proxies as for FastCGI. */
static void peer_address(struct px_request *r)
{
	const char *xff = px_request_header(r, "x-forwarded-for");
	const char *comma, *last;
	size_t i;

	free(r->remote_addr);
	r->remote_addr = NULL;
	if (!xff) {
		r->remote_addr = strdup("");
		return;
	}
	comma = strrchr(xff, ',');
	last = comma ? comma + 1 : xff;
	last += strspn(last, " ");
	r->remote_addr = strndup(last, strcspn(last, " "));
	/* the front's own addition is not part of what it received */
	for (i = 0; i < r->headers.n; i++) {
		struct px_kv *kv = &r->headers.items[i];

		if (kv->value != xff)
			continue;
		kv->value_len = comma ? (size_t)(comma - xff) : 0;
		kv->value[kv->value_len] = '\0';
	}
}

/* Parses "GET /path?query HTTP/1.1\r\nName: value\r\n...\r\n\r\n". */
static enum px_err parse_head(char *h, size_t n, struct px_request *r)
{
	char *line = h, *end, *sp, *q;

	if (!(end = memchr(line, '\n', n)))
		return PX_E_VALIDATION_FAILED;
	*end = '\0';
	if (end > line && end[-1] == '\r')
		end[-1] = '\0';
	if (!(sp = strchr(line, ' ')))
		return PX_E_VALIDATION_FAILED;
	r->method = strndup(line, (size_t)(sp - line));
	line = sp + 1;
	if (!(sp = strchr(line, ' ')))
		return PX_E_VALIDATION_FAILED;
	*sp = '\0';
	q = strchr(line, '?');
	r->raw_path = strndup(line, q ? (size_t)(q - line) : strlen(line));
	r->raw_query = strdup(q ? q + 1 : "");
	r->content_type = strdup("");
	if (!r->method || !r->raw_path || !r->raw_query || !r->content_type)
		return PX_E_SYSTEM_INTERNAL;
	for (line = end + 1; line < h + n && *line != '\r' && *line != '\n'; line = end + 1) {
		char *colon, *v, *p;
		size_t len;

		if (!(end = memchr(line, '\n', (size_t)(h + n - line))))
			break;
		*end = '\0';
		if (end > line && end[-1] == '\r')
			end[-1] = '\0';
		if (!(colon = strchr(line, ':')) || colon == line)
			return PX_E_VALIDATION_FAILED;
		for (p = line; p < colon; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		v = colon + 1 + strspn(colon + 1, " \t");
		len = strlen(v);
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (r->headers.n >= PX_MAX_HEADERS)
			return PX_E_VALIDATION_HEADERS_TOO_LARGE;
		if (px_kvlist_add(&r->headers, line, (size_t)(colon - line), v, len) != 0)
			return PX_E_SYSTEM_INTERNAL;
	}
	q = (char *)px_request_header(r, "x-forwarded-proto");
	r->https = q && strcasecmp(q, "https") == 0;
	peer_address(r);
	return r->remote_addr ? PX_OK : PX_E_SYSTEM_INTERNAL;
}

/* Takes "Upgrade: websocket" out of the request: it is this server's own
 * hop-by-hop header (fcgi/events_ws.h px_ws_hook.upgrading). */
static int take_upgrade(struct px_request *r)
{
	size_t i;

	for (i = 0; i < r->headers.n; i++) {
		struct px_kv *kv = &r->headers.items[i];

		if (strcmp(kv->name, "upgrade") != 0)
			continue;
		if (strcasecmp(kv->value, "websocket") != 0)
			return 0;
		free(kv->name);
		free(kv->value);
		memmove(kv, kv + 1, (r->headers.n - i - 1) * sizeof(*kv));
		r->headers.n--;
		return 1;
	}
	return 0;
}

/* The HTTP/1.1 answer to an upgrade request, from the pipeline's. */
static void http_answer(struct conn *c, const struct px_response *w)
{
	px_buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", w->status,
		      w->status == 101 ? "Switching Protocols" : "Refused");
	if (w->headers.len)
		px_buf_append(&c->out, w->headers.data, w->headers.len);
	if (w->status != 101)
		px_buf_printf(&c->out, "Content-Length: %zu\r\nConnection: close\r\n",
			      w->body.len);
	px_buf_puts(&c->out, "\r\n");
	if (w->status != 101 && w->body.len)
		px_buf_append(&c->out, w->body.data, w->body.len);
}

static void keep_headers(struct conn *c, const struct px_request *r)
{
	size_t i;

	for (i = 0; i < sizeof(kept_headers) / sizeof(kept_headers[0]); i++) {
		const char *v = px_request_header(r, kept_headers[i]);

		if (v && px_kvlist_add(&c->hdrs, kept_headers[i], strlen(kept_headers[i]), v,
				       strlen(v)) != 0)
			c->dead = 1;
	}
	snprintf(c->remote, sizeof(c->remote), "%s", r->remote_addr);
}

static void start_open(struct px_wsd *d, struct conn *c);

/* A whole head arrived: the pipeline decides. */
static void upgrade(struct px_wsd *d, struct conn *c, size_t head_len)
{
	struct px_request req;
	struct px_response resp;
	enum px_err pre;

	px_request_init(&req);
	px_response_init(&resp);
	pre = parse_head(c->in.data, head_len, &req);
	if (!req.method || !req.raw_path) {
		c->dead = 1;
		goto out;
	}
	c->upgrade_asked = pre == PX_OK && take_upgrade(&req);
	d->accepting = c;
	d->work++;
	px_app_maybe_reload(d->app);
	px_pipeline_run(d->app, d->db, &req, &resp, pre);
	d->accepting = NULL;
	http_answer(c, &resp);
	/* frames sent right behind the head stay for the parser */
	px_buf_drop(&c->in, head_len);
	if (resp.status == 101) {
		keep_headers(c, &req);
		d->nconns++;
		start_open(d, c);
	} else {
		c->state = ST_CLOSING;
		c->deadline = now_ms() + CLOSE_MS;
	}
	flush(d, c);
out:
	px_request_clear(&req);
	px_response_clear(&resp);
}

/* ---- events ---- */

/* One event as the frame everybody gets (the event's JSON). */
struct fan {
	struct px_wsd *d;
	struct conn *c;            /* catch-up: the one reader */
	long long last;
};

static void offer(struct px_wsd *d, struct conn *c, const struct px_m_event *ev)
{
	if (c->dead || c->behind || c->state != ST_OPEN || ev->id <= c->cursor)
		return;
	c->cursor = ev->id;
	if (px_h_events_visible(&c->chans, c->g.user, ev))
		send_frame(d, c, PX_WS_TEXT, ev->json, ev->json_len);
}

/* Loads the user's channels (after a catch-up, whose membership events
 * bypassed the set). */
static void load_channels(struct px_wsd *d, struct conn *c)
{
	long long *ids = NULL;
	size_t n = 0, i;

	if (px_m_events_channels(d->db, c->g.user, &ids, &n) != PX_OK) {
		close_with(d, c, PX_WS_CLOSE_INTERNAL, "database unavailable");
		return;
	}
	c->chans.n = 0;
	for (i = 0; i < n; i++)
		if (px_chanset_add(&c->chans, ids[i]) != 0)
			c->dead = 1;
	free(ids);
}

static int catch_up_one(void *arg, const struct px_m_event *ev)
{
	struct fan *f = arg;

	f->c->cursor = ev->id;
	send_frame(f->d, f->c, PX_WS_TEXT, ev->json, ev->json_len);
	return f->c->dead || f->c->state != ST_OPEN;
}

/* One batch from the log for a connection that is behind, while its queue
 * has room; once the log is exhausted it joins the live stream and says
 * {"type":"ready","last_event_id":N}. */
static void catch_up(struct px_wsd *d, struct conn *c)
{
	struct fan f = { d, c, 0 };
	struct px_buf b = PX_BUF_INIT;
	long long head = 0;
	int n = 0, rounds = 0;

	/* rounds: the rest waits for the next turn, so that one far-behind
	 * reader does not hold up the loop */
	while (rounds++ < 20 && c->behind && !c->dead && c->state == ST_OPEN && queued(c) < d->queue_max / 2) {
		if (px_m_events_for_user(d->db, c->g.user, c->cursor, CATCH_UP_BATCH, catch_up_one,
					 &f, &n, &head) != PX_OK) {
			close_with(d, c, PX_WS_CLOSE_INTERNAL, "database unavailable");
			return;
		}
		if (n < CATCH_UP_BATCH) {
			if (c->cursor < head)
				c->cursor = head;
			if (c->cursor < d->last)
				continue;   /* the live stream moved on meanwhile */
			c->behind = 0;
			load_channels(d, c);
			px_buf_printf(&b, "{\"type\":\"ready\",\"last_event_id\":%lld}", c->cursor);
			send_text(d, c, &b);
		}
	}
	px_buf_free(&b);
}

static void start_open(struct px_wsd *d, struct conn *c)
{
	uint64_t now = now_ms();

	c->state = ST_OPEN;
	c->last_in = now;
	c->next_ping = now + d->ping_ms;
	c->cursor = c->g.cursor < 0 ? c->g.head : c->g.cursor;
	if (c->g.reset) {
		struct px_buf b = PX_BUF_INIT;

		/* the client missed pruned events: it must reload its state */
		px_buf_printf(&b, "{\"type\":\"reset\",\"last_event_id\":%lld}", c->g.head);
		send_text(d, c, &b);
		px_buf_free(&b);
		c->cursor = c->g.head;
	}
	c->behind = 1;
	catch_up(d, c);
}

/* ---- credentials and memberships (as fcgi/events_hub.c) ---- */

struct check {
	struct conn **v;
	long long *ids;
	size_t n;
};

static int by_stream(const void *a, const void *b)
{
	long long x = (*(struct conn *const *)a)->g.stream;
	long long y = (*(struct conn *const *)b)->g.stream;

	return (x > y) - (x < y);
}

static void check_end(struct check *k)
{
	free(k->v);
	free(k->ids);
	memset(k, 0, sizeof(*k));
}

static int check_begin(struct px_wsd *d, struct check *k)
{
	struct conn *c;
	size_t i = 0;

	memset(k, 0, sizeof(*k));
	if (!d->nconns)
		return 0;
	k->v = malloc(d->nconns * sizeof(*k->v));
	k->ids = malloc(d->nconns * sizeof(*k->ids));
	if (!k->v || !k->ids) {
		check_end(k);
		return -1;
	}
	for (c = d->conns; c; c = c->next)
		if (!c->dead && c->state == ST_OPEN && c->g.stream && i < d->nconns)
			k->v[i++] = c;
	qsort(k->v, i, sizeof(*k->v), by_stream);
	for (k->n = 0; k->n < i; k->n++)
		k->ids[k->n] = k->v[k->n]->g.stream;
	return 0;
}

static struct conn *check_find(const struct check *k, long long id)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->ids[mid] == id)
			return k->v[mid];
		if (k->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct check_arg {
	struct px_wsd *d;
	struct check *k;
};

static void revoked(void *arg, long long id)
{
	struct check_arg *a = arg;
	struct conn *c = check_find(a->k, id);

	if (c) {
		px_log_info("ws", NULL, "socket of user %lld closed: its session, token or "
			    "account changed", c->g.user);
		close_with(a->d, c, PX_WS_CLOSE_REVOKED, "credentials revoked");
	}
}

static void credentials_due(struct px_wsd *d)
{
	struct check k;
	struct check_arg a = { d, &k };

	if (!d->creds_due || check_begin(d, &k) != 0)
		return;
	if (!k.n || px_m_streams_revoked(d->db, k.ids, k.n, PX_SCOPE_READ, revoked, &a) == PX_OK)
		d->creds_due = 0;
	check_end(&k);
}

static void member_of(void *arg, long long id, long long channel)
{
	struct conn *c = check_find(arg, id);

	if (c && px_chanset_has(&c->chans, channel))
		c->kept++;
}

/* Closes the sockets whose user lost a channel they were delivering
 * (removals emit member.left, which updates the set; this catches the
 * rest, such as a channel removed with its members). */
static void check_members(struct px_wsd *d, uint64_t now)
{
	struct check k;
	size_t i;

	if (!d->members_due || now < d->next_members || check_begin(d, &k) != 0)
		return;
	d->next_members = now + MEMBERS_MS;
	for (i = 0; i < k.n; i++)
		k.v[i]->kept = 0;
	if (!k.n || px_m_streams_channels(d->db, k.ids, k.n, member_of, &k) == PX_OK) {
		d->members_due = 0;
		for (i = 0; i < k.n; i++) {
			if (k.v[i]->behind || k.v[i]->kept == k.v[i]->chans.n)
				continue;
			px_log_info("ws", NULL, "socket of user %lld closed: a membership changed",
				    k.v[i]->g.user);
			close_with(d, k.v[i], PX_WS_CLOSE_REVOKED, "membership changed");
		}
	}
	check_end(&k);
}

static void renew(struct px_wsd *d, uint64_t now)
{
	struct check k;

	if (now < d->next_lease)
		return;
	d->next_lease = now + LEASE_MS;
	d->creds_due = d->members_due = 1;
	if (check_begin(d, &k) != 0)
		return;
	if (k.n && px_m_streams_renew(d->db, k.ids, k.n, 90) != PX_OK)
		px_log_warn("ws", NULL, "stream leases not renewed");
	check_end(&k);
}

/* ---- the log and notices ---- */

/* A fetched batch, copied so that the notices that came with it are
 * applied before anything is offered. */
struct batch {
	struct px_m_event *ev;
	size_t n;
	int failed;
};

static int keep(void *arg, const struct px_m_event *ev)
{
	struct batch *b = arg;
	struct px_m_event *e = &b->ev[b->n];

	*e = *ev;
	e->kind = strdup(ev->kind);
	e->json = strndup(ev->json, ev->json_len);
	if (!e->kind || !e->json) {
		free((char *)e->kind);
		free((char *)e->json);
		b->failed = 1;
		return 1;
	}
	b->n++;
	return 0;
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free((char *)b->ev[i].kind);
		free((char *)b->ev[i].json);
	}
	b->n = 0;
}

static void notices(struct px_wsd *d, int *need_fetch);

static void fetch(struct px_wsd *d)
{
	struct batch b = { d->batch, 0, 0 };
	int n = FETCH_BATCH, more = 1;
	struct conn *c;
	size_t i;

	if (!d->known) {
		long long head = 0, pruned = 0;

		if (px_m_events_state(d->db, &head, &pruned) != PX_OK)
			return;
		d->last = head;
		d->known = 1;
	}
	while ((more || n == FETCH_BATCH) && !b.failed) {
		more = 0;
		if (px_m_events_fetch(d->db, d->last, FETCH_BATCH, keep, &b, &n) != PX_OK)
			break;
		notices(d, &more);
		credentials_due(d);
		for (i = 0; i < b.n; i++) {
			for (c = d->conns; c; c = c->next)
				offer(d, c, &b.ev[i]);
			d->last = b.ev[i].id;
		}
		batch_free(&b);
	}
}

/* Typing notices go to the open sockets of the channel's members as
 * {"type":"typing","data":NOTICE}. */
static void typing(struct px_wsd *d, const char *payload)
{
	const char *p = strstr(payload, "\"channel_id\":");
	struct px_buf b = PX_BUF_INIT;
	long long channel;
	struct conn *c;

	if (!p)
		return;
	channel = strtoll(p + 13, NULL, 10);
	px_buf_printf(&b, "{\"type\":\"typing\",\"data\":%s}", payload);
	for (c = d->conns; c && !b.failed; c = c->next)
		if (c->state == ST_OPEN && !c->behind && px_chanset_has(&c->chans, channel))
			send_text(d, c, &b);
	px_buf_free(&b);
}

static void notices(struct px_wsd *d, int *need_fetch)
{
	PGconn *pg = d->listening;
	PGnotify *n;

	if (!pg)
		return;
	if (PQconsumeInput(pg) != 1) {
		d->listening = NULL;
		return;
	}
	while ((n = PQnotifies(pg))) {
		if (strcmp(n->relname, PX_M_EVENTS_CHANNEL) == 0) {
			*need_fetch = 1;
		} else if (strcmp(n->relname, PX_M_AUTH_CHANNEL) == 0) {
			px_gen_bump();
			d->creds_due = d->members_due = 1;
		} else if (d->known) {
			typing(d, n->extra);
		}
		PQfreemem(n);
	}
}

/* Keeps the connection listening and its socket in the epoll set. */
static void listener(struct px_wsd *d, int *need_fetch)
{
	PGconn *pg = px_db_conn(d->db);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_DB };

	if (!pg) {
		d->listening = NULL;
		return;
	}
	if (pg == d->listening && PQbackendPID(pg) == d->listening_pid)
		return;
	if (px_m_events_listen(d->db) != PX_OK) {
		d->listening = NULL;
		return;
	}
	d->listening = pg;
	d->listening_pid = PQbackendPID(pg);
	if (d->db_watched)
		epoll_ctl(d->ep, EPOLL_CTL_DEL, d->db_watched, NULL);
	d->db_watched = PQsocket(pg);
	if (epoll_ctl(d->ep, EPOLL_CTL_ADD, d->db_watched, &ev) != 0)
		px_log_warn("ws", NULL, "cannot watch the database socket");
	d->creds_due = d->members_due = 1;
	*need_fetch = 1;
	px_log_info("ws", NULL, "plexichat-ws listening (backend %d)", d->listening_pid);
}

/* ---- client frames ---- */

/* Runs one frame as the HTTP request it stands for. */
static void run_request(struct px_wsd *d, struct conn *c, const char *method,
			const char *path, const char *body, size_t n, struct px_response *resp)
{
	struct px_request req;
	char len[24];
	size_t i;
	enum px_err pre = PX_OK;

	px_request_init(&req);
	req.method = strdup(method);
	req.raw_path = strdup(path);
	req.raw_query = strdup("");
	req.content_type = strdup("application/json");
	req.remote_addr = strdup(c->remote);
	req.body = strndup(body, n);
	req.body_len = n;
	req.content_length = n;
	snprintf(len, sizeof(len), "%zu", n);
	for (i = 0; i < c->hdrs.n; i++)
		if (px_kvlist_add(&req.headers, c->hdrs.items[i].name, strlen(c->hdrs.items[i].name),
				  c->hdrs.items[i].value, c->hdrs.items[i].value_len) != 0)
			pre = PX_E_SYSTEM_INTERNAL;
	/* the socket passed the Origin check; its session's CSRF token goes
	 * with each frame, as the page's script sends it with each request */
	if (c->g.csrf[0] && px_kvlist_add(&req.headers, "x-csrf-token", 12, c->g.csrf,
					  strlen(c->g.csrf)) != 0)
		pre = PX_E_SYSTEM_INTERNAL;
	if (!req.method || !req.raw_path || !req.raw_query || !req.content_type ||
	    !req.remote_addr || !req.body)
		pre = PX_E_SYSTEM_INTERNAL;
	if (pre != PX_OK) {
		resp->status = 500;
		goto out;
	}
	d->work++;
	px_app_maybe_reload(d->app);
	px_pipeline_run(d->app, d->db, &req, resp, pre);
out:
	px_request_clear(&req);
}

/* The answer to a frame: {"type":"reply","ref":REF,"status":S,"body":B}. */
static void reply(struct px_wsd *d, struct conn *c, struct json_object *ref,
		  const struct px_response *resp)
{
	struct px_buf b = PX_BUF_INIT;
	const char *r = ref ? json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN) : "null";

	px_buf_printf(&b, "{\"type\":\"reply\",\"ref\":%s,\"status\":%d,\"body\":", r,
		      resp->status);
	if (resp->body.len && resp->body.data[0] == '{')
		px_buf_append(&b, resp->body.data, resp->body.len);
	else
		px_buf_puts(&b, "null");
	px_buf_putc(&b, '}');
	send_text(d, c, &b);
	px_buf_free(&b);
}

static long long field_id(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* {"type":"typing","channel_id":N} and {"type":"read","channel_id":N,
 * "message_id":M} become POST .../typing and PUT .../read-marker with the
 * frame as their body; anything else is judged by the WAF as a request to
 * this socket's own path and refused. A frame the WAF blocks closes the
 * socket (1008). */
static void on_text(struct px_wsd *d, struct conn *c, const char *p, size_t n)
{
	/* the payload is not NUL-terminated: parse a copy of exactly its bytes */
	char *text = strndup(p, n);
	struct json_object *o = text ? json_tokener_parse(text) : NULL, *ref = NULL, *t;
	const char *type = NULL, *method = "POST";
	struct px_response resp;
	char path[96] = "/api/v1/events/ws";
	long long ch = -1;

	px_response_init(&resp);
	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_get_ex(o, "ref", &ref);
		if (json_object_object_get_ex(o, "type", &t) && json_object_is_type(t, json_type_string))
			type = json_object_get_string(t);
		ch = field_id(o, "channel_id");
	}
	if (type && ch > 0 && strcmp(type, "typing") == 0) {
		snprintf(path, sizeof(path), "/api/v1/channels/%lld/typing", ch);
	} else if (type && ch > 0 && strcmp(type, "read") == 0) {
		snprintf(path, sizeof(path), "/api/v1/channels/%lld/read-marker", ch);
		method = "PUT";
	}
	run_request(d, c, method, path, p, n, &resp);
	if (strcmp(path, "/api/v1/events/ws") == 0 &&
	    (resp.status < 400 || resp.status == 405 || resp.status == 404)) {
		/* the WAF let it pass; what remains is that it means nothing */
		px_response_clear(&resp);
		px_response_init(&resp);
		px_response_error(&resp, PX_E_VALIDATION_FAILED,
				  "{\"reason\":\"unknown frame: want type typing or read\"}", NULL);
	}
	reply(d, c, ref, &resp);
	if (resp.status == 403 && resp.body.data && strstr(resp.body.data, "\"SECURITY_"))
		close_with(d, c, PX_WS_CLOSE_POLICY, "blocked by the WAF");
	else if (resp.status == 401)
		close_with(d, c, PX_WS_CLOSE_REVOKED, "credentials revoked");
	px_response_clear(&resp);
	json_object_put(o);
	free(text);
}

static void on_message(struct px_wsd *d, struct conn *c, const struct px_ws_msg *m)
{
	switch (m->op) {
	case PX_WS_PING:
		send_frame(d, c, PX_WS_PONG, m->data, m->len);
		break;
	case PX_WS_PONG:
		break;
	case PX_WS_CLOSE:
		if (c->state == ST_OPEN) {
			int code = m->len >= 2 ? ((unsigned char)m->data[0] << 8 |
						  (unsigned char)m->data[1]) : PX_WS_CLOSE_NORMAL;

			close_with(d, c, code, "");
		}
		break;
	case PX_WS_TEXT:
		on_text(d, c, m->data, m->len);
		break;
	default:
		close_with(d, c, PX_WS_CLOSE_BAD_DATA, "binary frames are not used");
	}
}

/* Frames from the bytes read; what is left of an incomplete one waits in
 * c->in. */
static void frames(struct px_wsd *d, struct conn *c, char *p, size_t n)
{
	while (n && !c->dead && c->state == ST_OPEN) {
		struct px_ws_msg m;
		size_t used = 0;
		int code = 0;
		enum px_ws_result r = px_ws_parse(&c->parser, p, n, &used, &m, &code);

		if (r == PX_WS_ERROR) {
			close_with(d, c, code, "protocol error");
			return;
		}
		if (r == PX_WS_NEED_MORE)
			break;
		on_message(d, c, &m);
		p += used;
		n -= used;
	}
	if (c->state != ST_OPEN)
		n = 0;
	if (n && (char *)p != c->in.data) {
		struct px_buf rest = PX_BUF_INIT;

		px_buf_append(&rest, p, n);
		px_buf_free(&c->in);
		c->in = rest;
		if (c->in.failed)
			c->dead = 1;
	} else if (!n) {
		px_buf_free(&c->in);
	}
}

static void readable(struct px_wsd *d, struct conn *c)
{
	char chunk[16384];
	ssize_t got;

	while (!c->dead && (got = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT)) != 0) {
		if (got < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				c->dead = 1;
			return;
		}
		c->last_in = now_ms();
		if (c->state == ST_CLOSING)
			continue;   /* drained until the peer closes */
		px_buf_append(&c->in, chunk, (size_t)got);
		if (c->in.failed || (c->state == ST_HEAD && c->in.len > MAX_HEAD)) {
			c->dead = 1;
			return;
		}
		if (c->state == ST_HEAD) {
			char *end = strstr(c->in.data, "\r\n\r\n");

			if (!end)
				continue;
			upgrade(d, c, (size_t)(end - c->in.data) + 4);
			if (c->state != ST_OPEN || !c->in.len)
				continue;
		}
		frames(d, c, c->in.data, c->in.len);
	}
	c->dead = 1;    /* end of file */
}

/* ---- the loop ---- */

static void timers(struct px_wsd *d, uint64_t now)
{
	static const char ping[] = "px";
	struct conn *c;

	for (c = d->conns; c; c = c->next) {
		if (c->dead || c->state != ST_OPEN)
			continue;
		if (now - c->last_in >= d->idle_ms) {
			close_with(d, c, PX_WS_CLOSE_IDLE, "idle");
		} else if (now >= c->next_ping) {
			send_frame(d, c, PX_WS_PING, ping, sizeof(ping) - 1);
			c->next_ping = now + d->ping_ms;
		}
	}
}

static void presence(struct px_wsd *d, uint64_t now)
{
	struct px_buf ids = PX_BUF_INIT;
	struct conn *c;

	if (now < d->next_presence)
		return;
	d->next_presence = now + d->presence_ms;
	for (c = d->conns; c; c = c->next)
		if (!c->dead && c->state == ST_OPEN)
			px_buf_printf(&ids, "%s%lld", ids.len ? "," : "", c->g.user);
	if (ids.len && !ids.failed && px_m_presence_seen_many(d->db, ids.data) != PX_OK)
		px_log_warn("ws", NULL, "presence not updated");
	px_buf_free(&ids);
}

/* Once no upgrade or frame came for idle_release_seconds (and once after
 * start-up), gives back the pages start-up and the last burst left mapped
 * but unused (core/memtrim.h), as plexichat.fcgi does: the idle daemon's
 * resident set is then mostly its sockets. */
static void release_when_idle(struct px_wsd *d, uint64_t now)
{
	if (d->work != d->work_seen) {
		d->work_seen = d->work;
		d->quiet_since = now;
		d->release_due = 1;
		return;
	}
	if (!d->release_due || !d->idle_release_ms || now - d->quiet_since < d->idle_release_ms)
		return;
	d->release_due = 0;
	px_log_debug("ws", NULL, "idle: %zu KiB of clean file pages released",
		     px_memtrim() / 1024);
}

static void prune(struct px_wsd *d, uint64_t now)
{
	long removed = 0;

	if (now < d->next_prune)
		return;
	d->next_prune = now + PRUNE_MS;
	if (px_m_events_prune(d->db, d->retention, &removed) == PX_OK && removed)
		px_log_info("ws", NULL, "pruned %ld events", removed);
}

/* Catches up the readers that are behind and ends the sockets that are
 * done, among the n of all. */
static void reap(struct px_wsd *d, struct conn **all, size_t n, uint64_t now)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct conn *c = all[i];

		if (!c)
			continue;
		if (c->state == ST_OPEN && c->behind && !c->dead && queued(c) < d->queue_max / 2)
			catch_up(d, c);
		/* a head that came while the loop was busy is served, not timed out */
		if (c->state == ST_HEAD && !c->dead && now >= c->deadline)
			readable(d, c);
		if (c->dead || (c->state != ST_OPEN && now >= c->deadline))
			conn_end(d, c);
	}
}

static int on_signal(struct px_wsd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			d->app->reload_requested = 1;
			px_app_maybe_reload(d->app);
			read_config(d);
			continue;
		}
		return 1;
	}
	return 0;
}

#define MAX_EVENTS 256

int px_wsd_run(struct px_wsd *d)
{
	struct epoll_event evs[MAX_EVENTS];
	struct conn **touched = calloc(MAX_EVENTS, sizeof(*touched));
	uint64_t next_tick = 0;
	int rc = 0;

	if (!touched)
		return -1;
	px_log_info("ws", NULL, "plexichat-ws ready on %s", d->path);
	while (!d->stopping) {
		int need_fetch = 0, n, i;
		uint64_t now;
		size_t nt = 0;

		listener(d, &need_fetch);
		n = epoll_wait(d->ep, evs, MAX_EVENTS, need_fetch ? 0 : 1000);
		if (n < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c;

			switch (evs[i].data.u64) {
			case TAG_LISTEN:
				accept_all(d);
				continue;
			case TAG_SIGNAL:
				if (on_signal(d))
					d->stopping = 1;
				continue;
			case TAG_DB:
				notices(d, &need_fetch);
				continue;
			}
			c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				readable(d, c);
			if (!c->dead && (evs[i].events & EPOLLOUT))
				flush(d, c);
			touched[nt++] = c;
		}
		/* the pipeline may have read notices into libpq's buffer */
		notices(d, &need_fetch);
		now = now_ms();
		if (now >= d->next_fetch && d->nconns)
			need_fetch = 1;
		credentials_due(d);
		if (need_fetch || !d->known) {
			fetch(d);
			d->next_fetch = now + SAFETY_FETCH_MS;
		}
		/* a connection may appear twice in touched: end it once */
		for (i = 0; i < (int)nt; i++)
			for (int j = i + 1; j < (int)nt; j++)
				if (touched[j] == touched[i])
					touched[j] = NULL;
		reap(d, touched, nt, now);
		if (now >= next_tick) {
			struct conn *c, *next;

			next_tick = now + 1000;
			check_members(d, now);
			renew(d, now);
			timers(d, now);
			presence(d, now);
			prune(d, now);
			release_when_idle(d, now);
			for (c = d->conns; c; c = next) {
				next = c->next;
				reap(d, &c, 1, now);
			}
		}
	}
	free(touched);
	return rc;
}

struct px_wsd *px_wsd_new(struct px_app *app, const char *path, const char *conninfo,
			  struct px_buf *err)
{
	struct px_wsd *d = calloc(1, sizeof(*d));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	if (!d) {
		px_buf_puts(err, "out of memory");
		return NULL;
	}
	d->ep = d->lfd = d->sfd = -1;
	d->app = app;
	d->hook.accept = on_accept;
	d->hook.upgrading = on_upgrading;
	d->release_due = 1;
	d->hook.arg = d;
	app->ws = &d->hook;
	read_config(d);
	d->path = strdup(path);
	d->db = px_db_new(conninfo);
	if (!d->path || !d->db || strlen(path) >= sizeof(sa.sun_path)) {
		px_buf_printf(err, "%s: path too long or out of memory", path);
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->lfd < 0 || bind(d->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(d->lfd, 4096) != 0) {
		px_buf_printf(err, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	/* the web server runs as another user; the socket's folder guards it */
	if (chmod(path, 0666) != 0)
		px_log_warn("ws", NULL, "chmod %s: %s", path, strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->sfd < 0 || d->ep < 0) {
		px_buf_printf(err, "epoll/signalfd: %s", strerror(errno));
		goto fail;
	}
	ev.data.u64 = TAG_LISTEN;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->lfd, &ev);
	ev.data.u64 = TAG_SIGNAL;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->sfd, &ev);
	return d;
fail:
	px_wsd_free(d);
	return NULL;
}

void px_wsd_free(struct px_wsd *d)
{
	struct conn *c;

	if (!d)
		return;
	/* open sockets are told why they end */
	while ((c = d->conns)) {
		if (!c->dead && c->state == ST_OPEN) {
			px_buf_truncate(&c->out, c->out_off);
			close_with(d, c, PX_WS_CLOSE_GOING_AWAY, "server stopping");
		}
		conn_end(d, c);
	}
	if (d->app)
		d->app->ws = NULL;
	if (d->lfd >= 0) {
		close(d->lfd);
		unlink(d->path);
	}
	if (d->sfd >= 0)
		close(d->sfd);
	if (d->ep >= 0)
		close(d->ep);
	px_db_free(d->db);
	free(d->path);
	free(d);
}
