/* ai_embed.h: the background embedding: takes a batch of messages off
 * ai_embed_queue, embeds them and stores the vectors, in one transaction
 * (rows another process is working on are skipped, so any number of
 * workers may run). A message is embedded by ai_embed_provider where its
 * channel's rules allow that provider (ai_svc.h px_hai_embed: redacted,
 * budgeted, audited), and by the built-in provider elsewhere and when
 * the call fails. The sweep keeps the stored vectors in the model their
 * channel should have: after ai_embed_provider changed, or a channel's
 * rules did, it queues the messages whose vectors are of another model
 * again. */
#ifndef PX_H_AI_EMBED_H
#define PX_H_AI_EMBED_H

#include "core/cfg.h"
#include "core/db.h"
#include "core/err.h"

#include <time.h>

/* The worker's memory between batches (one per worker thread). */
struct px_hai_embed_state {
	char model[208];          /* ai_embed_provider's model (and ai_local_only)
				   * at the last sweep */
	int swept;                /* a sweep has run */
	time_t next_sweep;
	time_t pause_until;       /* no provider calls before (after a failure) */
};

/* Embeds up to limit queued messages (fewer when a provider is called:
 * the calls run inside the transaction); *done gets how many were taken.
 * A failed provider call pauses calls for a minute (or until the sweep
 * sees another provider or model): meanwhile messages get built-in
 * vectors, which the next sweep queues again. */
enum px_err px_hai_embed_batch(struct px_db *db, const struct px_cfg *cfg,
			       struct px_hai_embed_state *st, int limit, int *done)
	__attribute__((nonnull, warn_unused_result));

/* When due (ai_embed_provider's model changed since the last sweep, or
 * ai_local_only changed, or every 5 minutes, for channels whose rules
 * changed): queues again the
 * messages of every channel whose vectors are not of the model the
 * channel's rules give it. *queued gets how many. */
enum px_err px_hai_embed_sweep(struct px_db *db, const struct px_cfg *cfg,
			       struct px_hai_embed_state *st, long *queued)
	__attribute__((nonnull, warn_unused_result));

#endif
