/* web.c: sign-in, registration and invite pages, and the service worker
 * script. The forms post to the page handlers in web_auth.c. */
#include "web.h"
#include "core/cfg.h"
#include "core/webpage.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define SW_MAX (64 * 1024)

static void add(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val ? val : ""));
}

enum px_err px_h_web_login_page(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object();
	const char *next = px_request_query(ctx->req, "next");

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	add(d, "title", px_webpage_tr(ctx, "Sign in"));
	add(d, "next", px_webpage_local_path(next) ? next : "/");
	if (px_request_query(ctx->req, "expired"))
		add(d, "notice", px_webpage_tr(ctx, "Your session expired. Please sign "
						    "in again; your draft was not sent."));
	else if (px_request_query(ctx->req, "signed_out"))
		add(d, "notice", px_webpage_tr(ctx, "You are signed out."));
	json_object_object_add(d, "can_register", json_object_new_boolean(
		strcmp(px_cfg_str(ctx->cfg, "registration"), "closed") != 0));
	return px_webpage_render(ctx, 200, "page/login", d);
}

enum px_err px_h_web_register_page(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object();
	const char *mode = px_cfg_str(ctx->cfg, "registration");
	const char *code = px_request_param(ctx->req, "code");

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	add(d, "title", px_webpage_tr(ctx, "Create account"));
	if (code)
		add(d, "invite", code);
	else if (strcmp(mode, "invite") == 0)
		json_object_object_add(d, "ask_invite", json_object_new_boolean(1));
	if (strcmp(mode, "closed") == 0 && !code)
		add(d, "closed", px_webpage_tr(ctx, "Registration is not open."));
	return px_webpage_render(ctx, 200, "page/register", d);
}

enum px_err px_h_web_sw(struct px_ctx *ctx)
{
	struct px_response *w = ctx->resp;
	char path[4096], chunk[4096];
	FILE *fp;
	size_t n;
	int len = snprintf(path, sizeof(path), "%s/sw.js",
			   px_cfg_str(ctx->cfg, "static_dir"));

	if (len < 0 || (size_t)len >= sizeof(path) || !(fp = fopen(path, "rb")))
		return PX_E_VALIDATION_NOT_FOUND;
	px_buf_reset(&w->body);
	w->body.max = SW_MAX;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		px_buf_append(&w->body, chunk, n);
	fclose(fp);
	if (w->body.failed)
		return PX_E_SYSTEM_INTERNAL;
	w->status = 200;
	px_response_header(w, "Content-Type", "text/javascript; charset=utf-8");
	px_response_header(w, "Cache-Control", "no-cache");
	px_response_header(w, "Service-Worker-Allowed", "/");
	px_response_header(w, "X-Content-Type-Options", "nosniff");
	return PX_OK;
}
