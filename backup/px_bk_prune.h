/* px_bk_prune.h: retention. Selection is a pure function of the snapshot
 * names (their timestamps): keep the newest `last`; then, newest first,
 * the newest snapshot of each of the newest `hourly` hours, `daily` days,
 * `weekly` ISO weeks, `monthly` months and `yearly` years (all in UTC).
 * Logical snapshots and base backups are selected apart, each by the
 * whole policy; a kept incremental base backup keeps its parents, and the
 * WAL archive keeps exactly the files from the oldest kept base backup's
 * start WAL file on (timeline history files always). Pruning then deletes the other
 * snapshots' manifests, and only then every shard that no kept manifest
 * references. It must run under an exclusive lock (px_bk_lock), so it
 * never races a backup whose shards are not referenced yet. */
#ifndef PX_BK_PRUNE_H
#define PX_BK_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_repo.h"

struct px_bk_policy {
	int last, daily, weekly, monthly, hourly, yearly;
};

struct px_bk_prune_stats {
	size_t kept, removed, shards_deleted, shards_kept, wal_deleted;
	uint64_t bytes_deleted;
};

/* Sets keep[i] to 1 for the snapshots l->names[i] (sorted oldest first)
 * the policy keeps. A policy of all zeros keeps nothing; callers refuse it. */
void px_bk_prune_select(const struct px_bk_snaplist *l,
			const struct px_bk_policy *p, int *keep);

/* 1 when WAL file name (px_bk_wal_name_ok) lies before start_wal (a
 * 24-hex segment name) and is therefore needed by no base backup that
 * starts at start_wal or later; history files are never prunable. */
int px_bk_wal_prunable(const char *name, const char *start_wal);

/* Applies the policy. dry_run only reports. Errors: STORAGE_*, and
 * STORAGE_SHARD_CORRUPT when a kept manifest cannot be read (nothing is
 * deleted then). */
enum px_err px_bk_prune(struct px_bk_repo *r, const struct px_bk_policy *p,
			int dry_run, struct px_bk_prune_stats *st,
			struct px_buf *err) __attribute__((warn_unused_result));

#endif
