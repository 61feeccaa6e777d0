/* auth_mfa.c: the TOTP second factor. */
#include "auth_mfa.h"
#include "model/users.h"

enum px_err px_auth_mfa_login(struct px_ctx *ctx, const struct px_m_user *u,
			      const char *code, int trust)
{
	if (!u->mfa_enabled)
		return PX_OK;
	return code ? PX_E_AUTH_MFA_INVALID : PX_E_AUTH_MFA_REQUIRED;
}
