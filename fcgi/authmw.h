/* authmw.h: the authentication, authorisation and rate-limit steps of the
 * pipeline (owned by the accounts module). */
#ifndef PX_AUTHMW_H
#define PX_AUTHMW_H

#include "router.h"

/* Fills ctx->who from a session cookie or bearer token; anonymous when
 * neither is present. Errors: AUTH_SESSION_EXPIRED, AUTH_TOKEN_INVALID,
 * AUTH_ACCOUNT_DISABLED, SYSTEM_DB_UNAVAILABLE. */
enum px_err px_authmw_authenticate(struct px_ctx *ctx, const struct px_route *r);
/* Applies the route's auth policy: AUTH_REQUIRED or AUTH_FORBIDDEN. */
enum px_err px_authmw_authorise(struct px_ctx *ctx, const struct px_route *r);
/* Token bucket for the route's rate class: SECURITY_RATE_LIMITED. */
enum px_err px_authmw_rate_limit(struct px_ctx *ctx, const struct px_route *r);

#endif
