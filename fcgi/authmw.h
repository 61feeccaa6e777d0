/* authmw.h: the authentication, authorisation and rate-limit steps of the
 * pipeline (owned by the accounts module). */
#ifndef PX_AUTHMW_H
#define PX_AUTHMW_H

#include "fcgi/router.h"

/* Fills ctx->who from the session cookie or an Authorization: Bearer
 * token (a session token "pxs_..." or a personal access token "pxp_...");
 * anonymous when neither is present. A bad bearer token is always an
 * error; a bad cookie only on routes that need a user (so a stale cookie
 * never blocks the login page). Errors: AUTH_SESSION_EXPIRED,
 * AUTH_TOKEN_INVALID, AUTH_ACCOUNT_DISABLED, SYSTEM_DB_UNAVAILABLE. */
enum px_err px_authmw_authenticate(struct px_ctx *ctx, const struct px_route *r)
	__attribute__((nonnull));
/* Applies the route's policy through the permission table (auth/perm.h):
 * AUTH_REQUIRED or AUTH_FORBIDDEN; then, for state-changing requests
 * authenticated by cookie, the CSRF token and Origin checks:
 * AUTH_CSRF_FAILED. */
enum px_err px_authmw_authorise(struct px_ctx *ctx, const struct px_route *r)
	__attribute__((nonnull));
/* Token bucket for the route's rate class and client (the user when
 * signed in, else the address), shared through PostgreSQL. Off when the
 * config key rate_limit is off. SECURITY_RATE_LIMITED with Retry-After. */
enum px_err px_authmw_rate_limit(struct px_ctx *ctx, const struct px_route *r)
	__attribute__((nonnull));
/* Called by the pipeline after it wrote an error body: restores the
 * headers that belong to the error (Retry-After for SECURITY_RATE_LIMITED
 * and AUTH_LOCKED_OUT). */
void px_authmw_error_headers(struct px_ctx *ctx, enum px_err e) __attribute__((nonnull));

#endif
