/* model/plugin_data.h: a plugin's own data (sql/164_plugin_data.sql): its
 * schema and confined role, the migrations applied in it with their down
 * scripts, and what the plugin needs to log in. Migrations run as the
 * plugin's role, never as PlexiChat's (docs/PLUGIN_DEVELOPMENT.md "Data"). */
#ifndef PX_M_PLUGIN_DATA_H
#define PX_M_PLUGIN_DATA_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* One migration of the version being installed, read from its package:
 * the up script, its SHA-256 (hex) and the down script (NULL: none). */
struct px_m_plugin_mig {
	const char *up, *up_sha256, *down;
};

/* Inside the caller's transaction: brings name's data to the n migrations
 * of version (migs[0] is number 1). Applied ones above n are undone with
 * their stored down scripts, newest first; missing ones are applied in
 * order and recorded. Refused, with the reason appended to why and
 * VALIDATION_CONFLICT, when an applied migration differs from the
 * version's, when one to undo has no down script, or when a script fails
 * (the database's message is in why). Makes the schema and role on first
 * use (needs CREATEROLE). n == 0 with nothing applied touches nothing. */
enum px_err px_m_plugin_data_migrate(struct px_db *db, const char *name, const char *version,
				     const struct px_m_plugin_mig *migs, int n, struct px_buf *why)
	__attribute__((nonnull(1, 2, 3, 6), warn_unused_result));

/* Inside the caller's transaction: drops name's schema, role and record
 * of migrations; *had is 1 when there was data. */
enum px_err px_m_plugin_data_purge(struct px_db *db, const char *name, int *had)
	__attribute__((nonnull, warn_unused_result));

/* The role, password and schema name's data lives in, appended to role,
 * password and schema; VALIDATION_NOT_FOUND when it has none. */
enum px_err px_m_plugin_data_login(struct px_db *db, const char *name, struct px_buf *role,
				   struct px_buf *password, struct px_buf *schema)
	__attribute__((nonnull, warn_unused_result));

#endif
