/* auth.h: the handlers of the accounts area (/api/v1/auth, /api/v1/users,
 * /api/v1/admin/users), as named by the route rows in fcgi/routes_auth.inc.
 * Policy (who may call what) is in those rows and auth/perm.h. */
#ifndef PX_H_AUTH_H
#define PX_H_AUTH_H

#include "core/ctx.h"

struct px_m_user;

/* auth_register.c, auth_login.c */
enum px_err px_h_auth_register(struct px_ctx *ctx);
enum px_err px_h_auth_login(struct px_ctx *ctx);
/* auth.c */
enum px_err px_h_auth_logout(struct px_ctx *ctx);
enum px_err px_h_auth_me(struct px_ctx *ctx);
enum px_err px_h_auth_csrf(struct px_ctx *ctx);
/* auth_invite.c */
enum px_err px_h_admin_invite_create(struct px_ctx *ctx);
/* auth_sessions.c: sessions and personal access tokens */
enum px_err px_h_auth_sessions(struct px_ctx *ctx);
enum px_err px_h_auth_session_revoke(struct px_ctx *ctx);
enum px_err px_h_auth_sessions_revoke_others(struct px_ctx *ctx);
enum px_err px_h_auth_tokens(struct px_ctx *ctx);
enum px_err px_h_auth_token_create(struct px_ctx *ctx);
enum px_err px_h_auth_token_revoke(struct px_ctx *ctx);
enum px_err px_h_admin_user_sessions(struct px_ctx *ctx);
enum px_err px_h_admin_session_revoke(struct px_ctx *ctx);
/* auth_password.c */
enum px_err px_h_auth_password_change(struct px_ctx *ctx);
enum px_err px_h_auth_password_forgot(struct px_ctx *ctx);
enum px_err px_h_auth_password_reset(struct px_ctx *ctx);
enum px_err px_h_admin_user_password_reset(struct px_ctx *ctx);
/* users.c, users_admin.c */
enum px_err px_h_users_list(struct px_ctx *ctx);
enum px_err px_h_users_get(struct px_ctx *ctx);
enum px_err px_h_users_update_me(struct px_ctx *ctx);
enum px_err px_h_users_deactivate_me(struct px_ctx *ctx);
enum px_err px_h_admin_users_list(struct px_ctx *ctx);
enum px_err px_h_admin_user_update(struct px_ctx *ctx);
/* auth_mfa_api.c */
enum px_err px_h_auth_mfa_status(struct px_ctx *ctx);
enum px_err px_h_auth_mfa_enroll(struct px_ctx *ctx);
enum px_err px_h_auth_mfa_confirm(struct px_ctx *ctx);
enum px_err px_h_auth_mfa_disable(struct px_ctx *ctx);
enum px_err px_h_auth_devices(struct px_ctx *ctx);
enum px_err px_h_auth_device_revoke(struct px_ctx *ctx);
/* auth_oidc.c */
enum px_err px_h_auth_oidc_providers(struct px_ctx *ctx);
enum px_err px_h_auth_oidc_start(struct px_ctx *ctx);
enum px_err px_h_auth_oidc_callback(struct px_ctx *ctx);

/* Shared by the area's handlers. */
/* Lists accounts (query q, limit, offset); admin adds deactivated ones
 * and private fields. */
enum px_err px_auth_list_users(struct px_ctx *ctx, int admin);
/* Deactivates (revoking every session in the same transaction) or
 * reactivates account id, and audits it. */
enum px_err px_auth_set_active(struct px_ctx *ctx, long long id, int active)
	__attribute__((warn_unused_result));
/* Loads the {id} account of an admin route into u: VALIDATION_NOT_FOUND,
 * or AUTH_FORBIDDEN when the caller may not manage its role. */
enum px_err px_auth_admin_target(struct px_ctx *ctx, struct px_m_user *u)
	__attribute__((warn_unused_result));

#endif
