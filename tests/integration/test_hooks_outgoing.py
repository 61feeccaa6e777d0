"""test_hooks_outgoing: outgoing webhooks against real receivers on
loopback (hooklib). Deliveries are signed (HMAC-SHA256 over timestamp +
"." + body), carry a delivery id, come from the durable queue (a receiver
that is down gets every delivery once it is back), reply in Slack's format
into the channel, and never reach a private address: targets resolving to
127.0.0.1, 169.254.169.254 or [::ffff:127.0.0.1] are refused when saved,
and a redirect to one is refused when followed. Receivers that never answer
or send 1 GB are cut off (hooks_timeout_ms, hooks_max_response_bytes). The
delivery log is visible to channel managers and administrators."""
import json
import time
import uuid

import pxtest
from pxtest import expect_error, wait_for
from authlib import ADMIN_PASSWORD, admin_token, api, psql
from webcheck import Browser, location
from hooklib import Receiver, verify
from msglib import User, channel, post

OWNER = User("ho")
MEMBER = User("hom")
CH = channel(OWNER, members=[MEMBER])
CID = CH["id"]
RECV = Receiver().start()


def make(url, words=("deploy",), events=(), name="deployer", expect=201):
    r = OWNER.call("POST", "/api/v1/channels/%d/hooks/outgoing" % CID,
                   {"name": name, "url": url, "trigger_words": list(words),
                    "events": list(events)})
    assert r.status == expect, r
    return r.json()


def deliveries(hook):
    return OWNER.ok("GET", "/api/v1/channels/%d/hooks/outgoing/%d/deliveries?limit=200"
                    % (CID, hook["id"]))["deliveries"]


def revoke(hook):
    OWNER.ok("DELETE", "/api/v1/channels/%d/hooks/outgoing/%d" % (CID, hook["id"]), status=204)


def test_signed_trigger_and_reply():
    RECV.reply = {"text": "Deploying *web* now", "username": "Deploy Bot"}
    h = make(RECV.url + "/deploy")
    assert h["secret"].startswith("pxw_") and h["trigger_words"] == ["deploy"], h
    before = len(RECV.got)
    m = post(MEMBER, CID, "deploy web to prod")
    post(MEMBER, CID, "nothing to see")  # no trigger word: nothing sent
    assert wait_for(lambda: len(RECV.got) > before, 15), RECV.got
    path, headers, body = RECV.got[before]
    assert path == "/deploy", path
    assert verify(h["secret"], headers, body), headers
    assert not verify("pxw_wrong", headers, body)
    assert abs(int(headers["x-plexichat-timestamp"]) - time.time()) < 60, headers
    uuid.UUID(headers["x-plexichat-delivery"])
    assert headers["x-plexichat-event"] == "trigger", headers
    j = json.loads(body)
    assert j["trigger_word"] == "deploy" and j["text"] == "deploy web to prod", j
    assert j["user_name"] == MEMBER.name and j["post_id"] == str(m["id"]) or \
        j["post_id"] == m["id"], j
    # the reply is posted into the channel by the hook's bot
    def replied():
        msgs = OWNER.ok("GET", "/api/v1/channels/%d/messages?limit=5" % CID)["messages"]
        return [x for x in msgs if x["author"]["id"] == h["bot"]["id"]]
    assert wait_for(replied, 15)
    r = replied()[-1]
    assert "<strong>web</strong>" in r["html"] and r["bot"]["name"] == "Deploy Bot", r
    time.sleep(1)
    assert len(RECV.got) == before + 1, RECV.got[before:]   # the bot's reply triggers nothing
    log = deliveries(h)
    assert log[0]["state"] == "delivered" and log[0]["last_status"] == 200, log
    assert log[0]["delivery_id"] == headers["x-plexichat-delivery"], log
    RECV.reply = None
    revoke(h)


def test_event_subscription():
    h = make(RECV.url + "/events", words=(), events=("reaction.added",), name="reactions")
    m = post(MEMBER, CID, "react to me")
    before = len(RECV.got)
    MEMBER.ok("POST", "/api/v1/channels/%d/messages/%d/reactions" % (CID, m["id"]),
              {"emoji": "👍"})
    assert wait_for(lambda: len(RECV.got) > before, 15)
    _, headers, body = RECV.got[before]
    j = json.loads(body)
    assert headers["x-plexichat-event"] == "reaction.added" and j["event"] == "reaction.added", j
    assert verify(h["secret"], headers, body)
    revoke(h)


def test_refused_targets():
    port = RECV.port
    for url in ("http://127.0.0.1:%d/" % port, "http://169.254.169.254/latest/meta-data/",
                "http://[::ffff:127.0.0.1]:%d/" % port, "http://[::1]:%d/" % port,
                "http://10.0.0.1/", "http://0x7f000001:%d/" % port, "ftp://example.com/",
                "http://user:pw@127.0.0.2:%d/" % port, "http://localhost:%d/" % port,
                "http://ip6-localhost:%d/" % port):
        r = OWNER.call("POST", "/api/v1/channels/%d/hooks/outgoing" % CID,
                       {"name": "x", "url": url, "trigger_words": ["go"]})
        assert r.status in (400, 403), (url, r)
        if r.status == 400:
            expect_error(r, 400, "HOOK_URL_REFUSED")
        else:
            expect_error(r, 403, "SECURITY_SSRF_BLOCKED")   # the WAF's SSRF detector
    # names are the fetcher's to resolve: one that does not resolve is
    # refused by the hook's own check (the WAF cannot know)
    r = OWNER.call("POST", "/api/v1/channels/%d/hooks/outgoing" % CID,
                   {"name": "x", "url": "http://no-such-host.invalid/", "trigger_words": ["go"]})
    expect_error(r, 400, "HOOK_URL_REFUSED")
    expect_error(OWNER.call("POST", "/api/v1/channels/%d/hooks/outgoing" % CID,
                            {"name": "x", "url": RECV.url}), 400, "VALIDATION_MISSING_FIELD")
    expect_error(OWNER.call("POST", "/api/v1/channels/%d/hooks/outgoing" % CID,
                            {"name": "x", "url": RECV.url, "events": ["no.such"]}), 400,
                 "VALIDATION_FIELD_FORMAT")
    expect_error(MEMBER.call("POST", "/api/v1/channels/%d/hooks/outgoing" % CID,
                             {"name": "x", "url": RECV.url, "trigger_words": ["go"]}), 403,
                 "AUTH_FORBIDDEN")


def test_redirect_to_private_refused():
    inside = Receiver(host="127.0.0.1").start()     # not allowed: must get nothing
    hop = Receiver().start()
    hop.mode = "redirect"
    hop.target = inside.url + "/secret"
    h = make(hop.url + "/r", words=("redir",), name="redirector")
    post(MEMBER, CID, "redir please")
    assert wait_for(lambda: deliveries(h) and deliveries(h)[0]["state"] == "failed", 20), \
        deliveries(h)
    d = deliveries(h)[0]
    assert "loopback" in d["last_error"], d
    assert len(hop.got) == 1 and inside.got == [], (hop.got, inside.got)
    revoke(h)
    hop.stop()
    inside.stop()


def test_bounded_receivers():
    flood = Receiver().start()
    flood.mode = "flood"
    silent = Receiver().start()
    silent.mode = "silent"
    hf = make(flood.url + "/big", words=("big",), name="flood")
    hs = make(silent.url + "/mute", words=("mute",), name="silent")
    t0 = time.time()
    post(MEMBER, CID, "big answer")
    post(MEMBER, CID, "mute answer")
    assert wait_for(lambda: deliveries(hf) and deliveries(hf)[0]["attempts"] >= 1 and
                    deliveries(hf)[0]["last_error"], 20), deliveries(hf)
    assert wait_for(lambda: deliveries(hs) and deliveries(hs)[0]["attempts"] >= 1 and
                    deliveries(hs)[0]["last_error"], 20), deliveries(hs)
    assert "answer over" in deliveries(hf)[0]["last_error"], deliveries(hf)
    assert "no answer within 2000 ms" in deliveries(hs)[0]["last_error"], deliveries(hs)
    assert deliveries(hf)[0]["state"] == "pending" and time.time() - t0 < 20
    revoke(hf)
    revoke(hs)
    assert deliveries(hf)[0]["state"] == "failed", deliveries(hf)
    flood.stop()
    silent.stop()


def test_receiver_down_then_back():
    rec = Receiver()             # not started: connections are refused
    h = make(rec.url + "/later", words=("queued",), name="later")
    texts = ["queued %d" % i for i in range(5)]
    for t in texts:
        post(MEMBER, CID, t)
    assert wait_for(lambda: len(deliveries(h)) == 5 and
                    all(d["attempts"] >= 1 and d["state"] == "pending" and d["last_error"]
                        for d in deliveries(h)), 20), deliveries(h)
    time.sleep(2)                # down a while longer
    rec.start()
    assert wait_for(lambda: all(d["state"] == "delivered" for d in deliveries(h)), 45), \
        deliveries(h)
    got = {json.loads(b)["text"] for _, _, b in rec.got}
    ids = {hd["x-plexichat-delivery"] for _, hd, _ in rec.got}
    assert got == set(texts), got
    assert ids == {d["delivery_id"] for d in deliveries(h)}, ids
    revoke(h)
    rec.stop()


def test_claimed_by_a_dead_sender():
    """A delivery claimed by a sender that died before finishing it (its
    row as the claim leaves it: attempt counted, next_at moved to the end
    of the lease) is sent once the lease ends."""
    h = make(RECV.url + "/lease", words=("lease",), name="lease")
    body = json.dumps({"hook_id": h["id"], "event": "trigger", "text": "lease test"})
    psql("INSERT INTO hook_deliveries (hook_id, kind, body, attempts, next_at) VALUES "
         "(%d, 'trigger', '%s', 1, now() + interval '2 seconds')" % (h["id"], body))
    before = len(RECV.got)
    time.sleep(1)
    assert len(RECV.got) == before   # still leased to the dead sender
    assert wait_for(lambda: deliveries(h)[0]["state"] == "delivered", 20), deliveries(h)
    assert deliveries(h)[0]["attempts"] == 2, deliveries(h)
    assert [b for _, _, b in RECV.got[before:] if b"lease test" in b]
    revoke(h)


def test_delivery_logs_access():
    h = make(RECV.url + "/x", words=("zzz",), name="log")
    expect_error(MEMBER.call("GET", "/api/v1/channels/%d/hooks/outgoing/%d/deliveries"
                             % (CID, h["id"])), 403, "AUTH_FORBIDDEN")
    expect_error(OWNER.call("GET", "/api/v1/channels/%d/hooks/outgoing/999999999/deliveries"
                            % CID), 404, "HOOK_NOT_FOUND")
    expect_error(OWNER.call("GET", "/api/v1/admin/hooks/deliveries"), 403, "AUTH_FORBIDDEN")
    r = api("GET", "/api/v1/admin/hooks/deliveries?limit=5", admin_token())
    assert r.status == 200 and len(r.json()["deliveries"]) <= 5, r
    listed = OWNER.ok("GET", "/api/v1/channels/%d/hooks/outgoing" % CID)["hooks"]
    assert [x for x in listed if x["id"] == h["id"]] and "secret" not in listed[0], listed
    revoke(h)
    expect_error(OWNER.call("DELETE", "/api/v1/channels/%d/hooks/outgoing/%d" % (CID, h["id"])),
                 404, "HOOK_NOT_FOUND")


def test_admin_page_lists_deliveries():
    h = make(RECV.url + "/page", words=("pagecheck",), name="page")
    post(MEMBER, CID, "pagecheck one")
    assert wait_for(lambda: deliveries(h) and deliveries(h)[0]["state"] == "delivered", 15)
    did = deliveries(h)[0]["delivery_id"]
    b = Browser()
    assert location(b.post("/login", {"username": "admin", "password": ADMIN_PASSWORD,
                                      "next": "/"})) == "/"
    b.page("/admin/system")  # a valid page (webcheck)
    body = b.get("/admin/system").body.decode()
    assert "Webhook deliveries" in body and 'id="hook-deliveries"' in body, body[:300]
    assert did in body, body[body.index("hook-deliveries"):][:600]
    revoke(h)


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        RECV.stop()
