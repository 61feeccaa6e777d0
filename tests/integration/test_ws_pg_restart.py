"""plexichat-ws across a PostgreSQL restart: while the database is down
new upgrades are refused with an error answer (no hang, no crash); once it
is back, plexichat-ws listens again by itself and a socket opened with the
last event id it had gets everything posted meanwhile and afterwards.
Stops the shared cluster: runs once (scripts/test.sh ONCE). Needs
PX_PG_STOP_CMD and PX_PG_START_CMD from scripts/test.sh."""
import os
import subprocess

import pxtest
from pxtest import request
from msglib import User, channel, post
from wslib import WS, Closed, open_ws

alice = User("wspg")


def test_socket_resumes_after_database_restart():
    stop_cmd, start_cmd = os.environ.get("PX_PG_STOP_CMD"), os.environ.get("PX_PG_START_CMD")
    assert stop_cmd and start_cmd, "PX_PG_STOP_CMD/PX_PG_START_CMD not set"
    c = channel(alice)
    ws = open_ws(alice.token)
    ws.ready()
    post(alice, c["id"], "before")
    last = ws.until(lambda m: m.get("type") == "message.created" and
                    m["data"]["body"] == "before")["id"]
    subprocess.run(stop_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    try:
        down = WS(token=alice.token, timeout=10)
        assert down.status == 503, (down.status, down.body)
    finally:
        subprocess.run(start_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    assert pxtest.wait_for(lambda: request("GET", "/api/v1/system/health").status == 200, 30)
    # the old socket may have been closed meanwhile (1011); either way a
    # new one resumes from the last event it had
    ws.sock.close()

    got = []

    def resumed():
        try:
            got.append(open_ws(alice.token, "?last_event_id=%d" % last, timeout=5))
        except (AssertionError, OSError, Closed):
            return False
        return True
    assert pxtest.wait_for(resumed, 30), "no upgrade after the restart"
    s = got[-1]
    s.ready()
    post(alice, c["id"], "after")
    ev = s.until(lambda m: m.get("type") == "message.created" and m["channel_id"] == c["id"])
    assert ev["data"]["body"] == "after", ev
    s.close()


if __name__ == "__main__":
    pxtest.run(globals())
