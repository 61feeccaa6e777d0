"""authlib: helpers shared by the auth integration tests (stdlib only).

Sign in, call the API with a bearer token or a cookie, create accounts of a
given role through invites, and clear rate limits with plexichat-admin.
"""
import os
import secrets
import subprocess

import pxtest
from pxtest import request

ADMIN_PASSWORD = os.environ.get("PX_ADMIN_PASSWORD", "")
PASSWORD = "Correct-Horse-" + secrets.token_hex(4)


def uniq(prefix):
    """A fresh username for this run and server."""
    return "%s_%s%s" % (prefix, pxtest.SERVER[:3], secrets.token_hex(3))


def admin_cli(*args, stdin=None):
    """Runs plexichat-admin against the test config; returns (rc, out)."""
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    p = subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args),
                       input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def unlock():
    rc, out = admin_cli("unlock")
    assert rc == 0, out


def login(username, password, **extra):
    body = {"username": username, "password": password}
    body.update(extra)
    return request("POST", "/api/v1/auth/login", json_body=body)


def token_for(username, password):
    r = login(username, password)
    assert r.status == 200, r
    return r.json()["token"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def api(method, path, token=None, json_body=None, headers=None, **kw):
    h = dict(headers or {})
    if token:
        h.update(bearer(token))
    return request(method, path, json_body=json_body, headers=h, **kw)


def admin_token():
    return token_for("admin", ADMIN_PASSWORD)


def invite(admin_tok, role="member", email=None):
    body = {"role": role}
    if email:
        body["email"] = email
    r = api("POST", "/api/v1/admin/invites", admin_tok, body)
    assert r.status == 201, r
    return r.json()["code"]


def make_user(admin_tok, prefix="u", role="member", email=None):
    """Registers a new account with the given role; returns (name, token, id)."""
    name = uniq(prefix)
    code = invite(admin_tok, role if role != "owner" else "admin", email)
    body = {"username": name, "password": PASSWORD, "invite": code}
    if email:
        body["email"] = email
    r = request("POST", "/api/v1/auth/register", json_body=body)
    assert r.status == 201, r
    j = r.json()
    return name, j["token"], j["user"]["id"]


def session_cookie(resp):
    """The session cookie value from a login response's Set-Cookie."""
    c = resp.headers.get("set-cookie", "")
    first = c.split(";")[0]
    assert first.startswith("px_session="), c
    return first.split("=", 1)[1]


def set_cookies(method, path, json_body=None, headers=None):
    """Like request() but returns (status, body, [Set-Cookie values])."""
    import http.client
    import json
    import urllib.parse
    u = urllib.parse.urlsplit(pxtest.BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    h = dict(headers or {})
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    return r.status, data, cookies


def psql(sql):
    """One value from the test database (psql, PX_PG_CONNINFO)."""
    p = subprocess.run(["psql", os.environ["PX_PG_CONNINFO"], "-Atc", sql],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()
