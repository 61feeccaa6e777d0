/* channels_util.c: the messaging handlers' shared gate and parameters. */
#include "handlers/channels_util.h"
#include "handlers/auth_util.h"
#include "core/log.h"

#include <limits.h>
#include <string.h>

enum px_err px_hm_gate(struct px_ctx *ctx, enum px_chan_action act,
		       struct px_chan_access *a)
{
	long long channel = px_path_int(&ctx->path, "id");

	if (channel <= 0)
		return PX_E_VALIDATION_NOT_FOUND;
	/* the standing read with the session serves the first check; a
	 * handler that changed it (joined, left) asks the database again */
	if (ctx->chan.channel_id == channel && ctx->who.user_id) {
		struct px_chan_access pre = ctx->chan;

		ctx->chan.channel_id = 0;
		if (a)
			*a = pre;
		return px_chan_check(&pre, act);
	}
	return px_m_channels_authorize(ctx->db, channel, ctx->who.user_id,
				       ctx->who.role, act, a);
}

enum px_err px_hm_limit(struct px_ctx *ctx, int def, int max, int *out)
{
	long long v = def;
	enum px_err e = px_in_query_int(ctx, "limit", 1, max, PX_E_VALIDATION_LIMIT_RANGE, &v);

	*out = (int)v;
	return e;
}

enum px_err px_hm_cursor(struct px_ctx *ctx, const char *name, long long *out)
{
	*out = 0;
	return px_in_query_int(ctx, name, 1, LLONG_MAX, PX_E_VALIDATION_INVALID_CURSOR, out);
}

/* The active user called name; VALIDATION_NOT_FOUND when there is none. */
static enum px_err user_named(struct px_ctx *ctx, const char *name, long long *id)
{
	if (!name || !*name || strlen(name) > 64)
		return PX_E_VALIDATION_NOT_FOUND;
	return px_m_user_id(ctx->db, name, id);
}

enum px_err px_hm_user_ref(struct px_ctx *ctx, const char *ref, long long *id)
{
	if (ref && px_http_parse_int(ref, 1, LLONG_MAX, id) == 0)
		return PX_OK;
	return user_named(ctx, ref, id);
}

enum px_err px_hm_user_param(struct px_ctx *ctx, long long *id)
{
	long long v = px_path_int(&ctx->path, "user");

	if (v) {
		*id = v;
		return PX_OK;
	}
	return user_named(ctx, px_path_str(&ctx->path, "user"), id);
}

enum px_err px_hm_reply(struct px_ctx *ctx, int status, struct px_buf *json)
{
	if (json->failed || !json->data)
		return PX_E_SYSTEM_INTERNAL;
	px_response_json_buf(ctx->resp, status, json);
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

void px_hm_seen(struct px_ctx *ctx, int active)
{
	if (px_m_presence_touch(ctx->db, ctx->who.user_id, active) != PX_OK)
		px_log_debug("msg", ctx->req->correlation_id, "presence not updated");
}
