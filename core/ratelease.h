/* ratelease.h: this process's share of the shared rate-limit buckets.
 *
 * The limiter takes tokens from a bucket in PostgreSQL (shared by every
 * process and node) a few at a time, and spends them here without a
 * database round trip. Tokens are removed from the shared bucket before
 * they are spent, so the limit is never exceeded; unspent tokens lapse
 * after a short lease, which only ever makes the limit a little stricter.
 * The table is owned by one px_ratelease and guarded by its mutex. */
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
/* 1 when this process asked the shared bucket for key within the last
 * PX_RATELEASE_SECONDS. Only such a key is worth a lease of several
 * tokens: with many processes (Apache mod_fcgid runs one per request in
 * flight) a client's requests spread over them, and tokens leased to a
 * process the client does not come back to lapse unspent, draining the
 * client's bucket though it is well within its limit. */
int px_ratelease_warm(struct px_ratelease *rl, const char *key, time_t now)
	__attribute__((nonnull));

#endif
