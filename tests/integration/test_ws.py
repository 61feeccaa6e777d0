"""WebSocket event delivery (GET /api/v1/events/ws, plexichat-ws) through
the web server in front: lighttpd mod_proxy with upgrade, Apache
mod_proxy_wstunnel. The same events as SSE, resume with nothing missed or
repeated, the upgrade's auth, Origin and WAF, frames for typing and read
markers, back-pressure and ping/pong."""
import secrets
import socket
import time

import pxtest
from pxtest import expect_error, request
from authlib import psql
from msglib import PASSWORD, User, admin_cli, channel, post
from wslib import PING, PONG, TEXT, WS, Closed, open_ws

alice = User("wsa")
bob = User("wsb")


def created(cid, text=None):
    def pred(m):
        return (m.get("type") == "message.created" and m.get("channel_id") == cid and
                (text is None or m["data"]["body"] == text))
    return pred


def caught_up(ws, cid, n):
    """The bodies and event ids of the first n message.created of channel
    cid after a resume. "ready" means caught up to the event horizon: a post
    committed while an older transaction (another process's, a background
    worker's) was still open is held until it ends, then comes live
    (ARCHITECTURE.md, "Event order without a global lock"). The contract is
    the sequence: nothing missed, nothing repeated, in order."""
    before = ws.ready()
    got = [m["data"]["body"] for m in before if created(cid)(m)]
    ids = [m["id"] for m in before if "id" in m]
    while len(got) < n:
        m = ws.until(created(cid))
        got.append(m["data"]["body"])
        ids.append(m["id"])
    return got, ids


def test_message_created_arrives():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    ws = open_ws(bob.token)
    ws.ready()
    text = "over ws " + secrets.token_hex(4)
    m = post(alice, c["id"], text)
    ev = ws.until(created(c["id"], text))
    # the same object SSE sends as data: id, type, channel_id, at, data
    assert ev["id"] > 0 and ev["data"]["id"] == m["id"] and "at" in ev, ev
    ws.close()


def test_resume_after_drop_nothing_missed_or_repeated():
    c = channel(alice)
    ws = open_ws(alice.token)
    ws.ready()
    first = post(alice, c["id"], "r0")
    last = ws.until(created(c["id"], "r0"))["id"]
    assert first["id"]
    ws.abort()                              # dropped, no closing handshake
    sent = ["r%d" % i for i in range(1, 6)]
    for t in sent:
        post(alice, c["id"], t)
    ws = open_ws(alice.token, "?last_event_id=%d" % last)
    got, ids = caught_up(ws, c["id"], len(sent))
    assert got == sent, got
    assert ids == sorted(set(ids)) and min(ids) > last, ids
    # and live from there on
    post(alice, c["id"], "r6")
    ev = ws.until(created(c["id"]))
    assert ev["data"]["body"] == "r6", ev
    ws.close()
    # the Last-Event-ID header works as for SSE
    ws = open_ws(alice.token, headers={"Last-Event-ID": str(last)})
    got, _ = caught_up(ws, c["id"], len(sent) + 1)
    assert got == sent + ["r6"], got
    ws.close()


def test_reset_when_behind_the_pruned_log():
    c = channel(alice)
    ws = open_ws(alice.token)
    ws.ready()
    post(alice, c["id"], "p0")
    e0 = ws.until(created(c["id"]))["id"]
    post(alice, c["id"], "p1")
    e1 = ws.until(created(c["id"]))["id"]
    ws.close()
    old = psql("SELECT upto_id FROM events_pruned")
    # as if pruning had removed everything up to e1
    psql("UPDATE events_pruned SET upto_id = greatest(upto_id, %d) RETURNING upto_id" % e1)
    try:
        ws = open_ws(alice.token, "?last_event_id=%d" % e0)
        msgs = ws.ready()
        assert msgs and msgs[0]["type"] == "reset" and msgs[0]["last_event_id"] >= e1, msgs
        assert not [m for m in msgs if created(c["id"])(m)], msgs
        ws.close()
    finally:
        psql("UPDATE events_pruned SET upto_id = %s RETURNING upto_id" % old)


def test_bad_cursor():
    bad = WS(token=alice.token, query="?last_event_id=abc")
    expect_error(pxtest.Response(bad.status, list(bad.headers.items()), bad.body), 400,
                 "VALIDATION_INVALID_CURSOR")


def test_no_auth_refused():
    ws = WS()
    assert ws.status == 401, (ws.status, ws.body)
    assert ws.json_body()["error_code"] == "AUTH_REQUIRED"
    ws = WS(token="pxs_" + "x" * 43)
    assert ws.status == 401 and ws.json_body()["error_code"] == "AUTH_TOKEN_INVALID", ws.body


def login_cookie():
    r = request("POST", "/api/v1/auth/login",
                json_body={"username": bob.name, "password": PASSWORD})
    assert r.status == 200, r
    tok = r.json()["token"]
    return tok, "px_session=" + tok


def test_origin_checked():
    tok, cookie = login_cookie()
    ws = WS(cookie=cookie, origin="http://evil.example")
    assert ws.status == 403 and ws.json_body()["error_code"] == "AUTH_ORIGIN_FORBIDDEN", ws.body
    # a browser always sends Origin: a cookie without one is refused too
    ws = WS(cookie=cookie)
    assert ws.status == 403 and ws.json_body()["error_code"] == "AUTH_ORIGIN_FORBIDDEN", ws.body
    ws = WS(token=tok, origin="http://evil.example")
    assert ws.status == 403, ws.body
    ws = WS(cookie=cookie, origin=pxtest.BASE)
    assert ws.status == 101, ws.body
    ws.ready()
    ws.close()


def test_handshake_checked():
    # a plain GET asks whether WebSocket is offered (pages ask before they
    # open one); behind both web servers of the tests it is
    r = request("GET", "/api/v1/events/ws", headers={"Authorization": "Bearer " + bob.token})
    assert r.status == 200 and r.json() == {"websocket": True}, r
    # a key without Upgrade is a broken handshake
    r = request("GET", "/api/v1/events/ws", headers={"Authorization": "Bearer " + bob.token,
                                                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    expect_error(r, 400, "VALIDATION_WS_HANDSHAKE")
    ws = WS(token=bob.token, headers={"Sec-WebSocket-Version": "8"})
    assert ws.status == 400, ws.body
    assert ws.json_body()["details"] == {"reason": "version", "supported": "13"}, ws.body
    ws = WS(token=bob.token, headers={"Sec-WebSocket-Key": "short"})
    assert ws.status == 400, ws.body


def test_revoked_session_closes_the_socket():
    tok, cookie = login_cookie()
    ws = WS(cookie=cookie, origin=pxtest.BASE)
    assert ws.status == 101, ws.body
    ws.ready()
    r = request("POST", "/api/v1/auth/logout", headers={"Authorization": "Bearer " + tok})
    assert r.status in (200, 204), r
    try:
        while True:
            ws.next_json()
    except Closed as e:
        assert e.code == 4003, e
    ws.sock.close()


def closes_without(ws, text):
    """Reads until the close: 4003, and the message posted after the
    revocation never came."""
    try:
        while True:
            m = ws.next_json()
            assert not (m.get("type") == "message.created" and m["data"]["body"] == text), \
                "delivered after the revocation"
    except Closed as e:
        assert e.code == 4003, e
    ws.sock.close()


def test_revoked_token_and_deactivated_account_close_the_socket():
    v, b = User("wsr"), User("wsrb")
    dm = channel(b, "dm", [v])
    r = v.call("POST", "/api/v1/auth/tokens", {"name": "ws", "scopes": "read"})
    assert r.status == 201, r
    ws = open_ws(r.json()["token"])
    ws.ready()
    assert v.call("DELETE", "/api/v1/auth/tokens/%d" % r.json()["id"]).status == 200
    post(b, dm["id"], "after token revoked")
    closes_without(ws, "after token revoked")
    ws = open_ws(v.token)
    ws.ready()
    rc, out = admin_cli("deactivate", v.name)
    assert rc == 0, out
    post(b, dm["id"], "after deactivation")
    closes_without(ws, "after deactivation")


def test_waf_blocks_a_hostile_frame():
    c = channel(alice)
    ws = open_ws(alice.token)
    ws.ready()
    ws.send_json({"type": "typing", "channel_id": c["id"], "ref": 7,
                  "note": "' UNION SELECT password_hash FROM users--"})
    r = ws.until(lambda m: m.get("type") == "reply")
    assert r["ref"] == 7 and r["status"] == 403, r
    assert r["body"]["error_code"] == "SECURITY_REQUEST_BLOCKED", r
    try:
        ws.next_json()
        raise AssertionError("socket stayed open")
    except Closed as e:
        assert e.code == 1008, e
    ws.sock.close()
    # the same frame without the payload is fine
    ws = open_ws(alice.token)
    ws.ready()
    ws.send_json({"type": "typing", "channel_id": c["id"], "ref": "t"})
    r = ws.until(lambda m: m.get("type") == "reply")
    assert r["status"] == 204 and r["ref"] == "t", r
    ws.close()


def test_typing_and_read_frames():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    wb = open_ws(bob.token)
    wb.ready()
    wa = open_ws(alice.token)
    wa.ready()
    wa.send_json({"type": "typing", "channel_id": c["id"], "ref": 1})
    r = wa.until(lambda m: m.get("type") == "reply")
    assert r["status"] == 204, r
    t = wb.until(lambda m: m.get("type") == "typing")
    assert t["data"]["channel_id"] == c["id"] and t["data"]["user"]["id"] == alice.id, t
    # read marker: same effect as PUT .../read-marker
    m = post(alice, c["id"], "read me")
    unread = bob.ok("GET", "/api/v1/channels/%d" % c["id"])
    wb.send_json({"type": "read", "channel_id": c["id"], "message_id": m["id"], "ref": 2})
    r = wb.until(lambda x: x.get("type") == "reply")
    assert r["status"] == 200, r
    http = bob.ok("PUT", "/api/v1/channels/%d/read-marker" % c["id"], {"message_id": m["id"]})
    assert r["body"] == http, (r["body"], http, unread)
    # same validation: a channel one is not in, a bad id, an unknown type
    other = channel(alice, "private")
    wb.send_json({"type": "read", "channel_id": other["id"], "message_id": m["id"], "ref": 3})
    r = wb.until(lambda x: x.get("type") == "reply")
    assert r["status"] in (403, 404), r
    wb.send_json({"type": "read", "channel_id": c["id"], "message_id": "x", "ref": 4})
    r = wb.until(lambda x: x.get("type") == "reply")
    assert r["status"] == 400, r
    wb.send_json({"type": "dance", "ref": 5})
    r = wb.until(lambda x: x.get("type") == "reply")
    assert r["status"] == 400 and r["body"]["error_code"] == "VALIDATION_FAILED", r
    wa.close()
    wb.close()


def test_ping_pong():
    ws = open_ws(bob.token)
    ws.ready()
    ws.send(PING, b"are you there")
    while True:
        op, fin, p = ws.frame()
        if op == PONG:
            assert p == b"are you there", p
            break
    ws.close()


def test_bad_frames_close_with_their_code():
    ws = open_ws(bob.token)
    ws.ready()
    ws.send(TEXT, b"\xc3\x28")
    try:
        ws.next_json()
        raise AssertionError("socket stayed open")
    except Closed as e:
        assert e.code == 1007, e
    ws.sock.close()
    ws = open_ws(bob.token)
    ws.ready()
    ws.send(TEXT, b"unmasked", mask=False)
    try:
        ws.next_json()
        raise AssertionError("socket stayed open")
    except Closed as e:
        assert e.code == 1002, e
    ws.sock.close()


def test_slow_reader_does_not_stall_a_fast_one():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    slow = WS(token=bob.token, rcvbuf=4096)
    assert slow.status == 101
    fast = open_ws(bob.token)
    fast.ready()
    # about 4 MiB in all: the web server's TCP send buffer to the slow
    # reader grows to 4 MiB (tcp_wmem) before plexichat-ws's own queue
    # (ws_send_queue_kib, 256 KiB) fills
    big = "word " * 3000
    # fresh posters: each within its write burst (rate_limits)
    posters = [User("wsp") for _ in range(4)]
    for p in posters:
        p.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    n, lag = 0, []
    for i in range(300):
        text = "%d %s" % (i, big)
        sent = time.time()
        post(posters[i % 4], c["id"], text)
        fast.until(created(c["id"], text))
        lag.append(time.time() - sent)
        n += 1
    # every message reached the fast reader at once while the slow one
    # read nothing at all
    lag.sort()
    assert lag[len(lag) // 2] < 0.5 and lag[-1] < 5, (lag[len(lag) // 2], lag[-1])
    # the slow one was closed with 4001 once its queue overflowed: what it
    # finds when it reads at last is the events queued before, then that
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    got = 0
    slow.sock.settimeout(5)
    try:
        while True:
            m = slow.next_json()
            got += m.get("type") == "message.created"
    except Closed as e:
        assert e.code == 4001, (e, got)
    except socket.timeout:
        raise AssertionError("slow reader not closed; it got %d of %d" % (got, n))
    assert got < n, got
    slow.sock.close()
    fast.close()


def test_non_json_frame_refused():
    # a frame that is not JSON is refused as an HTTP body would be
    ws = open_ws(bob.token)
    ws.ready()
    ws.send(TEXT, "not json")
    r = ws.until(lambda x: x.get("type") == "reply")
    # declared JSON that is not: the WAF refuses it as it would the body
    assert r["status"] in (400, 403), r
    ws.close()


if __name__ == "__main__":
    pxtest.run(globals())
