/* model/nodes.h: the cluster node registry (sql/155_cluster_nodes.sql):
 * heartbeats, expiry, the drain flag and the list for the admin views. */
#ifndef PX_M_NODES_H
#define PX_M_NODES_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

struct px_m_node {
	const char *id;           /* unique per process: address/pid */
	const char *address;      /* where a load balancer reaches the node */
	const char *version;      /* PACKAGE_VERSION */
	const char *capabilities; /* a PostgreSQL text[] literal, e.g. {api,events} */
	long long started_at;     /* Unix seconds */
	int schema_version;
};

/* One heartbeat: inserts or refreshes n's row (a new row starts drained
 * when another live process of its address is draining), then removes
 * every row older than expire_s seconds. *draining gets the row's flag.
 * SYSTEM_DB_UNAVAILABLE when the database cannot be reached. */
enum px_err px_m_nodes_beat(struct px_db *db, const struct px_m_node *n, int expire_s,
			    int *draining) __attribute__((nonnull, warn_unused_result));
/* Removes the row of node id (a clean stop). */
enum px_err px_m_nodes_remove(struct px_db *db, const char *id)
	__attribute__((nonnull, warn_unused_result));
/* Appends {"nodes":[...]} to out: every row by address and id, each with
 * id, address, version, schema_version, capabilities, started_at,
 * heartbeat_at, age_seconds (since the last heartbeat) and draining. */
enum px_err px_m_nodes_list(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* Sets draining to on for the node whose id or address is target; *count
 * gets the rows changed (0: no such node). */
enum px_err px_m_nodes_drain(struct px_db *db, const char *target, int on, long *count)
	__attribute__((nonnull, warn_unused_result));

#endif
