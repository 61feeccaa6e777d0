/* openapi.c: serves the OpenAPI 3.1 document compiled in at build time
 * from docs/openapi/openapi.py. */
#include "handlers/openapi.h"
#include "handlers/openapi_json.inc"

enum px_err px_h_openapi(struct px_ctx *ctx)
{
	px_response_json(ctx->resp, 200, px_openapi_json, sizeof(px_openapi_json) - 1);
	px_response_header(ctx->resp, "Cache-Control", "public, max-age=300");
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
