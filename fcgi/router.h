/* router.h: THE route table and its matcher.
 *
 * A route is data: method, path pattern with typed parameters
 * ("/api/v1/channels/{id:int}/messages"), handler and policy columns.
 * The pipeline enforces the policy; handlers never re-check it. */
#ifndef PX_ROUTER_H
#define PX_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/http.h"
#include "core/path.h"

enum px_route_auth {
	PX_AUTH_NONE,            /* anyone */
	PX_AUTH_USER,            /* any signed-in account, min_role applies */
	PX_AUTH_ADMIN_OR_LOOPBACK, /* admins, or anyone from loopback */
};

struct px_route {
	const char *method;
	const char *pattern;
	px_handler_fn handler;
	enum px_route_auth auth;
	enum px_role min_role;   /* with PX_AUTH_USER */
	size_t body_limit;       /* 0: the configured default; PX_BODY_STREAM */
	const char *rate_class;  /* token-bucket class, e.g. "read", "write", "login";
				  * "none": never limited (health checks) */
	const char *waf_profile; /* WAF profile name */
	const char *action;      /* permission-table action (auth/perm.h) checked
				  * for PX_AUTH_USER routes; NULL: min_role only */
};

/* body_limit of a streamed route: the body is not read whole before the
 * handler; the pipeline reads its first PX_STREAM_PREFIX bytes for the WAF
 * (request body_partial when more follow) and the handler reads the rest
 * in chunks, enforcing its own limit (files_max_size). */
#define PX_BODY_STREAM SIZE_MAX

enum px_match { PX_MATCH_OK, PX_MATCH_NONE, PX_MATCH_METHOD };

/* Finds the route for method and decoded path. On PX_MATCH_OK *out is the
 * route and params (emptied first) holds its typed parameters, each
 * checked against its type; the caller frees them with px_path_clear. On
 * PX_MATCH_METHOD the path exists for other methods, which are written to
 * allow ("GET, POST"; allow may be NULL). */
enum px_match px_router_match(const char *method, const char *path,
			      const struct px_route **out,
			      struct px_path *params, struct px_buf *allow)
	__attribute__((nonnull(1, 2, 3, 4)));

/* The table itself, for tests and docs: returns route i or NULL. */
const struct px_route *px_router_route(size_t i);

#endif
