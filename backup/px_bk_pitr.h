/* px_bk_pitr.h: point-in-time recovery from base backups and archived
 * WAL: choosing the base backup for a target, rebuilding its data
 * directory from the chain of increments, and writing the recovery
 * settings that make PostgreSQL replay the archive up to the target. */
#ifndef PX_BK_PITR_H
#define PX_BK_PITR_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_repo.h"

enum px_bk_target_kind { PX_BK_TO_LATEST, PX_BK_TO_TIME, PX_BK_TO_XID, PX_BK_TO_LSN };

struct px_bk_target {
	enum px_bk_target_kind kind;
	double time;          /* TO_TIME: seconds since the epoch, UTC */
	uint64_t xid, lsn;
	char text[64];        /* as PostgreSQL is told it */
};

/* Parses a target: "latest", a UTC time "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+00|+00:00]",
 * an xid (decimal) or an LSN "X/Y", according to kind. 0 or -1. */
int px_bk_target_parse(enum px_bk_target_kind kind, const char *s,
		       struct px_bk_target *out);

/* The chain of base backups to restore for the target, oldest (the full
 * backup) first: the newest base backup that ended before the target,
 * then its parents. *chain holds *n manifests (each with "name" set),
 * freed with px_bk_chain_free; only the newest is whole, the parents
 * keep their "name" and "parent" (px_bk_pitr_materialize reads each
 * again in turn, so a chain costs about two manifests). Errors: VALIDATION_NOT_FOUND (no base
 * backup ends before the target; err says which exist), STORAGE_*. */
enum px_err px_bk_chain_for(struct px_bk_repo *r, const struct px_bk_target *t,
			    json_object ***chain, size_t *n, struct px_buf *err)
	__attribute__((warn_unused_result));
void px_bk_chain_free(json_object **chain, size_t n);

/* Reads the block maps of base backup m (its "maps" stream, see
 * px_bk_base.h) into a temporary file, *out (NULL when m is an older
 * backup whose maps are in the manifest); the caller fcloses it.
 * Errors: VALIDATION_FAILED (malformed), STORAGE_* (a shard), err says. */
enum px_err px_bk_maps_fetch(struct px_bk_repo *r, json_object *m, FILE **out,
			     struct px_buf *err)
	__attribute__((warn_unused_result));
/* Rebuilds the data directory of chain[n-1] into dir, which must be
 * absent or empty: the full backup's files, then each increment's changed
 * blocks, sizes and removals in turn; synced at the end. Errors:
 * VALIDATION_CONFLICT (dir not empty), STORAGE_SHARD_* (named in err),
 * STORAGE_FAILED (cannot write), VALIDATION_FAILED (a malformed manifest). */
enum px_err px_bk_pitr_materialize(struct px_bk_repo *r, json_object **chain,
				   size_t n, const char *dir, uint64_t *bytes,
				   struct px_buf *err)
	__attribute__((warn_unused_result));

/* Writes the recovery settings into dir/postgresql.auto.conf (replacing
 * any restore_command, recovery_target* and archive_mode lines an earlier
 * restore of that cluster left there), removes that restore's log and
 * report, and creates
 * dir/recovery.signal: restore_command (the given command line, which
 * ends in "archive-get"), the target, recovery_target_action = promote,
 * and archive_mode = off (a restored copy must not archive into the
 * store of the cluster it came from). */
enum px_err px_bk_pitr_configure(const char *dir, const char *restore_command,
				 const struct px_bk_target *t, struct px_buf *err)
	__attribute__((warn_unused_result));

#endif
