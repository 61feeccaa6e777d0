#!/usr/bin/env bash
# test_cluster_topology.sh: the cluster of docs/CLUSTERING.md on one
# machine. A pg_auto_failover formation (monitor, primary, synchronous
# standby; tests/integration/pgaf_lib.sh runs the doc's blocks, then the
# doc's `fast` block shortens its timeouts), three PlexiChat nodes
# (plexichat.fcgi + lighttpd each, stacklib.py) on the doc's multi-host
# db_conninfo, and HAProxy with dist/haproxy/plexichat.cfg in front. Then,
# while clients post through HAProxy (tests/integration/cluster_topology.py):
#   A. one node is killed with SIGKILL under 16 posters and 200 SSE
#      subscribers;
#   B. the PostgreSQL primary is stopped at once;
#   C. the nodes are upgraded one by one (drain, stop, start on the build
#      with a new expand migration, undrain), then the contract migration
#      is applied.
# Checks: every acknowledged message stored once, failures only where
# documented, every subscriber resumes and misses nothing; prints the
# figures. Starts its own servers; needs root and scripts/test.sh's
# environment (PX_ROOT, PX_BUILD, PX_WORK, PX_CONFIG, PX_LIGHTTPD_URL).
set -euo pipefail
ROOT=${PX_ROOT:?run from scripts/test.sh}
: "${PX_BUILD:?}"
WORK=${PX_WORK:?}
: "${PX_CONFIG:?}"
LPORT=${PX_LIGHTTPD_URL##*:}
T="$WORK/cluster-topology"
export PATH=/usr/lib/postgresql/15/bin:$PATH
T0=$(date +%s)
source "$ROOT/tests/integration/pgaf_lib.sh"
trap pgaf_cleanup EXIT
pgaf_fast_up $((LPORT + 620))

TOPO_PG_ENV=$(pg_env)
export TOPO_CONNINFO="$PGAF_CONNINFO" TOPO_T="$T" TOPO_NODE1_PORT="$NODE1_PORT" TOPO_NODE2_PORT="$NODE2_PORT"
export TOPO_PG_ENV
export PYTHONPATH="$ROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}"
python3 "$ROOT/tests/integration/cluster_topology.py"
state
echo "PASS: test_cluster_topology in $(( $(date +%s) - T0 )) s"
