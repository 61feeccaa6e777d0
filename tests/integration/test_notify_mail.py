"""E-mail digests of unread mentions and DMs, received by a real SMTP server
(aiosmtpd): one digest per user per delay with a text and an HTML part
(HTML escaped), RFC 8058 one-click unsubscribe headers and a link to each
message; read messages and muted channels are never mailed; at most
notify_mail_max_per_hour digests an hour; the signed unsubscribe URL works
with a bare POST and a GET changes nothing."""
import time
import urllib.parse

import pxtest
from authlib import psql, uniq
from maillib import MailServer, text_part
from msglib import PASSWORD, User, admin_cli, channel, post
from pxtest import expect_error, request
from webcheck import Browser, check_page, form_fields, location, parse, words

EXTRA = "notify_interval_seconds = 1\nnotify_mail_max_per_hour = 2\npublic_url = %s\n" % pxtest.BASE


class Reader(User):
    """A user with an e-mail address and digests after 5 minutes."""

    def __init__(self, prefix):
        super().__init__(prefix)
        self.email = uniq(prefix) + "@example.org"
        self.ok("PATCH", "/api/v1/users/me", {"email": self.email})
        j = self.ok("PATCH", "/api/v1/notifications/settings", {"mail_minutes": 5})
        assert j["mail_minutes"] == 5 and j["has_email"] is True, j


def age(user, minutes=10):
    """Makes user's notifications (and digests) look minutes old."""
    psql("UPDATE notifications SET created_at = created_at - interval '%d minutes'"
         " WHERE user_id = %d" % (minutes, user.id))
    psql("UPDATE notify_mail_log SET sent_at = sent_at - interval '%d minutes'"
         " WHERE user_id = %d" % (minutes, user.id))


def mails_for(sink, user, n, timeout=15):
    assert pxtest.wait_for(lambda: len(sink.to(user.email)) >= n, timeout=timeout), \
        "want %d mails to %s, got %d" % (n, user.name, len(sink.to(user.email)))
    return sink.to(user.email)


def test_digest_parts_headers_read_muted_and_bound():
    alice, bob, carol = User("na"), Reader("nb"), Reader("nc")
    ch = channel(alice, members=(bob, carol))
    muted = channel(alice, members=(carol,))
    dm = channel(alice, kind="dm", members=(bob,))
    with MailServer(1, EXTRA) as sink:
        m1 = post(alice, ch["id"], "@%s look: <b>bold?</b> & <i>it</i>" % bob.name)
        m2 = post(alice, dm["id"], "a direct word")
        # carol: one mention she reads, one in a channel she muted
        r1 = post(alice, ch["id"], "@%s read me" % carol.name)
        carol.ok("PUT", "/api/v1/channels/%d/read-marker" % ch["id"], {"message_id": r1["id"]})
        psql("UPDATE channel_members SET muted = true WHERE channel_id = %d AND user_id = %d"
             % (muted["id"], carol.id))
        post(alice, muted["id"], "@%s in the muted one" % carol.name)
        gone = post(alice, ch["id"], "@%s oops, wrong person" % carol.name)
        alice.ok("DELETE", "/api/v1/channels/%d/messages/%d" % (ch["id"], gone["id"]))
        time.sleep(2)
        assert sink.to(bob.email) == [], "mailed before the delay"
        age(bob)
        age(carol)
        mail = mails_for(sink, bob, 1)[0]
        time.sleep(3)  # three more passes: still one digest
        assert len(sink.to(bob.email)) == 1, sink.to(bob.email)
        assert sink.to(carol.email) == [], "read, muted or deleted messages were mailed"
        # the digest: two parts, escaped HTML, links, one-click headers
        assert mail.get_content_type() == "multipart/alternative", mail.get_content_type()
        text, html = text_part(mail, "plain"), text_part(mail, "html")
        assert "look: <b>bold?</b>" in text and "a direct word" in text, text
        assert "&lt;b&gt;bold?&lt;/b&gt; &amp; &lt;i&gt;" in html, html
        assert "<i>" not in html and "<b>bold" not in html, html
        for m, c in ((m1, ch), (m2, dm)):
            link = "%s/c/%d#m%d" % (pxtest.BASE, c["id"], m["id"])
            assert link in text and 'href="%s"' % link in html, (link, text)
        unsub = mail["List-Unsubscribe"]
        assert unsub.startswith("<%s/unsubscribe?u=%d&t=" % (pxtest.BASE, bob.id)), unsub
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", dict(mail)
        # a new unread mention for carol is mailed alone, in her language
        psql("INSERT INTO web_prefs (user_id, lang) VALUES (%d, 'de')" % carol.id)
        post(alice, ch["id"], "@%s now for real" % carol.name)
        age(carol)
        cmail = mails_for(sink, carol, 1)[0]
        cm = text_part(cmail, "plain")
        assert "now for real" in cm and "read me" not in cm and "muted one" not in cm, cm
        assert "wrong person" not in cm, cm
        assert cmail["Subject"] == "[PlexiChat] Ungelesene Nachrichten: 1", cmail["Subject"]
        assert cm.startswith("Hallo %s," % carol.name) and "Abbestellen: " in cm, cm
        assert "Nachricht öffnen" in text_part(cmail, "html")
        assert mail["Subject"] == "[PlexiChat] Unread messages: 2", mail["Subject"]
        # at most two digests an hour: a second one comes, a third does not
        post(alice, dm["id"], "second round")
        age(bob, 6)
        assert "second round" in text_part(mails_for(sink, bob, 2)[-1], "plain")
        post(alice, dm["id"], "third round")
        age(bob, 6)
        time.sleep(4)
        assert len(sink.to(bob.email)) == 2, "the hourly bound did not hold"
    # the unsubscribe URL of the mail: GET asks, a bare POST turns mail off
    path = unsub.strip("<>")[len(pxtest.BASE):]
    r = request("GET", path, headers={"Accept": "text/html"})
    assert r.status == 200 and b"Unsubscribe" in r.body, r
    assert bob.ok("GET", "/api/v1/notifications/settings")["mail_minutes"] == 5
    # a person's click: the page's button posts the same signed values
    b = Browser()
    page = check_page(b.get(path))
    f = form_fields(page, "/unsubscribe")
    assert f["u"] == str(bob.id) and f["t"] == urllib.parse.parse_qs(
        urllib.parse.urlsplit(path).query)["t"][0], f
    r = b.post("/unsubscribe", f)
    assert "no more notification e-mails" in words(check_page(r)), r
    assert bob.ok("GET", "/api/v1/notifications/settings")["mail_minutes"] == 0
    bob.ok("PATCH", "/api/v1/notifications/settings", {"mail_minutes": 5})
    r = request("POST", path, body="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    assert bob.ok("GET", "/api/v1/notifications/settings")["mail_minutes"] == 0
    u = urllib.parse.urlsplit(path)
    forged = "/unsubscribe?u=%d&%s" % (carol.id, u.query.split("&")[1])
    r = request("POST", forged, body="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400, r
    assert carol.ok("GET", "/api/v1/notifications/settings")["mail_minutes"] == 5


def test_settings_page_form():
    u = User("nw")
    b = Browser()
    r = b.post("/login", {"username": u.name, "password": PASSWORD, "next": "/"})
    assert location(r) == "/", r
    p = check_page(b.get("/settings"))
    f = form_fields(p, "/settings/notifications")
    assert f["push"] == "1" and "mail_minutes" in f, f
    sel = [a for t, a in p.tags if t == "option" and "selected" in a and a.get("value") == "0"]
    assert sel, "digests are off by default"
    assert "Add an e-mail address" in words(p)
    r = b.post("/settings/notifications", {"csrf_token": f["csrf_token"], "mail_minutes": "15",
                                           "push_present": "1"})
    assert location(r) == "/settings?done=saved", r
    j = u.ok("GET", "/api/v1/notifications/settings")
    assert j["mail_minutes"] == 15 and j["push"] is False, j
    b.lang = "de"
    p = check_page(b.get("/settings"))
    assert "Nach 15 Minuten" in words(p) and "E-Mail-Zusammenfassung" in words(p), words(p)


def test_desktop_switch():
    """The web UI's desktop notifications: on by default, switched per
    account through the API and the settings form (an unchecked box is
    "off"), changed alone without touching the other settings."""
    u = User("nd")
    assert u.ok("GET", "/api/v1/notifications/settings")["desktop"] is True
    u.ok("PATCH", "/api/v1/notifications/settings", {"mail_minutes": 15})
    j = u.ok("PATCH", "/api/v1/notifications/settings", {"desktop": False})
    assert j["desktop"] is False and j["mail_minutes"] == 15 and j["push"] is True, j
    expect_error(u.call("PATCH", "/api/v1/notifications/settings", {"desktop": "no"}), 400,
                 "VALIDATION_FIELD_TYPE")
    assert u.ok("GET", "/api/v1/notifications/settings")["desktop"] is False
    b = Browser()
    assert location(b.post("/login", {"username": u.name, "password": PASSWORD, "next": "/"})) == "/"

    def box(p):
        return [a for t, a in p.tags if t == "input" and a.get("name") == "desktop"][0]
    p = check_page(b.get("/settings"))
    f = form_fields(p, "/settings/notifications")
    assert "checked" not in box(p), box(p)
    r = b.post("/settings/notifications", {"csrf_token": f["csrf_token"], "mail_minutes": "15",
                                           "push": "1", "desktop": "1", "push_present": "1"})
    assert location(r) == "/settings?done=saved", r
    assert u.ok("GET", "/api/v1/notifications/settings")["desktop"] is True
    assert "checked" in box(check_page(b.get("/settings")))
    r = b.post("/settings/notifications", {"csrf_token": f["csrf_token"], "mail_minutes": "15",
                                           "push": "1", "push_present": "1"})
    assert location(r) == "/settings?done=saved", r
    j = u.ok("GET", "/api/v1/notifications/settings")
    assert j["desktop"] is False and j["push"] is True, j
    b.lang = "de"
    assert "Desktop-Benachrichtigungen" in words(check_page(b.get("/settings")))


def test_settings_validation_and_cli():
    u = User("ns")
    expect_error(u.call("PATCH", "/api/v1/notifications/settings", {"mail_minutes": 7}), 400,
                 "VALIDATION_FIELD_FORMAT")
    expect_error(u.call("PATCH", "/api/v1/notifications/settings", {"push": "yes"}), 400,
                 "VALIDATION_FIELD_TYPE")
    j = u.ok("PATCH", "/api/v1/notifications/settings", {"push": False})
    assert j["push"] is False and j["mail_minutes"] == 0 and j["has_email"] is False, j
    assert 15 in j["mail_delays"], j
    expect_error(request("GET", "/api/v1/notifications/settings"), 401, "AUTH_REQUIRED")
    rc, out = admin_cli("notify")
    assert rc == 0 and ("digests" in out or "another process" in out), out


if __name__ == "__main__":
    pxtest.run(globals())
