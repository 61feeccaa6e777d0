/* cluster.c: the admin view of the node registry. Nodes register and
 * drain themselves (fcgi/heartbeat.c); draining is an operator action
 * (plexichat-admin cluster drain), not an API call. */
#include "handlers/cluster.h"
#include "core/node.h"
#include "model/nodes.h"

#include <json-c/json.h>
#include <string.h>

enum px_err px_h_admin_cluster_nodes(struct px_ctx *ctx)
{
	struct px_buf text = PX_BUF_INIT;
	struct json_object *o = NULL, *nodes;
	enum px_err e = px_m_nodes_list(ctx->db, &text);
	size_t i;

	if (e != PX_OK)
		goto out;
	o = json_tokener_parse(text.data);
	if (!o || !json_object_object_get_ex(o, "nodes", &nodes)) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	for (i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i), *id;

		json_object_object_get_ex(n, "id", &id);
		json_object_object_add(n, "self", json_object_new_boolean(
			id && strcmp(json_object_get_string(id), px_node_id()) == 0));
	}
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	e = px_ctx_json(ctx, 200, o);
	o = NULL;
out:
	json_object_put(o);
	px_buf_free(&text);
	return e;
}
