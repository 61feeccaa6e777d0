/* hooks_send.h: the sender of outgoing webhook deliveries, run by the
 * sender threads of plexichat.fcgi (fcgi/hooks_worker) and by
 * `plexichat-admin deliver-hooks` (cron on shared hosting). */
#ifndef PX_H_HOOKS_SEND_H
#define PX_H_HOOKS_SEND_H

#include <stddef.h>

#include "core/db.h"

struct px_cfg;

/* "v1=" + 64 hex digits + NUL */
#define PX_HOOKS_SIG_LEN 68

/* The signature header's value: "v1=" + hex(HMAC-SHA256(secret,
 * ts + "." + body)). */
void px_hooks_sign(const char *secret, const char *ts, const char *body, size_t n,
		   char out[PX_HOOKS_SIG_LEN]) __attribute__((nonnull));

/* Milliseconds to wait after the attempts-th failure: 1 s doubled per
 * attempt up to an hour, half of it random (rnd). */
long px_hooks_backoff_ms(int attempts, unsigned rnd);

/* Claims up to max due deliveries and sends them one after another.
 * Returns how many it claimed (0: none due), or -1 when the database
 * failed. */
int px_hooks_send_batch(struct px_db *db, const struct px_cfg *cfg, int max)
	__attribute__((nonnull));

#endif
