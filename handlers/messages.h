/* messages.h: /api/v1/channels/{id}/messages: history, posting, editing,
 * deleting, threads, pins and reactions. */
#ifndef PX_H_MESSAGES_H
#define PX_H_MESSAGES_H

#include <stddef.h>

#include "core/ctx.h"

enum px_err px_h_messages_list(struct px_ctx *ctx);
enum px_err px_h_messages_post(struct px_ctx *ctx);
enum px_err px_h_messages_get(struct px_ctx *ctx);
enum px_err px_h_messages_patch(struct px_ctx *ctx);
enum px_err px_h_messages_delete(struct px_ctx *ctx);
enum px_err px_h_messages_history(struct px_ctx *ctx);
enum px_err px_h_messages_thread(struct px_ctx *ctx);
enum px_err px_h_messages_follow(struct px_ctx *ctx);
enum px_err px_h_messages_unfollow(struct px_ctx *ctx);
enum px_err px_h_messages_pin(struct px_ctx *ctx);
enum px_err px_h_messages_unpin(struct px_ctx *ctx);
enum px_err px_h_messages_pins(struct px_ctx *ctx);

enum px_err px_h_reactions_list(struct px_ctx *ctx);
enum px_err px_h_reactions_toggle(struct px_ctx *ctx);
enum px_err px_h_reactions_put(struct px_ctx *ctx);
enum px_err px_h_reactions_delete(struct px_ctx *ctx);

/* 1 when s[0..n) is exactly one emoji: a pictographic code point with
 * optional variation selector and skin tone, ZWJ sequences of those, a
 * flag (two regional indicators) or a keycap; 0 otherwise. */
int px_emoji_valid(const char *s, size_t n);

#endif
