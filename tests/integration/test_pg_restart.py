"""PostgreSQL stops under load: requests get 503 SYSTEM_DB_UNAVAILABLE, then
service resumes by itself once the database is back, with no restart of
PlexiChat. Needs PX_PG_STOP_CMD and PX_PG_START_CMD from scripts/test.sh."""
import os
import subprocess
import threading
import time

import pxtest
from pxtest import request


def load(results, stop):
    while not stop.is_set():
        t = time.time()  # when the request was sent
        try:
            r = request("GET", "/api/v1/system/health", timeout=10)
            code = r.json().get("error_code", "") if r.status != 200 else ""
            results.append((t, r.status, code))
        except Exception as e:  # connection-level failures are a defect too
            results.append((t, -1, repr(e)))
        time.sleep(0.01)


def test_restart_under_load():
    stop_cmd, start_cmd = os.environ.get("PX_PG_STOP_CMD"), os.environ.get("PX_PG_START_CMD")
    assert stop_cmd and start_cmd, "PX_PG_STOP_CMD/PX_PG_START_CMD not set"
    results, stop = [], threading.Event()
    threads = [threading.Thread(target=load, args=(results, stop)) for _ in range(4)]
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


if __name__ == "__main__":
    pxtest.run(globals())
