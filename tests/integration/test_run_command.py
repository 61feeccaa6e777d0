"""README's run command, as a user runs it: it serves health 200 and static
files on its port and WebSocket, printed a working admin password, starts
again what dies, and SIGTERM stops everything it started. Started by scripts/test.sh (PX_RUN_PID is the
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


def pids_of(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def healthy():
    r = request("GET", "/api/v1/system/health", timeout=3)
    return r.status == 200 and r.json()["status"] == "ok"


def test_killed_fastcgi_program_is_started_again():
    conf = os.path.join(DATA, "plexichat.conf")
    old = pids_of("plexichat.fcgi -c " + conf)
    assert len(old) == 1, old
    os.kill(old[0], signal.SIGKILL)
    assert pxtest.wait_for(lambda: pids_of("plexichat.fcgi -c " + conf) not in ([], old), 15), \
        "plexichat.fcgi was not started again"
    assert pxtest.wait_for(healthy, 15), "no healthy answer after the restart"
    assert "fcgi died; starting it again" in open(OUT).read()


def admin_token():
    pw = re.search(r"with password: (\S+)", open(OUT).read()).group(1)
    r = request("POST", "/api/v1/auth/login", json_body={"username": "admin", "password": pw})
    assert r.status == 200, r
    return r.json()["token"]


def test_websocket_served_and_started_again():
    from wslib import open_ws
    tok = admin_token()
    ws = open_ws(tok)
    ws.ready()
    ws.close()
    conf = os.path.join(DATA, "plexichat.conf")
    old = pids_of("plexichat-ws -c " + conf)
    assert len(old) == 1, old
    os.kill(old[0], signal.SIGKILL)
    assert pxtest.wait_for(lambda: pids_of("plexichat-ws -c " + conf) not in ([], old), 15), \
        "plexichat-ws was not started again"
    assert "ws died; starting it again" in open(OUT).read()

    def upgraded():
        try:
            ws = open_ws(tok, timeout=3)
        except (AssertionError, OSError):
            return False
        ws.close()
        return True
    assert pxtest.wait_for(upgraded, 15), "no WebSocket after the restart"


def test_killed_postmaster_is_started_again():
    pidfile = os.path.join(DATA, "pg", "postmaster.pid")
    old = int(open(pidfile).readline())
    os.kill(old, signal.SIGKILL)
    def restarted():
        return int(open(pidfile).readline()) != old and healthy()
    assert pxtest.wait_for(restarted, 60), "PostgreSQL was not started again"
    assert "pg died; starting it again" in open(OUT).read()
    # the program reconnects by itself: a signed-in request works again
    text = open(OUT).read()
    pw = re.search(r"with password: (\S+)", text).group(1)
    assert pxtest.wait_for(lambda: request("POST", "/api/v1/auth/login", json_body={
        "username": "admin", "password": pw}).status == 200, 20)


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
