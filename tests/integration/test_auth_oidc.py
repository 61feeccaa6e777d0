"""OpenID Connect login against a real provider on loopback (Glewlwyd,
started and configured by this test): code flow with PKCE, state and nonce,
ID-token verification, account creation, linking by subject and by
verified e-mail, several providers, tampered state and code."""
import json
import os
import time
import urllib.parse

import pxtest
from pxtest import request, expect_error
from authlib import admin_token, api, make_user, unlock
from oidc_provider import Glewlwyd

unlock()
ADMIN = admin_token()
KIND = pxtest.SERVER[:3]
# next to this run's web server (18080 -> 18296), so that runs with their
# own ports (PX_TEST_ID) do not share one provider
PORT = urllib.parse.urlsplit(pxtest.BASE).port + 216
SECRET = "client-secret-" + KIND
GLEW = Glewlwyd(os.path.join(os.environ.get("PX_WORK", "/tmp"), "glewlwyd-" + KIND), PORT)
CONF = os.environ["PX_CONFIG"]
ORIG = open(CONF).read()


def callback_uri(name):
    return pxtest.BASE + "/api/v1/auth/oidc/%s/callback" % name


def setup():
    GLEW.start()
    GLEW.configure("plexichat", SECRET, callback_uri("glew"))
    providers = {"providers": [
        {"name": "glew", "label": "Glewlwyd", "issuer": GLEW.issuer, "client_id": "plexichat",
         "client_secret": SECRET, "scopes": "openid", "redirect_uri": callback_uri("glew"),
         "trust_email": True, "auto_register": True},
        {"name": "strict", "label": "Strict", "issuer": GLEW.issuer, "client_id": "plexichat",
         "client_secret": SECRET, "scopes": "openid", "redirect_uri": callback_uri("glew"),
         "trust_email": False, "auto_register": False},
    ]}
    path = os.path.join(GLEW.dir, "providers.json")
    with open(path, "w") as f:
        json.dump(providers, f)
    os.chmod(path, 0o644)
    os.chmod(GLEW.dir, 0o755)
    with open(CONF, "a") as f:
        f.write("oidc_providers_file = %s\n" % path)
    time.sleep(1.2)
    ok = 0
    for _ in range(60):  # every worker process must have reloaded
        r = request("GET", "/api/v1/auth/oidc/providers")
        ok = ok + 1 if r.status == 200 and len(r.json()["providers"]) == 2 else 0
        if ok >= 6:
            return
        time.sleep(0.2)
    raise AssertionError("configuration with OIDC providers not picked up")


def teardown():
    with open(CONF, "w") as f:
        f.write(ORIG)
    GLEW.stop()


def start(name="glew"):
    """Our /start: returns (authorize URL, state cookie)."""
    r = request("GET", "/api/v1/auth/oidc/%s/start?next=/app" % name)
    assert r.status == 302, r
    cookie = r.headers["set-cookie"].split(";")[0]
    assert cookie.startswith("px_oidc=pxo_") and "HttpOnly" in r.headers["set-cookie"]
    loc = r.headers["location"]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    assert q["code_challenge_method"] == ["S256"] and q["nonce"][0] and q["state"][0]
    assert "px_oidc=" + q["state"][0] == cookie
    return loc, cookie


def callback(location, cookie, name="glew"):
    parts = urllib.parse.urlsplit(location)
    return request("GET", "/api/v1/auth/oidc/%s/callback?%s" % (name, parts.query),
                   headers={"Cookie": cookie, "Accept": "application/json"})


def oidc_login(user, password, name="glew"):
    loc, cookie = start(name)
    back = GLEW.authorize(loc, user, password, "plexichat")
    return callback(back, cookie, name)


def test_login_creates_then_reuses_account():
    GLEW.add_user("alice" + KIND, "Alice-Pass-123", "alice-%s@example.org" % KIND, "Alice Ö")
    r = oidc_login("alice" + KIND, "Alice-Pass-123")
    assert r.status == 200, r
    j = r.json()
    assert j["token"].startswith("pxs_") and j["user"]["email"] == "alice-%s@example.org" % KIND
    assert j["user"]["display_name"] == "Alice Ö" and j["user"]["email_verified"] is True
    me = api("GET", "/api/v1/auth/me", j["token"])
    assert me.status == 200, me
    again = oidc_login("alice" + KIND, "Alice-Pass-123")
    assert again.status == 200 and again.json()["user"]["id"] == j["user"]["id"], again


def test_links_existing_account_by_verified_email():
    email = "bob-%s@example.org" % KIND
    _, _, uid = make_user(ADMIN, prefix="bob", email=email)
    GLEW.add_user("bob" + KIND, "Bob-Pass-12345", email, "Bob")
    r = oidc_login("bob" + KIND, "Bob-Pass-12345")
    assert r.status == 200 and r.json()["user"]["id"] == uid, r


def test_browser_redirect_to_next():
    GLEW.add_user("carol" + KIND, "Carol-Pass-123", "carol-%s@example.org" % KIND, "Carol")
    loc, cookie = start()
    back = GLEW.authorize(loc, "carol" + KIND, "Carol-Pass-123", "plexichat")
    r = request("GET", "/api/v1/auth/oidc/glew/callback?" + urllib.parse.urlsplit(back).query,
                headers={"Cookie": cookie})
    assert r.status == 303 and r.headers["location"] == "/app", r


def test_tampered_state_and_replay_refused():
    GLEW.add_user("dave" + KIND, "Dave-Pass-1234", "dave-%s@example.org" % KIND, "Dave")
    loc, cookie = start()
    back = GLEW.authorize(loc, "dave" + KIND, "Dave-Pass-1234", "plexichat")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
    forged = "state=pxo_forged&code=" + q["code"][0]
    r = request("GET", "/api/v1/auth/oidc/glew/callback?" + forged,
                headers={"Cookie": cookie, "Accept": "application/json"})
    expect_error(r, 401, "AUTH_OIDC_FAILED")
    # the state cookie of another browser does not match
    r = callback(back, "px_oidc=pxo_other")
    expect_error(r, 401, "AUTH_OIDC_FAILED")
    assert callback(back, cookie).status == 200
    expect_error(callback(back, cookie), 401, "AUTH_OIDC_FAILED")  # state used up


def test_tampered_code_refused():
    GLEW.add_user("erin" + KIND, "Erin-Pass-1234", "erin-%s@example.org" % KIND, "Erin")
    loc, cookie = start()
    back = GLEW.authorize(loc, "erin" + KIND, "Erin-Pass-1234", "plexichat")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
    code = q["code"][0]
    # change the first character to a different one: "x" + code[1:] is the
    # same code whenever it already starts with "x"
    bad = "state=%s&code=%s" % (q["state"][0], ("y" if code[0] == "x" else "x") + code[1:])
    r = request("GET", "/api/v1/auth/oidc/glew/callback?" + bad,
                headers={"Cookie": cookie, "Accept": "application/json"})
    expect_error(r, 401, "AUTH_OIDC_FAILED")


def test_second_provider_without_registration():
    GLEW.add_user("frank" + KIND, "Frank-Pass-123", "frank-%s@example.org" % KIND, "Frank")
    r = oidc_login("frank" + KIND, "Frank-Pass-123", name="strict")
    expect_error(r, 401, "AUTH_OIDC_FAILED")
    assert r.json()["details"]["reason"] == "no_account"
    expect_error(request("GET", "/api/v1/auth/oidc/nope/start"), 404, "VALIDATION_NOT_FOUND")


def test_deactivated_account_refused():
    GLEW.add_user("gina" + KIND, "Gina-Pass-1234", "gina-%s@example.org" % KIND, "Gina")
    uid = oidc_login("gina" + KIND, "Gina-Pass-1234").json()["user"]["id"]
    assert api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"active": False}).status == 200
    expect_error(oidc_login("gina" + KIND, "Gina-Pass-1234"), 403, "AUTH_ACCOUNT_DISABLED")


def test_mfa_required_asks_provider_users_for_their_passkey():
    """mfa_required = all: a provider sign-in of an account that has a
    passkey stops at /login/verify; only a valid assertion finishes it."""
    import html
    import re
    import walib
    import webcheck

    GLEW.add_user("hana" + KIND, "Hana-Pass-1234", "hana-%s@example.org" % KIND, "Hana")
    tok = oidc_login("hana" + KIND, "Hana-Pass-1234").json()["token"]
    key = walib.Authenticator()
    assert walib.register(tok, key).status == 201
    origin = walib.site()[0]
    cur = open(CONF).read()

    def options(page):
        m = re.search(r'data-options="([^"]*)"', page)
        assert m, page[:1500]
        return json.loads(html.unescape(m.group(1)))

    try:
        with open(CONF, "a") as f:
            f.write("\nmfa_required = all\n")
        # the admin has no second factor: the gate shows the policy is live
        assert pxtest.wait_for(lambda: api("GET", "/api/v1/channels", ADMIN).status == 403, 10)
        time.sleep(1.5)
        loc, cookie = start()
        back = GLEW.authorize(loc, "hana" + KIND, "Hana-Pass-1234", "plexichat")
        b = webcheck.Browser()
        b.cookies["px_oidc"] = cookie.split("=", 1)[1]
        r = b.get("/api/v1/auth/oidc/glew/callback?" + urllib.parse.urlsplit(back).query)
        assert r.status == 303 and r.headers["location"] == "/login/verify", r
        assert not b.signed_in() and "px_mfa_step" in b.cookies, b.cookies
        page = b.get("/login/verify").body.decode()
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
        bad = key.get(options(page), origin, bad_sig=True)
        r = b.post("/login/verify", {"csrf_token": csrf, "webauthn": json.dumps(bad)})
        assert r.status == 401 and not b.signed_in(), r
        good = key.get(options(r.body.decode()), origin)
        r = b.post("/login/verify", {"csrf_token": csrf, "webauthn": json.dumps(good)})
        assert r.status == 303 and r.headers["location"] == "/app" and b.signed_in(), r
        assert "px_mfa_step" not in b.cookies
    finally:
        with open(CONF, "w") as f:
            f.write(cur)
    assert pxtest.wait_for(lambda: api("GET", "/api/v1/channels", ADMIN).status == 200, 10)


if __name__ == "__main__":
    setup()
    try:
        pxtest.run(globals())
    finally:
        teardown()
