/* px_bk_lock.h: locking, at two levels. A local lock (flock on a file in
 * the repository's cache folder) stops two runs on one host; a lock object
 * "locks/<host>-<pid>-<rand>" in the store, holding host, pid, operation,
 * exclusivity and an expiry time, stops runs on different hosts. Backup
 * and prune take exclusive locks; verify and restore shared ones. A lock
 * object is stale when it has expired, or when it names this host and a
 * process that no longer exists; stale locks are removed (and logged).
 * A held lock is refreshed before it expires by px_bk_lock_refresh. */
#ifndef PX_BK_LOCK_H
#define PX_BK_LOCK_H

#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_repo.h"

struct px_bk_lock;

/* Takes the locks. ttl: seconds until the store lock expires unless
 * refreshed. Errors: STORAGE_LOCKED (holder described in err), STORAGE_*. */
enum px_err px_bk_lock_take(struct px_bk_repo *r, const char *op, int exclusive,
			    int ttl, struct px_bk_lock **out, struct px_buf *err)
	__attribute__((warn_unused_result));
/* Rewrites the lock object with a new expiry when a third of the ttl has
 * passed; cheap to call often. */
enum px_err px_bk_lock_refresh(struct px_bk_lock *l)
	__attribute__((warn_unused_result));
/* Removes the lock object and releases the local lock; frees l. */
void px_bk_lock_release(struct px_bk_lock *l);

/* Lists lock objects as JSON lines into out, marking stale ones; with
 * remove_stale, deletes those. *stale gets their count. */
enum px_err px_bk_lock_list(struct px_bk_repo *r, int remove_stale,
			    struct px_buf *out, int *stale)
	__attribute__((warn_unused_result));

#endif
