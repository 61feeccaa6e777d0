"""test_commands: bots owned by people (own tokens, scopes within the
owner's, never admin; deactivating revokes them) and slash commands: the
built-ins /me, /shrug, /topic, /invite, /leave, /mute run with the caller's own
rights; a registered command gets Slack's form fields at its URL (a real
receiver on 127.0.0.2) and answers ephemeral (only the caller sees it) or
in_channel (posted by the command's bot); its response_url takes delayed
in_channel answers; unknown commands and dead services get clear errors."""
import json
import secrets
import urllib.parse

import pxtest
from pxtest import expect_error, request
from authlib import admin_token, api, psql
from hooklib import Receiver
from msglib import PASSWORD, User, channel
from webcheck import Browser, check_page, location

OWNER = User("cm")
MEMBER = User("cmm")
OUTSIDER = User("cmo")
CH = channel(OWNER, members=[MEMBER])
CID = CH["id"]
ADMIN = admin_token()
RECV = Receiver().start()


def run(user, text):
    return user.call("POST", "/api/v1/channels/%d/commands" % CID, {"text": text})


def latest():
    return OWNER.ok("GET", "/api/v1/channels/%d/messages?limit=1" % CID)["messages"][-1]


def test_bots_with_tokens():
    name = "deploy%sbot" % secrets.token_hex(2)
    bot = OWNER.ok("POST", "/api/v1/bots", {"username": name, "display_name": "Deployer"},
                   status=201)
    assert bot["owner_id"] == OWNER.id, bot
    for bad in ("deployer", "ad", "admin-bot", "x y bot"):
        r = OWNER.call("POST", "/api/v1/bots", {"username": bad})
        assert r.status == 400, (bad, r)
    expect_error(OWNER.call("POST", "/api/v1/bots", {"username": name}), 409,
                 "VALIDATION_CONFLICT")
    assert [b for b in OWNER.ok("GET", "/api/v1/bots")["bots"] if b["id"] == bot["id"]]
    path = "/api/v1/bots/%d/tokens" % bot["id"]
    expect_error(OWNER.call("POST", path, {"name": "x", "scopes": "read,admin"}), 400,
                 "VALIDATION_FIELD_FORMAT")
    expect_error(MEMBER.call("POST", path, {"name": "x", "scopes": "read"}), 404,
                 "VALIDATION_NOT_FOUND")
    tok = OWNER.ok("POST", path, {"name": "ci", "scopes": "read,write"}, status=201)["token"]
    # the bot joins and posts with its own token, as itself
    h = {"Authorization": "Bearer " + tok}
    r = request("POST", "/api/v1/channels/%d/members" % CID, json_body={}, headers=h)
    assert r.status in (200, 201), r
    r = request("POST", "/api/v1/channels/%d/messages" % CID, json_body={"body": "beep"},
                headers=h)
    assert r.status == 201 and r.json()["author"]["id"] == bot["id"], r
    # a read-only token cannot post
    ro = OWNER.ok("POST", path, {"name": "ro", "scopes": "read"}, status=201)["token"]
    r = request("POST", "/api/v1/channels/%d/messages" % CID, json_body={"body": "no"},
                headers={"Authorization": "Bearer " + ro})
    assert r.status == 403, r
    # tokens of bots are not made with a bot's own token (session only)
    r = request("POST", path, json_body={"name": "x", "scopes": "read"}, headers=h)
    assert r.status in (401, 403), r
    OWNER.ok("DELETE", "/api/v1/bots/%d" % bot["id"], status=204)
    r = request("GET", "/api/v1/channels", headers=h)
    assert r.status in (401, 403), r
    expect_error(OWNER.call("DELETE", "/api/v1/bots/%d" % bot["id"]), 404, "VALIDATION_NOT_FOUND")


def test_builtins():
    r = run(MEMBER, "/me waves")
    assert r.status == 200 and r.json()["response_type"] == "in_channel", r
    m = latest()
    assert m["author"]["id"] == MEMBER.id and m["html"] == "<p><em>waves</em></p>\n", m
    run(MEMBER, "/shrug fine")
    assert latest()["html"] == "<p>fine ¯\\_(ツ)_/¯</p>\n", latest()
    r = run(OWNER, "/topic Release day")
    assert r.status == 200, r
    assert OWNER.ok("GET", "/api/v1/channels/%d" % CID)["topic"] == "Release day"
    r = run(OWNER, "/invite @" + OUTSIDER.name)
    assert r.status == 200, r
    ids = [x["id"] for x in OWNER.ok("GET", "/api/v1/channels/%d/members" % CID)]
    assert OUTSIDER.id in ids, ids
    r = run(OUTSIDER, "/leave")
    assert r.status == 200 and r.json()["response_type"] == "ephemeral", r
    ids = [x["id"] for x in OWNER.ok("GET", "/api/v1/channels/%d/members" % CID)]
    assert OUTSIDER.id not in ids, ids
    # the caller's own rights apply: an outsider cannot run commands here
    r = run(OUTSIDER, "/me sneaks in")
    assert r.status in (403, 404), r
    expect_error(run(MEMBER, "/me"), 400, "VALIDATION_MISSING_FIELD")
    expect_error(run(MEMBER, "me without slash"), 400, "VALIDATION_FIELD_FORMAT")
    expect_error(run(MEMBER, "/nosuchcommand x"), 404, "COMMAND_NOT_FOUND")


def test_mute():
    """/mute sets the caller's notification level of the channel to none
    (sql/122): mentions there no longer notify, the unread count stays 0;
    /mute off brings them back. Other members are not affected."""
    def level(user):
        return user.ok("GET", "/api/v1/channels/%d" % CID)["notify"]

    def notified(user, mid):
        notes = user.ok("GET", "/api/v1/notifications")["notifications"]
        return [n for n in notes if n.get("message_id") == mid or
                (n.get("message") or {}).get("id") == mid]

    expect_error(run(MEMBER, "/mute forever"), 400, "VALIDATION_FIELD_FORMAT")
    assert level(MEMBER) == "all"
    r = run(MEMBER, "/mute")
    assert r.status == 200 and r.json()["response_type"] == "ephemeral", r
    assert "muted" in r.json()["text"] and "message" not in r.json(), r.json()
    assert level(MEMBER) == "none" and level(OWNER) == "all"
    muted = "SELECT muted FROM channel_members WHERE channel_id = %d AND user_id = %d"
    assert psql(muted % (CID, MEMBER.id)) == "t" and psql(muted % (CID, OWNER.id)) == "f"
    m = OWNER.ok("POST", "/api/v1/channels/%d/messages" % CID,
                 {"body": "@%s are you there?" % MEMBER.name})
    ch = MEMBER.ok("GET", "/api/v1/channels/%d" % CID)
    assert ch["unread_count"] == 0 and ch["mention_count"] == 0, ch
    assert not notified(MEMBER, m["id"])
    r = run(MEMBER, "/mute off")
    assert r.status == 200 and r.json()["response_type"] == "ephemeral", r
    assert level(MEMBER) == "all" and psql(muted % (CID, MEMBER.id)) == "f"
    m = OWNER.ok("POST", "/api/v1/channels/%d/messages" % CID,
                 {"body": "@%s now?" % MEMBER.name})
    assert pxtest.wait_for(lambda: notified(MEMBER, m["id"]), 10)
    # only members have a level to set
    r = run(OUTSIDER, "/mute")
    assert r.status in (403, 404), r
    # a registered command cannot take the name
    expect_error(api("POST", "/api/v1/admin/commands", ADMIN,
                     {"command": "mute", "url": RECV.url + "/mute"}), 409, "VALIDATION_CONFLICT")


def test_remind():
    r = run(MEMBER, "/remind me in 1 second to stretch")
    assert r.status == 200 and r.json()["response_type"] == "ephemeral", r
    assert r.json()["message"]["reminder_id"] >= 1, r.json()
    for bad in ("/remind tomorrow stretch", "/remind in 0 s x", "/remind in 2 fortnights x",
                "/remind in 5 m"):
        expect_error(run(MEMBER, bad), 400, "VALIDATION_FIELD_FORMAT")

    def reminded():
        msgs = OWNER.ok("GET", "/api/v1/channels/%d/messages?limit=5" % CID)["messages"]
        return [m for m in msgs if "Reminder: stretch" in m["body"]]
    assert pxtest.wait_for(reminded, 20)
    m = reminded()[-1]
    assert m["author"]["display_name"] == "Reminders" and m["bot"]["via"] == "reminder", m
    assert m["body"].startswith("@%s " % MEMBER.name), m
    notes = MEMBER.ok("GET", "/api/v1/notifications")["notifications"]
    assert [n for n in notes if n.get("message_id") == m["id"] or
            (n.get("message") or {}).get("id") == m["id"]], notes[:3]


def test_composer():
    b = Browser()
    assert location(b.post("/login", {"username": MEMBER.name, "password": PASSWORD,
                                      "next": "/"})) == "/"
    slug = CH["name"]
    b.page("/c/" + slug)
    r = b.post("/c/%s/post" % slug, {"body": "/shrug from the composer", "action": "send"})
    assert location(r).startswith("/c/%s#m" % slug), r
    assert latest()["html"] == "<p>from the composer ¯\\_(ツ)_/¯</p>\n", latest()
    # the script's quick path leaves commands to the page's way: nothing runs
    before = latest()["id"]
    r = b.post("/c/%s/post" % slug, {"body": "/shrug twice?", "action": "send", "fragment": "1"})
    assert r.status == 200 and latest()["id"] == before, r
    # an ephemeral answer is a notice on the page, posted nowhere
    r = b.post("/c/%s/post" % slug, {"body": "/remind me in 1 hour to test", "action": "send"})
    page = check_page(r)
    assert "I will remind you." in r.body.decode() and latest()["id"] == before, page
    # text that only looks like a command is a message
    r = b.post("/c/%s/post" % slug, {"body": "/usr/bin is a folder", "action": "send"})
    assert location(r).startswith("/c/%s#m" % slug), r
    assert latest()["body"] == "/usr/bin is a folder", latest()
    # a bad command shows its error at the composer, keeping the draft
    r = b.post("/c/%s/post" % slug, {"body": "/remind whenever", "action": "send"})
    assert r.status == 400 and "/remind whenever" in r.body.decode(), r


def register(name, url):
    r = api("POST", "/api/v1/admin/commands", ADMIN, {"command": "/" + name, "url": url,
                                                      "description": "test"})
    assert r.status == 201, r
    return r.json()


def test_registered_command():
    name = "dep" + secrets.token_hex(3)
    cmd = register(name, RECV.url + "/cmd")
    assert cmd["token"].startswith("pxc_") and cmd["command"] == name, cmd
    expect_error(MEMBER.call("POST", "/api/v1/admin/commands",
                             {"command": "x", "url": RECV.url}), 403, "AUTH_FORBIDDEN")
    r = api("POST", "/api/v1/admin/commands", ADMIN, {"command": "me", "url": RECV.url})
    expect_error(r, 409, "VALIDATION_CONFLICT")
    # ephemeral: only the caller gets it, nothing is posted
    RECV.reply = {"response_type": "ephemeral", "text": "only *you* see this"}
    before = latest()["id"]
    r = run(MEMBER, "/%s prod now" % name)
    assert r.status == 200, r
    j = r.json()
    assert j["response_type"] == "ephemeral" and "<strong>you</strong>" in j["html"], j
    assert latest()["id"] == before
    path, headers, body = RECV.got[-1]
    assert path == "/cmd" and headers["content-type"] == "application/x-www-form-urlencoded"
    f = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
    for k in ("token", "team_id", "channel_id", "channel_name", "user_id", "user_name",
              "command", "text", "response_url", "trigger_id"):
        assert k in f, (k, f)
    assert f["token"] == cmd["token"] and f["command"] == "/" + name and f["text"] == "prod now"
    assert f["channel_id"] == str(CID) and f["channel_name"] == CH["name"], f
    assert f["user_id"] == str(MEMBER.id) and f["user_name"] == MEMBER.name, f
    # in_channel: posted by the command's bot
    RECV.reply = {"response_type": "in_channel", "text": "Deploying *prod*"}
    r = run(MEMBER, "/%s prod" % name)
    assert r.status == 200 and r.json()["response_type"] == "in_channel", r
    m = latest()
    assert m["author"]["id"] == cmd["bot"]["id"] and "<strong>prod</strong>" in m["html"], m
    assert m["bot"]["via"] == "slash command /" + name, m
    # response_url: delayed in_channel answers, not ephemeral ones
    rurl = urllib.parse.urlsplit(f["response_url"]).path
    r = request("POST", rurl, json_body={"response_type": "ephemeral", "text": "x"})
    expect_error(r, 400, "VALIDATION_FIELD_FORMAT")
    r = request("POST", rurl, json_body={"response_type": "in_channel", "text": "Done *now*"})
    assert r.status == 200 and r.body == b"ok", r
    m = latest()
    assert m["author"]["id"] == cmd["bot"]["id"] and "<strong>now</strong>" in m["html"], m
    for _ in range(4):
        request("POST", rurl, json_body={"response_type": "in_channel", "text": "again"})
    r = request("POST", rurl, json_body={"response_type": "in_channel", "text": "sixth"})
    expect_error(r, 404, "HOOK_NOT_FOUND")
    RECV.reply = None
    # a service that is down
    down = register("down" + secrets.token_hex(3), "http://127.0.0.2:23199/none")
    expect_error(run(MEMBER, "/%s x" % down["command"]), 502, "COMMAND_FAILED")
    listed = api("GET", "/api/v1/admin/commands", ADMIN).json()["commands"]
    assert [c for c in listed if c["id"] == cmd["id"]] and "token" not in listed[0], listed
    for c in (cmd, down):
        assert api("DELETE", "/api/v1/admin/commands/%d" % c["id"], ADMIN).status == 204
    expect_error(run(MEMBER, "/%s x" % name), 404, "COMMAND_NOT_FOUND")


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        RECV.stop()
