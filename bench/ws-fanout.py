#!/usr/bin/env python3
"""ws-fanout.py: WebSocket subscribers of GET /api/v1/events/ws (a small
RFC 6455 client on asyncio, standard library only).

  ws-fanout.py URL CHANNEL_ID POSTER_TOKEN SUBSCRIBER_TOKENS_FILE \
               [--subs 1000] [--posts 20] [--pids 123,456] [--idle-seconds 0] [--unix PATH]

Opens --subs sockets (in batches, each caught up: {"type":"ready"}), then
either posts --posts messages (always over URL) one after another and prints how long after
each POST returned every socket had it (p50, p99, max), or, with
--idle-seconds S, holds them idle for S seconds and prints the RSS of
--pids before and while connected (KiB per connection). --unix PATH opens
the sockets on plexichat-ws's own socket instead of through the web server.
"""
import argparse
import asyncio
import base64
import http.client
import json
import os
import struct
import time
import urllib.parse


async def ws_open(host, port, token, unix=None):
    if unix:
        # straight to plexichat-ws, with the header a front would add
        reader, writer = await asyncio.open_unix_connection(unix, limit=1 << 20)
        extra = "X-Forwarded-For: 127.0.0.1\r\n"
    else:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        extra = ""
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(("GET /api/v1/events/ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "Authorization: Bearer %s\r\n%s\r\n" % (host, port, key, token, extra)).encode())
    await writer.drain()
    status = await reader.readline()
    if b" 101 " not in status:
        raise RuntimeError("upgrade refused: %r" % status)
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def frame(reader):
    h = await reader.readexactly(2)
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    return h[0] & 0x0F, await reader.readexactly(n)


def pong(payload):
    k = os.urandom(4)
    masked = bytes(c ^ k[i & 3] for i, c in enumerate(payload))
    return struct.pack("!BB", 0x8A, 0x80 | len(payload)) + k + masked


async def subscriber(host, port, token, arrivals, ready, unix):
    reader, writer = await ws_open(host, port, token, unix)
    announced = False
    try:
        while True:
            op, p = await frame(reader)
            if op == 0x9:
                writer.write(pong(p))
                continue
            if op == 0x8:
                return
            if op != 0x1:
                continue
            ev = json.loads(p)
            if ev.get("type") == "ready" and not announced:
                announced = True
                ready.release()
            elif ev.get("type") == "message.created":
                arrivals.setdefault(ev["data"]["id"], []).append(time.monotonic())
    except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
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
    ap.add_argument("--idle-seconds", type=float, default=0)
    ap.add_argument("--unix", default=None, help="plexichat-ws's socket, not the web server")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    tokens = [t.strip() for t in open(a.tokens_file) if t.strip()]
    pids = [p for p in a.pids.split(",") if p]
    rss_before = [rss_kib([p]) for p in pids]
    arrivals, posted = {}, {}
    ready = asyncio.Semaphore(0)
    tasks = []
    t0 = time.monotonic()
    batch = 200
    for i in range(a.subs):
        tasks.append(asyncio.create_task(subscriber(u.hostname, u.port, tokens[i % len(tokens)],
                                                    arrivals, ready, a.unix)))
        if i % batch == batch - 1 or i == a.subs - 1:
            for _ in range(i % batch + 1):
                await asyncio.wait_for(ready.acquire(), 120)
    connect_s = time.monotonic() - t0
    print("websockets: %d connected and caught up in %.1f s" % (a.subs, connect_s))
    if a.idle_seconds:
        await asyncio.sleep(a.idle_seconds)
        during = [rss_kib([p]) for p in pids]
        alive = sum(1 for t in tasks if not t.done())
        total = sum(during) - sum(rss_before)
        for p, b, d in zip(pids, rss_before, during):
            print("  pid %s: RSS %d KiB before, %d KiB with the sockets (+%d KiB)" % (p, b, d, d - b))
        print("idle: %d of %d sockets open after %.0f s; RSS of the holding processes %.1f MiB in all "
              "(%d MiB before + %.1f MiB), %.2f KiB per connection"
              % (alive, a.subs, a.idle_seconds, sum(during) / 1024, sum(rss_before) / 1024,
                 total / 1024, total / max(1, a.subs)))
    else:
        await asyncio.sleep(1)
        loop = asyncio.get_running_loop()

        def post(i):
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            c.request("POST", "/api/v1/channels/%d/messages" % a.channel,
                      body=json.dumps({"body": "ws fan-out %d" % i}),
                      headers={"Authorization": "Bearer " + a.poster,
                               "Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            done = time.monotonic()
            assert r.status == 201, (r.status, data[:200])
            return json.loads(data)["id"], done
        for i in range(a.posts):
            mid, done = await loop.run_in_executor(None, post, i)
            posted[mid] = done
            await asyncio.sleep(0.25)
        await asyncio.sleep(2)
        lat, first, missing = [], [], 0
        for mid, done in posted.items():
            got = arrivals.get(mid, [])
            missing += a.subs - len(got)
            lat += [max(0.0, t - done) * 1000 for t in got]
            if got:
                first.append(max(0.0, min(got) - done) * 1000)
        print("websockets %d; %d messages; deliveries %d, missing %d"
              % (a.subs, a.posts, len(lat), missing))
        if lat:
            print("delivery after POST returned: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
                  % (pct(lat, 50), pct(lat, 99), max(lat)))
            print("first socket of each message: p50 %.1f ms (the rest is the spread over %d sockets)"
                  % (pct(first, 50), a.subs))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


asyncio.run(main())
