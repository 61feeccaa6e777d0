/* events_stream.c: GET /api/v1/events (fcgi/events_stream.h); the hub
 * (fcgi/events_hub.c) owns the detached FastCGI connections it hands over.
 *
 * A request first catches up from the event log on its worker's own
 * connection, then, if it must wait, hands its FastCGI connection to the
 * hub: the descriptor is duplicated, libfcgi's streams are marked closed
 * so that FCGX_Finish_r neither writes FCGI_END_REQUEST nor keeps the
 * connection, the request is marked detached so that libfcgi closes its
 * descriptor without shutting the socket down, and from then on the hub
 * writes the protocol records.
 *
 * Before it answers anything, a request that will wait takes a place: one
 * of the process's events_max_waiters, and a row in event_streams that
 * counts against its user's and its address's caps on every process and
 * machine (sql/080). Whoever holds the place gives it back: the request
 * until px_hub_add succeeds, the hub after. */
#include "fcgi/events_stream.h"
#include "fcgi/events_hub.h"
#include "fcgi/app.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "fcgi/records.h"

#include <errno.h>
#include <fcntl.h>
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SSE_CATCH_UP_BATCH 500
static enum px_err load_channels(struct px_ctx *ctx, struct px_chanset *set)
{
	long long *ids = NULL;
	size_t n = 0, i;
	enum px_err e = px_m_events_channels(ctx->db, ctx->who.user_id, &ids, &n);

	for (i = 0; e == PX_OK && i < n; i++)
		if (px_chanset_add(set, ids[i]) != 0)
			e = PX_E_SYSTEM_INTERNAL;
	free(ids);
	return e;
}

/* What the stream was opened with, for the hub's checks: the session, or
 * a personal access token's hash (the principal carries no token id; the
 * token is the "Authorization: Bearer" one, as fcgi/authmw.c reads it). */
static void credential(const struct px_ctx *ctx, struct px_m_stream *st, char hash[65])
{
	const char *h = px_request_header(ctx->req, "authorization");

	st->session_id = ctx->who.session_id;
	hash[0] = '\0';
	if (!st->session_id && h && strncasecmp(h, "Bearer", 6) == 0 && h[6] == ' ') {
		h += 6 + strspn(h + 6, " ");
		px_crypto_sha256_hex(h, strlen(h), hash);
	}
	st->token_hash = hash;
}

/* Takes a place for a request that is about to wait (see the top). Sets
 * details {"limit":"user"|"address","max":N} with
 * SECURITY_TOO_MANY_STREAMS; also SYSTEM_UNAVAILABLE, SYSTEM_SHUTTING_DOWN
 * and database errors. On error nothing is held. */
static enum px_err take_place(struct px_ctx *ctx, struct px_hub_wait *w)
{
	struct px_m_stream st = { .user = ctx->who.user_id };
	int per_user = (int)px_cfg_int(ctx->cfg, "events_max_streams_per_user");
	int per_addr = (int)px_cfg_int(ctx->cfg, "events_max_streams_per_addr");
	int refused = 0;
	char hash[65];
	enum px_err e;

	if ((e = px_hub_reserve()) != PX_OK)
		return e;
	st.addr = px_auth_ip(ctx) ? px_auth_ip(ctx) : "";
	credential(ctx, &st, hash);
	e = px_m_streams_open(ctx->db, &st, per_user, per_addr, PX_HUB_LEASE_SECONDS,
			      &w->stream, &refused);
	if (e == PX_OK && refused) {
		const char *which = refused == 1 ? "user" : "address";

		px_buf_reset(&ctx->details);
		px_buf_printf(&ctx->details, "{\"limit\":\"%s\",\"max\":%d}", which,
			      refused == 1 ? per_user : per_addr);
		px_metrics_count("px_events_streams_refused_total",
				 refused == 1 ? "limit=\"user\"" : "limit=\"address\"", 1);
		px_log_info("events", ctx->req->correlation_id,
			    "stream of user %lld refused: the %s holds its streams", st.user, which);
		e = PX_E_SECURITY_TOO_MANY_STREAMS;
	}
	if (e != PX_OK)
		px_hub_unreserve();
	return e;
}

/* Gives back a place the request holds. */
static void give_back(struct px_ctx *ctx, struct px_hub_wait *w)
{
	if (w->stream && px_m_streams_close(ctx->db, &w->stream, 1) != PX_OK)
		px_log_warn("events", ctx->req->correlation_id,
			    "stream row not removed; it lapses in %d s", PX_HUB_LEASE_SECONDS);
	w->stream = 0;
	px_hub_unreserve();
}

/* Detaches and hands the request, with its place, to the hub; the worker
 * returns. On failure the place is given back. */
static enum px_err hand_over(struct px_ctx *ctx, struct px_hub_wait *w)
{
	enum px_err e;

	if ((e = load_channels(ctx, &w->chans)) != PX_OK)
		goto out;
	if (px_hub_conn_detach(ctx->resp, &w->conn) != 0) {
		/* plain CGI: nobody to wait for us; the client comes back */
		px_log_debug("events", ctx->req->correlation_id, "cannot detach; not waiting");
		e = PX_OK;
		goto out;
	}
	e = px_hub_add(w);
	if (e == PX_OK)
		return PX_OK;
	px_hub_conn_end(&w->conn);
out:
	if (e != PX_OK)
		px_log_warn("events", ctx->req->correlation_id, "not waiting: %s", px_err_name(e));
	px_chanset_free(&w->chans);
	give_back(ctx, w);
	return e;
}

static void stream_headers(struct px_ctx *ctx, const char *type)
{
	ctx->resp->status = 200;
	px_response_header(ctx->resp, "Content-Type", type);
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	px_response_header(ctx->resp, "X-Accel-Buffering", "no");
	px_response_header(ctx->resp, "X-Request-Id", ctx->req->correlation_id);
}

/* SSE: headers, catch-up in batches, then wait in the hub. */
static enum px_err sse(struct px_ctx *ctx, long long cursor, long long head,
		       long long pruned)
{
	struct px_hub_wait w = { .user = ctx->who.user_id, .sse = 1 };
	struct px_buf out = PX_BUF_INIT;
	enum px_err e;
	int got = SSE_CATCH_UP_BATCH, placed = 0;

	/* refused streams get an error answer: nothing is sent before this */
	if ((e = take_place(ctx, &w)) != PX_OK)
		return e;
	placed = 1;
	stream_headers(ctx, "text/event-stream; charset=utf-8");
	px_buf_puts(&out, "retry: 2000\n\n");
	if (cursor >= 0 && cursor < pruned) {
		/* the client missed pruned events: it must reload its state */
		px_buf_printf(&out, "event: reset\ndata: {\"last_event_id\":%lld}\n\n", head);
		cursor = head;
	}
	if (cursor < 0)
		cursor = head;
	if (px_response_stream_begin(ctx->resp) != 0)
		goto out;
	while (got == SSE_CATCH_UP_BATCH && e == PX_OK) {
		e = px_h_events_catch_up(ctx->db, w.user, 1, SSE_CATCH_UP_BATCH, &cursor, &out,
					 &got);
		if (e == PX_OK && out.len && px_response_stream_write(ctx->resp, out.data,
								      out.len) != 0)
			goto out;
		px_buf_reset(&out);
	}
	if (e != PX_OK)
		goto out;
	w.cursor = cursor;
	w.seconds = (int)px_cfg_int(ctx->cfg, "events_stream_seconds");
	/* once streaming, failures can only end the stream */
	placed = 0;
	(void)hand_over(ctx, &w);
out:
	if (placed)
		give_back(ctx, &w);
	px_buf_free(&out);
	return PX_OK;
}

/* Long-poll: answer at once when something is there, else wait. */
static enum px_err long_poll(struct px_ctx *ctx, const struct px_events_req *r,
			     long long pruned)
{
	struct px_hub_wait w = { .user = ctx->who.user_id, .limit = r->limit,
				 .seconds = r->wait };
	struct px_buf items = PX_BUF_INIT, body = PX_BUF_INIT;
	long long cursor = r->cursor;
	enum px_err e;
	int got = 0;

	if (cursor < pruned) {
		px_buf_reset(&ctx->details);
		px_buf_printf(&ctx->details, "{\"pruned_upto\":%lld}", pruned);
		return PX_E_VALIDATION_EVENTS_PRUNED;
	}
	e = px_h_events_catch_up(ctx->db, w.user, 0, r->limit, &cursor, &items, &got);
	if (e == PX_OK && (got || r->wait == 0 || ctx->stopping)) {
		px_h_events_poll_body(&body, &items, cursor);
		e = px_hm_reply(ctx, 200, &body);
	} else if (e == PX_OK && (e = take_place(ctx, &w)) == PX_OK) {
		/* the answer's head goes out once nothing is there to send: from
		 * then on, every event is the hub's to deliver */
		stream_headers(ctx, "application/json");
		w.cursor = cursor;
		if (px_response_stream_begin(ctx->resp) != 0)
			give_back(ctx, &w);
		else if (hand_over(ctx, &w) != PX_OK)
			px_log_warn("events", ctx->req->correlation_id, "long-poll not held");
	}
	px_buf_free(&items);
	px_buf_free(&body);
	return e;
}

enum px_err px_events_hub_get(struct px_ctx *ctx)
{
	long long head = 0, pruned = 0;
	struct px_events_req r;
	enum px_err e;

	if ((e = px_h_events_params(ctx, &r)) != PX_OK)
		return e;
	if (ctx->stopping)
		return PX_E_SYSTEM_SHUTTING_DOWN;
	if ((e = px_hub_ensure(ctx)) != PX_OK ||
	    (e = px_m_events_state(ctx->db, &head, &pruned)) != PX_OK)
		return e;
	px_hm_seen(ctx, 0);
	return r.poll ? long_poll(ctx, &r, pruned) : sse(ctx, r.cursor, head, pruned);
}
