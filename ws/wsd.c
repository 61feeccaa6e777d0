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
#include "ws/wsd_conn.h"
#include "ws/wsd_events.h"
#include "ws/wsd_frames.h"
#include "ws/wsd_work.h"
#include "fcgi/pipeline.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/memtrim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_HEAD 65536          /* an upgrade request's head */
#define HEAD_MS 30000           /* time to send it */
#define SAFETY_FETCH_MS 5000
#define HELD_FETCH_MS 2         /* events past the horizon: read again soon */

/* The client's headers the frames' requests carry again. */
static const char *const kept_headers[] = {
	"cookie", "authorization", "origin", "host", "user-agent", "x-forwarded-for",
	"x-forwarded-proto",
};

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
		c->deadline = px_wsd_now_ms() + HEAD_MS;
		px_ws_parser_init(&c->parser, d->max_message);
		ev.data.ptr = c;
		d->nall++;
		px_wsd_conn_link(d, c);
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
		px_wsd_start_open(d, c);
	} else {
		c->state = ST_CLOSING;
		c->deadline = px_wsd_now_ms() + CLOSE_MS;
	}
	px_wsd_flush(d, c);
out:
	px_request_clear(&req);
	px_response_clear(&resp);
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
		c->last_in = px_wsd_now_ms();
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
		px_wsd_frames(d, c, c->in.data, c->in.len);
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
			px_wsd_close(d, c, PX_WS_CLOSE_IDLE, "idle");
		} else if (now >= c->next_ping) {
			px_wsd_send(d, c, PX_WS_PING, ping, sizeof(ping) - 1);
			c->next_ping = now + d->ping_ms;
		}
	}
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

/* Catches up the readers that are behind and ends the sockets that are
 * done, among the n of all. */
static void reap(struct px_wsd *d, struct conn **all, size_t n, uint64_t now)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct conn *c = all[i];

		if (!c)
			continue;
		if (c->state == ST_OPEN && c->behind && !c->dead && px_wsd_queued(c) < d->queue_max / 2)
			px_wsd_catch_up(d, c);
		/* a head that came while the loop was busy is served, not timed out */
		if (c->state == ST_HEAD && !c->dead && now >= c->deadline)
			readable(d, c);
		if (!c->dead && (c->state == ST_OPEN || now < c->deadline))
			continue;
		if (c->jobs) {
			/* its frames are still at the worker: it ends once they
			 * are back; meanwhile its hang-up must not wake the loop */
			if (c->dead && c->fd >= 0)
				epoll_ctl(d->ep, EPOLL_CTL_DEL, c->fd, NULL);
			continue;
		}
		px_wsd_conn_end(d, c);
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

		px_wsd_listen(d, &need_fetch);
		n = epoll_wait(d->ep, evs, MAX_EVENTS,
			       need_fetch ? 0 : d->held ? HELD_FETCH_MS : 1000);
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
				px_wsd_notices(d, &need_fetch);
				continue;
			case TAG_WORK:
				px_wsd_frames_done(d);
				continue;
			}
			c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				readable(d, c);
			if (!c->dead && (evs[i].events & EPOLLOUT))
				px_wsd_flush(d, c);
			touched[nt++] = c;
		}
		/* the pipeline may have read notices into libpq's buffer */
		px_wsd_notices(d, &need_fetch);
		now = px_wsd_now_ms();
		/* held: the older transaction may end without anybody waking us */
		if (now >= d->next_fetch && (d->nconns || d->held))
			need_fetch = 1;
		px_wsd_credentials_due(d);
		if (need_fetch || !d->known) {
			px_wsd_fetch(d);
			d->next_fetch = now + (d->held ? HELD_FETCH_MS : SAFETY_FETCH_MS);
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
			px_wsd_check_members(d, now);
			px_wsd_renew(d, now);
			timers(d, now);
			px_wsd_presence(d, now);
			px_wsd_prune(d, now);
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
	d->worker = px_wsd_work_new(app, conninfo);
	if (!d->path || !d->db || !d->worker || strlen(path) >= sizeof(sa.sun_path)) {
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
	ev.data.u64 = TAG_WORK;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, px_wsd_work_fd(d->worker), &ev);
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
	/* first the worker: no job refers to a socket any more */
	px_wsd_work_free(d->worker);
	d->worker = NULL;
	/* open sockets are told why they end */
	while ((c = d->conns)) {
		if (!c->dead && c->state == ST_OPEN) {
			px_buf_truncate(&c->out, c->out_off);
			px_wsd_close(d, c, PX_WS_CLOSE_GOING_AWAY, "server stopping");
		}
		px_wsd_conn_end(d, c);
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
