/* channels_util.c: the messaging handlers' shared gate and parameters. */
#include "handlers/channels_util.h"
#include "handlers/auth_util.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_hm_gate(struct px_ctx *ctx, enum px_chan_action act,
		       struct px_chan_access *a)
{
	long long channel = px_in_param_id(ctx, "id");

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

/* Parses a decimal in [min, max]; -1 when it is not one. */
static int parse_range(const char *s, long long min, long long max, long long *out)
{
	char *end = NULL;
	long long v;

	if (!s || !*s || *s == '+' || *s == '-' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum px_err px_hm_limit(struct px_ctx *ctx, int def, int max, int *out)
{
	const char *s = px_request_query(ctx->req, "limit");
	long long v = def;
	char d[96];

	if (s && parse_range(s, 1, max, &v) != 0) {
		snprintf(d, sizeof(d), "{\"field\":\"limit\",\"min\":1,\"max\":%d}", max);
		px_buf_reset(&ctx->details);
		px_buf_puts(&ctx->details, d);
		return PX_E_VALIDATION_LIMIT_RANGE;
	}
	*out = (int)v;
	return PX_OK;
}

enum px_err px_hm_cursor(struct px_ctx *ctx, const char *name, long long *out)
{
	const char *s = px_request_query(ctx->req, name);

	*out = 0;
	if (!s)
		return PX_OK;
	if (parse_range(s, 1, 9223372036854775807LL, out) != 0) {
		px_ctx_detail(ctx, "field", name);
		return PX_E_VALIDATION_INVALID_CURSOR;
	}
	return PX_OK;
}

enum px_err px_hm_user_ref(struct px_ctx *ctx, const char *ref, long long *id)
{
	long long v;

	if (parse_range(ref, 1, 9223372036854775807LL, &v) == 0) {
		*id = v;
		return PX_OK;
	}
	if (!ref || !*ref || strlen(ref) > 64)
		return PX_E_VALIDATION_NOT_FOUND;
	return px_m_user_id(ctx->db, ref, id);
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
