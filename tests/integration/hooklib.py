"""hooklib: a real HTTP receiver for the webhook tests (stdlib only).

Receivers listen on 127.0.0.2, which the test configuration allows
(outbound_allow_private = 127.0.0.2/32, scripts/test.sh); 127.0.0.1 stays
refused. Each receiver records what it got and answers as its mode says:
"ok" (200, optional JSON reply), "redirect" (302 to .target), "flood"
(200 and bytes without end), "silent" (reads, never answers), "fail" (500).
"""
import hashlib
import hmac
import http.server
import json
import os
import socket
import threading
import time

import pxtest

HOST = "127.0.0.2"
# 23100-23199 belong to this worktree's tests; each web server its own half
BASE_PORT = int(os.environ.get("PX_HOOK_PORT_BASE", "23100")) + (
    0 if pxtest.SERVER == "lighttpd" else 50)
_next = [0]


def free_port(host=HOST):
    for _ in range(50):
        port = BASE_PORT + _next[0] % 50
        _next[0] += 1
        s = socket.socket()
        try:
            s.bind((host, port))
            s.close()
            return port
        except OSError:
            s.close()
    raise RuntimeError("no free receiver port")


class Receiver:
    def __init__(self, host=HOST, port=None):
        self.host = host
        self.port = port or free_port(host)
        self.mode = "ok"
        self.reply = None          # dict sent back as JSON in mode ok
        self.target = None         # Location of mode redirect
        self.got = []              # [(path, headers dict, body bytes)]
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with rec.lock:
                    rec.got.append((self.path, {k.lower(): v for k, v in self.headers.items()},
                                    body))
                mode = rec.mode
                if mode == "silent":
                    time.sleep(6)
                    return
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", rec.target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "flood":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(1 << 30))
                    self.end_headers()
                    chunk = b"x" * 65536
                    try:
                        for _ in range((1 << 30) // 65536):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                if mode == "fail":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                out = json.dumps(rec.reply).encode() if rec.reply else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/json" if out else "text/plain")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((self.host, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def bodies(self):
        with self.lock:
            return [json.loads(b) for _, _, b in self.got if b]


def verify(secret, headers, body):
    """Whether the X-PlexiChat-Signature header is right for body."""
    ts = headers.get("x-plexichat-timestamp", "")
    want = "v1=" + hmac.new(secret.encode(), ts.encode() + b"." + body,
                            hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, headers.get("x-plexichat-signature", ""))
