"""test_hooks_incoming: Slack-compatible incoming webhooks over HTTP. The
recorded payloads of Alertmanager, Grafana, GitLab and Gitea
(fixtures/webhooks/, each naming its source) post messages whose
rendering is asserted; the hook's secret is shown once, stored hashed and
revocable; only channel managers make hooks; posts come from the hook's bot
with the username override beside it, never as a person; bad input gets
the central error format."""
import json
import os
import urllib.parse

import pxtest
from pxtest import expect_error, request
from msglib import User, channel

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "webhooks")
OWNER = User("hk")
OTHER = User("hko")
CH = channel(OWNER, members=[OTHER])
CID = CH["id"]


def make_hook(name="CI alerts"):
    r = OWNER.call("POST", "/api/v1/channels/%d/hooks/incoming" % CID, {"name": name})
    assert r.status == 201, r
    return r.json()


HOOK = make_hook()
PATH = urllib.parse.urlsplit(HOOK["url"]).path


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def send(body, ctype="application/json", path=None):
    return request("POST", path or PATH, body=body, headers={"Content-Type": ctype})


def latest():
    page = OWNER.ok("GET", "/api/v1/channels/%d/messages?limit=1" % CID)
    return page["messages"][-1]


def post_ok(body, ctype="application/json"):
    r = send(body, ctype)
    assert r.status == 200 and r.body == b"ok", r
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    return latest()


def test_created_once_hashed():
    assert HOOK["url"].endswith("/api/v1/hooks/" + HOOK["token"]), HOOK
    assert HOOK["bot"]["username"].startswith("hook-") and HOOK["bot"]["display_name"] == \
        "CI alerts", HOOK
    listed = OWNER.ok("GET", "/api/v1/channels/%d/hooks/incoming" % CID)["hooks"]
    mine = [h for h in listed if h["id"] == HOOK["id"]]
    assert mine and "token" not in mine[0] and "url" not in mine[0], listed
    # only the hash is kept
    import authlib
    stored = authlib.psql("SELECT token_hash FROM incoming_hooks WHERE id = %d" % HOOK["id"])
    assert HOOK["token"] not in stored and len(stored) == 64, stored


def test_only_managers():
    r = OTHER.call("POST", "/api/v1/channels/%d/hooks/incoming" % CID, {"name": "x"})
    expect_error(r, 403, "AUTH_FORBIDDEN")
    r = OTHER.call("GET", "/api/v1/channels/%d/hooks/incoming" % CID)
    expect_error(r, 403, "AUTH_FORBIDDEN")


def test_plain_text():
    m = post_ok(json.dumps({"text": "Build *passed* on <https://ci.example/b/1|build 1>"}))
    assert m["author"]["id"] == HOOK["bot"]["id"], m
    assert "<strong>passed</strong>" in m["html"], m["html"]
    assert '<a href="https://ci.example/b/1">build 1</a>' in m["html"], m["html"]
    assert m["bot"]["via"] == "incoming webhook CI alerts", m


def test_alertmanager_firing():
    m = post_ok(fixture("alertmanager_firing.json"))
    assert m["bot"]["name"] == "AlertManager", m["bot"]
    html = m["html"]
    assert html.startswith("<blockquote>"), html
    assert "🔴" in m["body"], m["body"]
    assert '<a href="http://alertmanager.example:9093/#/alerts">[FIRING:2] HighCPU (node prod)' \
        '</a>' in html, html
    assert "<strong>Alert:</strong> CPU above 90% on web-1 - <code>critical</code>" in html, html
    assert "web-2:9100" in html and "<br />" in html, html
    # the fallback is not repeated when the attachment has content
    assert "| http://alertmanager.example" not in m["body"], m["body"]


def test_alertmanager_resolved():
    m = post_ok(fixture("alertmanager_resolved.json"))
    assert "🟢" in m["body"] and "[RESOLVED] HighCPU (node prod)</a>" in m["html"], m


def test_grafana():
    m = post_ok(fixture("grafana_firing.json"))
    html = m["html"]
    assert m["bot"]["name"] == "Grafana" and m["bot"]["icon_emoji"] == ":grafana:", m["bot"]
    assert "🔴" in m["body"], m["body"]
    assert '<a href="http://grafana.example:3000/alerting/list">[FIRING:1]  (val1)</a>' in html \
        or '<a href="http://grafana.example:3000/alerting/list">[FIRING:1] (val1)</a>' in html, html
    assert "<strong>Firing</strong>" in html and "alertname = alert1" in html, html
    assert "<em>Grafana v10.4.1</em>" in html, html
    m = post_ok(fixture("grafana_resolved.json"))
    assert "🟢" in m["body"] and "<strong>Resolved</strong>" in m["html"], m


def test_gitlab():
    m = post_ok(fixture("gitlab_push.json"))
    html = m["html"]
    assert m["bot"]["name"] == "GitLab", m
    assert 'Alice Example pushed to branch <a href="https://gitlab.example/acme/api/-/commits/main">' \
        'main</a> of <a href="https://gitlab.example/acme/api">acme/api</a>' in html, html
    assert '<a href="https://gitlab.example/acme/api/-/commit/9f8e7d6c5b4a">9f8e7d6c</a>: Fix the ' \
        'retry loop - Alice Example' in html, html
    # &lt;retry&gt; stays text, never markup
    assert "Add tests for &lt;retry&gt;" in html and "<retry>" not in html, html


def test_gitea():
    m = post_ok(fixture("gitea_push.json"))
    html = m["html"]
    assert m["bot"]["name"] == "Gitea", m
    assert m["bot"]["icon_url"] == "https://gitea.example/assets/img/logo.png", m
    assert '[<a href="https://gitea.example/acme/web">acme/web</a>:' in html, html
    assert '<a href="https://gitea.example/acme/web/compare/0a1b2c3...4d5e6f7">2 new commits</a>' \
        ' pushed by bob' in html, html
    assert "Escape &lt;b&gt; in titles - Bob" in html and "<b>" not in html, html


def test_form_payload():
    body = urllib.parse.urlencode({"payload": json.dumps({"text": "from a form"})})
    m = post_ok(body, "application/x-www-form-urlencoded")
    assert m["body"] == "from a form", m


def test_blocks():
    payload = {"text": "fallback only", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Deploy #42"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*web* is live"},
         "fields": [{"type": "mrkdwn", "text": "*Env:* prod"},
                    {"type": "plain_text", "text": "1 * 2"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by ci"}]},
        {"type": "actions", "elements": [{"type": "button"}]},
    ]}
    m = post_ok(json.dumps(payload))
    html = m["html"]
    assert "<h3>Deploy #42</h3>" in html and "<strong>web</strong> is live" in html, html
    assert "<hr />" in html and "by ci" in html and "1 * 2" in html, html
    assert "fallback only" not in html, html


def test_injection_neutralised():
    payload = {"text": "hi <script>alert(1)</script> [x](javascript:alert(1))",
               "username": "<img src=x onerror=alert(1)> **admin** [a](b)",
               "icon_url": "javascript:alert(1)"}
    m = post_ok(json.dumps(payload))
    assert "<script" not in m["html"] and "javascript:" not in m["html"], m["html"]
    assert m["bot"]["name"] == "img src=x onerror=alert1 admin ab", m["bot"]
    assert "icon_url" not in m["bot"], m["bot"]
    # the author stays the bot, whatever the name says
    assert m["author"]["id"] == HOOK["bot"]["id"], m
    # a username that is a real user's name is shown as the bot's override only
    m = post_ok(json.dumps({"text": "hello", "username": OWNER.name}))
    assert m["author"]["id"] == HOOK["bot"]["id"], m
    assert m["bot"]["name"] == OWNER.name.replace("_", ""), m


def test_bad_input():
    # a body that is not the JSON its type declares is the WAF's (rule
    # 100115, as on every JSON route); under other types it is the hook's
    expect_error(send(b"not json"), 403, "SECURITY_REQUEST_BLOCKED")
    expect_error(send(b"not json", "text/plain"), 400, "VALIDATION_INVALID_JSON")
    form = "application/x-www-form-urlencoded"
    expect_error(send("payload=%7Bnot", form), 400, "VALIDATION_INVALID_JSON")
    expect_error(send(b"[1,2]"), 400, "VALIDATION_FIELD_TYPE")
    deep = '{"text":"x","a":' + "[" * 200 + "]" * 200 + "}"
    expect_error(send(deep.encode()), 403, "SECURITY_REQUEST_BLOCKED")
    expect_error(send(deep.encode(), "text/plain"), 403, "SECURITY_REQUEST_BLOCKED")
    expect_error(send(urllib.parse.urlencode({"payload": deep}), form), 400,
                 "VALIDATION_INVALID_JSON")
    expect_error(send(b"", "application/json"), 400, "VALIDATION_MISSING_FIELD")
    big = json.dumps({"text": "x" * (300 * 1024)}).encode()
    expect_error(send(big), 413, "VALIDATION_PAYLOAD_TOO_LARGE")
    expect_error(send(json.dumps({"unknown": 1, "attachments": [{"color": "good"}]})), 400,
                 "HOOK_EMPTY")
    r = send(json.dumps({"text": "x", "unknown_field": {"nested": [1, 2]}, "mrkdwn": True}))
    assert r.status == 200, r
    long = json.dumps({"text": "y" * 20000})
    expect_error(send(long), 400, "VALIDATION_MESSAGE_TOO_LONG")
    expect_error(send(b'{"text":"x"}', path="/api/v1/hooks/pxh_nosuchhook"), 404,
                 "HOOK_NOT_FOUND")


def test_rate_limited_per_hook():
    """A hook that spent its hooks_incoming_per_minute is refused with 429
    and Retry-After (its bucket emptied here as a burst would leave it);
    other hooks are not affected."""
    import authlib
    h = make_hook("busy")
    path = urllib.parse.urlsplit(h["url"]).path
    import hashlib
    client = "hook:" + hashlib.sha256(h["token"].encode()).hexdigest()[:16]
    authlib.psql("INSERT INTO rate_buckets (class, client, tokens, allowed, updated_at) VALUES "
                 "('hook', '%s', 0, false, clock_timestamp() + interval '3 seconds') "
                 "ON CONFLICT (class, client) DO UPDATE SET tokens = 0, "
                 "updated_at = excluded.updated_at" % client)
    r = send(b'{"text":"too many"}', path=path)
    expect_error(r, 429, "SECURITY_RATE_LIMITED")
    assert int(r.headers["retry-after"]) >= 1, r.headers
    assert send(b'{"text":"another hook"}').status == 200
    authlib.psql("DELETE FROM rate_buckets WHERE class = 'hook' AND client = '%s'" % client)
    assert send(b'{"text":"allowed again"}', path=path).status == 200


def test_archived_channel():
    ch = channel(OWNER)
    r = OWNER.call("POST", "/api/v1/channels/%d/hooks/incoming" % ch["id"], {"name": "old"})
    path = urllib.parse.urlsplit(r.json()["url"]).path
    assert send(b'{"text":"before"}', path=path).status == 200
    OWNER.ok("PATCH", "/api/v1/channels/%d" % ch["id"], {"archived": True})
    expect_error(send(b'{"text":"after"}', path=path), 409, "VALIDATION_CHANNEL_ARCHIVED")


def test_revoke():
    h = make_hook("temporary")
    path = urllib.parse.urlsplit(h["url"]).path
    assert send(b'{"text":"before"}', path=path).status == 200
    r = OTHER.call("DELETE", "/api/v1/channels/%d/hooks/incoming/%d" % (CID, h["id"]))
    expect_error(r, 403, "AUTH_FORBIDDEN")
    OWNER.ok("DELETE", "/api/v1/channels/%d/hooks/incoming/%d" % (CID, h["id"]), status=204)
    expect_error(send(b'{"text":"after"}', path=path), 404, "HOOK_NOT_FOUND")
    r = OWNER.call("DELETE", "/api/v1/channels/%d/hooks/incoming/%d" % (CID, h["id"]))
    expect_error(r, 404, "HOOK_NOT_FOUND")


if __name__ == "__main__":
    pxtest.run(globals())
