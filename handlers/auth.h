/* auth.h: the handlers of the accounts area (/api/v1/auth, /api/v1/users,
 * /api/v1/admin/users), as named by the route rows in fcgi/routes_auth.inc.
 * Policy (who may call what) is in those rows and core/perm.h. */
#ifndef PX_H_AUTH_H
#define PX_H_AUTH_H

#include "core/ctx.h"

/* auth_register.c */
enum px_err px_h_auth_register(struct px_ctx *ctx);
/* auth_login.c */
enum px_err px_h_auth_login(struct px_ctx *ctx);
/* auth.c */
enum px_err px_h_auth_logout(struct px_ctx *ctx);
enum px_err px_h_auth_me(struct px_ctx *ctx);
enum px_err px_h_auth_csrf(struct px_ctx *ctx);
/* auth_invite.c */
enum px_err px_h_admin_invite_create(struct px_ctx *ctx);

#endif
