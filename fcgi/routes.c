/* routes.c: THE route table. Every endpoint PlexiChat serves is one row;
 * the pipeline enforces the policy columns before the handler runs.
 * Rows are grouped by API area; each area keeps its rows in a routes_*.inc
 * fragment included here, so the table stays one array in one place. */
#include "fcgi/router.h"
#include "handlers/system.h"
#include "fcgi/routes_decl.h"

#define KB 1024
#define MB (1024 * 1024)

static const struct px_route routes[] = {
	/* method, pattern, handler, auth, min role, body limit, rate class, WAF profile, action */
	{ "GET", "/api/v1/system/health", px_h_system_health, PX_AUTH_NONE, PX_ROLE_ANON, 0, "none", "default", NULL },
	{ "GET", "/api/v1/system/ready", px_h_system_ready, PX_AUTH_NONE, PX_ROLE_ANON, 0, "none", "default", NULL },
	{ "GET", "/api/v1/system/version", px_h_system_version, PX_AUTH_NONE, PX_ROLE_ANON, 0, "read", "default", NULL },
	{ "GET", "/api/v1/system/metrics", px_h_system_metrics, PX_AUTH_ADMIN_OR_LOOPBACK, PX_ROLE_ADMIN, 0, "read", "admin", "system.metrics" },
#include "fcgi/routes_auth.inc"
#include "fcgi/routes_msg.inc"
#include "fcgi/routes_files.inc"
#include "fcgi/routes_web.inc"
#include "fcgi/routes_admin.inc"
#include "fcgi/routes_hooks.inc"
#include "fcgi/routes_ai.inc"
#include "fcgi/routes_people.inc"
};

const struct px_route *px_router_route(size_t i)
{
	return i < sizeof(routes) / sizeof(routes[0]) ? &routes[i] : NULL;
}
