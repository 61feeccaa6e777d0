/* model/system.h: database checks for the health endpoint. */
#ifndef PX_M_SYSTEM_H
#define PX_M_SYSTEM_H

#include "core/db.h"

/* Round trip to the database; *schema gets the highest applied migration
 * version (0 when none). Returns PX_OK or SYSTEM_DB_UNAVAILABLE. */
enum px_err px_m_system_ping(struct px_db *db, int *schema)
	__attribute__((nonnull(1)));

/* The newest backup run as a JSON object text in *json (malloc'ed: the
 * caller frees it with free()), or NULL when no backup ran yet:
 * {"ok","finished_at","last_success_at","bytes_total","bytes_uploaded",
 * "duration_ms","error_code"}. */
enum px_err px_m_system_backup(struct px_db *db, char **json)
	__attribute__((nonnull(1), warn_unused_result));

/* WAL archiving as pg_stat_archiver reports it, as a JSON object text
 * (*json, caller frees): archive_mode, last_archived_wal and _at,
 * newest_archived_age_s (the achieved recovery point objective),
 * failed_count, last_failed_wal and _at. */
enum px_err px_m_system_wal(struct px_db *db, char **json)
	__attribute__((warn_unused_result));

#endif
