/* px_bk_manifest.h: snapshots. A snapshot is one object
 * "snapshots/<YYYYMMDDTHHMMSS.ssssssZ>-<8 hex>" holding its manifest: JSON (see
 * docs/BACKUP_SYSTEM.md) compressed and sealed as a PXMF box bound to the
 * object's name. It is written last, after every shard it lists is stored
 * and flushed, with one atomic put: a snapshot without its manifest does
 * not exist. */
#ifndef PX_BK_MANIFEST_H
#define PX_BK_MANIFEST_H

#include <json-c/json.h>
#include <time.h>

#include "core/err.h"
#include "backup/px_bk_repo.h"

#define PX_BK_SNAP_PREFIX "snapshots/"

/* A new snapshot name for time t + usec microseconds (out: at least 56
 * bytes); names sort in time order. 0 or -1. */
int px_bk_snapshot_name(time_t t, long usec, char *out, size_t outlen)
	__attribute__((warn_unused_result));
int px_bk_snapshot_name_now(char *out, size_t outlen)
	__attribute__((warn_unused_result));
/* A new snapshot name for now that sorts after every snapshot in the
 * store: the chain, "latest" and retention all go by name, so a clock
 * set back (by hand, or a VM restored) must not make a new backup look
 * older than the last one. STORAGE_CLOCK_BEHIND when it would; the
 * store's errors. */
enum px_err px_bk_snapshot_name_next(struct px_st_store *st, char *out, size_t outlen)
	__attribute__((nonnull, warn_unused_result));
/* Time (whole seconds) encoded in a snapshot name, or -1 when malformed.
 * The fraction is optional. */
time_t px_bk_snapshot_time(const char *name);

/* Seals and stores m under name. */
enum px_err px_bk_manifest_save(struct px_bk_repo *r, const char *name,
				json_object *m) __attribute__((warn_unused_result));
/* Fetches and opens a manifest; *out is a new object. Errors:
 * STORAGE_SHARD_MISSING (no such snapshot), STORAGE_SHARD_CORRUPT. */
enum px_err px_bk_manifest_load(struct px_bk_repo *r, const char *name,
				json_object **out) __attribute__((warn_unused_result));

struct px_bk_snaplist {
	char **names;     /* sorted oldest first */
	size_t n;
};
enum px_err px_bk_snapshots(struct px_st_store *st, struct px_bk_snaplist *out)
	__attribute__((warn_unused_result));
void px_bk_snaplist_free(struct px_bk_snaplist *l);
/* Resolves "latest", a full name, or a unique prefix of the part after
 * "snapshots/"; returns the full name or NULL. */
const char *px_bk_snapshot_find(const struct px_bk_snaplist *l, const char *want);

/* Calls fn(arg, id) for every shard referenced by a manifest. Returns
 * the first non-zero fn result, or 0. */
int px_bk_manifest_each_shard(json_object *m,
			      int (*fn)(void *arg, const char *hex, size_t size),
			      void *arg);

#endif
