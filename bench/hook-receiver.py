#!/usr/bin/env python3
"""hook-receiver.py HOST PORT COUNTFILE: the webhook receiver of
bench/integrations-bench.sh. An asyncio HTTP/1.1 server that answers every
request 200 with an empty body and closes the connection, and records the
X-PlexiChat-Delivery id of each; every second (and on SIGTERM) it writes
"requests unique_ids" to COUNTFILE. Standard library only."""
import asyncio
import os
import signal
import sys

HOST, PORT, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
IDS = set()
REQUESTS = [0]
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def dump():
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (REQUESTS[0], len(IDS)))
    os.replace(tmp, OUT)


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            k, _, v = line.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                length = int(v.strip())
            elif k == b"x-plexichat-delivery":
                IDS.add(v.strip())
        if length:
            await reader.readexactly(length)
        REQUESTS[0] += 1
        writer.write(REPLY)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def ticker():
    while True:
        await asyncio.sleep(1)
        dump()


async def main():
    server = await asyncio.start_server(handle, HOST, PORT, backlog=1024)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    t = asyncio.create_task(ticker())
    async with server:
        await stop
    t.cancel()
    dump()


asyncio.run(main())
