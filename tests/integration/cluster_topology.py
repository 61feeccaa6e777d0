"""cluster_topology.py: the scenarios of tests/integration/
test_cluster_topology.sh, which starts the pg_auto_failover formation and
passes it in TOPO_* variables. Three nodes (stacklib.Stack) on the
multi-host conninfo, HAProxy (stacklib.HAProxy) in front; 16 clients post
through HAProxy in each scenario:
  A. SIGKILL of one node (plexichat.fcgi and lighttpd) under the posters
     and 200 SSE subscribers: failed posts only among those in flight at
     the kill; every subscriber of the killed node resumes through HAProxy
     with Last-Event-ID and every subscriber has every acknowledged
     message once, in order;
  B. the PostgreSQL primary stopped at once: posts resume on the promoted
     standby; failures only 503 in the central error format
     (SYSTEM_DB_UNAVAILABLE from a node, SYSTEM_UNAVAILABLE from HAProxy
     while no node is ready);
  C. rolling upgrade: the expand migration (tests/cluster/migrations/990)
     applied by `plexichat-admin migrate` of the new build while the old
     one serves, each node drained, stopped, started on the new build
     (its sql_dir ships 990) and undrained; the contract migration (991,
     tagged `-- contract-after: 990`) is refused while a node runs the old
     build and applied once none does: no failed post.
At the end every acknowledged message is on the primary exactly once.
Prints the figures (FIGURE lines)."""
import glob
import json
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.request

import stacklib

T = os.environ["TOPO_T"]
HAPROXY_SRC = "127.0.0.2"
POSTERS, SUBSCRIBERS = 16, 200
FILES = os.path.join(os.environ["PX_WORK"], "var", "files")
pgaf = stacklib.PgAutoFailover(T, os.environ["TOPO_PG_ENV"], {"node1": os.environ["TOPO_NODE1_PORT"],
                                                             "node2": os.environ["TOPO_NODE2_PORT"]})
nodes = []
for i in range(3):
    s = stacklib.Stack("topo-%d" % i, {"db_conninfo": os.environ["TOPO_CONNINFO"], "rate_limit": "off",
                                       "trusted_proxies": HAPROXY_SRC, "log_level": "warn",
                                       "events_max_streams_per_user": 1000,
                                       "events_max_streams_per_addr": 2000}, FILES)
    s.set("node_address", "127.0.0.1:%d" % s.port)
    if i == 0:
        r = s.admin("migrate")
        assert r.returncode == 0, r.stdout + r.stderr
    nodes.append(s.start())
hap = stacklib.HAProxy(nodes, HAPROXY_SRC)
os.environ["PX_BASE_URL"] = hap.url
os.environ["PX_CONFIG"] = nodes[0].conf
import pxtest  # noqa: E402  (reads PX_BASE_URL)
from msglib import User, channel  # noqa: E402  (uses PX_CONFIG)

failures = []


def addr(s):
    return "127.0.0.1:%d" % s.port


def routed(n=12):
    """The node addresses HAProxy sent n readiness requests to."""
    seen = set()
    for _ in range(n):
        try:
            with urllib.request.urlopen(hap.url + "/api/v1/system/ready", timeout=5) as r:
                seen.add(json.loads(r.read())["address"])
        except OSError:
            pass
    return seen


class Posting:
    """POSTERS clients posting to channel cid through HAProxy, each about 5
    a second, until stop(). acked: (body, id, t_start, t_end); failed:
    (status or exception, body, t_start, t_end)."""

    def __init__(self, tag, users, cid):
        self.tag, self.cid = tag, cid
        self.lock = threading.Lock()
        self.acked, self.failed = [], []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(n, u), daemon=True)
                        for n, u in enumerate(users)]
        for t in self.threads:
            t.start()

    def client(self, n, u):
        i = 0
        while not self.done.is_set():
            i += 1
            body = "topo-%s-%d-%d" % (self.tag, n, i)
            t0 = time.time()
            try:
                r = u.call("POST", "/api/v1/channels/%d/messages" % self.cid, {"body": body})
                res = (r.status, r.body)
            except OSError as e:
                res = (repr(e), b"")
            t1 = time.time()
            with self.lock:
                if res[0] == 201:
                    self.acked.append((body, r.json()["id"], t0, t1))
                else:
                    self.failed.append((res[0], res[1][:300], t0, t1))
            time.sleep(0.2)

    def first_after(self, t):
        """When the first post started after t was acknowledged, or None."""
        with self.lock:
            ends = [a[3] for a in self.acked if a[2] > t]
        return min(ends) if ends else None

    def count_after(self, t):
        with self.lock:
            return len([a for a in self.acked if a[2] > t])

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(30)
        print("  %s: %d posts acknowledged, %d failed" % (self.tag, len(self.acked), len(self.failed)))


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def scenario_a(users, cid):
    print("== A: SIGKILL of a node under %d posters and %d SSE subscribers" % (POSTERS, SUBSCRIBERS))
    subs = [stacklib.Subscriber(hap.port, users[i % len(users)].token, cid) for i in range(SUBSCRIBERS)]
    for s in subs:
        s.start()
    for s in subs:
        assert s.connected.wait(30), "a subscriber did not connect"
    p = Posting("A", users, cid)
    time.sleep(3)
    victim = nodes[0]
    t_kill = time.time()
    victim.halt(signal.SIGKILL)
    t_dead = time.time()
    time.sleep(5)
    p.stop()
    want = [a[1] for a in p.acked]
    wanted = set(want)
    complete = pxtest.wait_for(lambda: all(wanted <= set(s.got) for s in subs), timeout=30)
    for s in subs:
        s.stop = True
    cut = [s for s in subs if s.cuts]
    resumed = [s.resumed_at for s in cut if s.resumed_at]
    last = max(resumed) - t_kill if resumed else -1
    print("FIGURE A: %d of %d subscribers were on the killed node; the last resumed %.2f s after the SIGKILL"
          % (len(cut), len(subs), last))
    expect(len(want) > 100, "A: only %d posts acknowledged" % len(want))
    expect(len(cut) >= SUBSCRIBERS // 6, "A: only %d subscribers cut (leastconn spreads them)" % len(cut))
    expect(len(resumed) == len(cut), "A: %d cut subscribers did not resume" % (len(cut) - len(resumed)))
    expect(complete, "A: subscribers missed messages: %r" % [
        sorted(wanted - set(s.got))[:5] for s in subs if not wanted <= set(s.got)][:3])
    for s in subs:
        mine = [m for m in s.got if m in wanted]
        if len(mine) != len(set(mine)) or mine != sorted(mine):
            expect(False, "A: a subscriber got a message twice or out of order")
            break
    # only requests in flight while the node was killed may fail
    late = [f for f in p.failed if not (f[2] <= t_dead and f[3] >= t_kill)]
    expect(not late, "A: posts failed that were not in flight at the SIGKILL: %r" % late[:3])
    print("FIGURE A: %d posts in flight at the SIGKILL failed: %r" % (len(p.failed), [f[0] for f in p.failed]))
    victim.start()
    expect(pxtest.wait_for(lambda: hap.status(victim) == "UP", timeout=15),
           "A: HAProxy does not take the restarted node back")
    return p


def scenario_b(users, cid):
    print("== B: the PostgreSQL primary stopped under %d posters" % POSTERS)
    old = pgaf.primary()
    assert old, pgaf.states()
    p = Posting("B", users, cid)
    time.sleep(3)
    pgaf.stop_node(old)
    t_stop = time.time()
    print("  primary %s stopped (pg_autoctl stop --immediate)" % old)
    ok = pxtest.wait_for(lambda: p.first_after(t_stop) and p.count_after(t_stop) > 30, timeout=90)
    p.stop()
    first = p.first_after(t_stop)
    expect(ok, "B: posts did not resume within 90 s")
    if first:
        print("FIGURE B: %.1f s from the stop of the primary to the first acknowledged post" % (first - t_stop))
    new = pgaf.primary()
    expect(new and new != old, "B: no new primary: %r" % pgaf.states())
    # every failure is a 503 in the central error format: from a node
    # without its database, or from HAProxy (dist/haproxy/plexichat.cfg's
    # http-error) while no node is ready
    kinds = {}
    for status, body, _, _ in p.failed:
        kind = "other"
        try:
            j = json.loads(body)
            if (status == 503 and j.get("http_status") == 503 and j.get("message") and j.get("correlation_id")
                    and j.get("error_code") in ("SYSTEM_DB_UNAVAILABLE", "SYSTEM_UNAVAILABLE")):
                kind = "503 " + j["error_code"]
        except ValueError:
            pass
        kinds[kind] = kinds.get(kind, 0) + 1
    print("FIGURE B: failed posts by answer: %r" % kinds)
    expect("other" not in kinds, "B: failures other than 503 in the central format: %r" % [
        f[:2] for f in p.failed if f[0] != 503 or not f[1].startswith(b"{")][:3])
    # the old primary rejoins as the standby of the new one
    keeper = pgaf.run_keeper(old)
    t0 = time.time()
    pgaf.wait_states({old: "secondary", new: "primary"}, 90)
    print("  %s rejoined as the standby in %.1f s" % (old, time.time() - t0))
    return p, (old, keeper)


def sql_dir(with_names):
    """A build's sql_dir: the product's migrations plus the test's named ones."""
    d = tempfile.mkdtemp(prefix="sql-", dir=T)
    os.chmod(d, 0o755)
    for f in glob.glob(os.path.join(stacklib.ROOT, "sql", "*.sql")):
        os.symlink(f, os.path.join(d, os.path.basename(f)))
    for n in with_names:
        os.symlink(os.path.join(stacklib.ROOT, "tests", "cluster", "migrations", n), os.path.join(d, n))
    return d


def probe_column():
    return pgaf.psql(pgaf.primary(), "SELECT count(*) FROM information_schema.columns "
                     "WHERE table_name = 'messages' AND column_name = 'upgrade_probe'")[0][0] == "1"


def node_schemas():
    """address -> schema of every registered node process."""
    return {a: int(v) for a, v in pgaf.psql(pgaf.primary(), "SELECT address, schema_version FROM cluster_nodes")}


def scenario_c(users, cid):
    print("== C: rolling upgrade under %d posters (expand 990, restart each node, contract 991)" % POSTERS)
    expand = sql_dir(["990_upgrade_probe_expand.sql"])
    contract = sql_dir(["990_upgrade_probe_expand.sql", "991_upgrade_probe_contract.sql"])
    p = Posting("C", users, cid)
    time.sleep(2)
    # 1. the new build's migrate, while every node runs the old build
    nodes[0].set("sql_dir", expand)
    t0 = time.time()
    r = nodes[0].admin("migrate")
    expect(r.returncode == 0, "C: expand migrate failed: " + r.stdout + r.stderr)
    print("  expand migration applied in %.2f s under load" % (time.time() - t0))
    expect(probe_column(), "C: the expand migration did not add the column")
    time.sleep(2)
    # 2. one node after the other
    for s in nodes:
        t0 = time.time()
        r = s.admin("cluster", "drain", addr(s))
        expect(r.returncode == 0, "C: drain: " + r.stdout + r.stderr)
        # its ready answers 503 from its next heartbeat on; HAProxy takes
        # it out after two failed checks (HAProxy retries a request the
        # node refuses with 503 SYSTEM_DRAINING meanwhile)
        expect(pxtest.wait_for(lambda: hap.status(s) == "DOWN", timeout=15), "C: HAProxy still routes to "
               + addr(s))
        s.halt()
        s.set("sql_dir", expand)
        s.start()
        r = s.admin("cluster", "undrain", addr(s))
        expect(r.returncode == 0, "C: undrain: " + r.stdout + r.stderr)
        expect(pxtest.wait_for(lambda: hap.status(s) == "UP", timeout=15), "C: HAProxy does not route to "
               + addr(s) + " again")
        print("  %s upgraded in %.1f s (drain, stop, start, undrain)" % (addr(s), time.time() - t0))
        if s is nodes[0]:
            # the contract step refuses to run while other nodes run the old build
            s.set("sql_dir", contract)
            r = s.admin("migrate")
            # doctor names the waiting step instead of calling the schema current
            d = s.admin("doctor")
            s.set("sql_dir", expand)
            expect("1 contract step in" in d.stdout + d.stderr and "every migration" not in d.stdout,
                   "C: doctor does not name the waiting contract step: %r" % (d.stdout + d.stderr)[-400:])
            expect(r.returncode != 0 and "contract step" in r.stderr and "upgrade every node first" in r.stderr,
                   "C: the contract migration ran beside old builds: %r" % (r.stdout + r.stderr))
            expect(probe_column(), "C: the refused contract migration dropped the column")
            print("  contract migration refused while 2 nodes run the old build: " + r.stderr.strip()[-120:])
    # 3. the contract step, once every node runs the build that shipped 990
    expect(pxtest.wait_for(lambda: set(node_schemas().values()) == {990}, timeout=10),
           "C: not every node reports schema 990: %r" % node_schemas())
    nodes[0].set("sql_dir", contract)
    r = nodes[0].admin("migrate")
    expect(r.returncode == 0, "C: contract migrate failed: " + r.stdout + r.stderr)
    expect(not probe_column(), "C: the contract migration did not drop the column")
    time.sleep(2)
    p.stop()
    expect(not p.failed, "C: %d posts failed: %r" % (len(p.failed), [f[:2] for f in p.failed[:3]]))
    return p


def check_stored(postings, cid):
    rows = pgaf.psql(pgaf.primary(), "SELECT id, body FROM messages WHERE channel_id = %d" % cid)
    by_body = {}
    for mid, body in rows:
        by_body.setdefault(body, []).append(int(mid))
    acked = [a for p in postings for a in p.acked]
    dups = {b: ids for b, ids in by_body.items() if len(ids) > 1}
    lost = [(b, i) for b, i, _, _ in acked if by_body.get(b) != [i]]
    print("FIGURE: %d posts acknowledged in all, %d rows stored, %d duplicated, %d acknowledged missing"
          % (len(acked), len(rows), len(dups), len(lost)))
    expect(not dups, "duplicated: %r" % list(dups.items())[:3])
    expect(not lost, "acknowledged but not stored once: %r" % lost[:3])


def main():
    keeper = None
    try:
        owner = User("topo")
        cid = channel(owner)["id"]
        users = [owner] + [User("topo%d" % i) for i in range(1, POSTERS)]
        for u in users[1:]:
            u.ok("POST", "/api/v1/channels/%d/members" % cid, {})
        assert pxtest.wait_for(lambda: routed() == {addr(s) for s in nodes}, timeout=15), routed()
        postings = [scenario_a(users, cid)]
        pb, keeper = scenario_b(users, cid)
        postings.append(pb)
        postings.append(scenario_c(users, cid))
        check_stored(postings, cid)
    except Exception:
        import traceback
        traceback.print_exc()
        failures.append("exception")
    finally:
        if failures:
            for s in nodes:
                print(s.log_tail(15))
        hap.stop()
        for s in nodes:
            s.stop()
        if keeper:
            pgaf.stop_node(keeper[0])
            keeper[1].wait(30)
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


main()
