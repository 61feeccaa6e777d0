#!/usr/bin/env python3
"""bench/import-gen.py: writes a Slack export zip of N messages for
bench/import-bench.sh (users, channels, a file per channel and day, a
thread every 20 messages, a reaction every 7), streamed into the zip one day
file at a time, and the same rows as CSV for the COPY anchor (channel
number, author number, body, html, created_at)."""
import csv
import json
import sys
import time
import zipfile

N = int(sys.argv[1])
ZIP, CSV = sys.argv[2], sys.argv[3]
CHANNELS, USERS, PER_DAY = 20, 50, 100
T0 = 1600000000
WORDS = ("deploy release database migration lunch coffee review merge branch server backup "
         "restore ticket customer invoice meeting standup sprint design cache latency error "
         "timeout network firewall token login holiday budget report metrics dashboard alert "
         "incident roadmap feature bug fix test build pipeline runner queue worker").split()


def text(k):
    w = [WORDS[(k * 7 + i * 13) % len(WORDS)] for i in range(8 + k % 12)]
    if k % 5 == 0:
        w[2] = "*%s*" % w[2]
    return " ".join(w)


with zipfile.ZipFile(ZIP, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z, \
        open(CSV, "w", newline="") as out:
    rows = csv.writer(out)
    users = [{"id": "UB%05d" % i, "name": "bench%d" % i, "profile": {"display_name": "Bench %d" % i}}
             for i in range(USERS)]
    z.writestr("users.json", json.dumps(users))
    z.writestr("channels.json", json.dumps(
        [{"id": "CB%03d" % c, "name": "bench-%d" % c, "created": T0,
          "members": [u["id"] for u in users]} for c in range(CHANNELS)]))
    per_channel = (N + CHANNELS - 1) // CHANNELS
    k = 0
    for c in range(CHANNELS):
        done, day, root = 0, 0, None
        while done < per_channel and k < N:
            msgs = []
            for i in range(min(PER_DAY, per_channel - done, N - k)):
                sec = T0 + day * 86400 + i * 60
                ts = "%d.%06d" % (sec, k % 1000000)
                m = {"type": "message", "user": users[k % USERS]["id"], "ts": ts, "text": text(k)}
                if i % 20 == 0:
                    root = ts
                elif i % 20 < 4:
                    m["thread_ts"] = root
                if k % 7 == 0:
                    m["reactions"] = [{"name": "+1", "users": [users[(k + 1) % USERS]["id"]],
                                       "count": 1}]
                msgs.append(m)
                body = text(k).replace("*", "**")
                rows.writerow([c, k % USERS, body, "<p>%s</p>" % body,
                               time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(sec))])
                k += 1
            done += len(msgs)
            z.writestr("bench-%d/%s.json" % (c, time.strftime("%Y-%m-%d", time.gmtime(T0 + day * 86400))),
                       json.dumps(msgs))
            day += 1
print(k)
