"""Web UI pages beyond chat: search with filters and highlighting,
notifications, settings (profile, password, language, two-factor
enrolment with the QR code and recovery codes, sessions with revoke),
admin pages (users and roles, invites, audit log, firewall events, health
and backups), and bad input that must render safely."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from authlib import ADMIN_PASSWORD, PASSWORD, admin_token, api, make_user, uniq, unlock  # noqa: E402
from pxtest import run  # noqa: E402
from webcheck import Browser, check_page, hidden_value, location, parse, totp, words  # noqa: E402


def signed_in(name, password=PASSWORD):
    b = Browser()
    r = b.post("/login", {"username": name, "password": password, "next": "/"})
    assert location(r) == "/", r
    return b


def new_user(role="member"):
    unlock()
    return make_user(admin_token(), prefix="w", role=role)


def channel(b, tok):
    name = uniq("s").lower().replace("_", "-")
    assert location(b.post("/channels/new", {"name": name})) == "/c/" + name
    cid = [a for t, a in b.page("/c/" + name).tags if t == "main"][0]["data-channel-id"]
    return name, cid


def test_search_filters_and_highlight():
    name, tok, _ = new_user()
    b = signed_in(name)
    ch, cid = channel(b, tok)
    word = "zebra" + uniq("q")[-6:]
    for body in ("a %s <b>crossing</b>" % word, "nothing here", "another %s" % word):
        assert api("POST", "/api/v1/channels/%s/messages" % cid, tok, {"body": body}).status == 201
    r = b.get("/search?q=" + word + "&in=" + ch)
    p = check_page(r)
    marks = [1 for t, a in p.tags if t == "mark"]
    assert len(marks) == 2, r.body
    # the snippet holds the words as shown: raw HTML is not rendered, so
    # neither its tags nor their escaped text appear
    assert "crossing" in words(p), r.body
    assert "<b>crossing" not in r.body.decode()
    assert "&lt;b&gt;crossing" not in r.body.decode()
    p = b.page("/search?q=" + word + "&from=" + name + "&pinned=1")
    assert "No messages match" in words(p)
    p = b.page("/search?q=x&after=2020-13-45")
    assert p and [1 for t, a in p.tags if t == "p" and a.get("class") == "error"]


def test_notifications_page():
    a, atok, _ = new_user()
    bname, _, _ = new_user()
    ba = signed_in(a)
    ch, cid = channel(ba, atok)
    bb = signed_in(bname)
    assert location(bb.post("/c/%s/join" % ch, {})) == "/c/" + ch
    assert api("POST", "/api/v1/channels/%s/messages" % cid, atok,
               {"body": "hello @%s look" % bname}).status == 201
    p = bb.page("/notifications")
    assert "hello @%s look" % bname in words(p)
    assert [f for f in p.forms if f["attrs"].get("action") == "/notifications/read"]
    r = bb.post("/notifications/read", {})
    assert location(r) == "/notifications?done=saved"
    assert not [f for f in bb.page("/notifications").forms
                if f["attrs"].get("action") == "/notifications/read"]


def test_settings_profile_password_language():
    name, _, _ = new_user()
    b = signed_in(name)
    r = b.post("/settings/profile", {"display_name": "New Name", "bio": "about me", "email": ""})
    assert location(r) == "/settings?done=saved", r
    p = b.page("/settings")
    assert any(a.get("value") == "New Name" for t, a in p.tags if t == "input")
    r = b.post("/settings/password", {"current_password": "wrong-password-1",
                                      "new_password": "Another-Horse-99x"})
    p = check_page(r, 401)
    assert "username or password is incorrect" in words(p)
    r = b.post("/settings/language", {"lang": "de"})
    assert b.cookies.get("px_lang") == "de"
    assert "Einstellungen" in words(b.page("/settings"))
    # the choice is the account's: another browser gets it at sign-in
    assert signed_in(name).cookies.get("px_lang") == "de"
    b.post("/settings/language", {"lang": ""})
    assert "px_lang" not in b.cookies


def test_two_factor_enrolment_and_sessions():
    name, _, _ = new_user()
    b = signed_in(name)
    other = signed_in(name)
    r = b.post("/settings/mfa/enrol", {})
    p = check_page(r, 201)
    img = [a for t, a in p.tags if t == "img" and a.get("src", "").startswith("data:image/svg+xml,")]
    assert img and img[0].get("alt"), "QR code image with alt text"
    secret = [d for d in p.text if d.strip()]
    code_el = r.body.decode().split('id="mfa-secret">')[1].split("<")[0]
    r = b.post("/settings/mfa/confirm", {"code": "000000"})
    check_page(r, 401)
    r = b.post("/settings/mfa/confirm", {"code": totp(code_el)})
    p = check_page(r)
    codes = r.body.decode().split('id="recovery-codes">')[1].split("</ul>")[0].count("<li>")
    assert codes == 10, codes
    p = b.page("/settings/security")
    sess = [f["attrs"]["action"] for f in p.forms if "/settings/sessions/" in f["attrs"].get("action", "")]
    assert len(sess) >= 1, "the other session can be revoked"
    r = b.post(sess[0], {})
    assert location(r) == "/settings/security?done=revoked"
    r = other.get("/settings")
    assert r.status == 303 and "expired=1" in r.headers["location"], r
    assert secret


def test_admin_pages():
    unlock()
    b = signed_in("admin", ADMIN_PASSWORD)
    p = b.page("/admin/system")
    assert "Backups" in words(p) and [a for t, a in p.tags if t == "dd" and a.get("id") == "health"]
    name, _, uid = new_user()
    p = b.page("/admin/users?q=" + name)
    assert name in words(p)
    r = b.post("/admin/users/%d" % uid, {"role": "moderator", "active": "1"})
    assert location(r) == "/admin/users?done=saved", r
    assert api("GET", "/api/v1/users/%d" % uid, admin_token()).json()["role"] == "moderator"
    r = b.post("/admin/invites", {"role": "member", "email": ""})
    p = check_page(r, 201)
    link = r.body.decode().split('id="invite-link">')[1].split("<")[0]
    assert "/invite/" in link
    p = b.page("/admin/audit?action=auth.")
    assert "auth." in words(p)
    b.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    p = b.page("/admin/waf")
    assert "waf." in words(p)
    cidr = "198.51.100.%d/32" % (uid % 250)
    r = b.post("/admin/ip", {"list": "deny", "cidr": cidr, "comment": "from <b>web</b>"})
    assert location(r) == "/admin/ip?done=saved", r
    p = b.page("/admin/ip")
    assert cidr in words(p) and "from <b>web</b>" in words(p)
    delete = [f["attrs"]["action"] for f in p.forms if f["attrs"].get("action", "").endswith("/delete")]
    rows = [a for t, a in p.tags if t == "code"]
    assert delete and rows
    r = b.post("/admin/ip", {"list": "deny", "cidr": "not-an-address"})
    check_page(r, 400)
    for action in delete:
        b.post(action, {})
    assert cidr not in words(b.page("/admin/ip"))
    # members do not reach admin pages
    m = signed_in(name)
    for path in ("/admin/system", "/admin/users", "/admin/audit", "/admin/waf", "/admin/ip"):
        r = m.get(path)
        assert r.status == 403, (path, r)


def test_bad_input_renders_safely():
    unlock()
    name, tok, uid = new_user()
    b = signed_in(name)
    ch, cid = channel(b, tok)
    long = ("lorem ipsum " * 1400)[:15990] + "END"
    r = b.post("/c/%s/post" % ch, {"body": long, "action": "send"})
    assert location(r).startswith("/c/%s#m" % ch), r
    p = b.page("/c/" + ch)
    assert "END" in words(p)
    r = b.post("/c/%s/post" % ch, {"body": "x" * 16001, "action": "send"})
    p = check_page(r, 400)
    assert "longer than the allowed maximum" in words(p)
    assert [1 for t, a in p.tags if t == "textarea"], "the draft comes back"
    nested = "> " * 40 + "deep"
    r = b.post("/c/%s/post" % ch, {"body": nested, "action": "send"})
    p = check_page(r, 400)
    assert "nested too deeply" in words(p)
    lists = "".join("  " * i + "- item\n" for i in range(8))
    r = b.post("/c/%s/post" % ch, {"body": lists, "action": "send"})
    assert r.status == 303, r
    # names with markup, right-to-left text and combining characters
    for dn in ('Bob "<i>the</i>" & co', "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
               "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324alg\u0337o"):
        r = b.post("/settings/profile", {"display_name": dn})
        assert r.status in (303, 400), r
        if r.status != 303:
            continue
        assert api("POST", "/api/v1/channels/%s/messages" % cid, tok, {"body": "hi"}).status == 201
        r = b.get("/c/" + ch)
        p = check_page(r)
        assert "<i>the</i>" not in r.body.decode()
        assert dn in words(p) or dn.split(" ")[0] in words(p), dn
        names = r.body.decode().count('<span class="name"><bdi>')
        assert names >= 1, "author names are isolated for bidirectional text"


if __name__ == "__main__":
    run(globals())
