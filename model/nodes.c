/* model/nodes.c: SQL of the cluster node registry. */
#include "model/nodes.h"
#include "model/rows.h"

#include <string.h>

enum px_err px_m_nodes_beat(struct px_db *db, const struct px_m_node *n, int expire_s,
			    int *draining)
{
	char started[PX_M_LL], schema[PX_M_LL], expire[PX_M_LL];
	const char *p[] = { n->id, n->address, n->version, px_m_ll(schema, n->schema_version),
			    n->capabilities, px_m_ll(started, n->started_at) };
	const char *q[] = { px_m_ll(expire, expire_s) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "nodes_beat",
		"INSERT INTO cluster_nodes AS c (id, address, version, schema_version,"
		" capabilities, started_at, draining)"
		" VALUES ($1, $2, $3, $4::int, $5::text[], to_timestamp($6::bigint),"
		"  coalesce((SELECT bool_or(d.draining) FROM cluster_nodes d"
		"   WHERE d.address = $2 AND d.id <> $1), false))"
		" ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address,"
		"  version = EXCLUDED.version, schema_version = EXCLUDED.schema_version,"
		"  capabilities = EXCLUDED.capabilities, heartbeat_at = now(),"
		/* a pid reused after a crash: the old row's flag goes with it */
		"  started_at = EXCLUDED.started_at,"
		"  draining = CASE WHEN c.started_at = EXCLUDED.started_at THEN c.draining"
		"   ELSE EXCLUDED.draining END"
		" RETURNING draining", 6, p, &r);
	if (e != PX_OK)
		return e == PX_E_SYSTEM_INTERNAL ? PX_E_SYSTEM_DB_UNAVAILABLE : e;
	*draining = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	e = px_m_exec_rows(db, "nodes_expire",
		"DELETE FROM cluster_nodes"
		" WHERE heartbeat_at < now() - make_interval(secs => $1::int)", 1, q, NULL);
	return e == PX_E_SYSTEM_INTERNAL ? PX_E_SYSTEM_DB_UNAVAILABLE : e;
}

enum px_err px_m_nodes_remove(struct px_db *db, const char *id)
{
	const char *p[] = { id };

	return px_m_exec_rows(db, "nodes_remove", "DELETE FROM cluster_nodes WHERE id = $1",
			      1, p, NULL);
}

enum px_err px_m_nodes_list(struct px_db *db, struct px_buf *out)
{
	return px_m_json_row(db, "nodes_list",
		"SELECT json_build_object('nodes', coalesce(json_agg(json_build_object("
		" 'id', id, 'address', address, 'version', version,"
		" 'schema_version', schema_version, 'capabilities', capabilities,"
		" 'started_at', started_at, 'heartbeat_at', heartbeat_at,"
		" 'age_seconds', round(extract(epoch FROM now() - heartbeat_at)::numeric, 1),"
		" 'draining', draining) ORDER BY address, id), '[]'))::text"
		" FROM cluster_nodes", 0, NULL, out);
}

enum px_err px_m_nodes_drain(struct px_db *db, const char *target, int on, long *count)
{
	const char *p[] = { target, on ? "true" : "false" };

	return px_m_exec_rows(db, "nodes_drain",
		"UPDATE cluster_nodes SET draining = $2::boolean"
		" WHERE id = $1 OR address = $1", 2, p, count);
}
