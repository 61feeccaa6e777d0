/* user_export.h: GET /api/v1/users/me/export, a person's own data as one
 * JSON document (GDPR-style access and portability). */
#ifndef PX_H_USER_EXPORT_H
#define PX_H_USER_EXPORT_H

#include "core/ctx.h"

/* Answers the caller's export (model/user_export.h) as an attachment,
 * never cached, and audits it (user.export). */
enum px_err px_h_users_export_me(struct px_ctx *ctx);

#endif
