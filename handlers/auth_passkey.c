/* auth_passkey.c: the passkey steps shared by passwordless sign-in, the
 * second factor of a password or OIDC sign-in and the API: challenges
 * (random, stored as hashes, single use, short-lived), request options,
 * reading a credential from the request, and the assertion check that
 * ends in a counter update. Verification itself is auth/webauthn. */
#include "handlers/auth_webauthn.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/log.h"
#include "auth/webauthn.h"
#include "model/users.h"
#include "model/webauthn.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define INPUT_MAX (64 * 1024)

/* What a client sent for an assertion, decoded. */
struct assertion_in {
	char id[PX_M_WA_ID_MAX]; /* canonical base64url of the credential id */
	struct px_buf cdj, ad, sig, handle;
};

static void assertion_free(struct assertion_in *in)
{
	px_buf_free(&in->cdj);
	px_buf_free(&in->ad);
	px_buf_free(&in->sig);
	px_buf_free(&in->handle);
}

/* The configured origin and RP ID (from public_url). */
static enum px_err site(struct px_ctx *ctx, char origin[256], char rp_id[256])
{
	if (px_wa_site(px_cfg_str(ctx->cfg, "public_url"), origin, 256, rp_id, 256) == 0)
		return PX_OK;
	px_log_error("auth", ctx->req->correlation_id, "public_url has no usable origin for passkeys");
	return PX_E_SYSTEM_INTERNAL;
}

static int uv_configured(const struct px_ctx *ctx)
{
	return strcmp(px_cfg_str(ctx->cfg, "webauthn_user_verification"), "required") == 0;
}

struct json_object *px_auth_wa_input(struct px_ctx *ctx, const char *name)
{
	struct json_object *v = NULL;
	const char *s = NULL;

	if (ctx->req->json && json_object_is_type(ctx->req->json, json_type_object) &&
	    json_object_object_get_ex(ctx->req->json, name, &v) &&
	    json_object_is_type(v, json_type_object))
		return json_object_get(v);
	if (px_in_str(ctx, name, 0, 1, INPUT_MAX, &s) != PX_OK || !s)
		return NULL;
	v = json_tokener_parse(s);
	if (v && !json_object_is_type(v, json_type_object)) {
		json_object_put(v);
		v = NULL;
	}
	return v;
}

enum px_err px_auth_wa_count(struct px_ctx *ctx, long long uid, int *n)
{
	return px_m_wa_cred_count(ctx->db, uid, n);
}

struct json_object *px_auth_wa_options(struct px_ctx *ctx, const char *purpose,
				       long long uid, int uv_required, enum px_err *e)
{
	unsigned char raw[PX_WA_CHALLENGE_LEN];
	struct px_buf b = PX_BUF_INIT;
	struct json_object *o = NULL;
	char origin[256], rp_id[256], hash[65];
	long long ttl = px_cfg_int(ctx->cfg, "webauthn_timeout");

	if ((*e = site(ctx, origin, rp_id)) != PX_OK)
		return NULL;
	*e = PX_E_SYSTEM_INTERNAL;
	if (px_crypto_random(raw, sizeof(raw)) != 0)
		goto out;
	px_codec_b64_encode(&b, raw, sizeof(raw), PX_CODEC_B64_URL);
	if (b.failed)
		goto out;
	px_crypto_sha256_hex(b.data, b.len, hash);
	if ((*e = px_m_wa_challenge_put(ctx->db, hash, purpose, uid, (int)ttl)) != PX_OK ||
	    !(o = json_object_new_object())) {
		*e = *e != PX_OK ? *e : PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	json_object_object_add(o, "challenge", json_object_new_string(b.data));
	json_object_object_add(o, "rpId", json_object_new_string(rp_id));
	json_object_object_add(o, "timeout", json_object_new_int64(ttl * 1000));
	json_object_object_add(o, "userVerification", json_object_new_string(
		uv_required || uv_configured(ctx) ? "required" : "preferred"));
out:
	px_buf_free(&b);
	return o;
}

/* Reads {id|rawId, type, response: {clientDataJSON, authenticatorData,
 * signature, userHandle}}; userHandle may be absent or null. */
static int read_assertion(struct json_object *cred, struct assertion_in *in)
{
	struct json_object *r = NULL, *t = NULL, *h = NULL;
	struct px_buf id = PX_BUF_INIT, canon = PX_BUF_INIT;
	int rc = -1;

	if (!cred || !json_object_object_get_ex(cred, "response", &r) ||
	    !json_object_is_type(r, json_type_object) ||
	    (json_object_object_get_ex(cred, "type", &t) &&
	     strcmp(json_object_get_string(t), "public-key") != 0))
		return -1;
	if (px_wa_member_bytes(cred, "rawId", PX_WA_CRED_ID_MAX, &id) != 0) {
		px_buf_reset(&id); /* "id" holds the same bytes */
		if (px_wa_member_bytes(cred, "id", PX_WA_CRED_ID_MAX, &id) != 0)
			goto out;
	}
	if (px_wa_member_bytes(r, "clientDataJSON", INPUT_MAX, &in->cdj) != 0 ||
	    px_wa_member_bytes(r, "authenticatorData", INPUT_MAX, &in->ad) != 0 ||
	    px_wa_member_bytes(r, "signature", 1024, &in->sig) != 0)
		goto out;
	if (json_object_object_get_ex(r, "userHandle", &h) && h &&
	    px_wa_member_bytes(r, "userHandle", 64, &in->handle) != 0)
		goto out;
	px_codec_b64_encode(&canon, id.data, id.len, PX_CODEC_B64_URL);
	if (canon.failed || canon.len >= sizeof(in->id))
		goto out;
	memcpy(in->id, canon.data, canon.len + 1);
	rc = 0;
out:
	px_buf_free(&id);
	px_buf_free(&canon);
	return rc;
}

/* Takes the challenge clientDataJSON answers (single use); its bytes go
 * to raw and its account to *uid. VALIDATION_NOT_FOUND when unknown. */
static enum px_err take_challenge(struct px_ctx *ctx, const struct px_buf *cdj,
				  const char *purpose, long long *uid,
				  unsigned char raw[PX_WA_CHALLENGE_LEN])
{
	struct px_buf dec = PX_BUF_INIT, canon = PX_BUF_INIT;
	char text[128], hash[65];
	enum px_err e = PX_E_VALIDATION_NOT_FOUND;

	if (px_wa_client_challenge((unsigned char *)cdj->data, cdj->len, text, sizeof(text)) != 0 ||
	    px_codec_b64_decode(text, strlen(text), PX_CODEC_B64_URL, &dec) != 0 ||
	    dec.len != PX_WA_CHALLENGE_LEN)
		goto out;
	px_codec_b64_encode(&canon, dec.data, dec.len, PX_CODEC_B64_URL);
	if (canon.failed)
		goto out;
	px_crypto_sha256_hex(canon.data, canon.len, hash);
	if ((e = px_m_wa_challenge_take(ctx->db, hash, purpose, uid)) == PX_OK)
		memcpy(raw, dec.data, PX_WA_CHALLENGE_LEN);
out:
	px_buf_free(&dec);
	px_buf_free(&canon);
	return e;
}

/* The user handle in→handle must be the one of account uid. */
static int handle_matches(struct px_ctx *ctx, const struct assertion_in *in, long long uid)
{
	struct px_buf h = PX_BUF_INIT;
	long long owner = 0;
	int ok;

	px_codec_b64_encode(&h, in->handle.data, in->handle.len, PX_CODEC_B64_URL);
	ok = in->handle.len && !h.failed &&
	     px_m_wa_handle_user(ctx->db, h.data, &owner) == PX_OK && owner == uid;
	px_buf_free(&h);
	return ok;
}

static void audit_failure(struct px_ctx *ctx, long long uid, const char *purpose,
			  const char *why)
{
	char f[128];

	snprintf(f, sizeof(f), "{\"purpose\":\"%s\",\"reason\":\"%s\"}", purpose, why);
	px_auth_audit_user(ctx, "auth.webauthn_failed", uid, uid, f);
}

/* A counter that did not rise: the key may have been copied. */
static void audit_clone(struct px_ctx *ctx, const struct px_m_wa_cred *c, uint32_t got)
{
	char f[160];

	snprintf(f, sizeof(f), "{\"credential\":%lld,\"stored_count\":%lld,\"sign_count\":%u}",
		 c->id, c->sign_count, got);
	px_auth_audit_user(ctx, "auth.webauthn_counter_regression", c->user_id, c->user_id, f);
	px_log_warn("auth", ctx->req->correlation_id,
		    "passkey %lld of user %lld: sign counter did not increase (%u after %lld)",
		    c->id, c->user_id, got, c->sign_count);
}

/* Verifies the signature and counter of in for credential c, then moves
 * the stored counter. *why names a refusal (PX_OK with *why set). */
static enum px_err verify(struct px_ctx *ctx, const struct assertion_in *in,
			  const struct px_m_wa_cred *c, const unsigned char *raw, int uv,
			  const char **why)
{
	struct px_buf spki = PX_BUF_INIT;
	struct px_wa_assertion a = { (unsigned char *)in->cdj.data, in->cdj.len,
				     (unsigned char *)in->ad.data, in->ad.len,
				     (unsigned char *)in->sig.data, in->sig.len };
	struct px_wa_expect x = { raw, PX_WA_CHALLENGE_LEN, NULL, NULL, uv };
	char origin[256], rp_id[256];
	enum px_wa_status st;
	uint32_t count = 0;
	enum px_err e;

	if ((e = site(ctx, origin, rp_id)) != PX_OK)
		return e;
	x.origin = origin;
	x.rp_id = rp_id;
	if (px_codec_b64_decode(c->public_key, strlen(c->public_key), PX_CODEC_B64_URL,
				&spki) != 0) {
		px_buf_free(&spki);
		return PX_E_SYSTEM_INTERNAL;
	}
	st = px_wa_verify_assertion(&x, &a, (unsigned char *)spki.data, spki.len, c->alg,
				    (uint32_t)c->sign_count, &count, NULL);
	px_buf_free(&spki);
	if (st == PX_WA_SIGN_COUNT)
		audit_clone(ctx, c, count);
	if (st != PX_WA_OK) {
		*why = px_wa_reason(st);
		return st == PX_WA_INTERNAL ? PX_E_SYSTEM_INTERNAL : PX_OK;
	}
	e = px_m_wa_cred_used(ctx->db, c->id, c->sign_count, (long long)count);
	if (e == PX_E_VALIDATION_CONFLICT)
		*why = "sign_count"; /* another use of the same key came first */
	return e == PX_E_VALIDATION_CONFLICT ? PX_OK : e;
}

/* The whole assertion check for purpose. want_uid (0: any) must own both
 * the challenge and the key; "login" needs the owner's user handle. *c
 * gets the key; *why is NULL on success, else the refusal (audited). */
static enum px_err check_assertion(struct px_ctx *ctx, struct json_object *cred,
				   const char *purpose, long long want_uid, int uv,
				   struct px_m_wa_cred *c, const char **why)
{
	unsigned char raw[PX_WA_CHALLENGE_LEN];
	struct assertion_in in;
	long long cuid = 0;
	enum px_err e = PX_OK;

	memset(&in, 0, sizeof(in));
	memset(c, 0, sizeof(*c));
	*why = NULL;
	if (read_assertion(cred, &in) != 0) {
		*why = "malformed";
	} else if ((e = px_m_wa_cred_get(ctx->db, in.id, c)) != PX_OK) {
		*why = e == PX_E_VALIDATION_NOT_FOUND ? "unknown_credential" : NULL;
	} else if ((e = take_challenge(ctx, &in.cdj, purpose, &cuid, raw)) != PX_OK) {
		*why = e == PX_E_VALIDATION_NOT_FOUND ? "challenge" : NULL;
	} else if (want_uid && (cuid != want_uid || c->user_id != want_uid)) {
		*why = "wrong_account";
	} else if (!strcmp(purpose, "login") && !handle_matches(ctx, &in, c->user_id)) {
		*why = "user_handle";
	} else {
		e = verify(ctx, &in, c, raw, uv, why);
	}
	if (*why) {
		audit_failure(ctx, want_uid ? want_uid : c->user_id, purpose, *why);
		e = PX_OK;
	} else if (e == PX_OK) {
		px_auth_audit_user(ctx, "auth.webauthn_used", c->user_id, c->user_id,
				   !strcmp(purpose, "login") ? "{\"purpose\":\"login\"}"
							     : "{\"purpose\":\"mfa\"}");
	}
	assertion_free(&in);
	return e;
}

enum px_err px_auth_wa_second_factor(struct px_ctx *ctx, long long uid,
				     struct json_object *cred, const char **why)
{
	struct px_m_wa_cred c;
	enum px_err e = check_assertion(ctx, cred, "mfa", uid, uv_configured(ctx), &c, why);

	if (e != PX_OK)
		return e;
	return *why ? PX_E_AUTH_MFA_INVALID : PX_OK;
}

enum px_err px_auth_wa_passwordless(struct px_ctx *ctx, struct json_object *cred,
				    long long *uid)
{
	struct px_m_wa_cred c;
	const char *why = NULL;
	/* a passkey alone must be two factors: possession and PIN/biometric */
	enum px_err e = check_assertion(ctx, cred, "login", 0, 1, &c, &why);

	*uid = 0;
	if (e != PX_OK)
		return e;
	if (why) {
		px_ctx_detail(ctx, "reason", why);
		return PX_E_AUTH_WEBAUTHN_FAILED;
	}
	*uid = c.user_id;
	return PX_OK;
}

static void add_allowed(const struct px_m_wa_cred *c, void *arg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("public-key"));
	json_object_object_add(o, "id", json_object_new_string(c->credential_id));
	json_object_array_add(arg, o);
}

void px_auth_wa_mfa_details(struct px_ctx *ctx, const struct px_m_user *u, int keys,
			    const char *why)
{
	struct json_object *d = json_object_new_object(), *m = json_object_new_array();
	struct json_object *opts = NULL;
	const char *s;
	enum px_err e;

	if (!d || !m) {
		json_object_put(d);
		json_object_put(m);
		return;
	}
	json_object_object_add(d, "mfa", json_object_new_string(u->mfa_enabled ? "totp"
										: "webauthn"));
	if (u->mfa_enabled)
		json_object_array_add(m, json_object_new_string("totp"));
	if (keys)
		json_object_array_add(m, json_object_new_string("webauthn"));
	json_object_array_add(m, json_object_new_string("recovery_code"));
	json_object_object_add(d, "methods", m);
	if (why)
		json_object_object_add(d, "reason", json_object_new_string(why));
	if (keys && (opts = px_auth_wa_options(ctx, "mfa", u->id, 0, &e))) {
		struct json_object *allow = json_object_new_array();

		if (px_m_wa_cred_list(ctx->db, u->id, add_allowed, allow) != PX_OK) {
			json_object_put(allow);
			json_object_put(opts);
			opts = NULL;
		} else {
			json_object_object_add(opts, "allowCredentials", allow);
		}
	}
	if (opts)
		json_object_object_add(d, "webauthn", opts);
	s = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	px_buf_reset(&ctx->details);
	px_buf_puts(&ctx->details, s);
	json_object_put(d);
}
