/* model/events.h: SQL for the event log: reading it in order, for one
 * user or for a whole process's fan-out, listening and pruning; and the
 * table of open streams behind the caps per user and per address. */
#ifndef PX_M_EVENTS_H
#define PX_M_EVENTS_H

#include <stddef.h>

#include "core/db.h"

/* One event row; strings point into the result and live for the callback. */
struct px_m_event {
	long long id, channel_id, user_id; /* 0 when NULL */
	const char *kind;
	const char *json;                  /* {"id","type","channel_id","at","data"} */
	size_t json_len;
};

/* Called per row in id order; return non-zero to stop early. */
typedef int (*px_m_event_fn)(void *arg, const struct px_m_event *ev);

/* Every event with id > after (at most limit) below the horizon, for a
 * process's hub: no event with a smaller id can commit later. *n gets the
 * number of rows seen; *held is 1 when events past the horizon are already
 * visible (a transaction that began earlier is still running): the caller
 * reads again soon, as that transaction may end without a wake-up. */
enum px_err px_m_events_fetch(struct px_db *db, long long after, int limit,
			      px_m_event_fn fn, void *arg, int *n, int *held)
	__attribute__((nonnull(1), warn_unused_result));
/* Events with id > after that user may see (member channels and events
 * addressed to them), at most limit, below the horizon. *head gets the
 * highest event id below the horizon: every event up to it has been seen,
 * so a caller may move its cursor there when fewer than limit came back. */
enum px_err px_m_events_for_user(struct px_db *db, long long user, long long after,
				 int limit, px_m_event_fn fn, void *arg, int *n,
				 long long *head)
	__attribute__((nonnull(1), warn_unused_result));
/* The newest event id below the horizon (where a new reader starts) and
 * the highest id removed by pruning. */
enum px_err px_m_events_state(struct px_db *db, long long *head, long long *pruned)
	__attribute__((nonnull(1), warn_unused_result));
/* Removes events older than hours; *removed gets the count. */
enum px_err px_m_events_prune(struct px_db *db, int hours, long *removed)
	__attribute__((nonnull(1), warn_unused_result));
/* Wakes every reader (NOTIFY px_events) for the events that sessions with
 * px.wake = 'after_commit' committed without a notice (fcgi/waker.c). */
enum px_err px_m_events_wake(struct px_db *db)
	__attribute__((nonnull(1), warn_unused_result));
/* LISTEN on the event, typing and auth channels of this connection. */
enum px_err px_m_events_listen(struct px_db *db)
	__attribute__((nonnull(1), warn_unused_result));
/* Ids of the channels user belongs to, ascending; *ids is malloc'ed
 * (the caller frees it with free(); may be NULL when *n is 0). */
enum px_err px_m_events_channels(struct px_db *db, long long user, long long **ids,
				 size_t *n) __attribute__((nonnull(1), warn_unused_result));

/* ---- Open streams (sql/080): the caps per user and per address, and
 * what each stream was opened with. ---- */

struct px_m_stream {
	long long user;
	long long session_id;     /* 0 for a personal access token */
	const char *token_hash;   /* the token's hash; "" for a session */
	const char *addr;         /* client address */
};

/* Records an open stream unless its user holds per_user live streams or
 * its address per_addr already; the row lives for lease seconds unless
 * renewed. *id gets the row's id, or 0 with *refused set to 1 (the user's
 * cap) or 2 (the address's). */
enum px_err px_m_streams_open(struct px_db *db, const struct px_m_stream *s, int per_user,
			      int per_addr, int lease, long long *id, int *refused)
	__attribute__((nonnull(1), warn_unused_result));
/* Renews the leases of the n rows ids for lease seconds. */
enum px_err px_m_streams_renew(struct px_db *db, const long long *ids, size_t n, int lease)
	__attribute__((nonnull(1), warn_unused_result));
/* Removes the n rows ids. */
enum px_err px_m_streams_close(struct px_db *db, const long long *ids, size_t n)
	__attribute__((nonnull(1), warn_unused_result));
/* Calls fn(arg, id) for each of the n rows ids whose stream must end: the
 * row lapsed, its session or token was revoked, expired or (a token) lost
 * the scopes in scope, or its account was deactivated or removed. */
enum px_err px_m_streams_revoked(struct px_db *db, const long long *ids, size_t n,
				 unsigned scope, void (*fn)(void *arg, long long id),
				 void *arg) __attribute__((nonnull(1), warn_unused_result));
/* Calls fn(arg, id, channel) for every channel the user of each of the n
 * rows ids belongs to now. */
enum px_err px_m_streams_channels(struct px_db *db, const long long *ids, size_t n,
				  void (*fn)(void *arg, long long id, long long channel),
				  void *arg)
	__attribute__((nonnull(1), warn_unused_result));

#define PX_M_EVENTS_CHANNEL "px_events"
#define PX_M_TYPING_CHANNEL "px_typing"
/* sessions, tokens, accounts, memberships or channels changed (sql/074) */
#define PX_M_AUTH_CHANNEL "px_auth"

#endif
