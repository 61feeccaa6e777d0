/* events_ws.c: GET /api/v1/events/ws (fcgi/events_ws.h). */
#include "fcgi/events_ws.h"
#include "fcgi/app.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "handlers/events.h"
#include "model/events.h"
#include "core/wsproto.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Seconds a row in event_streams lives unless plexichat-ws renews it (as
 * the FastCGI hub's PX_HUB_LEASE_SECONDS). */
#define WS_LEASE_SECONDS 90

/* Whether the comma-separated header value holds token (any case). */
static int has_token(const char *v, const char *token)
{
	size_t n = strlen(token);

	while (v && *v) {
		v += strspn(v, " \t,");
		if (strncasecmp(v, token, n) == 0 && strchr(" \t,", v[n]))
			return 1;
		v = strchr(v, ',');
	}
	return 0;
}

/* RFC 6455 section 4.2.1; the accept value into accept. */
static enum px_err handshake(struct px_ctx *ctx, const struct px_ws_hook *hook,
			     char accept[29])
{
	const struct px_request *r = ctx->req;
	const char *ver = px_request_header(r, "sec-websocket-version");
	const char *key = px_request_header(r, "sec-websocket-key");

	if (!hook->upgrading(hook->arg) ||
	    !has_token(px_request_header(r, "connection"), "upgrade")) {
		px_ctx_detail(ctx, "reason", "upgrade");
		return PX_E_VALIDATION_WS_HANDSHAKE;
	}
	if (!ver || strcmp(ver, "13") != 0) {
		/* the RFC's Sec-WebSocket-Version answer header would be dropped
		 * with the error's own headers: the details say it */
		px_buf_reset(&ctx->details);
		px_buf_puts(&ctx->details, "{\"reason\":\"version\",\"supported\":\"13\"}");
		return PX_E_VALIDATION_WS_HANDSHAKE;
	}
	if (!key || px_ws_accept_key(key, accept) != 0) {
		px_ctx_detail(ctx, "reason", "key");
		return PX_E_VALIDATION_WS_HANDSHAKE;
	}
	return PX_OK;
}

/* Browsers always send Origin with a WebSocket handshake, and they send
 * cookies to any site's sockets: a cookie is only good with this site's
 * Origin. A bearer token (not sent by browsers on their own) needs none. */
static enum px_err origin(struct px_ctx *ctx)
{
	const char *o = px_request_header(ctx->req, "origin");

	if ((o && !px_auth_origin_ok(ctx)) || (!o && ctx->who.via_cookie)) {
		px_log_info("events", ctx->req->correlation_id, "WebSocket refused: origin %s",
			    o ? o : "(none)");
		return PX_E_AUTH_ORIGIN_FORBIDDEN;
	}
	return PX_OK;
}

/* The stream's row under the caps (as SSE streams take theirs). */
static enum px_err take_place(struct px_ctx *ctx, struct px_ws_grant *g)
{
	struct px_m_stream st = { .user = g->user, .session_id = g->session_id,
				  .token_hash = g->token_hash, .addr = g->addr };
	int per_user = (int)px_cfg_int(ctx->cfg, "events_max_streams_per_user");
	int per_addr = (int)px_cfg_int(ctx->cfg, "events_max_streams_per_addr");
	int refused = 0;
	enum px_err e;

	e = px_m_streams_open(ctx->db, &st, per_user, per_addr, WS_LEASE_SECONDS, &g->stream,
			      &refused);
	if (e == PX_OK && refused) {
		px_buf_reset(&ctx->details);
		px_buf_printf(&ctx->details, "{\"limit\":\"%s\",\"max\":%d}",
			      refused == 1 ? "user" : "address",
			      refused == 1 ? per_user : per_addr);
		px_metrics_count("px_events_streams_refused_total",
				 refused == 1 ? "limit=\"user\"" : "limit=\"address\"", 1);
		e = PX_E_SECURITY_TOO_MANY_STREAMS;
	}
	return e;
}

/* Who the socket belongs to and how it was authenticated. */
static void fill_grant(struct px_ctx *ctx, struct px_ws_grant *g)
{
	const char *h = px_request_header(ctx->req, "authorization");
	const char *ip = px_auth_ip(ctx);

	memset(g, 0, sizeof(*g));
	g->user = ctx->who.user_id;
	g->session_id = ctx->who.session_id;
	if (!g->session_id && h && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7 + strspn(h + 7, " ");
		px_crypto_sha256_hex(h, strlen(h), g->token_hash);
	}
	if (g->session_id && px_auth_csrf_token(ctx, g->csrf) != 0)
		g->csrf[0] = '\0';
	snprintf(g->addr, sizeof(g->addr), "%s", ip ? ip : "");
}

/* Whether the request is a handshake at all: plexichat-ws took its
 * "Upgrade: websocket", or it carries a key or an Upgrade header. */
static int upgrade_asked(struct px_ctx *ctx, const struct px_ws_hook *hook)
{
	return (hook && hook->upgrading(hook->arg)) ||
	       px_request_header(ctx->req, "upgrade") ||
	       px_request_header(ctx->req, "sec-websocket-key");
}

/* A plain GET: whether this server offers WebSocket here. Pages ask this
 * before they open a socket, so that where nothing serves it (shared
 * hosting: plexichat.fcgi alone) they use SSE without a failed handshake
 * in the browser's console. */
static enum px_err probe(struct px_ctx *ctx, int offered)
{
	struct px_buf b = PX_BUF_INIT;
	enum px_err e;

	px_buf_printf(&b, "{\"websocket\":%s}", offered ? "true" : "false");
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	e = px_hm_reply(ctx, 200, &b);
	px_buf_free(&b);
	return e;
}

enum px_err px_events_ws_get(struct px_ctx *ctx)
{
	const struct px_ws_hook *hook = ctx->app->ws;
	long long head = 0, pruned = 0;
	struct px_events_req r;
	struct px_ws_grant g;
	char accept[29];
	enum px_err e;

	if (!upgrade_asked(ctx, hook))
		return probe(ctx, hook != NULL);
	if (!hook)
		return PX_E_SYSTEM_WS_UNAVAILABLE;
	if ((e = handshake(ctx, hook, accept)) != PX_OK || (e = origin(ctx)) != PX_OK ||
	    (e = px_h_events_params(ctx, &r)) != PX_OK)
		return e;
	if (ctx->stopping)
		return PX_E_SYSTEM_SHUTTING_DOWN;
	if ((e = px_m_events_state(ctx->db, &head, &pruned)) != PX_OK)
		return e;
	fill_grant(ctx, &g);
	g.head = head;
	g.cursor = r.cursor;
	g.reset = r.cursor >= 0 && r.cursor < pruned;
	if ((e = take_place(ctx, &g)) != PX_OK)
		return e;
	if (hook->accept(hook->arg, &g) != 0) {
		if (px_m_streams_close(ctx->db, &g.stream, 1) != PX_OK)
			px_log_warn("events", ctx->req->correlation_id, "stream row not removed");
		return PX_E_SYSTEM_UNAVAILABLE;
	}
	px_hm_seen(ctx, 0);
	ctx->resp->status = 101;
	px_response_header(ctx->resp, "Upgrade", "websocket");
	px_response_header(ctx->resp, "Connection", "Upgrade");
	px_response_header(ctx->resp, "Sec-WebSocket-Accept", accept);
	return PX_OK;
}
