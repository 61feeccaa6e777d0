/* model/config_versions.h: SQL for the configuration versions table
 * (sql/100_config_versions.sql) that plexichat-admin config keeps. */
#ifndef PX_M_CONFIG_VERSIONS_H
#define PX_M_CONFIG_VERSIONS_H

#include "core/db.h"

/* One version. content is malloc'd (NULL in listings); free it with
 * px_m_config_version_clear. */
struct px_m_config_version {
	long long id;
	char at[40];
	char who[128];
	char action[64];
	char path[1024];
	char sha256[65];
	char *content;
	long long bytes;
};

/* Records content as a new version unless the newest version already has
 * sha256 (and force is 0). *id gets the new id, or 0 when nothing was
 * recorded. Errors: SYSTEM_DB_UNAVAILABLE, SYSTEM_INTERNAL (for example
 * the table does not exist: migrations pending). */
enum px_err px_m_config_versions_add(struct px_db *db, const char *who,
				     const char *action, const char *path,
				     const char *content, const char *sha256,
				     int force, long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* Loads version id (0: the newest) with its content into *v.
 * VALIDATION_NOT_FOUND when there is none. */
enum px_err px_m_config_versions_get(struct px_db *db, long long id,
				     struct px_m_config_version *v)
	__attribute__((nonnull(1), warn_unused_result));
/* Calls fn for every version, oldest first, content NULL. */
enum px_err px_m_config_versions_list(struct px_db *db,
				      void (*fn)(const struct px_m_config_version *v, void *arg),
				      void *arg)
	__attribute__((nonnull(1), warn_unused_result));
void px_m_config_version_clear(struct px_m_config_version *v);

#endif
