/* auth_session.h: issuing login sessions (token, cookie) and the CSRF token
 * of a session. Shared by the login, OIDC and MFA handlers, the pipeline's
 * auth middleware and the web UI.
 *
 * Web UI: put the value of px_auth_csrf_token() into every state-changing
 * form as <input type="hidden" name="csrf_token" value="...">, or send it
 * from JavaScript as the X-CSRF-Token header (e.g. from a
 * <meta name="csrf-token"> tag). Requests authenticated by the session
 * cookie that change state (POST, PUT, PATCH, DELETE) are refused with
 * AUTH_CSRF_FAILED without it; bearer-token requests do not need it. */
#ifndef PX_H_AUTH_SESSION_H
#define PX_H_AUTH_SESSION_H

#include "core/crypto.h"
#include "core/ctx.h"

#define PX_CSRF_LEN 48 /* buffer size for a CSRF token, NUL included */

/* "__Host-px_session" over HTTPS (the prefix needs Secure), else
 * "px_session". */
const char *px_auth_cookie_name(const struct px_request *req);

/* Starts a session for user_id: a fresh 256-bit token (only its hash is
 * stored), the session cookie (HttpOnly, SameSite=Lax, Path=/, Secure and
 * __Host- over HTTPS) and the token in token for bearer use. Records the
 * user agent and address. Errors: SYSTEM_INTERNAL, SYSTEM_DB_UNAVAILABLE. */
enum px_err px_auth_session_start(struct px_ctx *ctx, long long user_id,
				  char token[PX_TOKEN_MAX], long long *session_id)
	__attribute__((warn_unused_result));
struct px_m_user;
/* Finishes a successful sign-in of u: starts the session (as above),
 * audits "auth.login" with via ("password", "oidc:NAME"), and answers
 * 303 to next for form posts with a local next path, else 200 JSON
 * {token, token_type, session_id, expires_in, user}. */
enum px_err px_auth_session_reply(struct px_ctx *ctx, const struct px_m_user *u,
				  const char *next, const char *via)
	__attribute__((warn_unused_result));
/* 1 when next is a local path that a browser also reads as one
 * (px_webpage_local_path: never "//host", "/\\host" or "/<TAB>/host"). */
int px_auth_safe_next(const char *next);
/* Adds a Set-Cookie header that deletes the session cookie. */
void px_auth_cookie_clear(struct px_ctx *ctx);

/* Writes the CSRF token of the request's session into out: base64url of
 * HMAC-SHA256 over the session id under a subkey of secret_key. Returns 0,
 * or -1 for requests without a session (anonymous or token). */
int px_auth_csrf_token(const struct px_ctx *ctx, char out[PX_CSRF_LEN]);
/* 1 when the request's form field csrf_token, JSON field csrf_token or
 * X-CSRF-Token header equals the session's token (constant time). */
int px_auth_csrf_valid(const struct px_ctx *ctx);
/* 1 when the request has no Origin header or one of this site: public_url's
 * origin, or the scheme and Host the request came in on (the CSRF check's,
 * and the WebSocket upgrade's). */
int px_auth_origin_ok(const struct px_ctx *ctx) __attribute__((nonnull));

#endif
