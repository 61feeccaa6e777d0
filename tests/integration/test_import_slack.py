"""plexichat-admin import slack: a Slack export zip made here (users,
channels, day files with mrkdwn, mentions, threads across days, reactions,
files, a join notice, a broken file, unsafe entry names, a symlink) is
imported; the report counts and reasons, the history over the API (text,
times, thread, reactions), no link-preview job and no live event for the
imported history; a second run imports nothing twice. Ids are fresh per run,
so it runs against both web servers."""
import json
import os
import secrets
import stat
import subprocess
import tempfile
import time
import zipfile

import authlib
import importlib_slack
import pxtest
from pxtest import request

RUN = secrets.token_hex(4)
T0 = 1700000000  # 2023-11-14 22:13:20 UTC


def cli(*args):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    return subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args),
                          capture_output=True, text=True, timeout=120)


def import_zip(path):
    p = cli("import", "slack", path)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout)


def make_reader():
    """A local account with an e-mail the export also has: the import maps
    that Slack user to it, so it is a member and can read over the API."""
    name = "imp_%s%s" % (pxtest.SERVER[:3], RUN)
    email = "%s@example.org" % name
    rc, out = authlib.admin_cli("create-user", name, "--email", email, "--password-stdin",
                                stdin=authlib.PASSWORD + "\n")
    assert rc == 0, out
    return name, email, authlib.token_for(name, authlib.PASSWORD)


def ts(sec, frac=0):
    return "%d.%06d" % (T0 + sec, frac)


def export(path, reader_email):
    u = lambda i: "U%s%d" % (RUN.upper(), i)  # noqa: E731
    users = [
        {"id": u(1), "name": "ann" + RUN, "real_name": "Ann Example",
         "profile": {"display_name": "Ann", "email": "ann%s@example.org" % RUN}},
        {"id": u(2), "name": "bob" + RUN, "deleted": True, "profile": {"real_name": "Bob"}},
        {"id": u(3), "name": "reader", "profile": {"email": reader_email}},
        {"id": u(4), "name": "bad name!", "profile": {}},
    ]
    gen = "general-" + RUN
    chans = [
        {"id": "C%s1" % RUN.upper(), "name": gen, "created": T0 - 86400, "creator": u(1),
         "topic": {"value": "Company-wide"}, "members": [u(1), u(2), u(3)]},
        {"id": "C%s2" % RUN.upper(), "name": "Bad Name", "members": [u(1)]},
    ]
    root = ts(10)
    msgs = {gen: [
        {"type": "message", "user": u(1), "ts": ts(0, 100),
         "text": "Hello <@%s>, *bold* and <https://example.com/x|a link>" % u(2),
         "reactions": [{"name": "+1", "users": [u(2), u(3)], "count": 2},
                       {"name": "tada", "users": [u(1)], "count": 1},
                       {"name": "our-custom-emoji", "users": [u(1)], "count": 1}]},
        {"type": "message", "subtype": "channel_join", "user": u(2), "ts": ts(5),
         "text": "<@%s> has joined the channel" % u(2)},
        {"type": "message", "user": u(2), "ts": root, "text": "thread root", "thread_ts": root,
         "reply_count": 2},
        {"type": "message", "user": u(1), "ts": ts(20), "text": "same-day reply", "thread_ts": root},
        # the next day's file: a reply to yesterday's root
        {"type": "message", "user": u(3), "ts": ts(86400 + 30), "text": "next-day reply",
         "thread_ts": root},
        {"type": "message", "user": u(1), "ts": ts(86400 + 40), "text": "",
         "files": [{"name": "plan.pdf", "url_private": "https://files.slack.com/plan.pdf"}]},
    ]}
    broken = "%s/%s.json" % (gen, importlib_slack.day_name(T0 + 2 * 86400))
    extra = [(broken, b'[{"type": "message", "ts": '),
             ("../evil.json", b"[]"),
             ("nosuchchannel/2023-11-14.json", b"[]")]
    importlib_slack.write_export(path, users, chans, msgs, extra)
    # a symlink entry, as zip stores one (Unix mode in the external attributes)
    with zipfile.ZipFile(path, "a") as z:
        info = zipfile.ZipInfo("%s/2023-11-20.json" % gen)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
    return gen, broken


def reasons(report):
    return {(s["kind"], s["id"]): s["reason"] for s in report["skips"]}


def test_import_twice_and_read_back():
    name, email, tok = make_reader()
    d = tempfile.mkdtemp(prefix="px-slack-")
    path = os.path.join(d, "export.zip")
    gen, broken = export(path, email)
    events_before = authlib.psql("SELECT coalesce(max(id), 0) FROM events")
    unfurl_before = authlib.psql("SELECT count(*) FROM hook_deliveries WHERE kind = 'unfurl'")

    rep = import_zip(path)
    assert rep["source"] == "slack"
    assert rep["imported"]["users"] == 2, rep          # ann, bob (reader: linked)
    assert rep["existing"]["users"] == 1, rep
    assert rep["skipped"]["users"] == 1, rep           # "bad name!"
    assert rep["imported"]["channels"] == 1, rep
    assert rep["skipped"]["channels"] == 1, rep
    assert rep["imported"]["messages"] == 5, rep       # not the join notice
    assert rep["skipped"]["messages"] == 1, rep
    assert rep["imported"]["reactions"] == 3, rep      # +1 twice, tada
    assert rep["skipped"]["reactions"] == 1, rep       # the custom emoji
    assert rep["thread_orphans"] == 0, rep
    why = reasons(rep)
    assert why[("files", broken)].startswith("not valid JSON"), why
    assert "..".encode() and "leaves the archive" in why[("files", "../evil.json")], why
    assert "links" in why[("files", "%s/2023-11-20.json" % gen)], why
    assert "no such channel" in why[("files", "nosuchchannel/2023-11-14.json")], why
    assert why[("messages", "C%s1/%s" % (RUN.upper(), ts(5)))] == "subtype channel_join is not a message"
    assert ":our-custom-emoji:" in why[("reactions", "C%s1/%s" % (RUN.upper(), ts(0, 100)))]

    # history has no live side effects: no event, no link-preview job
    assert authlib.psql("SELECT count(*) FROM events WHERE id > %s AND channel_id = "
                        "(SELECT id FROM channels WHERE name = '%s')" % (events_before, gen)) == "0"
    assert authlib.psql("SELECT count(*) FROM hook_deliveries WHERE kind = 'unfurl'") == unfurl_before

    # but it is searchable by meaning like any post: the import queues it for
    # its embedding itself (sql/182, not the row trigger) and the worker
    # embeds all of it
    embedded = ("SELECT count(*) FROM messages m JOIN channels c ON c.id = m.channel_id"
                " JOIN ai_embeddings e ON e.message_id = m.id WHERE c.name = '%s'" % gen)
    deadline = time.time() + 30
    while authlib.psql(embedded) != "5" and time.time() < deadline:
        time.sleep(0.2)
    assert authlib.psql(embedded) == "5", authlib.psql(embedded)

    # read back over the API as the linked reader
    chans = authlib.api("GET", "/api/v1/channels", tok).json()
    chans = chans.get("channels", chans) if isinstance(chans, dict) else chans
    cid = [c["id"] for c in chans if c.get("name") == gen][0]
    page = authlib.api("GET", "/api/v1/channels/%d/messages?limit=50" % cid, tok)
    assert page.status == 200, page
    top = page.json()["messages"]
    assert [m["body"] for m in top][:1] == [
        "Hello @bob%s, **bold** and [a link](https://example.com/x)" % RUN], top
    assert top[0]["created_at"].startswith("2023-11-14T22:13:20.0001"), top[0]
    assert "<strong>bold</strong>" in top[0]["html"]
    assert top[-1]["body"] == "[plan.pdf](https://files.slack.com/plan.pdf)"
    root = [m for m in top if m["body"] == "thread root"][0]
    assert root["reply_count"] == 2, root
    assert not [m for m in top if "reply" in m["body"]], top
    th = authlib.api("GET", "/api/v1/channels/%d/messages/%d/thread" % (cid, root["id"]), tok)
    assert th.status == 200, th
    replies = [m["body"] for m in th.json()["replies"]]
    assert replies == ["same-day reply", "next-day reply"], th.json()
    re = authlib.api("GET", "/api/v1/channels/%d/messages/%d/reactions" % (cid, top[0]["id"]), tok)
    assert re.status == 200, re
    got = {r["emoji"]: r["count"] for r in re.json()}
    assert got == {"\U0001F44D": 2, "\U0001F389": 1}, got

    # the second run finds everything and makes nothing
    again = import_zip(path)
    assert again["imported"] == {k: 0 for k in again["imported"]}, again
    assert again["existing"]["messages"] == 5 and again["existing"]["users"] == 3, again
    assert again["existing"]["reactions"] == 3 and again["existing"]["channels"] == 1, again
    n = authlib.psql("SELECT count(*) FROM messages WHERE channel_id = %d" % cid)
    assert n == "5", n


def test_not_an_export():
    d = tempfile.mkdtemp(prefix="px-slack-")
    path = os.path.join(d, "x.zip")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    p = cli("import", "slack", path)
    assert p.returncode == 1 and "not a Slack export" in p.stderr, p.stderr
    p = cli("import", "slack", os.path.join(d, "missing.zip"))
    assert p.returncode == 1 and p.stdout == "", p
    p = cli("import", "nosuchsource", path)
    assert p.returncode == 2


if __name__ == "__main__":
    pxtest.run(globals())
