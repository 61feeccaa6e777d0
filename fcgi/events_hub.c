/* events_hub.c: the process's event hub: one LISTEN connection, one
 * thread, a ring of recent events and the waiting subscribers.
 *
 * Invariants: only the hub thread touches subscribers after adoption, the
 * ring and the database handle; other threads only append to `pending`
 * under the lock. The ring holds every event with id in (base, last];
 * a subscriber is adopted before the ring moves on, and one whose cursor
 * is below base is first brought up to date from the database. */
#include "events_hub.h"
#include "app.h"
#include "core/db.h"
#include "core/gen.h"
#include "core/log.h"
#include "model/channels.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_CAP 4096
#define FETCH_BATCH 500
#define PING_MS 15000
#define SAFETY_FETCH_MS 5000
#define PRUNE_MS (3600 * 1000)
#define PRESENCE_MS 60000
#define GAP_LIMIT 100000

struct ring_ev {
	struct px_m_event ev;   /* kind and json point into owned copies */
	char *frame;            /* the SSE frame, shared by every stream */
	size_t frame_len;
};

struct sub {
	struct sub *next;
	struct px_hub_wait w;
	uint64_t deadline, next_ping;
	struct px_buf items;    /* long-poll: events gathered so far */
	int nitems;
	int dead;
};

static struct {
	pthread_mutex_t lock;
	int started, stopping;   /* guarded by lock */
	struct sub *pending;     /* guarded by lock */
	size_t count;            /* adopted + pending, guarded by lock */
	int max_waiters;
	int wake[2];
	pthread_t thread;
	/* hub thread only: */
	struct px_app *app;
	struct px_db *db;
	PGconn *listening;
	int listening_pid;
	int hearing;             /* atomic: every change is being notified */
	int known;               /* base/last are set */
	long long base, last;
	struct ring_ev ring[RING_CAP];
	size_t ring_start, ring_len;
	struct sub *subs;
	int retention;
	uint64_t next_fetch, next_prune, next_presence;
} hub = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void wake(void)
{
	char c = 1;

	if (write(hub.wake[1], &c, 1) < 0 && errno != EAGAIN)
		px_log_warn("events", NULL, "hub wake-up failed");
}

/* ---- subscribers ---- */

static void sub_free(struct sub *s)
{
	px_chanset_free(&s->w.chans);
	px_buf_free(&s->items);
	free(s);
}

static void sub_write(struct sub *s, const char *p, size_t n)
{
	if (!s->dead && px_hub_conn_write(&s->w.conn, p, n) != 0)
		s->dead = 1;
}

/* Answers a long-poll with what it gathered and ends it. */
static void poll_finish(struct sub *s)
{
	struct px_buf body = PX_BUF_INIT;

	px_h_events_poll_body(&body, &s->items, s->w.cursor);
	sub_write(s, body.data, body.len);
	px_buf_free(&body);
	s->dead = 1;
}

/* Offers one event to a subscriber, in id order. */
static void offer(struct sub *s, const struct ring_ev *r)
{
	if (s->dead || r->ev.id <= s->w.cursor)
		return;
	s->w.cursor = r->ev.id;
	if (!px_h_events_visible(&s->w.chans, s->w.user, &r->ev))
		return;
	if (s->w.sse) {
		sub_write(s, r->frame, r->frame_len);
		return;
	}
	if (s->nitems++)
		px_buf_putc(&s->items, ',');
	px_buf_append(&s->items, r->ev.json, r->ev.json_len);
}

/* Long-polls that gathered something answer once a batch is offered. */
static void flush_polls(void)
{
	struct sub *s;

	for (s = hub.subs; s; s = s->next)
		if (!s->dead && !s->w.sse && s->nitems)
			poll_finish(s);
}

static const struct ring_ev *ring_at(size_t i)
{
	return &hub.ring[(hub.ring_start + i) % RING_CAP];
}

/* Membership events read straight from the log bypass the set; read it
 * afresh after such a catch-up. */
static void reload_channels(struct sub *s)
{
	long long *ids = NULL;
	size_t n = 0, i;

	if (px_m_events_channels(hub.db, s->w.user, &ids, &n) != PX_OK) {
		s->dead = 1;
		return;
	}
	s->w.chans.n = 0;
	for (i = 0; i < n; i++)
		if (px_chanset_add(&s->w.chans, ids[i]) != 0)
			s->dead = 1;
	free(ids);
}

/* Brings a subscriber whose cursor fell out of the ring up to date from
 * the log, then from the ring. */
static void adopt(struct sub *s)
{
	struct px_buf out = PX_BUF_INIT;
	size_t i;
	int got = 0;

	if (s->w.cursor < hub.base) {
		enum px_err e = px_h_events_catch_up(hub.db, s->w.user, s->w.sse,
						     s->w.sse ? GAP_LIMIT : s->w.limit,
						     &s->w.cursor, s->w.sse ? &out : &s->items,
						     &got);

		if (e != PX_OK) {
			px_log_warn("events", NULL, "catch-up of a new subscriber failed: %s",
				    px_err_name(e));
			s->dead = 1;
		}
		s->nitems += s->w.sse ? 0 : got;
		if (s->w.sse && out.len)
			sub_write(s, out.data, out.len);
		px_buf_free(&out);
		reload_channels(s);
	}
	for (i = 0; i < hub.ring_len && !s->dead; i++)
		offer(s, ring_at(i));
	if (s->w.cursor < hub.last)
		s->w.cursor = hub.last;
	s->next = hub.subs;
	hub.subs = s;
}

/* Moves pending subscribers in; they wait while the hub does not yet know
 * where the log stands. */
static void adopt_pending(void)
{
	struct sub *list, *next;

	if (!hub.known)
		return;
	pthread_mutex_lock(&hub.lock);
	list = hub.pending;
	hub.pending = NULL;
	pthread_mutex_unlock(&hub.lock);
	for (; list; list = next) {
		next = list->next;
		adopt(list);
	}
	flush_polls();
}

/* Removes finished subscribers, ending their requests. */
static void reap(int all)
{
	struct sub **pp = &hub.subs, *s;
	size_t n = 0;

	while ((s = *pp)) {
		if (!s->dead && !all) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		px_hub_conn_end(&s->w.conn);
		sub_free(s);
		n++;
	}
	if (n) {
		pthread_mutex_lock(&hub.lock);
		hub.count -= n;
		pthread_mutex_unlock(&hub.lock);
	}
}

/* Deadlines and keep-alives. */
static void timers(uint64_t now)
{
	static const char ping[] = ": ping\n\n";
	struct sub *s;

	for (s = hub.subs; s; s = s->next) {
		if (s->dead)
			continue;
		if (now >= s->deadline) {
			if (s->w.sse)
				s->dead = 1;
			else
				poll_finish(s);
		} else if (s->w.sse && now >= s->next_ping) {
			sub_write(s, ping, sizeof(ping) - 1);
			s->next_ping = now + PING_MS;
		}
	}
}

/* ---- the log ---- */

static void ring_drop_oldest(void)
{
	struct ring_ev *r = &hub.ring[hub.ring_start];

	hub.base = r->ev.id;
	free((char *)r->ev.kind);
	free((char *)r->ev.json);
	free(r->frame);
	hub.ring_start = (hub.ring_start + 1) % RING_CAP;
	hub.ring_len--;
}

/* Keeps one fetched event in the ring and offers it to every subscriber. */
static int take(void *arg, const struct px_m_event *ev)
{
	struct px_buf frame = PX_BUF_INIT;
	struct ring_ev *r;
	struct sub *s;

	(void)arg;
	if (hub.ring_len == RING_CAP)
		ring_drop_oldest();
	r = &hub.ring[(hub.ring_start + hub.ring_len) % RING_CAP];
	px_h_events_sse_frame(&frame, ev->id, ev->kind, ev->json, ev->json_len);
	r->ev = *ev;
	r->ev.kind = strdup(ev->kind);
	r->ev.json = strndup(ev->json, ev->json_len);
	r->frame_len = frame.len;
	r->frame = px_buf_steal(&frame);
	if (!r->ev.kind || !r->ev.json || !r->frame) {
		/* out of memory: forget the ring so subscribers re-read the log */
		free((char *)r->ev.kind);
		free((char *)r->ev.json);
		free(r->frame);
		while (hub.ring_len)
			ring_drop_oldest();
		hub.base = hub.last = ev->id;
		return 1;
	}
	hub.ring_len++;
	hub.last = ev->id;
	for (s = hub.subs; s; s = s->next)
		offer(s, r);
	return 0;
}

/* Reads every new event; on failure the connection is retried later. */
static void fetch(void)
{
	int n = 0;

	if (!hub.known) {
		long long head = 0, pruned = 0;

		if (px_m_events_state(hub.db, &head, &pruned) != PX_OK)
			return;
		hub.base = hub.last = head;
		hub.known = 1;
	}
	do {
		if (px_m_events_fetch(hub.db, hub.last, FETCH_BATCH, take, NULL, &n) != PX_OK)
			return;
	} while (n == FETCH_BATCH);
	flush_polls();
}

/* Sends a typing notice to the SSE streams of its channel's members. */
static void typing(const char *payload)
{
	const char *c = strstr(payload, "\"channel_id\":");
	struct px_buf frame = PX_BUF_INIT;
	long long channel;
	struct sub *s;

	if (!c)
		return;
	channel = strtoll(c + 13, NULL, 10);
	px_h_events_sse_frame(&frame, 0, "typing", payload, strlen(payload));
	for (s = hub.subs; s && !frame.failed; s = s->next)
		if (s->w.sse && !s->dead && px_chanset_has(&s->w.chans, channel))
			sub_write(s, frame.data, frame.len);
	px_buf_free(&frame);
}

/* Notices may be missed from now on: caches that rely on them stop. */
static void deaf(void)
{
	__atomic_store_n(&hub.hearing, 0, __ATOMIC_SEQ_CST);
	hub.listening = NULL;
}

/* Makes sure the connection is up and listening; returns it or NULL.
 * After a reconnect everything missed meanwhile is fetched. */
static PGconn *listener(int *need_fetch)
{
	PGconn *c = px_db_conn(hub.db);

	if (!c) {
		deaf();
		return NULL;
	}
	if (c != hub.listening || PQbackendPID(c) != hub.listening_pid) {
		if (px_m_events_listen(hub.db) != PX_OK) {
			deaf();
			return NULL;
		}
		hub.listening = c;
		hub.listening_pid = PQbackendPID(c);
		/* what was cached before LISTEN took effect may have missed a
		 * notice: the bump ends it, and only then may caches be used */
		px_gen_bump();
		__atomic_store_n(&hub.hearing, 1, __ATOMIC_SEQ_CST);
		*need_fetch = 1;
		px_log_info("events", NULL, "event hub listening (backend %d)",
			    hub.listening_pid);
	}
	return c;
}

/* Consumes notices: event wake-ups set *need_fetch, typing is forwarded;
 * events and auth changes end what this machine's caches hold. */
static void notices(PGconn *c, int *need_fetch)
{
	PGnotify *n;

	if (PQconsumeInput(c) != 1) {
		deaf();
		return;
	}
	while ((n = PQnotifies(c))) {
		if (strcmp(n->relname, PX_M_EVENTS_CHANNEL) == 0) {
			px_gen_bump();
			*need_fetch = 1;
		} else if (strcmp(n->relname, PX_M_AUTH_CHANNEL) == 0) {
			px_gen_bump();
		} else if (hub.known) {
			typing(n->extra);
		}
		PQfreemem(n);
	}
}

/* Users with an open stream count as seen (presence "away" at least). */
static void presence(uint64_t now)
{
	struct px_buf ids = PX_BUF_INIT;
	struct sub *s;

	if (now < hub.next_presence)
		return;
	hub.next_presence = now + PRESENCE_MS;
	for (s = hub.subs; s; s = s->next)
		if (s->w.sse && !s->dead)
			px_buf_printf(&ids, "%s%lld", ids.len ? "," : "", s->w.user);
	if (ids.len && !ids.failed && px_m_presence_seen_many(hub.db, ids.data) != PX_OK)
		px_log_warn("events", NULL, "presence not updated");
	px_buf_free(&ids);
}

static void prune(uint64_t now)
{
	long removed = 0;

	if (now < hub.next_prune)
		return;
	hub.next_prune = now + PRUNE_MS;
	if (px_m_events_prune(hub.db, hub.retention, &removed) == PX_OK && removed)
		px_log_info("events", NULL, "pruned %ld events", removed);
}

/* ---- the thread ---- */

/* Fills fds with the listener, the wake-up pipe and every subscriber (to
 * notice hang-ups); returns the count. */
static nfds_t poll_set(struct pollfd **fds, size_t *cap, PGconn *c)
{
	size_t need = 2;
	struct sub *s;
	nfds_t n = 0;

	for (s = hub.subs; s; s = s->next)
		need++;
	if (need > *cap) {
		struct pollfd *p = realloc(*fds, need * 2 * sizeof(*p));

		if (p) {
			*fds = p;
			*cap = need * 2;
		}
	}
	(*fds)[n++] = (struct pollfd){ hub.wake[0], POLLIN, 0 };
	(*fds)[n++] = (struct pollfd){ c ? PQsocket(c) : -1, POLLIN, 0 };
	for (s = hub.subs; s && n < *cap; s = s->next)
		(*fds)[n++] = (struct pollfd){ s->w.conn.fd, POLLIN, 0 };
	return n;
}

/* A readable subscriber connection means the web server sent more (an
 * abort) or hung up: either way the request is over. */
static void hangups(const struct pollfd *fds, nfds_t n)
{
	struct sub *s = hub.subs;
	char scratch[512];
	nfds_t i;

	for (i = 2; i < n && s; i++, s = s->next) {
		ssize_t got;

		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = recv(fds[i].fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		/* lighttpd sends an empty FCGI_STDIN record after the params;
		 * only end of file or an error means the client left */
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
			px_log_debug("events", NULL, "subscriber hung up");
			s->dead = 1;
		}
	}
}

static int next_timeout(uint64_t now)
{
	uint64_t next = now + 1000;
	struct sub *s;

	for (s = hub.subs; s; s = s->next) {
		if (s->deadline < next)
			next = s->deadline;
		if (s->w.sse && s->next_ping < next)
			next = s->next_ping;
	}
	return next > now ? (int)(next - now) : 0;
}

static int should_stop(void)
{
	int stop;

	pthread_mutex_lock(&hub.lock);
	stop = hub.stopping || hub.app->stopping;
	hub.stopping = stop;
	pthread_mutex_unlock(&hub.lock);
	return stop;
}

/* One turn: wait, then notices, new subscribers, new events, timers. */
static void turn(struct pollfd **fds, size_t *cap)
{
	int need_fetch = 0;
	PGconn *c = listener(&need_fetch);
	uint64_t now = now_ms();
	nfds_t n = poll_set(fds, cap, c);
	char drain[64];

	if (poll(*fds, n, need_fetch ? 0 : next_timeout(now)) < 0 && errno != EINTR)
		return;
	if ((*fds)[0].revents & POLLIN)
		while (read(hub.wake[0], drain, sizeof(drain)) > 0)
			;
	if (c && ((*fds)[1].revents & POLLIN))
		notices(c, &need_fetch);
	hangups(*fds, n);
	now = now_ms();
	if (now >= hub.next_fetch && hub.subs)
		need_fetch = 1;
	if (need_fetch || !hub.known) {
		fetch();
		hub.next_fetch = now + SAFETY_FETCH_MS;
	}
	adopt_pending();
	timers(now);
	presence(now);
	if (hub.retention > 0)
		prune(now);
	reap(0);
}

static void *hub_main(void *arg)
{
	struct pollfd *fds = NULL;
	size_t cap = 0;

	(void)arg;
	while (!should_stop())
		turn(&fds, &cap);
	deaf();
	/* answer long-polls with what they have, end streams */
	adopt_pending();
	for (struct sub *s = hub.subs; s; s = s->next)
		if (!s->dead && !s->w.sse)
			poll_finish(s);
	reap(1);
	free(fds);
	return NULL;
}

/* At exit: stop the thread so that open streams end cleanly. */
static void hub_atexit(void)
{
	pthread_mutex_lock(&hub.lock);
	hub.stopping = 1;
	pthread_mutex_unlock(&hub.lock);
	wake();
	pthread_join(hub.thread, NULL);
}

/* Each waiting request holds a descriptor: allow as many as the hard
 * limit does (the soft limit is often 1024). */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			px_log_warn("events", NULL, "cannot raise the descriptor limit");
	}
}

int px_hub_start(struct px_app *app, const char *conninfo, int retention_hours,
		 int max_waiters)
{
	int rc = 0;

	pthread_mutex_lock(&hub.lock);
	if (hub.started)
		goto out;
	raise_fd_limit();
	rc = -1;
	if (pipe(hub.wake) != 0)
		goto out;
	fcntl(hub.wake[0], F_SETFL, O_NONBLOCK);
	fcntl(hub.wake[1], F_SETFL, O_NONBLOCK);
	hub.db = px_db_new(conninfo);
	hub.app = app;
	hub.retention = retention_hours;
	hub.max_waiters = max_waiters;
	if (!hub.db || pthread_create(&hub.thread, NULL, hub_main, NULL) != 0) {
		px_db_free(hub.db);
		hub.db = NULL;
		close(hub.wake[0]);
		close(hub.wake[1]);
		goto out;
	}
	atexit(hub_atexit);
	hub.started = 1;
	rc = 0;
out:
	pthread_mutex_unlock(&hub.lock);
	return rc;
}

int px_hub_hearing(void)
{
	return __atomic_load_n(&hub.hearing, __ATOMIC_SEQ_CST);
}

enum px_err px_hub_add(const struct px_hub_wait *w)
{
	struct sub *s;
	uint64_t now = now_ms();
	enum px_err e = PX_OK;

	pthread_mutex_lock(&hub.lock);
	if (hub.stopping)
		e = PX_E_SYSTEM_SHUTTING_DOWN;
	else if (hub.count >= (size_t)hub.max_waiters)
		e = PX_E_SYSTEM_UNAVAILABLE;
	else if (!(s = calloc(1, sizeof(*s))))
		e = PX_E_SYSTEM_INTERNAL;
	if (e == PX_OK) {
		s->w = *w;
		s->deadline = now + (uint64_t)w->seconds * 1000;
		s->next_ping = now + PING_MS;
		s->next = hub.pending;
		hub.pending = s;
		hub.count++;
	}
	pthread_mutex_unlock(&hub.lock);
	if (e == PX_OK)
		wake();
	return e;
}
