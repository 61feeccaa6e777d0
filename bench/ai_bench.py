#!/usr/bin/env python3
"""ai_bench.py: the HTTP figures of bench/ai-bench.sh (standard library).

  ai_bench.py post URL TOKEN CH_OFF CH_ON N
      posts N messages to each channel, alternating, over one keep-alive
      connection each; prints the p50 of both and the difference
  ai_bench.py ask URL TOKEN N LABEL [EXACT.json]
      N asks (20 questions in turn) beside N full-text searches of the
      same words; prints p50 and p95 of both under LABEL, which search
      answered (search.index: ann or exact), and with EXACT.json (the
      sources of each question from ask-exact) the recall@10 of the
      answers' sources against them: by id, and counting a source whose
      score reaches the exact 10th score as found (ties are common)
  ai_bench.py ask-exact URL TOKEN OUT.json
      the sources of each question while the server searches every
      vector exactly (ai_ann = off, ai_semantic_window = 0), written with
      their scores to OUT.json"""
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


def sources(c, token, q):
    """[(message_id, score)] of ask's sources, and which search answered."""
    c.request("POST", "/api/v1/ai/ask", body=json.dumps({"question": q}).encode(),
              headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    j = json.loads(r.read())
    return [(x["message_id"], x["score"]) for x in j["sources"]], j["search"]["index"]


def ask_exact(url, token, out):
    c = conn(url)
    t0 = time.perf_counter()
    got = {q: sources(c, token, q)[0] for q in QUESTIONS}
    with open(out, "w") as f:
        json.dump(got, f)
    print("  exact ask (every vector): %.0f ms per question" %
          ((time.perf_counter() - t0) * 1000 / len(QUESTIONS)))


def ask(url, token, n, label, exact=None):
    c = conn(url)
    a, s, kinds = [], [], {}
    if exact:
        with open(exact) as f:
            want = json.load(f)
        hit = tied = tot = 0
        for q in QUESTIONS:
            got, _ = sources(c, token, q)
            ids = {w[0] for w in want[q]}
            floor = min((w[1] for w in want[q]), default=0)
            hit += len({g[0] for g in got} & ids)
            tied += min(len(want[q]), sum(1 for g in got if g[0] in ids or g[1] >= floor - 1e-4))
            tot += len(want[q])
        print("  recall@10 of ask's sources against ask over every vector exactly: %.3f by id, "
              "%.3f counting equal scores (%d questions, none used for tuning)"
              % (hit / max(tot, 1), tied / max(tot, 1), len(QUESTIONS)))
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)]
        a.append(timed(c, "POST", "/api/v1/ai/ask", token, {"question": q}))
        s.append(timed(c, "GET", "/api/v1/search?limit=20&q=" + urllib.parse.quote(q.split()[0]),
                       token))
        kind = sources(c, token, q)[1] if i < len(QUESTIONS) else None
        if kind:
            kinds[kind] = kinds.get(kind, 0) + 1
    print("ask, %s: p50 %.1f ms, p95 %.1f ms (target p95 <= 50 ms; answered by: %s)"
          % (label, statistics.median(a), pct(a, 0.95),
             ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    print("  anchor, full-text search of one word: p50 %.1f ms, p95 %.1f ms"
          % (statistics.median(s), pct(s, 0.95)))


if __name__ == "__main__":
    if sys.argv[1] == "post":
        post(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    elif sys.argv[1] == "ask":
        ask(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5],
            sys.argv[6] if len(sys.argv) > 6 else None)
    elif sys.argv[1] == "ask-exact":
        ask_exact(sys.argv[2], sys.argv[3], sys.argv[4])
