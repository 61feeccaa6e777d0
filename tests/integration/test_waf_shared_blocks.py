"""Automatic blocks shared across processes and nodes: a client blocked on
one server is refused by every server within seconds; an admin lifts the
block everywhere (also in the process that started it); with
waf_auto_block off no new block is written and existing ones are ignored.
Edits the shared config (waf_auto_block) and restores it, so it runs once."""
import pxtest
from pxtest import expect_error
import waflib
from waflib import Config, admin_api, fresh_source, request_from, wait_state

ATTACK = "/api/v1/users?search=%27%20UNION%20SELECT%20password_hash%20FROM%20users--"


def trip(src, base):
    """Attacks from src until the server starts a block; returns the codes seen."""
    codes = []
    for _ in range(40):
        r = request_from(src, "GET", ATTACK, base)
        codes.append(waflib.code_of(r))
        if codes[-1] == "SECURITY_IP_BLOCKED":
            break
    return codes


def blocks():
    r = admin_api("GET", "/api/v1/admin/waf/blocks")
    assert r.status == 200, r
    return {b["ip"]: b for b in r.json()["blocks"]}


def lift(ip):
    r = admin_api("DELETE", "/api/v1/admin/waf/blocks/" + ip)
    assert r.status in (200, 404), r
    return r.status == 200


def auto_block_on():
    # an earlier test may have left 127.0.0.1 blocked in the shared table
    lift("127.0.0.1")
    conf = Config("waf_auto_block = on")
    assert pxtest.wait_for(lambda: False, 2.5) is False  # config reload + list refresh
    return conf


def test_block_shared_then_lifted_everywhere():
    src, other = fresh_source(), fresh_source()
    first, second = waflib.SERVERS[0], waflib.SERVERS[-1]
    conf = auto_block_on()
    try:
        codes = trip(src, first)
        assert codes[-1] == "SECURITY_IP_BLOCKED", codes
        assert "SECURITY_REQUEST_BLOCKED" in codes, codes
        took = wait_state(src, True)
        print("note: block seen by every server and process in %.1f s" % took)
        b = blocks()
        assert src in b and b[src]["reason"], b
        if other != src:
            assert request_from(other, "GET", "/api/v1/system/version", second).status == 200
        j = expect_error(request_from(src, "GET", "/api/v1/system/version", second), 403,
                         "SECURITY_IP_BLOCKED")
        assert src not in j["message"]
        assert lift(src)
        wait_state(src, False)  # including the process on `first` that started it
        assert src not in blocks()
        expect_error(admin_api("DELETE", "/api/v1/admin/waf/blocks/not-an-ip"), 400,
                     "VALIDATION_FIELD_FORMAT")
        assert waflib.psql("SELECT count(*) FROM audit_log WHERE action = 'waf.auto_block'"
                           " AND ip = '%s'" % src) != "0"
    finally:
        conf.restore()
        lift(src)


def test_switch_off_ignores_blocks_and_starts_none():
    src = fresh_source()
    conf = auto_block_on()
    try:
        assert trip(src, waflib.SERVERS[0])[-1] == "SECURITY_IP_BLOCKED"
        wait_state(src, True)
    finally:
        conf.restore()
    try:
        # off: the block in the table is ignored by every process ...
        wait_state(src, False)
        n = waflib.psql("SELECT count(*) FROM waf_blocks")
        # ... and attacks are refused one by one without starting new blocks
        src2 = fresh_source()
        codes = set(waflib.code_of(request_from(src2, "GET", ATTACK)) for _ in range(30))
        assert codes == {"SECURITY_REQUEST_BLOCKED"}, codes
        assert waflib.psql("SELECT count(*) FROM waf_blocks") == n
    finally:
        lift(src)


if __name__ == "__main__":
    pxtest.run(globals())
