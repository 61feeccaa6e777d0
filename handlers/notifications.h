/* notifications.h: /api/v1/notifications: list and mark read. */
#ifndef PX_H_NOTIFICATIONS_H
#define PX_H_NOTIFICATIONS_H

#include "core/ctx.h"

enum px_err px_h_notifications_list(struct px_ctx *ctx);
enum px_err px_h_notifications_read(struct px_ctx *ctx);
enum px_err px_h_notifications_read_one(struct px_ctx *ctx);

#endif
