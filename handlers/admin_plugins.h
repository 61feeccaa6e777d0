/* admin_plugins.h: /api/v1/admin/plugins: the installed plugins with their
 * status and settings, settings changed within the types their manifests
 * declare, and plugins turned off and on again (installing, granting and
 * choosing channels stay with `plexichat-admin plugin`). Admins only. */
#ifndef PX_H_ADMIN_PLUGINS_H
#define PX_H_ADMIN_PLUGINS_H

#include "core/ctx.h"

/* GET /api/v1/admin/plugins: {"plugins":[{name, version, enabled,
 * granted, all_channels, channels, status, status_detail, signed_by,
 * versions, settings, manifest}]} */
enum px_err px_h_admin_plugins_list(struct px_ctx *ctx);
/* PATCH /api/v1/admin/plugins/{name}/settings: {"key": "value" or null,
 * ...}; every key must be declared and every value fit its type, or
 * nothing changes (VALIDATION_FIELD_FORMAT with details field). */
enum px_err px_h_admin_plugin_settings(struct px_ctx *ctx);
/* PUT /api/v1/admin/plugins/{name}/enabled: {"enabled": bool}. */
enum px_err px_h_admin_plugin_enabled(struct px_ctx *ctx);

#endif
