/* ai_embed.h: one step of the background embedding: takes a batch of
 * messages off ai_embed_queue, embeds them with the built-in provider
 * and stores the vectors, in one transaction (rows another process is
 * working on are skipped, so any number of workers may run). */
#ifndef PX_H_AI_EMBED_H
#define PX_H_AI_EMBED_H

#include "core/db.h"
#include "core/err.h"

/* Embeds up to limit queued messages; *done gets how many were taken. */
enum px_err px_hai_embed_batch(struct px_db *db, int limit, int *done)
	__attribute__((nonnull, warn_unused_result));

#endif
