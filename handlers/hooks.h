/* hooks.h: webhook handlers: the Slack-compatible incoming webhook
 * endpoint, the channel's incoming and outgoing hooks, their delivery
 * logs, and the shared bot-post path that slash command and outgoing
 * webhook replies also take. */
#ifndef PX_H_HOOKS_H
#define PX_H_HOOKS_H

#include "core/ctx.h"

struct json_object;
struct px_db;
struct px_cfg;

/* POST /api/v1/hooks/{token}: a Slack payload (JSON, or a form with payload=)
 * posted as the hook's bot. Answers 200 "ok" (text/plain) as Slack does. */
enum px_err px_h_hooks_incoming(struct px_ctx *ctx);
enum px_err px_h_hooks_in_create(struct px_ctx *ctx);
enum px_err px_h_hooks_in_list(struct px_ctx *ctx);
enum px_err px_h_hooks_in_delete(struct px_ctx *ctx);
enum px_err px_h_hooks_out_create(struct px_ctx *ctx);
enum px_err px_h_hooks_out_list(struct px_ctx *ctx);
enum px_err px_h_hooks_out_delete(struct px_ctx *ctx);
enum px_err px_h_hooks_out_deliveries(struct px_ctx *ctx);
/* GET /api/v1/admin/hooks/deliveries: every hook's, for administrators. */
enum px_err px_h_hooks_admin_deliveries(struct px_ctx *ctx);

/* Posts a Slack payload into channel as bot: rendered by px_slack_render,
 * the username/icon override sanitised and kept beside the bot's name
 * with via. msg (may be NULL) gets the message JSON. HOOK_EMPTY,
 * VALIDATION_MESSAGE_TOO_LONG, VALIDATION_MARKDOWN_TOO_COMPLEX, or the
 * model's errors. */
enum px_err px_hooks_post_payload(struct px_db *db, const struct px_cfg *cfg,
				  long long channel, const char *kind, long long bot,
				  struct json_object *payload, const char *via,
				  struct px_buf *msg)
	__attribute__((nonnull(1, 2, 4, 6, 7), warn_unused_result));

#endif
