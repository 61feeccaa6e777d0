/* model/ops.h: SQL for the operator's view of the system (plexichat-admin
 * stats and doctor): counts, sizes, the database clock, backup age. */
#ifndef PX_M_OPS_H
#define PX_M_OPS_H

#include "core/db.h"

struct px_m_ops_stats {
	long long users_active, users_deactivated;
	long long ch_public, ch_private, ch_dm, ch_group, ch_archived;
	long long messages_total, messages_24h; /* not deleted */
	long long db_bytes;                     /* pg_database_size of this database */
};

/* Fills *s in one statement. Errors: SYSTEM_DB_UNAVAILABLE, SYSTEM_INTERNAL. */
enum px_err px_m_ops_stats(struct px_db *db, struct px_m_ops_stats *s)
	__attribute__((nonnull(1), warn_unused_result));
/* The database's clock_timestamp() as seconds since the epoch. */
enum px_err px_m_ops_clock(struct px_db *db, double *epoch)
	__attribute__((nonnull(1), warn_unused_result));

/* Backup runs as the doctor judges them. Ages are in seconds, -1 when
 * there is no such run. last_error is the newest run's error_code ("" when
 * it succeeded). */
struct px_m_ops_backup {
	double since_success, since_last;
	int last_ok;
	char last_error[64];
};
enum px_err px_m_ops_backup(struct px_db *db, struct px_m_ops_backup *b)
	__attribute__((nonnull(1), warn_unused_result));

#endif
