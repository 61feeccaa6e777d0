"""cluster_pg_faults.py: the scenarios of tests/integration/
test_cluster_pg_faults.sh, which starts the pg_auto_failover formation and
passes it in PGF_* variables. Node A lists the PostgreSQL nodes in the
doc's order (node1 first), node B the other way round; both with
target_session_attrs=read-write. Clients post straight to the nodes (no
HAProxy, so that what a node answers is what the client sees):
  1. fenced: the primary turned read-only (default_transaction_read_only)
     under the nodes' open connections: posts answer 503
     SYSTEM_DB_UNAVAILABLE (the statement fails with SQLSTATE 25006; the
     node drops that connection, and a new one finds no read-write
     server), never 500; posts work again at once after the fence is
     lifted;
  2. split: the primary's pg_autoctl processes frozen (SIGSTOP) while the
     monitor fails over, so the old primary keeps serving as a primary
     beside the promoted standby: posts on node A, still connected to it,
     wait (synchronous replication: the old primary has no standby left)
     and are never acknowledged there; reads on A are stale; node B,
     restarted during the split, writes on the new primary; once the
     keeper runs again the old primary is demoted, A's waiting posts go
     to the new primary, and every acknowledged post is there once;
  3. the standby lagging: (a) replay paused: posts go on unslowed
     (synchronous_commit = on waits for the flush, not the replay);
     (b) its WAL stream stalled (walreceiver SIGSTOP): posts wait, without
     an error, as long as the stall lasts, because the monitor still finds
     the standby healthy and keeps replication synchronous, and are
     acknowledged once it ends; through HAProxy (timeout server lowered to
     3 s) a post gets HAProxy's 504 SYSTEM_TIMEOUT in the central format
     (dist/haproxy/plexichat.cfg's http-error) and is stored once after
     the stall; (c) the standby stopped: posts wait until
     the monitor gives it up (wait_primary), then go on.
At the end every acknowledged post is on the primary exactly once.
Prints the figures (FIGURE lines)."""
import http.client
import json
import os
import signal
import sys
import threading
import time

import stacklib

T = os.environ["PGF_T"]
P1, P2 = os.environ["PGF_NODE1_PORT"], os.environ["PGF_NODE2_PORT"]
MONITOR_PORT = os.environ["PGF_MONITOR_PORT"]
CONNINFO = os.environ["PGF_CONNINFO"]
FILES = os.path.join(os.environ["PX_WORK"], "var", "files")
pgaf = stacklib.PgAutoFailover(T, os.environ["PGF_PG_ENV"], {"node1": P1, "node2": P2})
PORTS = {"node1": P1, "node2": P2}
REVERSED = CONNINFO.replace("port=%s,%s" % (P1, P2), "port=%s,%s" % (P2, P1))
assert REVERSED != CONNINFO, CONNINFO


def stack(name, conninfo):
    s = stacklib.Stack(name, {"db_conninfo": conninfo, "rate_limit": "off", "log_level": "warn"}, FILES)
    s.set("node_address", "127.0.0.1:%d" % s.port)
    return s


A = stack("pgf-a", CONNINFO)
r = A.admin("migrate")
assert r.returncode == 0, r.stdout + r.stderr
A.start()
B = stack("pgf-b", REVERSED).start()
os.environ["PX_BASE_URL"] = A.url
os.environ["PX_CONFIG"] = A.conf
import pxtest  # noqa: E402  (reads PX_BASE_URL)
from msglib import User, channel  # noqa: E402  (uses PX_CONFIG)

failures = []
postings = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def call(node, method, path, token, body=None, timeout=120):
    """(status, parsed JSON or raw bytes) from node (a Stack or an HAProxy)."""
    h = {"Authorization": "Bearer " + token}
    if body is not None:
        h["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=timeout)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(data)
    except ValueError:
        return resp.status, data


class Posting:
    """One client per (node, user) posting to channel cid about 10 times a
    second until stop(). acked: (body, id, t_start, t_end, node); failed:
    (status or exception, error_code, t_start, t_end, node)."""

    def __init__(self, tag, clients, cid):
        self.tag, self.cid = tag, cid
        self.lock = threading.Lock()
        self.acked, self.failed = [], []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(n, node, u), daemon=True)
                        for n, (node, u) in enumerate(clients)]
        for t in self.threads:
            t.start()
        postings.append(self)

    def client(self, n, node, u):
        i = 0
        while not self.done.is_set():
            i += 1
            body = "pgf-%s-%d-%d" % (self.tag, n, i)
            t0 = time.time()
            try:
                status, j = call(node, "POST", "/api/v1/channels/%d/messages" % self.cid, u.token,
                                 {"body": body})
            except (OSError, http.client.HTTPException) as e:
                status, j = repr(e), None
            t1 = time.time()
            name = "A" if node is A else "B"
            with self.lock:
                if status == 201:
                    self.acked.append((body, j["id"], t0, t1, name))
                elif isinstance(j, dict):
                    # the central error format, else marked as not
                    central = j.get("correlation_id") and j.get("message") and j.get("http_status") == status
                    self.failed.append((status, j.get("error_code") if central else "not central: %r"
                                        % j.get("error_code"), t0, t1, name))
                else:
                    self.failed.append((status, repr(j)[:80], t0, t1, name))
            time.sleep(0.1)

    def acked_after(self, t, node=None):
        """Acknowledged posts started after t (on node "A" or "B")."""
        with self.lock:
            return [a for a in self.acked if a[2] > t and (node is None or a[4] == node)]

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(150)
        print("  %s: %d posts acknowledged, %d failed" % (self.tag, len(self.acked), len(self.failed)))


def codes(failed):
    out = {}
    for f in failed:
        k = "%s %s" % (f[0], f[1])
        out[k] = out.get(k, 0) + 1
    return out


def lag_bytes(primary):
    """flush - replay position of the standby as the primary sees it."""
    rows = pgaf.sql(PORTS[primary], "SELECT pg_wal_lsn_diff(flush_lsn, replay_lsn) FROM pg_stat_replication",
                    "postgres")
    return int(float(rows[0][0])) if rows and rows[0][0] else None


def standby_of(primary):
    return "node2" if primary == "node1" else "node1"


def scenario_fence(users, cid):
    print("== 1: the primary fenced read-only under the nodes' open connections")
    prim = pgaf.primary()
    p = Posting("fence", [(A, users[0]), (B, users[1])], cid)
    time.sleep(1.5)
    expect(len(p.acked) > 10, "fence: only %d posts before the fence" % len(p.acked))
    t_fence = time.time()
    pgaf.sql(PORTS[prim], "ALTER SYSTEM SET default_transaction_read_only = on", "postgres")
    pgaf.sql(PORTS[prim], "SELECT pg_reload_conf()", "postgres")
    time.sleep(3)
    during = [call(A, "GET", "/api/v1/channels/%d/messages" % cid, users[0].token),
              call(A, "GET", "/api/v1/system/ready", users[0].token)]
    pgaf.sql(PORTS[prim], "ALTER SYSTEM RESET default_transaction_read_only", "postgres")
    pgaf.sql(PORTS[prim], "SELECT pg_reload_conf()", "postgres")
    # lifted once the reload returned: the two psql runs before it take a
    # second on a loaded machine, and the fence holds until they are done
    t_lift = time.time()
    back = pxtest.wait_for(lambda: {a[4] for a in p.acked_after(t_lift)} == {"A", "B"}, timeout=15, step=0.1)
    t_back = max(min(a[3] for a in p.acked_after(t_lift, n)) for n in ("A", "B")) if back else -1
    time.sleep(1)
    p.stop()
    held = [f for f in p.failed if t_fence <= f[3]]
    print("FIGURE 1: during the fence (3 s) %d posts answered %r; both nodes posting again %.2f s after "
          "the fence was lifted" % (len(held), codes(held), t_back - t_lift))
    expect(held, "fence: no post failed while the primary was read-only")
    expect(all(f[0] == 503 and f[1] == "SYSTEM_DB_UNAVAILABLE" for f in p.failed),
           "fence: answers other than 503 SYSTEM_DB_UNAVAILABLE: %r" % codes(p.failed))
    expect(not [f for f in p.failed if f[3] < t_fence or f[2] > t_lift + 1],
           "fence: posts failed outside the fence")
    # reads need no write: they work on a connection still open to the
    # fenced primary, or fail like the posts on one that is not
    for (status, j), what in zip(during, ("history", "ready")):
        print("  %s on node A during the fence: %d %s" % (what, status, j.get("error_code", "") if isinstance(
            j, dict) else ""))
        expect(status == 200 or (status == 503 and isinstance(j, dict)
                                 and j.get("error_code") == "SYSTEM_DB_UNAVAILABLE"),
               "fence: %s during the fence: %r %r" % (what, status, j))
    expect(back, "fence: posts did not resume on both nodes")


def scenario_split(users, cid):
    print("== 2: a split: the old primary serves on (keeper frozen) while the monitor fails over")
    old = pgaf.primary()
    new = standby_of(old)
    pa = Posting("split-a", [(A, users[0]), (A, users[1])], cid)
    time.sleep(1.5)
    sid = pgaf.freeze_keeper(old)
    try:
        t_fo = time.time()
        pgaf.sql(MONITOR_PORT, "SELECT pgautofailover.perform_failover('default', 0)", "pg_auto_failover")
        promoted = pxtest.wait_for(lambda: pgaf.states().get(new, ("",))[0] in ("wait_primary", "primary"),
                                   timeout=60, step=0.2)
        t_promoted = time.time()
        expect(promoted, "split: %s not promoted: %r" % (new, pgaf.states()))
        # the old primary still takes connections as a read-write server
        ro = pgaf.sql(PORTS[old], "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')",
                      "postgres")
        expect(ro == [["f", "off"]], "split: the old primary is not serving as a primary: %r" % ro)
        # node B starts during the split: its conninfo tries the new primary first
        B.halt(signal.SIGKILL)
        B.start()
        pb = Posting("split-b", [(B, users[2])], cid)
        expect(pxtest.wait_for(lambda: len(pb.acked) >= 5, timeout=15), "split: node B cannot post")
        hung_a = pa.acked_after(t_promoted)
        # reads on A come from the old primary: stale
        b_before = {a[1] for a in pb.acked}
        status, hist_a = call(A, "GET", "/api/v1/channels/%d/messages?limit=100" % cid, users[0].token)
        status_b, hist_b = call(B, "GET", "/api/v1/channels/%d/messages?limit=100" % cid, users[0].token)
        b_ids = {a[1] for a in pb.acked}
        seen_a = {m["id"] for m in hist_a.get("messages", [])} if isinstance(hist_a, dict) else set()
        seen_b = {m["id"] for m in hist_b.get("messages", [])} if isinstance(hist_b, dict) else set()
        print("FIGURE 2: %s promoted %.1f s after the failover began; during the split node A acknowledged "
              "%d posts, node B %d; A's history shows %d of B's posts, B's %d"
              % (new, t_promoted - t_fo, len(hung_a), len(pb.acked), len(b_ids & seen_a), len(b_ids & seen_b)))
        expect(status == 200 and status_b == 200, "split: history %r %r" % (status, status_b))
        expect(not hung_a, "split: node A acknowledged posts on the old primary: %r" % hung_a[:3])
        expect(not (b_ids & seen_a) and b_before <= seen_b,
               "split: A's reads are not the old primary's or B's not the new one's")
        time.sleep(2)
    finally:
        t_thaw = time.time()
        pgaf.thaw(sid)
    ok = pxtest.wait_for(lambda: len(pa.acked_after(t_promoted)) >= 2, timeout=30, step=0.1)
    first = min(a[3] for a in pa.acked_after(t_promoted)) if ok else -1
    time.sleep(1)
    pa.stop()
    pb.stop()
    waited = [a for a in pa.acked if a[2] < t_thaw < a[3]]
    print("FIGURE 2: keeper running again: node A's first post acknowledged %.2f s later (on %s); %d posts "
          "had waited through the split (longest %.1f s); failed: %r"
          % (first - t_thaw, new, len(waited), max([a[3] - a[2] for a in waited] or [0]),
             codes(pa.failed + pb.failed)))
    expect(ok, "split: node A did not post again after the old primary was demoted")
    expect(all(f[0] == 503 and str(f[1]).startswith("SYSTEM_") for f in pa.failed + pb.failed),
           "split: answers other than 503 SYSTEM_*: %r" % codes(pa.failed + pb.failed))
    expect(pgaf.primary() == new, "split: %s is not the primary: %r" % (new, pgaf.states()))
    t0 = time.time()
    pgaf.wait_states({old: "secondary", new: "primary"}, 90)
    print("  %s rejoined as the standby in %.1f s" % (old, time.time() - t0))


def scenario_lag(users, cid):
    prim = pgaf.primary()
    stby = standby_of(prim)
    print("== 3a: the standby's replay paused")
    p = Posting("replay", [(A, users[0]), (A, users[1])], cid)
    time.sleep(1.5)
    t_pause = time.time()
    pgaf.sql(PORTS[stby], "SELECT pg_wal_replay_pause()", "postgres")
    time.sleep(3)
    lag = lag_bytes(prim)
    t_resume = time.time()
    pgaf.sql(PORTS[stby], "SELECT pg_wal_replay_resume()", "postgres")
    caught = pxtest.wait_for(lambda: lag_bytes(prim) == 0, timeout=10)
    p.stop()
    before = sorted(a[3] - a[2] for a in p.acked if a[2] < t_pause)
    paused = sorted(a[3] - a[2] for a in p.acked if t_pause < a[2] and a[3] < t_resume)
    print("FIGURE 3a: replay paused 3 s: %d posts acknowledged meanwhile, median %.0f ms (before: %.0f ms), "
          "replay lag %s bytes, caught up after resume: %s"
          % (len(paused), 1000 * paused[len(paused) // 2] if paused else -1,
             1000 * before[len(before) // 2] if before else -1, lag, caught))
    expect(len(paused) > 10, "3a: posts did not go on while replay was paused")
    expect(lag and lag > 0, "3a: no replay lag while paused: %r" % lag)
    expect(caught, "3a: the standby did not catch up")
    expect(not p.failed, "3a: posts failed: %r" % codes(p.failed))

    print("== 3b: the standby's WAL stream stalled (walreceiver SIGSTOP) for 6 s")
    wr = pgaf.walreceiver(stby)
    expect(wr, "3b: no walreceiver on " + stby)
    # HAProxy in front of A with timeout server 3 s (the file's is 60 s)
    hap = stacklib.HAProxy([A], "127.0.0.1", timeout_server=3)
    via = {}
    p = Posting("stall", [(A, users[0]), (A, users[1])], cid)
    time.sleep(1.5)
    t_stall = time.time()
    os.kill(wr, signal.SIGSTOP)
    try:
        time.sleep(0.2)
        t0 = time.time()
        via["answer"] = call(hap, "POST", "/api/v1/channels/%d/messages" % cid, users[2].token,
                             {"body": "pgf-stall-haproxy"}, timeout=30)
        via["after"] = time.time() - t0
        time.sleep(max(0, t_stall + 6 - time.time()))
        states = {n: v for n, v in pgaf.states().items() if n in PORTS}
        during = [a for a in p.acked if a[2] > t_stall + 0.5 and a[3] < time.time()]
    finally:
        t_end = time.time()
        os.kill(wr, signal.SIGCONT)
    resumed = pxtest.wait_for(lambda: p.acked_after(t_end), timeout=15, step=0.1)
    time.sleep(1)
    p.stop()
    hap.stop()
    status, j = via["answer"]
    stored = pgaf.psql(prim, "SELECT count(*) FROM messages WHERE channel_id = %d AND body = 'pgf-stall-haproxy'"
                       % cid)[0][0]
    print("FIGURE 3b: the post through HAProxy (timeout server 3 s) answered %r %s after %.1f s; "
          "stored after the stall: %s" % (status, j.get("error_code") if isinstance(j, dict) else j[:80],
                                          via["after"], stored))
    expect(status == 504 and isinstance(j, dict) and j.get("error_code") == "SYSTEM_TIMEOUT"
           and j.get("http_status") == 504 and j.get("correlation_id") and j.get("message"),
           "3b: HAProxy's timeout is not a 504 SYSTEM_TIMEOUT in the central format: %r %r" % (status, j))
    expect(stored == "1", "3b: the post HAProxy gave up on is stored %s times, not once" % stored)
    waited = [a for a in p.acked if a[2] < t_end < a[3]]
    print("FIGURE 3b: stream stalled 6 s: %d posts acknowledged during the stall, %d waited through it "
          "(longest %.1f s) and were acknowledged %.2f s after it ended; monitor meanwhile: %r; failed: %r"
          % (len(during), len(waited), max([a[3] - a[2] for a in waited] or [0]),
             (max(a[3] for a in waited) - t_end) if waited else -1, states, codes(p.failed)))
    expect(not during, "3b: posts were acknowledged while the synchronous standby received nothing")
    expect(waited, "3b: no post waited through the stall")
    expect(states.get(prim) == ("primary", "primary"),
           "3b: the monitor changed the primary's state: %r" % states)
    expect(resumed, "3b: posts did not resume after the stall")
    expect(not p.failed, "3b: posts failed: %r" % codes(p.failed))

    print("== 3c: the standby stopped")
    p = Posting("stopped", [(A, users[0]), (A, users[1])], cid)
    time.sleep(1.5)
    pgaf.stop_node(stby)
    t_stop = time.time()
    ok = pxtest.wait_for(lambda: len(p.acked_after(t_stop)) >= 5, timeout=60, step=0.1)
    gap = (min(a[3] for a in p.acked_after(t_stop)) - t_stop) if ok else -1
    states = {n: v for n, v in pgaf.states().items() if n in PORTS}
    p.stop()
    print("FIGURE 3c: standby stopped: the first post started after it acknowledged %.2f s later; "
          "primary now %r; failed: %r" % (gap, states.get(prim), codes(p.failed)))
    expect(ok, "3c: posts did not go on without the standby")
    expect(states.get(prim) == ("wait_primary", "wait_primary"), "3c: primary not in wait_primary: %r" % states)
    expect(not p.failed, "3c: posts failed: %r" % codes(p.failed))
    keeper = pgaf.run_keeper(stby)
    t0 = time.time()
    pgaf.wait_states({stby: "secondary", prim: "primary"}, 90)
    print("  %s back as the synchronous standby in %.1f s" % (stby, time.time() - t0))
    return stby, keeper


def check_stored(cid):
    rows = pgaf.psql(pgaf.primary(), "SELECT id, body FROM messages WHERE channel_id = %d" % cid)
    by_body = {}
    for mid, body in rows:
        by_body.setdefault(body, []).append(int(mid))
    acked = [a for p in postings for a in p.acked]
    dups = {b: ids for b, ids in by_body.items() if len(ids) > 1}
    lost = [(a[0], a[1]) for a in acked if by_body.get(a[0]) != [a[1]]]
    print("FIGURE: %d posts acknowledged in all, %d rows stored, %d duplicated, %d acknowledged missing"
          % (len(acked), len(rows), len(dups), len(lost)))
    expect(not dups, "duplicated: %r" % list(dups.items())[:3])
    expect(not lost, "acknowledged but not stored once: %r" % lost[:3])


def main():
    keeper = None
    try:
        owner = User("pgf")
        cid = channel(owner)["id"]
        users = [owner] + [User("pgf%d" % i) for i in range(1, 3)]
        for u in users[1:]:
            u.ok("POST", "/api/v1/channels/%d/members" % cid, {})
        scenario_fence(users, cid)
        scenario_split(users, cid)
        keeper = scenario_lag(users, cid)
        check_stored(cid)
    except Exception:
        import traceback
        traceback.print_exc()
        failures.append("exception")
    finally:
        for p in postings:
            p.done.set()
        if failures:
            for s in (A, B):
                print(s.log_tail(15))
        for s in (A, B):
            s.stop()
        if keeper:
            pgaf.stop_node(keeper[0])
            keeper[1].wait(30)
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


main()
