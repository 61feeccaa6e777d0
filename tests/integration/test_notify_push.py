"""Web Push end to end: a browser-like subscription is saved over the API;
a mention and a DM that arrive while the user has no tab open (no event
stream) are pushed to a local push service, which checks the VAPID JWT and
decrypts the RFC 8291 body with the subscription's private key; nothing is
pushed while a tab is open or for a muted channel; a push service's 410
removes the subscription; endpoints outside push_services are refused.
Pushes go through core/safefetch like webhooks: the push service runs on
127.0.0.2, which the test configuration allows (outbound_allow_private); a
service listed in push_services on 127.0.0.1 (loopback, not allowed) never
gets a request, and a service answering with a redirect is not followed."""
import glob
import json
import os
import time

import pxtest
from authlib import psql
from hooklib import free_port
from msglib import SSE, User, channel, post
from pushlib import PushService, Subscription, check_vapid
from pxtest import expect_error

HOST = "127.0.0.2"   # allowed by outbound_allow_private (scripts/test.sh)
PORT = free_port(HOST)


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


def subscribe(user, path, origin="http://%s:%d" % (HOST, PORT)):
    sub = Subscription(origin + path)
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
    with Config("notify_interval_seconds = 1\npush_services = http://%s:%d\n" % (HOST, PORT)), \
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


def failures(user):
    return int(psql("SELECT coalesce(max(failures), 0) FROM push_subscriptions WHERE user_id = %d"
                    % user.id))


def log_has(text):
    """Whether a log of the test stack (stderr of either server) has text."""
    for path in glob.glob(os.path.join(os.environ["PX_WORK"], "**", "*.log"), recursive=True):
        try:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return True
        except OSError:
            continue
    return False


def test_push_services_reached_only_through_safefetch():
    """Listed in push_services is not enough: the address must be public
    or allowed, and a redirect is never followed."""
    alice, eve, fred = User("ps"), User("pt"), User("pu")
    loop_port, target_port = free_port("127.0.0.1"), free_port(HOST)
    dm_e = channel(alice, kind="dm", members=(eve,))
    dm_f = channel(alice, kind="dm", members=(fred,))
    allowed = "http://127.0.0.1:%d,http://%s:%d,http://%s:%d" % (loop_port, HOST, PORT, HOST,
                                                                 target_port)
    with Config("notify_interval_seconds = 1\npush_services = %s\n" % allowed), \
            PushService(loop_port, "127.0.0.1") as loop, PushService(PORT) as hop, \
            PushService(target_port) as target:
        hop.redirect_to = target.origin
        subscribe(eve, "/push/eve", loop.origin)
        subscribe(fred, "/push/fred")
        post(alice, dm_e["id"], "to loopback?")
        post(alice, dm_f["id"], "follow me")
        assert pxtest.wait_for(lambda: failures(eve) >= 1 and failures(fred) >= 1, timeout=20), \
            (failures(eve), failures(fred))
        # loopback: refused before any connection
        assert loop.got == [], loop.got
        assert pxtest.wait_for(lambda: log_has(
            "push to %s failed: SECURITY_SSRF_BLOCKED 0 (refused_address: 127.0.0.1 resolves"
            " to a loopback address)" % loop.origin), timeout=5)
        # the redirecting service was asked once, its target never
        assert [g[0] for g in hop.got] == ["/push/fred"], hop.got
        assert target.got == [], target.got
        assert log_has("push to %s failed: NETWORK_BAD_RESPONSE 0 (too_many_redirects"
                       % hop.origin)
        # failing is not "gone": the subscriptions stay
        assert eve.ok("GET", "/api/v1/push/subscriptions")["subscriptions"] != []


def test_subscription_bad_input():
    u = User("pd")
    ok = Subscription("https://fcm.googleapis.com/fcm/send/pd-x").json()
    # the WAF already refuses the metadata address; the allow-list refuses the rest
    expect_error(u.call("POST", "/api/v1/push/subscriptions",
                        dict(ok, endpoint="https://169.254.169.254/x")), 403,
                 "SECURITY_SSRF_BLOCKED")
    for endpoint in ("http://%s:%d/push/x" % (HOST, PORT), "https://10.0.0.7/push",
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
