#!/usr/bin/env python3
"""scale_bench.py: latency percentiles of labelled GET requests.

    scale_bench.py URL TOKEN FILE [--conns N] [--seconds S] [--pct 95,99]

FILE holds one request a line, "label<TAB>path". Each of N connections
(threads, keep-alive when the server keeps the connection) sends the lines
in turn, starting at a different line, until S seconds have passed. Prints
one line for all requests and one per label: count, p50 and the asked
percentiles in ms. A request that does not answer 200 stops the run: a
figure of failed requests would mean nothing.
"""
import argparse
import http.client
import sys
import threading
import time
import urllib.parse


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] * 1000 if xs else float("nan")


def worker(url, token, reqs, start, deadline, out, errors):
    u = urllib.parse.urlsplit(url)
    conn = None
    i = start
    while time.monotonic() < deadline and not errors:
        label, path = reqs[i % len(reqs)]
        i += 1
        if conn is None:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Authorization": "Bearer " + token})
            r = conn.getresponse()
            body = r.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = None
            continue
        dt = time.perf_counter() - t0
        if r.status != 200:
            errors.append("%s -> %d %s" % (path, r.status, body[:200]))
            break
        out.append((label, dt))
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("file")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pct", default="95,99")
    ap.add_argument("--name", default="")
    a = ap.parse_args()
    reqs = [tuple(line.rstrip("\n").split("\t", 1)) for line in open(a.file) if "\t" in line]
    ps = [float(p) for p in a.pct.split(",")]
    out, errors = [], []
    deadline = time.monotonic() + a.seconds
    ts = [threading.Thread(target=worker, args=(a.url, a.token, reqs, k * len(reqs) // a.conns,
                                                deadline, out, errors))
          for k in range(a.conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("scale_bench: " + errors[0])

    def line(name, xs):
        return "%-28s n=%-6d p50=%.2f %s" % (name, len(xs), pct(xs, 50), " ".join(
            "p%g=%.2f" % (p, pct(xs, p)) for p in ps))
    print(line(a.name + " all", [d for _, d in out]))
    for label in sorted({lab for lab, _ in out}):
        print("  " + line(label, [d for lab, d in out if lab == label]))


if __name__ == "__main__":
    main()
