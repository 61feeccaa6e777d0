"""test_msg_pg_restart: PostgreSQL restarts while event subscribers wait.
The streams stay open (they are held by the process's hub, not by a
database connection); once the database is back the hub listens again, and
a message posted then, and one posted just before the restart, reach the
waiting stream exactly once. Needs PX_PG_STOP_CMD and PX_PG_START_CMD."""
import os
import subprocess
import time

import pxtest
from msglib import SSE, User, channel, post


def test_subscribers_survive_restart():
    stop_cmd, start_cmd = os.environ.get("PX_PG_STOP_CMD"), os.environ.get("PX_PG_START_CMD")
    assert stop_cmd and start_cmd, "PX_PG_STOP_CMD/PX_PG_START_CMD not set"
    a, b = User("ra"), User("rb")
    c = channel(a)
    b.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    s = SSE(b, timeout=60)
    before = post(a, c["id"], "before the restart")
    subprocess.run(stop_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    time.sleep(2)
    subprocess.run(start_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    assert pxtest.wait_for(lambda: a.call("GET", "/api/v1/channels").status == 200, 30)
    after = post(a, c["id"], "after the restart")
    got = []
    while len(got) < 2:
        e = s.until(lambda e: e[1] == "message.created" and e[2]["channel_id"] == c["id"])
        got.append(e[2]["data"]["id"])
    assert got == [before["id"], after["id"]], got
    s.close()


if __name__ == "__main__":
    pxtest.run(globals())
