"""plexichat-admin import mattermost: a Mattermost bulk export (JSON lines)
made here: version, team, channels, users with memberships, posts with
replies and reactions, a broken line, a direct post; the report, the
history over the API, and a second run that makes nothing twice. Then the
zip mmctl makes with --attachments: direct and group channels with their
posts, attachments stored and attached (the same bytes once in the store),
one missing from the archive and one outside it reported; a second run,
and the compliance export of the conversations. Names are fresh per run,
so it runs against both web servers."""
import hashlib
import zipfile
import json
import os
import secrets
import subprocess
import tempfile

import authlib
import pxtest

RUN = secrets.token_hex(4)
MS = 1700000000000


def cli(*args):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    return subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args),
                          capture_output=True, text=True, timeout=120)


def run_import(path):
    p = cli("import", "mattermost", path)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout)


def test_import_twice_and_read_back():
    reader = "mmr_%s%s" % (pxtest.SERVER[:3], RUN)
    email = reader + "@example.org"
    rc, out = authlib.admin_cli("create-user", reader, "--email", email, "--password-stdin",
                                stdin=authlib.PASSWORD + "\n")
    assert rc == 0, out
    tok = authlib.token_for(reader, authlib.PASSWORD)
    team, chan = "team" + RUN, "dev-" + RUN
    carol, dave = "carol" + RUN, "dave" + RUN
    member = [{"name": team, "channels": [{"name": chan}]}]
    lines = [
        {"type": "version", "version": 1},
        {"type": "team", "team": {"name": team, "display_name": "Team", "type": "O"}},
        {"type": "channel", "channel": {"team": team, "name": chan, "display_name": "Dev",
                                        "type": "O", "header": "Dev talk"}},
        {"type": "user", "user": {"username": carol, "email": "%s@example.org" % carol,
                                  "first_name": "Carol", "last_name": "C", "teams": member}},
        {"type": "user", "user": {"username": dave, "teams": member, "delete_at": MS}},
        {"type": "user", "user": {"username": "reader" + RUN, "email": email, "teams": member}},
        {"type": "post", "post": {
            "team": team, "channel": chan, "user": carol, "create_at": MS,
            "message": "Release **today**, see https://example.com/notes",
            "reactions": [{"user": dave, "emoji_name": "thumbsup", "create_at": MS + 5},
                          {"user": "reader" + RUN, "emoji_name": "heart", "create_at": MS + 6}],
            "replies": [{"user": dave, "message": "first reply", "create_at": MS + 1000},
                        {"user": carol, "message": "second reply", "create_at": MS + 2000}]}},
        {"type": "post", "post": {"team": team, "channel": chan, "user": dave,
                                  "create_at": MS + 3000, "message": "later"}},
        {"type": "direct_post", "direct_post": {"channel_members": [carol, dave], "user": carol,
                                                "message": "hi", "create_at": MS}},
    ]
    d = tempfile.mkdtemp(prefix="px-mm-")
    path = os.path.join(d, "export.jsonl")
    with open(path, "w") as f:
        for i, line in enumerate(lines):
            f.write(json.dumps(line) + "\n")
            if i == 5:
                f.write('{"type": "post", "post": {"team": \n')  # broken: line 7
    unfurl_before = authlib.psql("SELECT count(*) FROM hook_deliveries WHERE kind = 'unfurl'")

    rep = run_import(path)
    assert rep["imported"]["users"] == 2 and rep["existing"]["users"] == 1, rep
    assert rep["imported"]["channels"] == 2, rep      # dev and carol's DM with dave
    assert rep["imported"]["messages"] == 5, rep
    assert rep["imported"]["reactions"] == 2, rep
    why = {s["id"]: s["reason"] for s in rep["skips"]}
    assert why["line 7"] == "not a JSON object", why
    assert authlib.psql("SELECT count(*) FROM hook_deliveries WHERE kind = 'unfurl'") == unfurl_before

    chans = authlib.api("GET", "/api/v1/channels", tok).json()
    chans = chans.get("channels", chans) if isinstance(chans, dict) else chans
    cid = [c["id"] for c in chans if c.get("name") == chan][0]
    top = authlib.api("GET", "/api/v1/channels/%d/messages" % cid, tok).json()["messages"]
    assert [m["body"] for m in top] == ["Release **today**, see https://example.com/notes", "later"]
    assert top[0]["created_at"].startswith("2023-11-14T22:13:20"), top[0]
    assert top[0]["reply_count"] == 2
    th = authlib.api("GET", "/api/v1/channels/%d/messages/%d/thread" % (cid, top[0]["id"]), tok)
    assert [m["body"] for m in th.json()["replies"]] == ["first reply", "second reply"]
    re = authlib.api("GET", "/api/v1/channels/%d/messages/%d/reactions" % (cid, top[0]["id"]), tok)
    assert sorted(r["emoji"] for r in re.json()) == sorted(["\U0001F44D", "\u2764\ufe0f"]), re.json()
    assert authlib.psql("SELECT deactivated_at IS NOT NULL FROM users WHERE username = '%s'" % dave) == "t"

    again = run_import(path)
    assert again["imported"] == {k: 0 for k in again["imported"]}, again
    assert again["existing"]["messages"] == 5 and again["existing"]["reactions"] == 2, again
    assert authlib.psql("SELECT count(*) FROM messages WHERE channel_id = %d" % cid) == "4"



PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def test_zip_direct_channels_and_attachments():
    reader = "mzr_%s%s" % (pxtest.SERVER[:3], RUN)
    email = reader + "@example.org"
    rc, out = authlib.admin_cli("create-user", reader, "--email", email, "--password-stdin",
                                stdin=authlib.PASSWORD + "\n")
    assert rc == 0, out
    tok = authlib.token_for(reader, authlib.PASSWORD)
    team = "zteam" + RUN
    fay, gus, me = "fay" + RUN, "gus" + RUN, "zreader" + RUN
    notes = b"agenda " + RUN.encode() + b"\n"
    lines = [
        {"type": "version", "version": 1},
        {"type": "team", "team": {"name": team, "display_name": "Z", "type": "O"}},
        {"type": "user", "user": {"username": fay, "teams": []}},
        {"type": "user", "user": {"username": gus, "teams": []}},
        {"type": "user", "user": {"username": me, "email": email, "teams": []}},
        {"type": "direct_channel", "direct_channel": {"members": [fay, me], "header": ""}},
        {"type": "direct_channel", "direct_channel": {"members": [fay, gus, me], "header": "Three"}},
        {"type": "direct_post", "direct_post": {
            "channel_members": [me, fay], "user": fay, "message": "the agenda", "create_at": MS,
            "attachments": [{"path": "attachments/agenda.txt"}, {"path": "attachments/gone.txt"}],
            "replies": [{"user": me, "message": "", "create_at": MS + 500,
                         "attachments": [{"path": "attachments/pixel.png"}]}]}},
        {"type": "direct_post", "direct_post": {
            "channel_members": [gus, fay, me], "user": gus, "message": "same agenda",
            "create_at": MS + 1000, "attachments": [{"path": "attachments/copy.txt"}]}},
        {"type": "direct_post", "direct_post": {
            "channel_members": [gus, "nobody" + RUN], "user": gus, "message": "lost",
            "create_at": MS + 2000}},
    ]
    d = tempfile.mkdtemp(prefix="px-mmzip-")
    path = os.path.join(d, "export.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        # the files first, the JSON lines last: the import reads in passes
        z.writestr("data/attachments/agenda.txt", notes)
        z.writestr("data/attachments/copy.txt", notes)
        z.writestr("data/attachments/pixel.png", PNG)
        z.writestr("import.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    rep = run_import(path)
    why = {s["id"]: s["reason"] for s in rep["skips"]}
    assert rep["imported"]["channels"] == 2, rep
    assert rep["imported"]["messages"] == 3, rep
    assert rep["imported"]["files"] == 3, rep
    assert why["dm:%s,%s/%s/%d#1" % (fay, me, fay, MS)] == "not in the archive", why
    line10 = [s["reason"] for s in rep["skips"] if s["id"] == "line 10"]
    assert line10 == ["a direct message needs two imported members",
                      "its channel was not imported"], rep["skips"]

    mine = authlib.api("GET", "/api/v1/channels", tok).json()
    mine = mine.get("channels", mine) if isinstance(mine, dict) else mine
    mine = [c for c in mine if c["kind"] in ("dm", "group")]
    dm = [c for c in mine if c["kind"] == "dm"
          and {m["username"] for m in c["members"]} == {fay, reader}]
    grp = [c for c in mine if c["kind"] == "group"
           and {m["username"] for m in c["members"]} == {fay, gus, reader}]
    assert len(dm) == 1 and len(grp) == 1, mine
    assert grp[0]["topic"] == "Three"
    top = authlib.api("GET", "/api/v1/channels/%d/messages" % dm[0]["id"], tok).json()["messages"]
    assert [m["body"] for m in top] == ["the agenda"] and top[0]["reply_count"] == 1, top
    assert [f["name"] for f in top[0]["files"]] == ["agenda.txt"], top
    got = authlib.api("GET", "/api/v1/files/%d/content" % top[0]["files"][0]["id"], tok)
    assert got.status == 200 and got.body == notes, got
    th = authlib.api("GET", "/api/v1/channels/%d/messages/%d/thread" % (dm[0]["id"], top[0]["id"]), tok)
    reply = th.json()["replies"][0]
    assert reply["body"] == "" and reply["files"][0]["name"] == "pixel.png", reply
    assert reply["files"][0]["type"] == "image/png", reply
    g = authlib.api("GET", "/api/v1/channels/%d/messages" % grp[0]["id"], tok).json()["messages"]
    assert g[0]["files"][0]["sha256"] == hashlib.sha256(notes).hexdigest()
    assert g[0]["files"][0]["sha256"] == top[0]["files"][0]["sha256"]

    again = run_import(path)
    assert again["imported"] == {k: 0 for k in again["imported"]}, again
    assert again["existing"]["files"] == 3 and again["existing"]["messages"] == 3, again
    assert authlib.psql("SELECT count(*) FROM files WHERE sha256 = '%s'"
                        % hashlib.sha256(notes).hexdigest()) == "2"

    adm = authlib.admin_token()
    r = authlib.api("GET", "/api/v1/admin/compliance/export?channels=%d,%d&limit=50"
                    % (dm[0]["id"], grp[0]["id"]), adm)
    assert r.status == 200, r
    got = [json.loads(x) for x in r.body.decode().splitlines()]
    assert [(x["author"], x["body"]) for x in got] == [
        (fay, "the agenda"), (reader, ""), (gus, "same agenda")], got
    assert got[1]["thread_root_id"] == got[0]["id"]


if __name__ == "__main__":
    pxtest.run(globals())
