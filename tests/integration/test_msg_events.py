"""test_msg_events: real-time delivery over HTTP: SSE with Last-Event-ID
resume, long-poll, typing, privacy of events, and counters and idempotency
under concurrent posting."""
import http.client
import json
import threading
import time
import urllib.parse

import pxtest
from msglib import SSE, User, channel, post
from pxtest import expect_error

alice = User("ealice")
bob = User("ebob")
carol = User("ecarol")


def created(cid):
    return lambda e: e[1] == "message.created" and e[2]["channel_id"] == cid


def test_sse_delivers_only_member_channels():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    secret = channel(alice, "private")
    s = SSE(bob)
    post(alice, secret["id"], "not for bob")
    m = post(alice, c["id"], "for bob")
    eid, kind, data = s.until(lambda e: e[1] == "message.created")
    assert data["data"]["id"] == m["id"] and data["channel_id"] == c["id"], data
    assert int(eid) == data["id"]
    s.close()


def test_sse_resume_with_last_event_id():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    s = SSE(bob)
    first = post(alice, c["id"], "one")
    eid, _, d = s.until(created(c["id"]))
    assert d["data"]["id"] == first["id"]
    s.close()
    missed = [post(alice, c["id"], "missed %d" % i)["id"] for i in range(5)]
    s = SSE(bob, last_event_id=eid)
    got = [s.until(created(c["id"]))[2]["data"]["id"] for _ in range(5)]
    assert got == missed, (got, missed)
    later = post(alice, c["id"], "later")
    e = s.until(created(c["id"]))
    assert e[2]["data"]["id"] == later["id"], "nothing twice, nothing skipped"
    s.close()
    # the query-string form of the cursor (EventSource cannot set headers)
    s = SSE(bob, "?last_event_id=%s" % eid)
    assert s.until(created(c["id"]))[2]["data"]["id"] == missed[0]
    s.close()


def test_sse_membership_changes_live():
    c = channel(alice)
    s = SSE(carol)
    carol.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    j = s.until(lambda e: e[1] == "member.joined" and e[2]["channel_id"] == c["id"])
    assert j[2]["data"]["username"] == carol.name
    m = post(alice, c["id"], "welcome")
    assert s.until(created(c["id"]))[2]["data"]["id"] == m["id"]
    alice.ok("DELETE", "/api/v1/channels/%d/members/%d" % (c["id"], carol.id), status=204)
    s.until(lambda e: e[1] == "member.left" and e[2]["channel_id"] == c["id"])
    post(alice, c["id"], "after carol left")
    marker = post(carol, channel(carol)["id"], "marker")
    e = s.until(lambda e: e[1] == "message.created")
    assert e[2]["data"]["id"] == marker["id"], "a removed member sees nothing more"
    s.close()


def test_typing_and_notification_events():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    s = SSE(bob)
    s.ready()  # typing notices are not kept: only held streams get them
    r = alice.call("POST", "/api/v1/channels/%d/typing" % c["id"], raw=b"")
    assert r.status == 204, r
    t = s.until(lambda e: e[1] == "typing")
    assert t[0] is None and t[2]["channel_id"] == c["id"] and t[2]["user"]["id"] == alice.id
    post(alice, c["id"], "ping @%s" % bob.name)
    n = s.until(lambda e: e[1] == "notification.created")
    assert n[2]["data"]["kind"] == "mention" and n[2]["channel_id"] is None
    s.close()


def test_long_poll():
    c = channel(alice)
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    head = bob.ok("GET", "/api/v1/events?after=0&wait=0&limit=500")
    cursor = head["last_event_id"]
    while head["events"]:
        head = bob.ok("GET", "/api/v1/events?after=%d&wait=0&limit=500" % cursor)
        cursor = head["last_event_id"]
    t0 = time.time()
    r = bob.ok("GET", "/api/v1/events?after=%d&wait=1" % cursor)
    assert r["events"] == [] and 0.8 < time.time() - t0 < 5, time.time() - t0
    # once the hub holds a waiting request it sends a newline ahead of the
    # JSON: post only after it came, so that the request must be woken
    u = urllib.parse.urlsplit(pxtest.BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", "/api/v1/events?after=%d&wait=20" % r["last_event_id"],
                 headers={"Authorization": "Bearer " + bob.token})
    resp = conn.getresponse()
    assert resp.status == 200, resp.status
    t0 = time.time()
    assert resp.read(1) == b"\n" and time.time() - t0 < 5, "the hub did not say it holds the request"
    t_post = time.time()
    m = post(alice, c["id"], "wake up")
    got = json.loads(resp.read())
    conn.close()
    evs = got["events"]
    assert [e["data"]["id"] for e in evs if e["type"] == "message.created"] == [m["id"]], evs
    assert time.time() - t_post < 3, "the waiting request woke at once"
    assert got["last_event_id"] == evs[-1]["id"]
    again = bob.ok("GET", "/api/v1/events?after=%d&wait=0" % got["last_event_id"])
    assert again["events"] == []


def test_event_bad_params():
    expect_error(bob.call("GET", "/api/v1/events?after=abc"), 400, "VALIDATION_INVALID_CURSOR")
    expect_error(bob.call("GET", "/api/v1/events?after=1&wait=99"), 400, "VALIDATION_FIELD_FORMAT")
    expect_error(bob.call("GET", "/api/v1/events?after=1&limit=0"), 400, "VALIDATION_LIMIT_RANGE")
    expect_error(bob.call("GET", "/api/v1/events", headers={"Last-Event-ID": "x1"}), 400,
                 "VALIDATION_INVALID_CURSOR")
    expect_error(pxtest.request("GET", "/api/v1/events?after=1"), 401, "AUTH_REQUIRED")


def test_concurrent_unread_and_mentions():
    c = channel(alice)
    posters = [User("p%d" % i) for i in range(6)]
    reader = User("reader")
    for u in posters + [reader]:
        u.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    errors = []

    def burst(u):
        try:
            for i in range(8):
                post(u, c["id"], "m%d @%s" % (i, reader.name) if i % 2 else "m%d" % i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    ths = [threading.Thread(target=burst, args=(u,)) for u in posters]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    assert not errors, errors
    ch = {x["id"]: x for x in reader.ok("GET", "/api/v1/channels")}[c["id"]]
    assert ch["unread_count"] == 48 and ch["mention_count"] == 24, ch
    page = reader.ok("GET", "/api/v1/channels/%d/messages?limit=200" % c["id"])
    ids = [m["id"] for m in page["messages"]]
    assert len(ids) == 48 and ids == sorted(ids)
    r = reader.ok("PUT", "/api/v1/channels/%d/read-marker" % c["id"], {"message_id": ids[23]})
    assert r["unread_count"] == 24


def test_concurrent_idempotent_posts():
    c = channel(alice)
    results = []

    def send():
        results.append(alice.call("POST", "/api/v1/channels/%d/messages" % c["id"],
                                  {"body": "exactly once"}, headers={"Idempotency-Key": "race-1"}))
    ths = [threading.Thread(target=send) for _ in range(8)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    assert sorted(r.status for r in results).count(201) == 1, results
    assert len({r.json().get("id") for r in results}) == 1, results
    assert len(alice.ok("GET", "/api/v1/channels/%d/messages" % c["id"])["messages"]) == 1


if __name__ == "__main__":
    pxtest.run(globals())
