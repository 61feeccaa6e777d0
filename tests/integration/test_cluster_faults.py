"""Faults in a cluster (issue 18, docs/CLUSTERING.md "Faults"): two
PlexiChat nodes (stacklib.py, plexichat.fcgi + lighttpd each) behind
HAProxy (dist/haproxy/plexichat.cfg), sharing the suite's PostgreSQL.

- HAProxy restarted (hard stop, start) under posters and SSE subscribers:
  only the requests it held fail, connections are refused while it is
  away, every subscriber resumes with Last-Event-ID and misses nothing,
  no acknowledged post is lost.
- A node whose clock is ten minutes ahead (libfaketime): its registry row
  keeps a fresh heartbeat and is removed in time after a SIGKILL, its posts
  get the database's time, sessions made on it work on the other node and
  the other way round, it takes current TOTP codes and finishes a web
  sign-in whose second step the other node started.
- A node that loses its database for 30 s (its connections go through a
  Unix socket proxy here that the test cuts): it answers 503
  SYSTEM_DB_UNAVAILABLE in the central format, `ready` too, so HAProxy
  takes it out (the posts it got meanwhile are retried on the other node);
  then it comes back by itself, and no acknowledged post through HAProxy
  is lost.
Starts its own servers: in scripts/test.sh's ONCE list."""
import glob
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time

import authlib
import pxtest
import stacklib
import webcheck
from msglib import PASSWORD, User, channel

HAPROXY_SRC = "127.0.0.2"
# Debian's faketime package; the MT flavour because plexichat.fcgi has threads
FAKETIME_LIB = (glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") or ["libfaketimeMT.so.1"])[0]
nodes = []
hap = {}


def addr(stack):
    return "127.0.0.1:%d" % stack.port


def call(port, method, path, token=None, body=None, timeout=10):
    """(status, parsed JSON or raw bytes) from 127.0.0.1:port."""
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        data = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def restart(stack):
    """Starts a halted stack, with what plexichat.fcgi said when it fails."""
    try:
        stack.start()
    except RuntimeError as e:
        with open(os.path.join(stack.dir, "fcgi.err")) as f:
            raise RuntimeError("%s\n%s\n%s" % (e, f.read()[-2000:], stack.log_tail(10))) from None


def start_haproxy(port_from=None):
    h = stacklib.HAProxy(nodes, HAPROXY_SRC, port_from)
    hap.update(obj=h, url=h.url, port=h.port)


def setup():
    for name in ("fa", "fb"):
        s = stacklib.Stack("faults-" + name, {"trusted_proxies": HAPROXY_SRC, "rate_limit": "off",
                                              "node_heartbeat_seconds": "1", "node_expire_seconds": "4"},
                           os.path.join(os.environ["PX_WORK"], "var", "files"))
        s.set("node_address", addr(s))
        s.start()
        nodes.append(s)
    start_haproxy()
    assert pxtest.wait_for(lambda: all(hap["obj"].status(s) == "UP" for s in nodes), timeout=15), \
        "HAProxy does not reach both nodes"


class Poster(threading.Thread):
    """Posts to channel cid through port every 30 ms, recording the ids
    acknowledged (201) and every failure with its time and kind."""

    def __init__(self, port, token, cid, tag):
        super().__init__(daemon=True)
        self.port, self.token, self.cid, self.tag = port, token, cid, tag
        self.acked, self.failed = [], []
        self.stop = threading.Event()

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            t = time.time()
            try:
                status, j = call(self.port, "POST", "/api/v1/channels/%d/messages" % self.cid,
                                 self.token, {"body": "%s-%d" % (self.tag, i)})
                if status == 201:
                    self.acked.append(j["id"])
                else:
                    self.failed.append((t, status, j.get("error_code") if isinstance(j, dict) else j[:80]))
            except ConnectionRefusedError:
                self.failed.append((t, "refused", ""))
            except (OSError, http.client.HTTPException) as e:
                self.failed.append((t, "cut", repr(e)))
            time.sleep(0.03)


def in_db(ids):
    """How many of the message ids exist in the database."""
    if not ids:
        return 0
    p = subprocess.run(["psql", os.environ["PX_PG_CONNINFO"], "-Atc",
                        "SELECT count(*) FROM messages WHERE id = ANY('{%s}'::bigint[])"
                        % ",".join(str(i) for i in ids)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return int(p.stdout.strip())


def test_haproxy_restart_under_load():
    alice, bob = User("fra"), User("frb")
    c = channel(alice, "public")
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    subs = [stacklib.Subscriber(hap["port"], (bob if i % 2 else alice).token, c["id"]) for i in range(8)]
    for s in subs:
        s.start()
    for s in subs:
        assert s.connected.wait(10), "a subscriber did not connect"
    posters = [Poster(hap["port"], u.token, c["id"], u.name) for u in (alice, bob)]
    for p in posters:
        p.start()

    def n_acked():
        return sum(len(p.acked) for p in posters)
    # by count, not by time: on a loaded machine 4 s of posting held 45 posts
    assert pxtest.wait_for(lambda: n_acked() >= 25, timeout=30), n_acked()
    old_port = hap["port"]
    t_stop = time.time()
    hap["obj"].stop()  # SIGTERM: HAProxy's hard stop, what `systemctl restart` does
    time.sleep(1)
    t_start = time.time()
    start_haproxy(old_port)
    t_up = time.time()
    assert hap["port"] == old_port, (hap["port"], old_port)
    before = n_acked()
    after_ok = pxtest.wait_for(lambda: n_acked() >= before + 25, timeout=30)
    for p in posters:
        p.stop.set()
    for p in posters:
        p.join(15)
    acked = sorted(i for p in posters for i in p.acked)
    failed = [f for p in posters for f in p.failed]
    ok = pxtest.wait_for(lambda: all(set(acked) <= set(s.got) for s in subs), timeout=20)
    for s in subs:
        s.stop = True
    resumed = [s.resumed_at for s in subs if s.resumed_at]
    print("  %d posts acknowledged, %d failed (%d refused, %d cut: %r); %d of %d subscribers cut, "
          "last resumed %.2f s after HAProxy started" %
          (len(acked), len(failed), sum(1 for f in failed if f[1] == "refused"),
           sum(1 for f in failed if f[1] != "refused"), [f for f in failed if f[1] != "refused"][:3],
           sum(1 for s in subs if s.cuts), len(subs), (max(resumed) - t_up) if resumed else -1))
    assert after_ok, "fewer than 25 posts acknowledged in 30 s after HAProxy started: %d" % (
        len(acked) - before)
    # every acknowledged post is stored and reached every subscriber, once, in order
    assert in_db(acked) == len(acked), "an acknowledged post is not in the database"
    assert all(s.cuts for s in subs), "a subscriber's stream survived the restart"
    assert len(resumed) == len(subs), "a subscriber did not resume"
    assert ok, [sorted(set(acked) - set(s.got))[:5] for s in subs]
    for s in subs:
        mine = [m for m in s.got if m in set(acked)]
        assert len(mine) == len(set(mine)), "a message delivered twice"
        assert mine == sorted(mine), "messages out of order"
    # refused only while no HAProxy listened; cut (or an error) only for
    # the request each poster had in flight at the stop
    assert all(f[1] == "refused" and t_stop - 0.1 < f[0] < t_up for f in failed
               if f[1] == "refused"), [f for f in failed if f[1] == "refused"][:5]
    others = [f for f in failed if f[1] != "refused"]
    assert len(others) <= len(posters), others
    assert all(abs(f[0] - t_stop) < 0.5 for f in others), (t_stop, others)


def log_time(stack):
    """The time (epoch seconds) in the newest line of stack's log."""
    for line in reversed(stack.log_tail(50).splitlines()):
        m = re.match(r'\{"time":"([^"]+?)(\.\d+)?Z"', line)
        if m:
            return time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) - time.timezone
    return None


def oath(secret, offset=0):
    """The TOTP code for secret now (or offset seconds later), from oathtool."""
    return subprocess.run(["oathtool", "--totp", "-b", secret, "-N", "now %+d seconds" % offset],
                          capture_output=True, text=True, check=True).stdout.strip()


def enrolled(stack):
    """A new account with TOTP confirmed through stack: (name, secret)."""
    name, tok, _ = authlib.make_user(hap["admin"], prefix="fmfa")
    status, enrol = call(stack.port, "POST", "/api/v1/auth/mfa/enroll", tok)
    assert status == 201, (status, enrol)
    status, j = call(stack.port, "POST", "/api/v1/auth/mfa/confirm", tok, {"code": oath(enrol["secret"])})
    assert status == 200, (status, j)
    return name, enrol["secret"]


def registry(stack):
    """{node id: {age_seconds, ...}} from GET /api/v1/admin/cluster/nodes."""
    status, j = call(stack.port, "GET", "/api/v1/admin/cluster/nodes", hap["admin"])
    assert status == 200, (status, j)
    return {n["id"]: n for n in j["nodes"]}


def test_clock_ten_minutes_ahead():
    a, b = nodes
    hap["admin"] = authlib.admin_token()
    b.halt()
    # the wall clock ten minutes ahead; timers and waits (monotonic) stay real
    b.env = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "+10m", "DONT_FAKE_MONOTONIC": "1"}
    try:
        restart(b)
    finally:
        b.env = {}
    skew = log_time(b) - time.time()
    assert 590 < skew < 610, "the node's clock is not ahead: %r" % skew
    bid = "%s/%d" % (addr(b), b.fcgi_pid())
    # its heartbeat is fresh in the database's clock and stays so over
    # more than node_expire_seconds (4 s)
    for _ in range(6):
        reg = registry(a)
        assert bid in reg, (bid, list(reg))
        assert abs(reg[bid]["age_seconds"]) < 2.5, reg[bid]
        time.sleep(1)
    # posts through it get the database's time; ids keep the order
    u = User("fck")
    c = channel(u, "public")
    path = "/api/v1/channels/%d/messages" % c["id"]
    got = []
    for st in (a, b, a):
        status, j = call(st.port, "POST", path, u.token, {"body": "clock"})
        assert status == 201, (status, j)
        got.append(j)
    ids = [m["id"] for m in got]
    assert ids == sorted(ids), ids
    stamps = [time.mktime(time.strptime(m["created_at"][:19], "%Y-%m-%dT%H:%M:%S")) for m in got]
    assert max(stamps) - min(stamps) < 3, [m["created_at"] for m in got]
    # a session made on the skewed node works on the other and the other way round
    for made, used in ((b, a), (a, b)):
        status, j = call(made.port, "POST", "/api/v1/auth/login", None,
                         {"username": u.name, "password": PASSWORD})
        assert status == 200, (status, j)
        status, me = call(used.port, "GET", "/api/v1/auth/me", j["token"])
        assert status == 200 and me["user"]["id"] == u.id, (status, me)
    # a TOTP code is checked against the database's clock
    name, secret = enrolled(a)
    status, j = call(b.port, "POST", "/api/v1/auth/login", None,
                     {"username": name, "password": authlib.PASSWORD, "code": oath(secret, 30)})
    assert status == 200, (status, j)
    # so is the expiry of the web sign-in's second step: started on A,
    # finished on B, ten minutes ahead
    name, secret = enrolled(a)
    saved, br = pxtest.BASE, webcheck.Browser()
    try:
        pxtest.BASE = a.url
        r = br.post("/login", {"username": name, "password": authlib.PASSWORD, "next": "/"})
        step = webcheck.hidden_value(webcheck.check_page(r), "mfa_token")
        assert step, r
        pxtest.BASE = b.url
        r = br.post("/login/mfa", {"mfa_token": step, "code": oath(secret, 30), "next": "/"})
    finally:
        pxtest.BASE = saved
    assert r.status == 303, r
    # killed, it leaves the registry within node_expire_seconds (4 s) plus
    # a heartbeat, not ten minutes late
    t_kill = time.time()
    b.halt(signal.SIGKILL)
    assert pxtest.wait_for(lambda: bid not in registry(a), timeout=8, step=0.2), \
        "the skewed node was kept: %r" % registry(a).get(bid)
    print("  node %.0f s ahead: heartbeat age < 2.5 s, gone %.1f s after SIGKILL" %
          (skew, time.time() - t_kill))
    restart(b)
    assert pxtest.wait_for(lambda: hap["obj"].status(b) == "UP", timeout=10)


class SockProxy:
    """A Unix socket at path/.s.PGSQL.<port> passing bytes to PostgreSQL's
    socket at target; cut() closes every connection and the socket (new
    connections fail at once), mend() listens again."""

    def __init__(self, target, port):
        self.dir = tempfile.mkdtemp(prefix="px-pgproxy-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, ".s.PGSQL.%d" % port)
        self.target = target
        self.lock = threading.Lock()
        self.conns = []
        self.lsock = None
        self.mend()

    def mend(self):
        s = socket.socket(socket.AF_UNIX)
        s.bind(self.path)
        os.chmod(self.path, 0o777)
        s.listen(64)
        self.lsock = s
        threading.Thread(target=self.accept, args=(s,), daemon=True).start()

    def accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(self.target)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            threading.Thread(target=self.pump, args=(c, u), daemon=True).start()

    def pump(self, a, b):
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 1)
                for x in r:
                    data = x.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if x is a else a).sendall(data)
        except (OSError, ValueError):
            pass
        for x in (a, b):
            try:
                x.close()
            except OSError:
                pass

    def cut(self):
        self.lsock.close()
        os.unlink(self.path)
        with self.lock:
            conns, self.conns = self.conns, []
        for x in conns:
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_node_loses_database_30s():
    a, b = nodes
    m = re.search(r"host=(\S+) port=(\d+)", open(os.environ["PX_CONFIG"]).read())
    assert m, "no Unix socket db_conninfo in the harness configuration"
    proxy = SockProxy(os.path.join(m.group(1), ".s.PGSQL.%s" % m.group(2)), int(m.group(2)))
    b.halt()
    b.set("db_conninfo", "host=%s port=%s dbname=plexichat user=plexichat" % (proxy.dir, m.group(2)))
    restart(b)
    assert pxtest.wait_for(lambda: hap["obj"].status(b) == "UP", timeout=10), "node B not back in HAProxy"
    u = User("fdb")
    c = channel(u, "public")
    path = "/api/v1/channels/%d/messages" % c["id"]
    poster = Poster(hap["port"], u.token, c["id"], "db")
    poster.start()
    time.sleep(1)
    t_cut = time.time()
    proxy.cut()
    direct = []
    down_at = None
    while time.time() < t_cut + 30:
        time.sleep(0.5)
        for p in ("/api/v1/system/ready", path):
            status, j = call(b.port, "POST" if p == path else "GET", p, u.token,
                             {"body": "direct"} if p == path else None)
            direct.append((time.time(), p, status, j))
        if down_at is None and hap["obj"].status(b) == "DOWN":
            down_at = time.time()
    t_mend = time.time()
    proxy.mend()
    back = pxtest.wait_for(lambda: call(b.port, "GET", "/api/v1/system/ready")[0] == 200, timeout=20)
    t_back = time.time()
    up = pxtest.wait_for(lambda: hap["obj"].status(b) == "UP", timeout=10)
    status, j = call(b.port, "POST", path, u.token, {"body": "after"})
    time.sleep(1)
    poster.stop.set()
    poster.join(15)
    print("  %d posts through HAProxy acknowledged, %d failed %r; node B out of HAProxy %.1f s after "
          "the cut, ready again %.1f s after the database" %
          (len(poster.acked), len(poster.failed), poster.failed[:3],
           (down_at - t_cut) if down_at else -1, t_back - t_mend))
    late = [d for d in direct if d[0] > t_cut + 1]
    assert late, "no request to node B during the outage"
    bad = [d for d in late if d[2] != 503 or not isinstance(d[3], dict)
           or d[3].get("error_code") != "SYSTEM_DB_UNAVAILABLE" or not d[3].get("correlation_id")
           or not d[3].get("message")]
    assert not bad, bad[:3]
    assert down_at and down_at - t_cut < 5, "HAProxy kept node B: %r" % down_at
    assert back, "node B did not come back by itself"
    assert up, "HAProxy did not take node B back"
    assert status == 201, (status, j)
    assert len(poster.acked) > 100, len(poster.acked)
    assert in_db(poster.acked) == len(poster.acked), "an acknowledged post is not in the database"
    # requests cut in flight at the outage may fail, nothing else
    assert len(poster.failed) <= 1, poster.failed
    proxy.cut()


def teardown():
    if "obj" in hap:
        hap["obj"].stop()
    for s in nodes:
        s.stop()


if __name__ == "__main__":
    try:
        setup()
    except Exception:
        teardown()
        raise
    try:
        pxtest.run(globals())
    finally:
        teardown()
