/* migrate.h: schema migrations from sql/NNN_name.sql.
 *
 * Files are applied in numeric order, each in its own transaction, under a
 * PostgreSQL advisory lock so that concurrent runs serialise; each applied
 * file is recorded in schema_migrations(version, name, applied_at). A
 * file with a line "-- contract-after: NNN" (a contract step,
 * docs/CLUSTERING.md "Rolling upgrades") is applied only while no node
 * process in the registry (cluster_nodes, a heartbeat within a minute)
 * ships a schema older than NNN. */
#ifndef PX_MIGRATE_H
#define PX_MIGRATE_H

#include "core/buf.h"
#include "core/db.h"

/* Applies pending migrations. *applied (may be NULL) gets their count.
 * On failure returns -1 with the file name and server message in err. */
int px_migrate_apply(struct px_db *db, const char *sql_dir, int *applied,
		     struct px_buf *err)
	__attribute__((nonnull(1, 2, 4), warn_unused_result));
/* Counts migrations in sql_dir not yet applied (0 = schema current), not
 * counting contract steps (a node starts before they are applied: their
 * count goes to *contracts when it is not NULL), or -1 with a reason in
 * err (database unreachable, unreadable folder). */
int px_migrate_pending(struct px_db *db, const char *sql_dir, int *contracts,
		       struct px_buf *err) __attribute__((nonnull(1, 2, 4), warn_unused_result));

#endif
