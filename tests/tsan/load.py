#!/usr/bin/env python3
"""load.py: the traffic of tests/tsan/run.sh. For SECONDS, several clients
at once post messages, read pages of them, search, long-poll and stream
events, sign in and out, load the web pages and send requests the WAF
refuses, so that plexichat.fcgi's worker threads share its process-wide
state (event hub, caches, metrics, WAF state, config snapshots) under a
data race detector. Prints what it sent; fails when too little was answered to
mean anything (it runs up to four times SECONDS to get there), or when any
answer was a 5xx.

  load.py URL USER PASSWORD SECONDS
"""
import http.client
import json
import random
import re
import socket
import sys
import threading
import time
import urllib.parse

URL, USER, PW, SECS = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
U = urllib.parse.urlsplit(URL)
lock = threading.Lock()
counts = {}


def call(method, path, token=None, body=None, timeout=15, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        body = json.dumps(body)
        h["Content-Type"] = "application/json"
    try:
        c = http.client.HTTPConnection(U.hostname, U.port, timeout=timeout)
        c.request(method, path, body, h)
        r = c.getresponse()
        data = r.read()
        c.close()
        status = r.status
    except (OSError, http.client.HTTPException):
        status, data = -1, b""
    key = "%s %s" % (method, re.sub(r"/\d+", "/N", path.split("?")[0]))
    with lock:
        counts.setdefault(key, {}).setdefault(status, 0)
        counts[key][status] += 1
    return status, data


def login():
    s, data = call("POST", "/api/v1/auth/login", body={"username": USER, "password": PW})
    return json.loads(data)["token"] if s == 200 else None


def worker(n, ch, stop):
    tok = login()
    i = 0
    mine = []
    while not stop.is_set() and tok:
        i += 1
        r = random.random()
        if r < 0.30:
            s, data = call("POST", "/api/v1/channels/%d/messages" % ch, tok,
                           {"body": "tsan %d-%d hello" % (n, i)})
            if s == 201:
                mine.append(json.loads(data)["id"])
        elif r < 0.35 and mine:  # typing, a reaction, an edit, the read marker
            mid = random.choice(mine)
            call("POST", "/api/v1/channels/%d/typing" % ch, tok, {})
            call("POST", "/api/v1/channels/%d/messages/%d/reactions" % (ch, mid), tok, {"emoji": "👍"})
            call("PATCH", "/api/v1/channels/%d/messages/%d" % (ch, mid), tok, {"body": "tsan edited %d" % i})
            call("PUT", "/api/v1/channels/%d/read-marker" % ch, tok, {"message_id": mid})
        elif r < 0.55:
            call("GET", "/api/v1/channels/%d/messages?limit=50" % ch, tok)
        elif r < 0.65:
            call("GET", "/api/v1/search?q=hello&limit=10", tok)
        elif r < 0.75:
            call("GET", "/api/v1/channels", tok)
        elif r < 0.82:
            call("GET", "/api/v1/notifications?limit=10", tok)
        elif r < 0.90:
            call("GET", "/api/v1/system/health")
        elif r < 0.93:
            call("GET", "/api/v1/system/metrics")
        elif r < 0.96:  # refused by the WAF: its events and counters
            call("GET", "/api/v1/search?q=%27%20union%20select%20password%20from%20users--", tok)
        else:  # a new session, and the old one ended
            new = login()
            if new:
                call("POST", "/api/v1/auth/logout", tok)
                tok = new


def poller(ch, stop):
    """Long-polls (short waits, so they end and start again often)."""
    tok = login()
    after = 0
    while not stop.is_set() and tok:
        s, data = call("GET", "/api/v1/events?after=%d&wait=2&limit=100" % after, tok)
        if s == 200:
            ev = json.loads(data).get("events", [])
            if ev:
                after = ev[-1]["id"]


def streamer(stop):
    """Opens an event stream, reads a little of it, and hangs up."""
    tok = login()
    key = "GET /api/v1/events (stream)"
    while not stop.is_set() and tok:
        try:
            c = http.client.HTTPConnection(U.hostname, U.port, timeout=5)
            c.request("GET", "/api/v1/events", headers={"Authorization": "Bearer " + tok,
                                                        "Accept": "text/event-stream"})
            r = c.getresponse()
            status = r.status
            # what comes within about 1.5 s, then hang up (after a timeout
            # the reader is spent: nothing is read after one)
            c.sock.settimeout(1.5)
            end = time.time() + 1.5
            try:
                while time.time() < end and r.fp.readline():
                    pass
            except socket.timeout:
                pass
            c.close()
        except (OSError, http.client.HTTPException):
            status = -1
        with lock:
            counts.setdefault(key, {}).setdefault(status, 0)
            counts[key][status] += 1


def pages(stop):
    """The web pages, signed in with the session cookie."""
    tok = login()
    while not stop.is_set() and tok:
        for p in ("/login", "/", "/c/tsan", "/search?q=hello", "/settings"):
            call("GET", p, headers={"Cookie": "px_session=" + tok, "Accept": "text/html"})


MIN_ANSWERED = 200


def answered_so_far():
    with lock:
        return sum(n for v in counts.values() for s, n in v.items() if 200 <= s < 400)


def main():
    tok = login()
    assert tok, "cannot sign in"
    s, data = call("POST", "/api/v1/channels", tok, {"name": "tsan"})
    assert s == 201, (s, data)
    ch = json.loads(data)["id"]
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(n, ch, stop)) for n in range(8)]
    threads += [threading.Thread(target=poller, args=(ch, stop)) for _ in range(3)]
    threads += [threading.Thread(target=streamer, args=(stop,)) for _ in range(2)]
    threads += [threading.Thread(target=pages, args=(stop,))]
    t0 = time.time()
    for t in threads:
        t.start()
    time.sleep(SECS)
    # a slow or busy machine gets more time, not a smaller sample: the
    # threads go on until enough was answered to mean anything
    while answered_so_far() < MIN_ANSWERED and time.time() - t0 < 4 * SECS:
        time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    total = sum(sum(v.values()) for v in counts.values())
    answered = sum(n for v in counts.values() for s, n in v.items() if 200 <= s < 400)
    bad = {k: {s: n for s, n in v.items() if s >= 500 or s < 0} for k, v in counts.items()}
    waf = counts.get("GET /api/v1/search", {}).get(403, 0)
    bad = {k: v for k, v in bad.items() if v}
    for k in sorted(counts):
        print("  %-45s %s" % (k, dict(sorted(counts[k].items()))))
    print("%d requests in %.1f s, %d answered 2xx/3xx" % (total, time.time() - t0, answered))
    ok = True
    if answered < MIN_ANSWERED:
        print("FAIL: too few requests answered to mean anything")
        ok = False
    if not waf:
        print("FAIL: the WAF refused none of the hostile searches")
        ok = False
    if bad:
        print("FAIL: server errors or dropped connections: %r" % bad)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
