#!/usr/bin/env bash
# test_pg_failover.sh: docs/CLUSTERING.md's "Database failover" recipe.
# A pg_auto_failover monitor, a primary and a synchronous standby (the
# doc's blocks marked `<!-- pg-failover: NAME -->`, run as written with
# this run's folder and ports in the doc's settings), PlexiChat migrated on
# the primary, and a plexichat.fcgi + lighttpd stack (stacklib.py) whose
# db_conninfo lists both nodes with target_session_attrs=read-write.
# Four clients post over HTTP; the primary node is stopped at once
# (`pg_autoctl stop --immediate`: its PostgreSQL and its keeper, as a
# crashed machine); the clients keep posting until posts succeed again on
# the promoted standby. Then the old primary's keeper is started again (it
# rejoins as the standby) and `pg_autoctl perform switchover` moves the
# primary back while the clients post. Checks: every acknowledged message
# is in the database once (none lost, none duplicated), every failed post
# answered 503 SYSTEM_DB_UNAVAILABLE in the central error format, posts
# work again; prints the time from the stop to the first acknowledged post
# and the longest time without one during the switchover.
# Starts its own servers; needs root and scripts/test.sh's environment
# (PX_ROOT, PX_BUILD, PX_WORK, PX_CONFIG, PX_LIGHTTPD_URL).
set -euo pipefail
ROOT=${PX_ROOT:?run from scripts/test.sh}
: "${PX_BUILD:?}"
WORK=${PX_WORK:?}
: "${PX_CONFIG:?}"
LPORT=${PX_LIGHTTPD_URL##*:}
T="$WORK/pg-failover"
export PATH=/usr/lib/postgresql/15/bin:$PATH
KEEPERS=()

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 40))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
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
as_pg() {
  runuser -u postgres -- env PATH="$PATH" XDG_CONFIG_HOME="$T/xdg-config" XDG_DATA_HOME="$T/xdg-data" \
    PGAF="$T" HOST=127.0.0.1 MONITOR_PORT="$MONITOR_PORT" NODE1_PORT="$NODE1_PORT" NODE2_PORT="$NODE2_PORT" \
    "$@"
}
run_block() { local b; b=$(block "$1"); shift; [ -n "$b" ] || { echo "FAIL: no $1 block"; exit 1; }
  as_pg env "$@" bash -euo pipefail -c "$b"; }
keeper() {
  setsid runuser -u postgres -- env PATH="$PATH" XDG_CONFIG_HOME="$T/xdg-config" XDG_DATA_HOME="$T/xdg-data" \
    pg_autoctl run --pgdata "$T/$1" > "$T/$1.log" 2>&1 &
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
cleanup() {
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
trap cleanup EXIT

MONITOR_PORT=$(free_port $((LPORT + 420)))
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
run_block node NODE=node1 PORT="$NODE1_PORT" > "$T/create-node1.log" 2>&1 || { tail -20 "$T/create-node1.log"; exit 1; }
keeper node1
wait_state node1 single 60
run_block node NODE=node2 PORT="$NODE2_PORT" > "$T/create-node2.log" 2>&1 || { tail -20 "$T/create-node2.log"; exit 1; }
keeper node2
wait_state node2 secondary 90
wait_state node1 primary 30
state

# synchronous replication: the primary waits for the standby's commit
psql1() { as_pg psql -X -q -At -h 127.0.0.1 -p "$NODE1_PORT" "$@"; }
SSN=$(psql1 -d postgres -c "SHOW synchronous_standby_names")
echo "synchronous_standby_names = $SSN"
case "$SSN" in *pgautofailover_standby*) ;; *) echo "FAIL: no synchronous standby"; exit 1 ;; esac
for _ in $(seq 1 40); do
  SYNC=$(psql1 -d postgres -c "SELECT string_agg(sync_state, ',') FROM pg_stat_replication")
  case "$SYNC" in quorum|sync) break ;; esac; sleep 0.5
done
case "$SYNC" in quorum|sync) ;; *) echo "FAIL: standby not synchronous ($SYNC)"; exit 1 ;; esac
[ "$(psql1 -d postgres -c "SHOW synchronous_commit")" = on ] || { echo "FAIL: synchronous_commit"; exit 1; }

run_block database HOST=127.0.0.1 > "$T/database.log" 2>&1 || { cat "$T/database.log"; exit 1; }

# The stack: the harness's configuration with the multi-host conninfo (the
# doc's, with this run's hosts and ports) instead of the suite's database.
CONNINFO=$(sed -n 's/^db_conninfo = //p' "$ROOT/docs/CLUSTERING.md" | grep target_session_attrs | head -n 1 |
  sed -e "s/HOST1,HOST2/127.0.0.1,127.0.0.1/" -e "s/PORT1,PORT2/$NODE1_PORT,$NODE2_PORT/")
case "$CONNINFO" in *"port=$NODE1_PORT,$NODE2_PORT"*target_session_attrs=read-write*) ;;
  *) echo "FAIL: the doc's db_conninfo changed: $CONNINFO"; exit 1 ;; esac
export FO_CONNINFO="$CONNINFO" FO_T="$T" FO_NODE1_PORT="$NODE1_PORT" FO_NODE2_PORT="$NODE2_PORT"
export FO_PG_ENV="PATH=$PATH XDG_CONFIG_HOME=$T/xdg-config XDG_DATA_HOME=$T/xdg-data"
export FO_STOP_CMD="runuser -u postgres -- env PATH=$PATH XDG_CONFIG_HOME=$T/xdg-config XDG_DATA_HOME=$T/xdg-data pg_autoctl stop --immediate --pgdata $T/node1"
export PYTHONPATH="$ROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}"

python3 - <<'PY'
import json
import os
import subprocess
import sys
import threading
import time

import stacklib

T = os.environ["FO_T"]
st = stacklib.Stack("pg-failover", {"db_conninfo": os.environ["FO_CONNINFO"], "rate_limit": "off"},
                    os.path.join(T, "files"))
r = st.admin("migrate")
assert r.returncode == 0, r.stdout + r.stderr
st.start()
os.environ["PX_BASE_URL"] = st.url
os.environ["PX_CONFIG"] = st.conf
import pxtest  # noqa: E402  (reads PX_BASE_URL)
from msglib import User, channel  # noqa: E402  (uses PX_CONFIG)

failures = []
CMD_ENV = os.environ["FO_PG_ENV"].split()


def autoctl(*args, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--", "env"] + CMD_ENV + ["pg_autoctl"] + list(args),
                          **kw)


def node_states():
    out = autoctl("show", "state", "--pgdata", os.path.join(T, "monitor"),
                  capture_output=True, text=True).stdout
    return {c[0]: (c[5], c[6]) for c in (
        [x.strip() for x in line.split("|")] for line in out.splitlines()) if len(c) == 7}


def wait_states(want, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = node_states()
        if all(st.get(n) == (s, s) for n, s in want.items()):
            return
        time.sleep(0.5)
    raise AssertionError("nodes not %r after %d s: %r" % (want, timeout, node_states()))


keeper = None
try:
    owner = User("fo")
    cid = channel(owner)["id"]
    CLIENTS = 4
    users = [owner] + [User("fo%d" % i) for i in range(1, CLIENTS)]
    for u in users[1:]:
        u.ok("POST", "/api/v1/channels/%d/members" % cid, {})
    lock = threading.Lock()
    acked = []       # (body, id, t_start, t_end)
    errors = []      # (status, body bytes)
    net = []         # exceptions (connection refused/reset by the web server)

    def client(tag, n, u, done):
        i = 0
        while not done.is_set():
            i += 1
            body = "fo-%s-%d-%d" % (tag, n, i)
            t0 = time.monotonic()
            try:
                r = u.call("POST", "/api/v1/channels/%d/messages" % cid, {"body": body})
            except OSError as e:
                with lock:
                    net.append(repr(e))
                time.sleep(0.1)
                continue
            t1 = time.monotonic()
            with lock:
                if r.status in (200, 201):
                    acked.append((body, r.json()["id"], t0, t1))
                else:
                    errors.append((r.status, r.body))
            if r.status not in (200, 201):
                time.sleep(0.1)

    def posting(tag, action):
        """Clients post while action() runs; returns (seconds from the
        time action() returns to the first post acknowledged that started
        after it, the longest time without an acknowledged post)."""
        done = threading.Event()
        threads = [threading.Thread(target=client, args=(tag, n, u, done), daemon=True)
                   for n, u in enumerate(users)]
        for t in threads:
            t.start()
        time.sleep(4)
        with lock:
            before = len([a for a in acked if a[0].startswith("fo-%s-" % tag)])
        assert before > 20, "%s: only %d posts before" % (tag, before)
        t_mark = action()
        first = None
        deadline = t_mark + 150
        while time.monotonic() < deadline:
            with lock:
                after = [a for a in acked if a[2] > t_mark]
            if after and first is None:
                first = min(a[3] for a in after)
            if first is not None and len(after) >= 40 and time.monotonic() > first + 3:
                break
            time.sleep(0.2)
        done.set()
        for t in threads:
            t.join(40)
        assert first is not None, "%s: no post succeeded within 150 s; %d errors, last %r" % (
            tag, len(errors), errors[-1:])
        assert len(after) >= 40, "%s: only %d posts acknowledged after it" % (tag, len(after))
        ends = sorted(a[3] for a in acked if a[0].startswith("fo-%s-" % tag))
        gap = max(b - a for a, b in zip(ends, ends[1:]))
        print("%s: acknowledged %d before, %d in all" % (tag, before, len(ends)))
        return first - t_mark, gap

    def kill_primary():
        # the clock starts once the primary is down: posts that started
        # before (the stop command takes a moment) may still have been
        # served by it
        subprocess.run(os.environ["FO_STOP_CMD"], shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t = time.monotonic()
        ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", os.environ["FO_NODE1_PORT"]])
        assert ready.returncode != 0, "the primary still answers after pg_autoctl stop --immediate"
        print("primary node1 stopped (pg_autoctl stop --immediate)")
        return t

    took, gap = posting("kill", kill_primary)
    print("FAILOVER_TIME %.1f s from the stop of the primary to the first acknowledged post "
          "(longest time without one: %.1f s)" % (took, gap))

    # the old primary comes back as the standby of the promoted one
    t0 = time.monotonic()
    keeper = subprocess.Popen(["setsid", "runuser", "-u", "postgres", "--", "env"] + CMD_ENV +
                              ["pg_autoctl", "run", "--pgdata", os.path.join(T, "node1")],
                              stdout=open(os.path.join(T, "node1-rejoin.log"), "w"), stderr=subprocess.STDOUT)
    wait_states({"node1": "secondary", "node2": "primary"}, 150)
    print("node1 rejoined as the standby in %.1f s" % (time.monotonic() - t0))

    def switchover():
        t = time.monotonic()
        r = autoctl("perform", "switchover", "--pgdata", os.path.join(T, "monitor"),
                    capture_output=True, text=True, timeout=150)
        assert r.returncode == 0, r.stdout + r.stderr
        print("pg_autoctl perform switchover took %.1f s" % (time.monotonic() - t))
        return t

    took, gap = posting("switch", switchover)
    print("SWITCHOVER: longest time without an acknowledged post %.1f s" % gap)
    wait_states({"node1": "primary", "node2": "secondary"}, 60)
    print("acknowledged: %d, answered with an error: %d, no answer: %d" % (len(acked), len(errors), len(net)))

    # every error is SYSTEM_DB_UNAVAILABLE in the central error format
    for status, body in errors:
        j = json.loads(body)
        if not (status == 503 and j.get("error_code") == "SYSTEM_DB_UNAVAILABLE"
                and j.get("message") and j.get("correlation_id") and j.get("http_status") == 503):
            failures.append("error not SYSTEM_DB_UNAVAILABLE in the central format: %d %r" % (status, body[:200]))
            break
    if net:
        failures.append("requests without an HTTP answer: %r" % net[:3])

    # every acknowledged message is on the primary (node1 again), once
    out = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-X", "-At", "-F", "\t", "-h", "127.0.0.1",
         "-p", os.environ["FO_NODE1_PORT"], "-d", "plexichat", "-c",
         "SELECT id, body FROM messages WHERE channel_id = %d AND body LIKE 'fo-%%'" % cid],
        capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t", 1) for line in out.splitlines() if line]
    by_body = {}
    for mid, body in rows:
        by_body.setdefault(body, []).append(int(mid))
    dups = {b: ids for b, ids in by_body.items() if len(ids) > 1}
    lost = [(b, i) for b, i, _, _ in acked if by_body.get(b) != [i]]
    print("in the database: %d rows, %d duplicated bodies, %d acknowledged missing or changed"
          % (len(rows), len(dups), len(lost)))
    if dups:
        failures.append("duplicated: %r" % list(dups.items())[:3])
    if lost:
        failures.append("acknowledged but not in the database once: %r" % lost[:3])
except Exception:
    import traceback
    traceback.print_exc()
    failures.append("exception")
finally:
    if failures:
        print(st.log_tail(30))
    st.stop()
    if keeper:
        autoctl("stop", "--immediate", "--pgdata", os.path.join(T, "node1"),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        keeper.wait(30)
for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
PY
state
echo "PASS: test_pg_failover"
