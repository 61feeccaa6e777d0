/* ai_recheck.h: asking the moderation provider again. A post whose
 * provider did not answer within ai_moderation_budget_ms, and that the
 * channel's policy posted (flag and block modes, or a post with files),
 * waits in the review queue as "unchecked" with a due time (model/ai.h),
 * and so does one that hold mode held for that reason.
 * The AI worker takes due entries and asks the provider again, this time
 * with the provider's own timeout and retries, under the same governance
 * as at posting (ai_svc.h: the channel must still allow that provider;
 * redaction, budgets and an audit row, feature "moderation_recheck").
 * The verdict is applied as the channel's policy says now: flag: the
 * entry keeps waiting for review with the provider's category; block:
 * the post is taken down; hold: the post is taken down and waits as held
 * (approving it posts it again). An "OK" closes the entry. A post held
 * because the provider did not answer (hold mode) is asked about too: an
 * "OK" posts it as its author, as a moderator's approval would; a match
 * keeps it held with the provider's category (rejected in block mode).
 * A failure asks
 * again later (1, 2, 4, 8 minutes), after five tries it stays for a
 * person. While ai_enabled is off nothing is taken. */
#ifndef PX_H_AI_RECHECK_H
#define PX_H_AI_RECHECK_H

#include "core/cfg.h"
#include "core/db.h"
#include "core/err.h"

/* Handles up to cap due entries; *done gets how many were taken. */
enum px_err px_hai_recheck_batch(struct px_db *db, const struct px_cfg *cfg, int cap, int *done)
	__attribute__((nonnull, warn_unused_result));

#endif
