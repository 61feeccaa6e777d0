/* cluster.h: the node registry for admins (model/nodes.h). */
#ifndef PX_H_CLUSTER_H
#define PX_H_CLUSTER_H

#include "core/ctx.h"

/* GET /api/v1/admin/cluster/nodes: {"nodes":[...]} as px_m_nodes_list
 * gives them, each with "self" true for the process that answers. */
enum px_err px_h_admin_cluster_nodes(struct px_ctx *ctx);

#endif
