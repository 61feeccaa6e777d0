"""waflib: helpers shared by the WAF integration tests (stdlib only).

Requests from other loopback addresses (127.0.0.N, so one client can be
denied or blocked while the admin on 127.0.0.1 is not), both servers of the
test stack, the admin API, config edits that restore themselves, psql.
"""
import http.client
import json
import os
import random
import subprocess
import time
import urllib.parse

import pxtest
from authlib import admin_token, api

CONF = os.environ.get("PX_CONFIG", "")
SERVERS = [u for u in (os.environ.get("PX_LIGHTTPD_URL"), os.environ.get("PX_APACHE_URL")) if u] \
    or [pxtest.BASE]


def request_from(src, method, path, base=None, headers=None, body=None, timeout=15):
    """One request from source address src to base (default PX_BASE_URL)."""
    u = urllib.parse.urlsplit(base or pxtest.BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout,
                                      source_address=(src, 0))
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=dict(headers or {}))
    r = conn.getresponse()
    resp = pxtest.Response(r.status, r.getheaders(), r.read())
    conn.close()
    return resp


def code_of(resp):
    try:
        return resp.json().get("error_code")
    except ValueError:
        return None


def fresh_source():
    """A loopback address no other test uses (127.0.0.20 .. 127.0.0.250)."""
    return "127.0.0.%d" % random.randint(20, 250)


def ip_blocked(src, base, headers=None):
    r = request_from(src, "GET", "/api/v1/system/version", base, headers)
    return r.status == 403 and code_of(r) == "SECURITY_IP_BLOCKED"


def wait_state(src, want_blocked, bases=None, timeout=12.0, headers=None, settle=8):
    """Waits until every server answers src as want_blocked `settle` times
    in a row (Apache runs several processes, each refreshing the shared
    list on its own: every one must agree within the timeout). Returns the
    seconds it took, or raises AssertionError."""
    t0 = time.time()
    for base in bases or SERVERS:
        ok = pxtest.wait_for(lambda: all(ip_blocked(src, base, headers) == want_blocked
                                         for _ in range(settle)), timeout)
        assert ok, "%s: %s not %s by every process after %.0fs" % (
            base, src, "blocked" if want_blocked else "allowed", timeout)
    return time.time() - t0


class Config:
    """Appends lines to the shared config; restore() puts it back."""

    def __init__(self, *lines):
        self.orig = open(CONF).read()
        with open(CONF, "a") as f:
            f.write("\n" + "\n".join(lines) + "\n")

    def restore(self):
        with open(CONF, "w") as f:
            f.write(self.orig)


def psql(sql):
    out = subprocess.run(["psql", "-At", os.environ["PX_PG_CONNINFO"], "-c", sql],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def admin_cli(*args):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    p = subprocess.run([exe, "-c", CONF] + list(args), capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


_token = []


def admin():
    if not _token:
        _token.append(admin_token())
    return _token[0]


def admin_api(method, path, body=None, **kw):
    return api(method, path, admin(), json_body=body, **kw)


def add_range(list_name, cidr, comment=""):
    r = admin_api("POST", "/api/v1/admin/waf/ip-lists", {"list": list_name, "cidr": cidr,
                                                          "comment": comment})
    assert r.status == 201, r
    return r.json()


def delete_range(rid):
    r = admin_api("DELETE", "/api/v1/admin/waf/ip-lists/%d" % rid)
    assert r.status in (200, 404), r


def ranges(**query):
    r = admin_api("GET", "/api/v1/admin/waf/ip-lists?" + urllib.parse.urlencode(query))
    assert r.status == 200, r
    return r.json()


def jdump(x):
    return json.dumps(x, sort_keys=True)
