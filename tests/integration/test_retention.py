"""Retention over the admin CLI and HTTP: channel policies delete what is
older (backdated here in the database), a legal hold on a channel or on a
person keeps what it covers until released, a thread's first message stays
while a reply is kept, the events that carried a deleted message's text go
with it, a dry run deletes nothing, and docs/ADMIN_CLI.md's cron line runs
as written. The instance's own policy stays 0, so other tests' messages are
never touched. Needs PX_BUILD, PX_CONFIG, PX_ROOT."""
import json
import os
import re
import subprocess

import pxtest
from authlib import psql
from msglib import User, admin_cli, channel, post

ana = User("ret")
ben = User("ret")


def cli(*args):
    rc, out = admin_cli("retention", *args)
    assert rc == 0, out
    return out


def gone(user, cid, mid):
    return user.call("GET", "/api/v1/channels/%d/messages/%d" % (cid, mid)).status == 404


def backdate(ids, days=40):
    psql("UPDATE messages SET created_at = now() - interval '%d days' WHERE id IN (%s)"
         % (days, ",".join(str(i) for i in ids)))


def test_policies_and_holds():
    a = channel(ana, members=[ben])
    held = channel(ana)
    keep = channel(ana)
    old_a = post(ana, a["id"], "old in a")
    old_ben = post(ben, a["id"], "old by ben")
    root = post(ana, a["id"], "old root")
    reply = post(ana, a["id"], "new reply", thread_root_id=root["id"])
    lone_root = post(ana, a["id"], "old root, old reply")
    lone_reply = post(ana, a["id"], "old reply", thread_root_id=lone_root["id"])
    old_held = post(ana, held["id"], "old in held")
    old_keep = post(ana, keep["id"], "old in keep")
    fresh = post(ana, a["id"], "fresh in a")
    backdate([old_a["id"], old_ben["id"], root["id"], lone_root["id"], lone_reply["id"],
              old_held["id"], old_keep["id"]])
    for ch in (a, held):
        cli("channel", str(ch["id"]), "30")
    cli("channel", keep["name"], "forever")
    out = cli("hold", "add", "--channel", held["name"], "--reason", "Case 17")
    hold_ch = int(re.search(r"hold (\d+)", out).group(1))
    out = cli("hold", "add", "--user", ben.name, "--reason", "Investigation")
    hold_ben = int(re.search(r"hold (\d+)", out).group(1))
    st = json.loads(cli("status", "--json"))
    assert {h["id"] for h in st["holds"]} >= {hold_ch, hold_ben}, st
    # what is due in these channels: old_a, lone_root, lone_reply
    dry = json.loads(cli("run", "--dry-run", "--json"))
    mine = {c["channel_id"]: c["due"] for c in dry["before"]["channels"]}
    assert mine.get(a["id"]) == 3 and held["id"] not in mine and keep["id"] not in mine, dry
    assert not gone(ana, a["id"], old_a["id"]), "a dry run deleted"
    events_before = int(psql("SELECT count(*) FROM events WHERE kind LIKE 'message.%%' AND"
                             " data->>'id' = '%d'" % old_a["id"]))
    assert events_before >= 1
    run = json.loads(cli("run", "--json"))
    assert run["deleted"] >= 3, run
    for m in (old_a, lone_root, lone_reply):
        assert gone(ana, a["id"], m["id"]), m
    assert int(psql("SELECT count(*) FROM events WHERE kind LIKE 'message.%%' AND"
                    " data->>'id' = '%d'" % old_a["id"])) == 0, "its events stayed"
    for cid, m in ((a["id"], old_ben), (a["id"], root), (a["id"], reply), (a["id"], fresh),
                   (held["id"], old_held), (keep["id"], old_keep)):
        assert not gone(ana, cid, m["id"]), m
    # holds released: what they kept goes at the next run
    cli("hold", "release", str(hold_ben))
    cli("hold", "release", str(hold_ch))
    rc, out = admin_cli("retention", "hold", "release", str(hold_ch))
    assert rc == 1 and "no such" in out, out
    cli("run")
    assert gone(ana, a["id"], old_ben["id"]) and gone(ana, held["id"], old_held["id"])
    assert not gone(ana, a["id"], root["id"]), "a root with a kept reply went"
    assert not gone(ana, keep["id"], old_keep["id"])
    audit = psql("SELECT count(*) FROM audit_log WHERE action LIKE 'admin.retention.%%'")
    assert int(audit) >= 6, audit


def test_bad_input():
    rc, out = admin_cli("retention", "channel", "no-such-channel-x", "30")
    assert rc == 1 and "no such" in out, out
    rc, out = admin_cli("retention", "channel", "general", "-3")
    assert rc == 1 and "DAYS" in out, out
    rc, out = admin_cli("retention", "hold", "add", "--reason", "none named")
    assert rc != 0, out
    rc, out = admin_cli("retention", "hold", "add", "--user", "nobody-" + ana.name,
                        "--reason", "x")
    assert rc == 1 and "no such" in out, out


def test_cron_line_as_documented():
    text = open(os.path.join(os.environ["PX_ROOT"], "docs", "ADMIN_CLI.md")).read()
    m = re.search(r"<!-- retention: cron -->\n```text\n#[^\n]*\n(.*?)\n```", text, re.S)
    assert m, "docs/ADMIN_CLI.md has no retention cron block"
    fields = m.group(1).split(None, 6)
    user, command = fields[5], fields[6]
    assert command.startswith("plexichat-admin -c /etc/plexichat/plexichat.conf "), command
    command = command.replace("plexichat-admin -c /etc/plexichat/plexichat.conf",
                              "%s -c %s" % (os.path.join(os.environ["PX_BUILD"], "plexichat-admin"),
                                            os.environ["PX_CONFIG"]))
    p = subprocess.run(["runuser", "-u", user, "--", "sh", "-c", command.replace(">/dev/null", "")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["dry_run"] is False


if __name__ == "__main__":
    pxtest.run(globals())
