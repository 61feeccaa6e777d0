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
source "$ROOT/tests/integration/pgaf_lib.sh"
trap pgaf_cleanup EXIT
pgaf_up $((LPORT + 420))
CONNINFO=$PGAF_CONNINFO
export FO_CONNINFO="$CONNINFO" FO_T="$T" FO_NODE1_PORT="$NODE1_PORT" FO_NODE2_PORT="$NODE2_PORT"
FO_PG_ENV=$(pg_env); export FO_PG_ENV
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
pgaf = stacklib.PgAutoFailover(T, os.environ["FO_PG_ENV"], {"node1": os.environ["FO_NODE1_PORT"],
                                                            "node2": os.environ["FO_NODE2_PORT"]})


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
        pgaf.stop_node("node1")
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
    keeper = pgaf.run_keeper("node1")
    pgaf.wait_states({"node1": "secondary", "node2": "primary"}, 150)
    print("node1 rejoined as the standby in %.1f s" % (time.monotonic() - t0))

    def switchover():
        t = time.monotonic()
        r = pgaf.autoctl("perform", "switchover", "--pgdata", os.path.join(T, "monitor"),
                    capture_output=True, text=True, timeout=150)
        assert r.returncode == 0, r.stdout + r.stderr
        print("pg_autoctl perform switchover took %.1f s" % (time.monotonic() - t))
        return t

    took, gap = posting("switch", switchover)
    print("SWITCHOVER: longest time without an acknowledged post %.1f s" % gap)
    pgaf.wait_states({"node1": "primary", "node2": "secondary"}, 60)
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
    rows = pgaf.psql("node1", "SELECT id, body FROM messages WHERE channel_id = %d AND body LIKE 'fo-%%'" % cid)
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
        pgaf.stop_node("node1")
        keeper.wait(30)
for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
PY
state
echo "PASS: test_pg_failover"
