"""auth_bench: prints login p50 and the p50 cost of authentication over an
anonymous request. Usage: auth_bench.py BASE_URL USER PASSWORD.
Samples are interleaved (anonymous, bearer, cookie, ...) on one keep-alive
connection each, so drift affects all three alike."""
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

BASE, USER, PW = sys.argv[1:4]
U = urllib.parse.urlsplit(BASE)
N = int(os.environ.get("PX_BENCH_SAMPLES", "3000"))
LOGINS = int(os.environ.get("PX_BENCH_LOGINS", "40"))
PATH = "/api/v1/system/version"


def conn():
    return http.client.HTTPConnection(U.hostname, U.port, timeout=30)


def timed(c, method, path, body=None, headers=None):
    t0 = time.perf_counter()
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    return (time.perf_counter() - t0) * 1000.0, r, data


def login_p50():
    c, times, tok, cookie = conn(), [], None, None
    body = json.dumps({"username": USER, "password": PW})
    for _ in range(LOGINS):
        ms, r, data = timed(c, "POST", "/api/v1/auth/login", body,
                            {"Content-Type": "application/json"})
        assert r.status == 200, (r.status, data[:200])
        times.append(ms)
        tok = json.loads(data)["token"]
        cookie = r.getheader("Set-Cookie").split(";")[0]
    return statistics.median(times), tok, cookie


def main():
    lp50, tok, cookie = login_p50()
    kinds = {"anonymous": {}, "bearer": {"Authorization": "Bearer " + tok},
             "cookie": {"Cookie": cookie}}
    conns = {k: conn() for k in kinds}
    samples = {k: [] for k in kinds}
    for k in kinds:  # warm the connections and prepared statements
        for _ in range(50):
            timed(conns[k], "GET", PATH, headers=kinds[k])
    for _ in range(N):
        for k, h in kinds.items():
            ms, r, _ = timed(conns[k], "GET", PATH, headers=h)
            assert r.status == 200, r.status
            samples[k].append(ms)
    p50 = {k: statistics.median(v) for k, v in samples.items()}
    print("login p50 (Argon2id m=19 MiB t=2 p=1): %.1f ms over %d logins" % (lp50, LOGINS))
    for k in kinds:
        print("GET %s %-9s p50 %.3f ms  p90 %.3f ms" % (
            PATH, k, p50[k], statistics.quantiles(samples[k], n=10)[8]))
    for k in ("bearer", "cookie"):
        print("extra for %s authentication: %+.3f ms at p50 (budget 0.300)" % (
            k, p50[k] - p50["anonymous"]))


main()
