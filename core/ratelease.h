/* ratelease.h: this process's share of the shared rate-limit buckets.
 *
 * The limiter takes tokens from a bucket in PostgreSQL (shared by every
 * process and node) a few at a time, and spends them here without a
 * database round trip. Tokens are removed from the shared bucket before
 * they are spent, so the limit is never exceeded. Unspent tokens stop
 * being spendable after a short lease and are given back to the shared
 * bucket the next time this process asks it for the same key; a lease is
 * only as large as twice what the key spent here in its last one, so the
 * tokens a process holds are about what it will spend, and the shared
 * bucket lends only what it holds above half its capacity (below that each
 * request takes its own token). The table is owned
 * by one px_ratelease and guarded by its mutex. */
#ifndef PX_RATELEASE_H
#define PX_RATELEASE_H

#include <time.h>

#define PX_RATELEASE_SECONDS 2

struct px_ratelease;

/* A table of at most slots keys (rounded up to a power of two); NULL when
 * out of memory. The caller frees it with px_ratelease_free. */
struct px_ratelease *px_ratelease_new(unsigned slots) __attribute__((warn_unused_result));
/* NULL is allowed. */
void px_ratelease_free(struct px_ratelease *rl);
/* Spends one leased token for key: 1 when there was one, -1 when the
 * shared bucket is known to be empty until later (refuse without asking
 * the database), 0 when nothing is known (ask it). */
int px_ratelease_take(struct px_ratelease *rl, const char *key, time_t now)
	__attribute__((nonnull));
/* Records n fresh tokens for key, or with n == 0 that its bucket is empty,
 * valid until until (replacing what was there; a full table evicts an
 * expired or the oldest entry). */
void px_ratelease_put(struct px_ratelease *rl, const char *key, int n,
		      time_t now, time_t until) __attribute__((nonnull));
/* Records that this process took a single token for key now (nothing to
 * spend later, nothing refused). */
void px_ratelease_note(struct px_ratelease *rl, const char *key, time_t now)
	__attribute__((nonnull));
/* Before asking the shared bucket for key: how many tokens to ask for
 * (1 to max) and, in *refund, the tokens of an earlier lease this process
 * did not spend, which the slot gives up (the caller returns them to the
 * bucket). A lease of several tokens only for a key asked for within the
 * last 2 * PX_RATELEASE_SECONDS, sized by what its last lease spent: with
 * many processes (Apache mod_fcgid runs one per request in flight) a
 * client's requests spread over them, and a process must not hold much
 * more of a client's bucket than it serves. */
int px_ratelease_plan(struct px_ratelease *rl, const char *key, time_t now, int max,
		      int *refund) __attribute__((nonnull));

#endif
