"""test_events_limits: event streams are capped per user and per client
address (429 SECURITY_TOO_MANY_STREAMS, counted over every process, so under
mod_fcgid too) while health and sign-in stay reachable; and an open stream
ends as soon as its session or token is revoked or its account deactivated,
before any later message reaches it."""
import http.client
import json
import os
import socket
import subprocess
import time
import urllib.parse

import pxtest
from msglib import PASSWORD, SSE, User, admin_cli, channel, post
from pxtest import expect_error, request

CONF = os.environ.get("PX_CONFIG", "")
PER_USER = 8  # events_max_streams_per_user's default


def open_refused(user, query=""):
    """A stream request that must be refused at once: the error's details.
    (A stream that opens instead is not read: it would last minutes.)"""
    u = urllib.parse.urlsplit(pxtest.BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", "/api/v1/events" + query,
                 headers={"Authorization": "Bearer " + user.token, "Accept": "text/event-stream"})
    resp = conn.getresponse()
    body = resp.read() if resp.status != 200 else b""
    conn.close()
    expect_error(pxtest.Response(resp.status, resp.getheaders(), body), 429,
                 "SECURITY_TOO_MANY_STREAMS")
    return json.loads(body)["details"]


def head(user):
    r = user.ok("GET", "/api/v1/events?after=0&wait=0&limit=500")
    while r["events"]:
        r = user.ok("GET", "/api/v1/events?after=%d&wait=0&limit=500" % r["last_event_id"])
    return r["last_event_id"]


def test_streams_per_user_capped():
    u = User("cap")
    other = User("capother")
    streams = [SSE(u) for _ in range(PER_USER)]
    try:
        d = open_refused(u)
        assert d == {"limit": "user", "max": PER_USER}, d
        # a waiting long-poll holds a stream as well; one that answers at
        # once does not
        d = open_refused(u, "?after=%d&wait=20" % head(u))
        assert d["limit"] == "user", d
        # the server stays reachable: health, sign-in, another user's stream
        assert request("GET", "/api/v1/system/health", timeout=5).status == 200
        r = request("POST", "/api/v1/auth/login", json_body={"username": u.name, "password": PASSWORD},
                    timeout=5)
        assert r.status == 200, r
        SSE(other).close()
        # closing one frees its place (the web server reports the hang-up at
        # the latest when the next keep-alive comment fails to reach it)
        streams.pop().close()
        assert pxtest.wait_for(lambda: open_streams(u.id) < PER_USER, 40), \
            "no place came free after a stream closed"
        streams.append(SSE(u))
        open_refused(u)
    finally:
        for s in streams:
            s.close()


def open_streams(user_id=0):
    """Streams open on any process now (rows of sql/080 with a live lease),
    of one user or of everyone."""
    sql = "SELECT count(*) FROM event_streams WHERE lease_until > now()"
    if user_id:
        sql += " AND user_id = %d" % user_id
    p = subprocess.run(["psql", os.environ["PX_PG_CONNINFO"], "-Atc", sql],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def write_conf(text):
    with open(CONF, "w") as f:
        f.write(text)
    # every process looks at the file before each request, at most once per
    # second: from the next whole second on, every request sees this file
    t = time.time()
    time.sleep(int(t) + 1.05 - t)


def test_streams_per_address_capped():
    users = [User("addr%d" % i) for i in range(4)]
    orig = open(CONF).read()
    streams = []
    # streams closed by earlier tests count until the server notices: when
    # a keep-alive comment finds the client gone (a write or two after it
    # left); comments every second from the next one on (events_ping_seconds)
    fast = orig + "\nevents_ping_seconds = 1\n"
    write_conf(fast)
    try:
        assert pxtest.wait_for(lambda: open_streams() == 0, 60), open_streams()
        write_conf(fast + "events_max_streams_per_addr = 3\n")
        streams = [SSE(u) for u in users[:3]]
        d = open_refused(users[3])
        assert d == {"limit": "address", "max": 3}, d
        assert request("GET", "/api/v1/system/health", timeout=5).status == 200
    finally:
        for s in streams:
            s.close()
        write_conf(orig)


def pings_within(user, seconds):
    """How many keep-alive comments a new, quiet stream of user gets within
    seconds (the raw bytes: a socket's reader survives its timeouts)."""
    u = urllib.parse.urlsplit(pxtest.BASE)
    sock = socket.create_connection((u.hostname, u.port), timeout=5)
    sock.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                  "Accept: text/event-stream\r\n\r\n" % (u.netloc, user.token)).encode())
    data = b""
    end = time.time() + seconds
    try:
        while time.time() < end:
            sock.settimeout(max(0.05, end - time.time()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert b": waiting" in data, data[:400]
    return data.count(b": ping")


def test_keepalive_interval_follows_the_config():
    u = User("ping")
    orig = open(CONF).read()
    try:
        # the default (15 s): a quiet stream gets no keep-alive for 3 s
        assert pings_within(u, 3) == 0, "a keep-alive before events_ping_seconds"
        write_conf(orig + "\nevents_ping_seconds = 1\n")
        n = pings_within(u, 3.6)
        assert n >= 2, "%d keep-alives in 3.6 s at events_ping_seconds = 1" % n
    finally:
        write_conf(orig)


def read_until_end(s, forbidden, timeout):
    """Reads s until it ends; fails when an event matches forbidden or when
    it has not ended after timeout seconds."""
    s.conn.sock.settimeout(timeout)
    end = time.time() + timeout
    try:
        while True:
            e = s.next()
            assert not forbidden(e), "a revoked stream received %r" % (e,)
            assert time.time() < end, "the stream is still open"
    except EOFError:
        return
    except socket.timeout:
        raise AssertionError("the stream is still open after %ss" % timeout)


def dm_body(text):
    return lambda e: e[1] == "message.created" and e[2]["data"].get("body") == text


def live_stream(user, sender, dm):
    """An SSE stream of user that is known to deliver (a DM went through)."""
    s = SSE(user)
    m = post(sender, dm["id"], "before")
    assert s.until(lambda e: e[1] == "message.created")[2]["data"]["id"] == m["id"]
    return s


def test_stream_ends_when_session_revoked():
    v, bob = User("revs"), User("revb")
    dm = channel(bob, "dm", [v])
    s = live_stream(v, bob, dm)
    t0 = time.time()
    assert v.call("POST", "/api/v1/auth/logout").status in (200, 204)
    post(bob, dm["id"], "after logout")
    read_until_end(s, dm_body("after logout"), 5)
    assert time.time() - t0 < 3, "ended only after %.1fs" % (time.time() - t0)
    s.close()


def test_stream_ends_when_token_revoked():
    v, bob = User("revt"), User("revtb")
    r = v.call("POST", "/api/v1/auth/tokens", {"name": "stream", "scopes": "read"})
    assert r.status == 201, r
    pat = User.__new__(User)
    pat.name, pat.id, pat.token = v.name, v.id, r.json()["token"]
    dm = channel(bob, "dm", [v])
    s = live_stream(pat, bob, dm)
    assert v.call("DELETE", "/api/v1/auth/tokens/%d" % r.json()["id"]).status == 200
    post(bob, dm["id"], "after token revoked")
    read_until_end(s, dm_body("after token revoked"), 5)
    s.close()


def test_stream_ends_when_account_deactivated():
    v, bob = User("revd"), User("revdb")
    dm = channel(bob, "dm", [v])
    s = live_stream(v, bob, dm)
    rc, out = admin_cli("deactivate", v.name)
    assert rc == 0, out
    post(bob, dm["id"], "after deactivation")
    read_until_end(s, dm_body("after deactivation"), 5)
    s.close()


if __name__ == "__main__":
    pxtest.run(globals())
