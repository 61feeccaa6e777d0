/* node.h: this process as a node of a cluster: its identity, fixed once at
 * start-up before any thread runs, and whether it is draining, which the
 * heartbeat (fcgi/heartbeat.c) sets and the readiness check and the event
 * hub read. Draining: /api/v1/system/ready answers 503 so load balancers
 * send no new requests, event streams end so clients reconnect elsewhere,
 * and new streams and long-polls are refused; short requests that still
 * arrive are served. */
#ifndef PX_NODE_H
#define PX_NODE_H

/* Sets the identity: address (empty: the host name) and the id
 * "address/pid". Call once, before threads start. */
void px_node_init(const char *address) __attribute__((nonnull));
/* The id and address (static strings; "" before px_node_init). */
const char *px_node_id(void);
const char *px_node_address(void);
/* Unix seconds of px_node_init. */
long long px_node_started(void);
int px_node_draining(void);
void px_node_set_draining(int on);

#endif
