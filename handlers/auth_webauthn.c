/* auth_webauthn.c: /api/v1/auth/webauthn (registration, passwordless
 * sign-in, listing, renaming and removing an account's passkeys) and the
 * admin's second-factor reset. Policy is in the route rows
 * (fcgi/routes_auth.inc); verification in auth/webauthn via
 * auth_passkey.c. */
#include "handlers/auth.h"
#include "handlers/auth_mfa.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "handlers/auth_webauthn.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "auth/webauthn.h"
#include "model/auth_mfa.h"
#include "model/users.h"
#include "model/webauthn.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define KEYS_MAX 20 /* passkeys per account */
#define NAME_MAX_CP 64

static const char *alg_name(int alg)
{
	return alg == PX_WA_ALG_ES256 ? "ES256" : alg == PX_WA_ALG_EDDSA ? "EdDSA" : "RS256";
}

static struct json_object *cred_json(const struct px_m_wa_cred *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "credential_id", json_object_new_string(c->credential_id));
	json_object_object_add(o, "algorithm", json_object_new_string(alg_name(c->alg)));
	json_object_object_add(o, "attestation", json_object_new_string(c->attestation));
	json_object_object_add(o, "user_verified", json_object_new_boolean(c->uv_at_create));
	json_object_object_add(o, "backed_up", json_object_new_boolean(c->backup_state));
	json_object_object_add(o, "created_at", json_object_new_string(c->created_at));
	json_object_object_add(o, "last_used_at", c->last_used_at[0]
				   ? json_object_new_string(c->last_used_at) : NULL);
	return o;
}

static void add_cred(const struct px_m_wa_cred *c, void *arg)
{
	json_object_array_add(arg, cred_json(c));
}

static void add_excluded(const struct px_m_wa_cred *c, void *arg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("public-key"));
	json_object_object_add(o, "id", json_object_new_string(c->credential_id));
	json_object_array_add(arg, o);
}

/* The account's user handle, made on first use from 32 random bytes. */
static enum px_err user_handle(struct px_ctx *ctx, char out[PX_M_WA_HANDLE_MAX])
{
	unsigned char r[32];
	struct px_buf b = PX_BUF_INIT;
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (px_crypto_random(r, sizeof(r)) == 0) {
		px_codec_b64_encode(&b, r, sizeof(r), PX_CODEC_B64_URL);
		if (!b.failed)
			e = px_m_wa_handle_ensure(ctx->db, ctx->who.user_id, b.data, out);
	}
	px_buf_free(&b);
	return e;
}

/* Adds rp, user, algorithms, attestation, selection and the keys to
 * exclude to request options o, making them creation options. */
static enum px_err creation_options(struct px_ctx *ctx, struct json_object *o,
				    const char *handle)
{
	static const int algs[] = { PX_WA_ALG_ES256, PX_WA_ALG_EDDSA, PX_WA_ALG_RS256 };
	struct json_object *rp = json_object_new_object(), *user = json_object_new_object();
	struct json_object *params = json_object_new_array(), *sel = json_object_new_object();
	struct json_object *excl = json_object_new_array(), *v;
	size_t i;

	json_object_object_get_ex(o, "rpId", &v);
	json_object_object_add(rp, "id", json_object_get(v));
	json_object_object_add(rp, "name", json_object_new_string(px_cfg_str(ctx->cfg, "mfa_issuer")));
	json_object_object_del(o, "rpId");
	json_object_object_add(user, "id", json_object_new_string(handle));
	json_object_object_add(user, "name", json_object_new_string(ctx->who.username));
	json_object_object_add(user, "displayName", json_object_new_string(ctx->who.username));
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "type", json_object_new_string("public-key"));
		json_object_object_add(p, "alg", json_object_new_int(algs[i]));
		json_object_array_add(params, p);
	}
	json_object_object_get_ex(o, "userVerification", &v);
	json_object_object_add(sel, "residentKey", json_object_new_string("preferred"));
	json_object_object_add(sel, "requireResidentKey", json_object_new_boolean(0));
	json_object_object_add(sel, "userVerification", json_object_get(v));
	json_object_object_add(o, "rp", rp);
	json_object_object_add(o, "user", user);
	json_object_object_add(o, "pubKeyCredParams", params);
	json_object_object_add(o, "attestation", json_object_new_string("none"));
	json_object_object_add(o, "authenticatorSelection", sel);
	json_object_object_add(o, "excludeCredentials", excl);
	return px_m_wa_cred_list(ctx->db, ctx->who.user_id, add_excluded, excl);
}

enum px_err px_h_auth_wa_register_options(struct px_ctx *ctx)
{
	char handle[PX_M_WA_HANDLE_MAX];
	struct json_object *o, *r;
	enum px_err e;
	int n = 0;

	if ((e = px_auth_wa_count(ctx, ctx->who.user_id, &n)) != PX_OK)
		return e;
	if (n >= KEYS_MAX) {
		px_ctx_detail(ctx, "reason", "too_many_passkeys");
		return PX_E_VALIDATION_CONFLICT;
	}
	if ((e = user_handle(ctx, handle)) != PX_OK ||
	    !(o = px_auth_wa_options(ctx, "register", ctx->who.user_id, 0, &e)))
		return e;
	if ((e = creation_options(ctx, o, handle)) != PX_OK) {
		json_object_put(o);
		return e;
	}
	r = json_object_new_object();
	json_object_object_add(r, "publicKey", o);
	return px_ctx_json(ctx, 200, r);
}

/* The stored form of a challenge: SHA-256 hex of its canonical base64url. */
static int challenge_hash(const struct px_buf *raw, char hash[65])
{
	struct px_buf canon = PX_BUF_INIT;
	int rc = -1;

	px_codec_b64_encode(&canon, raw->data, raw->len, PX_CODEC_B64_URL);
	if (!canon.failed && canon.data) {
		px_crypto_sha256_hex(canon.data, canon.len, hash);
		rc = 0;
	}
	px_buf_free(&canon);
	return rc;
}

/* Reads and verifies a registration response for this account against
 * the "register" challenge it was issued; *why names a refusal. */
static enum px_err verify_registration(struct px_ctx *ctx, struct json_object *cred,
				       struct px_wa_credential *out, const char **why)
{
	struct px_buf raw_id = PX_BUF_INIT, cdj = PX_BUF_INIT, att = PX_BUF_INIT, ch = PX_BUF_INIT;
	struct json_object *resp = NULL;
	char text[128], hash[65], origin[256], rp_id[256];
	struct px_wa_expect x;
	enum px_wa_status st;
	long long uid = 0;
	enum px_err e = PX_OK;

	*why = "malformed";
	if (!json_object_object_get_ex(cred, "response", &resp) ||
	    px_wa_member_bytes(cred, "rawId", SIZE_MAX, &raw_id) != 0 ||
	    px_wa_member_bytes(resp, "clientDataJSON", SIZE_MAX, &cdj) != 0 ||
	    px_wa_member_bytes(resp, "attestationObject", SIZE_MAX, &att) != 0 ||
	    px_wa_client_challenge((unsigned char *)cdj.data, cdj.len, text, sizeof(text)) != 0 ||
	    px_codec_b64_decode(text, strlen(text), PX_CODEC_B64_URL, &ch) != 0 ||
	    ch.len != PX_WA_CHALLENGE_LEN)
		goto out;
	*why = "challenge";
	if (challenge_hash(&ch, hash) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if ((e = px_m_wa_challenge_take(ctx->db, hash, "register", &uid)) != PX_OK ||
	    uid != ctx->who.user_id) {
		e = e == PX_E_VALIDATION_NOT_FOUND ? PX_OK : e;
		goto out;
	}
	if (px_wa_site(px_cfg_str(ctx->cfg, "public_url"), origin, sizeof(origin), rp_id,
		       sizeof(rp_id)) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	x = (struct px_wa_expect){ (unsigned char *)ch.data, ch.len, origin, rp_id,
				   strcmp(px_cfg_str(ctx->cfg, "webauthn_user_verification"),
					  "required") == 0 };
	st = px_wa_verify_registration(&x, (unsigned char *)cdj.data, cdj.len,
				       (unsigned char *)att.data, att.len, out);
	*why = st == PX_WA_OK ? NULL : px_wa_reason(st);
	if (st == PX_WA_OK && (raw_id.len != out->id_len ||
			       memcmp(raw_id.data, out->id, out->id_len) != 0)) {
		*why = "credential_id";
		px_wa_credential_free(out);
	}
out:
	px_buf_free(&raw_id);
	px_buf_free(&cdj);
	px_buf_free(&att);
	px_buf_free(&ch);
	return e;
}

/* Stores a verified credential named name for this account. */
static enum px_err store(struct px_ctx *ctx, const struct px_wa_credential *v,
			 const char *name, struct px_m_wa_cred *row)
{
	struct px_buf id = PX_BUF_INIT, key = PX_BUF_INIT;
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	memset(row, 0, sizeof(*row));
	px_codec_b64_encode(&id, v->id, v->id_len, PX_CODEC_B64_URL);
	px_codec_b64_encode(&key, v->spki, v->spki_len, PX_CODEC_B64_URL);
	if (!id.failed && !key.failed && id.len < sizeof(row->credential_id) &&
	    key.len < sizeof(row->public_key)) {
		row->user_id = ctx->who.user_id;
		memcpy(row->credential_id, id.data, id.len + 1);
		memcpy(row->public_key, key.data, key.len + 1);
		row->alg = v->alg;
		row->sign_count = v->sign_count;
		snprintf(row->name, sizeof(row->name), "%s", name);
		px_codec_hex_str(row->aaguid, v->aaguid, sizeof(v->aaguid));
		snprintf(row->fmt, sizeof(row->fmt), "%s", v->fmt);
		snprintf(row->attestation, sizeof(row->attestation), "%s", v->attestation);
		row->uv_at_create = !!(v->flags & PX_WA_FLAG_UV);
		row->backup_state = !!(v->flags & PX_WA_FLAG_BS);
		e = px_m_wa_cred_add(ctx->db, row);
	}
	px_buf_free(&id);
	px_buf_free(&key);
	return e;
}

enum px_err px_h_auth_wa_register_verify(struct px_ctx *ctx)
{
	struct json_object *cred = px_auth_wa_input(ctx, "credential"), *o = NULL, *codes = NULL;
	struct px_wa_credential v;
	struct px_m_wa_cred row;
	const char *name = NULL, *why = NULL;
	char f[96];
	enum px_err e;

	memset(&v, 0, sizeof(v));
	if ((e = px_in_str(ctx, "name", 0, 1, NAME_MAX_CP, &name)) != PX_OK)
		goto out;
	if (!cred) {
		px_ctx_detail(ctx, "field", "credential");
		e = PX_E_VALIDATION_MISSING_FIELD;
		goto out;
	}
	if ((e = verify_registration(ctx, cred, &v, &why)) != PX_OK)
		goto out;
	if (why) {
		snprintf(f, sizeof(f), "{\"reason\":\"%s\"}", why);
		px_auth_audit_user(ctx, "auth.webauthn_register_refused", ctx->who.user_id,
				   ctx->who.user_id, f);
		px_ctx_detail(ctx, "reason", why);
		e = PX_E_VALIDATION_WEBAUTHN_INVALID;
		goto out;
	}
	if ((e = store(ctx, &v, name ? name : "Passkey", &row)) != PX_OK) {
		if (e == PX_E_VALIDATION_CONFLICT)
			px_ctx_detail(ctx, "field", "credential_id");
		goto out;
	}
	/* recovery for an account whose only factor is this key */
	if (px_m_mfa_codes_left(ctx->db, ctx->who.user_id) == 0 &&
	    (e = px_auth_mfa_codes_new(ctx, ctx->who.user_id, &codes)) != PX_OK)
		goto out;
	snprintf(f, sizeof(f), "{\"credential\":%lld,\"alg\":%d,\"attestation\":\"%s\"}", row.id,
		 row.alg, row.attestation);
	px_auth_audit_user(ctx, "auth.webauthn_registered", ctx->who.user_id, ctx->who.user_id, f);
	o = json_object_new_object();
	json_object_object_add(o, "credential", cred_json(&row));
	if (codes)
		json_object_object_add(o, "recovery_codes", codes);
	codes = NULL;
	e = px_ctx_json(ctx, 201, o);
out:
	px_wa_credential_free(&v);
	json_object_put(codes);
	json_object_put(cred);
	return e;
}

enum px_err px_h_auth_wa_login_options(struct px_ctx *ctx)
{
	struct json_object *o, *r;
	enum px_err e;

	if (px_auth_cross_site(ctx))
		return PX_E_SECURITY_CROSS_SITE;
	if (!(o = px_auth_wa_options(ctx, "login", 0, 1, &e)))
		return e;
	json_object_object_add(o, "allowCredentials", json_object_new_array());
	r = json_object_new_object();
	json_object_object_add(r, "publicKey", o);
	return px_ctx_json(ctx, 200, r);
}

enum px_err px_h_auth_wa_login_verify(struct px_ctx *ctx)
{
	struct json_object *cred = NULL;
	const char *next = NULL;
	struct px_m_user u;
	long long uid = 0;
	enum px_err e;

	if (px_auth_cross_site(ctx)) {
		px_auth_audit(ctx, "auth.login_cross_site", 0, NULL, "{\"via\":\"webauthn\"}");
		return PX_E_SECURITY_CROSS_SITE;
	}
	if ((e = px_in_str(ctx, "next", 0, 1, 512, &next)) != PX_OK)
		return e;
	if (!(cred = px_auth_wa_input(ctx, "credential"))) {
		px_ctx_detail(ctx, "field", "credential");
		return PX_E_VALIDATION_MISSING_FIELD;
	}
	e = px_auth_wa_passwordless(ctx, cred, &uid);
	json_object_put(cred);
	if (e != PX_OK || (e = px_m_users_get(ctx->db, uid, &u)) != PX_OK)
		return e;
	if (u.deactivated) {
		px_auth_audit_user(ctx, "auth.login_refused_deactivated", u.id, u.id,
				   "{\"via\":\"webauthn\"}");
		return PX_E_AUTH_ACCOUNT_DISABLED;
	}
	return px_auth_session_reply(ctx, &u, next, "webauthn");
}

enum px_err px_h_auth_wa_credentials(struct px_ctx *ctx)
{
	struct json_object *arr = json_object_new_array(), *o;
	enum px_err e = px_m_wa_cred_list(ctx->db, ctx->who.user_id, add_cred, arr);

	if (e != PX_OK) {
		json_object_put(arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "credentials", arr);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_auth_wa_credential_rename(struct px_ctx *ctx)
{
	long long id = px_path_int(&ctx->path, "id");
	const char *name = NULL;
	enum px_err e;

	if ((e = px_in_str(ctx, "name", 1, 1, NAME_MAX_CP, &name)) != PX_OK ||
	    (e = px_m_wa_cred_rename(ctx->db, id, ctx->who.user_id, name)) != PX_OK)
		return e;
	return px_ctx_json(ctx, 200, json_object_new_object());
}

enum px_err px_h_auth_wa_credential_delete(struct px_ctx *ctx)
{
	long long id = px_path_int(&ctx->path, "id");
	enum px_err e = px_m_wa_cred_delete(ctx->db, id, ctx->who.user_id);
	char f[48];

	if (e != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"credential\":%lld}", id);
	px_auth_audit_user(ctx, "auth.webauthn_removed", ctx->who.user_id, ctx->who.user_id, f);
	return px_ctx_json(ctx, 200, json_object_new_object());
}

enum px_err px_h_admin_user_mfa_reset(struct px_ctx *ctx)
{
	struct json_object *o;
	struct px_m_user u;
	char f[48];
	enum px_err e;
	int n = 0;

	if ((e = px_auth_admin_target(ctx, &u)) != PX_OK ||
	    (e = px_m_mfa_delete(ctx->db, u.id)) != PX_OK ||
	    (e = px_m_wa_cred_delete_all(ctx->db, u.id, &n)) != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"passkeys\":%d}", n);
	px_auth_audit_user(ctx, "auth.mfa_reset", ctx->who.user_id, u.id, f);
	o = json_object_new_object();
	json_object_object_add(o, "passkeys_removed", json_object_new_int(n));
	return px_ctx_json(ctx, 200, o);
}
