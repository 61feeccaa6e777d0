"""Configuration: a broken file names the key and the line; the running
server reloads a changed file without a restart and keeps the old one when
the new one is broken. Needs PX_CONFIG and PX_BUILD from scripts/test.sh."""
import os
import shutil
import subprocess
import tempfile

import pxtest
from pxtest import request

CONF = os.environ.get("PX_CONFIG", "")
BUILD = os.environ.get("PX_BUILD", "")


def admin(*args, conf=None, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([os.path.join(BUILD, "plexichat-admin"), "-c", conf or CONF] + list(args),
                          capture_output=True, text=True, env=e)


def test_broken_config_names_key_and_line():
    d = tempfile.mkdtemp()
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write("# comment\nworkers = 4\n\nworkers = lots\n")
    r = admin("check-config", conf=bad)
    assert r.returncode != 0
    assert "bad.conf:4: workers: expected an integer" in r.stderr, r.stderr
    with open(bad, "w") as f:
        f.write("no_such_key = 1\n")
    r = admin("check-config", conf=bad)
    assert "bad.conf:1: no_such_key: unknown key" in r.stderr, r.stderr
    r = subprocess.run([os.path.join(BUILD, "plexichat.fcgi"), "-c", bad], capture_output=True, text=True)
    assert r.returncode == 2 and "no_such_key" in r.stderr, r.stderr
    shutil.rmtree(d)


def test_env_override_and_secret_hidden():
    r = admin("check-config", env={"PLEXICHAT_WORKERS": "7", "PLEXICHAT_LOG_LEVEL": "warn"})
    assert r.returncode == 0, r.stderr
    assert '"workers":"7"' in r.stdout and '"log_level":"warn"' in r.stdout
    assert '"secret_key":"***"' in r.stdout and '"db_password":"***"' in r.stdout
    r = admin("check-config", env={"PLEXICHAT_WORKERS": "0"})
    assert r.returncode != 0 and "PLEXICHAT_WORKERS: out of range" in r.stderr, r.stderr


def test_live_reload():
    orig = open(CONF).read()
    try:
        assert request("GET", "/api/v1/system/metrics").status == 200
        with open(CONF, "a") as f:
            f.write("\nmetrics_loopback = off\n")
        assert pxtest.wait_for(lambda: request("GET", "/api/v1/system/metrics").status == 401, 10), \
            "metrics still open after metrics_loopback = off"
        with open(CONF, "a") as f:
            f.write("workers = not-a-number\n")
        # broken file: the old snapshot stays in force
        for _ in range(5):
            assert request("GET", "/api/v1/system/metrics").status == 401
    finally:
        with open(CONF, "w") as f:
            f.write(orig)
    assert pxtest.wait_for(lambda: request("GET", "/api/v1/system/metrics").status == 200, 10)


def test_runs_as_plain_cgi():
    """Started without a FastCGI socket, the program serves one CGI request."""
    env = {"PATH": "/usr/bin:/bin", "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/system/version",
           "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1"}
    r = subprocess.run([os.path.join(BUILD, "plexichat.fcgi"), "-c", CONF], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    out = r.stdout.decode()
    assert r.returncode == 0 and out.startswith("Status: 200\r\n"), (r.returncode, out, r.stderr[-500:])
    assert '"name":"plexichat"' in out
    env["REQUEST_URI"] = "/api/v1/nope"
    r = subprocess.run([os.path.join(BUILD, "plexichat.fcgi"), "-c", CONF], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert r.stdout.decode().startswith("Status: 404\r\n") and b"VALIDATION_NOT_FOUND" in r.stdout


def test_parser_codes_with_waf_detect():
    """With the WAF only logging, each kind of bad input gets its own code."""
    orig = open(CONF).read()
    try:
        with open(CONF, "a") as f:
            f.write("\nwaf = detect\n")
        assert pxtest.wait_for(
            lambda: request("GET", "/api/v1/system/version?a=%zz").status == 400, 10)
        cases = [
            (("GET", "/api/v1/system/version?a=%zz", None, None), 400, "VALIDATION_MALFORMED_QUERY"),
            (("GET", "/api/v1/system/%ff", None, None), 400, "VALIDATION_INVALID_ENCODING"),
            (("POST", "/api/v1/system/version", "{\"a\": ", "application/json"), 400, "VALIDATION_INVALID_JSON"),
            (("POST", "/api/v1/system/version", "[" * 10000, "application/json"), 400, "VALIDATION_INVALID_JSON"),
            (("POST", "/api/v1/system/version", "a=%zz", "application/x-www-form-urlencoded"), 400,
             "VALIDATION_INVALID_ENCODING"),
            (("POST", "/api/v1/system/version", "x" * (2 << 20), "text/plain"), 413,
             "VALIDATION_PAYLOAD_TOO_LARGE"),
            (("POST", "/api/v1/system/version", None, None), 405, "VALIDATION_METHOD_NOT_ALLOWED"),
        ]
        for (method, path, body, ctype), status, code in cases:
            hdrs = {"Content-Type": ctype} if ctype else {}
            pxtest.expect_error(request(method, path, body=body, headers=hdrs), status, code)
    finally:
        with open(CONF, "w") as f:
            f.write(orig)
    assert pxtest.wait_for(
        lambda: request("GET", "/api/v1/system/version?a=%zz").status == 403, 10)


if __name__ == "__main__":
    pxtest.run(globals())
