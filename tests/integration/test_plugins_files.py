"""The "event.file" hook (sql/165_plugin_file_events.sql): a process plugin
hears files uploaded into, carried by a message into, and deleted from the
channels it is enabled in, through the plugin event queue, and nothing of
other channels, of drafts, or without the files.read permission; the
channel file events reach event readers too. Needs PX_BUILD, PX_CONFIG,
PX_ROOT."""
import secrets
import urllib.parse

import pxtest
from authlib import psql
from msglib import User, channel
from test_plugins_events import install, key
from test_plugins_runtime import cli, until

TAG = secrets.token_hex(3)
ana = User("plfi")

# Posts one line per file event into the event's channel, as its bot.
WATCH = b"""#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    out = {"id": req["id"]}
    if req.get("type") == "event":
        d = req["data"]
        out["actions"] = [{"type": "post", "text": "saw %s %s msg=%s" % (
            req["event"], d["file"]["name"], d.get("message_id"))}]
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def seen(cid):
    return sorted(m["body"] for m in
                  ana.ok("GET", "/api/v1/channels/%d/messages?limit=50" % cid)["messages"]
                  if m["body"].startswith("saw "))


def put(name, cid=None):
    q = "name=" + urllib.parse.quote(name)
    if cid:
        q += "&channel_id=%d" % cid
    r = ana.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": "text/plain"},
                 raw=("%s %s\n" % (name, secrets.token_hex(8))).encode())
    assert r.status == 201, r
    return r.json()


def file_events(cid, after):
    """The file.* events of channel cid after event id after, as
    (type, file name, message_id), through the long-poll form."""
    out = []
    while True:
        r = ana.ok("GET", "/api/v1/events?after=%d&wait=0&limit=500" % after)
        out += [(e["type"], e["data"]["file"]["name"], e["data"]["message_id"])
                for e in r["events"] if e["channel_id"] == cid and e["type"].startswith("file.")]
        if not r["events"]:
            return out
        after = r["last_event_id"]


def test_file_events_reach_the_plugin():
    on, off = channel(ana)["id"], channel(ana)["id"]
    start = int(psql("SELECT coalesce(max(id), 0) FROM events"))
    name = "filewatch-" + TAG
    install({"name": name, "version": "1.0.0", "kind": "process", "protocol": 1,
             "entry": "watch.py", "hooks": ["event.file"],
             "permissions": ["files.read", "messages.post"]}, {"watch.py": WATCH}, key())
    cli("enable", name, "--channels", str(on))
    # the plugin set is re-read every two seconds; a first file proves it is on
    first = put("first.txt", on)
    until(lambda: "saw file.uploaded first.txt msg=None" in seen(on), timeout=30,
          what="the upload event")
    put("elsewhere.txt", off)
    draft = put("draft.txt")
    m = ana.ok("POST", "/api/v1/channels/%d/messages" % on,
               {"body": "with a file", "file_ids": [draft["id"]]})
    until(lambda: "saw file.attached draft.txt msg=%d" % m["id"] in seen(on),
          what="the attach event")
    ana.ok("DELETE", "/api/v1/files/%d" % first["id"])
    until(lambda: "saw file.deleted first.txt msg=None" in seen(on), what="the delete event")
    assert seen(on) == sorted(["saw file.uploaded first.txt msg=None",
                               "saw file.attached draft.txt msg=%d" % m["id"],
                               "saw file.deleted first.txt msg=None"]), seen(on)
    assert seen(off) == [], "heard a channel it is not enabled in"
    # the same events reach the channel's readers; a draft emits none
    assert file_events(on, start) == [("file.uploaded", "first.txt", None),
                                      ("file.attached", "draft.txt", m["id"]),
                                      ("file.deleted", "first.txt", None)], file_events(on, start)
    assert file_events(off, start) == [("file.uploaded", "elsewhere.txt", None)]
    cli("disable", name)


def test_file_hook_needs_files_read():
    rc = None
    try:
        install({"name": "filenoperm-" + TAG, "version": "1.0.0", "kind": "process",
                 "protocol": 1, "entry": "watch.py", "hooks": ["event.file"],
                 "permissions": ["messages.post"]}, {"watch.py": WATCH}, key())
    except AssertionError as e:
        rc = str(e)
    assert rc and 'an event hook needs the permission "files.read"' in rc, rc


if __name__ == "__main__":
    pxtest.run(globals())
