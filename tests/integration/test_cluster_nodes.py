"""The node registry over HTTP: every plexichat.fcgi process registers
itself with heartbeats (sql/155_cluster_nodes.sql), /api/v1/system/ready
answers load balancers, `plexichat-admin cluster drain` takes a node out
of service (ready 503 SYSTEM_DRAINING, open event streams end, new ones
and long-polls are refused, short requests are still served) and
`undrain` brings it back; rows of nodes that stopped beating expire.
Runs against lighttpd and Apache; the drain is by address, which every
process of this machine shares, and is always lifted at the end."""
import time

import pxtest
from pxtest import expect_error, request, wait_for
from authlib import psql
from authlib import ADMIN_PASSWORD
from msglib import SSE, User, admin_cli
from webcheck import Browser, location

HEARTBEAT = 2   # node_heartbeat_seconds' default
EXPIRE = 15     # node_expire_seconds' default


def ready():
    return request("GET", "/api/v1/system/ready")


def test_ready_and_registry():
    # a drain lifted by the other server's run is noticed within a beat
    assert wait_for(lambda: ready().status == 200, timeout=HEARTBEAT * 3)
    r = ready()
    assert r.status == 200, r
    j = r.json()
    assert j["status"] == "ready" and j["node"].startswith(j["address"] + "/"), j
    assert j["schema_version"] >= 155, j
    h = request("GET", "/api/v1/system/health").json()["checks"]
    assert h["draining"] is False and h["node"], h
    rc, out = admin_cli("cluster", "status")
    assert rc == 0 and "serving" in out and j["address"] + "/" in out, out
    rc, out = admin_cli("cluster", "status", "--json")
    assert rc == 0 and '"nodes"' in out, out
    # the process that answered has a fresh row with what it runs
    row = psql("SELECT version || ' ' || schema_version || ' ' || array_to_string(capabilities, ',')"
               " || ' ' || (now() - heartbeat_at < interval '%d s')"
               " FROM cluster_nodes WHERE id = '%s'" % (EXPIRE, j["node"].replace("'", "''")))
    assert row and row.split()[0] == request("GET", "/api/v1/system/version").json()["version"], row
    assert "api" in row and "events" in row and row.endswith(" true"), row


def test_admin_page_lists_nodes():
    b = Browser()
    assert location(b.post("/login", {"username": "admin", "password": ADMIN_PASSWORD,
                                      "next": "/"})) == "/"
    b.page("/admin/system")  # a valid page (webcheck)
    body = b.get("/admin/system").body.decode()
    assert 'id="cluster-nodes"' in body and "Cluster nodes" in body, body[:500]
    node = ready().json()["address"] + "/"
    assert node in body and "serving" in body, body[body.index("cluster-nodes"):][:600]


def test_dead_nodes_expire():
    psql("INSERT INTO cluster_nodes (id, address, version, schema_version, started_at, heartbeat_at)"
         " VALUES ('gone.example/1', 'gone.example', '0', 1, now() - interval '1 h',"
         " now() - interval '%d s')" % (EXPIRE + 5))
    psql("INSERT INTO cluster_nodes (id, address, version, schema_version, started_at)"
         " VALUES ('alive.example/1', 'alive.example', '0', 1, now())")
    try:
        assert wait_for(lambda: psql("SELECT count(*) FROM cluster_nodes WHERE id = 'gone.example/1'")
                        == "0", timeout=HEARTBEAT * 3), "a dead node's row stayed"
        assert psql("SELECT count(*) FROM cluster_nodes WHERE id = 'alive.example/1'") == "1"
    finally:
        psql("DELETE FROM cluster_nodes WHERE address IN ('gone.example', 'alive.example')")


def test_drain_unknown_node():
    rc, out = admin_cli("cluster", "drain", "no-such-node.example")
    assert rc == 1 and "no registered node" in out, out
    rc, out = admin_cli("cluster", "sideways")
    assert rc == 2, out


def test_drain_and_undrain():
    address = ready().json()["address"]
    alice = User("drain")
    stream = SSE(alice)
    stream.ready()
    rc, out = admin_cli("cluster", "drain", address)
    try:
        assert rc == 0 and "draining" in out, out
        assert wait_for(lambda: ready().status == 503, timeout=HEARTBEAT * 3), "ready stayed 200"
        expect_error(ready(), 503, "SYSTEM_DRAINING")
        # the open stream ends, so that its client reconnects elsewhere
        t0 = time.time()
        try:
            while True:
                stream.next()
        except (EOFError, OSError):
            pass
        assert time.time() - t0 < HEARTBEAT * 3 + 2, "the stream was not ended"
        stream.close()
        # no new stream or waiting long-poll; short requests are served
        r = alice.call("GET", "/api/v1/events?after=0&wait=5")
        expect_error(r, 503, "SYSTEM_DRAINING")
        r = alice.call("GET", "/api/v1/events", headers={"Accept": "text/event-stream"})
        expect_error(r, 503, "SYSTEM_DRAINING")
        assert request("GET", "/api/v1/system/version").status == 200
        assert alice.call("GET", "/api/v1/channels").status == 200
        assert request("GET", "/api/v1/system/health").json()["checks"]["draining"] is True
        rc, out = admin_cli("cluster", "status")
        assert rc == 0 and "draining" in out, out
    finally:
        rc2, out2 = admin_cli("cluster", "undrain", address)
    assert rc2 == 0 and "undrained" in out2, out2
    assert wait_for(lambda: ready().status == 200, timeout=HEARTBEAT * 3), "ready stayed 503"
    # ready comes from any process (Apache runs several): wait until every
    # one seen lately has the flag off, then streams are taken again
    assert wait_for(lambda: psql("SELECT count(*) FROM cluster_nodes WHERE address = '%s'"
                                 " AND draining" % address) == "0", timeout=5)
    time.sleep(HEARTBEAT + 0.5)
    s2 = SSE(alice)
    s2.ready()
    s2.close()


if __name__ == "__main__":
    pxtest.run(globals())
