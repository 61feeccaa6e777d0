"""plexichat-admin import slack: direct messages (dms.json), group DMs
(mpims.json) and files the zip carries (__uploads/FILE_ID/NAME). The DM and
the group become conversations of the same members, a DM of two people who
already have one here joins that one, a self-DM is skipped with its reason;
files are stored through the file store, attached to their messages,
served to members, one object for the same bytes twice; a file only linked
is kept as a link and reported as never fetched, a file of a type uploads
refuse is skipped. A second run makes nothing twice; the compliance export
gives the DM and group history back. Fresh ids per run: both web servers."""
import hashlib
import json
import os
import secrets
import subprocess
import tempfile
import zipfile

import authlib
import importlib_slack
import pxtest

RUN = secrets.token_hex(4)
T0 = 1700000000
CX = "/api/v1/admin/compliance/export"


def cli(*args):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    return subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args),
                          capture_output=True, text=True, timeout=120)


def import_zip(path):
    p = cli("import", "slack", path)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout)


def local_user(prefix):
    name = "%s_%s%s" % (prefix, pxtest.SERVER[:3], RUN)
    email = name + "@example.org"
    rc, out = authlib.admin_cli("create-user", name, "--email", email, "--password-stdin",
                                stdin=authlib.PASSWORD + "\n")
    assert rc == 0, out
    return name, email, authlib.token_for(name, authlib.PASSWORD)


def ts(sec):
    return "%d.%06d" % (T0 + sec, 0)


NOTES = b"meeting notes " + RUN.encode() + b"\n" * 3
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def build(path, reader_email, friend_email):
    U = lambda i: "U%s%d" % (RUN.upper(), i)  # noqa: E731
    users = [{"id": U(1), "name": "dana" + RUN, "profile": {"display_name": "Dana"}},
             {"id": U(2), "name": "eve" + RUN, "profile": {}},
             {"id": U(3), "name": "reader", "profile": {"email": reader_email}},
             {"id": U(4), "name": "friend", "profile": {"email": friend_email}}]
    dm, selfdm, olddm = "D%s1" % RUN.upper(), "D%s2" % RUN.upper(), "D%s3" % RUN.upper()
    mpim = "mpdm-dana%s--eve%s--reader-1" % (RUN, RUN)
    dms = [{"id": dm, "created": T0, "members": [U(1), U(3)]},
           {"id": selfdm, "created": T0, "members": [U(1)]},
           {"id": olddm, "created": T0, "members": [U(3), U(4)]}]
    mpims = [{"id": "G%s1" % RUN.upper(), "name": mpim, "created": T0, "creator": U(1),
              "members": [U(1), U(2), U(3)], "purpose": {"value": "Trio"}}]
    msgs = {
        dm: [{"type": "message", "user": U(1), "ts": ts(0), "text": "notes attached",
              "files": [{"id": "F%s1" % RUN, "name": "notes.txt"}]},
             {"type": "message", "user": U(3), "ts": ts(60), "text": "thanks <@%s>" % U(1)}],
        olddm: [{"type": "message", "user": U(4), "ts": ts(30), "text": "in the old DM"}],
        mpim: [{"type": "message", "user": U(2), "ts": ts(120), "text": "",
                "files": [{"id": "F%s2" % RUN, "name": "copy.txt"},
                          {"id": "F%s3" % RUN, "name": "big.mov",
                           "url_private": "https://files.slack.com/big.mov"},
                          {"id": "F%s4" % RUN, "name": "tool.exe"}]}],
    }
    extra = [("dms.json", json.dumps(dms).encode()), ("mpims.json", json.dumps(mpims).encode()),
             ("__uploads/F%s1/notes.txt" % RUN, NOTES),
             ("__uploads/F%s2/copy.txt" % RUN, NOTES),  # the same bytes again
             ("__uploads/F%s4/tool.exe" % RUN, EXE)]
    importlib_slack.write_export(path, users, [], msgs, extra)
    return dm, selfdm, olddm, mpim, U


def channels_of(tok):
    c = authlib.api("GET", "/api/v1/channels", tok).json()
    return c.get("channels", c) if isinstance(c, dict) else c


def test_direct_messages_and_files():
    reader, email, tok = local_user("dmr")
    friend, femail, ftok = local_user("dmf")
    fid = int(authlib.psql("SELECT id FROM users WHERE username = '%s'" % friend))
    pre = authlib.api("POST", "/api/v1/channels", tok, json_body={"kind": "dm", "members": [fid]})
    assert pre.status in (200, 201), pre
    old_id = pre.json()["id"]
    d = tempfile.mkdtemp(prefix="px-slackdm-")
    path = os.path.join(d, "export.zip")
    dm, selfdm, olddm, mpim, U = build(path, email, femail)
    with zipfile.ZipFile(path) as z:
        assert "__uploads/F%s1/notes.txt" % RUN in z.namelist()
    events_before = authlib.psql("SELECT coalesce(max(id), 0) FROM events")

    rep = import_zip(path)
    why = {(s["kind"], s["id"]): s["reason"] for s in rep["skips"]}
    assert rep["imported"]["channels"] == 2, rep      # the DM and the group
    assert rep["existing"]["channels"] == 1, rep      # the DM reader and friend had
    assert why[("channels", selfdm)] == "a direct message needs two imported members", why
    assert rep["imported"]["messages"] == 4, rep
    assert rep["imported"]["files"] == 2, rep         # notes.txt, copy.txt
    gsid = "G%s1/%s" % (RUN.upper(), ts(120))
    assert "never fetched" in why[("files", "%s/F%s3" % (gsid, RUN))], why
    assert "not allowed" in why[("files", "%s/F%s4" % (gsid, RUN))], why
    assert authlib.psql("SELECT count(*) FROM events WHERE id > %s AND channel_id IN "
                        "(SELECT target_id FROM import_map WHERE source = 'slack' AND kind = 'channel'"
                        " AND source_id IN ('%s', 'G%s1'))" % (events_before, dm, RUN.upper())) == "0"

    mine = channels_of(tok)
    dmc = [c for c in mine if c["kind"] == "dm" and
           sorted(m["username"] for m in c["members"]) == sorted(["dana" + RUN, reader])]
    assert len(dmc) == 1, mine
    grp = [c for c in mine if c["kind"] == "group"
           and {m["username"] for m in c["members"]} == {"dana" + RUN, "eve" + RUN, reader}]
    assert len(grp) == 1, mine
    assert grp[0]["topic"] == "Trio"
    # the DM that existed is the one the history went into
    old = authlib.api("GET", "/api/v1/channels/%d/messages" % old_id, tok).json()["messages"]
    assert [m["body"] for m in old] == ["in the old DM"], old

    msgs = authlib.api("GET", "/api/v1/channels/%d/messages" % dmc[0]["id"], tok).json()["messages"]
    assert [m["body"] for m in msgs] == ["notes attached", "thanks @dana%s" % RUN], msgs
    f1 = msgs[0]["files"]
    assert [f["name"] for f in f1] == ["notes.txt"], msgs[0]
    assert f1[0]["sha256"] == hashlib.sha256(NOTES).hexdigest() and f1[0]["size"] == len(NOTES)
    got = authlib.api("GET", "/api/v1/files/%d/content" % f1[0]["id"], tok)
    assert got.status == 200 and got.body == NOTES, got
    # not for someone outside the conversation
    assert authlib.api("GET", "/api/v1/files/%d/content" % f1[0]["id"], ftok).status == 404

    gm = authlib.api("GET", "/api/v1/channels/%d/messages" % grp[0]["id"], tok).json()["messages"]
    assert len(gm) == 1 and gm[0]["author"]["username"] == "eve" + RUN, gm
    assert gm[0]["body"] == "[big.mov](https://files.slack.com/big.mov)", gm
    f2 = gm[0]["files"]
    assert [f["name"] for f in f2] == ["copy.txt"], gm
    assert f2[0]["sha256"] == f1[0]["sha256"] and f2[0]["id"] != f1[0]["id"]
    assert authlib.api("GET", "/api/v1/files/%d/content" % f2[0]["id"], tok).body == NOTES

    # again: nothing new, nothing doubled
    files_before = authlib.psql("SELECT count(*) FROM files WHERE sha256 = '%s'" % f1[0]["sha256"])
    again = import_zip(path)
    assert again["imported"] == {k: 0 for k in again["imported"]}, again
    assert again["existing"]["files"] == 2 and again["existing"]["channels"] == 3, again
    assert again["existing"]["messages"] == 4, again
    assert authlib.psql("SELECT count(*) FROM files WHERE sha256 = '%s'"
                        % f1[0]["sha256"]) == files_before == "2"

    # the compliance export gives the conversations' history back
    adm = authlib.admin_token()
    r = authlib.api("GET", "%s?channels=%d,%d&limit=100" % (CX, dmc[0]["id"], grp[0]["id"]), adm)
    assert r.status == 200, r
    lines = [json.loads(x) for x in r.body.decode().splitlines()]
    assert [x["id"] for x in lines] == sorted(x["id"] for x in lines), lines
    # ids follow time within a conversation; across conversations they
    # follow the order the import's lanes (two at once) inserted them in
    for ch in {x["channel_id"] for x in lines}:
        mine = [x for x in lines if x["channel_id"] == ch]
        assert [x["created_at"] for x in mine] == sorted(x["created_at"] for x in mine), mine
    lines.sort(key=lambda x: x["created_at"])
    assert [(x["author"], x["body"], x["created_at"][:19]) for x in lines] == [
        ("dana" + RUN, "notes attached", "2023-11-14T22:13:20"),
        (reader, "thanks @dana%s" % RUN, "2023-11-14T22:14:20"),
        ("eve" + RUN, "[big.mov](https://files.slack.com/big.mov)", "2023-11-14T22:15:20")], lines


if __name__ == "__main__":
    pxtest.run(globals())
