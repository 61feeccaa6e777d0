/* model/system.c: SQL for the system endpoints. */
#include "system.h"

#include <stdlib.h>

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
