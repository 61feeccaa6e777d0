-- 155_cluster_nodes: the node registry (docs/CLUSTERING.md). Every
-- plexichat.fcgi process keeps one row fresh with heartbeats; a row not
-- refreshed for node_expire_seconds is removed by the next heartbeat of
-- any process. draining is set by `plexichat-admin cluster drain` (for a
-- node id or for every process of an address) and read back by the node;
-- a process that starts on an address being drained starts drained.
CREATE TABLE cluster_nodes (
    id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 300),
    address text NOT NULL CHECK (length(address) BETWEEN 1 AND 255),
    version text NOT NULL,
    schema_version integer NOT NULL,
    capabilities text[] NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    draining boolean NOT NULL DEFAULT false
);
CREATE INDEX cluster_nodes_address ON cluster_nodes (address);
