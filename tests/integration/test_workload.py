"""test_workload: the workload benchmark's client (bench/workload.c) run for
a few seconds with 20 users, half on SSE and half on WebSocket, through the
web server under test. It checks two things the benchmark's figures rest
on: under the mixed actions (read, post, react, search, mark read, typing)
every post reaches every other member's stream once, with no failed action;
and the client's delivery check can fail: told to ignore a share of what it
receives, it reports deliveries missing and exits non-zero."""
import os
import re
import subprocess
import tempfile
import urllib.parse

import pxtest
from msglib import User, channel

USERS = 20


def run_client(users_file, **env):
    u = urllib.parse.urlsplit(pxtest.BASE)
    e = dict(os.environ, WL_THINK_MS="400", WL_WARM="1", WL_WINDOW="5", WL_GRACE="3", WL_HOLD="0",
             WL_P99_MS="100000")
    e.update(env)
    words = os.path.join(os.environ["PX_ROOT"], "bench", "msg-words.txt")
    p = subprocess.run([os.path.join(os.environ["PX_BUILD"], "bench", "workload"), u.hostname,
                        str(u.port), users_file, words, str(USERS), "none"],
                       capture_output=True, text=True, timeout=180, env=e)
    return p.returncode, p.stdout + p.stderr


def figures(out):
    m = re.search(r"deliveries to other users' streams: (\d+) of (\d+) \(missing (\d+)\)", out)
    assert m, out
    a = re.search(r"errors (\d+), stream reconnects (\d+), duplicates (\d+)", out)
    assert a, out
    return {"delivered": int(m.group(1)), "expected": int(m.group(2)), "missing": int(m.group(3)),
            "errors": int(a.group(1)), "duplicates": int(a.group(3))}


def test_workload_delivers_every_post_and_can_fail():
    users = [User("wl") for _ in range(USERS)]
    team = channel(users[0], members=users[1:10])["id"]
    dept = channel(users[0], members=users[1:])["id"]
    other = channel(users[10], members=users[11:])["id"]
    with tempfile.NamedTemporaryFile("w", suffix=".users", delete=False) as f:
        for i, u in enumerate(users):
            f.write("%s %d %d\n" % (u.token, team if i < 10 else other, dept))
        path = f.name
    try:
        rc, out = run_client(path)
        assert rc == 0, out
        fig = figures(out)
        assert fig["expected"] > 50 and fig["missing"] == 0, out
        assert fig["delivered"] == fig["expected"], out
        assert fig["errors"] == 0 and fig["duplicates"] == 0, out
        assert "RESULT users sustained %d" % USERS in out, out

        rc, out = run_client(path, WL_DROP_DELIVERIES="30")
        assert rc != 0, out
        fig = figures(out)
        assert fig["missing"] > 0, out
        assert "RESULT users sustained 0" in out, out
    finally:
        os.unlink(path)


if __name__ == "__main__":
    pxtest.run(globals())
