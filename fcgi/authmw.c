/* authmw.c: authentication, authorisation and rate limiting for the
 * pipeline. Until sessions exist every request is anonymous. */
#include "authmw.h"
#include "core/cfg.h"

enum px_err px_authmw_authenticate(struct px_ctx *ctx, const struct px_route *r)
{
	ctx->who.user_id = 0;
	ctx->who.role = PX_ROLE_ANON;
	return PX_OK;
}

enum px_err px_authmw_authorise(struct px_ctx *ctx, const struct px_route *r)
{
	switch (r->auth) {
	case PX_AUTH_NONE:
		return PX_OK;
	case PX_AUTH_ADMIN_OR_LOOPBACK:
		if (ctx->loopback && px_cfg_bool(ctx->cfg, "metrics_loopback"))
			return PX_OK;
		if (ctx->who.user_id == 0)
			return PX_E_AUTH_REQUIRED;
		return ctx->who.role >= PX_ROLE_ADMIN ? PX_OK : PX_E_AUTH_FORBIDDEN;
	case PX_AUTH_USER:
		if (ctx->who.user_id == 0)
			return PX_E_AUTH_REQUIRED;
		return ctx->who.role >= r->min_role ? PX_OK : PX_E_AUTH_FORBIDDEN;
	}
	return PX_E_AUTH_FORBIDDEN;
}

enum px_err px_authmw_rate_limit(struct px_ctx *ctx, const struct px_route *r)
{
	return PX_OK;
}
