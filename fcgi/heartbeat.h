/* heartbeat.h: this process's row in the node registry. A thread of its
 * own (so a slow database never delays signals) registers the node,
 * refreshes it every node_heartbeat_seconds, removes rows of nodes silent
 * for node_expire_seconds, and reads the drain flag back into core/node.h.
 * At a clean stop the row is removed. */
#ifndef PX_HEARTBEAT_H
#define PX_HEARTBEAT_H

struct px_app;
struct px_heartbeat;

/* Starts the thread for app (px_node_init was called). NULL on failure
 * (logged): the process then serves without a registry row. */
struct px_heartbeat *px_heartbeat_start(struct px_app *app, const char *conninfo);
/* Stops the thread (app->stopping must be set), removes the row, frees. */
void px_heartbeat_stop(struct px_heartbeat *hb);

#endif
