#!/usr/bin/python3
"""s3_proxy.py: a loopback proxy in front of s3rver for the backup tests.

It checks every request's SigV4 signature independently with botocore
(Debian's awscli vendors it: import awscli first) and that
x-amz-content-sha256 matches the body, and it injects faults on demand:
HTTP 500/503 answers, dropped connections, and a delay per request.

  s3_proxy.py LISTEN_PORT UPSTREAM_PORT ACCESS_KEY SECRET_KEY REGION

Control (never forwarded):
  GET  /__stats                      -> JSON counters
  POST /__faults?fail=N&drop=M&down=1&delay_ms=D
       every Nth request answers 503 or 500 (alternating), every Mth
       request is dropped without an answer; 0 turns a fault off. The
       next request for an object a fault hit goes through, so a client
       that retries always gets there (with counts shared by concurrent
       requests, a fixed schedule could otherwise hit one object's every
       attempt). down=1: every request answers 503, retries too.
  POST /__faults?truncate_list=1
       every ListObjectsV2 answer says IsTruncated true but names no
       NextContinuationToken: a listing the client cannot finish.
"""
import hashlib
import http.client
import http.server
import json
import re
import socketserver
import sys
import threading
import time
import urllib.parse

import awscli  # noqa: F401  (puts the vendored botocore on the path)
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LISTEN, UPSTREAM, AK, SK, REGION = (int(sys.argv[1]), int(sys.argv[2]),
                                    sys.argv[3], sys.argv[4], sys.argv[5])
lock = threading.Lock()
stats = {"requests": 0, "valid": 0, "invalid": 0, "bad_hash": 0,
         "injected_5xx": 0, "dropped": 0, "truncated_lists": 0, "invalid_detail": []}
faults = {"fail": 0, "drop": 0, "down": 0, "delay_ms": 0, "truncate_list": 0}
faulted = set()   # (method, path) of requests a fault hit last time


def check_signature(method, path, headers, body):
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False, "no SigV4 authorization"
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    signed = parts["SignedHeaders"].split(";")
    if "x-amz-content-sha256" not in signed:
        return False, "x-amz-content-sha256 not signed"
    want_hash = headers.get("x-amz-content-sha256")
    if want_hash != "UNSIGNED-PAYLOAD" and want_hash != hashlib.sha256(body).hexdigest():
        with lock:
            stats["bad_hash"] += 1
        return False, "payload hash mismatch"
    hdrs = {h: headers.get(h) for h in signed}
    req = AWSRequest(method=method, url="http://" + headers["Host"] + path,
                     data=body, headers=hdrs)
    req.context["timestamp"] = headers["x-amz-date"]
    scope = parts["Credential"].split("/")
    signer = S3SigV4Auth(Credentials(AK, SK), scope[3], scope[2])
    canonical = signer.canonical_request(req)
    sig = signer.signature(signer.string_to_sign(req, canonical), req)
    if sig != parts["Signature"]:
        return False, "signature mismatch for " + repr(canonical)
    return True, ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__stats":
            with lock:
                return self.reply(200, json.dumps(stats).encode())
        if url.path == "/__faults":
            q = dict(urllib.parse.parse_qsl(url.query))
            with lock:
                for k in faults:
                    faults[k] = int(q.get(k, faults[k]))
            return self.reply(200, json.dumps(faults).encode())
        key = (self.command, self.path)
        with lock:
            stats["requests"] += 1
            count = stats["requests"]
            f = dict(faults)
            retry = key in faulted
            faulted.discard(key)
            drop = not retry and f["drop"] and count % f["drop"] == 0
            fail = f["down"] or (not retry and f["fail"] and count % f["fail"] == 0)
            if drop or fail:
                faulted.add(key)
                stats["dropped" if drop else "injected_5xx"] += 1
        if f["delay_ms"]:
            time.sleep(f["delay_ms"] / 1000.0)
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fail:
            code = 503 if f["down"] or (count // f["fail"]) % 2 else 500
            return self.reply(code, b"<Error><Code>SlowDown</Code></Error>", "application/xml")
        ok, why = check_signature(self.command, self.path, self.headers, body)
        with lock:
            stats["valid" if ok else "invalid"] += 1
            if not ok and len(stats["invalid_detail"]) < 5:
                stats["invalid_detail"].append(self.command + " " + self.path + ": " + why)
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        fwd = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
        conn.request(self.command, self.path, body=body if body or self.command == "PUT" else None,
                     headers=fwd)
        r = conn.getresponse()
        data = r.read()
        if f["truncate_list"] and self.command == "GET" and r.status == 200 and \
                "list-type=2" in url.query:
            data = data.replace(b"<IsTruncated>false</IsTruncated>", b"<IsTruncated>true</IsTruncated>")
            data = re.sub(rb"<NextContinuationToken>[^<]*</NextContinuationToken>", b"", data)
            with lock:
                stats["truncated_lists"] += 1
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        # a HEAD answer has no body but says how long the object is
        length = r.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", LISTEN), Handler).serve_forever()
