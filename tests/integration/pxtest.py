"""pxtest: a tiny test harness for PlexiChat's HTTP integration tests.

Python 3 standard library only. Tests talk to the running server over real
sockets; the base URL comes from PX_BASE_URL (e.g. http://127.0.0.1:18080).
A test module defines functions named test_*; run() calls each and reports.
"""
import http.client
import json
import os
import socket
import sys
import time
import traceback
import urllib.parse

BASE = os.environ.get("PX_BASE_URL", "http://127.0.0.1:8080")
SERVER = os.environ.get("PX_SERVER_KIND", "lighttpd")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def request(method, path, body=None, headers=None, json_body=None, timeout=30, read_streams=True):
    """One request on a fresh connection; returns a Response. With
    read_streams false, an event stream (text/event-stream) that started is
    not read: its body is empty (the events stream would last
    events_stream_seconds; read it with msglib.SSE)."""
    u = urllib.parse.urlsplit(BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    hdrs = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    skip = not read_streams and (r.getheader("Content-Type") or "").startswith("text/event-stream")
    resp = Response(r.status, r.getheaders(), b"" if skip else r.read())
    conn.close()
    return resp


def raw(data, timeout=30):
    """Sends raw bytes and returns (status, headers, body) parsed loosely."""
    u = urllib.parse.urlsplit(BASE)
    s = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
    s.sendall(data)
    chunks = []
    while True:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        if not c:
            break
        chunks.append(c)
    s.close()
    resp = b"".join(chunks)
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers.append((k.decode().strip(), v.decode().strip()))
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        body = dechunk(body)
    return Response(status, headers, body)


def dechunk(data):
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size.split(b";")[0] or b"0", 16)
        if n == 0:
            break
        out += rest[:n]
        data = rest[n + 2:]
    return out


def expect_error(resp, status, code):
    """Asserts the central error format with the given status and code."""
    assert resp.status == status, "want %d got %r" % (status, resp)
    j = resp.json()
    for k in ("error_code", "http_status", "message", "details", "correlation_id"):
        assert k in j, "missing %s in %r" % (k, j)
    assert j["error_code"] == code, "want %s got %s" % (code, j["error_code"])
    assert j["http_status"] == status
    assert len(j["correlation_id"]) == 32
    return j


def wait_for(fn, timeout=30.0, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if fn():
                return True
        except Exception:
            pass
        time.sleep(step)
    return False


def run(module_globals):
    name = os.path.basename(module_globals.get("__file__", "test"))
    tests = [(k, v) for k, v in module_globals.items() if k.startswith("test_") and callable(v)]
    failed = 0
    for tname, fn in tests:
        t0 = time.time()
        try:
            fn()
            print("ok   %s %s [%s] (%.2fs)" % (name, tname, SERVER, time.time() - t0))
        except Exception:
            failed += 1
            print("FAIL %s %s [%s]" % (name, tname, SERVER))
            traceback.print_exc()
    print("%s: %d/%d passed [%s]" % (name, len(tests) - failed, len(tests), SERVER))
    sys.exit(1 if failed else 0)
