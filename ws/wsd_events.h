/* wsd_events.h: plexichat-ws's events (ws/wsd.h): the fan-out of the log
 * to the open sockets, a socket's own catch-up, typing notices, the
 * notices of its LISTEN connection, and the checks of credentials and
 * memberships that end sockets (as fcgi/events_hub.c does for SSE).
 * Internal to ws/. */
#ifndef PX_WSD_EVENTS_H
#define PX_WSD_EVENTS_H

#include "ws/wsd_conn.h"

/* A socket just upgraded: reset if needed, then catching up. */
void px_wsd_start_open(struct px_wsd *d, struct conn *c) __attribute__((nonnull));
/* One more batch from the log for a socket that is behind, while its
 * queue has room; then {"type":"ready"} and the live stream. */
void px_wsd_catch_up(struct px_wsd *d, struct conn *c) __attribute__((nonnull));
/* Keeps the LISTEN connection up and its socket in the epoll set; sets
 * *need_fetch after a (re)connect. */
void px_wsd_listen(struct px_wsd *d, int *need_fetch) __attribute__((nonnull));
/* Consumes notices: events set *need_fetch, typing goes out, auth
 * changes make the checks due. */
void px_wsd_notices(struct px_wsd *d, int *need_fetch) __attribute__((nonnull));
/* Reads every new event and offers it to every socket, in id order. */
void px_wsd_fetch(struct px_wsd *d) __attribute__((nonnull));
/* The checks, when due: revoked credentials end sockets (4003), and so do
 * lost memberships; leases renewed every 30 s. */
void px_wsd_credentials_due(struct px_wsd *d) __attribute__((nonnull));
void px_wsd_check_members(struct px_wsd *d, uint64_t now) __attribute__((nonnull));
void px_wsd_renew(struct px_wsd *d, uint64_t now) __attribute__((nonnull));
/* Users with an open socket count as seen; the log is pruned hourly. */
void px_wsd_presence(struct px_wsd *d, uint64_t now) __attribute__((nonnull));
void px_wsd_prune(struct px_wsd *d, uint64_t now) __attribute__((nonnull));

#endif
