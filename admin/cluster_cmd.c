/* admin/cluster_cmd.c: plexichat-admin cluster: the node registry as a
 * table or JSON, and the drain flag an operator sets before taking a node
 * out of service (the node reads it back within node_heartbeat_seconds). */
#include "admin/cluster_cmd.h"
#include "core/cfg.h"
#include "model/nodes.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char *field(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

static int status(struct admin *a, int json)
{
	struct px_buf text = PX_BUF_INIT;
	struct json_object *o = NULL, *nodes = NULL;
	enum px_err e = px_m_nodes_list(a->db, &text);
	int rc = 1;
	size_t i;

	if (e != PX_OK) {
		fprintf(stderr, "plexichat-admin: cannot read the node registry: %s\n", px_err_name(e));
		goto out;
	}
	if (json) {
		rc = admin_put_line(&text) == 0 ? 0 : 1;
		goto out;
	}
	o = json_tokener_parse(text.data);
	if (!o || !json_object_object_get_ex(o, "nodes", &nodes))
		goto out;
	printf("%-40s %-10s %-6s %-9s %s\n", "NODE", "VERSION", "SCHEMA", "HEARTBEAT", "STATE");
	for (i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i), *d;
		int draining = json_object_object_get_ex(n, "draining", &d) && json_object_get_boolean(d);

		printf("%-40s %-10s %-6s %7ss  %s\n", field(n, "id"), field(n, "version"),
		       field(n, "schema_version"), field(n, "age_seconds"),
		       draining ? "draining" : "serving");
	}
	printf("%zu node process(es)\n", json_object_array_length(nodes));
	rc = 0;
out:
	json_object_put(o);
	px_buf_free(&text);
	return rc;
}

static int drain(struct admin *a, const char *target, int on)
{
	long n = 0;
	enum px_err e = px_m_nodes_drain(a->db, target, on, &n);

	if (e != PX_OK) {
		fprintf(stderr, "plexichat-admin: cannot change the node registry: %s\n", px_err_name(e));
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "plexichat-admin: no registered node is %s (see cluster status)\n", target);
		return 1;
	}
	printf("%s %ld process(es) of %s; they notice within %lld s\n", on ? "draining" : "undrained",
	       n, target, px_cfg_int(a->cfg, "node_heartbeat_seconds"));
	return 0;
}

int admin_cmd_cluster(struct admin *a, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "status") == 0)
		return status(a, admin_has_flag(argc, argv, "--json"));
	if (argc == 2 && strcmp(argv[0], "drain") == 0)
		return drain(a, argv[1], 1);
	if (argc == 2 && strcmp(argv[0], "undrain") == 0)
		return drain(a, argv[1], 0);
	return -1;
}
