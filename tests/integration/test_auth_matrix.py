"""The role matrix: every route of the real route table called anonymously
and as every system role, checking 401 AUTH_REQUIRED, 403 AUTH_FORBIDDEN
or a pass of the policy."""
import os
import re
import socket
import subprocess

import pxtest
from pxtest import request
from authlib import ADMIN_PASSWORD, admin_token, make_user, token_for, unlock

ROLES = ["anonymous", "guest", "member", "moderator", "admin", "owner"]
RANK = {"PX_ROLE_ANON": 0, "PX_ROLE_GUEST": 1, "PX_ROLE_MEMBER": 2,
        "PX_ROLE_MODERATOR": 3, "PX_ROLE_ADMIN": 4, "PX_ROLE_OWNER": 5}
AUTH = {0: "PX_AUTH_NONE", 1: "PX_AUTH_USER", 2: "PX_AUTH_ADMIN_OR_LOOPBACK"}
ROLE = {v: k for k, v in RANK.items()}
AUTH_CODES = ("AUTH_REQUIRED", "AUTH_FORBIDDEN")


def routes():
    """The real route table, printed by the check_perm program (built on
    demand), so macro-generated rows are included."""
    build = os.environ["PX_BUILD"]
    exe = os.path.join(build, "tests", "unit", "check_perm")
    if not os.path.exists(exe):
        subprocess.run(["make", "-C", build, "-s", "tests/unit/check_perm"], check=True,
                       capture_output=True)
    out = subprocess.run([exe], env=dict(os.environ, PX_DUMP_ROUTES="1"), check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        method, pattern, auth, min_role, action = line.split("\t")
        rows.append((method, pattern, action, AUTH[int(auth)], ROLE[int(min_role)]))
    assert len(rows) >= 40, rows
    return rows


def fill(pattern):
    """Concrete path: ints get an id that does not exist, strings a word."""
    def sub(m):
        t = m.group(2) or "str"
        return {"int": "987654321", "slug": "no-such-thing"}.get(t, "nothing")
    return re.sub(r"\{(\w+)(?::(\w+))?\}", sub, pattern)


def call(method, path, token):
    h = {"Authorization": "Bearer " + token} if token else {}
    body = b"{}" if method in ("POST", "PUT", "PATCH", "DELETE") else None
    if body is not None:
        h["Content-Type"] = "application/json"
    try:
        return request(method, path, body=body, headers=h, timeout=5, read_streams=False)
    except (socket.timeout, TimeoutError):
        return None  # a long-poll that waits: the policy let it through


def code_of(r):
    if r is None or not r.body.startswith(b"{"):
        return None
    try:
        return r.json().get("error_code")
    except ValueError:
        return None


def expected(auth, min_role, rank):
    if auth == "PX_AUTH_NONE" or auth == "PX_AUTH_ADMIN_OR_LOOPBACK":
        return None  # tests run on loopback, where metrics are open
    if rank == 0:
        return "AUTH_REQUIRED"
    return None if rank >= RANK[min_role] else "AUTH_FORBIDDEN"


def principals():
    unlock()
    admin = admin_token()
    tokens = [None]
    for role in ROLES[1:5]:
        tokens.append(make_user(admin, prefix="mx", role=role)[1])
    tokens.append(token_for("admin", ADMIN_PASSWORD))
    return tokens


def test_every_route_as_every_role():
    tokens = principals()
    rows = routes()
    # logging out would end the session the next calls use: do it last
    rows.sort(key=lambda r: r[1] == "/api/v1/auth/logout")
    failures, warnings = [], []
    for method, pattern, action, auth, min_role in rows:
        path = fill(pattern)
        for rank, tok in enumerate(tokens):
            r = call(method, path, tok)
            want, got = expected(auth, min_role, rank), code_of(r)
            status = r.status if r else "stream"
            if want and got != want:
                failures.append("%s %s as %s: want %s got %s %s" % (method, pattern, ROLES[rank], want, status, got))
            if not want and got in AUTH_CODES:
                failures.append("%s %s as %s: refused %s" % (method, pattern, ROLES[rank], got))
            if r is not None and r.status >= 500:
                warnings.append("%s %s as %s: %d" % (method, pattern, ROLES[rank], r.status))
    for w in warnings:
        print("note:", w)
    assert not failures, "\n".join(failures)


if __name__ == "__main__":
    pxtest.run(globals())
