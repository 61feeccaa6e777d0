"""Auth hardening (issue 13): redirect targets read as a browser reads them,
login CSRF through the API, reserved-name and existing-account look-alikes,
and token scopes bounded by the owner's role at minting and on use."""
import os
import secrets
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import pxtest  # noqa: E402
from pxtest import request, expect_error  # noqa: E402
from authlib import (PASSWORD, ADMIN_PASSWORD, admin_token, api, invite,  # noqa: E402
                     make_user, unlock)
from webcheck import check_page, get, hidden_value  # noqa: E402

unlock()
ADMIN = admin_token()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LOGIN_BODY = "username=admin&password=" + urllib.parse.quote(ADMIN_PASSWORD, safe="")
# each of these is "//evil.example/" to a browser: another host
OFF_SITE = ["/\t/evil.example/", "/\n/evil.example/", "\t//evil.example/",
            " //evil.example/", "/\\evil.example/", "/\t\\evil.example/"]


def own_origin():
    u = urllib.parse.urlsplit(pxtest.BASE)
    return "%s://%s" % (u.scheme, u.netloc)


def form_login(extra="", headers=None):
    h = dict(FORM)
    h.update(headers or {})
    return request("POST", "/api/v1/auth/login", body=LOGIN_BODY + extra, headers=h)


def test_next_with_tab_is_not_followed_off_site():
    for bad in OFF_SITE:
        q = urllib.parse.quote(bad, safe="")
        r = form_login("&next=" + q)
        assert r.status == 200 and "location" not in r.headers, (bad, r.status,
                                                                 r.headers.get("location"))
        assert r.json()["token"], r
        # the sign-in page keeps only local targets in its form
        p = check_page(get("/login?next=" + q))
        assert hidden_value(p, "next") == "/", (bad, hidden_value(p, "next"))
    # local targets still work, even ones that merely contain "%09"
    r = form_login("&next=" + urllib.parse.quote("/c/5?x=%09", safe=""))
    assert r.status == 303 and r.headers["location"] == "/c/5?x=%09", r
    p = check_page(get("/login?next=%2Fc%2F5"))
    assert hidden_value(p, "next") == "/c/5"


def test_login_refuses_cross_site_forms():
    for h in ({"Origin": "http://evil.example"}, {"Origin": "null"},
              {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
              {"Origin": own_origin() + ".evil.example"}):
        r = form_login(headers=h)
        expect_error(r, 403, "SECURITY_CROSS_SITE")
        assert "set-cookie" not in r.headers, (h, r.headers)
    # the same refusal for a JSON body that claims to come from elsewhere
    r = request("POST", "/api/v1/auth/login", headers={"Origin": "http://evil.example"},
                json_body={"username": "admin", "password": ADMIN_PASSWORD})
    expect_error(r, 403, "SECURITY_CROSS_SITE")


def test_login_same_site_and_api_clients_still_work():
    for h in ({}, {"Origin": own_origin()}, {"Sec-Fetch-Site": "same-origin"},
              {"Origin": own_origin(), "Sec-Fetch-Site": "same-origin"}):
        r = form_login(headers=h)
        assert r.status == 200 and r.json()["token"], (h, r)
    r = request("POST", "/api/v1/auth/login",
                json_body={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status == 200 and r.json()["token"], r


def register(username, display_name=None):
    body = {"username": username, "password": PASSWORD, "invite": invite(ADMIN)}
    if display_name is not None:
        body["display_name"] = display_name
    return request("POST", "/api/v1/auth/register", json_body=body)


def field_of(r):
    return (r.json().get("details") or {}).get("field")


def test_reserved_name_lookalikes_refused():
    for name in ("adm\u00edn", "adm1n", "ADM1N", "4dmin", "ad-min",
                 "r00t", "5y5tem", "p1exichat"):
        r = register(name)
        expect_error(r, 400, "VALIDATION_USERNAME_RESERVED")
        assert field_of(r) == "username", (name, r.body)
    r = register("\u0430dmin")  # Cyrillic a: mixed scripts, refused as before
    expect_error(r, 409, "VALIDATION_USERNAME_CONFUSABLE")
    r = register("admi\u0301n")  # decomposed: not NFKC, refused as before
    expect_error(r, 400, "VALIDATION_FIELD_FORMAT")
    for dn in ("admin", "Admin", "PlexiChat System", "PlexiChat  Syst\u00e9m",
               "The Admin Team", "Support"):
        r = register("dnr_" + secrets.token_hex(4), dn)
        expect_error(r, 400, "VALIDATION_DISPLAY_NAME_RESERVED")
        assert field_of(r) == "display_name", (dn, r.body)
    # ordinary names that merely contain a staff word stay free
    r = register("dno_" + secrets.token_hex(4), "Alice (admin team fan)")
    assert r.status == 201, r


def test_display_name_change_to_reserved_refused():
    _, tok, _ = make_user(ADMIN, prefix="dnc")
    r = api("PATCH", "/api/v1/users/me", tok, {"display_name": "PlexiChat System"})
    expect_error(r, 400, "VALIDATION_DISPLAY_NAME_RESERVED")
    assert field_of(r) == "display_name", r.body
    assert api("PATCH", "/api/v1/users/me", tok, {"display_name": "Plexi Fan"}).status == 200


def test_lookalikes_of_existing_accounts_refused():
    sfx = "_%s%s" % (pxtest.SERVER[:3], secrets.token_hex(3))
    for first, second in (("paul" + sfx, "pauI" + sfx),      # capital I for l
                          ("zo\u00eb" + sfx, "zoe" + sfx),     # accent dropped
                          ("ivan" + sfx, "1van" + sfx)):       # digit one for i
        assert register(first).status == 201, first
        r = register(second)
        expect_error(r, 409, "VALIDATION_USERNAME_CONFUSABLE")
        assert field_of(r) == "username", (second, r.body)


def test_token_scopes_bounded_by_role():
    _, mtok, _ = make_user(ADMIN, prefix="scm")
    for scopes in ("admin", "read,admin", "read write admin"):
        r = api("POST", "/api/v1/auth/tokens", mtok, {"name": "x", "scopes": scopes})
        expect_error(r, 403, "AUTH_SCOPE_EXCEEDS_ROLE")
        d = r.json()["details"]
        assert d["field"] == "scopes" and "admin" not in d["allowed"], d
    r = api("POST", "/api/v1/auth/tokens", mtok, {"name": "ok", "scopes": "read,write"})
    assert r.status == 201, r
    listed = api("GET", "/api/v1/auth/tokens", mtok).json()["tokens"]
    assert all("admin" not in t["scopes"] for t in listed), listed


def test_admin_scope_rechecked_on_use():
    _, atok, aid = make_user(ADMIN, prefix="sca", role="admin")
    r = api("POST", "/api/v1/auth/tokens", atok, {"name": "ops", "scopes": "read,admin"})
    assert r.status == 201, r
    pat = r.json()["token"]
    assert api("GET", "/api/v1/admin/users", pat).status == 200
    r = api("PATCH", "/api/v1/admin/users/%d" % aid, ADMIN, {"role": "member"})
    assert r.status == 200, r
    expect_error(api("GET", "/api/v1/admin/users", pat), 403, "AUTH_FORBIDDEN")
    assert api("GET", "/api/v1/auth/me", pat).status == 200  # read still held


if __name__ == "__main__":
    pxtest.run(globals())
