"""TOTP MFA over HTTP with codes from oathtool: enrolment, confirmation,
replay refusal, recovery codes, trusted devices, disabling, encryption at rest."""
import json
import subprocess

import pxtest
from pxtest import request, expect_error
from authlib import (PASSWORD, admin_token, api, login, make_user, psql,
                     set_cookies, unlock)

unlock()
ADMIN = admin_token()


def oath(secret, offset=0):
    args = ["oathtool", "--totp", "-b", secret]
    if offset:
        args += ["-N", "now %+d seconds" % offset]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def enrolled_user():
    name, tok, uid = make_user(ADMIN, prefix="mfa")
    r = api("POST", "/api/v1/auth/mfa/enroll", tok)
    assert r.status == 201, r
    e = r.json()
    assert e["otpauth_uri"].startswith("otpauth://totp/PlexiChat:" + name + "?secret=" + e["secret"])
    assert e["qr_svg"].startswith("<svg ") and e["qr_svg"].endswith("</svg>")
    expect_error(api("POST", "/api/v1/auth/mfa/confirm", tok, {"code": "000000"
                     if oath(e["secret"]) != "000000" else "111111"}), 401, "AUTH_MFA_INVALID")
    code = oath(e["secret"])
    r = api("POST", "/api/v1/auth/mfa/confirm", tok, {"code": code})
    assert r.status == 200, r
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return name, tok, uid, e["secret"], code, codes


def test_enrol_confirm_and_login():
    name, tok, uid, secret, used, codes = enrolled_user()
    assert api("GET", "/api/v1/auth/mfa", tok).json() == {"enabled": True, "recovery_codes_left": 10}
    expect_error(api("POST", "/api/v1/auth/mfa/enroll", tok), 409, "VALIDATION_CONFLICT")
    expect_error(login(name, PASSWORD), 401, "AUTH_MFA_REQUIRED")
    expect_error(login(name, PASSWORD, code=used), 401, "AUTH_MFA_INVALID")  # replay
    expect_error(login(name, PASSWORD, code="12345x"), 401, "AUTH_MFA_INVALID")
    nxt = oath(secret, 30)  # the window admits one step ahead
    r = login(name, PASSWORD, code=nxt)
    assert r.status == 200, r
    expect_error(login(name, PASSWORD, code=nxt), 401, "AUTH_MFA_INVALID")  # replay
    expect_error(login(name, "wrong-password!", code=oath(secret, 60)), 401,
                 "AUTH_INVALID_CREDENTIALS")


def test_secret_encrypted_at_rest():
    _, _, uid, secret, _, codes = enrolled_user()
    stored = psql("SELECT secret_enc FROM mfa_totp WHERE user_id = %d" % uid)
    assert stored.startswith("v1.") and secret not in stored, stored
    hashes = psql("SELECT string_agg(code_hash, ',') FROM mfa_recovery_codes WHERE user_id = %d" % uid)
    assert codes[0] not in hashes and codes[0].replace("-", "") not in hashes


def test_recovery_codes_single_use_and_trusted_device():
    name, tok, _, secret, _, codes = enrolled_user()
    r = login(name, PASSWORD, code=codes[0].upper())
    assert r.status == 200, r
    expect_error(login(name, PASSWORD, code=codes[0]), 401, "AUTH_MFA_INVALID")
    st, body, cookies = set_cookies("POST", "/api/v1/auth/login", json_body={
        "username": name, "password": PASSWORD, "code": codes[1], "trust_device": True})
    assert st == 200, body
    trusted = [c for c in cookies if c.startswith("px_trusted=")]
    assert trusted and "HttpOnly" in trusted[0] and "Max-Age=2592000" in trusted[0], cookies
    dev = trusted[0].split(";")[0]
    r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD},
                headers={"Cookie": dev})
    assert r.status == 200, r  # no code needed on a trusted device
    devices = api("GET", "/api/v1/auth/devices", tok).json()["devices"]
    assert len(devices) == 1, devices
    assert api("DELETE", "/api/v1/auth/devices/%d" % devices[0]["id"], tok).status == 200
    r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD},
                headers={"Cookie": dev})
    expect_error(r, 401, "AUTH_MFA_REQUIRED")
    assert api("GET", "/api/v1/auth/mfa", tok).json()["recovery_codes_left"] == 8


def test_disable_needs_password_and_code():
    name, tok, _, secret, _, codes = enrolled_user()
    expect_error(api("POST", "/api/v1/auth/mfa/disable", tok, {"password": PASSWORD}), 400,
                 "VALIDATION_MISSING_FIELD")
    expect_error(api("POST", "/api/v1/auth/mfa/disable", tok,
                     {"password": "wrong-password", "code": codes[0]}), 401,
                 "AUTH_INVALID_CREDENTIALS")
    expect_error(api("POST", "/api/v1/auth/mfa/disable", tok,
                     {"password": PASSWORD, "code": "999999"}), 401, "AUTH_MFA_INVALID")
    r = api("POST", "/api/v1/auth/mfa/disable", tok, {"password": PASSWORD, "code": codes[2]})
    assert r.status == 200, r
    assert login(name, PASSWORD).status == 200
    assert api("GET", "/api/v1/auth/mfa", tok).json()["enabled"] is False


def test_mfa_changes_are_audited():
    _, _, uid, _, _, _ = enrolled_user()
    n = psql("SELECT count(*) FROM audit_log WHERE action = 'auth.mfa_enabled'"
             " AND target = 'user:%d'" % uid)
    assert n == "1", n


if __name__ == "__main__":
    pxtest.run(globals())
