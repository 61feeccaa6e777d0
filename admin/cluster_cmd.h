/* admin/cluster_cmd.h: plexichat-admin cluster (the node registry). */
#ifndef PX_ADMIN_CLUSTER_CMD_H
#define PX_ADMIN_CLUSTER_CMD_H

#include "admin/admin.h"

/* cluster status [--json] | cluster drain NODE | cluster undrain NODE.
 * NODE is a node id (address/pid) or an address (every process of it).
 * 0; 1 when NODE matches no registered node or the database fails; -1
 * (usage) for anything else. */
int admin_cmd_cluster(struct admin *a, int argc, char **argv);

#endif
