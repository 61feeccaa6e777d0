#!/usr/bin/env bash
# test_cluster_pg_faults.sh: database faults in a cluster (issue 18,
# docs/CLUSTERING.md "Faults"): a pg_auto_failover formation (monitor,
# primary, synchronous standby; pgaf_lib.sh runs the doc's blocks, then the
# doc's `fast` block) and two PlexiChat nodes (plexichat.fcgi + lighttpd
# each, stacklib.py) on the doc's multi-host db_conninfo, one listing the
# PostgreSQL nodes the other way round. tests/integration/
# cluster_pg_faults.py then posts through the nodes while:
#   1. the primary is fenced read-only (default_transaction_read_only);
#   2. a split: the primary's keeper is frozen while the monitor fails over,
#      so the old primary keeps serving the node connected to it;
#   3. the standby lags: replay paused, its WAL stream stalled, and the
#      standby stopped.
# Checks: clients get 503 SYSTEM_* errors or wait, never a 500, and every
# acknowledged post is on the primary once; prints the figures. Starts its
# own servers; needs root and scripts/test.sh's environment (PX_ROOT,
# PX_BUILD, PX_WORK, PX_CONFIG, PX_LIGHTTPD_URL).
set -euo pipefail
ROOT=${PX_ROOT:?run from scripts/test.sh}
: "${PX_BUILD:?}"
WORK=${PX_WORK:?}
: "${PX_CONFIG:?}"
LPORT=${PX_LIGHTTPD_URL##*:}
T="$WORK/cluster-pg-faults"
export PATH=/usr/lib/postgresql/15/bin:$PATH
T0=$(date +%s)
source "$ROOT/tests/integration/pgaf_lib.sh"
trap pgaf_cleanup EXIT
pgaf_fast_up $((LPORT + 660))

PGF_PG_ENV=$(pg_env)
export PGF_CONNINFO="$PGAF_CONNINFO" PGF_T="$T" PGF_NODE1_PORT="$NODE1_PORT" PGF_NODE2_PORT="$NODE2_PORT"
export PGF_MONITOR_PORT="$MONITOR_PORT" PGF_PG_ENV
export PYTHONPATH="$ROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}"
python3 "$ROOT/tests/integration/cluster_pg_faults.py"
state
echo "PASS: test_cluster_pg_faults in $(( $(date +%s) - T0 )) s"
