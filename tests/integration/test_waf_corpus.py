"""Replays the WAF corpora over HTTP against the running server.

Python 3 standard library only, raw sockets. Two passes: the shared corpus
(../shared/waf-corpus/dev.jsonl, skipped when absent) and the project's own
held-out set (tests/waf-heldout/heldout.jsonl, written without looking at
the rules). Each line is sent exactly as ../shared/waf-corpus/README.md
says (its headers in order, plus Content-Length and Connection: close). A
request counts as blocked when the answer is 403 with a JSON error_code
starting with SECURITY_; resets and timeouts are counted on their own.
Start the server with PLEXICHAT_WAF_AUTO_BLOCK=off and
PLEXICHAT_RATE_LIMIT=off. Each pass has its own thresholds (see PASSES).
Exit status: 1 when a pass misses its thresholds, 77 (skipped) when the
shared corpus is absent and the held-out pass met its own, else 0.
"""
import base64
import json
import os
import socket
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("PX_WAF_CORPUS",
                        os.path.join(ROOT, "..", "shared", "waf-corpus", "dev.jsonl"))
HELDOUT = os.environ.get("PX_WAF_HELDOUT",
                         os.path.join(ROOT, "tests", "waf-heldout", "heldout.jsonl"))
BASE = os.environ.get("PX_BASE_URL", "http://127.0.0.1:8080")
# (name, path, minimum detection, maximum false positives). The held-out
# floor is what was measured over HTTP through the run command (90.8%
# detection, 1.7% false positives; docs/BENCHMARKS.md) less 2 points of
# detection and plus 1 point of false positives: a guard against
# regressions, not a target to tune the rules to. The shared corpus's
# false positives rose from 0 to 2.2% (3 of 137) when the WAF stopped
# naming profiles for routes nobody serves (downloads, GitHub hooks, AI
# chat): those harmless requests to missing routes are now judged by the
# default profile. Its ceiling is what that measured, plus the same point.
PASSES = [
    ("shared", CORPUS, 0.97, 0.032),
    ("held-out", HELDOUT, 0.888, 0.027),
]


def wire(case):
    body = case.get("body", "")
    if case.get("body_encoding") == "base64":
        body = base64.b64decode(body)
    else:
        body = body.encode("utf-8")
    target = case["path"] + ("?" + case["query"] if case.get("query") else "")
    lines = ["%s %s HTTP/1.1" % (case["method"], target)]
    lines += ["%s: %s" % (k, v) for k, v in case["headers"].items()]
    if body or case["method"] in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send(data, timeout=15):
    """Returns (status, error_code) or (None, 'reset'/'timeout')."""
    u = urllib.parse.urlsplit(BASE)
    try:
        s = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
    except ConnectionRefusedError:
        return None, "refused"
    chunks = []
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer before reading a large body
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    except socket.timeout:
        return None, "timeout"
    except ConnectionResetError:
        if not chunks:
            return None, "reset"
    finally:
        s.close()
    resp = b"".join(chunks)
    head, _, body = resp.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None, "reset"
    code = ""
    if b"chunked" in head.lower():
        body = dechunk(body)
    try:
        code = json.loads(body.decode("utf-8")).get("error_code", "")
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    return status, code


def dechunk(b):
    out = b""
    while b:
        size, _, rest = b.partition(b"\r\n")
        try:
            n = int(size.split(b";")[0], 16)
        except ValueError:
            return out
        if n == 0:
            break
        out += rest[:n]
        b = rest[n + 2:]
    return out


def replay(label, path, min_detect, max_fp):
    """Sends every case of one corpus; returns True when it meets its thresholds."""
    print("== %s corpus: %s" % (label, path))
    cases = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    per = {}
    other = {}
    refused = 0  # attacks the web server itself refused (no JSON, never reached PlexiChat)
    for c in cases:
        status, code = send(wire(c))
        blocked = status == 403 and code.startswith("SECURITY_")
        if c["expect"] == "block" and status in (400, 405, 501) and not code:
            refused += 1
            print("  %s: refused by the web server itself with %s" % (c["id"], status))
        if status is None:
            other[code] = other.get(code, 0) + 1
            print("  %s: %s" % (c["id"], code))
        k = per.setdefault(c["class"], [c["expect"], 0, 0])
        k[1] += 1
        k[2] += 1 if blocked else 0
        if blocked != (c["expect"] == "block"):
            print("  miss %s (%s): status %s %s" % (c["id"], c["expect"], status, code))
    att = sum(v[1] for v in per.values() if v[0] == "block")
    att_b = sum(v[2] for v in per.values() if v[0] == "block")
    ben = sum(v[1] for v in per.values() if v[0] == "pass")
    ben_b = sum(v[2] for v in per.values() if v[0] == "pass")
    for name, (exp, total, blocked) in sorted(per.items()):
        print("%-18s %4d/%-4d %s" % (name, blocked, total,
                                     "blocked" if exp == "block" else "false positives"))
    det = att_b / att if att else 1.0
    fp = ben_b / ben if ben else 0.0
    stopped = (att_b + refused) / att if att else 1.0
    print("detection %.1f%% (%d/%d), false positives %.1f%% (%d/%d), resets/timeouts %s"
          % (100 * det, att_b, att, 100 * fp, ben_b, ben, other or "none"))
    print("attacks stopped before any handler, counting the web server's own refusals "
          "(methods it does not know): %.1f%% (%d/%d)"
          % (100 * stopped, att_b + refused, att))
    # lighttpd answers unknown methods (501) and CONNECT (405) itself, before
    # any FastCGI program sees them; those requests are stopped too, but the
    # threshold counts only PlexiChat's own 403 SECURITY_* answers.
    if det < min_detect or fp > max_fp:
        print("FAIL %s: need detection >= %.1f%% and false positives <= %.1f%%"
              % (label, 100 * min_detect, 100 * max_fp))
        return False
    print("PASS %s" % label)
    return True


def main():
    ok, skipped = True, False
    for label, path, min_detect, max_fp in PASSES:
        if not os.path.exists(path):
            print("SKIP %s: corpus not found at %s%s" % (
                label, path, " (../shared is not beside this clone)" if path == CORPUS else ""))
            skipped = True
            continue
        ok = replay(label, path, min_detect, max_fp) and ok
    if not ok:
        return 1
    # scripts/test.sh reports 77 as skipped, never as a pass
    return 77 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
