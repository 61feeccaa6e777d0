#!/usr/bin/env python3
"""peer-table.py: the side-by-side table of bench/peer-bench.sh, from the
"RESULT round proto phase key=value..." lines bench/peer_fanout prints
(proto xmpp: ejabberd; prosody: Prosody; sse and ws: PlexiChat's SSE and WebSocket streams).

  peer-table.py RESULTS_FILE
"""
import sys

NAMES = {"xmpp": "ejabberd", "prosody": "Prosody", "sse": "PlexiChat SSE", "ws": "PlexiChat WS"}


def load(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) < 4 or f[0] != "RESULT":
            continue
        rows[(f[1], f[2], f[3])] = dict(x.split("=", 1) for x in f[4:] if "=" in x)
    return rows


def winner(cols, key, higher):
    vals = [(float(v[key]), p) for p, v in cols if v]
    if len(vals) < 2:
        return ""
    best = max(vals) if higher else min(vals)
    return NAMES[best[1]]


def main():
    rows = load(sys.argv[1])
    rounds = sorted({r for r, _, _ in rows}, key=int)
    protos = [p for p in ("xmpp", "prosody", "sse", "ws") if any(k[1] == p for k in rows)]
    phases = []
    for _, _, ph in rows:
        if ph != "members" and ph not in phases:
            phases.append(ph)
    print("| round | figure | %s | load (1 min) | better |" % " | ".join(NAMES[p] for p in protos))
    print("| --- | --- | %s | --- | --- |" % " | ".join("---:" for _ in protos))
    for r in rounds:
        cols = [(p, rows.get((r, p, "members"))) for p in protos]
        # later rounds start from heaps the earlier ones grew
        if r == rounds[0]:
                print("| %s | memory per connected member (KiB) | %s | | %s |" % (
                r, " | ".join(v["kib_per_member"] if v else "-" for _, v in cols),
                winner(cols, "kib_per_member", False)))
        for ph in phases:
            cols = [(p, rows.get((r, p, ph))) for p in protos]
            la = " / ".join(v["load"] for _, v in cols if v)
            if ph.startswith("sat"):
                print("| %s | %s: messages/s into the room | %s | %s | %s |" % (
                    r, ph, " | ".join(v["accepted_per_s"] if v else "-" for _, v in cols), la,
                    winner(cols, "accepted_per_s", True)))
            for q in ("p50", "p99"):
                print("| %s | %s: delivery %s (ms) | %s | %s | %s |" % (
                    r, ph, q, " | ".join("%s%s" % (v[q], "" if v["missing"] == "0" else
                                                    " (%s missing)" % v["missing"]) if v else "-"
                                         for _, v in cols), la, winner(cols, q, False)))
    print()
    print("target (issue 22): PlexiChat >= 2x ejabberd's messages/s into the room at an equal or lower"
          " delivery p99. Per round: ejabberd's best saturation phase, beside PlexiChat's best one whose"
          " p99 is not above it (phases that lost messages do not count)")
    for r in rounds:
        sat = [ph for ph in phases if ph.startswith("sat")]
        ok = lambda v: v is not None and v["missing"] == "0"
        xs = [(float(rows[(r, "xmpp", ph)]["accepted_per_s"]), ph) for ph in sat if ok(rows.get((r, "xmpp", ph)))]
        if not xs:
            print("  round %s: ejabberd lost messages in every saturation phase or none ran" % r)
            continue
        xr, xph = max(xs)
        x = rows[(r, "xmpp", xph)]
        for p in ("sse", "ws"):
            if p not in protos:
                continue
            ps = [(float(rows[(r, p, ph)]["accepted_per_s"]), ph) for ph in sat
                  if ok(rows.get((r, p, ph))) and float(rows[(r, p, ph)]["p99"]) <= float(x["p99"])]
            if not ps:
                print("  round %s: %s has no saturation phase at or below ejabberd's p99 (%s ms, %s) -> NOT MET"
                      % (r, NAMES[p], x["p99"], xph))
                continue
            pr, pph = max(ps)
            v = rows[(r, p, pph)]
            print("  round %s: %s %s msg/s (%s, p99 %s ms) vs ejabberd %s msg/s (%s, p99 %s ms): %.2fx -> %s"
                  % (r, NAMES[p], v["accepted_per_s"], pph, v["p99"], x["accepted_per_s"], xph, x["p99"],
                     pr / max(1.0, xr), "MET" if pr >= 2 * xr else "NOT MET"))

main()
