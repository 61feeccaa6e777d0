"""Foundation over HTTP: health, version, metrics, error format, bad input."""
import pxtest
from pxtest import request, raw, expect_error


def test_health_ok():
    r = request("GET", "/api/v1/system/health")
    assert r.status == 200, r
    j = r.json()
    assert j["status"] == "ok" and j["checks"]["database"] == "ok"
    assert j["checks"]["schema_version"] >= 1


def test_health_shows_last_backup():
    import os, subprocess
    conninfo = os.environ.get("PX_PG_CONNINFO")
    assert conninfo
    subprocess.run(["psql", "-q", conninfo, "-c",
                    "INSERT INTO backup_status (started_at, finished_at, ok, store, host,"
                    " bytes_total, bytes_uploaded, duration_ms) VALUES"
                    " (now() - interval '3 s', now(), true, 'local:/b', 'h', 1000, 10, 3000)"],
                   check=True)
    b = request("GET", "/api/v1/system/health").json()["checks"]["backup"]
    assert b["ok"] is True and b["bytes_total"] == 1000 and b["duration_ms"] == 3000, b
    assert b["last_success_at"], b


def test_version():
    r = request("GET", "/api/v1/system/version")
    assert r.status == 200, r
    assert r.json()["name"] == "plexichat"
    assert r.headers["content-type"].startswith("application/json")
    assert len(r.headers["x-request-id"]) == 32


def test_head_has_no_body():
    r = request("HEAD", "/api/v1/system/version")
    assert r.status == 200 and r.body == b"", r


def test_unknown_route_404():
    expect_error(request("GET", "/api/v1/no/such/thing"), 404, "VALIDATION_NOT_FOUND")


def test_wrong_method_405():
    r = request("DELETE", "/api/v1/system/version")
    expect_error(r, 405, "VALIDATION_METHOD_NOT_ALLOWED")
    assert "GET" in r.headers["allow"]


def refused(r, status, code):
    """Bad input is refused either by the WAF, which runs first
    (403 SECURITY_REQUEST_BLOCKED), or by the parsers with their own code;
    test_config.py checks the parsers' codes with the WAF in detect mode."""
    if r.status == 403:
        expect_error(r, 403, "SECURITY_REQUEST_BLOCKED")
    else:
        expect_error(r, status, code)


def not_from_handler(r):
    """Apache refuses some malformed requests itself; they must still never
    reach a handler (no 2xx)."""
    return pxtest.SERVER == "apache" and r.status in (400, 404) and not r.body.startswith(b"{")


def test_bad_percent_escape():
    for q in ("a=%zz", "a=%", "a=%C0%AE", "a=%00"):
        r = request("GET", "/api/v1/system/version?" + q)
        if not not_from_handler(r):
            refused(r, 400, "VALIDATION_MALFORMED_QUERY")


def test_invalid_utf8_path():
    r = request("GET", "/api/v1/system/%ff%fe")
    if not not_from_handler(r):
        refused(r, 400, "VALIDATION_INVALID_ENCODING")


def test_invalid_json_body():
    r = request("POST", "/api/v1/system/version", body="{\"a\": ",
                headers={"Content-Type": "application/json"})
    refused(r, 400, "VALIDATION_INVALID_JSON")


def test_deep_json_refused():
    r = request("POST", "/api/v1/system/version", body="[" * 10000,
                headers={"Content-Type": "application/json"})
    refused(r, 400, "VALIDATION_INVALID_JSON")


def test_oversized_body_413():
    body = b"x" * (2 * 1024 * 1024)
    r = request("POST", "/api/v1/system/version", body=body,
                headers={"Content-Type": "application/octet-stream"})
    refused(r, 413, "VALIDATION_PAYLOAD_TOO_LARGE")


def test_header_flood_refused():
    for count in (120, 600):
        hdrs = "".join("X-Extra-%d: v\r\n" % i for i in range(count))
        r = raw(("GET /api/v1/system/version HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n"
                 % hdrs).encode())
        if r.body.startswith(b"{"):
            # the WAF judges floods; beyond the parser's own cap it is 431
            code = r.json()["error_code"]
            assert code in ("SECURITY_REQUEST_BLOCKED", "VALIDATION_HEADERS_TOO_LARGE"), r
        else:
            # the web server may refuse it first; it must never reach a handler
            assert r.status in (400, 413, 431), r


def test_metrics_from_loopback():
    # metrics are per process: under mod_fcgid the version request and the
    # metrics request may meet different processes, so a few rounds
    want = 'plexichat_http_request_duration_bucket{route="/api/v1/system/version",le="+Inf"}'
    for _ in range(30):
        request("GET", "/api/v1/system/version")
        r = request("GET", "/api/v1/system/metrics")
        assert r.status == 200, r
        text = r.body.decode()
        assert "# TYPE plexichat_http_requests_total counter" in text
        if want in text:
            return
    raise AssertionError("no process reported the version route's histogram")


def test_form_body_not_matching_type():
    r = request("POST", "/api/v1/system/version", body=b"a=%zz",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    refused(r, 400, "VALIDATION_INVALID_ENCODING")


if __name__ == "__main__":
    pxtest.run(globals())
