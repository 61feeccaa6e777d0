/* hooks.c: incoming webhooks (the Slack-compatible endpoint and a
 * channel's hooks) and the bot-post path every integration shares. A
 * hook's secret is shown once, at creation; only its hash is kept. */
#include "handlers/hooks.h"
#include "handlers/hooks_slack.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/http.h"
#include "core/log.h"
#include "core/utf8.h"
#include "model/auth_limits.h"
#include "model/hooks.h"
#include "web/markdown.h"

#include <json-c/json.h>

#include <stdio.h>
#include <string.h>

#define MAX_NAME 80

/* --- the shared bot post ---------------------------------------------------- */

/* The override a payload may give: {"name","icon_url","icon_emoji","via"}. */
static struct json_object *bot_props(struct json_object *payload, const char *via)
{
	struct json_object *o = json_object_new_object(), *v;
	char name[300];

	if (!o)
		return NULL;
	if (json_object_object_get_ex(payload, "username", &v) &&
	    json_object_is_type(v, json_type_string)) {
		px_slack_name(json_object_get_string(v), name, sizeof(name));
		if (*name)
			json_object_object_add(o, "name", json_object_new_string(name));
	}
	if (json_object_object_get_ex(payload, "icon_url", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    px_slack_icon_ok(json_object_get_string(v)))
		json_object_object_add(o, "icon_url",
				       json_object_new_string(json_object_get_string(v)));
	if (json_object_object_get_ex(payload, "icon_emoji", &v) &&
	    json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t n = strlen(s);

		if (n >= 3 && n <= 64 && s[0] == ':' && s[n - 1] == ':' &&
		    strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789_+-") == n - 2)
			json_object_object_add(o, "icon_emoji", json_object_new_string(s));
	}
	if (via)
		json_object_object_add(o, "via", json_object_new_string(via));
	return o;
}

/* A payload made ready to post: its Markdown, rendering, mentions and
 * the override to show (with via when given). */
struct prepared {
	struct px_buf md, html, mentions;
	struct json_object *props;
};

static void prepared_free(struct prepared *p)
{
	px_buf_free(&p->md);
	px_buf_free(&p->html);
	px_buf_free(&p->mentions);
	json_object_put(p->props);
}

static enum px_err prepare(const struct px_cfg *cfg, struct json_object *payload,
			   const char *via, struct prepared *p)
{
	enum px_err e;

	memset(p, 0, sizeof(*p));
	if ((e = px_slack_render(payload, &p->md)) != PX_OK)
		return e;
	if (px_utf8_count(p->md.data, p->md.len) > (size_t)px_cfg_int(cfg, "message_max_length"))
		return PX_E_VALIDATION_MESSAGE_TOO_LONG;
	if ((e = px_markdown_render(p->md.data, p->md.len, &p->html, &p->mentions)) != PX_OK)
		return e;
	return (p->props = bot_props(payload, via)) ? PX_OK : PX_E_SYSTEM_INTERNAL;
}

static const char *props_text(const struct prepared *p)
{
	return json_object_to_json_string_ext(p->props, JSON_C_TO_STRING_PLAIN);
}

enum px_err px_hooks_post_payload(struct px_db *db, const struct px_cfg *cfg,
				  long long channel, const char *kind, long long bot,
				  struct json_object *payload, const char *via,
				  struct px_buf *msg)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_m_bot_post m = { 0 };
	struct prepared p;
	enum px_err e = prepare(cfg, payload, via, &p);

	if (e == PX_OK) {
		m.channel = channel;
		m.bot = bot;
		m.kind = kind;
		m.body = p.md.data;
		m.html = p.html.data ? p.html.data : "";
		m.lang = px_cfg_str(cfg, "search_language");
		m.mentions = p.mentions.data ? p.mentions.data : "";
		m.props = props_text(&p);
		m.preview = px_slack_unfurl(payload);
		e = px_m_hooks_post(db, &m, msg ? msg : &out);
	}
	prepared_free(&p);
	px_buf_free(&out);
	return e;
}

/* --- POST /api/v1/hooks/{token} ---------------------------------------- */

/* Parses text as a JSON document under the request parser's rules
 * (strict, valid UTF-8, PX_MAX_JSON_DEPTH). NULL when it is not one. */
static struct json_object *parse_json(const char *text, size_t n)
{
	struct json_tokener *tok;
	struct json_object *obj;

	if (!px_utf8_valid(text, n) || !(tok = json_tokener_new_ex(PX_MAX_JSON_DEPTH)))
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)n);
	if (obj && (json_tokener_get_error(tok) != json_tokener_success ||
		    tok->char_offset != (int)n)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* The payload: the JSON body, a form's payload= field (Slack's form
 * variant), or a body in JSON sent under another type. The caller puts
 * *out when owned is 1. */
static enum px_err read_payload(struct px_ctx *ctx, struct json_object **out, int *owned)
{
	struct px_request *r = ctx->req;
	const char *form = px_kvlist_get(&r->form, "payload");

	*owned = 0;
	*out = r->json;
	if (!*out && form) {
		*out = parse_json(form, strlen(form));
		*owned = 1;
	} else if (!*out && r->body_len && !r->form.n) {
		*out = parse_json(r->body, r->body_len);
		*owned = 1;
	}
	if (!*out) {
		px_ctx_detail(ctx, "field", form ? "payload" : "body");
		return r->body_len ? PX_E_VALIDATION_INVALID_JSON : PX_E_VALIDATION_MISSING_FIELD;
	}
	if (!json_object_is_type(*out, json_type_object)) {
		px_ctx_detail(ctx, "field", "body");
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	return PX_OK;
}

/* One hook may post hooks_incoming_per_minute times a minute; its bucket
 * is named by its secret's hash, so no lookup comes first. */
static enum px_err hook_rate(struct px_ctx *ctx, const char *hash)
{
	double per_min = (double)px_cfg_int(ctx->cfg, "hooks_incoming_per_minute"), left = 0;
	char client[40];
	int granted = 0;
	enum px_err e;

	if (!px_cfg_bool(ctx->cfg, "rate_limit"))
		return PX_OK;
	snprintf(client, sizeof(client), "hook:%.16s", hash);
	e = px_m_rate_take(ctx->db, "hook", client, per_min, per_min / 60.0, 1, 0, &granted, &left);
	if (e != PX_OK)
		return e;
	if (granted > 0)
		return PX_OK;
	px_auth_retry_after(ctx, (long)((1.0 - left) / (per_min / 60.0)) + 1);
	return PX_E_SECURITY_RATE_LIMITED;
}

enum px_err px_h_hooks_incoming(struct px_ctx *ctx)
{
	const char *token = px_path_str(&ctx->path, "token");
	struct json_object *payload = NULL;
	struct prepared p;
	char hash[65];
	int owned = 0;
	enum px_err e;

	memset(&p, 0, sizeof(p));
	if (!token || strlen(token) > 128)
		return PX_E_HOOK_NOT_FOUND;
	px_crypto_sha256_hex(token, strlen(token), hash);
	if ((e = hook_rate(ctx, hash)) != PX_OK ||
	    (e = read_payload(ctx, &payload, &owned)) != PX_OK)
		goto out;
	/* made ready first, so that finding the hook and posting are one
	 * round trip (sql/128) */
	e = prepare(ctx->cfg, payload, NULL, &p);
	if (e == PX_E_HOOK_EMPTY)
		px_ctx_detail(ctx, "field", "text");
	if (e != PX_OK ||
	    (e = px_m_hooks_in_post(ctx->db, hash, p.md.data, p.html.data ? p.html.data : "",
				    px_cfg_str(ctx->cfg, "search_language"),
				    p.mentions.data ? p.mentions.data : "", props_text(&p),
				    px_slack_unfurl(payload), NULL)) != PX_OK)
		goto out;
	ctx->resp->status = 200;
	px_buf_reset(&ctx->resp->body);
	px_buf_puts(&ctx->resp->body, "ok");
	px_response_header(ctx->resp, "Content-Type", "text/plain; charset=utf-8");
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	e = ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	prepared_free(&p);
	if (owned)
		json_object_put(payload);
	return e;
}

/* --- a channel's incoming hooks -------------------------------------------- */

enum px_err px_h_hooks_in_create(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT, url = PX_BUF_INIT;
	struct json_object *j = NULL;
	char token[PX_TOKEN_MAX], hash[65];
	struct px_chan_access a;
	const char *name, *base;
	size_t bl;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK ||
	    (e = px_in_str(ctx, "name", 1, 1, MAX_NAME, &name)) != PX_OK)
		goto out;
	if (px_crypto_token("pxh_", token, sizeof(token)) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_crypto_sha256_hex(token, strlen(token), hash);
	if ((e = px_m_hooks_in_create(ctx->db, a.channel_id, ctx->who.user_id, name, hash,
				      &out)) != PX_OK)
		goto out;
	base = px_cfg_str(ctx->cfg, "public_url");
	bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	px_buf_append(&url, base, bl);
	px_buf_puts(&url, "/api/v1/hooks/");
	px_buf_puts(&url, token);
	if (url.failed || !(j = json_tokener_parse(out.data))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	/* the secret leaves the server this once */
	json_object_object_add(j, "token", json_object_new_string(token));
	json_object_object_add(j, "url", json_object_new_string(url.data));
	e = px_ctx_json(ctx, 201, j);
	px_response_header(ctx->resp, "Cache-Control", "no-store");
out:
	px_crypto_wipe(token, sizeof(token));
	px_buf_free(&out);
	px_buf_free(&url);
	return e;
}

enum px_err px_h_hooks_in_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) == PX_OK &&
	    (e = px_m_hooks_in_list(ctx->db, a.channel_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_hooks_in_delete(struct px_ctx *ctx)
{
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK)
		return e;
	e = px_m_hooks_in_revoke(ctx->db, a.channel_id, px_path_int(&ctx->path, "hid"));
	if (e == PX_E_VALIDATION_NOT_FOUND)
		return PX_E_HOOK_NOT_FOUND;
	if (e == PX_OK)
		ctx->resp->status = 204;
	return e;
}
