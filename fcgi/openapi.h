/* openapi.h: the OpenAPI 3.1 description, generated from the route table.
 *
 * The route table (fcgi/routes.c) knows every route's method, path,
 * parameter types and policy; the schema module (handlers/api_schema.py,
 * compiled in as JSON) knows summaries, bodies and success responses. This
 * module joins the two, so a route cannot exist undocumented and a
 * document cannot describe a route that does not exist. */
#ifndef PX_OPENAPI_H
#define PX_OPENAPI_H

#include "core/buf.h"
#include "core/ctx.h"

/* Writes the description of the route table with the schema module
 * module_json (handlers/api_schema.py's JSON) as indented JSON to out.
 * Returns 0, or -1 with one line per problem in problems (a route without
 * an entry in the module, an entry without a route, a malformed entry). */
int px_openapi_describe(const char *module_json, struct px_buf *out,
			struct px_buf *problems) __attribute__((nonnull));

/* px_openapi_describe with the module compiled in. */
int px_openapi_build(struct px_buf *out, struct px_buf *problems)
	__attribute__((nonnull));

/* GET /api/v1/openapi.json: the description, built once per process. */
enum px_err px_openapi_get(struct px_ctx *ctx) __attribute__((nonnull));

#endif
