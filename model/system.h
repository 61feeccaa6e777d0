/* model/system.h: database checks for the health endpoint. */
#ifndef PX_M_SYSTEM_H
#define PX_M_SYSTEM_H

#include "core/db.h"

/* Round trip to the database; *schema gets the highest applied migration
 * version (0 when none). Returns PX_OK or SYSTEM_DB_UNAVAILABLE. */
enum px_err px_m_system_ping(struct px_db *db, int *schema);

#endif
