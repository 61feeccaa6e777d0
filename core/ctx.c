/* ctx.c: small helpers shared by all handlers. */
#include "core/ctx.h"

#include <json-c/json.h>
#include <string.h>

void px_ctx_detail(struct px_ctx *ctx, const char *key, const char *value)
{
	px_buf_reset(&ctx->details);
	px_buf_putc(&ctx->details, '{');
	px_buf_json_str(&ctx->details, key, strlen(key));
	px_buf_putc(&ctx->details, ':');
	px_buf_json_str(&ctx->details, value, strlen(value));
	px_buf_putc(&ctx->details, '}');
}

enum px_err px_ctx_json(struct px_ctx *ctx, int status, struct json_object *obj)
{
	const char *s;
	size_t n;

	if (!obj)
		return PX_E_SYSTEM_INTERNAL;
	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE,
					      &n);
	px_response_json(ctx->resp, status, s, n);
	json_object_put(obj);
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
