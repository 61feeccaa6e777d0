"""The password-reset link from the real mail (aiosmtpd on loopback) opens
/reset-password, which sets a new password under the policy without
JavaScript and sends the user to sign in; expired, used and forged tokens
each get their own clear error, in English and German."""
import hashlib
import re
import time
import urllib.parse

import pxtest
from authlib import PASSWORD, admin_token, api, login, make_user, psql, uniq, unlock
from maillib import MailServer, text_part
from webcheck import Browser, check_page, form_fields, location, parse, words

unlock()
ADMIN = admin_token()
NEWPW = "Brand-New-Reset-Pass-77"


def reset_link(sink, addr, browser):
    """Asks for a reset on the web form until the mail arrives (the server
    picks up the SMTP settings when it reloads its config); returns the
    link in the newest mail."""
    def arrived():
        p = check_page(browser.get("/forgot-password"))
        r = browser.post("/forgot-password", {"csrf_token": form_fields(p, "/forgot-password")
                                              ["csrf_token"], "email": addr})
        page = check_page(r)
        assert "a reset link is on its way" in words(page), words(page)
        time.sleep(0.3)
        return sink.to(addr)
    assert pxtest.wait_for(arrived, timeout=20, step=1.0), "no reset mail arrived"
    body = text_part(sink.to(addr)[-1])
    m = re.search(r"(\S+/reset-password\?token=(pxr_[A-Za-z0-9_-]+))", body)
    assert m, body
    assert m.group(1).startswith(pxtest.BASE + "/reset-password?"), m.group(1)
    return m.group(1)[len(pxtest.BASE):], m.group(2)


def submit(browser, path, pw, again=None):
    """Opens the page at path and posts its form with a new password."""
    p = check_page(browser.get(path))
    f = form_fields(p, "/reset-password")
    f["new_password"] = pw
    f["new_password_again"] = pw if again is None else again
    return browser.post("/reset-password", f)


def test_link_from_mail_to_working_login():
    addr = uniq("reset") + "@example.org"
    name, tok, _ = make_user(ADMIN, email=addr)
    with MailServer(0, "public_url = %s\n" % pxtest.BASE) as sink:
        b = Browser()
        path, token = reset_link(sink, addr, b)
    # the form carries the token; a password the policy refuses keeps it live
    p = check_page(b.get(path))
    assert form_fields(p, "/reset-password")["token"] == token
    r = submit(b, path, "short")
    assert r.status == 400 and "too short" in words(parse(r.body)), r
    r = submit(b, path, NEWPW, "something-else-entirely")
    assert r.status == 400 and "do not match" in words(parse(r.body)), r
    r = submit(b, path, "password1234")
    assert r.status == 400 and "too common" in words(parse(r.body)), r
    # a good one: sent to sign in with a notice, the old sessions ended
    r = submit(b, path, NEWPW)
    assert location(r) == "/login?done=password_reset", r.headers
    assert "Your password was changed" in words(check_page(b.get(location(r))))
    assert api("GET", "/api/v1/auth/me", tok).status == 401
    assert login(name, PASSWORD).status == 401
    f = form_fields(check_page(b.get("/login")), "/login")
    f.update(username=name, password=NEWPW)
    r = b.post("/login", f)
    assert r.status == 303 and b.signed_in(), r
    assert name in words(check_page(b.get("/settings")))
    # the same link again: used
    r = Browser().get(path)
    assert r.status == 410 and "already used" in words(check_page(r, 410)), r
    b2 = Browser()
    f = form_fields(check_page(b2.get("/reset-password")), "/reset-password")
    f.update(token=token, new_password=NEWPW + "x", new_password_again=NEWPW + "x")
    r = b2.post("/reset-password", f)
    assert r.status == 410 and "already used" in words(check_page(r, 410)), r
    assert login(name, NEWPW).status == 200


def admin_reset(uid):
    r = api("POST", "/api/v1/admin/users/%d/password-reset" % uid, ADMIN)
    assert r.status == 201, r
    return r.json()["reset_token"]


def test_expired_used_and_forged_tokens():
    name, _, uid = make_user(ADMIN)
    token = admin_reset(uid)
    psql("UPDATE password_resets SET expires_at = now() - interval '1 minute'"
         " WHERE token_hash = '%s'" % hashlib.sha256(token.encode()).hexdigest())
    q = "/reset-password?token=" + urllib.parse.quote(token)
    p = check_page(Browser().get(q), 410)
    assert "has expired" in words(p), words(p)
    assert "new_password" in form_fields(p, "/reset-password")  # a typed code still works
    j = pxtest.expect_error(pxtest.request("POST", "/api/v1/auth/password/reset", json_body={
        "token": token, "new_password": NEWPW}), 401, "AUTH_TOKEN_INVALID")
    assert j["details"]["reason"] == "expired", j
    p = check_page(Browser().get("/reset-password?token=pxr_forged0123456789"), 410)
    assert "is not valid" in words(p), words(p)
    j = pxtest.expect_error(pxtest.request("POST", "/api/v1/auth/password/reset", json_body={
        "token": "pxr_forged", "new_password": NEWPW}), 401, "AUTH_TOKEN_INVALID")
    assert j["details"]["reason"] == "unknown", j
    # a newer token used up every older one of the account
    older, newer = admin_reset(uid), admin_reset(uid)
    r = submit(Browser(), "/reset-password?token=" + newer, NEWPW)
    assert location(r) == "/login?done=password_reset", r
    p = check_page(Browser().get("/reset-password?token=" + older), 410)
    assert "already used" in words(p), words(p)
    # the reset code typed into the bare page works like the link
    code = admin_reset(uid)
    b = Browser()
    f = form_fields(check_page(b.get("/reset-password")), "/reset-password")
    f.update(token=code, new_password=NEWPW + "2", new_password_again=NEWPW + "2")
    assert location(b.post("/reset-password", f)) == "/login?done=password_reset"
    assert login(name, NEWPW + "2").status == 200
    # without the form token nothing changes
    code = admin_reset(uid)
    r = Browser().send("POST", "/reset-password", {"token": code, "new_password": NEWPW,
                                                    "new_password_again": NEWPW})
    assert r.status == 403, r
    assert login(name, NEWPW + "2").status == 200


def test_german_page():
    _, _, uid = make_user(ADMIN)
    b = Browser(lang="de")
    p = check_page(b.get("/reset-password?token=" + admin_reset(uid)))
    assert "Neues Passwort festlegen" in words(p), words(p)
    p = check_page(b.get("/reset-password?token=pxr_nope"), 410)
    assert "ungültig" in words(p), words(p)
    p = check_page(b.get("/forgot-password"))
    assert "Passwort vergessen?" in words(p), words(p)


if __name__ == "__main__":
    pxtest.run(globals())
