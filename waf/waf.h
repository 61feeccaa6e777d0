/* waf.h: PlexiChat's in-process web application firewall.
 *
 * A struct px_waf is built from a rules file (signatures, detector
 * bindings, per-route profiles with per-field policy) and is immutable
 * afterwards: worker threads share it; a reload builds a new one. The
 * pipeline calls px_waf_inspect() first for every request with the
 * route's WAF profile name, and answers 403 with the returned SECURITY_*
 * code when it blocks. Matched rule ids are for the log, never the
 * response. IP allow/deny lists and automatic blocks live in waf_ip.h. */
#ifndef PX_WAF_H
#define PX_WAF_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/http.h"

struct px_waf;

#define PX_WAF_MAX_HITS 16

enum px_waf_action { PX_WAF_ALLOW = 0, PX_WAF_LOG, PX_WAF_DENY };

struct px_waf_verdict {
	enum px_waf_action action;
	int score;                        /* sum of block-mode rule scores */
	int threshold;                    /* the profile's threshold */
	const char *profile;              /* profile applied: points into the
					   * px_waf, valid while it is */
	unsigned rules[PX_WAF_MAX_HITS];  /* matched rule ids, first first */
	unsigned char detect_only[PX_WAF_MAX_HITS]; /* 1: logged, not scored */
	size_t nrules;
	char category[24];                /* category of the first scoring hit */
};

/* Reads and compiles the rules file at rules_path. On error returns -1
 * with "path:line: reason" in err; on success *out is a new WAF, freed
 * with px_waf_free(). */
int px_waf_load(const char *rules_path, struct px_waf **out, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));
/* Same from text held in memory (tests, fuzzers); name is for messages. */
int px_waf_load_text(const char *text, size_t n, const char *name,
		     struct px_waf **out, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));
/* NULL is allowed. */
void px_waf_free(struct px_waf *waf);
/* Modification time of the loaded rules file (0 for text), so the
 * pipeline can reload when the file changes. */
time_t px_waf_mtime(const struct px_waf *waf) __attribute__((nonnull));

/* Inspects req under the named profile (NULL or unknown: "default").
 * Fills v and returns PX_OK to let the request through (also when the
 * profile or rules are detect-only: v->action is then PX_WAF_LOG), or
 * PX_E_SECURITY_REQUEST_BLOCKED / PX_E_SECURITY_SSRF_BLOCKED to block.
 * Never fails for hostile input; runs in time bounded by the settings. */
enum px_err px_waf_inspect(const struct px_waf *waf, const struct px_request *req,
			   const char *profile, struct px_waf_verdict *v)
	__attribute__((nonnull(1, 2, 4)));

/* Fallback classifier for routes without a profile in the route table:
 * maps a method and (raw or decoded) path to a profile name. */
const char *px_waf_profile_for_path(const char *method, const char *path);
/* Row i of that classifier's table, for the test that keeps it to routes
 * that exist: 0 and the row's methods ("*" any, "W" POST/PUT/PATCH, or
 * one method), pattern ('*' one segment, trailing "**" any rest) and
 * profile; -1 past the end. */
int px_waf_path_row(size_t i, const char **methods, const char **pattern,
		    const char **profile) __attribute__((nonnull));

/* Body limit of a profile in bytes, for the pipeline to enforce before
 * reading the body (a larger Content-Length is a SECURITY block). */
size_t px_waf_max_body(const struct px_waf *waf, const char *profile)
	__attribute__((nonnull(1)));

/* 1 when the rules define a profile of that name (an unknown name is
 * inspected as "default"; the route-table test catches such typos). */
int px_waf_has_profile(const struct px_waf *waf, const char *profile)
	__attribute__((nonnull(1)));

/* Writes the verdict as a JSON object for the security log:
 * {"action","score","threshold","profile","rules":[..],"detect":[..],
 *  "category"}. */
void px_waf_verdict_json(const struct px_waf_verdict *v, struct px_buf *out)
	__attribute__((nonnull));

/* Message and category of rule id, or NULL when unknown; owned by waf. */
const char *px_waf_rule_msg(const struct px_waf *waf, unsigned id) __attribute__((nonnull));
const char *px_waf_rule_category(const struct px_waf *waf, unsigned id)
	__attribute__((nonnull));

#endif
