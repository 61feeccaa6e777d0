"""Accounts over HTTP: profile, directory, password change and reset (with a
real SMTP server on loopback), deactivation, admin actions, sessions and
personal access tokens."""
import os
import re
import time

import pxtest
from pxtest import request, expect_error
from authlib import (PASSWORD, admin_cli, admin_token, api, login, make_user, psql,
                     session_cookie, token_for, uniq, unlock)

unlock()
ADMIN = admin_token()
NEWPW = "Another-Strong-Pass-42"


def test_profile_update_and_directory():
    name, tok, uid = make_user(ADMIN)
    r = api("PATCH", "/api/v1/users/me", tok, {"display_name": "Zoë Q", "bio": "hi"})
    assert r.status == 200 and r.json()["display_name"] == "Zoë Q", r
    r = api("GET", "/api/v1/users/%d" % uid, tok)
    assert r.status == 200 and r.json()["bio"] == "hi" and "email" in r.json(), r
    _, other, _ = make_user(ADMIN)
    r = api("GET", "/api/v1/users/%d" % uid, other)
    assert r.status == 200 and "email" not in r.json(), r  # private fields hidden
    r = api("GET", "/api/v1/users?q=" + name, other)
    assert [u["username"] for u in r.json()["users"]] == [name], r
    expect_error(api("PATCH", "/api/v1/users/me", tok, {"display_name": 7}), 400,
                 "VALIDATION_FIELD_TYPE")
    expect_error(api("PATCH", "/api/v1/users/me", tok, {"bio": "x" * 501}), 400,
                 "VALIDATION_FIELD_LENGTH")
    expect_error(api("GET", "/api/v1/users?limit=500", tok), 400, "VALIDATION_FIELD_LENGTH")


def test_password_change_revokes_other_sessions():
    name, tok, _ = make_user(ADMIN)
    other = token_for(name, PASSWORD)
    expect_error(api("POST", "/api/v1/auth/password", tok,
                     {"current_password": "wrong-wrong", "new_password": NEWPW}),
                 401, "AUTH_INVALID_CREDENTIALS")
    expect_error(api("POST", "/api/v1/auth/password", tok,
                     {"current_password": PASSWORD, "new_password": "password1234"}),
                 400, "VALIDATION_WEAK_PASSWORD")
    r = api("POST", "/api/v1/auth/password", tok,
            {"current_password": PASSWORD, "new_password": NEWPW})
    assert r.status == 200, r
    assert api("GET", "/api/v1/auth/me", tok).status == 200  # this session stays
    expect_error(api("GET", "/api/v1/auth/me", other), 401, "AUTH_TOKEN_INVALID")
    assert login(name, NEWPW).status == 200


def test_admin_reset_token_single_use():
    name, tok, uid = make_user(ADMIN)
    r = api("POST", "/api/v1/admin/users/%d/password-reset" % uid, ADMIN)
    assert r.status == 201, r
    reset = r.json()["reset_token"]
    body = {"token": reset, "new_password": "x"}
    expect_error(request("POST", "/api/v1/auth/password/reset", json_body=body), 400,
                 "VALIDATION_WEAK_PASSWORD")  # refused before the token is used
    body["new_password"] = NEWPW
    assert request("POST", "/api/v1/auth/password/reset", json_body=body).status == 200
    expect_error(request("POST", "/api/v1/auth/password/reset", json_body=body), 401,
                 "AUTH_TOKEN_INVALID")
    expect_error(api("GET", "/api/v1/auth/me", tok), 401, "AUTH_TOKEN_INVALID")
    assert login(name, NEWPW).status == 200
    body["token"] = "pxr_forged"
    expect_error(request("POST", "/api/v1/auth/password/reset", json_body=body), 401,
                 "AUTH_TOKEN_INVALID")


def test_reset_by_mail_over_smtp():
    try:
        from aiosmtpd.controller import Controller
    except ImportError:  # Debian's python3-aiosmtpd under another python3
        import sys
        sys.path.append("/usr/lib/python3/dist-packages")
        from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.mails = []

        async def handle_DATA(self, server, session, envelope):
            self.mails.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    sink = Sink()
    port = 18290 + (1 if pxtest.SERVER == "apache" else 0)
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    conf = os.environ["PX_CONFIG"]
    orig = open(conf).read()
    try:
        with open(conf, "a") as f:
            f.write("smtp_url = smtp://127.0.0.1:%d\nsmtp_from = chat@example.org\n" % port)
        email = uniq("mail") + "@example.org"
        name, _, _ = make_user(ADMIN, email=email)

        def sent():
            r = request("POST", "/api/v1/auth/password/forgot", json_body={"email": email})
            assert r.status == 202, r
            time.sleep(0.3)
            return sink.mails
        assert pxtest.wait_for(sent, timeout=15, step=1.0), "no mail arrived"
        rcpt, text = sink.mails[-1]
        assert rcpt == [email] and "From: <chat@example.org>" in text, text
        token = re.search(r"Reset code: (pxr_[A-Za-z0-9_-]+)", text).group(1)
        r = request("POST", "/api/v1/auth/password/reset",
                    json_body={"token": token, "new_password": NEWPW})
        assert r.status == 200, r
        assert login(name, NEWPW).status == 200
        # unknown addresses get the same answer and no mail
        n = len(sink.mails)
        r = request("POST", "/api/v1/auth/password/forgot",
                    json_body={"email": "nobody-" + email})
        assert r.status == 202 and len(sink.mails) == n
    finally:
        with open(conf, "w") as f:
            f.write(orig)
        ctl.stop()


def test_deactivation_revokes_at_once():
    name, tok, uid = make_user(ADMIN)
    pat = api("POST", "/api/v1/auth/tokens", tok, {"name": "bot", "scopes": "read"}).json()["token"]
    r = api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"active": False})
    assert r.status == 200 and r.json()["active"] is False, r
    expect_error(api("GET", "/api/v1/auth/me", tok), 401, "AUTH_TOKEN_INVALID")
    expect_error(api("GET", "/api/v1/auth/me", pat), 403, "AUTH_ACCOUNT_DISABLED")
    expect_error(login(name, PASSWORD), 403, "AUTH_ACCOUNT_DISABLED")
    r = api("GET", "/api/v1/users/%d" % uid, token_for("admin", os.environ["PX_ADMIN_PASSWORD"]))
    assert r.status == 200 and r.json()["active"] is False
    assert api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"active": True}).status == 200
    assert login(name, PASSWORD).status == 200


def test_self_deactivation_needs_password():
    name, tok, _ = make_user(ADMIN)
    expect_error(api("POST", "/api/v1/users/me/deactivate", tok, {"password": "nope-nope"}),
                 401, "AUTH_INVALID_CREDENTIALS")
    assert api("POST", "/api/v1/users/me/deactivate", tok, {"password": PASSWORD}).status == 200
    expect_error(login(name, PASSWORD), 403, "AUTH_ACCOUNT_DISABLED")


def test_role_changes_follow_hierarchy():
    _, adm, adm_id = make_user(ADMIN, role="admin")
    mem_name, mem, mem_id = make_user(ADMIN)
    r = api("PATCH", "/api/v1/admin/users/%d" % mem_id, adm, {"role": "moderator"})
    assert r.status == 200 and r.json()["role"] == "moderator", r
    expect_error(api("PATCH", "/api/v1/admin/users/%d" % mem_id, adm, {"role": "admin"}),
                 403, "AUTH_FORBIDDEN")
    expect_error(api("PATCH", "/api/v1/admin/users/%d" % adm_id, adm, {"role": "owner"}),
                 403, "AUTH_FORBIDDEN")
    owner = api("GET", "/api/v1/auth/me", ADMIN).json()["user"]
    assert owner["role"] == "owner", owner
    expect_error(api("PATCH", "/api/v1/admin/users/%d" % owner["id"], adm, {"active": False}), 403,
                 "AUTH_FORBIDDEN")
    expect_error(api("PATCH", "/api/v1/admin/users/%d" % mem_id, adm, {"role": "king"}),
                 400, "VALIDATION_FIELD_FORMAT")
    # the list is paged; earlier tests made many accounts, so search for it
    r = api("GET", "/api/v1/admin/users?q=" + mem_name, adm)
    assert r.status == 200 and any(u["id"] == mem_id for u in r.json()["users"]), r


def test_sessions_list_and_revoke():
    name, tok, uid = make_user(ADMIN)
    second = token_for(name, PASSWORD)
    r = api("GET", "/api/v1/auth/sessions", tok, headers={"User-Agent": "pxtest/1"})
    sessions = r.json()["sessions"]
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1, r
    assert all(s["ip"] for s in sessions)
    other = [s for s in sessions if not s["current"]][0]
    assert api("DELETE", "/api/v1/auth/sessions/%d" % other["id"], tok).status == 200
    expect_error(api("GET", "/api/v1/auth/me", second), 401, "AUTH_TOKEN_INVALID")
    expect_error(api("DELETE", "/api/v1/auth/sessions/%d" % other["id"], tok), 404,
                 "VALIDATION_NOT_FOUND")
    # admins see and revoke anyone's below them
    third = token_for(name, PASSWORD)
    r = api("GET", "/api/v1/admin/users/%d/sessions" % uid, ADMIN)
    ids = [s["id"] for s in r.json()["sessions"]]
    assert len(ids) == 2, r
    for sid in ids:
        assert api("DELETE", "/api/v1/admin/users/%d/sessions/%d" % (uid, sid), ADMIN).status == 200
    expect_error(api("GET", "/api/v1/auth/me", third), 401, "AUTH_TOKEN_INVALID")
    rc, out = admin_cli("list-sessions", name)
    assert rc == 0, out
    # but not the sessions (addresses, devices) of an admin beside them
    _, adm_tok, _ = make_user(ADMIN, "adm", role="admin")
    _, _, peer = make_user(ADMIN, "peer", role="admin")
    expect_error(api("GET", "/api/v1/admin/users/%d/sessions" % peer, adm_tok), 403,
                 "AUTH_FORBIDDEN")
    assert api("GET", "/api/v1/admin/users/%d/sessions" % uid, adm_tok).status == 200


def test_idle_and_absolute_expiry():
    name, tok, uid = make_user(ADMIN)
    psql("UPDATE sessions SET last_used_at = now() - interval '15 days' WHERE user_id = %d" % uid)
    expect_error(api("GET", "/api/v1/auth/me", tok), 401, "AUTH_TOKEN_INVALID")  # idle
    r = login(name, PASSWORD)
    cookie = {"Cookie": "px_session=" + session_cookie(r)}
    assert request("GET", "/api/v1/auth/me", headers=cookie).status == 200
    psql("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = %d" % uid)
    # a change made outside PlexiChat ends its token cache when PostgreSQL's
    # notification arrives: milliseconds, more on a busy machine, and always
    # before auth_cache_seconds (5) would end it anyway
    assert pxtest.wait_for(lambda: request("GET", "/api/v1/auth/me", headers=cookie).status == 401, 3)
    expect_error(request("GET", "/api/v1/auth/me", headers=cookie), 401, "AUTH_SESSION_EXPIRED")
    expect_error(api("GET", "/api/v1/auth/me", r.json()["token"]), 401, "AUTH_TOKEN_INVALID")


def test_personal_access_tokens_scopes():
    _, tok, _ = make_user(ADMIN)
    r = api("POST", "/api/v1/auth/tokens", tok, {"name": "ci", "scopes": "read"})
    assert r.status == 201 and r.json()["token"].startswith("pxp_"), r
    pat, pid = r.json()["token"], r.json()["id"]
    assert api("GET", "/api/v1/users", pat).status == 200
    me = api("GET", "/api/v1/auth/me", pat).json()
    assert me["via"] == "token" and me["session_id"] is None
    expect_error(api("PATCH", "/api/v1/users/me", pat, {"bio": "x"}), 403, "AUTH_FORBIDDEN")
    expect_error(api("POST", "/api/v1/auth/tokens", pat, {"name": "x", "scopes": "read"}),
                 403, "AUTH_FORBIDDEN")
    expect_error(api("POST", "/api/v1/auth/tokens", tok, {"name": "x", "scopes": "root"}),
                 400, "VALIDATION_FIELD_FORMAT")
    listed = api("GET", "/api/v1/auth/tokens", tok).json()["tokens"]
    assert [t["scopes"] for t in listed] == ["read"], listed
    assert api("DELETE", "/api/v1/auth/tokens/%d" % pid, tok).status == 200
    expect_error(api("GET", "/api/v1/users", pat), 401, "AUTH_TOKEN_INVALID")


def test_admin_cli_accounts():
    name, tok, uid = make_user(ADMIN)
    rc, out = admin_cli("set-role", name, "moderator")
    assert rc == 0, out
    assert api("GET", "/api/v1/auth/me", tok).json()["user"]["role"] == "moderator"
    rc, out = admin_cli("deactivate", name)
    assert rc == 0, out
    expect_error(api("GET", "/api/v1/auth/me", tok), 401, "AUTH_TOKEN_INVALID")
    rc, out = admin_cli("reactivate", name)
    assert rc == 0, out
    rc, out = admin_cli("reset-password", name)
    assert rc == 0 and "pxr_" in out, out
    rc, out = admin_cli("invite", "--role", "guest")
    code = re.search(r"(pxi_[A-Za-z0-9_-]+)", out).group(1)
    r = request("POST", "/api/v1/auth/register",
                json_body={"username": uniq("cli"), "password": PASSWORD, "invite": code})
    assert r.status == 201 and r.json()["user"]["role"] == "guest", r
    rc, out = admin_cli("set-role", name, "emperor")
    assert rc != 0


if __name__ == "__main__":
    pxtest.run(globals())
