/* people.h: finding people and channels, and each account's own choices
 * (status line, time zone, per-channel notification level), with the site
 * setting of the channel new accounts join: the API handlers, the web
 * pages (handlers/web_people.c) and the hook registration calls. */
#ifndef PX_H_PEOPLE_H
#define PX_H_PEOPLE_H

#include "core/ctx.h"

/* PUT /api/v1/users/me/status {"status_text","time_zone"}: both optional,
 * "" clears; 200 with both. A zone PostgreSQL does not know is
 * VALIDATION_FIELD_FORMAT (details.field "time_zone"). */
enum px_err px_h_people_status(struct px_ctx *ctx);
/* PUT /api/v1/channels/{id}/notify {"level": "all"|"mentions"|"none"}:
 * 200 {"channel_id","notify"}; members only (VALIDATION_NOT_FOUND). */
enum px_err px_h_people_notify(struct px_ctx *ctx);
/* GET /api/v1/admin/settings: {"default_channel": name or ""}. */
enum px_err px_h_people_settings_get(struct px_ctx *ctx);
/* PUT /api/v1/admin/settings {"default_channel": name or ""}: 200 with the
 * settings; a name that is not a public, open channel is
 * VALIDATION_NOT_FOUND (details.field "default_channel"). Audited. */
enum px_err px_h_people_settings_put(struct px_ctx *ctx);

/* Makes the new account user a member of the default channel, if one is
 * set. Failures are logged, never the registration's. */
void px_people_join_default(struct px_ctx *ctx, long long user);

/* Web pages (handlers/web_people.c). */
enum px_err px_h_web_channels_browser(struct px_ctx *ctx); /* GET /channels */
enum px_err px_h_web_leave(struct px_ctx *ctx);            /* POST /c/{channel}/leave */
enum px_err px_h_web_notify(struct px_ctx *ctx);           /* POST /c/{channel}/notify */
enum px_err px_h_web_people(struct px_ctx *ctx);           /* GET /people */
enum px_err px_h_web_profile_page(struct px_ctx *ctx);     /* GET /u/{user} */
enum px_err px_h_web_status(struct px_ctx *ctx);           /* POST /settings/status */
enum px_err px_h_web_admin_settings(struct px_ctx *ctx);   /* GET /admin/settings */
enum px_err px_h_web_admin_settings_save(struct px_ctx *ctx); /* POST /admin/settings */
/* The reaction picker without JavaScript (handlers/web_emoji.c). */
enum px_err px_h_web_react_page(struct px_ctx *ctx);      /* GET /c/{channel}/m/{mid}/react */

#endif
