/* channels_util.h: helpers shared by the messaging handlers: the channel
 * permission gate, paging and cursor parameters, user references, and
 * replying with JSON text the model built. */
#ifndef PX_H_CHANNELS_UTIL_H
#define PX_H_CHANNELS_UTIL_H

#include "core/ctx.h"
#include "model/channels.h"

/* The gate every channel-scoped handler passes first: the channel of route
 * parameter "id", checked for act through px_chan_check for ctx->who.
 * *a (may be NULL) gets the standing. Errors as px_chan_check. */
enum px_err px_hm_gate(struct px_ctx *ctx, enum px_chan_action act,
		       struct px_chan_access *a) __attribute__((warn_unused_result));

/* Query parameter limit in [1, max], def when absent:
 * VALIDATION_LIMIT_RANGE with details {"field","min","max"}. */
enum px_err px_hm_limit(struct px_ctx *ctx, int def, int max, int *out)
	__attribute__((warn_unused_result));
/* Query parameter name as a message/event id (decimal, 1..2^63-1); 0 when
 * absent. VALIDATION_INVALID_CURSOR otherwise. */
enum px_err px_hm_cursor(struct px_ctx *ctx, const char *name, long long *out)
	__attribute__((warn_unused_result));
/* A user given in a body as a decimal id (px_http_parse_int) or a
 * username: its id. VALIDATION_NOT_FOUND when there is no such active
 * user. */
enum px_err px_hm_user_ref(struct px_ctx *ctx, const char *ref, long long *id)
	__attribute__((warn_unused_result));
/* The same for the route's {user} parameter: its number when it is one
 * (core/path.h), else a username. */
enum px_err px_hm_user_param(struct px_ctx *ctx, long long *id)
	__attribute__((warn_unused_result));
/* Replies status with json (JSON text) as the body, no-store; the bytes
 * move into the response and json keeps only memory to free. */
enum px_err px_hm_reply(struct px_ctx *ctx, int status, struct px_buf *json);
/* Marks the caller as seen (active = deliberate action); best effort. */
void px_hm_seen(struct px_ctx *ctx, int active);

#endif
