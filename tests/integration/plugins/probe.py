#!/usr/bin/env python3
"""A process plugin for the tests (protocol 1): what it does with a message
is chosen by the message. "!upper" -> modify to upper case; "!reject" ->
reject; "!net HOST PORT" -> modify to net:open or net:blocked, after trying
a TCP connection; "!ptrace" -> a forbidden system call; "!crash" -> exit;
"!hang" -> no answer; "!alloc" -> 1 GiB at once; "!big" -> a 2 MiB answer; "!garbage" -> not JSON;
"!settings" -> modify to the settings it was started with; anything else
-> pass."""
import ctypes
import json
import os
import socket
import sys
import time


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        req = json.loads(line)
        rid = req["id"]
        body = req.get("body", "")
        if body.startswith("!upper"):
            answer({"id": rid, "action": "modify", "body": body.upper()})
        elif body.startswith("!reject"):
            answer({"id": rid, "action": "reject", "reason": "probe says no"})
        elif body.startswith("!net"):
            _, host, port = body.split()
            try:
                s = socket.create_connection((host, int(port)), timeout=2)
                s.close()
                result = "net:open"
            except OSError:
                result = "net:blocked"
            answer({"id": rid, "action": "modify", "body": result})
        elif body.startswith("!ptrace"):
            ctypes.CDLL(None).ptrace(0, 0, 0, 0)
            answer({"id": rid, "action": "pass"})
        elif body.startswith("!crash"):
            sys.exit(3)
        elif body.startswith("!hang"):
            time.sleep(30)
        elif body.startswith("!alloc"):
            hoard = bytearray(1 << 30)  # past its memory limit: MemoryError, and it ends
            answer({"id": rid, "action": "pass", "size": len(hoard)})
        elif body.startswith("!big"):
            answer({"id": rid, "action": "modify", "body": "x" * (2 << 20)})
        elif body.startswith("!garbage"):
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
        elif body.startswith("!settings"):
            answer({"id": rid, "action": "modify", "body": os.environ.get("PLEXICHAT_SETTINGS", "")})
        else:
            answer({"id": rid, "action": "pass"})


if __name__ == "__main__":
    main()
