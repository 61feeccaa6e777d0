/* openapi.h: GET /api/v1/openapi.json, the API description. */
#ifndef PX_H_OPENAPI_H
#define PX_H_OPENAPI_H

#include "core/ctx.h"

enum px_err px_h_openapi(struct px_ctx *ctx);

#endif
