"""test_ai: the AI features with the built-in provider (no network) over
HTTP: catch-up summaries of channels and threads with links to their
sources, ask across the channels the caller can read (semantic vectors
written by the background worker, removed with deleted messages),
translate refused by the built-in provider, moderation at ingest
(flag, hold, block) with the admin review queue, settings, insights,
recommendations, the audit export, and the permission checks."""
import secrets

import pxtest
from pxtest import expect_error
import ailib
from ailib import User, channel, post, summary, ask, settings


def test_channel_summary_links_sources():
    a = User("ais")
    c = channel(a)
    ids = [post(a, c["id"], t)["id"] for t in (
        "The release build fails on the database migration step.",
        "Lunch anyone?",
        "The migration fails because the release build skips the lock.",
        "I will fix the migration lock in the release build today.")]
    r = summary(a, c["id"])
    assert r.status == 200, r
    j = r.json()
    assert j["ai"]["generated"] is True and j["ai"]["provider"] == "builtin", j
    assert j["ai"]["model"] == "builtin-extractive-1" and "AI" in j["ai"]["notice"]
    assert j["messages_considered"] == 4
    assert "migration" in j["summary"]
    srcs = [s["message_id"] for p in j["points"] for s in p["sources"]]
    assert srcs and set(srcs) <= set(ids), (srcs, ids)
    assert all(s["url"] == "/api/v1/channels/%d/messages/%d" % (c["id"], s["message_id"])
               for p in j["points"] for s in p["sources"])


def test_thread_and_unread_summary():
    a, b = User("ait"), User("ait")
    c = channel(a, members=[b])
    root = post(a, c["id"], "Should we move the standup to ten o'clock?")["id"]
    r1 = post(b, c["id"], "Ten o'clock works for the standup.", thread_root_id=root)["id"]
    other = post(a, c["id"], "Unrelated top-level note about parking.")["id"]
    j = summary(a, c["id"], thread_id=root).json()
    srcs = {s["message_id"] for p in j["points"] for s in p["sources"]}
    assert srcs <= {root, r1} and j["messages_considered"] == 2, j
    expect_error(summary(a, c["id"], thread_id=other + 1000), 404, "VALIDATION_NOT_FOUND")
    # unread only: b marks everything read, then one new message
    b.ok("PUT", "/api/v1/channels/%d/read-marker" % c["id"], {"message_id": other})
    new = post(a, c["id"], "New: the standup moves to ten from Monday.")["id"]
    j = summary(b, c["id"], unread_only=True).json()
    assert j["messages_considered"] == 1, j
    assert {s["message_id"] for p in j["points"] for s in p["sources"]} == {new}


def test_summary_needs_membership():
    a, x = User("aim"), User("aim")
    c = channel(a, kind="private")
    post(a, c["id"], "Private plans for the merger.")
    r = summary(x, c["id"])
    assert r.status in (403, 404), r
    assert b"merger" not in r.body


def test_ask_reads_only_my_channels_and_forgets_deleted():
    a, b = User("aia"), User("aia")
    word = "zorblax" + secrets.token_hex(3)
    mine = channel(a)
    theirs = channel(b, kind="private")
    m1 = post(a, mine["id"], "The %s deployment key rotates every Monday." % word)["id"]
    m2 = post(b, theirs["id"], "Secret: the %s vault code is 4711." % word)["id"]
    assert ailib.wait_embedded(m1) and ailib.wait_embedded(m2)
    j = ask(a, "when does the %s deployment key rotate" % word).json()
    got = {s["message_id"] for s in j["sources"]}
    assert m1 in got and m2 not in got, j
    assert j["ai"]["provider"] == "builtin" and j["search"]["semantic"] >= 1
    assert "4711" not in j["answer"]
    jb = ask(b, "%s vault code" % word).json()
    assert {s["message_id"] for s in jb["sources"]} == {m2}, jb
    # edits are embedded again; deletion removes the vector
    a.ok("PATCH", "/api/v1/channels/%d/messages/%d" % (mine["id"], m1),
         {"body": "The %s deployment key now rotates on Fridays." % word})
    a.ok("DELETE", "/api/v1/channels/%d/messages/%d" % (mine["id"], m1))
    assert pxtest.wait_for(lambda: not ailib.embedded(m1), timeout=10)
    j = ask(a, "%s deployment key" % word).json()
    assert m1 not in {s["message_id"] for s in j["sources"]}


def test_translate_not_offered_by_builtin():
    a = User("aix")
    c = channel(a)
    m = post(a, c["id"], "Guten Morgen")["id"]
    r = a.call("POST", "/api/v1/ai/channels/%d/messages/%d/translate" % (c["id"], m),
               {"lang": "en"})
    expect_error(r, 422, "AI_NOT_SUPPORTED")
    r = a.call("POST", "/api/v1/ai/channels/%d/messages/%d/translate" % (c["id"], m),
               {"lang": "en_US.1"})
    expect_error(r, 400, "VALIDATION_FIELD_FORMAT")


def test_channel_settings_need_manage():
    a, b = User("aic"), User("aic")
    c = channel(a, members=[b])
    r = b.call("PUT", "/api/v1/ai/channels/%d/settings" % c["id"],
               {"enabled": True, "remote": True, "moderation": "off"})
    assert r.status == 403, r
    r = a.call("PUT", "/api/v1/ai/channels/%d/settings" % c["id"],
               {"enabled": True, "remote": False, "moderation": "maybe"})
    expect_error(r, 400, "VALIDATION_FIELD_FORMAT")
    j = settings(a, c["id"], enabled=False)
    assert j == {"channel_id": c["id"], "enabled": False, "remote": False, "moderation": "off"}
    expect_error(summary(a, c["id"]), 403, "AI_DISABLED")
    assert b.ok("GET", "/api/v1/ai/channels/%d/settings" % c["id"])["enabled"] is False


def test_moderation_flag_hold_block_and_review():
    hdr = ailib.admin()
    a, b = User("aimod"), User("aimod")
    c = channel(a, members=[b])
    cid = c["id"]
    settings(a, cid, moderation="flag")
    m = post(b, cid, "you are an idiot")
    q = ailib.adm("GET", "/api/v1/admin/ai/review?limit=500", hdr=hdr).json()["items"]
    flagged = [i for i in q if i["message_id"] == m["id"]]
    assert flagged and flagged[0]["action"] == "flag" and flagged[0]["category"] == "insult"
    r = ailib.adm("POST", "/api/v1/admin/ai/review/%d" % flagged[0]["id"], {"decision": "reject"},
                  hdr)
    assert r.status == 200, r
    r = a.call("GET", "/api/v1/channels/%d/messages/%d" % (cid, m["id"]))
    assert r.status == 410 or r.json().get("deleted") is True, r
    ok = post(b, cid, "good morning")  # clean posts are not queued
    q = ailib.adm("GET", "/api/v1/admin/ai/review?limit=500", hdr=hdr).json()["items"]
    assert not [i for i in q if i["message_id"] == ok["id"]]
    # hold: not posted until approved
    settings(a, cid, moderation="hold")
    text = "Ich bringe dich um " + secrets.token_hex(3)
    r = b.call("POST", "/api/v1/channels/%d/messages" % cid, {"body": text})
    assert r.status == 202 and r.json()["held"] is True, r
    rid = r.json()["review_id"]
    page = a.ok("GET", "/api/v1/channels/%d/messages" % cid)
    assert text not in [x["body"] for x in page["messages"]]
    r = b.call("POST", "/api/v1/admin/ai/review/%d" % rid, {"decision": "approve"})
    assert r.status == 403, r
    r = ailib.adm("POST", "/api/v1/admin/ai/review/%d" % rid, {"decision": "approve"}, hdr)
    assert r.status == 200 and r.json()["message"]["body"] == text, r
    assert r.json()["message"]["author"]["id"] == b.id
    page = a.ok("GET", "/api/v1/channels/%d/messages" % cid)
    assert text in [x["body"] for x in page["messages"]]
    r = ailib.adm("POST", "/api/v1/admin/ai/review/%d" % rid, {"decision": "approve"}, hdr)
    expect_error(r, 404, "VALIDATION_NOT_FOUND")
    # reject keeps it out
    r = b.call("POST", "/api/v1/channels/%d/messages" % cid, {"body": "click here for free money"})
    assert r.status == 202, r
    rid = r.json()["review_id"]
    r = ailib.adm("POST", "/api/v1/admin/ai/review/%d" % rid, {"decision": "reject"}, hdr)
    assert r.status == 200 and r.json()["message"] is None
    # block
    settings(a, cid, moderation="block")
    r = b.call("POST", "/api/v1/channels/%d/messages" % cid, {"body": "what a moron"})
    expect_error(r, 422, "AI_MODERATION_BLOCKED")
    assert post(b, cid, "a friendly note")["id"]


def test_admin_views_and_audit():
    hdr = ailib.admin()
    a = User("aiad")
    c = channel(a)
    post(a, c["id"], "Insights need some traffic in this channel today.")
    before = ailib.audit_rows(hdr)
    last = before[-1]["id"] if before else 0
    assert summary(a, c["id"]).status == 200
    rows = ailib.audit_rows(hdr, last)
    mine = [x for x in rows if x["user_id"] == a.id]
    assert len(mine) == 1 and mine[0]["feature"] == "summary" and mine[0]["channel_id"] == c["id"]
    assert mine[0]["provider"] == "builtin" and mine[0]["remote"] is False
    assert mine[0]["status"] == "OK"
    j = ailib.adm("GET", "/api/v1/admin/ai/insights?days=7", hdr=hdr).json()
    assert j["activity"] and j["busiest_channels"] and "median_seconds" in j["response_times"]
    assert j["ai"]["generated"] is True
    s = ailib.adm("GET", "/api/v1/admin/ai/status", hdr=hdr).json()
    assert s["providers"][0]["name"] == "builtin" and "embed_queue" in s
    for path in ("/api/v1/admin/ai/status", "/api/v1/admin/ai/insights",
                 "/api/v1/admin/ai/audit.jsonl", "/api/v1/admin/ai/review"):
        assert a.call("GET", path).status == 403, path
    me = a.ok("GET", "/api/v1/ai/settings")
    assert me["remote_ok"] is False and me["default_provider"] == "builtin"
    assert a.ok("PUT", "/api/v1/ai/settings", {"remote_ok": True})["remote_ok"] is True
    rec = a.ok("GET", "/api/v1/ai/recommendations?limit=3")
    assert isinstance(rec["channels"], list) and rec["ai"]["generated"] is True
    assert c["id"] not in [x["id"] for x in rec["channels"]]


if __name__ == "__main__":
    pxtest.run(globals())
