"""test_user_export: GET /api/v1/users/me/export, a person's own data as one
JSON document: profile, channel memberships, their messages (oldest first,
deleted ones left out, with the ids of their files), reactions and files'
metadata; nobody else's messages, no secrets; an attachment, never cached;
sessions only (a personal access token is refused), audited, and errors in
the central error format."""
import hashlib
import json
import secrets

import pxtest
from pxtest import expect_error
from authlib import psql
from msglib import User, channel, post

ALICE = User("ux")
BOB = User("uxb")
CH = channel(ALICE, members=[BOB])
CID = CH["id"]


def export(user=ALICE):
    r = user.call("GET", "/api/v1/users/me/export")
    assert r.status == 200, r
    return r, json.loads(r.body)


def test_everything_of_mine_nothing_of_others():
    data = b"exported bytes " + secrets.token_hex(8).encode()
    f = ALICE.call("PUT", "/api/v1/files?name=notes.txt",
                   headers={"Content-Type": "text/plain"}, raw=data)
    assert f.status == 201, f
    fid = f.json()["id"]
    first = post(ALICE, CID, "first of mine", file_ids=[fid])
    theirs = post(BOB, CID, "bob's words, not alice's")
    second = post(ALICE, CID, "second of mine")
    gone = post(ALICE, CID, "deleted one")
    ALICE.ok("DELETE", "/api/v1/channels/%d/messages/%d" % (CID, gone["id"]))
    ALICE.ok("POST", "/api/v1/channels/%d/messages/%d/reactions" % (CID, theirs["id"]),
             {"emoji": "👍"})
    r, j = export()
    assert r.headers["content-disposition"] == \
        'attachment; filename="plexichat-export-user-%d.json"' % ALICE.id, r.headers
    assert "no-store" in r.headers.get("cache-control", ""), r.headers
    assert j["format"] == "plexichat-user-export/1" and j["exported_at"], j
    assert j["profile"]["id"] == ALICE.id and j["profile"]["username"] == ALICE.name, j["profile"]
    assert [c["id"] for c in j["channels"] if c["id"] == CID] == [CID], j["channels"]
    assert [c for c in j["channels"] if c["id"] == CID][0]["role"] == "owner"
    mine = [m for m in j["messages"] if m["channel_id"] == CID]
    assert [m["id"] for m in mine] == [first["id"], second["id"]], mine
    assert mine[0]["body"] == "first of mine" and mine[0]["file_ids"] == [fid], mine[0]
    assert all(m["id"] != theirs["id"] for m in j["messages"])
    assert [x["emoji"] for x in j["reactions"] if x["message_id"] == theirs["id"]] == ["👍"], \
        j["reactions"]
    files = [x for x in j["files"] if x["id"] == fid]
    assert files and files[0]["sha256"] == hashlib.sha256(data).hexdigest(), j["files"]
    # no secrets of any kind
    text = r.body.decode()
    for secret in ("password", "$argon2", "token", "secret"):
        assert secret not in text.lower(), secret
    # and bob's export has his message, not alice's
    _, jb = export(BOB)
    ids = [m["id"] for m in jb["messages"]]
    assert theirs["id"] in ids and first["id"] not in ids, ids
    # every export is audited
    assert psql("SELECT count(*) FROM audit_log WHERE action = 'user.export'"
                " AND target = 'user:%d'" % ALICE.id) == "1"


def test_sessions_only_and_errors():
    expect_error(pxtest.request("GET", "/api/v1/users/me/export"), 401, "AUTH_REQUIRED")
    tok = ALICE.ok("POST", "/api/v1/auth/tokens", {"name": "script", "scopes": "read,write"},
                   status=201)["token"]
    r = pxtest.request("GET", "/api/v1/users/me/export",
                       headers={"Authorization": "Bearer " + tok})
    assert r.status == 403, r
    body = r.json()
    assert body["error_code"].startswith("AUTH_") and body["correlation_id"], body
    expect_error(ALICE.call("POST", "/api/v1/users/me/export", {}), 405,
                 "VALIDATION_METHOD_NOT_ALLOWED")


def test_rate_limited():
    u = User("uxr")
    codes = [u.call("GET", "/api/v1/users/me/export").status for _ in range(14)]
    assert codes[0] == 200 and 429 in codes, codes
    r = u.call("GET", "/api/v1/users/me/export")
    expect_error(r, 429, "SECURITY_RATE_LIMITED")


if __name__ == "__main__":
    pxtest.run(globals())
