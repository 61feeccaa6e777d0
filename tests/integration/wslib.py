"""wslib: a small RFC 6455 client for the WebSocket integration tests and
the benchmark (Python standard library only).

WS(...) opens GET /api/v1/events/ws through the web server at PX_BASE_URL
(or base), sends the handshake and reads the answer: .status is 101 when
upgraded, else the HTTP error with .body (the central error JSON).
Frames from the client are masked as the RFC requires.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import time
import urllib.parse

import pxtest

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    """The server sent a close frame (code, reason) or the socket ended
    (code None)."""

    def __init__(self, code, reason=""):
        super().__init__("closed: %r %r" % (code, reason))
        self.code = code
        self.reason = reason


class WS:
    def __init__(self, token=None, cookie=None, origin=None, query="", headers=None,
                 base=None, timeout=15, rcvbuf=None, path="/api/v1/events/ws"):
        u = urllib.parse.urlsplit(base or pxtest.BASE)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # set before connecting, so the window stays small (a slow reader)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((u.hostname, u.port or 80))
        key = base64.b64encode(os.urandom(16)).decode()
        h = {"Host": "%s:%d" % (u.hostname, u.port or 80), "Upgrade": "websocket",
             "Connection": "Upgrade", "Sec-WebSocket-Key": key,
             "Sec-WebSocket-Version": "13"}
        if token:
            h["Authorization"] = "Bearer " + token
        if cookie:
            h["Cookie"] = cookie
        if origin:
            h["Origin"] = origin
        h.update(headers or {})
        head = "GET %s%s HTTP/1.1\r\n" % (path, query)
        head += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
        self.sock.sendall(head.encode())
        self.buf = b""
        self._read_head()
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
            assert self.headers.get("sec-websocket-accept") == want, self.headers

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            c = self.sock.recv(65536)
            if not c:
                raise Closed(None, "no answer")
            self.buf += c
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.body = b""
        if self.status != 101:
            n = int(self.headers.get("content-length", "0") or 0)
            while len(self.buf) < n:
                c = self.sock.recv(65536)
                if not c:
                    break
                self.buf += c
            self.body = self.buf[:n]

    def json_body(self):
        return json.loads(self.body.decode())

    # ---- frames ----

    def send(self, op, payload=b"", fin=True, mask=True):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        b0 = (0x80 if fin else 0) | op
        m = 0x80 if mask else 0
        if n < 126:
            hdr = struct.pack("!BB", b0, m | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, m | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, m | 127, n)
        if mask:
            k = os.urandom(4)
            payload = bytes(c ^ k[i & 3] for i, c in enumerate(payload))
            hdr += k
        self.sock.sendall(hdr + payload)

    def send_json(self, obj):
        self.send(TEXT, json.dumps(obj))

    def _need(self, n):
        while len(self.buf) < n:
            c = self.sock.recv(65536)
            if not c:
                raise Closed(None, "socket ended")
            self.buf += c

    def frame(self):
        """The next frame as (opcode, fin, payload); server frames are not
        masked."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert not (b1 & 0x80), "server frames must not be masked"
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, bool(b0 & 0x80), payload

    def message(self, auto_pong=True):
        """The next data message (op, payload), answering pings; a close
        frame raises Closed."""
        while True:
            op, fin, p = self.frame()
            if op == PING:
                if auto_pong:
                    self.send(PONG, p)
                continue
            if op == PONG:
                continue
            if op == CLOSE:
                code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None
                raise Closed(code, p[2:].decode("utf-8", "replace"))
            assert fin, "the server does not fragment"
            return op, p

    def next_json(self):
        op, p = self.message()
        assert op == TEXT, op
        return json.loads(p.decode("utf-8"))

    def until(self, pred, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            m = self.next_json()
            if pred(m):
                return m
        raise AssertionError("message not seen")

    def ready(self):
        """Waits for {"type":"ready"}: caught up, live from now on. Returns
        the events that came before it."""
        seen = []
        while True:
            m = self.next_json()
            if m.get("type") == "ready":
                return seen
            seen.append(m)

    def close(self, code=1000):
        try:
            self.send(CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        self.sock.close()

    def abort(self):
        """Drops the connection without a closing handshake."""
        self.sock.close()


def open_ws(token, query="", **kw):
    """An upgraded socket for a bearer token, caught up."""
    ws = WS(token=token, query=query, **kw)
    assert ws.status == 101, (ws.status, ws.body)
    return ws
