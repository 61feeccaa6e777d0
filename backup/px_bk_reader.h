/* px_bk_reader.h: reads a known sequence of shards in order while keeping
 * up to `window` fetches in flight (the S3 back-end runs them in
 * parallel), so restore and verify are not bound by one round trip per
 * shard. Every shard is authenticated and checked against its id. */
#ifndef PX_BK_READER_H
#define PX_BK_READER_H

#include <stddef.h>

#include "core/err.h"
#include "backup/px_bk_repo.h"

struct px_bk_reader;

/* ids: n shard ids in the order they will be consumed (copied). NULL on
 * ENOMEM. The store belongs to the reader until it is freed. */
struct px_bk_reader *px_bk_reader_new(struct px_bk_repo *r,
				      const unsigned char (*ids)[32], size_t n,
				      size_t window);
/* Returns the next shard's plaintext in out; want (may be NULL) must be
 * the id expected next (asserted by an error, not a crash). Errors as
 * px_bk_repo_read_shard, plus SYSTEM_INTERNAL when the sequence is
 * exhausted or out of step. */
enum px_err px_bk_reader_next(struct px_bk_reader *rd, const unsigned char *want,
			      struct px_buf *out) __attribute__((warn_unused_result));
void px_bk_reader_free(struct px_bk_reader *rd);

#endif
