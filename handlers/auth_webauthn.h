/* auth_webauthn.h: passkeys for the auth and web handlers: the API
 * endpoints (auth_webauthn.c), challenges and assertion checks shared by
 * passwordless sign-in and the second factor (auth_passkey.c), and the
 * mfa_required policy with its pipeline gate and the second-factor step
 * that follows an OIDC sign-in (auth_mfa_step.c). */
#ifndef PX_H_AUTH_WEBAUTHN_H
#define PX_H_AUTH_WEBAUTHN_H

#include "core/ctx.h"

struct json_object;
struct px_m_user;

/* auth_webauthn.c: route handlers */
enum px_err px_h_auth_wa_register_options(struct px_ctx *ctx);
enum px_err px_h_auth_wa_register_verify(struct px_ctx *ctx);
enum px_err px_h_auth_wa_login_options(struct px_ctx *ctx);
enum px_err px_h_auth_wa_login_verify(struct px_ctx *ctx);
enum px_err px_h_auth_wa_credentials(struct px_ctx *ctx);
enum px_err px_h_auth_wa_credential_rename(struct px_ctx *ctx);
enum px_err px_h_auth_wa_credential_delete(struct px_ctx *ctx);
enum px_err px_h_admin_user_mfa_reset(struct px_ctx *ctx);

/* auth_passkey.c */

/* The credential a client sent in field `name`: a JSON object in a JSON
 * body, or a string holding one (form posts from the web UI). A new
 * reference (json_object_put), or NULL when the field is absent or is not
 * an object. */
struct json_object *px_auth_wa_input(struct px_ctx *ctx, const char *name);
/* Number of passkeys of uid into *n. */
enum px_err px_auth_wa_count(struct px_ctx *ctx, long long uid, int *n)
	__attribute__((warn_unused_result));
/* Makes a challenge of purpose ("register", "login", "mfa") for uid (0:
 * none), stored server-side for webauthn_timeout seconds, and returns the
 * request options shared by both ceremonies: {challenge, rpId, timeout,
 * userVerification} (uv_required: "required", else the configured
 * preference). A new object, or NULL after an error in *e. */
struct json_object *px_auth_wa_options(struct px_ctx *ctx, const char *purpose,
				       long long uid, int uv_required, enum px_err *e);
/* Writes the details of AUTH_MFA_REQUIRED / AUTH_MFA_INVALID for u, who has
 * TOTP (u->mfa_enabled) and/or `keys` passkeys: {"mfa": first method,
 * "methods": [...], "webauthn": request options with allowCredentials}
 * (a new "mfa" challenge for u), and "reason": why when why is not NULL.
 * Best effort: on failure the options are left out. */
void px_auth_wa_mfa_details(struct px_ctx *ctx, const struct px_m_user *u, int keys,
			    const char *why);
/* Verifies cred (an assertion) as the second factor of uid against an
 * "mfa" challenge issued to uid, UV as webauthn_user_verification says.
 * AUTH_MFA_INVALID with the reason in *why (static text) when it does not
 * verify (audited); SYSTEM_* otherwise. */
enum px_err px_auth_wa_second_factor(struct px_ctx *ctx, long long uid,
				     struct json_object *cred, const char **why)
	__attribute__((warn_unused_result));
/* Verifies cred as a passwordless sign-in ("login" challenge, UV always
 * required, userHandle required and the key's owner's); *uid gets the
 * account. AUTH_WEBAUTHN_FAILED with details {"reason"} otherwise. */
enum px_err px_auth_wa_passwordless(struct px_ctx *ctx, struct json_object *cred,
				    long long *uid) __attribute__((warn_unused_result));

/* auth_mfa_step.c */

/* 1 when the mfa_required setting covers an account of system role role
 * ("all": everyone; "admins": admin and owner). */
int px_auth_mfa_policy(const struct px_ctx *ctx, const char *role);
/* The pipeline's check for authenticated requests: when the policy covers
 * the principal and the account has neither TOTP nor a passkey, only
 * routes of action auth.session or auth.account (the account's own
 * security settings, sign-out) pass; others get
 * AUTH_MFA_ENROLMENT_REQUIRED. One indexed query, only while the policy
 * is on. */
enum px_err px_auth_mfa_gate(struct px_ctx *ctx, const char *action)
	__attribute__((warn_unused_result));
/* After a sign-in through an identity provider (via "oidc:NAME"): when
 * the policy covers u and u has a second factor, starts the second-factor
 * step instead of a session: a sealed, browser-bound step cookie for
 * five minutes and a 303 to /login/verify (next kept). *started = 1 then;
 * 0 when no step is needed (the caller starts the session). */
enum px_err px_auth_mfa_step_start(struct px_ctx *ctx, const struct px_m_user *u,
				   const char *next, const char *via, int *started)
	__attribute__((warn_unused_result));
/* Opens this browser's step cookie: *uid, via and next (local path).
 * AUTH_SESSION_EXPIRED when absent, forged or expired. */
enum px_err px_auth_mfa_step_open(struct px_ctx *ctx, long long *uid, char via[80],
				  char next[512]) __attribute__((warn_unused_result));
/* Finishes the step: checks the form's "webauthn" assertion or "code"
 * (TOTP or recovery code) for the step's account, with the login
 * throttle, then clears the cookie and answers as px_auth_session_reply.
 * AUTH_MFA_REQUIRED (nothing sent, details as px_auth_wa_mfa_details),
 * AUTH_MFA_INVALID, AUTH_LOCKED_OUT, AUTH_SESSION_EXPIRED. */
enum px_err px_auth_mfa_step_finish(struct px_ctx *ctx) __attribute__((warn_unused_result));

#endif
