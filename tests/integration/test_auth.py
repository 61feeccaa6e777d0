"""Accounts over HTTP: register (invite mode), login, sessions, CSRF, bad input."""
import json

import pxtest
from pxtest import request, expect_error
from authlib import (PASSWORD, ADMIN_PASSWORD, admin_token, api, bearer, invite,
                     login, make_user, session_cookie, uniq, unlock)

unlock()
ADMIN = admin_token()


def test_login_json_sets_cookie_and_token():
    r = login("admin", ADMIN_PASSWORD)
    assert r.status == 200, r
    j = r.json()
    assert j["token"].startswith("pxs_") and len(j["token"]) == 47, j
    assert j["token_type"] == "Bearer" and j["user"]["role"] == "owner"
    c = r.headers["set-cookie"]
    assert "HttpOnly" in c and "SameSite=Lax" in c and "Path=/" in c, c
    assert "Secure" not in c and not c.startswith("__Host-"), c  # plain HTTP


def test_me_bearer_and_cookie():
    r = login("admin", ADMIN_PASSWORD)
    tok, cookie = r.json()["token"], session_cookie(r)
    me = api("GET", "/api/v1/auth/me", tok)
    assert me.status == 200 and me.json()["user"]["username"] == "admin", me
    assert me.json()["via"] == "bearer"
    me = request("GET", "/api/v1/auth/me", headers={"Cookie": "px_session=" + cookie})
    assert me.status == 200 and me.json()["via"] == "cookie", me
    assert len(me.json()["csrf_token"]) == 43


def test_anonymous_and_forged_tokens():
    expect_error(request("GET", "/api/v1/auth/me"), 401, "AUTH_REQUIRED")
    for t in ("pxs_" + "A" * 43, "pxp_" + "B" * 43, "garbage", ""):
        r = request("GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + t})
        expect_error(r, 401, "AUTH_TOKEN_INVALID")
    r = request("GET", "/api/v1/auth/me", headers={"Cookie": "px_session=pxs_nope"})
    expect_error(r, 401, "AUTH_SESSION_EXPIRED")
    # a stale cookie does not block anonymous routes
    r = request("GET", "/api/v1/system/version", headers={"Cookie": "px_session=pxs_nope"})
    assert r.status == 200, r


def test_wrong_password():
    expect_error(login("admin", "not the password"), 401, "AUTH_INVALID_CREDENTIALS")
    expect_error(login("nobody_" + uniq("x"), "whatever-long"), 401, "AUTH_INVALID_CREDENTIALS")


def test_login_form_and_redirect():
    body = "username=admin&password=" + ADMIN_PASSWORD
    r = request("POST", "/api/v1/auth/login", body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and r.json()["token"], r
    r = request("POST", "/api/v1/auth/login", body=body + "&next=/app",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303 and r.headers["location"] == "/app", r
    assert "px_session=pxs_" in r.headers["set-cookie"]
    r = request("POST", "/api/v1/auth/login", body=body + "&next=//evil.example/",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r  # off-site next is ignored


def test_logout_revokes_session():
    tok = login("admin", ADMIN_PASSWORD).json()["token"]
    assert api("POST", "/api/v1/auth/logout", tok).status == 200
    expect_error(api("GET", "/api/v1/auth/me", tok), 401, "AUTH_TOKEN_INVALID")


def test_register_needs_invite_in_invite_mode():
    r = request("POST", "/api/v1/auth/register",
                json_body={"username": uniq("nv"), "password": PASSWORD})
    expect_error(r, 403, "AUTH_INVITE_INVALID")


def test_register_with_invite_once():
    code = invite(ADMIN)
    name = uniq("reg")
    r = request("POST", "/api/v1/auth/register",
                json_body={"username": name, "password": PASSWORD, "invite": code,
                           "display_name": "Réka Ørsted"})
    assert r.status == 201, r
    j = r.json()
    assert j["user"]["username"] == name and j["user"]["role"] == "member"
    assert j["user"]["display_name"] == "Réka Ørsted"
    assert api("GET", "/api/v1/auth/me", j["token"]).status == 200
    # the invite is single use, and the refused attempt leaves no account
    other = uniq("reg")
    r = request("POST", "/api/v1/auth/register",
                json_body={"username": other, "password": PASSWORD, "invite": code})
    expect_error(r, 403, "AUTH_INVITE_INVALID")
    expect_error(login(other, PASSWORD), 401, "AUTH_INVALID_CREDENTIALS")


def reg(body):
    body.setdefault("invite", invite(ADMIN))
    body.setdefault("password", PASSWORD)
    return request("POST", "/api/v1/auth/register", json_body=body)


def test_register_bad_input():
    cases = [
        ({"username": "ab"}, 400, "VALIDATION_FIELD_LENGTH"),
        ({"username": "a" * 300}, 400, "VALIDATION_FIELD_LENGTH"),
        ({"username": "x" * 33}, 400, "VALIDATION_FIELD_LENGTH"),
        ({"username": 12345}, 400, "VALIDATION_FIELD_TYPE"),
        ({"username": ["a"]}, 400, "VALIDATION_FIELD_TYPE"),
        ({"password": None, "username": uniq("np")}, 400, "VALIDATION_MISSING_FIELD"),
        ({"username": "bad name"}, 400, "VALIDATION_FIELD_FORMAT"),
        ({"username": "_lead"}, 400, "VALIDATION_FIELD_FORMAT"),
        ({"username": "ｆｕｌｌｗｉｄｔｈ"}, 400, "VALIDATION_FIELD_FORMAT"),
        ({"username": "root"}, 400, "VALIDATION_USERNAME_RESERVED"),
        ({"username": "Admin"}, 400, "VALIDATION_USERNAME_RESERVED"),
        ({"username": "R00T"}, 400, "VALIDATION_USERNAME_RESERVED"),  # looks like root
        ({"username": "аdmin"}, 409, "VALIDATION_USERNAME_CONFUSABLE"),  # Cyrillic а
        ({"username": "pаypal"}, 409, "VALIDATION_USERNAME_CONFUSABLE"),  # mixed
        ({"username": uniq("pw"), "password": "short"}, 400, "VALIDATION_WEAK_PASSWORD"),
        ({"username": uniq("pw"), "password": "Password123"}, 400, "VALIDATION_WEAK_PASSWORD"),
        ({"username": uniq("pw"), "password": "q" + "w" * 1024}, 400, "VALIDATION_WEAK_PASSWORD"),
        ({"username": uniq("em"), "email": "not-an-email"}, 400, "VALIDATION_FIELD_FORMAT"),
        ({"username": uniq("dn"), "display_name": "evil\u202eoverride"}, 400, "VALIDATION_FIELD_FORMAT"),
        ({"username": uniq("dn"), "display_name": ""}, 201, None),
    ]
    for body, status, code in cases:
        r = reg(dict(body))
        if code is None:
            assert r.status == status, (body, r)
        else:
            expect_error(r, status, code)
    r = request("POST", "/api/v1/auth/register", body="[1,2]",
                headers={"Content-Type": "application/json"})
    expect_error(r, 400, "VALIDATION_FIELD_TYPE")


def test_register_duplicates_and_lookalikes():
    base = "modern" + pxtest.SERVER[:3] + uniq("")[-6:]
    assert reg({"username": base}).status == 201
    expect_error(reg({"username": base.upper()}), 409, "VALIDATION_CONFLICT")
    expect_error(reg({"username": "rn" + base[1:]}), 409, "VALIDATION_USERNAME_CONFUSABLE")


def test_csrf_for_cookie_sessions():
    r = login("admin", ADMIN_PASSWORD)
    cookie = {"Cookie": "px_session=" + session_cookie(r)}
    csrf = request("GET", "/api/v1/auth/me", headers=cookie).json()["csrf_token"]
    r = request("POST", "/api/v1/auth/logout", headers=cookie)
    expect_error(r, 403, "AUTH_CSRF_FAILED")
    r = request("POST", "/api/v1/auth/logout", headers=dict(cookie, **{"X-CSRF-Token": "x" * 43}))
    expect_error(r, 403, "AUTH_CSRF_FAILED")
    h = dict(cookie, **{"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
    expect_error(request("POST", "/api/v1/auth/logout", headers=h), 403, "AUTH_CSRF_FAILED")
    r = request("POST", "/api/v1/auth/logout", body="csrf_token=" + csrf,
                headers=dict(cookie, **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert r.status == 200, r
    expect_error(request("GET", "/api/v1/auth/me", headers=cookie), 401, "AUTH_SESSION_EXPIRED")


def test_member_cannot_invite():
    _, tok, _ = make_user(ADMIN)
    expect_error(api("POST", "/api/v1/admin/invites", tok, {"role": "member"}), 403,
                 "AUTH_FORBIDDEN")
    expect_error(api("POST", "/api/v1/admin/invites", None, {}), 401, "AUTH_REQUIRED")


def test_admin_cannot_invite_owner_or_admin():
    _, tok, _ = make_user(ADMIN, role="admin")
    assert api("POST", "/api/v1/admin/invites", tok, {"role": "moderator"}).status == 201
    expect_error(api("POST", "/api/v1/admin/invites", tok, {"role": "admin"}), 403,
                 "AUTH_FORBIDDEN")
    expect_error(api("POST", "/api/v1/admin/invites", tok, {"role": "owner"}), 400,
                 "VALIDATION_FIELD_FORMAT")


if __name__ == "__main__":
    pxtest.run(globals())
