/* model/system.c: SQL for the system endpoints. */
#include "model/system.h"

#include <stdlib.h>
#include <string.h>

enum px_err px_m_system_ping(struct px_db *db, int *schema)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "system_ping",
				"SELECT coalesce(max(version), 0) FROM schema_migrations",
				0, NULL, &r);
	if (e != PX_OK)
		return e == PX_E_SYSTEM_INTERNAL ? PX_E_SYSTEM_DB_UNAVAILABLE : e;
	*schema = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_system_backup(struct px_db *db, char **json)
{
	PGresult *r = NULL;
	enum px_err e;

	*json = NULL;
	e = px_db_exec_prepared(db, "system_backup",
		"SELECT json_build_object('ok', b.ok, 'finished_at', b.finished_at,"
		" 'last_success_at', (SELECT max(finished_at) FROM backup_status"
		"  WHERE ok AND command = 'backup'),"
		" 'bytes_total', b.bytes_total, 'bytes_uploaded', b.bytes_uploaded,"
		" 'duration_ms', b.duration_ms, 'error_code', b.error_code)::text"
		" FROM backup_status b WHERE b.command = 'backup'"
		" ORDER BY b.finished_at DESC LIMIT 1", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 1 && !(*json = strdup(PQgetvalue(r, 0, 0))))
		e = PX_E_SYSTEM_INTERNAL;
	PQclear(r);
	return e;
}

enum px_err px_m_system_wal(struct px_db *db, char **json)
{
	PGresult *r = NULL;
	enum px_err e;

	*json = NULL;
	/* the recovery point actually achieved: how old the newest archived
	 * WAL file is (pg_stat_archiver is the server's own account) */
	e = px_db_exec_prepared(db, "system_wal",
		"SELECT json_build_object('archive_mode', current_setting('archive_mode'),"
		" 'last_archived_wal', a.last_archived_wal, 'last_archived_at', a.last_archived_time,"
		" 'newest_archived_age_s', round(extract(epoch FROM now() - a.last_archived_time)),"
		" 'failed_count', a.failed_count, 'last_failed_wal', a.last_failed_wal,"
		" 'last_failed_at', a.last_failed_time)::text FROM pg_stat_archiver a", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 1 && !(*json = strdup(PQgetvalue(r, 0, 0))))
		e = PX_E_SYSTEM_INTERNAL;
	PQclear(r);
	return e;
}
