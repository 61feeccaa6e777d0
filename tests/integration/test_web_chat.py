"""Web UI with an account, as a browser without JavaScript uses it: sign-in
(password, TOTP step, trusted device), registration by invite, sign-out,
form tokens, expired sessions, and the chat pages: channels, posting with
Markdown and preview, history pages, threads, reactions, edit, pin,
delete."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from authlib import PASSWORD, admin_token, api, invite, make_user, uniq, unlock  # noqa: E402
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


def test_anonymous_forms_need_their_token():
    b = Browser()
    r = b.post("/login", {"username": "x", "password": "y"}, token=False)
    p = check_page(r, 403)
    assert "form has expired" in words(p), words(p)
    # another browser's token does not fit this one
    other = Browser().token()
    r = b.post("/login", {"username": "x", "password": "y", "csrf_token": other})
    assert r.status == 403, r


def test_wrong_password_says_so():
    b = Browser()
    r = b.post("/login", {"username": "nobody_" + uniq("x"), "password": "wrong-one-1"})
    p = check_page(r, 401)
    assert "username or password is incorrect" in words(p)
    assert hidden_value(p, "csrf_token")


def test_register_by_invite_then_sign_out():
    unlock()
    code = invite(admin_token())
    b = Browser()
    p = b.page("/invite/" + code)
    assert hidden_value(p, "invite") == code
    name = uniq("reg")
    r = b.post("/register", {"invite": code, "username": name, "display_name": "Reg <b>",
                             "password": PASSWORD})
    assert location(r) == "/", r
    p = b.page("/")
    assert "Welcome to PlexiChat" in words(p)
    r = b.post("/logout", {})
    assert location(r) == "/login?done=signed_out", r
    assert not b.signed_in()
    assert location(b.get("/")) == "/login"
    p = b.page("/login?done=signed_out")
    assert "You are signed out." in words(p)


def test_register_errors_keep_the_typed_values():
    unlock()
    b = Browser()
    code = invite(admin_token())
    r = b.post("/register", {"invite": code, "username": "ab", "display_name": "Keep me",
                             "password": "short"})
    p = check_page(r, r.status)
    assert r.status in (400, 409), r
    assert any(a.get("value") == "Keep me" for t, a in p.tags if t == "input")


def test_totp_step_and_trusted_device():
    name, tok, _ = new_user()
    r = api("POST", "/api/v1/auth/mfa/enroll", tok, {})
    assert r.status == 201, r
    secret = r.json()["secret"]
    r = api("POST", "/api/v1/auth/mfa/confirm", tok, {"code": totp(secret)})
    assert r.status == 200, r
    b = Browser()
    r = b.post("/login", {"username": name, "password": PASSWORD, "next": "/settings"})
    p = check_page(r)
    step = hidden_value(p, "mfa_token")
    assert step and PASSWORD not in r.body.decode(), "password must not be in the page"
    # the step token is bound to this browser
    thief = Browser()
    r = thief.post("/login/mfa", {"mfa_token": step, "code": totp(secret), "next": "/"})
    assert check_page(r, 401) and not thief.signed_in()
    r = b.post("/login/mfa", {"mfa_token": step, "code": "000000", "next": "/settings"})
    p = check_page(r, 401)
    assert "verification code is incorrect" in words(p)
    r = b.post("/login/mfa", {"mfa_token": step, "code": totp(secret, step=30),
                              "trust_device": "1", "next": "/settings"})
    if r.status == 401:  # the code of this step was just used: take the next one
        import time
        time.sleep(31 - time.time() % 30)
        r = b.post("/login/mfa", {"mfa_token": step, "code": totp(secret), "trust_device": "1",
                                  "next": "/settings"})
    assert location(r) == "/settings", r
    assert "px_trusted" in b.cookies
    # a trusted browser skips the step next time
    trusted = b.cookies["px_trusted"]
    b2 = Browser()
    b2.cookies["px_trusted"] = trusted
    r = b2.post("/login", {"username": name, "password": PASSWORD, "next": "/"})
    assert location(r) == "/", r
    # a forged step token starts over
    r = Browser().post("/login/mfa", {"mfa_token": "v1.AAAA", "code": "123456"})
    assert check_page(r, 401)


def test_stale_form_token_and_expired_session():
    name, _, _ = new_user()
    b = signed_in(name)
    r = b.post("/channels/new", {"name": uniq("x").lower(), "csrf_token": "stale"})
    p = check_page(r, 403)
    assert "form has expired" in words(p)
    # a session that ended while the page was open
    b.cookies["px_session"] = "pxs_" + "A" * 43
    r = b.get("/c/general")
    assert location(r) == "/c/general".join(["/login?next=", "&expired=1"]), r
    r = b.post("/c/general/post", {"body": "my unsent words", "csrf_token": "x"})
    p = check_page(r, 401)
    assert "session has expired" in words(p)
    assert "my unsent words" in words(p), "the draft is shown so it can be copied"


def make_channel(b, name=None):
    name = name or uniq("ch").lower().replace("_", "-")
    r = b.post("/channels/new", {"name": name, "topic": "Topic <i>x</i>"})
    assert location(r) == "/c/" + name, r
    return name


def test_channel_post_preview_react_edit_pin_delete():
    name, _, _ = new_user()
    b = signed_in(name)
    ch = make_channel(b)
    p = b.page("/c/" + ch)
    # a topic is shown as plain words: raw HTML (and Markdown) stripped
    assert "Topic x" in words(p) and "<i>" not in words(p)
    r = b.post("/c/%s/post" % ch, {"body": "# Title\n\n**bold** & <u>x</u>", "action": "preview"})
    p = check_page(r)
    assert any(t == "strong" for t, a in p.tags) and "<u>" not in r.body.decode()
    r = b.post("/c/%s/post" % ch, {"body": "**bold** `code`", "action": "send"})
    loc = location(r)
    assert loc.startswith("/c/%s#m" % ch), loc
    mid = loc.split("#m")[1]
    p = b.page("/c/" + ch)
    assert [a for t, a in p.tags if t == "li" and a.get("id") == "m" + mid]
    r = b.post("/c/%s/m/%s/react" % (ch, mid), {"emoji": "🎉"})
    assert location(r).endswith("#m" + mid)
    p = b.page("/c/" + ch)
    assert [a for t, a in p.tags if t == "button" and a.get("aria-pressed") == "true"]
    assert "🎉 1" in words(p)
    p = b.page("/c/%s/m/%s/edit" % (ch, mid))
    r = b.post("/c/%s/m/%s/edit" % (ch, mid), {"body": "now *edited*"})
    assert location(r).endswith("#m" + mid)
    p = b.page("/c/" + ch)
    assert "(edited)" in words(p) and "now edited" in words(p)
    r = b.post("/c/%s/m/%s/pin" % (ch, mid), {})
    assert "Pinned" in words(b.page("/c/" + ch))
    r = b.post("/c/%s/post" % ch, {"body": "in the thread", "thread_root_id": mid, "action": "send"})
    assert location(r).startswith("/c/%s/thread/%s#m" % (ch, mid)), r
    p = b.page("/c/%s/thread/%s" % (ch, mid))
    assert "in the thread" in words(p) and "Replies: 1" in words(b.page("/c/" + ch))
    r = b.post("/c/%s/m/%s/delete" % (ch, mid), {})
    assert "done=deleted" in location(r)
    assert "This message was deleted." in words(b.page("/c/" + ch))


def test_history_pages_by_link():
    name, tok, _ = new_user()
    b = signed_in(name)
    ch = make_channel(b)
    cid = [a for t, a in b.page("/c/" + ch).tags if t == "main"][0]["data-channel-id"]
    for i in range(55):
        r = api("POST", "/api/v1/channels/%s/messages" % cid, tok, {"body": "message %d" % i})
        assert r.status == 201, r
    p = b.page("/c/" + ch)
    older = [a["href"] for t, a in p.tags if t == "a" and a.get("id") == "older"]
    assert older and "message 54" in words(p) and "message 4 " not in words(p) + " "
    p = b.page(older[0])
    assert "message 4" in words(p) and "message 0" in words(p)
    assert [a for t, a in p.tags if t == "a" and a.get("id") == "newer"]


def test_other_peoples_private_channel_is_not_found():
    owner, _, _ = new_user()
    b = signed_in(owner)
    ch = uniq("pv").lower().replace("_", "-")
    r = b.post("/channels/new", {"name": ch, "kind": "private"})
    assert location(r) == "/c/" + ch
    other, _, _ = new_user()
    r = signed_in(other).get("/c/" + ch)
    check_page(r, 404)


def test_direct_message_and_join():
    a, _, _ = new_user()
    bname, _, _ = new_user()
    ba = signed_in(a)
    r = ba.post("/channels/dm", {"user": bname})
    loc = location(r)
    assert loc.startswith("/c/"), r
    p = ba.page(loc)
    assert bname in words(p)
    ch = make_channel(ba)
    bb = signed_in(bname)
    p = bb.page("/c/" + ch)
    assert "Join this channel" in words(p)
    r = bb.post("/c/%s/join" % ch, {})
    assert location(r) == "/c/" + ch
    p = bb.page("/c/" + ch)
    assert [f for f in p.forms if f["attrs"].get("action") == "/c/%s/post" % ch]
    # someone else's message offers no edit form
    loc = location(ba.post("/c/%s/post" % ch, {"body": "mine", "action": "send"}))
    mid = loc.split("#m")[1]
    check_page(bb.get("/c/%s/m/%s/edit" % (ch, mid)), 403)
    check_page(bb.post("/c/%s/m/%s/edit" % (ch, mid), {"body": "theirs"}), 403)


if __name__ == "__main__":
    run(globals())
