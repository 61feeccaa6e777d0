"""test_ai_web: the channel page's AI controls as a browser without
JavaScript uses them: the Summarise and Ask forms post to /c/<slug>/ai,
which answers with the channel page and the answer above the messages
(marked as AI-made with provider and model, each point linking to the
history page of its message); a thread summary; refusals (a channel with
AI off, a bad task, a channel the user cannot read) shown as errors. The
built-in provider answers; tests/browser/flow-aistream.js covers the
streamed answers with JavaScript."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from authlib import PASSWORD, admin_token, make_user, uniq, unlock  # noqa: E402
from pxtest import run  # noqa: E402
from webcheck import Browser, check_page, location, words  # noqa: E402
import ailib  # noqa: E402


def signed_in():
    unlock()
    name, tok, _ = make_user(admin_token(), prefix="aw", role="member")
    b = Browser()
    r = b.post("/login", {"username": name, "password": PASSWORD, "next": "/"})
    assert location(r) == "/", r
    return b, tok


def new_channel(b):
    name = uniq("aw").lower().replace("_", "-")
    assert location(b.post("/channels/new", {"name": name})) == "/c/" + name
    return name


def say(b, ch, body, root=None):
    f = {"body": body, "action": "send"}
    if root:
        f["thread_root_id"] = root
    loc = location(b.post("/c/%s/post" % ch, f))
    assert "#m" in loc, loc
    return int(loc.split("#m")[1])


def section(p, box):
    return [a for t, a in p.tags if t == "section" and a.get("id") == box]


def links(p):
    return [a["href"] for t, a in p.tags if t == "a" and "ai-source" in a.get("class", "")]


def test_forms_summary_and_ask_without_javascript():
    b, _ = signed_in()
    ch = new_channel(b)
    m1 = say(b, ch, "The release build fails on the database migration step.")
    say(b, ch, "I will fix the migration lock in the release build today.")
    p = b.page("/c/" + ch)
    acts = [f["attrs"].get("action") for f in p.forms]
    assert acts.count("/c/%s/ai" % ch) == 2, acts
    r = b.post("/c/%s/ai" % ch, {"task": "summary"})
    p = check_page(r)
    assert section(p, "ai-channel-summary"), words(p)
    assert "AI-generated · builtin · builtin-extractive-1." in words(p)
    cid = [a for t, a in p.tags if t == "main"][0]["data-channel-id"]
    assert "/c/%s?after=%d#m%d" % (cid, m1 - 1, m1) in links(p), links(p)
    # the messages are still on the page, under the answer
    assert [a for t, a in p.tags if t == "li" and a.get("id") == "m%d" % m1]
    r = b.post("/c/%s/ai" % ch, {"task": "ask", "question": "why does the migration fail"})
    p = check_page(r)
    assert section(p, "ai-ask-answer") and "migration" in words(p)
    q = [a for t, a in p.tags if t == "input" and a.get("id") == "ai-question"][0]
    assert q["value"] == "why does the migration fail"


def test_thread_summary_and_refusals():
    b, tok = signed_in()
    ch = new_channel(b)
    root = say(b, ch, "The backup job of the wiki failed at night.")
    say(b, ch, "The backup failed because the disk of the wiki was full.", root)
    say(b, ch, "Lunch at noon?")
    p = check_page(b.post("/c/%s/ai" % ch, {"task": "summary", "thread_id": str(root)}))
    answer = words(p).split("Summary", 1)[1].split("AI-generated")[0]
    assert section(p, "ai-thread-summary") and "backup" in answer and "Lunch" not in answer, answer
    # the thread panel stays open
    assert [a for t, a in p.tags if t == "aside" and a.get("data-thread-id") == str(root)]
    # a question left empty, and an unknown task
    p = check_page(b.post("/c/%s/ai" % ch, {"task": "ask", "question": ""}), 400)
    assert section(p, "ai-ask-answer")
    check_page(b.post("/c/%s/ai" % ch, {"task": "sing"}), 400)
    # AI off for the channel: the page says so
    cid = int([a for t, a in p.tags if t == "main"][0]["data-channel-id"])
    r = ailib.pxtest.request("PUT", "/api/v1/ai/channels/%d/settings" % cid,
                             json_body={"enabled": False, "remote": False, "moderation": "off"},
                             headers={"Authorization": "Bearer " + tok})
    assert r.status == 200, r
    p = check_page(b.post("/c/%s/ai" % ch, {"task": "summary"}), 403)
    assert section(p, "ai-channel-summary") and "AI-generated" not in words(p)
    # another user's private channel: not found
    b2, _ = signed_in()
    secret = uniq("p").lower().replace("_", "-")
    r = b2.post("/channels/new", {"name": secret, "kind": "private"})
    assert location(r) == "/c/" + secret, r
    check_page(b.post("/c/%s/ai" % secret, {"task": "summary"}), 404)


# Settings' AI section in German: every text its script writes comes from
# the section's data-t-* attributes (static/js/ai.js); the English of
# each must not be there. tests/browser/flow-ai.js looks at the section as
# the script draws it.
AI_SETTINGS_DE = {
    "data-t-ai-settings-h": ("KI", "AI"),
    "data-t-ai-remote-consent": ("Meine Nachrichten in Direktnachrichten und privaten Kanälen dürfen an "
                                 "einen externen KI-Anbieter gehen, wo ihr Kanal das erlaubt",
                                 "My messages in DMs"),
    "data-t-ai-settings-provider": ("Standardanbieter: {provider}.", "Default provider"),
    "data-t-ai-saved": ("Gespeichert.", "Saved."),
    "data-t-ai-budget-text": ("Heute: {user} Tokens von Ihnen, {instance} von der Instanz (Kosten {cost}). "
                              "Tagesbudgets: {bu} Tokens je Person, {bc} je Kanal, {bi} je Instanz.",
                              "Daily budgets"),
    "data-t-ai-no-limit": ("keine Grenze", "no limit"),
}


def test_settings_ai_section_in_german():
    unlock()
    name, _, _ = make_user(admin_token(), prefix="awde", role="member")
    b = Browser(lang="de-DE,de;q=0.9")
    assert location(b.post("/login", {"username": name, "password": PASSWORD, "next": "/"})) == "/"
    p = b.page("/settings")
    sec = section(p, "ai-settings")
    assert len(sec) == 1, p.tags
    for attr, (de, en) in AI_SETTINGS_DE.items():
        assert sec[0].get(attr) == de, (attr, sec[0].get(attr))
        assert en not in sec[0][attr]
    # every data-t-* the section carries is one of these: nothing English
    # slipped in under a key the test does not know
    assert sorted(k for k in sec[0] if k.startswith("data-t-")) == sorted(AI_SETTINGS_DE)
    # and in English the same keys give the English texts
    e = Browser(lang="en-GB")
    assert location(e.post("/login", {"username": name, "password": PASSWORD, "next": "/"})) == "/"
    en_sec = section(e.page("/settings"), "ai-settings")[0]
    assert en_sec["data-t-ai-remote-consent"].startswith("My messages in DMs")


if __name__ == "__main__":
    run(globals())
