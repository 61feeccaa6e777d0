/* hooks_out.c: a channel's outgoing webhooks and the delivery logs. The
 * URL is checked when saved (core/safefetch) and again, address by
 * address, at every delivery; the signing secret is shown once and kept
 * sealed under secret_key. */
#include "handlers/hooks.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/http.h"
#include "core/safefetch.h"
#include "model/hooks.h"

#include <json-c/json.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_NAME 80
#define MAX_URL 2048
#define MAX_WORDS 10

/* The event kinds a hook may subscribe to (events a channel emits). */
static const char *const kinds[] = {
	"message.created", "message.updated", "message.deleted", "reaction.added",
	"reaction.removed", "member.joined", "member.left", "member.updated",
	"channel.updated",
};

static int known_kind(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i], k) == 0)
			return 1;
	return 0;
}

/* Reads an optional array of strings into lines (one per line): each
 * 1..max bytes of printable non-space characters, lower-cased when
 * lower, checked by ok when given. */
static enum px_err read_list(struct px_ctx *ctx, const char *field, size_t max, int lower,
			     int (*ok)(const char *), struct px_buf *lines, int *count)
{
	struct json_object *body = ctx->req->json, *a;
	size_t i, n, k;

	*count = 0;
	if (!body || !json_object_object_get_ex(body, field, &a) ||
	    json_object_is_type(a, json_type_null))
		return PX_OK;
	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) > MAX_WORDS) {
		px_ctx_detail(ctx, "field", field);
		return json_object_is_type(a, json_type_array) ? PX_E_VALIDATION_FIELD_LENGTH
							       : PX_E_VALIDATION_FIELD_TYPE;
	}
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) || !*s || strlen(s) > max) {
			px_ctx_detail(ctx, "field", field);
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
		for (k = 0; s[k]; k++)
			if ((unsigned char)s[k] <= 0x20 || s[k] == 0x7f) {
				px_ctx_detail(ctx, "field", field);
				return PX_E_VALIDATION_FIELD_FORMAT;
			}
		if (ok && !ok(s)) {
			px_ctx_detail(ctx, "field", field);
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
		if (lines->len)
			px_buf_putc(lines, '\n');
		for (k = 0; s[k]; k++)
			px_buf_putc(lines, lower ? (char)tolower((unsigned char)s[k]) : s[k]);
		(*count)++;
	}
	return lines->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

enum px_err px_h_hooks_out_create(struct px_ctx *ctx)
{
	struct px_buf words = PX_BUF_INIT, evs = PX_BUF_INIT, sealed = PX_BUF_INIT,
		      out = PX_BUF_INIT;
	struct px_m_hook_out_new h = { 0 };
	struct json_object *j = NULL;
	char secret[PX_TOKEN_MAX], context[48], why[256];
	struct px_chan_access a;
	int nw = 0, ne = 0;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK ||
	    (e = px_in_str(ctx, "name", 1, 1, MAX_NAME, &h.name)) != PX_OK ||
	    (e = px_in_str(ctx, "url", 1, 1, MAX_URL, &h.url)) != PX_OK ||
	    (e = read_list(ctx, "trigger_words", 64, 1, NULL, &words, &nw)) != PX_OK ||
	    (e = read_list(ctx, "events", 64, 0, known_kind, &evs, &ne)) != PX_OK)
		goto out;
	if (nw + ne == 0) {
		px_ctx_detail(ctx, "field", "trigger_words");
		e = PX_E_VALIDATION_MISSING_FIELD;
		goto out;
	}
	if (px_sf_check_url(h.url, px_cfg_str(ctx->cfg, "outbound_allow_private"), NULL, NULL,
			    why, sizeof(why)) != PX_SF_DONE) {
		px_ctx_detail(ctx, "reason", why);
		e = PX_E_HOOK_URL_REFUSED;
		goto out;
	}
	if (px_crypto_token("pxw_", secret, sizeof(secret)) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	snprintf(context, sizeof(context), "hook:%lld", a.channel_id);
	if ((e = px_crypto_seal(ctx->cfg, context, secret, strlen(secret), &sealed)) != PX_OK)
		goto out;
	h.channel = a.channel_id;
	h.creator = ctx->who.user_id;
	h.sealed_secret = sealed.data;
	h.triggers = words.data ? words.data : "";
	h.events = evs.data ? evs.data : "";
	if ((e = px_m_hooks_out_create(ctx->db, &h, &out)) != PX_OK)
		goto out;
	if (!(j = json_tokener_parse(out.data))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	/* the signing secret leaves the server this once */
	json_object_object_add(j, "secret", json_object_new_string(secret));
	e = px_ctx_json(ctx, 201, j);
	px_response_header(ctx->resp, "Cache-Control", "no-store");
out:
	px_crypto_wipe(secret, sizeof(secret));
	px_buf_free(&words);
	px_buf_free(&evs);
	px_buf_free(&sealed);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_hooks_out_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) == PX_OK &&
	    (e = px_m_hooks_out_list(ctx->db, a.channel_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_hooks_out_delete(struct px_ctx *ctx)
{
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK)
		return e;
	e = px_m_hooks_out_revoke(ctx->db, a.channel_id, px_path_int(&ctx->path, "hid"));
	if (e == PX_E_VALIDATION_NOT_FOUND)
		return PX_E_HOOK_NOT_FOUND;
	if (e == PX_OK)
		ctx->resp->status = 204;
	return e;
}

enum px_err px_h_hooks_out_deliveries(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	int limit;
	enum px_err e;

	if ((e = px_hm_limit(ctx, 50, 200, &limit)) != PX_OK ||
	    (e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK)
		goto out;
	e = px_m_hooks_deliveries(ctx->db, a.channel_id, px_path_int(&ctx->path, "hid"),
				  limit, &out);
	if (e == PX_E_VALIDATION_NOT_FOUND)
		e = PX_E_HOOK_NOT_FOUND;
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
out:
	px_buf_free(&out);
	return e;
}

enum px_err px_h_hooks_admin_deliveries(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	int limit;
	enum px_err e;

	if ((e = px_hm_limit(ctx, 50, 200, &limit)) == PX_OK &&
	    (e = px_m_hooks_deliveries(ctx->db, 0, 0, limit, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}
