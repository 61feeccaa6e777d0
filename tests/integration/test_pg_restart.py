"""PostgreSQL stops under load: requests get 503 SYSTEM_DB_UNAVAILABLE (the
health check and the load balancers' readiness check alike), then service
resumes by itself once the database is back, with no restart of PlexiChat. Needs PX_PG_STOP_CMD and PX_PG_START_CMD from scripts/test.sh."""
import os
import subprocess
import threading
import time

import pxtest
from pxtest import request


def load(results, stop, path):
    while not stop.is_set():
        t = time.time()  # when the request was sent
        try:
            r = request("GET", path, timeout=10)
            code = r.json().get("error_code", "") if r.status != 200 else ""
            results.append((t, r.status, code))
        except Exception as e:  # connection-level failures are a defect too
            results.append((t, -1, repr(e)))
        time.sleep(0.01)


def test_restart_under_load():
    stop_cmd, start_cmd = os.environ.get("PX_PG_STOP_CMD"), os.environ.get("PX_PG_START_CMD")
    assert stop_cmd and start_cmd, "PX_PG_STOP_CMD/PX_PG_START_CMD not set"
    results, stop = [], threading.Event()
    threads = [threading.Thread(target=load, args=(results, stop, p))
               for p in ("/api/v1/system/health", "/api/v1/system/ready") * 2]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        t_stop = time.time()
        subprocess.run(stop_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
        t_down = time.time()
        time.sleep(2)
        t_start = time.time()
        subprocess.run(start_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
        t_up = time.time()
        assert pxtest.wait_for(lambda: request("GET", "/api/v1/system/health").status == 200, 30)
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    # requests in flight when the database went away may fail; 0.3 s margins
    before = [r for r in results if r[0] < t_stop - 0.3]
    during = [r for r in results if t_down + 0.5 < r[0] < t_start]
    after = [r for r in results if r[0] > t_up + 0.5]
    assert before and all(r[1] == 200 for r in before), [r for r in before if r[1] != 200][:5]
    assert during, "no requests during the outage"
    assert all(r[1] == 503 and r[2] == "SYSTEM_DB_UNAVAILABLE" for r in during), \
        (t_stop, t_down, t_start, [r for r in during if r[1] != 503][:5])
    assert after and all(r[1] == 200 for r in after), [r for r in after if r[1] != 200][:5]


def idle_backend():
    """The pid of an idle PlexiChat backend, or None."""
    out = subprocess.run(["psql", os.environ["PX_PG_CONNINFO"], "-Atc",
                          "SELECT pid FROM pg_stat_activity WHERE usename = current_user"
                          " AND state = 'idle' AND pid <> pg_backend_pid() LIMIT 1"],
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def test_connection_dropped_under_requests():
    """A backend is killed with SIGKILL (the server then drops every
    connection and recovers): the next statement of each worker meets a
    dead connection. Every request answers 503 SYSTEM_DB_UNAVAILABLE or
    succeeds on a new connection, never 500 (it did: libpq's "server
    closed the connection unexpectedly" has no SQLSTATE and the
    connection still reads as OK)."""
    from msglib import User, channel
    u = User("drop")
    cid = channel(u)["id"]
    path = "/api/v1/channels/%d/messages" % cid
    answers = []
    for rnd in range(4):
        for i in range(8):  # every worker has a connection
            u.ok("POST", path, {"body": "warm %d" % i})
        pid = idle_backend()
        assert pid, "no idle backend"
        subprocess.run(["kill", "-9", str(pid)], check=True)
        time.sleep(0.05)
        got = []
        ts = [threading.Thread(target=lambda i=i: got.append(u.call("POST", path, {"body": "x %d" % i})))
              for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        answers += got
        assert pxtest.wait_for(lambda: request("GET", "/api/v1/system/health").status == 200, 30)
    bad = [r for r in answers if r.status != 201 and
           not (r.status == 503 and r.json()["error_code"] == "SYSTEM_DB_UNAVAILABLE")]
    assert not bad, bad[:5]
    assert any(r.status == 503 for r in answers), "no request met the dropped connections"


if __name__ == "__main__":
    pxtest.run(globals())
