/* wsd_events.c: the event side of plexichat-ws (ws/wsd_events.h). */
#include "ws/wsd_events.h"
#include "core/gen.h"
#include "core/log.h"
#include "auth/perm.h"
#include "model/channels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define CATCH_UP_BATCH 200
#define LEASE_MS 30000
#define MEMBERS_MS 1000
#define PRUNE_MS (3600 * 1000)

/* ---- events ---- */

/* One event as the frame everybody gets (the event's JSON). */
struct fan {
	struct px_wsd *d;
	struct conn *c;            /* catch-up: the one reader */
};

static void offer(struct px_wsd *d, struct conn *c, const struct px_m_event *ev)
{
	if (c->dead || c->behind || c->state != ST_OPEN || ev->id <= c->cursor)
		return;
	c->cursor = ev->id;
	if (px_h_events_visible(&c->chans, c->g.user, ev))
		px_wsd_send(d, c, PX_WS_TEXT, ev->json, ev->json_len);
}

/* Loads the user's channels (after a catch-up, whose membership events
 * bypassed the set). */
static void load_channels(struct px_wsd *d, struct conn *c)
{
	long long *ids = NULL;
	size_t n = 0, i;

	if (px_m_events_channels(d->db, c->g.user, &ids, &n) != PX_OK) {
		px_wsd_close(d, c, PX_WS_CLOSE_INTERNAL, "database unavailable");
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
	px_wsd_send(f->d, f->c, PX_WS_TEXT, ev->json, ev->json_len);
	return f->c->dead || f->c->state != ST_OPEN;
}

/* One batch from the log for a connection that is behind, while its queue
 * has room; once the log is exhausted it joins the live stream and says
 * {"type":"ready","last_event_id":N}. */
void px_wsd_catch_up(struct px_wsd *d, struct conn *c)
{
	struct fan f = { d, c };
	struct px_buf b = PX_BUF_INIT;
	long long head = 0;
	int n = 0, rounds = 0;

	/* rounds: the rest waits for the next turn, so that one far-behind
	 * reader does not hold up the loop */
	while (rounds++ < 20 && c->behind && !c->dead && c->state == ST_OPEN && px_wsd_queued(c) < d->queue_max / 2) {
		if (px_m_events_for_user(d->db, c->g.user, c->cursor, CATCH_UP_BATCH, catch_up_one,
					 &f, &n, &head) != PX_OK) {
			px_wsd_close(d, c, PX_WS_CLOSE_INTERNAL, "database unavailable");
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
			px_wsd_send_text(d, c, &b);
		}
	}
	px_buf_free(&b);
}

void px_wsd_start_open(struct px_wsd *d, struct conn *c)
{
	uint64_t now = px_wsd_now_ms();

	c->state = ST_OPEN;
	c->last_in = now;
	c->next_ping = now + d->ping_ms;
	c->cursor = c->g.cursor < 0 ? c->g.head : c->g.cursor;
	if (c->g.reset) {
		struct px_buf b = PX_BUF_INIT;

		/* the client missed pruned events: it must reload its state */
		px_buf_printf(&b, "{\"type\":\"reset\",\"last_event_id\":%lld}", c->g.head);
		px_wsd_send_text(d, c, &b);
		px_buf_free(&b);
		c->cursor = c->g.head;
	}
	c->behind = 1;
	px_wsd_catch_up(d, c);
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
		px_wsd_close(a->d, c, PX_WS_CLOSE_REVOKED, "credentials revoked");
	}
}

void px_wsd_credentials_due(struct px_wsd *d)
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
void px_wsd_check_members(struct px_wsd *d, uint64_t now)
{
	struct check k;
	size_t i;

	/* not while committed events wait behind an older transaction: one
	 * of them may be the member.left that updates the set */
	if (!d->members_due || now < d->next_members || d->held || check_begin(d, &k) != 0)
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
			px_wsd_close(d, k.v[i], PX_WS_CLOSE_REVOKED, "membership changed");
		}
	}
	check_end(&k);
}

void px_wsd_renew(struct px_wsd *d, uint64_t now)
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

void px_wsd_fetch(struct px_wsd *d)
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
		if (px_m_events_fetch(d->db, d->last, FETCH_BATCH, keep, &b, &n,
				      &d->held) != PX_OK)
			break;
		px_wsd_notices(d, &more);
		px_wsd_credentials_due(d);
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
			px_wsd_send_text(d, c, &b);
	px_buf_free(&b);
}

void px_wsd_notices(struct px_wsd *d, int *need_fetch)
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
			/* offer the change's own event (member.left) before the
			 * membership check (as fcgi/events_hub.c) */
			*need_fetch = 1;
		} else if (d->known) {
			typing(d, n->extra);
		}
		PQfreemem(n);
	}
}

/* Keeps the connection listening and its socket in the epoll set. */
void px_wsd_listen(struct px_wsd *d, int *need_fetch)
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
	/* the old connection's descriptor was closed with it, which took it
	 * out of the epoll set; its number may belong to a client by now, so
	 * it is not touched */
	d->db_watched = PQsocket(pg);
	if (epoll_ctl(d->ep, EPOLL_CTL_ADD, d->db_watched, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(d->ep, EPOLL_CTL_MOD, d->db_watched, &ev) != 0))
		px_log_warn("ws", NULL, "cannot watch the database socket");
	d->creds_due = d->members_due = 1;
	*need_fetch = 1;
	px_log_info("ws", NULL, "plexichat-ws listening (backend %d)", d->listening_pid);
}

void px_wsd_presence(struct px_wsd *d, uint64_t now)
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

void px_wsd_prune(struct px_wsd *d, uint64_t now)
{
	long removed = 0;

	if (now < d->next_prune)
		return;
	d->next_prune = now + PRUNE_MS;
	if (px_m_events_prune(d->db, d->retention, &removed) == PX_OK && removed)
		px_log_info("ws", NULL, "pruned %ld events", removed);
}
