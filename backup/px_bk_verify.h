/* px_bk_verify.h: checks a snapshot. Every shard it references must be
 * listed in the store (one LIST); then every shard (or a random sample of
 * n) is fetched, authenticated, decompressed and checked against its id,
 * like restic check --read-data. Each problem is logged naming the shard. */
#ifndef PX_BK_VERIFY_H
#define PX_BK_VERIFY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_repo.h"

struct px_bk_verify_result {
	size_t shards, read, missing, corrupt;
	uint64_t bytes;
};

/* sample 0 reads every shard. Returns PX_OK, STORAGE_SHARD_MISSING (some
 * shard not listed), STORAGE_SHARD_CORRUPT (some shard failed), or a
 * STORAGE_* error of the store; err names the first bad shard. */
enum px_err px_bk_verify(struct px_bk_repo *r, json_object *m, size_t sample,
			 struct px_bk_verify_result *res,
			 void (*on_progress)(void *, uint64_t), void *arg,
			 struct px_buf *err) __attribute__((warn_unused_result));

#endif
