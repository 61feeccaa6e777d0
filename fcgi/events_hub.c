/* events_hub.c: the process's event hub: one LISTEN connection, one
 * thread, a ring of recent events and the waiting subscribers.
 *
 * Invariants: only the hub thread touches subscribers after adoption, the
 * ring and the database handle; other threads only append to `pending`
 * and count places under the lock. The ring holds every event with id in
 * (base, last]; a subscriber is adopted before the ring moves on, and one
 * whose cursor is below base is first brought up to date from the
 * database. No event reaches a stream whose session, token or account
 * changed before the event committed: such changes notify px_auth, the
 * notice comes in with the answer that fetched the event, and the streams'
 * credentials are checked again before the event is offered. */
#include "fcgi/events_hub.h"
#include "fcgi/app.h"
#include "fcgi/records.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/gen.h"
#include "core/log.h"
#include "core/node.h"
#include "auth/perm.h"
#include "model/channels.h"

#include <assert.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_CAP 4096
#define FETCH_BATCH 500
#define SAFETY_FETCH_MS 5000
#define HELD_FETCH_MS 2         /* events past the horizon: read again soon */
#define PRUNE_MS (3600 * 1000)
#define GAP_LIMIT 100000
#define MEMBERS_MS 1000         /* memberships are read again at most this often */
#define LEASE_MS 30000          /* stream rows are renewed, everything re-checked */
#define MAX_EVENTS 256          /* epoll events taken per wait */

struct ring_ev {
	struct px_m_event ev;   /* kind points to an owned copy; json (not
				 * NUL-terminated) into the frame, which ends
				 * with it and "\n\n": one copy per event */
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
	int watched;            /* its descriptor is in the epoll set */
	size_t kept;            /* membership check: channels still the user's */
};

static struct {
	pthread_mutex_t lock;
	int started, stopping;   /* guarded by lock */
	struct sub *pending;     /* guarded by lock */
	size_t count;            /* adopted + pending, guarded by lock */
	int max_waiters;
	int wake[2];
	int ep;                  /* epoll: wake-up pipe, listener, subscribers */
	pthread_t thread;
	/* hub thread only: */
	struct px_app *app;
	struct px_db *db;
	PGconn *listening;
	int listening_pid;
	int db_watched;          /* the listener's descriptor in the epoll set */
	atomic_int hearing;      /* every change is being notified: written by
				  * the hub thread, read by every worker */
	int known;               /* base/last are set */
	long long base, last;
	struct ring_ev ring[RING_CAP];
	size_t ring_start, ring_len;
	struct sub *subs;
	int retention;
	uint64_t next_fetch, next_prune, next_presence, next_members, next_lease;
	uint64_t next_timer;     /* no subscriber's deadline or ping before this */
	int reap_due;            /* a subscriber is dead: reap walks the list */
	size_t fresh;            /* taken into the ring by this fetch, not yet offered */
	int stalled;             /* out of memory: the fetch stops, the event is retried */
	int held;                /* visible events wait for an older transaction */
	int creds_due;           /* an auth notice came: check credentials again */
	int members_due;         /* ... and memberships */
} hub = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 }, .ep = -1, .db_watched = -1 };

/* epoll data of the two descriptors that are not subscribers */
static char tag_wake, tag_db;

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

/* Marks a subscriber finished; reap ends it at the end of the turn. */
static void kill_sub(struct sub *s)
{
	s->dead = 1;
	hub.reap_due = 1;
}

/* Deadlines and pings: the timer sweep must come no later than s needs. */
static void timer_note(const struct sub *s)
{
	if (s->deadline < hub.next_timer)
		hub.next_timer = s->deadline;
	if (s->w.sse && s->next_ping < hub.next_timer)
		hub.next_timer = s->next_ping;
}

static void sub_free(struct sub *s)
{
	px_chanset_free(&s->w.chans);
	px_buf_free(&s->items);
	free(s);
}

static void sub_write(struct sub *s, const char *p, size_t n)
{
	if (!s->dead && px_hub_conn_write(&s->w.conn, p, n) != 0)
		kill_sub(s);
}

/* Answers a long-poll with what it gathered and ends it. */
static void poll_finish(struct sub *s)
{
	struct px_buf body = PX_BUF_INIT;

	px_h_events_poll_body(&body, &s->items, s->w.cursor);
	sub_write(s, body.data, body.len);
	px_buf_free(&body);
	kill_sub(s);
}

/* Ends a subscriber early: a long-poll answers with what it gathered. */
static void end_sub(struct sub *s)
{
	if (s->dead)
		return;
	if (s->w.sse)
		kill_sub(s);
	else
		poll_finish(s);
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
		kill_sub(s);
		return;
	}
	s->w.chans.n = 0;
	for (i = 0; i < n; i++)
		if (px_chanset_add(&s->w.chans, ids[i]) != 0)
			kill_sub(s);
	free(ids);
}

/* Tells the client that the hub holds its request (whitespace before a
 * long-poll's JSON, a comment on a stream): web servers may keep a head
 * back until body bytes come, and clients may want to know that every
 * event from now on reaches them. */
static void say_held(struct sub *s)
{
	static const char poll_ws[] = "\n", sse_note[] = ": waiting\n\n";

	if (s->w.sse)
		sub_write(s, sse_note, sizeof(sse_note) - 1);
	else
		sub_write(s, poll_ws, sizeof(poll_ws) - 1);
}

/* Brings a subscriber whose cursor fell out of the ring up to date from
 * the log, then from the ring. */
static void adopt(struct sub *s)
{
	struct px_buf out = PX_BUF_INIT;
	size_t i;
	int got = 0;

	if (s->dead)
		goto link;
	/* hang-ups are noticed through the epoll set: without it the
	 * stream could outlive its client, so it ends (the client resumes) */
	{
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = s };

		if (epoll_ctl(hub.ep, EPOLL_CTL_ADD, s->w.conn.fd, &ev) == 0) {
			s->watched = 1;
		} else {
			px_log_warn("events", NULL, "cannot watch a stream: %s", strerror(errno));
			kill_sub(s);
		}
	}
	timer_note(s);
	say_held(s);
	if (s->w.cursor < hub.base) {
		enum px_err e = px_h_events_catch_up(hub.db, s->w.user, s->w.sse,
						     s->w.sse ? GAP_LIMIT : s->w.limit,
						     &s->w.cursor, s->w.sse ? &out : &s->items,
						     &got);

		if (e != PX_OK) {
			px_log_warn("events", NULL, "catch-up of a new subscriber failed: %s",
				    px_err_name(e));
			kill_sub(s);
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
link:
	s->next = hub.subs;
	hub.subs = s;
}

static struct sub *take_pending(void)
{
	struct sub *list;

	pthread_mutex_lock(&hub.lock);
	list = hub.pending;
	hub.pending = NULL;
	pthread_mutex_unlock(&hub.lock);
	return list;
}

static int check_credentials(struct sub *list);

/* Moves pending subscribers in; they wait while the hub does not yet know
 * where the log stands. Their credentials are checked first: a change
 * noticed before they arrived was checked without them. */
static void adopt_pending(void)
{
	struct sub *list, *next;

	if (!hub.known)
		return;
	list = take_pending();
	if (list && check_credentials(list) != 0)
		hub.creds_due = 1;
	for (; list; list = next) {
		next = list->next;
		adopt(list);
	}
	flush_polls();
}

/* Removes finished subscribers, ending their requests and their rows in
 * event_streams. */
static void reap(int all)
{
	struct sub **pp = &hub.subs, *s;
	long long *ids;
	size_t n = 0, k = 0;

	if (!all && !hub.reap_due)
		return;
	hub.reap_due = 0;
	for (s = hub.subs; s; s = s->next)
		if (all || s->dead)
			n++;
	if (!n)
		return;
	/* NULL: the rows lapse with their lease instead */
	ids = malloc(n * sizeof(*ids));
	while ((s = *pp)) {
		if (!s->dead && !all) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		if (ids && s->w.stream)
			ids[k++] = s->w.stream;
		/* the descriptor may share its open file with libfcgi's */
		if (s->watched)
			epoll_ctl(hub.ep, EPOLL_CTL_DEL, s->w.conn.fd, NULL);
		px_hub_conn_end(&s->w.conn);
		sub_free(s);
	}
	if (k && px_m_streams_close(hub.db, ids, k) != PX_OK)
		px_log_warn("events", NULL, "stream rows not removed; they lapse in %d s",
			    PX_HUB_LEASE_SECONDS);
	free(ids);
	pthread_mutex_lock(&hub.lock);
	hub.count -= n;
	pthread_mutex_unlock(&hub.lock);
}

/* presence_refresh_seconds and events_ping_seconds of the latest request
 * that reached the hub (px_hub_set_intervals), read by the hub's thread. */
static atomic_int presence_seconds = 60;
static atomic_int ping_seconds = 15;

void px_hub_set_intervals(int presence_s, int ping_s)
{
	atomic_store(&presence_seconds, presence_s > 0 ? presence_s : 60);
	atomic_store(&ping_seconds, ping_s > 0 ? ping_s : 15);
}

static uint64_t ping_ms(void)
{
	return 1000 * (uint64_t)atomic_load(&ping_seconds);
}

/* Deadlines and keep-alives: one sweep when the earliest is due, which
 * also finds the next one (a turn costs no walk over every stream). */
static void timers(uint64_t now)
{
	static const char ping[] = ": ping\n\n";
	struct sub *s;

	if (now < hub.next_timer)
		return;
	hub.next_timer = UINT64_MAX;
	for (s = hub.subs; s; s = s->next) {
		if (s->dead)
			continue;
		if (now >= s->deadline) {
			if (s->w.sse)
				kill_sub(s);
			else
				poll_finish(s);
		} else if (s->w.sse && now >= s->next_ping) {
			sub_write(s, ping, sizeof(ping) - 1);
			s->next_ping = now + ping_ms();
		}
		if (!s->dead)
			timer_note(s);
	}
}

/* ---- credentials, memberships and stream rows ---- */

/* The live subscribers of a list that have a row in event_streams, sorted
 * by row id, and the ids: what one query checks. */
struct check {
	struct sub **v;
	long long *ids;
	size_t n;
};

static int by_stream(const void *a, const void *b)
{
	long long x = (*(struct sub *const *)a)->w.stream;
	long long y = (*(struct sub *const *)b)->w.stream;

	return (x > y) - (x < y);
}

static void check_end(struct check *c)
{
	free(c->v);
	free(c->ids);
	memset(c, 0, sizeof(*c));
}

/* Fills c from list (n may be 0); -1 when memory is short. */
static int check_begin(struct check *c, struct sub *list)
{
	struct sub *s;
	size_t n = 0, i = 0;

	memset(c, 0, sizeof(*c));
	for (s = list; s; s = s->next)
		if (!s->dead && s->w.stream)
			n++;
	if (!n)
		return 0;
	c->v = malloc(n * sizeof(*c->v));
	c->ids = malloc(n * sizeof(*c->ids));
	if (!c->v || !c->ids) {
		check_end(c);
		return -1;
	}
	for (s = list; s; s = s->next)
		if (!s->dead && s->w.stream)
			c->v[i++] = s;
	qsort(c->v, n, sizeof(*c->v), by_stream);
	for (i = 0; i < n; i++)
		c->ids[i] = c->v[i]->w.stream;
	c->n = n;
	return 0;
}

static struct sub *check_find(const struct check *c, long long id)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ids[mid] == id)
			return c->v[mid];
		if (c->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void revoked(void *arg, long long id)
{
	struct sub *s = check_find(arg, id);

	if (s && !s->dead) {
		px_log_info("events", NULL, "stream of user %lld ended: its session, token "
			    "or account changed", s->w.user);
		end_sub(s);
	}
}

/* Ends the streams of list whose session or token was revoked or expired
 * or whose account was deactivated. 0, or -1 when that could not be read
 * (the caller tries again later). */
static int check_credentials(struct sub *list)
{
	struct check c;
	int rc = -1;

	if (check_begin(&c, list) != 0)
		return -1;
	if (px_m_streams_revoked(hub.db, c.ids, c.n, PX_SCOPE_READ, revoked, &c) == PX_OK)
		rc = 0;
	check_end(&c);
	return rc;
}

/* Before offering events: every auth change noticed so far is applied. */
static void credentials_due(void)
{
	if (hub.creds_due && check_credentials(hub.subs) == 0)
		hub.creds_due = 0;
}

static void member_of(void *arg, long long id, long long channel)
{
	struct sub *s = check_find(arg, id);

	if (s && px_chanset_has(&s->w.chans, channel))
		s->kept++;
}

/* Ends the streams whose user no longer belongs to a channel they deliver.
 * Removals emit member.left, which updates the set as it passes; this
 * catches the rest (a channel removed with its members), after the
 * events fetched so far were offered, at most once per MEMBERS_MS. */
static void check_members(uint64_t now)
{
	struct check c;
	size_t i;

	/* not while committed events wait behind an older transaction: one
	 * of them may be the member.left that updates the set */
	if (!hub.members_due || now < hub.next_members || hub.held)
		return;
	hub.next_members = now + MEMBERS_MS;
	if (check_begin(&c, hub.subs) != 0)
		return;
	for (i = 0; i < c.n; i++)
		c.v[i]->kept = 0;
	if (px_m_streams_channels(hub.db, c.ids, c.n, member_of, &c) == PX_OK) {
		hub.members_due = 0;
		for (i = 0; i < c.n; i++) {
			if (c.v[i]->kept == c.v[i]->w.chans.n)
				continue;
			px_log_info("events", NULL, "stream of user %lld ended: a membership "
				    "changed", c.v[i]->w.user);
			end_sub(c.v[i]);
		}
	}
	check_end(&c);
}

/* Keeps the rows of live streams from lapsing. Sessions also expire by the
 * clock and notices may have been missed, so everything is checked again. */
static void renew(uint64_t now)
{
	struct check c;

	if (now < hub.next_lease)
		return;
	hub.next_lease = now + LEASE_MS;
	hub.creds_due = hub.members_due = 1;
	if (check_begin(&c, hub.subs) != 0)
		return;
	if (px_m_streams_renew(hub.db, c.ids, c.n, PX_HUB_LEASE_SECONDS) != PX_OK)
		px_log_warn("events", NULL, "stream leases not renewed");
	check_end(&c);
}

/* ---- the log ---- */

static void ring_drop_oldest(void)
{
	struct ring_ev *r = &hub.ring[hub.ring_start];

	hub.base = r->ev.id;
	free((char *)r->ev.kind);
	free(r->frame);
	hub.ring_start = (hub.ring_start + 1) % RING_CAP;
	hub.ring_len--;
}

/* Keeps one fetched event in the ring, to be offered once the batch is
 * read (take is called with the whole answer in hand). */
static int take(void *arg, const struct px_m_event *ev)
{
	struct px_buf frame = PX_BUF_INIT;
	struct ring_ev *r;

	(void)arg;
	if (hub.ring_len == RING_CAP)
		ring_drop_oldest();
	r = &hub.ring[(hub.ring_start + hub.ring_len) % RING_CAP];
	px_h_events_sse_frame(&frame, ev->id, ev->kind, ev->json, ev->json_len);
	r->ev = *ev;
	r->ev.kind = strdup(ev->kind);
	r->frame_len = frame.len;
	r->frame = px_buf_steal(&frame);
	if (r->frame) {
		/* the buffer grew by doubling: the ring keeps only the frame */
		char *fit = realloc(r->frame, r->frame_len + 1);

		if (fit)
			r->frame = fit;
		/* px_h_events_sse_frame ends the frame with the JSON and "\n\n" */
		r->ev.json = r->frame + r->frame_len - 2 - ev->json_len;
	}
	if (!r->ev.kind || !r->frame) {
		/* out of memory: last stays before this event, so the next fetch
		 * reads it again; nobody skips it */
		free((char *)r->ev.kind);
		free(r->frame);
		hub.stalled = 1;
		return 1;
	}
	hub.ring_len++;
	hub.fresh++;
	hub.last = ev->id;
	return 0;
}

/* Offers the events of the last batch to every subscriber, in id order. */
static void offer_fresh(void)
{
	size_t i;
	struct sub *s;

	for (i = hub.ring_len - hub.fresh; i < hub.ring_len; i++)
		for (s = hub.subs; s; s = s->next)
			offer(s, ring_at(i));
	hub.fresh = 0;
}

static void notices(PGconn *c, int *need_fetch);

/* Reads every new event; on failure the connection is retried later.
 * Auth changes that committed before an event notified px_auth before it,
 * and their notices came in with the answer: they are applied before the
 * event is offered. */
static void fetch(PGconn *c)
{
	int n = 0, more = 1;

	if (!hub.known) {
		long long head = 0, pruned = 0;

		if (px_m_events_state(hub.db, &head, &pruned) != PX_OK)
			return;
		hub.base = hub.last = head;
		hub.known = 1;
	}
	hub.stalled = 0;
	while (more && !hub.stalled) {
		more = 0;
		hub.fresh = 0;
		if (px_m_events_fetch(hub.db, hub.last, FETCH_BATCH, take, NULL, &n,
				      &hub.held) != PX_OK)
			break;
		if (c)
			notices(c, &more);
		credentials_due();
		offer_fresh();
		more = more || n == FETCH_BATCH;
	}
	if (hub.stalled) {
		/* everyone adopted has seen the whole ring: give its memory back;
		 * newcomers read the log instead */
		px_log_warn("events", NULL, "out of memory; events are read again later");
		while (hub.ring_len)
			ring_drop_oldest();
	}
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
	atomic_store(&hub.hearing, 0);
	hub.listening = NULL;
}

/* Puts the listening connection's socket in the epoll set. The old
 * connection's descriptor left the set when it was closed; its number may
 * be a subscriber's by now, so it is not touched. */
static void watch_db(PGconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_db };

	hub.db_watched = PQsocket(c);
	if (epoll_ctl(hub.ep, EPOLL_CTL_ADD, hub.db_watched, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(hub.ep, EPOLL_CTL_MOD, hub.db_watched, &ev) != 0))
		px_log_warn("events", NULL, "cannot watch the database socket");
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
		watch_db(c);
		/* changes made while nobody listened were not noticed */
		hub.creds_due = hub.members_due = 1;
		/* what was cached before LISTEN took effect may have missed a
		 * notice: the bump ends it, and only then may caches be used */
		px_gen_bump();
		atomic_store(&hub.hearing, 1);
		*need_fetch = 1;
		px_log_info("events", NULL, "event hub listening (backend %d)",
			    hub.listening_pid);
	}
	return c;
}

/* Consumes notices: event wake-ups set *need_fetch, typing is forwarded,
 * auth changes make the streams' credentials and memberships due for a
 * check; events and auth changes end what this machine's caches hold. */
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
			hub.creds_due = hub.members_due = 1;
			/* the change's own event (member.left) committed with
			 * it: offer it before the membership check ends a
			 * stream for it (posts' wake-ups come a moment later) */
			*need_fetch = 1;
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
	hub.next_presence = now + 1000 * (uint64_t)atomic_load(&presence_seconds);
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

/* A readable subscriber connection means the web server sent more (an
 * abort) or hung up: either way the request is over. */
static void hangup(struct sub *s)
{
	char scratch[512];
	ssize_t got = recv(s->w.conn.fd, scratch, sizeof(scratch), MSG_DONTWAIT);

	/* lighttpd sends an empty FCGI_STDIN record after the params; only
	 * end of file or an error means the client left */
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
		px_log_debug("events", NULL, "subscriber hung up");
		kill_sub(s);
	}
}

static int next_timeout(uint64_t now)
{
	uint64_t next = now + 1000;

	/* the older transaction may end without anybody waking us */
	if (hub.held && hub.next_fetch < next)
		next = hub.next_fetch;
	if (hub.next_timer < next)
		next = hub.next_timer;
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

/* One turn: wait, then notices, credentials, new events, new
 * subscribers, memberships, timers. epoll reports only the descriptors
 * that are ready, so a turn costs the same with ten streams or ten
 * thousand. */
static void turn(struct epoll_event *evs)
{
	int need_fetch = 0, n, i;
	PGconn *c = listener(&need_fetch);
	uint64_t now = now_ms();

	n = epoll_wait(hub.ep, evs, MAX_EVENTS, need_fetch ? 0 : next_timeout(now));
	if (n < 0 && errno != EINTR) {
		px_log_warn("events", NULL, "epoll_wait: %s", strerror(errno));
		poll(NULL, 0, 100);
	}
	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == &tag_wake) {
			char drain[64];

			while (read(hub.wake[0], drain, sizeof(drain)) > 0)
				;
		} else if (evs[i].data.ptr == &tag_db) {
			if (c)
				notices(c, &need_fetch);
		} else {
			hangup(evs[i].data.ptr);
		}
	}
	now = now_ms();
	if (now >= hub.next_fetch && (hub.subs || hub.held))
		need_fetch = 1;
	credentials_due();
	if (need_fetch || !hub.known) {
		fetch(c);
		hub.next_fetch = now + (hub.held ? HELD_FETCH_MS : SAFETY_FETCH_MS);
	}
	adopt_pending();
	check_members(now);
	renew(now);
	timers(now);
	/* a draining node ends its streams: clients reconnect with
	 * Last-Event-ID, and the load balancer sends them elsewhere */
	if (px_node_draining())
		for (struct sub *s = hub.subs; s; s = s->next)
			end_sub(s);
	presence(now);
	if (hub.retention > 0)
		prune(now);
	reap(0);
}

static void *hub_main(void *arg)
{
	struct epoll_event *evs = calloc(MAX_EVENTS, sizeof(*evs));
	struct sub *list, *next;

	(void)arg;
	while (evs && !should_stop())
		turn(evs);
	if (!evs)
		px_log_error("events", NULL, "event hub out of memory at start");
	deaf();
	/* requests still pending (also while the hub never learnt where the
	 * log stands) have seen everything up to their cursor: answer them as
	 * they are; answer long-polls with what they have, end streams */
	for (list = take_pending(); list; list = next) {
		next = list->next;
		list->next = hub.subs;
		hub.subs = list;
	}
	for (struct sub *s = hub.subs; s; s = s->next)
		end_sub(s);
	reap(1);
	free(evs);
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
	hub.ep = epoll_create1(EPOLL_CLOEXEC);
	if (hub.ep < 0 || epoll_ctl(hub.ep, EPOLL_CTL_ADD, hub.wake[0],
				    &(struct epoll_event){ .events = EPOLLIN,
							   .data.ptr = &tag_wake }) != 0) {
		close(hub.wake[0]);
		close(hub.wake[1]);
		if (hub.ep >= 0)
			close(hub.ep);
		hub.ep = -1;
		goto out;
	}
	hub.db = px_db_new(conninfo);
	hub.app = app;
	hub.retention = retention_hours;
	hub.max_waiters = max_waiters;
	if (!hub.db || pthread_create(&hub.thread, NULL, hub_main, NULL) != 0) {
		px_db_free(hub.db);
		hub.db = NULL;
		close(hub.wake[0]);
		close(hub.wake[1]);
		close(hub.ep);
		hub.ep = -1;
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
	return atomic_load(&hub.hearing);
}

enum px_err px_hub_reserve(void)
{
	enum px_err e = PX_OK;

	pthread_mutex_lock(&hub.lock);
	if (hub.stopping)
		e = PX_E_SYSTEM_SHUTTING_DOWN;
	else if (px_node_draining())
		e = PX_E_SYSTEM_DRAINING;
	else if (hub.count >= (size_t)hub.max_waiters)
		e = PX_E_SYSTEM_UNAVAILABLE;
	else
		hub.count++;
	pthread_mutex_unlock(&hub.lock);
	return e;
}

void px_hub_unreserve(void)
{
	pthread_mutex_lock(&hub.lock);
	assert(hub.count > 0);
	hub.count--;
	pthread_mutex_unlock(&hub.lock);
}

enum px_err px_hub_add(const struct px_hub_wait *w)
{
	uint64_t now = now_ms();
	enum px_err e = PX_OK;
	struct sub *s;

	pthread_mutex_lock(&hub.lock);
	if (hub.stopping)
		e = PX_E_SYSTEM_SHUTTING_DOWN;
	else if (!(s = calloc(1, sizeof(*s))))
		e = PX_E_SYSTEM_INTERNAL;
	if (e == PX_OK) {
		s->w = *w;
		s->deadline = now + (uint64_t)w->seconds * 1000;
		s->next_ping = now + ping_ms();
		s->next = hub.pending;
		hub.pending = s;
	}
	pthread_mutex_unlock(&hub.lock);
	if (e == PX_OK)
		wake();
	return e;
}

/* --- Detached connections and start-up from a request ------------------- */

#define HIGH_FD 1024

int px_hub_conn_detach(struct px_response *resp, struct px_hub_conn *c)
{
	struct timeval stall = { 1, 0 };
	FCGX_Request *r;

	/* fcgi/main.c serves FastCGI requests with io = the FCGX_Request and
	 * plain CGI with io = NULL */
	if (!resp->io || !resp->ops->flush)
		return -1;
	r = resp->io;
	if (resp->ops->flush(resp->io) != 0 || r->ipcFd <= 0)
		return -1;
	/* above 1023: libfcgi closes the worker's descriptors with select(),
	 * which cannot watch a descriptor past FD_SETSIZE, so the thousands of
	 * descriptors held here must leave the low numbers to the workers */
	c->fd = fcntl(r->ipcFd, F_DUPFD_CLOEXEC, HIGH_FD);
	if (c->fd < 0)
		c->fd = fcntl(r->ipcFd, F_DUPFD_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	c->request_id = r->requestId;
	/* a stalled web server must not stall every other subscriber */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall));
	/* detached: libfcgi's shutdown() would end the shared socket's
	 * sending side for us too */
	px_records_take_over(r);
	return 0;
}

int px_hub_conn_write(struct px_hub_conn *c, const void *p, size_t n)
{
	return px_records_stdout(c->fd, c->request_id, p, n);
}

void px_hub_conn_end(struct px_hub_conn *c)
{
	if (c->fd < 0)
		return;
	if (px_records_end(c->fd, c->request_id) != 0)
		px_log_debug("events", NULL, "stream ended by the peer");
	close(c->fd);
	c->fd = -1;
}

enum px_err px_hub_ensure(struct px_ctx *ctx)
{
	struct px_buf ci = PX_BUF_INIT;
	int rc;

	px_hub_set_intervals((int)px_cfg_int(ctx->cfg, "presence_refresh_seconds"),
			     (int)px_cfg_int(ctx->cfg, "events_ping_seconds"));
	px_db_conninfo(px_cfg_str(ctx->cfg, "db_conninfo"), px_cfg_str(ctx->cfg, "db_password"),
		       &ci);
	rc = ci.failed ? -1 : px_hub_start(ctx->app, ci.data,
					   (int)px_cfg_int(ctx->cfg, "events_retention_hours"),
					   (int)px_cfg_int(ctx->cfg, "events_max_waiters"));
	px_buf_free(&ci);
	return rc == 0 ? PX_OK : PX_E_SYSTEM_INTERNAL;
}
