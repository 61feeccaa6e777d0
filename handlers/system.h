/* system.h: /api/v1/system (health, version, metrics) and the site's
 * /.well-known/security.txt. */
#ifndef PX_H_SYSTEM_H
#define PX_H_SYSTEM_H

#include "core/ctx.h"

enum px_err px_h_system_health(struct px_ctx *ctx);
/* GET /api/v1/system/ready, for load balancers: 200 {"status":"ready",
 * "node","address","version","schema_version"} while this process can
 * serve; 503 SYSTEM_DRAINING while the node drains (core/node.h),
 * SYSTEM_SHUTTING_DOWN while it stops, SYSTEM_DB_UNAVAILABLE without the
 * database. */
enum px_err px_h_system_ready(struct px_ctx *ctx);
enum px_err px_h_system_version(struct px_ctx *ctx);
enum px_err px_h_system_metrics(struct px_ctx *ctx);
/* GET /.well-known/security.txt (RFC 9116) as text/plain, from the
 * security_* keys and public_url: a Contact line per comma-separated
 * security_contact entry (a bare address gets "mailto:"), Expires
 * security_txt_days after today's midnight (UTC), Preferred-Languages,
 * Policy when security_policy is set, and Canonical. VALIDATION_NOT_FOUND
 * while security_contact is empty: the RFC requires a contact, and no file
 * is better than one naming an address nobody reads. */
enum px_err px_h_system_security_txt(struct px_ctx *ctx);

#endif
