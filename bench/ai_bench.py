#!/usr/bin/env python3
"""ai_bench.py: the HTTP figures of bench/ai-bench.sh (standard library).

  ai_bench.py post URL TOKEN CH_OFF CH_ON N
      posts N messages to each channel, alternating, over one keep-alive
      connection each; prints the p50 of both and the difference
  ai_bench.py ask URL TOKEN N
      N asks (20 questions in turn) beside N full-text searches of the
      same words; prints p50 and p95 of both"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

QUESTIONS = ["when is the deploy", "database migration fails", "who reviews the merge",
             "coffee machine broken", "kubernetes cluster upgrade", "release notes ready",
             "backup restore test", "password rotation policy", "incident postmortem",
             "sprint planning monday", "customer invoice overdue", "dashboard metrics alert",
             "docker build cache", "network firewall rule", "lunch on friday",
             "pipeline runner queue", "latency timeout error", "feature roadmap", "login token",
             "memory leak worker thread"]


def conn(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def timed(c, method, path, token, body=None):
    h = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    t0 = time.perf_counter()
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    r.read()
    dt = time.perf_counter() - t0
    if r.status >= 300:
        raise SystemExit("%s %s -> %d" % (method, path, r.status))
    return dt * 1000


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def post(url, token, off, on, n):
    c_off, c_on = conn(url), conn(url)
    a, b = [], []
    for i in range(n):
        a.append(timed(c_off, "POST", "/api/v1/channels/%s/messages" % off, token,
                       {"body": "benchmark post %d about the release" % i}))
        b.append(timed(c_on, "POST", "/api/v1/channels/%s/messages" % on, token,
                       {"body": "benchmark post %d about the release" % i}))
    pa, pb = statistics.median(a), statistics.median(b)
    print("posting p50: moderation off %.3f ms, on (built-in, flag) %.3f ms: %+.3f ms "
          "(target <= +1 ms) over %d posts each" % (pa, pb, pb - pa, n))


def ask(url, token, n):
    c = conn(url)
    a, s = [], []
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)]
        a.append(timed(c, "POST", "/api/v1/ai/ask", token, {"question": q}))
        s.append(timed(c, "GET", "/api/v1/search?limit=20&q=" + urllib.parse.quote(q.split()[0]),
                       token))
    print("ask (semantic exact scan + full-text, built-in answer): p50 %.1f ms, p95 %.1f ms "
          "(target p95 <= 50 ms)" % (statistics.median(a), pct(a, 0.95)))
    print("  anchor, full-text search of one word: p50 %.1f ms, p95 %.1f ms"
          % (statistics.median(s), pct(s, 0.95)))


if __name__ == "__main__":
    if sys.argv[1] == "post":
        post(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    elif sys.argv[1] == "ask":
        ask(sys.argv[2], sys.argv[3], int(sys.argv[4]))
