"""Passkeys (WebAuthn) over HTTP with a software authenticator (walib.py,
keys and signatures from the openssl tool): registration of ES256, EdDSA
and RS256 keys (attestation none and packed self), listing, renaming and
removing; passwordless sign-in; a passkey as the second factor of a
password sign-in (API and web form); recovery codes; refusals for a wrong
origin, RP ID, challenge reuse, missing UV, bad signature, a counter that
goes back (audited), another account's key; mfa_required and its gate;
the admin reset."""
import html
import json
import os
import re
import time

import pxtest
from pxtest import request, expect_error
from authlib import PASSWORD, admin_token, api, login, make_user, psql, unlock
from walib import (Authenticator, EDDSA, ES256, RS256, UP, UV, passwordless, register,
                   site)
import webcheck

unlock()
ADMIN = admin_token()
ORIGIN, RP_ID = site()
CONF = os.environ["PX_CONFIG"]


def new_user(prefix="wa"):
    name, tok, uid = make_user(ADMIN, prefix=prefix)
    return name, tok, uid


def creds(tok):
    r = api("GET", "/api/v1/auth/webauthn/credentials", tok)
    assert r.status == 200, r
    return r.json()["credentials"]


def test_register_each_algorithm_list_rename_remove():
    _, tok, _ = new_user()
    keys = [Authenticator(ES256), Authenticator(EDDSA), Authenticator(RS256)]
    r = register(tok, keys[0], "Laptop")
    assert r.status == 201, r
    codes = r.json()["recovery_codes"]  # the first factor of the account
    assert len(codes) == 10
    c = r.json()["credential"]
    assert c["algorithm"] == "ES256" and c["name"] == "Laptop" and c["user_verified"] is True
    r = register(tok, keys[1], "Phone", fmt="packed")  # packed self attestation
    assert r.status == 201 and "recovery_codes" not in r.json(), r
    assert r.json()["credential"]["attestation"] == "self"
    assert register(tok, keys[2], "Old key").status == 201
    got = creds(tok)
    assert [k["algorithm"] for k in got] == ["ES256", "EdDSA", "RS256"], got
    assert api("PATCH", "/api/v1/auth/webauthn/credentials/%d" % got[0]["id"], tok,
               {"name": "Work laptop"}).status == 200
    assert creds(tok)[0]["name"] == "Work laptop"
    # another account cannot see, rename or remove them
    _, other, _ = new_user()
    assert creds(other) == []
    expect_error(api("DELETE", "/api/v1/auth/webauthn/credentials/%d" % got[2]["id"], other),
                 404, "VALIDATION_NOT_FOUND")
    expect_error(api("PATCH", "/api/v1/auth/webauthn/credentials/%d" % got[2]["id"], other,
                     {"name": "x"}), 404, "VALIDATION_NOT_FOUND")
    assert api("DELETE", "/api/v1/auth/webauthn/credentials/%d" % got[2]["id"], tok).status == 200
    assert len(creds(tok)) == 2
    # each key signs in on its own
    for k in keys[:2]:
        r = passwordless(k)
        assert r.status == 200, r


def test_registration_refusals():
    _, tok, uid = new_user()
    k = Authenticator()

    def refused(reason, **kw):
        r = register(tok, k, **kw)
        expect_error(r, 400, "VALIDATION_WEBAUTHN_INVALID")
        assert r.json()["details"]["reason"] == reason, r

    refused("origin", origin="https://evil.example")
    refused("rp_id", rp_id="evil.example")
    refused("user_presence", flags=UV | 0x40)
    # a response answers one challenge once
    r = api("POST", "/api/v1/auth/webauthn/register/options", tok, {})
    cred = k.create(r.json()["publicKey"], ORIGIN)
    ok = api("POST", "/api/v1/auth/webauthn/register/verify", tok, {"credential": cred})
    assert ok.status == 201, ok
    again = api("POST", "/api/v1/auth/webauthn/register/verify", tok, {"credential": cred})
    expect_error(again, 400, "VALIDATION_WEBAUTHN_INVALID")
    assert again.json()["details"]["reason"] == "challenge"
    # the same credential id again, even for another account
    _, tok2, _ = new_user()
    expect_error(register(tok2, k), 409, "VALIDATION_CONFLICT")
    # a challenge issued to one account is no use to another
    r = api("POST", "/api/v1/auth/webauthn/register/options", tok, {})
    cred = Authenticator().create(r.json()["publicKey"], ORIGIN)
    r = api("POST", "/api/v1/auth/webauthn/register/verify", tok2, {"credential": cred})
    expect_error(r, 400, "VALIDATION_WEBAUTHN_INVALID")
    assert int(psql("SELECT count(*) FROM audit_log WHERE action ="
                    " 'auth.webauthn_register_refused' AND target = 'user:%d'" % uid)) >= 4
    expect_error(api("POST", "/api/v1/auth/webauthn/register/options", None, {}), 401,
                 "AUTH_REQUIRED")


def test_passwordless_sign_in_and_refusals():
    _, tok, uid = new_user()
    k = Authenticator(EDDSA)
    assert register(tok, k).status == 201
    r = passwordless(k)
    assert r.status == 200, r
    j = r.json()
    assert j["user"]["id"] == uid and j["token"].startswith("pxs_")
    me = api("GET", "/api/v1/auth/me", j["token"])
    assert me.status == 200 and str(uid) in me.body.decode(), me

    def refused(reason, **kw):
        r = passwordless(k, **kw)
        expect_error(r, 401, "AUTH_WEBAUTHN_FAILED")
        assert r.json()["details"]["reason"] == reason, r

    refused("user_verification", flags=UP)         # UV is required without a password
    refused("user_handle", handle=False)           # discoverable: the handle names the account
    refused("origin", origin="http://evil.example")
    refused("signature", bad_sig=True)
    # a counter that does not go up: a copied key; refused and audited
    assert passwordless(k, count=k.count + 1).status == 200  # stored: k.count + 1
    refused("sign_count", count=k.count + 1)
    refused("sign_count", count=k.count - 1)
    k.count += 1
    assert int(psql("SELECT count(*) FROM audit_log WHERE action ="
                    " 'auth.webauthn_counter_regression' AND target = 'user:%d'" % uid)) == 2
    # replaying a whole accepted answer: the challenge is gone
    opts = api("POST", "/api/v1/auth/webauthn/login/options", None, {}).json()["publicKey"]
    cred = k.get(opts, ORIGIN)
    assert api("POST", "/api/v1/auth/webauthn/login/verify", None, {"credential": cred}).status == 200
    r = api("POST", "/api/v1/auth/webauthn/login/verify", None, {"credential": cred})
    expect_error(r, 401, "AUTH_WEBAUTHN_FAILED")
    assert r.json()["details"]["reason"] == "challenge"
    # a key nobody registered
    r = passwordless(Authenticator())
    expect_error(r, 401, "AUTH_WEBAUTHN_FAILED")
    assert r.json()["details"]["reason"] == "unknown_credential"
    # a deactivated account cannot sign in with its passkey
    assert api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"active": False}).status == 200
    expect_error(passwordless(k), 403, "AUTH_ACCOUNT_DISABLED")


def test_counter_zero_authenticators():
    """Keys that never count (counter 0 on every use) are accepted."""
    _, tok, _ = new_user()
    k = Authenticator(ES256, counter=False)
    assert register(tok, k).status == 201
    assert passwordless(k).status == 200
    assert passwordless(k).status == 200


def test_second_factor_with_passkey_and_recovery():
    name, tok, uid = new_user()
    k = Authenticator()
    codes = register(tok, k).json()["recovery_codes"]
    r = login(name, PASSWORD)
    expect_error(r, 401, "AUTH_MFA_REQUIRED")
    d = r.json()["details"]
    assert d["mfa"] == "webauthn" and "webauthn" in d["methods"], d
    pk = d["webauthn"]
    assert [c["id"] for c in pk["allowCredentials"]] == [creds(tok)[0]["credential_id"]]
    r = login(name, PASSWORD, webauthn=k.get(pk, ORIGIN, flags=UP))
    assert r.status == 200, r
    # a tampered signature counts as a wrong second factor
    pk = login(name, PASSWORD).json()["details"]["webauthn"]
    r = login(name, PASSWORD, webauthn=k.get(pk, ORIGIN, bad_sig=True))
    expect_error(r, 401, "AUTH_MFA_INVALID")
    assert r.json()["details"]["reason"] == "signature"
    # an assertion for another account's challenge is refused
    other_name, other_tok, _ = new_user()
    other = Authenticator()
    assert register(other_tok, other).status == 201
    pk_other = login(other_name, PASSWORD).json()["details"]["webauthn"]
    r = login(name, PASSWORD, webauthn=k.get(pk_other, ORIGIN))
    expect_error(r, 401, "AUTH_MFA_INVALID")
    assert r.json()["details"]["reason"] == "wrong_account"
    # the key is lost: a recovery code still completes the sign-in, once
    unlock()
    assert login(name, PASSWORD, code=codes[0]).status == 200
    expect_error(login(name, PASSWORD, code=codes[0]), 401, "AUTH_MFA_INVALID")
    unlock()


def test_uv_required_setting():
    name, tok, _ = new_user()
    k = Authenticator()
    assert register(tok, k).status == 201
    orig = open(CONF).read()
    try:
        with open(CONF, "a") as f:
            f.write("\nwebauthn_user_verification = required\n")
        assert pxtest.wait_for(lambda: api("POST", "/api/v1/auth/webauthn/register/options", tok, {})
                               .json()["publicKey"]["authenticatorSelection"]
                               ["userVerification"] == "required", 10)
        time.sleep(1.5)  # every worker process
        pk = login(name, PASSWORD).json()["details"]["webauthn"]
        assert pk["userVerification"] == "required"
        r = login(name, PASSWORD, webauthn=k.get(pk, ORIGIN, flags=UP))
        expect_error(r, 401, "AUTH_MFA_INVALID")
        assert r.json()["details"]["reason"] == "user_verification"
        pk = login(name, PASSWORD).json()["details"]["webauthn"]
        assert login(name, PASSWORD, webauthn=k.get(pk, ORIGIN, flags=UP | UV)).status == 200
    finally:
        with open(CONF, "w") as f:
            f.write(orig)
        unlock()


def test_web_second_factor_form():
    """The HTML second-factor page carries the passkey options; posting an
    assertion in the "webauthn" field signs in (what passkey.js does)."""
    name, tok, _ = new_user()
    k = Authenticator()
    assert register(tok, k).status == 201
    b = webcheck.Browser()
    b.page("/login")
    r = b.post("/login", {"username": name, "password": PASSWORD, "next": "/"})
    assert r.status == 200, r
    page = r.body.decode()
    m = re.search(r'data-options="([^"]*)"', page)
    assert m and 'action="/login/mfa"' in page, page[:2000]
    pk = json.loads(html.unescape(m.group(1)))
    token = re.search(r'name="mfa_token" value="([^"]*)"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    r = b.post("/login/mfa", {"mfa_token": html.unescape(token), "csrf_token": csrf, "next": "/",
                              "webauthn": json.dumps(k.get(pk, ORIGIN))})
    assert r.status == 303 and b.signed_in(), r
    b.page("/settings/security")  # valid HTML, forms with tokens
    page = b.get("/settings/security").body.decode()
    assert 'id="passkey-list"' in page and "Key" in page


def test_policy_gate_and_admin_reset():
    name, tok, uid = new_user()
    orig = open(CONF).read()
    try:
        with open(CONF, "a") as f:
            f.write("\nmfa_required = all\n")
        assert pxtest.wait_for(lambda: api("GET", "/api/v1/channels", tok).status == 403, 10)
        time.sleep(1.5)
        r = api("GET", "/api/v1/channels", tok)
        expect_error(r, 403, "AUTH_MFA_ENROLMENT_REQUIRED")
        assert r.json()["details"]["enrol"] == "/settings/security"
        assert api("GET", "/api/v1/auth/me", tok).status == 200  # its own settings stay open
        k = Authenticator()
        assert register(tok, k).status == 201
        assert api("GET", "/api/v1/channels", tok).status == 200
        # the password sign-in now asks for the key
        expect_error(login(name, PASSWORD), 401, "AUTH_MFA_REQUIRED")
    finally:
        with open(CONF, "w") as f:
            f.write(orig)
    assert pxtest.wait_for(lambda: api("GET", "/api/v1/channels", ADMIN).status == 200, 10)
    # an admin's reset removes the keys (and TOTP): the password alone works again
    r = api("POST", "/api/v1/admin/users/%d/mfa/reset" % uid, ADMIN, {})
    assert r.status == 200 and r.json()["passkeys_removed"] == 1, r
    assert creds(tok) == []
    assert login(name, PASSWORD).status == 200
    _, member_tok, _ = new_user()
    expect_error(api("POST", "/api/v1/admin/users/%d/mfa/reset" % uid, member_tok, {}), 403,
                 "AUTH_FORBIDDEN")
    assert psql("SELECT count(*) FROM audit_log WHERE action = 'auth.mfa_reset' AND"
                " target = 'user:%d'" % uid) == "1"


if __name__ == "__main__":
    pxtest.run(globals())
