/* px_bk_prune.h: retention. Selection is a pure function of the snapshot
 * names (their timestamps): keep the newest `last`; then, newest first,
 * the newest snapshot of each of the newest `daily` days, `weekly` ISO
 * weeks and `monthly` months (all in UTC). Pruning then deletes the other
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
	int last, daily, weekly, monthly;
};

struct px_bk_prune_stats {
	size_t kept, removed, shards_deleted, shards_kept;
	uint64_t bytes_deleted;
};

/* Sets keep[i] to 1 for the snapshots l->names[i] (sorted oldest first)
 * the policy keeps. A policy of all zeros keeps nothing; callers refuse it. */
void px_bk_prune_select(const struct px_bk_snaplist *l,
			const struct px_bk_policy *p, int *keep);

/* Applies the policy. dry_run only reports. Errors: STORAGE_*, and
 * STORAGE_SHARD_CORRUPT when a kept manifest cannot be read (nothing is
 * deleted then). */
enum px_err px_bk_prune(struct px_bk_repo *r, const struct px_bk_policy *p,
			int dry_run, struct px_bk_prune_stats *st,
			struct px_buf *err) __attribute__((warn_unused_result));

#endif
