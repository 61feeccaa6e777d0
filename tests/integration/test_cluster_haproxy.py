"""HAProxy (dist/haproxy/plexichat.cfg, from `defaults` on) in front of
two PlexiChat nodes (plexichat.fcgi + lighttpd each, tests/integration/
stacklib.py) sharing the suite's PostgreSQL: requests spread over both; a
node drained with `plexichat-admin cluster drain` stops getting new
requests and gets them again after `undrain`; X-Forwarded-For is believed
only from HAProxy (it connects from 127.0.0.2, the nodes' trusted_proxies);
a node killed with SIGKILL (its plexichat.fcgi and its lighttpd) under a
poster and SSE subscribers costs at most the request in flight, and every
subscriber resumes through HAProxy with Last-Event-ID and misses nothing.
Starts its own servers: in scripts/test.sh's ONCE list."""
import http.client
import json
import os
import signal
import threading
import time

import pxtest
import stacklib
from msglib import User, channel

HAPROXY_SRC = "127.0.0.2"
nodes = []
hap = {}


def node_conf(stack, key, value):
    with open(stack.conf, "a") as f:
        f.write("%s = %s\n" % (key, value))


def start_haproxy():
    h = stacklib.HAProxy(nodes, HAPROXY_SRC)
    hap.update(obj=h, url=h.url, port=h.port)


def get(url, path, headers=None, source=None, timeout=10):
    u = url.split("//")[1]
    host, port = u.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def ready_node(url=None):
    status, body = get(url or hap["url"], "/api/v1/system/ready")
    return json.loads(body).get("address") if status == 200 else None


def setup():
    for name in ("node-a", "node-b"):
        s = stacklib.Stack("cluster-" + name, {"trusted_proxies": HAPROXY_SRC, "rate_limit": "off"},
                           os.path.join(os.environ["PX_WORK"], "var", "files"))
        node_conf(s, "node_address", "127.0.0.1:%d" % s.port)
        s.start()
        nodes.append(s)
    start_haproxy()
    # both checked up by HAProxy (rise 2 at 1 s)
    assert pxtest.wait_for(lambda: len({ready_node() for _ in range(8)}) == 2, timeout=15), \
        "HAProxy does not reach both nodes"


def spread(n=40):
    seen = {}
    for _ in range(n):
        a = ready_node()
        seen[a] = seen.get(a, 0) + 1
    return seen


def test_requests_spread_over_both_nodes():
    seen = spread()
    addrs = {"127.0.0.1:%d" % s.port for s in nodes}
    assert set(seen) == addrs and min(seen.values()) >= 10, seen


def remote_logged(stack, marker):
    """The client address (behind trusted proxies) the node logged for a
    request to marker."""
    for line in stack.log_tail(400).splitlines():
        if marker in line and '"module":"access"' in line:
            return json.loads(line)["fields"]["client"]
    return None


def logged_anywhere(marker):
    for s in nodes:
        r = remote_logged(s, marker)
        if r:
            return r
    return None


def test_forwarded_for_trusted_only_from_haproxy():
    # through HAProxy from 127.0.0.3: the node sees 127.0.0.3, even when
    # the client forges an address of its own in front
    for forged in (None, "6.6.6.6"):
        marker = "/api/v1/xff-%s" % os.urandom(4).hex()
        h = {"X-Forwarded-For": forged} if forged else {}
        status, _ = get(hap["url"], marker, h, source="127.0.0.3")
        assert status == 404, status
        assert pxtest.wait_for(lambda: logged_anywhere(marker), timeout=5), marker
        assert logged_anywhere(marker) == "127.0.0.3", (forged, logged_anywhere(marker))
    # straight to a node (not from HAProxy): the header is not believed
    marker = "/api/v1/xff-%s" % os.urandom(4).hex()
    get(nodes[0].url, marker, {"X-Forwarded-For": "6.6.6.6"}, source="127.0.0.3")
    assert pxtest.wait_for(lambda: remote_logged(nodes[0], marker), timeout=5)
    assert remote_logged(nodes[0], marker) == "127.0.0.3", remote_logged(nodes[0], marker)


def test_drained_node_gets_no_new_requests():
    a, b = ("127.0.0.1:%d" % s.port for s in nodes)
    rc = nodes[0].admin("cluster", "drain", a)
    assert rc.returncode == 0, rc.stdout + rc.stderr
    try:
        # its heartbeat (2 s) and HAProxy's checks (2 x 1 s)
        assert pxtest.wait_for(lambda: set(spread(10)) == {b}, timeout=12), "still sent to the drained node"
        seen = spread(30)
        assert seen == {b: 30}, seen
    finally:
        rc = nodes[0].admin("cluster", "undrain", a)
    assert rc.returncode == 0, rc.stdout + rc.stderr
    assert pxtest.wait_for(lambda: len(spread(10)) == 2, timeout=12), "the node did not come back"


def test_sigkill_node_under_load_sse_resumes():
    alice = User("hka")
    bob = User("hkb")
    c = channel(alice, "public")
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    subs = [stacklib.Subscriber(hap["port"], (bob if i % 2 else alice).token, c["id"]) for i in range(8)]
    for s in subs:
        s.start()
    for s in subs:
        assert s.connected.wait(10), "a subscriber did not connect"
    acked, failed = [], []
    stop = threading.Event()

    def poster():
        i = 0
        while not stop.is_set():
            i += 1
            body = json.dumps({"body": "m%d" % i})
            try:
                conn = http.client.HTTPConnection("127.0.0.1", hap["port"], timeout=10)
                conn.request("POST", "/api/v1/channels/%d/messages" % c["id"], body=body,
                             headers={"Authorization": "Bearer " + alice.token,
                                      "Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                conn.close()
                if r.status == 201:
                    acked.append(json.loads(data)["id"])
                else:
                    failed.append((r.status, data[:200]))
            except (OSError, http.client.HTTPException) as e:
                failed.append(repr(e))
            time.sleep(0.03)

    t = threading.Thread(target=poster, daemon=True)
    t.start()
    time.sleep(1.5)
    killed = nodes[0]
    t_kill = time.time()
    for p in killed.procs:
        os.kill(p.pid, signal.SIGKILL)
    time.sleep(4)
    stop.set()
    t.join(15)
    want = sorted(acked)
    ok = pxtest.wait_for(lambda: all(set(want) <= set(s.got) for s in subs), timeout=20)
    for s in subs:
        s.stop = True
    cut = [s for s in subs if s.cuts]
    resumed = [s.resumed_at for s in cut if s.resumed_at]
    print("  %d posts acknowledged, %d failed %r; %d of %d subscribers cut, last resumed "
          "%.2f s after the SIGKILL" % (len(acked), len(failed), failed[:3], len(cut), len(subs),
                                         (max(resumed) - t_kill) if resumed else -1))
    assert len(acked) > 50, len(acked)
    assert cut, "no subscriber was on the killed node"
    assert len(resumed) == len(cut), "a subscriber did not resume"
    assert ok, [sorted(set(want) - set(s.got))[:5] for s in subs]
    for s in subs:
        mine = [m for m in s.got if m in set(want)]
        assert len(mine) == len(set(mine)), "a message delivered twice"
        assert mine == sorted(mine), "messages out of order"
    # only what was in flight on the killed node may fail
    assert len(failed) <= 1, failed
    # and HAProxy no longer sends anything there
    assert pxtest.wait_for(lambda: set(spread(10)) == {"127.0.0.1:%d" % nodes[1].port}, timeout=5)


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
