/* auth_mfa.c: verification of TOTP and recovery codes, and trusted
 * devices, for logins and the MFA endpoints. */
#include "handlers/auth_mfa.h"
#include "handlers/auth_util.h"
#include "handlers/auth_webauthn.h"
#include "core/crypto.h"
#include "auth/totp.h"
#include "model/auth_mfa.h"
#include "model/users.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TRUST_DAYS 30

static const char *trust_cookie(const struct px_request *req)
{
	return req->https ? "__Host-px_trusted" : "px_trusted";
}

/* Opens the sealed secret of uid into key; its length in *klen. */
static enum px_err open_secret(struct px_ctx *ctx, long long uid,
			       const struct px_m_totp *t, struct px_buf *key)
{
	char context[40];

	snprintf(context, sizeof(context), "totp:%lld", uid);
	return px_crypto_open(ctx->cfg, context, t->secret_enc, key);
}

/* Recovery codes are compared on their canonical form: lower case, no
 * separators. */
static void recovery_hash(const char *code, char hash[65])
{
	char canon[64];
	size_t n = 0;

	for (; *code && n + 1 < sizeof(canon); code++)
		if (isalnum((unsigned char)*code))
			canon[n++] = (char)tolower((unsigned char)*code);
	canon[n] = '\0';
	px_crypto_sha256_hex(canon, n, hash);
}

/* Uses up recovery code `code` of uid: AUTH_MFA_INVALID when unknown. */
static enum px_err use_recovery(struct px_ctx *ctx, long long uid, const char *code)
{
	char hash[65];
	enum px_err e;

	recovery_hash(code, hash);
	if ((e = px_m_mfa_code_use(ctx->db, uid, hash)) == PX_OK)
		px_auth_audit_user(ctx, "auth.mfa_recovery_used", uid, uid, NULL);
	return e;
}

enum px_err px_auth_mfa_verify(struct px_ctx *ctx, long long uid, const char *code,
			       int pending)
{
	struct px_buf key = PX_BUF_INIT;
	struct px_m_totp t;
	long long step;
	enum px_err e;

	e = px_m_mfa_get(ctx->db, uid, &t);
	if (e == PX_E_VALIDATION_NOT_FOUND && !pending && strlen(code) > 8)
		return use_recovery(ctx, uid, code); /* an account with passkeys only */
	if (e != PX_OK)
		return e;
	if (t.confirmed == pending)
		return pending ? PX_E_VALIDATION_CONFLICT : PX_E_VALIDATION_NOT_FOUND;
	if ((e = open_secret(ctx, uid, &t, &key)) != PX_OK)
		goto out;
	step = px_totp_verify((unsigned char *)key.data, key.len, code, (time_t)t.now,
			      t.last_step);
	if (step >= 0) {
		e = px_m_mfa_use_step(ctx->db, uid, step);
	} else if (!pending && strlen(code) > 8) {
		e = use_recovery(ctx, uid, code);
	} else {
		e = PX_E_AUTH_MFA_INVALID;
	}
out:
	if (key.data)
		px_crypto_wipe(key.data, key.len);
	px_buf_free(&key);
	return e;
}

static int device_trusted(struct px_ctx *ctx, long long uid)
{
	const char *tok = px_request_cookie(ctx->req, trust_cookie(ctx->req));
	char hash[65];

	if (!tok || strncmp(tok, "pxd_", 4) != 0)
		return 0;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	return px_m_devices_check(ctx->db, uid, hash) == 1;
}

static enum px_err trust_device(struct px_ctx *ctx, long long uid)
{
	const char *ua = px_request_header(ctx->req, "user-agent");
	struct px_buf c = PX_BUF_INIT;
	char tok[PX_TOKEN_MAX], hash[65];
	enum px_err e;

	if (px_crypto_token("pxd_", tok, sizeof(tok)) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	e = px_m_devices_create(ctx->db, uid, hash, ua ? ua : "", px_auth_ip(ctx),
				TRUST_DAYS);
	if (e == PX_OK) {
		px_buf_printf(&c, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
			      trust_cookie(ctx->req), tok, TRUST_DAYS * 86400,
			      ctx->req->https ? "; Secure" : "");
		if (!c.failed)
			px_response_header(ctx->resp, "Set-Cookie", c.data);
		px_auth_audit_user(ctx, "auth.device_trusted", uid, uid, NULL);
	}
	px_crypto_wipe(tok, sizeof(tok));
	px_buf_free(&c);
	return e;
}

enum px_err px_auth_mfa_login(struct px_ctx *ctx, const struct px_m_user *u,
			      const char *code, int trust)
{
	struct json_object *cred = NULL;
	const char *why = NULL;
	enum px_err e;
	int keys = 0;

	if ((e = px_auth_wa_count(ctx, u->id, &keys)) != PX_OK)
		return e;
	if ((!u->mfa_enabled && !keys) || device_trusted(ctx, u->id))
		return PX_OK;
	if (keys && (cred = px_auth_wa_input(ctx, "webauthn"))) {
		e = px_auth_wa_second_factor(ctx, u->id, cred, &why);
		json_object_put(cred);
	} else if (!code) {
		px_auth_wa_mfa_details(ctx, u, keys, NULL);
		return PX_E_AUTH_MFA_REQUIRED;
	} else if ((e = px_auth_mfa_verify(ctx, u->id, code, 0)) == PX_E_VALIDATION_NOT_FOUND) {
		e = PX_E_AUTH_MFA_INVALID;
	}
	if (e == PX_E_AUTH_MFA_INVALID)
		px_auth_wa_mfa_details(ctx, u, keys, why);
	if (e != PX_OK)
		return e;
	return trust ? trust_device(ctx, u->id) : PX_OK;
}
