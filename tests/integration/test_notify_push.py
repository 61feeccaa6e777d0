"""Web Push end to end: a browser-like subscription is saved over the API;
a mention and a DM that arrive while the user has no tab open (no event
stream) are pushed to a local push service, which checks the VAPID JWT and
decrypts the RFC 8291 body with the subscription's private key; nothing is
pushed while a tab is open or for a muted channel; a push service's 410
removes the subscription; endpoints outside push_services are refused."""
import json
import os
import time

import pxtest
from authlib import psql
from maillib import aux_port
from msglib import SSE, User, channel, post
from pushlib import PushService, Subscription, check_vapid
from pxtest import expect_error

PORT = aux_port(2)


class Config:
    """Appends lines to the server's config for the block; restores it."""

    def __init__(self, extra):
        self.conf, self.extra = os.environ["PX_CONFIG"], extra

    def __enter__(self):
        self.orig = open(self.conf).read()
        with open(self.conf, "a") as f:
            f.write(self.extra)
        time.sleep(1.2)  # the config is re-read at most once a second

    def __exit__(self, *exc):
        with open(self.conf, "w") as f:
            f.write(self.orig)
        time.sleep(1.2)
        return False


def subscribe(user, path):
    sub = Subscription("http://127.0.0.1:%d%s" % (PORT, path))
    r = user.call("POST", "/api/v1/push/subscriptions", sub.json(),
                  headers={"User-Agent": "pushlib"})
    assert r.status == 201, r
    return sub


def pushes(svc, path, n, timeout=15):
    assert pxtest.wait_for(lambda: len(svc.to(path)) >= n, timeout=timeout), \
        "want %d pushes to %s, got %d" % (n, path, len(svc.to(path)))
    return svc.to(path)


def test_push_when_no_tab_is_open():
    alice, bob = User("pa"), User("pb")
    key = bob.ok("GET", "/api/v1/push/key")["public_key"]
    ch = channel(alice, members=(bob,))
    dm = channel(alice, kind="dm", members=(bob,))
    quiet = channel(alice, members=(bob,))
    with Config("notify_interval_seconds = 1\npush_services = http://127.0.0.1:%d\n" % PORT), \
            PushService(PORT) as svc:
        sub = subscribe(bob, "/push/bob")
        assert [s["user_agent"] for s in bob.ok("GET", "/api/v1/push/subscriptions")
                ["subscriptions"]] == ["pushlib"]
        m1 = post(alice, ch["id"], "@%s ship it" % bob.name)
        m2 = post(alice, dm["id"], "a private word")
        got = pushes(svc, "/push/bob", 2)
        msgs = []
        for _, headers, body in got:
            assert headers["content-encoding"] == "aes128gcm", headers
            assert int(headers["ttl"]) > 0, headers
            check_vapid(headers["authorization"], svc.origin, key)
            msgs.append(json.loads(sub.decrypt(body)))
        by_url = {m["url"]: m for m in msgs}
        a = by_url["/c/%d#m%d" % (ch["id"], m1["id"])]
        assert a["title"] == "%s in #%s" % (alice.name, ch["name"]), a
        assert a["body"] == "@%s ship it" % bob.name and a["kind"] == "mention", a
        d = by_url["/c/%d#m%d" % (dm["id"], m2["id"])]
        assert d["title"] == "%s in a direct message" % alice.name and d["kind"] == "dm", d
        time.sleep(2)
        assert len(svc.to("/push/bob")) == 2, "pushed twice"
        # muted channel: nothing
        psql("UPDATE channel_members SET muted = true WHERE channel_id = %d AND user_id = %d"
             % (quiet["id"], bob.id))
        post(alice, quiet["id"], "@%s psst" % bob.name)
        # a tab open (an event stream): nothing either
        stream = SSE(bob, timeout=30)
        stream.ready()
        time.sleep(1.5)
        post(alice, ch["id"], "@%s you are here anyway" % bob.name)
        time.sleep(4)
        assert len(svc.to("/push/bob")) == 2, [json.loads(sub.decrypt(b)) for _, _, b in
                                               svc.to("/push/bob")]
        stream.conn.close()
        # a push service that says 410 Gone: the subscription is dropped
        carol = User("pc")
        dm2 = channel(alice, kind="dm", members=(carol,))
        svc.gone.add("/push/carol")
        subscribe(carol, "/push/carol")
        post(alice, dm2["id"], "hello?")
        pushes(svc, "/push/carol", 1)
        assert pxtest.wait_for(lambda: carol.ok("GET", "/api/v1/push/subscriptions")
                               ["subscriptions"] == [], timeout=10)


def test_subscription_bad_input():
    u = User("pd")
    ok = Subscription("https://fcm.googleapis.com/fcm/send/pd-x").json()
    # the WAF already refuses the metadata address; the allow-list refuses the rest
    expect_error(u.call("POST", "/api/v1/push/subscriptions",
                        dict(ok, endpoint="https://169.254.169.254/x")), 403,
                 "SECURITY_SSRF_BLOCKED")
    for endpoint in ("http://127.0.0.1:%d/push/x" % PORT, "https://10.0.0.7/push",
                     "https://fcm.googleapis.com.evil.example/x", "ftp://fcm.googleapis.com/x"):
        j = expect_error(u.call("POST", "/api/v1/push/subscriptions",
                                dict(ok, endpoint=endpoint)), 400, "VALIDATION_FIELD_FORMAT")
        assert j["details"] == {"field": "endpoint", "reason": "push_service_not_allowed"}, j
    bad = dict(ok, keys={"p256dh": ok["keys"]["p256dh"][:-4], "auth": ok["keys"]["auth"]})
    j = expect_error(u.call("POST", "/api/v1/push/subscriptions", bad), 400,
                     "VALIDATION_FIELD_FORMAT")
    assert j["details"]["field"] == "p256dh", j
    bad = dict(ok, keys={"p256dh": ok["keys"]["p256dh"]})
    expect_error(u.call("POST", "/api/v1/push/subscriptions", bad), 400,
                 "VALIDATION_MISSING_FIELD")
    expect_error(u.call("POST", "/api/v1/push/subscriptions", dict(ok, endpoint=7)), 400,
                 "VALIDATION_FIELD_TYPE")
    other = User("pe")
    sid = u.ok("POST", "/api/v1/push/subscriptions", ok)["id"]
    expect_error(other.call("DELETE", "/api/v1/push/subscriptions/%d" % sid), 404,
                 "VALIDATION_NOT_FOUND")
    u.ok("DELETE", "/api/v1/push/subscriptions/%d" % sid)


if __name__ == "__main__":
    pxtest.run(globals())
