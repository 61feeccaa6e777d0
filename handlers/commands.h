/* commands.h: handlers of bots owned by people and of slash commands. */
#ifndef PX_H_COMMANDS_H
#define PX_H_COMMANDS_H

#include "core/ctx.h"

enum px_err px_h_bots_create(struct px_ctx *ctx);
enum px_err px_h_bots_list(struct px_ctx *ctx);
enum px_err px_h_bots_delete(struct px_ctx *ctx);
enum px_err px_h_bots_token_create(struct px_ctx *ctx);
enum px_err px_h_commands_create(struct px_ctx *ctx);
enum px_err px_h_commands_list(struct px_ctx *ctx);
enum px_err px_h_commands_delete(struct px_ctx *ctx);
/* POST /api/v1/channels/{id}/commands {"text":"/name args"}: a built-in or
 * a registered command; answers {"response_type", "message"?, "text"?,
 * "html"?}. */
enum px_err px_h_commands_run(struct px_ctx *ctx);
enum px_err px_h_commands_response(struct px_ctx *ctx);

#endif
