/* plugin_events.h: what process plugins hear and what they may say back.
 * Events of the kinds a plugin declared ("event.message", ...), queued in
 * PostgreSQL with the event itself (sql/161_plugin_events.sql), are handed
 * to it by the webhook sender threads; slash commands a plugin declared
 * ("command:/poll") are handed to it while the caller waits. Its answer may
 * carry actions: "post" a message into the channel (permission
 * messages.post) and "edit" one it posted (messages.modify), always as the
 * plugin's own bot account. */
#ifndef PX_H_PLUGIN_EVENTS_H
#define PX_H_PLUGIN_EVENTS_H

#include "core/cfg.h"
#include "core/ctx.h"
#include "core/db.h"
#include "handlers/plugin_host.h"

/* Claims up to max due deliveries and hands them over one after another.
 * Returns how many it claimed (0: none due), or -1 when the database
 * failed. */
int px_plugin_events_batch(struct px_plugin_host *h, struct px_db *db,
			   const struct px_cfg *cfg, int max) __attribute__((nonnull));

/* Calls the "schedule" hook of each plugin whose period is up (once over
 * every process and node): {"type":"schedule","all_channels":bool,
 * "channel_ids":[...]}; its actions must name a channel_id it is enabled
 * in. Returns how many were due, or -1 when the database failed. */
int px_plugin_schedules_run(struct px_plugin_host *h, struct px_db *db, const struct px_cfg *cfg)
	__attribute__((nonnull));

/* Runs "/name args" in ctx's channel (path "id") through the plugin that
 * declared the command there: the caller gets {"response_type":
 * "ephemeral", "text", "html"} with the plugin's answer, after its actions
 * ran. COMMAND_NOT_FOUND when no plugin has it here; COMMAND_FAILED when
 * the plugin failed. */
enum px_err px_plugin_command(struct px_ctx *ctx, const char *kind, const char *name,
			      const char *args) __attribute__((nonnull, warn_unused_result));

/* GET and POST /api/v1/plugins/{name}/{path}: the plugin's "route" hook,
 * behind the WAF, sign-in and rate limit like any route. It gets
 * {"type":"route","method","path","query":{...},"body":JSON or null,
 * "user_id","username"} and answers {"status":200|201,"body":{...} or
 * [...]}, sent as JSON. PLUGIN_NOT_FOUND when no enabled plugin of that
 * name has the hook; PLUGIN_BAD_ANSWER when it fails or answers otherwise. */
enum px_err px_plugin_route(struct px_ctx *ctx);

#endif
