"""msglib: helpers of the messaging integration tests (stdlib only).

Accounts are made with `plexichat-admin create-user NAME --password-stdin`
and signed in over HTTP; every call carries a bearer token.
"""
import http.client
import json
import os
import secrets
import subprocess
import urllib.parse

import pxtest
from pxtest import request

PASSWORD = "Msg-Test-" + secrets.token_hex(6)


def admin_cli(*args, stdin=None):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    p = subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


# each test module starts with full rate-limit buckets: the modules before
# it (both web servers share one database) may have spent the login class
_rc, _out = admin_cli("unlock")
assert _rc == 0, _out


class User:
    """A signed-in account: name, id and token."""

    def __init__(self, prefix):
        self.name = "%s_%s%s" % (prefix, pxtest.SERVER[:3], secrets.token_hex(3))
        rc, out = admin_cli("create-user", self.name, "--password-stdin", stdin=PASSWORD + "\n")
        assert rc == 0, out
        r = request("POST", "/api/v1/auth/login",
                    json_body={"username": self.name, "password": PASSWORD})
        assert r.status == 200, r
        j = r.json()
        self.token = j["token"]
        self.id = j["user"]["id"]

    def call(self, method, path, body=None, headers=None, raw=None):
        h = {"Authorization": "Bearer " + self.token}
        h.update(headers or {})
        if raw is not None:
            h.setdefault("Content-Type", "application/json")
            return request(method, path, body=raw, headers=h)
        return request(method, path, json_body=body, headers=h)

    def ok(self, method, path, body=None, status=(200, 201, 204), headers=None):
        r = self.call(method, path, body, headers)
        assert r.status in (status if isinstance(status, tuple) else (status,)), \
            "%s %s -> %r" % (method, path, r)
        return r.json() if r.body else None


def channel(owner, kind="public", members=(), name=None):
    body = {"kind": kind}
    if kind in ("public", "private"):
        body["name"] = name or "c-" + secrets.token_hex(5)
    if members:
        body["members"] = [m.id for m in members]
    return owner.ok("POST", "/api/v1/channels", body)


def post(user, cid, text, **extra):
    body = {"body": text}
    body.update(extra)
    return user.ok("POST", "/api/v1/channels/%d/messages" % cid, body)


class SSE:
    """A raw SSE reader over one connection."""

    def __init__(self, user, query="", last_event_id=None, timeout=15):
        u = urllib.parse.urlsplit(pxtest.BASE)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        h = {"Authorization": "Bearer " + user.token, "Accept": "text/event-stream"}
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/v1/events" + query, headers=h)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200, self.resp.status
        assert self.resp.getheader("Content-Type").startswith("text/event-stream")

    def ready(self):
        """Waits for the hub's ": waiting" comment: from then on the stream
        is held and receives even ephemeral notices (typing)."""
        while True:
            line = self.resp.readline()
            if not line:
                raise EOFError("stream ended")
            if line.startswith(b": waiting"):
                return

    def next(self):
        """The next event as (id, type, data); comments are skipped."""
        ev = {}
        while True:
            line = self.resp.readline()
            if not line:
                raise EOFError("stream ended")
            line = line.decode().rstrip("\n")
            if line == "":
                if "event" in ev or "data" in ev:
                    data = json.loads(ev["data"]) if "data" in ev else None
                    return ev.get("id"), ev.get("event"), data
                continue
            if line.startswith(":"):
                continue
            k, _, v = line.partition(": ")
            ev[k] = v

    def until(self, pred, limit=200):
        for _ in range(limit):
            e = self.next()
            if pred(e):
                return e
        raise AssertionError("event not seen")

    def close(self):
        self.conn.close()
