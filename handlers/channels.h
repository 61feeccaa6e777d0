/* channels.h: /api/v1/channels: channels, members, read markers, typing. */
#ifndef PX_H_CHANNELS_H
#define PX_H_CHANNELS_H

#include "core/ctx.h"

enum px_err px_h_channels_list(struct px_ctx *ctx);
enum px_err px_h_channels_create(struct px_ctx *ctx);
enum px_err px_h_channels_get(struct px_ctx *ctx);
enum px_err px_h_channels_patch(struct px_ctx *ctx);
enum px_err px_h_channels_topic(struct px_ctx *ctx);
enum px_err px_h_channels_members(struct px_ctx *ctx);
enum px_err px_h_channels_member_add(struct px_ctx *ctx);
enum px_err px_h_channels_member_put(struct px_ctx *ctx);
enum px_err px_h_channels_member_patch(struct px_ctx *ctx);
enum px_err px_h_channels_member_delete(struct px_ctx *ctx);
enum px_err px_h_channels_read_marker(struct px_ctx *ctx);
enum px_err px_h_channels_typing(struct px_ctx *ctx);

#endif
