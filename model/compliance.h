/* model/compliance.h: the compliance export: chosen channels' messages
 * as JSON lines, oldest first, with a cursor (the last id) that neither
 * repeats nor skips a message while others are being posted. */
#ifndef PX_M_COMPLIANCE_H
#define PX_M_COMPLIANCE_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

struct px_m_compliance_q {
	const char *channels;     /* ids, one per line (at least one) */
	const char *since, *until; /* created_at bounds, [since, until); NULL: open */
	long long after;          /* the cursor: messages with larger ids */
	int limit;
};

/* Appends up to limit messages as JSON lines to out: {id, channel_id,
 * channel, author_id, author, thread_root_id, body, created_at, edited_at,
 * deleted}. Ids are drawn before commit, so a page stops below any id a
 * post still in progress may commit: it reads the sequence, then waits
 * for each channel's posts in progress (they hold the channel's post lock,
 * sql/076, from before their id is drawn until they end). *next is the
 * cursor for the next page (the last id returned, or past the ids already
 * settled when the page is not full); *more 1 when the page is full.
 * VALIDATION_FIELD_FORMAT when since or until is not a timestamp. */
enum px_err px_m_compliance_export(struct px_db *db, const struct px_m_compliance_q *q,
				   struct px_buf *out, long long *next, int *more)
	__attribute__((nonnull, warn_unused_result));

#endif
