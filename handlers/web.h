/* web.h: the page handlers of the browser UI, as named by the route rows
 * in fcgi/routes_web.inc. Pages render templates/; forms post, redirect
 * and get (POST, 303, GET). Policy (who may call what) is in the route
 * rows; handlers reuse the API handlers and model functions. */
#ifndef PX_H_WEB_H
#define PX_H_WEB_H

#include "core/ctx.h"

/* web.c: signing in and out, registration, invites, the service worker. */
enum px_err px_h_web_login_page(struct px_ctx *ctx);
enum px_err px_h_web_login(struct px_ctx *ctx);
enum px_err px_h_web_login_mfa(struct px_ctx *ctx);
enum px_err px_h_web_logout(struct px_ctx *ctx);
enum px_err px_h_web_register_page(struct px_ctx *ctx);
enum px_err px_h_web_register(struct px_ctx *ctx);
/* GET /reset-password?token=: the new-password form, or why the token is
 * refused (expired, used, unknown: 410). POST: sets the password through
 * px_h_auth_password_reset, then /login?done=password_reset. */
enum px_err px_h_web_reset_page(struct px_ctx *ctx);
enum px_err px_h_web_reset(struct px_ctx *ctx);
/* GET /forgot-password: asks for a username or e-mail address; POST runs
 * px_h_auth_password_forgot and answers the same whether or not the
 * account exists. */
enum px_err px_h_web_forgot_page(struct px_ctx *ctx);
enum px_err px_h_web_forgot(struct px_ctx *ctx);
/* GET /sw.js: the service worker, served from the site root so that its
 * scope is the whole site; revalidated on every load. */
enum px_err px_h_web_sw(struct px_ctx *ctx);

/* web_chat.c: the main view, channels, threads and the composer. */
enum px_err px_h_web_home(struct px_ctx *ctx);
enum px_err px_h_web_channel(struct px_ctx *ctx);
enum px_err px_h_web_thread(struct px_ctx *ctx);
enum px_err px_h_web_post(struct px_ctx *ctx);
enum px_err px_h_web_join(struct px_ctx *ctx);
enum px_err px_h_web_new_channel_page(struct px_ctx *ctx);
enum px_err px_h_web_new_channel(struct px_ctx *ctx);
enum px_err px_h_web_new_dm(struct px_ctx *ctx);

/* web_files.c: a channel's files page (/c/{channel}/files). */
enum px_err px_h_web_channel_files(struct px_ctx *ctx);

/* web_msg.c: one message: its fragment, edit, delete, react, pin. */
enum px_err px_h_web_message(struct px_ctx *ctx);
enum px_err px_h_web_edit_page(struct px_ctx *ctx);
enum px_err px_h_web_edit(struct px_ctx *ctx);
enum px_err px_h_web_delete(struct px_ctx *ctx);
enum px_err px_h_web_react(struct px_ctx *ctx);
enum px_err px_h_web_pin(struct px_ctx *ctx);
/* The author's "Remove preview" button (handlers/unfurl.c's API). */
enum px_err px_h_web_preview_remove(struct px_ctx *ctx);

/* web_search.c: search and notifications. */
enum px_err px_h_web_search(struct px_ctx *ctx);
enum px_err px_h_web_notifications(struct px_ctx *ctx);
enum px_err px_h_web_notifications_read(struct px_ctx *ctx);

/* web_settings.c: the signed-in user's settings. */
enum px_err px_h_web_settings(struct px_ctx *ctx);
enum px_err px_h_web_profile(struct px_ctx *ctx);
enum px_err px_h_web_password(struct px_ctx *ctx);
enum px_err px_h_web_language(struct px_ctx *ctx);
/* POST /settings/theme: stores the theme (light, dark, contrast; anything
 * else: follow the system) and sets the px_theme cookie. */
enum px_err px_h_web_theme(struct px_ctx *ctx);
/* GET /help/keys: the keyboard shortcuts of the chat view. */
enum px_err px_h_web_keys(struct px_ctx *ctx);
enum px_err px_h_web_security(struct px_ctx *ctx);
enum px_err px_h_web_mfa_enrol(struct px_ctx *ctx);
enum px_err px_h_web_mfa_confirm(struct px_ctx *ctx);
enum px_err px_h_web_mfa_disable(struct px_ctx *ctx);
enum px_err px_h_web_session_revoke(struct px_ctx *ctx);
enum px_err px_h_web_device_revoke(struct px_ctx *ctx);

/* web_passkey.c: passkeys on the security page, the passkey choice of the
 * second-factor page, and /login/verify (the step after an identity
 * provider when mfa_required covers the account). */
enum px_err px_h_web_passkey_rename(struct px_ctx *ctx);
enum px_err px_h_web_passkey_delete(struct px_ctx *ctx);
enum px_err px_h_web_login_verify_page(struct px_ctx *ctx);
enum px_err px_h_web_login_verify(struct px_ctx *ctx);
struct json_object;
/* Adds "passkeys" (id, name, algorithm, created, used) to page data d. */
void px_web_passkeys(struct px_ctx *ctx, struct json_object *d);
/* Adds "passkey_options" (JSON text of request options) to d when the
 * last API call's error details carried them. */
void px_web_passkey_step(struct px_ctx *ctx, struct json_object *d);

/* web_admin.c: administration pages. */
enum px_err px_h_web_admin(struct px_ctx *ctx);
enum px_err px_h_web_admin_users(struct px_ctx *ctx);
enum px_err px_h_web_admin_user(struct px_ctx *ctx);
enum px_err px_h_web_admin_invites(struct px_ctx *ctx);
enum px_err px_h_web_admin_invite(struct px_ctx *ctx);
enum px_err px_h_web_admin_audit(struct px_ctx *ctx);
enum px_err px_h_web_admin_waf(struct px_ctx *ctx);
enum px_err px_h_web_admin_system(struct px_ctx *ctx);
enum px_err px_h_web_admin_ip(struct px_ctx *ctx);
/* /admin/plugins: each installed plugin's status, an off/on switch, and a
 * settings form built from the settings its manifest declares. */
enum px_err px_h_web_admin_plugins(struct px_ctx *ctx);
enum px_err px_h_web_admin_plugin_settings(struct px_ctx *ctx);
/* POST /admin/plugins/install (multipart: package, signature), POST
 * /admin/plugins/{name}/version (version), POST /admin/plugins/{name}/remove
 * (data=keep|purge): handlers/plugin_manage.c, as plexichat-admin plugin. */
enum px_err px_h_web_admin_plugin_install(struct px_ctx *ctx);
/* POST /admin/plugins/catalog (spec=NAME[@RANGE]): from the catalogues. */
enum px_err px_h_web_admin_plugin_catalog(struct px_ctx *ctx);
enum px_err px_h_web_admin_plugin_version(struct px_ctx *ctx);
enum px_err px_h_web_admin_plugin_remove(struct px_ctx *ctx);
enum px_err px_h_web_admin_plugin_enabled(struct px_ctx *ctx);
/* web_ai.c: /admin/ai, the moderation review queue (static/js/ai.js). */
enum px_err px_h_web_admin_ai(struct px_ctx *ctx);
enum px_err px_h_web_ai_answer(struct px_ctx *ctx);
enum px_err px_h_web_admin_ip_add(struct px_ctx *ctx);
enum px_err px_h_web_admin_ip_delete(struct px_ctx *ctx);
enum px_err px_h_web_admin_block_lift(struct px_ctx *ctx);

#endif
