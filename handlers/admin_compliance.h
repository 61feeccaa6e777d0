/* admin_compliance.h: GET /api/v1/admin/compliance/export: chosen
 * channels' messages as JSON lines for compliance archives (admins with
 * admin.compliance.export; every call audited). */
#ifndef PX_H_ADMIN_COMPLIANCE_H
#define PX_H_ADMIN_COMPLIANCE_H

#include "core/ctx.h"

/* ?channels=1,2 (1-100 ids) &since= &until= (timestamps, [since, until))
 * &after= (cursor) &limit= (1-10000, default 1000): oldest first, headers
 * X-Next-After and X-More. */
enum px_err px_h_admin_compliance_export(struct px_ctx *ctx);

#endif
