/* events_ws.h: GET /api/v1/events/ws, the WebSocket upgrade of the event
 * stream. The route runs through the ordinary pipeline (WAF, session
 * cookie or bearer token, rate limit) inside plexichat-ws (ws/), which
 * set app->ws; the handler checks the handshake and the Origin, takes the
 * stream's place under the per-user and per-address caps, and hands the
 * grant to that hook. In plexichat.fcgi (no hook: FastCGI cannot carry an
 * upgraded connection) it answers SYSTEM_WS_UNAVAILABLE. A plain GET (no
 * handshake) answers 200 {"websocket":true|false}: whether the server
 * that answered offers it. */
#ifndef PX_EVENTS_WS_H
#define PX_EVENTS_WS_H

#include "core/ctx.h"

/* What an accepted upgrade carries over to the socket. */
struct px_ws_grant {
	long long user;
	long long session_id;      /* 0 for a personal access token */
	char token_hash[65];       /* its hash; "" for a session */
	long long stream;          /* the row in event_streams (caps, checks) */
	long long cursor;          /* last event the client has; -1: from now */
	int reset;                 /* cursor is behind the pruned log */
	long long head;            /* newest event id when accepted */
	char csrf[48];             /* the session's CSRF token ("" for tokens),
				    * sent with the frames' requests */
	char addr[64];             /* client address, behind trusted proxies */
};

struct px_ws_hook {
	/* 1 when the request asked for "Upgrade: websocket": plexichat-ws
	 * consumes that hop-by-hop header itself, as a web server does, so
	 * the WAF (which forbids Upgrade headers on every route) judges the
	 * rest of the request; any other Upgrade value stays for the WAF */
	int (*upgrading)(void *arg);
	/* 0: the socket is the hook's from the 101 answer on; -1: refused
	 * (no room), the handler gives the stream row back */
	int (*accept)(void *arg, const struct px_ws_grant *g);
	void *arg;
};

/* The handler. Errors: SYSTEM_WS_UNAVAILABLE (plexichat.fcgi),
 * VALIDATION_WS_HANDSHAKE, AUTH_ORIGIN_FORBIDDEN (an Origin of another
 * site, or a cookie without Origin), VALIDATION_INVALID_CURSOR,
 * SECURITY_TOO_MANY_STREAMS, SYSTEM_UNAVAILABLE. */
enum px_err px_events_ws_get(struct px_ctx *ctx) __attribute__((nonnull));

#endif
