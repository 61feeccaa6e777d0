/* system.c: health, version and metrics handlers. */
#include "system.h"
#include "config.h"
#include "core/metrics.h"
#include "model/system.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* The newest backup run, as reported by plexichat-backup; a failed or
 * missing backup is shown but does not make the service unhealthy. */
static void add_backup(struct px_ctx *ctx, struct json_object *checks)
{
	char *text = NULL;

	if (px_m_system_backup(ctx->db, &text) != PX_OK)
		return;
	json_object_object_add(checks, "backup",
			       text ? json_tokener_parse(text) : NULL);
	free(text);
}

enum px_err px_h_system_health(struct px_ctx *ctx)
{
	struct json_object *o = json_object_new_object(), *checks;
	uint64_t t0 = px_metrics_now_us();
	int schema = 0;
	enum px_err e = px_m_system_ping(ctx->db, &schema);

	if (!o)
		return PX_E_SYSTEM_INTERNAL;
	checks = json_object_new_object();
	json_object_object_add(o, "status",
			       json_object_new_string(e == PX_OK ? "ok" : "unavailable"));
	json_object_object_add(checks, "database",
			       json_object_new_string(e == PX_OK ? "ok" : px_err_name(e)));
	json_object_object_add(checks, "database_latency_us",
			       json_object_new_int64((int64_t)(px_metrics_now_us() - t0)));
	json_object_object_add(checks, "schema_version", json_object_new_int(schema));
	if (e == PX_OK)
		add_backup(ctx, checks);
	json_object_object_add(o, "checks", checks);
	json_object_object_add(o, "correlation_id",
			       json_object_new_string(ctx->req->correlation_id));
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	if (e != PX_OK) {
		/* the failure goes out in the central error format, checks as details */
		px_buf_reset(&ctx->details);
		px_buf_puts(&ctx->details, json_object_to_json_string_ext(checks, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return e;
	}
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_system_version(struct px_ctx *ctx)
{
	static const char body[] =
		"{\"name\":\"" PACKAGE_NAME "\",\"version\":\"" PACKAGE_VERSION
		"\",\"api\":\"v1\"}";

	px_response_json(ctx->resp, 200, body, sizeof(body) - 1);
	return PX_OK;
}

enum px_err px_h_system_metrics(struct px_ctx *ctx)
{
	px_buf_reset(&ctx->resp->body);
	px_metrics_render(&ctx->resp->body);
	ctx->resp->status = 200;
	px_response_header(ctx->resp, "Content-Type", "text/plain; version=0.0.4");
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
