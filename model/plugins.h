/* model/plugins.h: the SQL of installed plugins (sql/160_plugins.sql):
 * trusted signing keys, every installed version with its manifest and
 * folder, which version is current, whether it is enabled, with which
 * granted permissions and in which channels. */
#ifndef PX_M_PLUGINS_H
#define PX_M_PLUGINS_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"
#include "model/plugin_data.h"

/* Adds a trusted key (base64 of 32 bytes). VALIDATION_CONFLICT when the
 * name or the key is there already. */
enum px_err px_m_plugin_key_add(struct px_db *db, const char *name, const char *pub)
	__attribute__((nonnull, warn_unused_result));
/* Removes a key; VALIDATION_NOT_FOUND when there was none. Plugins it
 * signed stay installed (their rows keep the name). */
enum px_err px_m_plugin_key_remove(struct px_db *db, const char *name)
	__attribute__((nonnull, warn_unused_result));
/* Calls fn for each trusted key, by name; fn's non-zero stops. */
enum px_err px_m_plugin_keys_each(struct px_db *db,
				  int (*fn)(void *arg, const char *name, const char *pub),
				  void *arg) __attribute__((nonnull(1, 2), warn_unused_result));

/* One installed plugin at its current version. */
struct px_m_plugin {
	const char *name, *version, *manifest, *dir, *sha256, *entry_sha256, *signed_by;
	const char *status, *status_detail;
	int enabled, all_channels;
	const char *granted;    /* PostgreSQL array text, e.g. {network} */
};

/* Calls fn for each installed plugin (current versions, by name); the
 * strings live until fn returns. fn's non-zero stops. */
enum px_err px_m_plugins_each(struct px_db *db, int (*fn)(void *arg, const struct px_m_plugin *p),
			      void *arg) __attribute__((nonnull(1, 2), warn_unused_result));

/* The folder and manifest of a version installed before (for a
 * downgrade or a reinstall), appended to dir and manifest.
 * VALIDATION_NOT_FOUND when that version was never installed. */
enum px_err px_m_plugin_version_get(struct px_db *db, const char *name, const char *version,
				    struct px_buf *dir, struct px_buf *manifest, struct px_buf *sha256,
				    struct px_buf *entry_sha256)
	__attribute__((nonnull, warn_unused_result));

/* Records version of name (its manifest JSON, folder, package hash, the
 * unpacked entry point's hash and signer) and makes it the current one,
 * its data brought to the version's nmigs migrations
 * (px_m_plugin_data_migrate), in one transaction. A plugin that was
 * enabled stays so, with the granted permissions the new manifest still
 * asks for. VALIDATION_CONFLICT when that version was installed before
 * from a different package (why stays empty) or when its migrations are
 * refused or fail (the reason in why). */
enum px_err px_m_plugin_install(struct px_db *db, const char *name, const char *version,
				const char *manifest, const char *dir, const char *sha256,
				const char *entry_sha256, const char *signed_by,
				const struct px_m_plugin_mig *migs, int nmigs, struct px_buf *why)
	__attribute__((nonnull(1, 2, 3, 4, 5, 6, 7, 8, 11), warn_unused_result));

/* Enables (with granted: a PostgreSQL text array of permissions, and
 * all_channels or the channel ids in channels, a PostgreSQL bigint array
 * text) or disables name. VALIDATION_NOT_FOUND when not installed. */
enum px_err px_m_plugin_enable(struct px_db *db, const char *name, int on, const char *granted,
			       int all_channels, const char *channels)
	__attribute__((nonnull(1, 2), warn_unused_result));

/* Sets a plugin's status ("ok", "disabled: crashed", ...) as the runtime
 * saw it. */
enum px_err px_m_plugin_status(struct px_db *db, const char *name, const char *status,
			       const char *detail) __attribute__((nonnull, warn_unused_result));

/* Removes name and every version of it, and with purge its data (schema,
 * role, migrations; *had_data is then 1 when there was some); each
 * version's folder is appended to dirs, one per line, for the caller to
 * delete. VALIDATION_NOT_FOUND when not installed. */
enum px_err px_m_plugin_remove(struct px_db *db, const char *name, int purge, int *had_data,
			       struct px_buf *dirs)
	__attribute__((nonnull, warn_unused_result));

/* Sets (value non-NULL) or clears a setting of name. VALIDATION_NOT_FOUND
 * when the plugin is not installed. */
enum px_err px_m_plugin_setting_set(struct px_db *db, const char *name, const char *key,
				    const char *value) __attribute__((nonnull(1, 2, 3), warn_unused_result));

/* name's settings as one JSON object of strings appended to out. */
enum px_err px_m_plugin_settings_json(struct px_db *db, const char *name, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* What the runtime compares to know the enabled set changed: a digest
 * of names, versions, enabled flags, grants, channels and settings,
 * into out. */
enum px_err px_m_plugins_stamp(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* The channels name is enabled in, as ids appended to out (one per
 * line). */
enum px_err px_m_plugin_channels(struct px_db *db, const char *name, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* {"plugins":[{name, version, enabled, granted, all_channels, channels,
 * status, status_detail, versions:[...], manifest}]} appended to out. */
enum px_err px_m_plugins_json(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Claims up to max due event deliveries (sql/161_plugin_events.sql) for
 * lease_s seconds, only the oldest of each plugin: a plugin's events are
 * handed over one at a time, in order, over every process and node (a
 * claimed or retried one holds back those after it). Rows: rows of id, plugin, body, attempts, channel id, the
 * channel's kind. */
enum px_err px_m_plugin_events_claim(struct px_db *db, int max, int lease_s, PGresult **r)
	__attribute__((nonnull, warn_unused_result));
/* Deletes delivery id (retry_ms < 0) or makes it due again in retry_ms. */
enum px_err px_m_plugin_events_done(struct px_db *db, long long id, long retry_ms)
	__attribute__((nonnull, warn_unused_result));
/* The account plugin name posts as, made on first use; VALIDATION_NOT_FOUND
 * when no such plugin is installed. */
enum px_err px_m_plugin_bot(struct px_db *db, const char *name, long long *bot)
	__attribute__((nonnull, warn_unused_result));

/* The manifest JSON of name's current version; VALIDATION_NOT_FOUND when
 * not installed. */
enum px_err px_m_plugin_manifest(struct px_db *db, const char *name, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* Turns name on or off keeping its grants and channels (turning it on
 * clears a runtime "disabled" status); VALIDATION_NOT_FOUND when not
 * installed or, to turn on, never enabled with grants before. */
enum px_err px_m_plugin_set_enabled(struct px_db *db, const char *name, int on)
	__attribute__((nonnull, warn_unused_result));

/* The enabled plugins with a "schedule" hook whose period is up, as rows
 * of name, all_channels ("t"/"f") and the JSON array of its channel ids; their next time is set in the same statement, so each
 * is claimed by one caller only. A plugin enabled since the last call is
 * due at the next one. */
enum px_err px_m_plugin_schedules_claim(struct px_db *db, PGresult **r)
	__attribute__((nonnull, warn_unused_result));

/* The kind of channel when plugin name is enabled in it and it is a
 * public or private channel, not archived; else VALIDATION_NOT_FOUND. */
enum px_err px_m_plugin_channel_kind(struct px_db *db, const char *name, long long channel,
				     char kind[16]) __attribute__((nonnull, warn_unused_result));

#endif
