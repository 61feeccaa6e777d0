/* auth_session.c: session issue, the session cookie and CSRF tokens. */
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "web/webpage.h"
#include "model/sessions.h"
#include "model/users.h"
#include "core/codec.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

const char *px_auth_cookie_name(const struct px_request *req)
{
	return req->https ? "__Host-px_session" : "px_session";
}

static void set_cookie(struct px_ctx *ctx, const char *value, long long max_age)
{
	struct px_buf c = PX_BUF_INIT;

	px_buf_printf(&c, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
		      px_auth_cookie_name(ctx->req), value, max_age,
		      ctx->req->https ? "; Secure" : "");
	if (!c.failed)
		px_response_header(ctx->resp, "Set-Cookie", c.data);
	px_buf_free(&c);
}

enum px_err px_auth_session_start(struct px_ctx *ctx, long long user_id,
				  char token[PX_TOKEN_MAX], long long *session_id)
{
	long long max_age = px_cfg_int(ctx->cfg, "session_max_age");
	const char *ua = px_request_header(ctx->req, "user-agent");
	char hash[65];
	enum px_err e;

	if (px_crypto_token("pxs_", token, PX_TOKEN_MAX) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_sha256_hex(token, strlen(token), hash);
	e = px_m_sessions_create(ctx->db, user_id, hash, max_age, ua ? ua : "",
				 px_auth_ip(ctx), session_id);
	if (e != PX_OK)
		return e;
	set_cookie(ctx, token, max_age);
	return PX_OK;
}

int px_auth_safe_next(const char *next)
{
	/* one rule for every redirect target, read as a browser reads it */
	return px_webpage_local_path(next);
}

enum px_err px_auth_session_reply(struct px_ctx *ctx, const struct px_m_user *u,
				  const char *next, const char *via)
{
	struct json_object *o;
	char token[PX_TOKEN_MAX], f[96];
	const char *accept;
	long long sid = 0;
	enum px_err e;

	if ((e = px_auth_session_start(ctx, u->id, token, &sid)) != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"via\":\"%.80s\"}", via);
	px_auth_audit_user(ctx, "auth.login", u->id, u->id, f);
	accept = px_request_header(ctx->req, "accept");
	if (!ctx->req->json && px_auth_safe_next(next) &&
	    !(accept && strstr(accept, "application/json"))) {
		ctx->resp->status = 303;
		px_response_header(ctx->resp, "Location", next);
		px_crypto_wipe(token, sizeof(token));
		return PX_OK;
	}
	if (!(o = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(o, "session_id", json_object_new_int64(sid));
	json_object_object_add(o, "expires_in",
			       json_object_new_int64(px_cfg_int(ctx->cfg, "session_max_age")));
	json_object_object_add(o, "user", px_auth_user_json(u, 1));
	px_crypto_wipe(token, sizeof(token));
	return px_ctx_json(ctx, 200, o);
}

void px_auth_cookie_clear(struct px_ctx *ctx)
{
	set_cookie(ctx, "", 0);
}

int px_auth_csrf_token(const struct px_ctx *ctx, char out[PX_CSRF_LEN])
{
	unsigned char key[32], mac[PX_SHA256_LEN];
	struct px_buf b = PX_BUF_INIT;
	char sid[32];
	int rc = -1;

	if (ctx->who.session_id == 0 ||
	    px_crypto_subkey(ctx->cfg, "csrf:v1", key) != PX_OK)
		return -1;
	snprintf(sid, sizeof(sid), "%lld", ctx->who.session_id);
	px_crypto_hmac_sha256(key, sizeof(key), sid, strlen(sid), mac);
	px_codec_b64_encode(&b, mac, sizeof(mac), PX_CODEC_B64_URL);
	if (!b.failed && b.len < PX_CSRF_LEN) {
		memcpy(out, b.data, b.len + 1);
		rc = 0;
	}
	px_crypto_wipe(key, sizeof(key));
	px_buf_free(&b);
	return rc;
}

/* The token the client sent: header, form field or JSON field. */
static const char *sent_token(const struct px_ctx *ctx)
{
	const char *t = px_request_header(ctx->req, "x-csrf-token");
	struct json_object *v;

	if (t)
		return t;
	if ((t = px_kvlist_get(&ctx->req->form, "csrf_token")))
		return t;
	if (ctx->req->json && json_object_is_type(ctx->req->json, json_type_object) &&
	    json_object_object_get_ex(ctx->req->json, "csrf_token", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

int px_auth_csrf_valid(const struct px_ctx *ctx)
{
	char want[PX_CSRF_LEN];
	const char *got = sent_token(ctx);

	return got && px_auth_csrf_token(ctx, want) == 0 && px_crypto_streq(got, want);
}

/* Length of the scheme://host[:port] prefix of url. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	return p ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#") : 0;
}

/* An Origin header, when sent, must be this site: public_url's origin or
 * the scheme and Host the request came in on. */
int px_auth_origin_ok(const struct px_ctx *ctx)
{
	const char *o = px_request_header(ctx->req, "origin");
	const char *pub = px_cfg_str(ctx->cfg, "public_url");
	const char *host = px_request_header(ctx->req, "host");
	size_t n;
	char self[300];

	if (!o)
		return 1;
	n = origin_len(pub);
	if (n && strlen(o) == n && strncmp(o, pub, n) == 0)
		return 1;
	if (!host)
		return 0;
	snprintf(self, sizeof(self), "%s://%s", ctx->req->https ? "https" : "http", host);
	return strcmp(o, self) == 0;
}
