/* system.h: /api/v1/system: health, version and metrics. */
#ifndef PX_H_SYSTEM_H
#define PX_H_SYSTEM_H

#include "core/ctx.h"

enum px_err px_h_system_health(struct px_ctx *ctx);
enum px_err px_h_system_version(struct px_ctx *ctx);
enum px_err px_h_system_metrics(struct px_ctx *ctx);

#endif
