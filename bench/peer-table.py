#!/usr/bin/env python3
"""peer-table.py: the side-by-side table of bench/peer-bench.sh, from the
"RESULT round proto phase key=value..." lines bench/peer_fanout prints.

  peer-table.py RESULTS_FILE
"""
import sys

NAMES = {"xmpp": "ejabberd", "sse": "PlexiChat"}


def load(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) < 4 or f[0] != "RESULT":
            continue
        kv = dict(x.split("=", 1) for x in f[4:] if "=" in x)
        rows[(f[1], f[2], f[3])] = kv
    return rows


def main():
    rows = load(sys.argv[1])
    rounds = sorted({r for r, _, _ in rows}, key=int)
    phases = []
    for _, _, ph in rows:
        if ph != "members" and ph not in phases:
            phases.append(ph)
    print("| round | figure | ejabberd | PlexiChat | load (1 min) | better |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    best = {"xmpp": (0.0, None), "sse": (0.0, None)}
    for r in rounds:
        x, p = rows.get((r, "xmpp", "members")), rows.get((r, "sse", "members"))
        if x and p:
            print("| %s | memory per connected member (KiB) | %s | %s | | %s |" % (
                r, x["kib_per_member"], p["kib_per_member"],
                NAMES["xmpp"] if float(x["kib_per_member"]) < float(p["kib_per_member"]) else NAMES["sse"]))
        for ph in phases:
            x, p = rows.get((r, "xmpp", ph)), rows.get((r, "sse", ph))
            if not x or not p:
                continue
            load = "%s / %s" % (x["load"], p["load"])
            if ph.startswith("sat"):
                for k, v in (("xmpp", x), ("sse", p)):
                    if float(v["accepted_per_s"]) > best[k][0] and v["missing"] == "0":
                        best[k] = (float(v["accepted_per_s"]), v, r, ph)
                print("| %s | %s: messages/s into the room | %s | %s | %s | %s |" % (
                    r, ph, x["accepted_per_s"], p["accepted_per_s"], load,
                    NAMES["xmpp"] if float(x["accepted_per_s"]) > float(p["accepted_per_s"]) else NAMES["sse"]))
            for q in ("p50", "p99"):
                print("| %s | %s: delivery %s (ms), missing %s / %s | %s | %s | %s | %s |" % (
                    r, ph, q, x["missing"], p["missing"], x[q], p[q], load,
                    NAMES["xmpp"] if float(x[q]) < float(p[q]) else NAMES["sse"]))
    bx, bp = best["xmpp"], best["sse"]
    if bx[1] is None or bp[1] is None:
        print("target: not measured (a saturation phase lost messages or did not run)")
        return
    ratio = bp[0] / bx[0] if bx[0] else float("inf")
    print("target (issue 22): PlexiChat >= 2x ejabberd's messages/s into the room at an equal or lower"
          " delivery p99")
    print("  best saturation: ejabberd %.0f msg/s (round %s, %s, p99 %s ms); PlexiChat %.0f msg/s"
          " (round %s, %s, p99 %s ms) -> %.2fx, p99 %s: %s" % (
              bx[0], bx[2], bx[3], bx[1]["p99"], bp[0], bp[2], bp[3], bp[1]["p99"], ratio,
              "lower or equal" if float(bp[1]["p99"]) <= float(bx[1]["p99"]) else "higher",
              "MET" if ratio >= 2 and float(bp[1]["p99"]) <= float(bx[1]["p99"]) else "NOT MET"))


main()
