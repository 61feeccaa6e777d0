"""Plugins that answer commands and hear events, over HTTP: the shipped poll
plugin (examples/plugins/poll, a process plugin) posts a poll as its own bot
with one numbered reaction per option, and keeps the tally in the poll as
people vote with those reactions; only in the channels it is enabled in,
only with the grants it has (a copy without messages.modify cannot edit
its poll); the gif example reaches its search service only with the
network grant; /admin/plugins builds settings forms from manifests; and a registered command of the same name is not shadowed
elsewhere. Needs PX_BUILD, PX_CONFIG, PX_ROOT."""
import datetime
import json
import os
import secrets
import urllib.parse

import pxtest
from authlib import ADMIN_PASSWORD, admin_token, psql
from pxtest import request
from webcheck import Browser, form_fields, location, words
from msglib import User, channel
from pxtest import expect_error
from test_plugins_runtime import admin_cli, cli, install, until

TAG = secrets.token_hex(3)
POLL = os.path.join(os.environ.get("PX_ROOT", "."), "examples", "plugins", "poll")
ana = User("plev")
ben = User("plev")
KEY = None
ADMIN = admin_token()


def admin_api(method, path):
    r = request(method, path, headers={"Authorization": "Bearer " + ADMIN})
    assert r.status == 200, r
    return r.json()


def key():
    global KEY
    if KEY is None:
        rc, out = admin_cli("plugin", "keygen")
        assert rc == 0, out
        KEY = os.path.join(os.environ.get("PX_WORK", "/tmp"), "plev-key-" + TAG)
        with open(KEY, "w") as f:
            f.write(out)
        cli("key", "add", "plev-" + TAG, out.split("public ")[1].split()[0])
    return KEY


def install_poll(name, **changes):
    with open(os.path.join(POLL, "plugin.json")) as f:
        m = json.load(f)
    m.update(changes, name=name)
    files = {}
    for root, _, names in os.walk(POLL):
        for n in names:
            with open(os.path.join(root, n), "rb") as f:
                files[os.path.relpath(os.path.join(root, n), POLL)] = f.read()
    install(m, files, key())



def command(user, cid, text):
    return user.call("POST", "/api/v1/channels/%d/commands" % cid, {"text": text})


def messages(cid):
    return ana.ok("GET", "/api/v1/channels/%d/messages?limit=20" % cid)["messages"]


def the_poll(cid):
    for m in messages(cid):
        if m["body"].startswith("\U0001f4ca Poll: Lunch?"):
            return m
    return None


def keycap(n):
    return urllib.parse.quote("%d\ufe0f\u20e3" % n)


def vote(user, cid, mid, n):
    user.ok("PUT", "/api/v1/channels/%d/messages/%d/reactions/%s" % (cid, mid, keycap(n)))


def tally(m):
    """{option: votes} as the poll's text shows them."""
    out = {}
    for line in m["body"].split("\n")[1:]:
        line = line.rstrip("\\ ")
        if " \u2014 " in line:
            opt, votes = line[3:].rsplit(" \u2014 ", 1)
            out[opt.strip()] = int(votes.split()[0])
    return out


def test_poll_counts_votes_by_reaction():
    name = "poll-" + TAG
    install_poll(name)
    ch = channel(ana, members=[ben])["id"]
    other = channel(ana, members=[ben])["id"]
    cli("enable", name, "--channels", str(ch))
    r = until(lambda: (lambda r: r if r.status == 200 else None)(
        command(ana, ch, "/poll Lunch? | Pizza | Sushi | Salad")), what="the poll plugin")
    assert r.json()["response_type"] == "ephemeral" and r.json()["text"] == "Poll posted.", r
    m = until(lambda: the_poll(ch), what="the poll message")
    assert m["author"]["username"].startswith(name[:20]), m["author"]
    assert m["author"]["username"] != ana.name
    assert [x["emoji"] for x in m["reactions"]] == ["%d\ufe0f\u20e3" % i for i in (1, 2, 3)], m
    assert tally(m) == {"Pizza": 0, "Sushi": 0, "Salad": 0}, m["body"]
    vote(ana, ch, m["id"], 2)
    vote(ben, ch, m["id"], 2)
    vote(ben, ch, m["id"], 1)
    until(lambda: tally(the_poll(ch)) == {"Pizza": 1, "Sushi": 2, "Salad": 0},
          what="the tally after three votes")
    # taking a vote back is a reaction event too
    ben.ok("DELETE", "/api/v1/channels/%d/messages/%d/reactions/%s" % (ch, m["id"], keycap(2)))
    until(lambda: tally(the_poll(ch)) == {"Pizza": 1, "Sushi": 1, "Salad": 0},
          what="the tally after a vote was taken back")
    # bad input gets the plugin's own answer, nothing is posted
    before = len(messages(ch))
    r = command(ana, ch, "/poll only a question")
    assert r.status == 200 and r.json()["text"].startswith("Usage: /poll"), r
    assert len(messages(ch)) == before
    # not enabled there: no such command
    expect_error(command(ana, other, "/poll Lunch? | A | B"), 404, "COMMAND_NOT_FOUND")


def test_grants_bound_what_a_plugin_does():
    name = "pollro-" + TAG
    install_poll(name, permissions=["messages.read", "messages.post", "storage"])
    ch = channel(ana, members=[ben])["id"]
    cli("enable", name, "--channels", str(ch))
    until(lambda: command(ana, ch, "/poll Lunch? | Tea | Coffee").status == 200,
          what="the plugin")
    m = until(lambda: the_poll(ch), what="the poll message")
    vote(ben, ch, m["id"], 1)
    # the event was handed over (its queue row is gone) ...
    until(lambda: psql("SELECT count(*) FROM plugin_deliveries WHERE plugin = '%s'"
                             % name) == "0", what="the event delivered")
    # ... but without messages.modify the edit it asked for was refused
    assert tally(the_poll(ch)) == {"Tea": 0, "Coffee": 0}
    p = [x for x in json.loads(cli("list", "--json"))["plugins"] if x["name"] == name][0]
    assert p["status"] == "ok", p


class SearchService:
    """A GIF search service on loopback: answers every GET with one result
    and remembers the queries it got."""

    def __init__(self):
        import http.server
        import threading
        seen = self.seen = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))
                body = json.dumps({"data": [{"title": "Happy cat", "images": {
                    "original": {"url": "https://media.example.org/cat.gif"}}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/v1/gifs/search" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def install_example(name, folder, entry):
    d = os.path.join(os.environ.get("PX_ROOT", "."), "examples", "plugins", folder)
    with open(os.path.join(d, "plugin.json")) as f:
        m = json.load(f)
    m["name"] = name
    with open(os.path.join(d, entry), "rb") as f:
        install(m, {entry: f.read()}, key())


def test_gif_needs_the_network_grant():
    """The gif example asks a search service on the network: without the
    network grant the sandbox refuses and the caller is told; with it, the
    settings reach the service and the picture is posted by the bot."""
    svc = SearchService()
    name = "gif-" + TAG
    try:
        install_example(name, "gif", "gif.py")
        cli("set", name, "search_url", svc.url)
        cli("set", name, "api_key", "k-" + TAG)
        ch = channel(ana)["id"]
        cli("enable", name, "--channels", str(ch))
        r = until(lambda: (lambda r: r if r.status == 200 else None)(
            command(ana, ch, "/gif happy cat")), what="the gif plugin")
        assert "may not use the network" in r.json()["text"], r.json()
        assert not svc.seen
        cli("enable", name, "--channels", str(ch), "--grant", "network")
        until(lambda: "Posted." == command(ana, ch, "/gif happy cat").json().get("text"),
              what="the grant to take effect")
        assert svc.seen[-1]["q"] == ["happy cat"] and svc.seen[-1]["api_key"] == ["k-" + TAG] \
            and svc.seen[-1]["rating"] == ["g"], svc.seen
        m = [x for x in messages(ch) if "media.example.org/cat.gif" in x["body"]]
        assert m and m[0]["author"]["username"] != ana.name, m
        assert 'href="https://media.example.org/cat.gif"' in m[0]["html"], m[0]["html"]
    finally:
        svc.close()


TICKER = b"""#!/usr/bin/env python3
import json, sys
n = 0
for line in sys.stdin:
    req = json.loads(line)
    out = {"id": req["id"]}
    if req.get("type") == "schedule":
        n += 1
        ch = req["channel_ids"][0]
        out["actions"] = [{"type": "post", "channel_id": ch, "text": "tick %d" % n},
                          {"type": "post", "channel_id": OTHER, "text": "stray tick"}]
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def test_schedule_hook_posts_once_per_period():
    """A plugin with the schedule hook is called once per schedule_seconds
    over all processes, with the channels it is enabled in; it may post
    only into those."""
    ch = channel(ana)["id"]
    other = channel(ana)["id"]
    name = "ticker-" + TAG
    install({"name": name, "version": "1.0.0", "kind": "process", "protocol": 1,
             "entry": "ticker.py", "hooks": ["schedule"], "schedule_seconds": 10,
             "permissions": ["messages.post"]},
            {"ticker.py": TICKER.replace(b"OTHER", str(other).encode())}, key())
    cli("enable", name, "--channels", str(ch))
    ticks = lambda: sorted((m for m in messages(ch) if m["body"].startswith("tick ")),
                           key=lambda m: m["id"])
    until(lambda: len(ticks()) >= 2, timeout=30, what="two ticks")
    got = ticks()
    # once per period over every process (each of which runs its own
    # plugin process): the two are a period apart, not two at once
    apart = (datetime.datetime.fromisoformat(got[1]["created_at"].replace("Z", "+00:00")) -
             datetime.datetime.fromisoformat(got[0]["created_at"].replace("Z", "+00:00")))
    assert apart.total_seconds() >= 9, "two ticks %.1f s apart" % apart.total_seconds()
    assert len(got) == 2, [m["body"] for m in got]
    assert not [m for m in messages(other) if "stray" in m["body"]], "posted where not enabled"
    cli("disable", name)


ECHO = b"""#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    out = {"id": req["id"]}
    if req.get("path") == "echo":
        out.update(status=201 if req["method"] == "POST" else 200, body={
            "method": req["method"], "query": req["query"], "body": req["body"],
            "user": req["username"]})
    elif req.get("path") == "html":
        out.update(status=200, body="<script>alert(1)</script>")
    else:
        out.update(status=404, body={"error": "nothing"})
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def test_route_hook():
    """A plugin's route answers JSON to a signed-in user through the usual
    authentication; what is not JSON, or not a success, never reaches the
    client as the plugin wrote it."""
    name = "echo-" + TAG
    base = "/api/v1/plugins/%s/" % name
    expect_error(ana.call("GET", base + "echo"), 404, "PLUGIN_NOT_FOUND")
    install({"name": name, "version": "1.0.0", "kind": "process", "protocol": 1,
             "entry": "echo.py", "hooks": ["route"]}, {"echo.py": ECHO}, key())
    cli("enable", name, "--all-channels")
    r = until(lambda: (lambda r: r if r.status == 200 else None)(
        ana.call("GET", base + "echo?q=caf%C3%A9&n=2")), what="the route")
    assert r.json() == {"method": "GET", "query": {"q": "caf\u00e9", "n": "2"}, "body": None,
                        "user": ana.name}, r.json()
    assert r.headers["content-type"].startswith("application/json"), r.headers
    r = ana.call("POST", base + "echo", {"vote": 2})
    assert r.status == 201 and r.json()["body"] == {"vote": 2}, r
    expect_error(ana.call("GET", base + "html"), 502, "PLUGIN_BAD_ANSWER")
    expect_error(ana.call("GET", base + "other"), 502, "PLUGIN_BAD_ANSWER")
    # signed-in users only
    expect_error(request("GET", base + "echo"), 401, "AUTH_REQUIRED")
    cli("disable", name)
    until(lambda: ana.call("GET", base + "echo").status == 404, what="the route gone")


def admin_browser():
    b = Browser()
    r = b.post("/login", {"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status in (302, 303), r
    return b


def test_admin_page_settings_from_the_manifest():
    """/admin/plugins builds each plugin's settings form from what its
    manifest declares; a value that does not fit is refused with nothing
    changed; turning a plugin off and on again works from the page and the
    API alike."""
    name = "pollset-" + TAG
    install_poll(name, settings=[
        {"key": "most", "type": "int", "label": "Most options", "default": "9"},
        {"key": "anonymous", "type": "bool", "label": "Hide voters"},
        {"key": "style", "type": "enum", "label": "Style", "options": "plain|bold"},
        {"key": "footer", "type": "string", "label": "Footer <b>text</b>"}])
    ch = channel(ana)["id"]
    cli("enable", name, "--channels", str(ch))
    b = admin_browser()
    p = b.page("/admin/plugins")
    tags = dict((a.get("id"), (t, a)) for t, a in p.tags if a.get("id"))
    pre = "pl-%s-" % name
    assert tags[pre + "most"] == ("input", tags[pre + "most"][1]) and \
        tags[pre + "most"][1]["type"] == "number" and tags[pre + "most"][1]["value"] == "9"
    assert tags[pre + "anonymous"][0] == "select" and tags[pre + "style"][0] == "select"
    assert tags[pre + "footer"][0] == "input"
    assert "Footer <b>text</b>" in words(p), "the label is shown as text, escaped"
    action = "/admin/plugins/%s/settings" % name
    f = form_fields(p, action)
    r = b.post(action, {"csrf_token": f["csrf_token"], "s.most": "5", "s.anonymous": "true",
                        "s.style": "bold", "s.footer": "Vote!"})
    assert location(r) == "/admin/plugins?done=saved", r
    got = [x for x in admin_api("GET", "/api/v1/admin/plugins")["plugins"] if x["name"] == name][0]
    assert got["settings"] == {"most": "5", "anonymous": "true", "style": "bold",
                               "footer": "Vote!"}, got["settings"]
    # a value outside the declared type changes nothing
    r = b.post(action, {"s.most": "five", "s.style": "plain"})
    assert r.status == 400 and "most" in r.body.decode(), r
    r = request("PATCH", "/api/v1/admin/plugins/%s/settings" % name,
                json_body={"style": "loud"}, headers={"Authorization": "Bearer " + ADMIN})
    j = expect_error(r, 400, "VALIDATION_FIELD_FORMAT")
    assert j["details"]["field"] == "style", j
    got = [x for x in admin_api("GET", "/api/v1/admin/plugins")["plugins"] if x["name"] == name][0]
    assert got["settings"]["style"] == "bold" and got["settings"]["most"] == "5", got
    # an empty field clears the setting back to its default
    r = b.post(action, {"s.footer": ""})
    assert location(r) == "/admin/plugins?done=saved", r
    got = [x for x in admin_api("GET", "/api/v1/admin/plugins")["plugins"] if x["name"] == name][0]
    assert "footer" not in got["settings"], got
    # off from the page: the command is gone; on again: it is back
    r = b.post("/admin/plugins/%s/enabled" % name, {"enabled": "false"})
    assert location(r) == "/admin/plugins?done=saved", r
    until(lambda: command(ana, ch, "/poll Lunch? | A | B").status == 404, what="turned off")
    r = request("PUT", "/api/v1/admin/plugins/%s/enabled" % name, json_body={"enabled": True},
                headers={"Authorization": "Bearer " + ADMIN})
    assert r.status == 200 and [x for x in r.json()["plugins"] if x["name"] == name][0]["enabled"]
    until(lambda: command(ana, ch, "/poll Lunch? | A | B").status == 200, what="turned on")
    # members may not
    expect_error(ana.call("GET", "/api/v1/admin/plugins"), 403, "AUTH_FORBIDDEN")


if __name__ == "__main__":
    pxtest.run(globals())
