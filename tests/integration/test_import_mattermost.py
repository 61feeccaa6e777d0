"""plexichat-admin import mattermost: a Mattermost bulk export (JSON lines)
made here: version, team, channels, users with memberships, posts with
replies and reactions, a broken line, a direct post; the report, the
history over the API, and a second run that makes nothing twice. Names are
fresh per run, so it runs against both web servers."""
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
    assert rep["imported"]["channels"] == 1, rep
    assert rep["imported"]["messages"] == 4, rep
    assert rep["imported"]["reactions"] == 2, rep
    why = {s["id"]: s["reason"] for s in rep["skips"]}
    assert why["line 7"] == "not a JSON object", why
    assert why["line 10"] == "direct_post lines are not imported", why
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
    assert again["existing"]["messages"] == 4 and again["existing"]["reactions"] == 2, again
    assert authlib.psql("SELECT count(*) FROM messages WHERE channel_id = %d" % cid) == "4"


if __name__ == "__main__":
    pxtest.run(globals())
