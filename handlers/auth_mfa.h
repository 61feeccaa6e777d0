/* auth_mfa.h: TOTP second factor: the check the login handler asks for,
 * code verification shared with the MFA endpoints, trusted devices. */
#ifndef PX_H_AUTH_MFA_H
#define PX_H_AUTH_MFA_H

#include "core/ctx.h"

struct px_m_user;

/* Second-factor step of a password login for u. Passes when u has no MFA
 * (neither TOTP nor a passkey), when the request carries a live
 * trusted-device cookie for u, when the request's "webauthn" field is a
 * passkey assertion of u that verifies (auth_webauthn.h), or when code is
 * a fresh TOTP code or an unused recovery code (then used up). Details of
 * AUTH_MFA_REQUIRED / AUTH_MFA_INVALID name the methods and, for accounts
 * with passkeys, carry request options with a new challenge.
 * With trust set, a 30-day trusted-device record and cookie are created.
 * Errors: AUTH_MFA_REQUIRED (no code), AUTH_MFA_INVALID (wrong or
 * replayed code), SYSTEM_*. */
enum px_err px_auth_mfa_login(struct px_ctx *ctx, const struct px_m_user *u,
			      const char *code, int trust)
	__attribute__((warn_unused_result));
/* Replaces uid's recovery codes with ten new ones (auth_mfa_api.c); *out
 * gets them as a new JSON array of strings. */
struct json_object;
enum px_err px_auth_mfa_codes_new(struct px_ctx *ctx, long long uid, struct json_object **out)
	__attribute__((warn_unused_result));
/* Checks code for user uid: a TOTP code of the stored secret (confirmed or,
 * with pending set, not yet confirmed), recorded so it cannot be used
 * again; or (confirmed, or for an account without TOTP) a recovery code,
 * used up. AUTH_MFA_INVALID
 * when it does not match or was used; VALIDATION_NOT_FOUND without MFA. */
enum px_err px_auth_mfa_verify(struct px_ctx *ctx, long long uid, const char *code,
			       int pending) __attribute__((warn_unused_result));

#endif
