/* wsd_conn.h: plexichat-ws's state (ws/wsd.h): the daemon, its sockets,
 * and sending and closing on one socket. Internal to ws/.
 *
 * Ownership: every socket is a struct conn in d->conns from accept to
 * px_wsd_conn_end, which alone frees it; sending and closing only mark a
 * socket (dead, closing), so a socket never goes away under a caller. */
#ifndef PX_WSD_CONN_H
#define PX_WSD_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/db.h"
#include "core/http.h"
#include "core/wsproto.h"
#include "fcgi/app.h"
#include "fcgi/events_ws.h"
#include "handlers/events.h"
#include "model/events.h"

#define CLOSE_MS 3000           /* time for a closing socket to drain */
#define FETCH_BATCH 500         /* events read at once */

/* Tags of epoll's data: the listener, signals and the database; anything
 * else is a struct conn. */
enum { TAG_LISTEN = 1, TAG_SIGNAL, TAG_DB, TAG_WORK };

enum conn_state { ST_HEAD, ST_OPEN, ST_CLOSING };

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
	int jobs;                  /* its frames at the worker: it is kept till they return */
};

struct px_wsd_work;

struct px_wsd {
	struct px_app *app;
	struct px_db *db;
	struct px_wsd_work *worker; /* runs the frames' requests (ws/wsd_work.h) */
	int ep, lfd, sfd;
	char *path;
	struct conn *conns;        /* every socket */
	size_t nconns, nall;       /* open ones, all of them */
	struct conn *accepting;    /* whose upgrade runs the pipeline now */
	struct px_ws_hook hook;
	PGconn *listening;
	int listening_pid, db_watched;
	int known;
	int held;                  /* visible events wait for an older transaction */
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

uint64_t px_wsd_now_ms(void);
/* Bytes waiting to be sent. */
size_t px_wsd_queued(const struct conn *c) __attribute__((nonnull));
/* Sends what the socket takes now; the rest waits for EPOLLOUT. */
void px_wsd_flush(struct px_wsd *d, struct conn *c) __attribute__((nonnull));
/* Starts the closing handshake (code and reason in the close frame). */
void px_wsd_close(struct px_wsd *d, struct conn *c, int code, const char *why)
	__attribute__((nonnull));
/* Queues one frame; a reader whose queue is over ws_send_queue_kib is
 * closed with 4001 instead. */
void px_wsd_send(struct px_wsd *d, struct conn *c, enum px_ws_op op, const char *p, size_t n)
	__attribute__((nonnull(1, 2)));
void px_wsd_send_text(struct px_wsd *d, struct conn *c, const struct px_buf *b)
	__attribute__((nonnull));
/* Adds c to d->conns. */
void px_wsd_conn_link(struct px_wsd *d, struct conn *c) __attribute__((nonnull));
/* Ends c: its stream row, its descriptor, its memory. */
void px_wsd_conn_end(struct px_wsd *d, struct conn *c) __attribute__((nonnull));

#endif
