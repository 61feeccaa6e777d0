/* waf_fixture.h: what the WAF engine's unit tests share: the rules of
 * etc/waf.rules, loaded once per test case, and requests built from
 * literals. */
#ifndef PX_WAF_FIXTURE_H
#define PX_WAF_FIXTURE_H

#include <stddef.h>

#include "core/http.h"
#include "waf/waf.h"

/* The loaded rules, between wf_load and wf_unload. */
extern struct px_waf *wf_waf;

/* Check fixtures: load etc/waf.rules into wf_waf (aborting the test case
 * on an error), and free it. */
void wf_load(void);
void wf_unload(void);

/* Adds header name: value to r. */
void wf_header(struct px_request *r, const char *name, const char *value);

/* Builds request r (px_request_clear frees it): method, path and query
 * as sent, a browser's Host, User-Agent and Accept, then headers
 * ("name: value\n...", lower-case names), Content-Type ctype when not
 * NULL, and body[0..blen) with its Content-Length when body is not NULL. */
void wf_build(struct px_request *r, const char *method, const char *path, const char *query,
	      const char *headers, const char *ctype, const char *body, size_t blen);

#endif
