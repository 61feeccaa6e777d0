"""Shared IP allow/deny lists through the admin API: admins only, ranges
validated and stored canonical (IPv4 and IPv6), a deny added on one server
refuses the client on every server and every process within seconds, a
delete lifts it, allow beats deny, paging. Changes shared state (ranges
in the database), so it runs once; the ranges it adds are removed."""
import time

import pxtest
from authlib import make_user, api
from pxtest import expect_error
import waflib
from waflib import add_range, admin, admin_api, delete_range, fresh_source, ranges, wait_state


def test_admins_only():
    _, member, _ = make_user(admin(), prefix="wafm", role="member")
    _, moderator, _ = make_user(admin(), prefix="wafo", role="moderator")
    for tok in (member, moderator):
        expect_error(api("GET", "/api/v1/admin/waf/ip-lists", tok), 403, "AUTH_FORBIDDEN")
        expect_error(api("POST", "/api/v1/admin/waf/ip-lists", tok,
                         {"list": "deny", "cidr": "192.0.2.1"}), 403, "AUTH_FORBIDDEN")
    expect_error(api("GET", "/api/v1/admin/waf/ip-lists"), 401, "AUTH_REQUIRED")


def test_validation_and_canonical_form():
    for body, field in (({"list": "deny", "cidr": "300.1.1.1/8"}, "cidr"),
                        ({"list": "deny", "cidr": "192.0.2.0/33"}, "cidr"),
                        ({"list": "deny", "cidr": "[2001:db8::1]"}, "cidr"),
                        ({"list": "deny", "cidr": "example.com"}, "cidr"),
                        ({"list": "block", "cidr": "192.0.2.1"}, "list")):
        j = expect_error(admin_api("POST", "/api/v1/admin/waf/ip-lists", body), 400,
                         "VALIDATION_FIELD_FORMAT")
        assert j["details"].get("field") == field, j
    expect_error(admin_api("POST", "/api/v1/admin/waf/ip-lists", {"list": "deny"}), 400,
                 "VALIDATION_MISSING_FIELD")
    v6 = add_range("deny", "2001:DB8:0:0::77/48", "doc range")
    v4 = add_range("deny", "192.0.2.77/24")
    try:
        assert v6["cidr"] == "2001:db8::/48" and v4["cidr"] == "192.0.2.0/24", (v6, v4)
        expect_error(admin_api("POST", "/api/v1/admin/waf/ip-lists",
                               {"list": "deny", "cidr": "192.0.2.0/24"}), 409, "VALIDATION_CONFLICT")
        listed = {r["id"]: r for r in ranges(list="deny", source="admin", limit=1000)["ranges"]}
        assert listed[v6["id"]]["comment"] == "doc range" and listed[v6["id"]]["created_by"], listed
        assert waflib.psql("SELECT count(*) FROM audit_log WHERE action = 'admin.waf.ip_added'"
                           " AND target = '2001:db8::/48'") != "0"
    finally:
        delete_range(v6["id"])
        delete_range(v4["id"])
    expect_error(admin_api("DELETE", "/api/v1/admin/waf/ip-lists/%d" % v4["id"]), 404,
                 "VALIDATION_NOT_FOUND")


def test_deny_reaches_every_node_and_delete_lifts_it():
    src = fresh_source()
    wait_state(src, False, timeout=2)
    t0 = time.time()
    r = add_range("deny", src, "integration test")
    try:
        took = wait_state(src, True)
        print("note: deny seen by every server and process in %.1f s" % (time.time() - t0))
        assert took < 12
        # the admin on another address is not affected
        assert pxtest.request("GET", "/api/v1/system/version").status == 200
        r2 = waflib.request_from(src, "GET", "/api/v1/system/version")
        j = expect_error(r2, 403, "SECURITY_IP_BLOCKED")
        assert "127.0.0" not in j["message"], j
    finally:
        delete_range(r["id"])
    wait_state(src, False)


def test_allow_beats_deny():
    src = fresh_source()
    net = src.rsplit(".", 1)[0] + ".0/24"
    deny = add_range("deny", src)
    allow = None
    try:
        wait_state(src, True)
        allow = add_range("allow", net)
        wait_state(src, False)
    finally:
        delete_range(deny["id"])
        if allow:
            delete_range(allow["id"])


def test_paging():
    made = [add_range("deny", "198.51.100.%d" % (i + 1)) for i in range(3)]
    try:
        seen, after = [], 0
        for _ in range(10):
            page = ranges(list="deny", source="admin", limit=2, after=after)
            seen += [r["id"] for r in page["ranges"]]
            assert len(page["ranges"]) <= 2
            if page["next_after"] is None:
                break
            after = page["next_after"]
        assert all(m["id"] in seen for m in made), (made, seen)
        assert seen == sorted(seen), seen
        expect_error(admin_api("GET", "/api/v1/admin/waf/ip-lists?limit=0"), 400,
                     "VALIDATION_FIELD_FORMAT")
        expect_error(admin_api("GET", "/api/v1/admin/waf/ip-lists?list=grey"), 400,
                     "VALIDATION_FIELD_FORMAT")
    finally:
        for m in made:
            delete_range(m["id"])


if __name__ == "__main__":
    pxtest.run(globals())
