/* auth_oidc.c: OpenID Connect login: /api/v1/auth/oidc/providers, .../start
 * (state, nonce, PKCE, browser-bound state cookie) and .../callback (state
 * check, code exchange, ID-token verification, account linking by subject
 * or verified e-mail, optional registration, session). */
#include "handlers/auth.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "handlers/auth_webauthn.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "auth/ident.h"
#include "auth/jwt.h"
#include "auth/oidc.h"
#include "model/auth_oidc.h"
#include "model/users.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define STATE_COOKIE "px_oidc"

enum px_err px_h_auth_oidc_providers(struct px_ctx *ctx)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_puts(&b, "{\"providers\":");
	px_oidc_list_json(ctx->cfg, &b);
	px_buf_putc(&b, '}');
	if (b.failed) {
		px_buf_free(&b);
		return PX_E_SYSTEM_INTERNAL;
	}
	px_response_json(ctx->resp, 200, b.data, b.len);
	px_buf_free(&b);
	return PX_OK;
}

static enum px_err load_provider(struct px_ctx *ctx, struct px_oidc_provider *p,
				 struct px_oidc_meta *m)
{
	enum px_err e = px_oidc_provider(ctx->cfg, px_path_str(&ctx->path, "name"), p);

	if (e == PX_OK)
		e = px_oidc_discover(p, m);
	return e;
}

static void state_cookie(struct px_ctx *ctx, const char *value, int max_age)
{
	struct px_buf c = PX_BUF_INIT;

	px_buf_printf(&c, "%s=%s; Path=/api/v1/auth/oidc; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		      STATE_COOKIE, value, max_age, ctx->req->https ? "; Secure" : "");
	if (!c.failed)
		px_response_header(ctx->resp, "Set-Cookie", c.data);
	px_buf_free(&c);
}

enum px_err px_h_auth_oidc_start(struct px_ctx *ctx)
{
	struct px_buf sealed = PX_BUF_INIT, chal = PX_BUF_INIT, url = PX_BUF_INIT;
	const char *next = px_request_query(ctx->req, "next");
	char state[PX_TOKEN_MAX], nonce[PX_TOKEN_MAX], verifier[PX_TOKEN_MAX], hash[65];
	struct px_oidc_provider p;
	struct px_oidc_meta m;
	enum px_err e;

	if ((e = load_provider(ctx, &p, &m)) != PX_OK)
		return e;
	e = PX_E_SYSTEM_INTERNAL;
	if (px_crypto_token("pxo_", state, sizeof(state)) != 0 ||
	    px_crypto_token("", nonce, sizeof(nonce)) != 0 ||
	    px_crypto_token("", verifier, sizeof(verifier)) != 0)
		goto out;
	px_crypto_sha256_hex(state, strlen(state), hash);
	if ((e = px_crypto_seal(ctx->cfg, "oidc-verifier", verifier, strlen(verifier),
				&sealed)) != PX_OK ||
	    (e = px_m_oidc_state_put(ctx->db, hash, p.name, nonce, sealed.data,
				     px_auth_safe_next(next) ? next : "/")) != PX_OK)
		goto out;
	px_oidc_challenge(verifier, &chal);
	px_oidc_auth_url(&p, &m, state, nonce, chal.data, &url);
	e = url.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
	if (e == PX_OK) {
		state_cookie(ctx, state, 600);
		ctx->resp->status = 302;
		px_response_header(ctx->resp, "Location", url.data);
		px_response_header(ctx->resp, "Cache-Control", "no-store");
	}
out:
	px_crypto_wipe(verifier, sizeof(verifier));
	px_buf_free(&sealed);
	px_buf_free(&chal);
	px_buf_free(&url);
	return e;
}

/* Refuses and audits a failed OIDC login with a reason word. */
static enum px_err fail(struct px_ctx *ctx, const char *provider, const char *why,
			enum px_err e)
{
	char f[128];

	snprintf(f, sizeof(f), "{\"provider\":\"%.40s\",\"reason\":\"%.40s\"}", provider, why);
	px_auth_audit(ctx, "auth.oidc_failed", 0, NULL, f);
	px_ctx_detail(ctx, "reason", why);
	return e;
}

/* The state must come back both in the URL and in this browser's cookie,
 * unused and for this provider; *s gets the pending login. */
static enum px_err take_state(struct px_ctx *ctx, const char *name,
			      struct px_m_oidc_state *s)
{
	const char *st = px_request_query(ctx->req, "state");
	const char *cookie = px_request_cookie(ctx->req, STATE_COOKIE);
	char hash[65];
	enum px_err e;

	if (!st || !cookie || !px_crypto_streq(st, cookie))
		return fail(ctx, name, "state_mismatch", PX_E_AUTH_OIDC_FAILED);
	px_crypto_sha256_hex(st, strlen(st), hash);
	e = px_m_oidc_state_take(ctx->db, hash, s);
	if (e == PX_E_VALIDATION_NOT_FOUND || (e == PX_OK && strcmp(s->provider, name)))
		return fail(ctx, name, "state_unknown", PX_E_AUTH_OIDC_FAILED);
	return e;
}

/* A free username from the claims: preferred_username, else the e-mail's
 * local part, with digits appended while it clashes. */
static enum px_err pick_username(struct px_ctx *ctx, struct json_object *claims,
				 char out[64], struct px_buf *skel)
{
	const char *base = px_jwt_claim_str(claims, "preferred_username"), *which, *reason;
	const char *email = px_jwt_claim_str(claims, "email");
	unsigned char r[2];
	char cand[64];
	enum px_err e;
	int i;

	snprintf(cand, sizeof(cand), "%.24s", base ? base : email ? email : "user");
	cand[strcspn(cand, "@")] = '\0';
	for (i = 0; i < 20; i++) {
		px_buf_reset(skel);
		if (px_ident_username(cand, skel, &reason) == PX_OK && !px_ident_reserved(cand)) {
			if ((e = px_m_users_clash(ctx->db, cand, skel->data, NULL, 0, &which)))
				return e;
			if (!which) {
				snprintf(out, 64, "%s", cand);
				return PX_OK;
			}
		}
		if (px_crypto_random(r, sizeof(r)) != 0)
			return PX_E_SYSTEM_INTERNAL;
		snprintf(cand, sizeof(cand), "user%u", (unsigned)(r[0] << 8 | r[1]));
	}
	return PX_E_VALIDATION_CONFLICT;
}

static enum px_err register_user(struct px_ctx *ctx, struct json_object *claims,
				 const char *email, long long *uid)
{
	const char *name = px_jwt_claim_str(claims, "name");
	struct px_buf skel = PX_BUF_INIT;
	struct px_m_user_new n;
	char username[64];
	enum px_err e;

	if (strcmp(px_cfg_str(ctx->cfg, "registration"), "closed") == 0)
		return PX_E_AUTH_REGISTRATION_CLOSED;
	if ((e = pick_username(ctx, claims, username, &skel)) == PX_OK) {
		memset(&n, 0, sizeof(n));
		n.username = username;
		n.skeleton = skel.data;
		n.email = email;
		n.display_name = name && px_ident_display_name(name) == PX_OK ? name : username;
		n.role = "member";
		n.email_verified = email != NULL;
		e = px_m_users_create(ctx->db, &n, uid);
	}
	px_buf_free(&skel);
	if (e == PX_OK)
		px_auth_audit_user(ctx, "auth.register", *uid, *uid, "{\"via\":\"oidc\"}");
	return e;
}

/* Finds or makes the account for the ID token: by (provider, sub), else
 * by e-mail when the provider vouches for it, else by registration. */
static enum px_err link_account(struct px_ctx *ctx, const struct px_oidc_provider *p,
				struct json_object *claims, struct px_m_user *u)
{
	const char *sub = px_jwt_claim_str(claims, "sub"), *email = px_jwt_claim_str(claims, "email");
	struct json_object *v;
	long long uid = 0;
	int verified = p->trust_email ||
		       (json_object_object_get_ex(claims, "email_verified", &v) &&
			json_object_get_boolean(v));
	enum px_err e;

	if (email && px_ident_email(email) != PX_OK)
		email = NULL;
	if ((e = px_m_oidc_link_find(ctx->db, p->name, sub, &uid)) != PX_OK)
		return e;
	if (!uid && email && verified) {
		e = px_m_users_find_email(ctx->db, email, u);
		if (e != PX_OK && e != PX_E_VALIDATION_NOT_FOUND)
			return e;
		uid = e == PX_OK ? u->id : 0;
	}
	if (!uid && !p->auto_register)
		return fail(ctx, p->name, "no_account", PX_E_AUTH_OIDC_FAILED);
	if (!uid && (e = register_user(ctx, claims, verified ? email : NULL, &uid)) != PX_OK)
		return e;
	if ((e = px_m_users_get(ctx->db, uid, u)) != PX_OK)
		return e;
	if ((e = px_m_oidc_link_find(ctx->db, p->name, sub, &uid)) == PX_OK && !uid) {
		e = px_m_oidc_link_add(ctx->db, p->name, sub, u->id, email);
		px_auth_audit_user(ctx, "auth.oidc_linked", u->id, u->id, NULL);
	}
	return e;
}

enum px_err px_h_auth_oidc_callback(struct px_ctx *ctx)
{
	const char *name = px_path_str(&ctx->path, "name");
	const char *code = px_request_query(ctx->req, "code");
	struct json_object *claims = NULL;
	struct px_buf verifier = PX_BUF_INIT;
	struct px_m_oidc_state s;
	struct px_oidc_provider p;
	struct px_oidc_meta m;
	struct px_m_user u;
	char via[80];
	enum px_err e;
	int step = 0;

	state_cookie(ctx, "", 0);
	if ((e = take_state(ctx, name, &s)) != PX_OK || (e = load_provider(ctx, &p, &m)) != PX_OK)
		goto out;
	if (!code || px_request_query(ctx->req, "error")) {
		e = fail(ctx, name, "provider_error", PX_E_AUTH_OIDC_FAILED);
		goto out;
	}
	if ((e = px_crypto_open(ctx->cfg, "oidc-verifier", s.verifier_enc, &verifier)) ||
	    (e = px_oidc_finish(&p, &m, code, verifier.data, s.nonce, &claims)) != PX_OK) {
		if (e == PX_E_AUTH_TOKEN_INVALID || e == PX_E_AUTH_OIDC_FAILED)
			e = fail(ctx, name, e == PX_E_AUTH_TOKEN_INVALID ? "id_token" : "exchange", e);
		goto out;
	}
	if ((e = link_account(ctx, &p, claims, &u)) != PX_OK)
		goto out;
	if (u.deactivated) {
		e = fail(ctx, name, "deactivated", PX_E_AUTH_ACCOUNT_DISABLED);
		goto out;
	}
	snprintf(via, sizeof(via), "oidc:%s", p.name);
	/* mfa_required: the provider's sign-in is the first factor only */
	if ((e = px_auth_mfa_step_start(ctx, &u, s.next, via, &step)) != PX_OK || step)
		goto out;
	e = px_auth_session_reply(ctx, &u, s.next, via);
out:
	json_object_put(claims);
	px_buf_free(&verifier);
	return e;
}
