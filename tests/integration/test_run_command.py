"""README's run command, as a user runs it: it serves health 200 and static
files on its port, printed a working admin password, and SIGTERM stops
everything it started. Started by scripts/test.sh (PX_RUN_PID is the
process group leader, PX_RUN_OUT its output, PX_RUN_DATA its data folder)."""
import os
import re
import signal
import subprocess
import time

import pxtest
from pxtest import request

OUT = os.environ.get("PX_RUN_OUT", "")
DATA = os.environ.get("PX_RUN_DATA", "")
PID = int(os.environ.get("PX_RUN_PID", "0"))


def test_serves_health_and_static():
    r = request("GET", "/api/v1/system/health")
    assert r.status == 200 and r.json()["status"] == "ok", r
    r = request("GET", "/static/robots.txt")
    assert r.status == 200 and b"User-agent" in r.body, r


def test_admin_password_printed_and_works():
    text = open(OUT).read()
    m = re.search(r"created owner account 'admin' \(id \d+\) with password: (\S+)", text)
    assert m, "no admin password in the run command's output"
    r = request("POST", "/api/v1/auth/login", json_body={"username": "admin", "password": m.group(1)})
    assert r.status == 200, r


def test_sigterm_stops_everything():
    assert PID > 0
    os.kill(PID, signal.SIGTERM)
    for _ in range(300):
        try:
            os.kill(PID, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("run command still running 30 s after SIGTERM")
    left = subprocess.run(["pgrep", "-af", DATA], capture_output=True, text=True).stdout
    left = [l for l in left.splitlines() if "pgrep" not in l]
    assert not left, "processes left behind: %r" % left
    try:
        request("GET", "/api/v1/system/health", timeout=2)
        raise AssertionError("port still answers after SIGTERM")
    except OSError:
        pass


if __name__ == "__main__":
    pxtest.run(globals())
