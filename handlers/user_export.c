/* user_export.c: a person's own data export. The route admits sessions
 * only (action auth.account: a leaked token cannot take everything at
 * once) at the export rate class; each export is audited. */
#include "handlers/user_export.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/http.h"
#include "model/user_export.h"

#include <stdio.h>

enum px_err px_h_users_export_me(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	char disp[96], size[48];
	enum px_err e = px_m_user_export(ctx->db, ctx->who.user_id, &out);

	if (e == PX_OK) {
		snprintf(size, sizeof(size), "{\"bytes\":%zu}", out.len);
		px_auth_audit_user(ctx, "user.export", ctx->who.user_id, ctx->who.user_id, size);
		snprintf(disp, sizeof(disp),
			 "attachment; filename=\"plexichat-export-user-%lld.json\"",
			 ctx->who.user_id);
		e = px_hm_reply(ctx, 200, &out);
		px_response_header(ctx->resp, "Content-Disposition", disp);
	}
	px_buf_free(&out);
	return e;
}
