/* wafmw.h: the WAF step of the pipeline. Owns the compiled rules (reloaded
 * when the rules file changes), the IP allow/deny/trusted-proxy lists built
 * from the config, and this process's automatic blocks. Every decision
 * above "allow" becomes a security event in the log and the audit table. */
#ifndef PX_WAFMW_H
#define PX_WAFMW_H

#include <stddef.h>

#include "core/cfg.h"
#include "core/ctx.h"

struct px_wafmw;

/* Loads the rules named by waf_rules; NULL with the reason in err. */
struct px_wafmw *px_wafmw_new(const struct px_cfg *cfg, struct px_buf *err);
void px_wafmw_free(struct px_wafmw *w);
/* Applies a new config: IP lists, auto-block switch, rules path. */
void px_wafmw_configure(struct px_wafmw *w, const struct px_cfg *cfg);
/* Reloads the rules when their file changed (called between requests);
 * a broken file is logged and the old rules stay. */
void px_wafmw_maybe_reload(struct px_wafmw *w);

/* The request's client address (behind trusted proxies) into
 * ctx->client_ip; SECURITY_IP_BLOCKED for denied or auto-blocked clients. */
enum px_err px_wafmw_client(struct px_wafmw *w, struct px_ctx *ctx);
/* SECURITY_REQUEST_BLOCKED when the declared body is over the profile's
 * limit (checked before reading the body). */
enum px_err px_wafmw_body_limit(struct px_wafmw *w, struct px_ctx *ctx,
				const char *profile);
/* Inspects the whole request under profile; PX_OK to go on, or the
 * SECURITY_* code to answer with. */
enum px_err px_wafmw_inspect(struct px_wafmw *w, struct px_ctx *ctx,
			     const char *profile);

#endif
