/* wafmw.h: the WAF step of the pipeline. Owns the compiled rules (reloaded
 * when the rules file changes), the IP allow/deny/trusted-proxy lists built
 * from the config, this process's automatic blocks, and its copy of the
 * shared allow/deny ranges and blocks in the database (re-read between
 * requests every waf_db_refresh seconds, through its own connection).
 * Every decision above "allow" becomes a security event in the log and
 * the audit table. */
#ifndef PX_WAFMW_H
#define PX_WAFMW_H

#include <stddef.h>

#include "core/cfg.h"
#include "core/ctx.h"

struct px_wafmw;

/* Loads the rules named by waf_rules; NULL with the reason in err. The
 * caller frees it with px_wafmw_free. */
struct px_wafmw *px_wafmw_new(const struct px_cfg *cfg, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));
/* NULL is allowed. */
void px_wafmw_free(struct px_wafmw *w);
/* Applies a new config: IP lists, auto-block switch, rules path. */
void px_wafmw_configure(struct px_wafmw *w, const struct px_cfg *cfg)
	__attribute__((nonnull));
/* Between requests: reloads the rules when their file changed (a broken
 * file is logged and the old rules stay), and re-reads the shared lists
 * and blocks when waf_db_refresh seconds have passed (a query for the
 * version counters; the rows only when they changed). */
void px_wafmw_maybe_reload(struct px_wafmw *w) __attribute__((nonnull));
/* Makes the next request re-read the shared lists first (after this
 * process changed them, e.g. by starting a block). */
void px_wafmw_invalidate(struct px_wafmw *w) __attribute__((nonnull));

/* The request's client address (behind trusted proxies) into
 * ctx->client_ip; SECURITY_IP_BLOCKED for clients on a deny list (config
 * or shared) or automatically blocked (here or on any node, while
 * waf_auto_block is on), unless an allow list holds them. Re-reads the
 * shared lists first through ctx->db when the process was idle longer
 * than the refresh interval. */
enum px_err px_wafmw_client(struct px_wafmw *w, struct px_ctx *ctx)
	__attribute__((nonnull));
/* SECURITY_REQUEST_BLOCKED when the declared body is over the profile's
 * limit (checked before reading the body). */
enum px_err px_wafmw_body_limit(struct px_wafmw *w, struct px_ctx *ctx,
				const char *profile) __attribute__((nonnull(1, 2)));
/* Inspects the whole request under profile; PX_OK to go on, or the
 * SECURITY_* code to answer with. */
enum px_err px_wafmw_inspect(struct px_wafmw *w, struct px_ctx *ctx,
			     const char *profile) __attribute__((nonnull(1, 2)));

#endif
