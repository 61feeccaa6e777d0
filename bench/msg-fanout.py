#!/usr/bin/env python3
"""msg-fanout.py: opens N SSE subscribers to GET /api/v1/events, posts M
messages one after another, and prints how long after each POST returned
every subscriber had the message (p50, p99, max), plus the RSS of the
given processes while all subscribers are connected.

  msg-fanout.py URL CHANNEL_ID POSTER_TOKEN SUBSCRIBER_TOKENS_FILE \
                [--subs 1000] [--posts 20] [--pids 123,456]
"""
import argparse
import asyncio
import http.client
import json
import time
import urllib.parse


async def subscriber(host, port, token, arrivals, ready, target_ids):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(("GET /api/v1/events HTTP/1.0\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                  "Accept: text/event-stream\r\n\r\n" % (host, token)).encode())
    await writer.drain()
    status = await reader.readline()
    assert b" 200 " in status, status
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    ready.release()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            # HTTP/1.0: the stream comes unchunked, one SSE line per line
            i = line.find(b"data: ")
            if i < 0:
                continue
            ev = json.loads(line[i + 6:])
            if ev.get("type") == "message.created":
                # recorded for every message: delivery may beat the POST's answer
                arrivals.setdefault(ev["data"]["id"], []).append(time.monotonic())
    except (asyncio.CancelledError, ConnectionError):
        pass
    finally:
        writer.close()


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("channel", type=int)
    ap.add_argument("poster")
    ap.add_argument("tokens_file")
    ap.add_argument("--subs", type=int, default=1000)
    ap.add_argument("--posts", type=int, default=20)
    ap.add_argument("--pids", default="")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    tokens = [t.strip() for t in open(a.tokens_file) if t.strip()]
    pids = [p for p in a.pids.split(",") if p]
    rss_before = rss_kib(pids)
    arrivals, target_ids, posted = {}, set(), {}
    ready = asyncio.Semaphore(0)
    tasks = []
    t0 = time.monotonic()
    # connect in batches of 50, each once the previous one is streaming:
    # plexichat.fcgi's listen backlog (256) would overflow if a thousand
    # connections arrived while its workers were busy catching up
    for i in range(a.subs):
        tasks.append(asyncio.create_task(subscriber(u.hostname, u.port, tokens[i % len(tokens)],
                                                    arrivals, ready, target_ids)))
        if i % 50 == 49 or i == a.subs - 1:
            for _ in range(i % 50 + 1):
                await asyncio.wait_for(ready.acquire(), 60)
    connect_s = time.monotonic() - t0
    await asyncio.sleep(1)
    rss_during = rss_kib(pids)
    loop = asyncio.get_running_loop()

    def post(i):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        body = json.dumps({"body": "fan-out %d" % i})
        c.request("POST", "/api/v1/channels/%d/messages" % a.channel, body=body,
                  headers={"Authorization": "Bearer " + a.poster,
                           "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        done = time.monotonic()
        assert r.status == 201, (r.status, data[:200])
        return json.loads(data)["id"], done
    for i in range(a.posts):
        mid, done = await loop.run_in_executor(None, post, i)
        target_ids.add(mid)
        posted[mid] = done
        await asyncio.sleep(0.25)
    await asyncio.sleep(2)
    lat, missing = [], 0
    for mid, done in posted.items():
        got = arrivals.get(mid, [])
        missing += a.subs - len(got)
        lat += [max(0.0, t - done) * 1000 for t in got]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("subscribers %d connected in %.1f s; %d messages; deliveries %d, missing %d"
          % (a.subs, connect_s, a.posts, len(lat), missing))
    if lat:
        print("delivery after POST returned: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (pct(lat, 50), pct(lat, 99), max(lat)))
    if pids:
        print("FastCGI RSS: %d KiB before, %d KiB with %d subscribers (%.1f KiB each)"
              % (rss_before, rss_during, a.subs, (rss_during - rss_before) / max(1, a.subs)))


asyncio.run(main())
