#!/usr/bin/env python3
"""msg-kill9.py: the posting side of bench/msg-kill9.sh. 16 clients post
with idempotency keys while a subscriber streams events; the wrapper kills
plexichat.fcgi with SIGKILL and starts it again. A post whose answer was
lost is retried with the same key until answered. Afterwards it checks:
every post answered 201 (or 200, replayed) is stored exactly once, nothing
else is stored, a post only ever answered with an error left nothing, and
the subscriber, reconnecting with Last-Event-ID, saw every stored message
exactly once. A run where too few posts were answered before the first
kill, between kills or after the last one proves nothing, and fails.

  msg-kill9.py URL CHANNEL TOKEN CONNINFO SECONDS KILL_TIMES_FILE
"""
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse

URL, CH, TOK, CONNINFO, SECS = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
KILLS = sys.argv[6]
MIN_ACKED = 20  # answered posts wanted in each period around the kills
U = urllib.parse.urlsplit(URL)
H = {"Authorization": "Bearer " + TOK, "Content-Type": "application/json"}


def post(body, key):
    try:
        c = http.client.HTTPConnection(U.hostname, U.port, timeout=10)
        c.request("POST", "/api/v1/channels/%d/messages" % CH, json.dumps({"body": body}),
                  dict(H, **{"Idempotency-Key": key}))
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data).get("id") if r.status in (200, 201) else None)
    except (OSError, http.client.HTTPException, ValueError):
        return -1, None


def poster(n, stop, answered, failed_once, error_only):
    i = 0
    while not stop.is_set():
        body, key = "k9 %d-%d" % (n, i), "k9-%d-%d" % (n, i)
        status, mid = post(body, key)
        statuses = [status]
        deadline = time.time() + 15
        # a lost answer is retried with the same key (never a duplicate),
        # even after stop, so that every post ends answered
        while status not in (200, 201) and time.time() < deadline:
            failed_once.add(body)
            time.sleep(0.05)
            status, mid = post(body, key)
            statuses.append(status)
        if status in (200, 201):
            answered[body] = (mid, time.time())
        elif -1 not in statuses:
            error_only.add(body)  # only ever answered with an error
        i += 1


def stream(last_id, seen, stop, log):
    """Reads SSE, reconnecting with Last-Event-ID, until stop and drained."""
    while True:
        log.append((time.time(), last_id[0], len(seen)))
        try:
            c = http.client.HTTPConnection(U.hostname, U.port, timeout=3)
            h = {"Authorization": "Bearer " + TOK}
            if last_id[0]:
                h["Last-Event-ID"] = str(last_id[0])
            c.request("GET", "/api/v1/events", headers=h)
            r = c.getresponse()
            if r.status != 200:
                raise OSError("status %d" % r.status)
            ev = {}
            while True:
                line = r.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line.startswith("id: "):
                    ev["id"] = int(line[4:])
                elif line.startswith("data: "):
                    ev["data"] = json.loads(line[6:])
                elif line == "" and "data" in ev:
                    d = ev["data"]
                    if d.get("type") == "message.created":
                        seen.append(d["data"]["id"])
                    if "id" in ev:
                        last_id[0] = ev["id"]
                    ev = {}
        except (OSError, http.client.HTTPException, ValueError):
            pass
        if stop.is_set():
            return
        time.sleep(0.2)


def psql(sql):
    return subprocess.run(["psql", "-X", "-At", CONNINFO, "-c", sql], capture_output=True,
                          text=True, check=True).stdout


def main():
    answered, failed_once, error_only, seen, last_id = {}, set(), set(), [], [None]
    stop, stream_stop = threading.Event(), threading.Event()
    head = json.loads(subprocess.run(["curl", "-s", "-H", "Authorization: Bearer " + TOK,
                                      URL + "/api/v1/events?after=0&wait=0&limit=1"],
                                     capture_output=True, text=True).stdout)
    last_id[0] = head.get("last_event_id", 0) or None
    log = []
    st = threading.Thread(target=stream, args=(last_id, seen, stream_stop, log))
    st.start()
    ps = [threading.Thread(target=poster, args=(n, stop, answered, failed_once, error_only)) for n in range(16)]
    for t in ps:
        t.start()
    time.sleep(SECS)
    stop.set()
    for t in ps:
        t.join()
    time.sleep(3)
    stream_stop.set()
    st.join(20)
    rows = psql("SELECT body || '|' || count(*) FROM messages WHERE body LIKE 'k9 %' GROUP BY body")
    stored = dict(line.rsplit("|", 1) for line in rows.split("\n") if line)
    dup = [b for b, n in stored.items() if int(n) != 1]
    lost = [b for b in answered if b not in stored]
    orphan = [b for b in stored if b not in answered]
    error_left = [b for b in error_only if b in stored]
    ids = set(mid for mid, _ in answered.values())
    from collections import Counter
    counts = Counter(x for x in seen if x in ids)
    missing_ev = [i for i in ids if counts[i] == 0]
    twice_ev = [i for i, n in counts.items() if n > 1]
    print("posts answered 2xx: %d (%d needed a retry after a failure)" % (len(answered), len(failed_once)))
    print("stored: %d; duplicates: %d; answered but missing: %d; stored but never answered: %d;"
          " answered only with errors: %d, of which stored: %d"
          % (len(stored), len(dup), len(lost), len(orphan), len(error_only), len(error_left)))
    print("subscriber after reconnects: %d of %d messages seen, %d missing, %d seen twice"
          % (len(counts), len(ids), len(missing_ev), len(twice_ev)))
    if missing_ev:
        print("missing message ids %d..%d; (re)connections (time, last event id, seen): %s"
              % (min(missing_ev), max(missing_ev), [(round(t % 100, 1), l, n) for t, l, n in log]))
    kills = [float(x) for x in open(KILLS).read().split()]
    edges = [0.0] + kills + [float("inf")]
    periods = [sum(1 for _, t in answered.values() if edges[i] <= t < edges[i + 1])
               for i in range(len(edges) - 1)]
    print("posts answered before, between and after the %d kills: %s (at least %d wanted in each)"
          % (len(kills), periods, MIN_ACKED))
    enough = len(kills) >= 1 and min(periods) >= MIN_ACKED
    ok = (enough and not dup and not lost and not orphan and not error_left and not missing_ev
          and not twice_ev)
    print("RESULT: %s" % ("ok" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


main()
