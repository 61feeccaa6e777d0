# shellcheck shell=bash
# pgaf_lib.sh: a pg_auto_failover formation (monitor, primary, synchronous
# standby) from docs/CLUSTERING.md's blocks marked `<!-- pg-failover: NAME
# -->`, run as written with a folder and free ports of the caller's, for
# the tests that need one (test_pg_failover.sh, test_cluster_topology.sh).
# Source it after setting T (the folder) and PATH with PostgreSQL 15's
# bin; pgaf_up FIRST_PORT starts everything and sets MONITOR_PORT,
# NODE1_PORT, NODE2_PORT and PGAF_CONNINFO (the doc's multi-host
# db_conninfo with these ports); pgaf_cleanup stops it (by pid).
KEEPERS=()

# free_port FROM: the first port from FROM on that no TCP socket uses, not
# even as the local end of a connection (these ports lie in the ephemeral
# range, and PostgreSQL's bind to 0.0.0.0 fails beside such a socket: the
# monitor then listened on IPv6 alone and the nodes never reached it)
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 40))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] && { echo "$p"; return; }
  done
  return 1
}
# the commands of the doc's block NAME, as written
block() {
  awk -v n="$1" '$0 == "<!-- pg-failover: " n " -->" { f = 1; next }
    f == 1 && /^```sh$/ { f = 2; next } f == 2 && /^```$/ { exit } f == 2 { print }' "$ROOT/docs/CLUSTERING.md"
}
# pg_autoctl's own files (its config and state) go below $T, not into the
# postgres user's home
pg_env() { echo "PATH=$PATH XDG_CONFIG_HOME=$T/xdg-config XDG_DATA_HOME=$T/xdg-data"; }
as_pg() {
  # shellcheck disable=SC2046
  runuser -u postgres -- env $(pg_env) \
    PGAF="$T" HOST=127.0.0.1 MONITOR_PORT="$MONITOR_PORT" NODE1_PORT="$NODE1_PORT" NODE2_PORT="$NODE2_PORT" \
    "$@"
}
run_block() { local b; b=$(block "$1"); shift; [ -n "$b" ] || { echo "FAIL: no $1 block"; exit 1; }
  as_pg env "$@" bash -euo pipefail -c "$b"; }
keeper() {
  # shellcheck disable=SC2046
  setsid runuser -u postgres -- env $(pg_env) pg_autoctl run --pgdata "$T/$1" > "$T/$1.log" 2>&1 &
  KEEPERS+=($!)
}
state() { as_pg pg_autoctl show state --pgdata "$T/monitor" 2>/dev/null || true; }
wait_state() { # NODE STATE SECONDS
  local _
  for _ in $(seq 1 $(($3 * 2))); do
    state | grep -Eq "^ *$1 .*\| +$2 +\| +$2 *$" && return 0
    sleep 0.5
  done
  echo "FAIL: $1 did not reach $2 in $3 s"; state; exit 1
}
pgaf_cleanup() {
  local d k
  for d in node1 node2 monitor; do
    [ -f "$T/$d/postmaster.pid" ] || [ -f "$T/$d/pg_autoctl.cfg" ] || continue
    as_pg pg_autoctl stop --immediate --pgdata "$T/$d" >/dev/null 2>&1 || true
  done
  for k in "${KEEPERS[@]}"; do
    kill -TERM -- "-$k" 2>/dev/null || true
  done
  for k in "${KEEPERS[@]}"; do
    wait "$k" 2>/dev/null || true
  done
  for d in node1 node2 monitor; do
    [ -f "$T/$d/postmaster.pid" ] && pg_ctl -D "$T/$d" -m immediate stop >/dev/null 2>&1
  done
  return 0
}
psql1() { as_pg psql -X -q -At -h 127.0.0.1 -p "$NODE1_PORT" "$@"; }

pgaf_up() { # FIRST_PORT
  local ssn sync conninfo _
  MONITOR_PORT=$(free_port "$1")
  NODE1_PORT=$(free_port $((MONITOR_PORT + 1)))
  NODE2_PORT=$(free_port $((NODE1_PORT + 1)))
  rm -rf "$T"; mkdir -p "$T"; chown postgres:postgres "$T"; chmod 755 "$T"

  # The doc's settings block names the variables its other blocks use.
  for v in PGAF HOST MONITOR_PORT NODE1_PORT NODE2_PORT; do
    block settings | grep -q "^$v=" || { echo "FAIL: the doc's settings do not set $v"; exit 1; }
  done

  echo "== monitor on $MONITOR_PORT, nodes on $NODE1_PORT and $NODE2_PORT"
  run_block monitor > "$T/create-monitor.log" 2>&1 || { tail -20 "$T/create-monitor.log"; exit 1; }
  keeper monitor
  for _ in $(seq 1 40); do
    as_pg pg_isready -q -h 127.0.0.1 -p "$MONITOR_PORT" && break; sleep 0.5
  done
  [ -z "${PGAF_BEFORE_NODES:-}" ] || "$PGAF_BEFORE_NODES"
  run_block node NODE=node1 PORT="$NODE1_PORT" > "$T/create-node1.log" 2>&1 || { tail -20 "$T/create-node1.log"; exit 1; }
  keeper node1
  wait_state node1 single 60
  run_block node NODE=node2 PORT="$NODE2_PORT" > "$T/create-node2.log" 2>&1 || { tail -20 "$T/create-node2.log"; exit 1; }
  keeper node2
  wait_state node2 secondary 90
  wait_state node1 primary 30
  state

  # synchronous replication: the primary waits for the standby's commit
  ssn=$(psql1 -d postgres -c "SHOW synchronous_standby_names")
  echo "synchronous_standby_names = $ssn"
  case "$ssn" in *pgautofailover_standby*) ;; *) echo "FAIL: no synchronous standby"; exit 1 ;; esac
  for _ in $(seq 1 40); do
    sync=$(psql1 -d postgres -c "SELECT string_agg(sync_state, ',') FROM pg_stat_replication")
    case "$sync" in quorum|sync) break ;; esac; sleep 0.5
  done
  case "$sync" in quorum|sync) ;; *) echo "FAIL: standby not synchronous ($sync)"; exit 1 ;; esac
  [ "$(psql1 -d postgres -c "SHOW synchronous_commit")" = on ] || { echo "FAIL: synchronous_commit"; exit 1; }

  run_block database HOST=127.0.0.1 > "$T/database.log" 2>&1 || { cat "$T/database.log"; exit 1; }

  # the doc's multi-host conninfo with this run's hosts and ports
  conninfo=$(sed -n 's/^db_conninfo = //p' "$ROOT/docs/CLUSTERING.md" | grep target_session_attrs | head -n 1 |
    sed -e "s/HOST1,HOST2/127.0.0.1,127.0.0.1/" -e "s/PORT1,PORT2/$NODE1_PORT,$NODE2_PORT/")
  case "$conninfo" in *"port=$NODE1_PORT,$NODE2_PORT"*target_session_attrs=read-write*) ;;
    *) echo "FAIL: the doc's db_conninfo changed: $conninfo"; exit 1 ;; esac
  # shellcheck disable=SC2034  # for the caller
  PGAF_CONNINFO=$conninfo
}

# pgaf_fast_up FIRST_PORT: pgaf_up, then the doc's "fast" block (the
# shortened pg_auto_failover timeouts the fault tests measure with)
pgaf_fast_up() {
  pgaf_up "$1"
  run_block fast > "$T/fast.log" 2>&1 || { cat "$T/fast.log"; exit 1; }
  echo "formation up in $(( $(date +%s) - T0 )) s; pg_auto_failover timeouts shortened (doc block fast)"
}
