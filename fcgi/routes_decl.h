/* routes_decl.h: the handler headers every routes_*.inc fragment needs.
 * Each area adds its header include here (one line per area). */
#ifndef PX_ROUTES_DECL_H
#define PX_ROUTES_DECL_H

#include "handlers/auth.h"
#include "handlers/auth_webauthn.h"
#include "handlers/web.h"
#include "handlers/msg.h"
#include "handlers/files.h"
#include "handlers/avatars.h"
#include "fcgi/events_stream.h"
#include "fcgi/events_ws.h"
#include "handlers/admin_plugins.h"
#include "handlers/admin_compliance.h"
#include "handlers/admin_waf.h"
#include "handlers/notify.h"
#include "handlers/cluster.h"
#include "handlers/ai.h"
#include "handlers/people.h"
#include "fcgi/openapi.h"
#include "handlers/hooks.h"
#include "handlers/commands.h"
#include "handlers/plugin_events.h"
#include "handlers/unfurl.h"
#include "handlers/user_export.h"

#endif
