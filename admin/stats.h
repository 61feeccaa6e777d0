/* admin/stats.h: plexichat-admin stats. */
#ifndef PX_ADMIN_STATS_H
#define PX_ADMIN_STATS_H

#include "admin/admin.h"

/* stats [--json] [--timeout S]: users, channels, messages, storage and
 * requests per route (from the server's metrics). 0, or 1 when the
 * database could not be read (the rest is still printed). */
int admin_cmd_stats(struct admin *a, int argc, char **argv);

#endif
