"""Web UI pages that need no account: sign-in, registration, error pages,
languages, security headers, static assets and the service worker."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from pxtest import request, run  # noqa: E402
from webcheck import asset_urls, check_page, get, hidden_value, words  # noqa: E402


def test_login_page_english():
    p = check_page(get("/login", {"Accept-Language": "en-GB,en;q=0.9"}))
    assert [a for t, a in p.tags if t == "html"][0]["lang"] == "en"
    assert "Sign in" in words(p)
    f = [f for f in p.forms if f["attrs"].get("action") == "/login"][0]
    names = {i.get("name") for i in f["inputs"]}
    assert {"username", "password", "next"} <= names, names
    assert hidden_value(p, "next") == "/"


def test_login_page_german_from_accept_language():
    p = check_page(get("/login", {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}))
    assert [a for t, a in p.tags if t == "html"][0]["lang"] == "de"
    assert "Anmelden" in words(p) and "Benutzername" in words(p)


def test_language_cookie_wins():
    p = check_page(get("/login", {"Accept-Language": "de", "Cookie": "px_lang=en"}))
    assert "Username" in words(p)
    p = check_page(get("/login", {"Accept-Language": "en", "Cookie": "px_lang=de"}))
    assert "Benutzername" in words(p)
    p = check_page(get("/login", {"Cookie": "px_lang=xx-nonsense"}))
    assert "Username" in words(p)
    # active markup in a cookie is an attack: the WAF refuses it first
    r = get("/login", {"Cookie": "px_lang=<script>"})
    assert r.status == 403 and b"SECURITY_REQUEST_BLOCKED" in r.body, r


def test_next_is_local_only():
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil", "javascript:alert(1)"):
        r = get("/login?next=" + urllib.parse.quote(bad, safe=""))
        if r.status == 403:  # the WAF may stop an open-redirect or script URL first
            assert b"SECURITY_REQUEST_BLOCKED" in r.body, r
            continue
        p = check_page(r)
        assert hidden_value(p, "next") == "/", (bad, hidden_value(p, "next"))
    p = check_page(get("/login?next=%2Fc%2F5"))
    assert hidden_value(p, "next") == "/c/5"


def test_expired_notice():
    p = check_page(get("/login?next=%2F&expired=1"))
    assert "session expired" in words(p)


def test_register_and_invite_pages():
    p = check_page(get("/register"))
    names = {i.get("name") for f in p.forms for i in f["inputs"]}
    assert {"username", "password", "display_name", "email"} <= names, names
    p = check_page(get("/invite/abc123"))
    assert hidden_value(p, "invite") == "abc123"
    p = check_page(get("/invite/%3Cb%3Ex%22'"))
    assert hidden_value(p, "invite") == "<b>x\"'"
    r = get("/invite/%3Cb%3Ex%22'")
    assert b"<b>x" not in r.body and b"&lt;b&gt;x&quot;&#39;" in r.body


def test_not_found_is_an_html_page_for_browsers():
    p = check_page(get("/no/such/page"), 404)
    assert "This page does not exist." in words(p)
    assert "VALIDATION_NOT_FOUND" in words(p)
    r = request("GET", "/no/such/page")
    assert r.status == 404 and r.json()["error_code"] == "VALIDATION_NOT_FOUND"
    r = request("GET", "/api/v1/nope", headers={"Accept": "text/html"})
    assert r.status == 404 and r.json()["error_code"] == "VALIDATION_NOT_FOUND"


def test_error_page_in_german():
    p = check_page(get("/no/such/page", {"Accept-Language": "de"}), 404)
    assert "Diese Seite gibt es nicht." in words(p)


def test_static_assets_hashed_and_cached():
    p = check_page(get("/login"))
    urls = asset_urls(p)
    assert any(u.startswith("/static/css/app.css?v=") for u in urls), urls
    assert any(u.startswith("/static/js/app.js?v=") for u in urls), urls
    for u in urls:
        r = request("GET", u)
        assert r.status == 200, (u, r)
        assert "max-age=31536000" in r.headers.get("cache-control", ""), (u, r.headers)
        assert r.headers.get("x-content-type-options") == "nosniff"
    r = request("GET", "/static/manifest.webmanifest")
    assert r.status == 200 and r.json()["start_url"] == "/"


def test_service_worker():
    r = request("GET", "/sw.js")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers.get("service-worker-allowed") == "/"
    assert "no-cache" in r.headers.get("cache-control", "")
    assert b"addEventListener('fetch'" in r.body


def test_head_of_page():
    r = request("HEAD", "/login", headers={"Accept": "text/html"})
    assert r.status == 200 and r.body == b""


if __name__ == "__main__":
    run(globals())
