/* notify.h: the API and pages of notifications away from the app: the
 * account's delivery settings, Web Push subscriptions and the server's
 * VAPID key, and the one-click unsubscribe link of digest mails. */
#ifndef PX_H_NOTIFY_H
#define PX_H_NOTIFY_H

#include "core/ctx.h"

/* GET /api/v1/notifications/settings: {mail_minutes, push, mail_delays,
 * mail_available, has_email}. */
enum px_err px_h_notify_settings_get(struct px_ctx *ctx);
/* PATCH /api/v1/notifications/settings: mail_minutes (one of the delays),
 * push (boolean); answers as GET. */
enum px_err px_h_notify_settings_patch(struct px_ctx *ctx);
/* GET /api/v1/push/key: {public_key} (base64url, applicationServerKey). */
enum px_err px_h_push_key(struct px_ctx *ctx);
/* GET /api/v1/push/subscriptions: this account's devices. */
enum px_err px_h_push_subs_list(struct px_ctx *ctx);
/* POST /api/v1/push/subscriptions: a browser PushSubscription's JSON
 * ({endpoint, keys: {p256dh, auth}}); 201 {id}. The endpoint must be on
 * a push service of push_services (VALIDATION_FIELD_FORMAT, details
 * field endpoint, reason push_service_not_allowed). */
enum px_err px_h_push_subs_add(struct px_ctx *ctx);
/* DELETE /api/v1/push/subscriptions/{id}: 200 {deleted: true}. */
enum px_err px_h_push_subs_delete(struct px_ctx *ctx);

/* GET /unsubscribe?u=&t=: a page with one button (a GET never changes
 * anything: mail scanners open links). POST /unsubscribe?u=&t= (RFC 8058
 * one-click, or the page's form): turns the account's digest mails off;
 * no sign-in, the signed token is the authority. 400 page when the token
 * does not match. */
enum px_err px_h_web_unsubscribe_page(struct px_ctx *ctx);
enum px_err px_h_web_unsubscribe(struct px_ctx *ctx);
/* POST /settings/notifications: the settings page's form. */
enum px_err px_h_web_notify_settings(struct px_ctx *ctx);

#endif
