"""Rich text as chat users write it, through the real server: GitHub
Markdown (bare URLs, strikethrough, tables, task lists) rendered safely,
@mention and #channel links with the viewer's own mentions standing out,
and Markdown never shown raw in search snippets, notifications or topics."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from authlib import PASSWORD, admin_token, api, make_user, uniq, unlock  # noqa: E402
from pxtest import run  # noqa: E402
from webcheck import Browser, check_page, location, words  # noqa: E402


def signed_in(name, password=PASSWORD):
    b = Browser()
    r = b.post("/login", {"username": name, "password": password, "next": "/"})
    assert location(r) == "/", r
    return b


def new_user():
    unlock()
    return make_user(admin_token(), prefix="r")


def channel(b):
    name = uniq("rt").lower().replace("_", "-")
    assert location(b.post("/channels/new", {"name": name})) == "/c/" + name
    cid = [a for t, a in b.page("/c/" + name).tags if t == "main"][0]["data-channel-id"]
    return name, cid


def post(tok, cid, body):
    r = api("POST", "/api/v1/channels/%s/messages" % cid, tok, {"body": body})
    assert r.status == 201, r
    return r.json()


def test_gfm_rendered_and_safe():
    name, tok, _ = new_user()
    b = signed_in(name)
    ch, cid = channel(b)
    m = post(tok, cid, "see https://example.org/a?b=1 ~~old~~ ~5 min\n\n"
                       "| k | v |\n| --- | --- |\n| x | y |\n\n- [x] done\n- [ ] todo\n\n"
                       "[ftp](ftp://e.org/f) <i>raw</i>")
    h = m["html"]
    assert '<a href="https://example.org/a?b=1">https://example.org/a?b=1</a>' in h, h
    assert "<del>old</del> ~5 min" in h, h
    assert "<table>" in h and "<td>y</td>" in h, h
    assert 'checked=""' in h and 'aria-label="task"' in h, h
    # script links and tags are refused by the firewall before this; the
    # renderer's own refusals are in tests/unit/check_markdown.c
    assert "ftp:" not in h and "<i>" not in h, h
    p = b.page("/c/" + ch)
    tags = p.tags
    assert ("del", {}) in tags
    assert any(t == "a" and a.get("href") == "https://example.org/a?b=1" for t, a in tags)
    assert not any(t == "i" for t, a in tags)


def test_mentions_and_channel_links():
    alice, atok, _ = new_user()
    bob, btok, _ = new_user()
    ba, bb = signed_in(alice), signed_in(bob)
    ch, cid = channel(ba)
    assert location(bb.post("/c/%s/join" % ch, {})) == "/c/" + ch
    m = post(atok, cid, "hi @%s and @%s, see #%s and `@%s`" % (bob.upper(), alice, ch, bob))
    h = m["html"]
    assert '<a class="mention" href="/u/%s">@%s</a>' % (bob.lower(), bob.upper()) in h, h
    assert '<a class="channel-ref" href="/c/%s">#%s</a>' % (ch, ch) in h, h
    assert "<code>@%s</code>" % bob in h, h
    # the API keeps the stored rendering; each viewer's page marks their own
    assert "mention-self" not in h

    def self_links(br):
        p = br.page("/c/" + ch)
        return [a["href"] for t, a in p.tags if t == "a" and "mention-self" in a.get("class", "")]
    assert self_links(bb) == ["/u/" + bob.lower()], self_links(bb)
    assert self_links(ba) == ["/u/" + alice.lower()], self_links(ba)
    # the mention was a real one: bob has a notification, marked there too
    p = bb.page("/notifications")
    assert any(t == "a" and "mention-self" in a.get("class", "") for t, a in p.tags), words(p)


def test_search_snippet_is_plain_words():
    name, tok, _ = new_user()
    b = signed_in(name)
    ch, cid = channel(b)
    tag = "snip" + uniq("q")[-6:]
    post(tok, cid, "**bold** ~~gone~~ [text](https://e.org/x) `code` %s\n\n> quoted & <i>raw</i>" % tag)
    r = api("GET", "/api/v1/search?q=" + urllib.parse.quote(tag), tok)
    assert r.status == 200, r
    snip = r.json()["results"][0]["snippet"]
    assert snip == "bold gone text code <mark>%s</mark> quoted &amp; raw" % tag, snip
    p = check_page(b.get("/search?q=" + tag))
    assert "bold gone text code %s quoted & raw" % tag in words(p), words(p)
    assert "**" not in words(p) and "](" not in words(p)


def test_topic_shown_without_markdown():
    name, tok, _ = new_user()
    b = signed_in(name)
    ch, cid = channel(b)
    r = api("PUT", "/api/v1/channels/%s/topic" % cid, tok,
            {"topic": "**Release** notes: [plan](https://e.org) <b>x</b>"})
    assert r.status in (200, 204), r
    p = b.page("/c/" + ch)
    assert "Release notes: plan x" in words(p), words(p)
    body = b.get("/c/" + ch).body.decode()
    assert '<p class="topic"><bdi>Release notes: plan x</bdi></p>' in body, body


def test_reaction_picker_without_javascript():
    name, tok, _ = new_user()
    b = signed_in(name)
    ch, cid = channel(b)
    m = post(tok, cid, "react to me")
    p = b.page("/c/" + ch)
    more = "/c/%s/m/%d/react" % (ch, m["id"])
    assert [a for t, a in p.tags if t == "a" and a.get("href") == more], "link to the picker"
    p = b.page(more)
    assert not [a for t, a in p.tags if t == "form" and a.get("action") == more
                and a.get("method") == "post"], "no choices before a search"
    p = b.page(more + "?q=red+heart")
    forms = [f for f in p.forms if f["attrs"].get("action") == more
             and f["attrs"].get("method") == "post"]
    emojis = [i.get("value") for f in forms for i in f["inputs"] if i.get("name") == "emoji"]
    assert "\u2764\ufe0f" in emojis, emojis
    r = b.post(more, {"emoji": "\u2764\ufe0f"})
    assert location(r).startswith("/c/" + ch), r
    r = api("GET", "/api/v1/channels/%s/messages/%d/reactions" % (cid, m["id"]), tok)
    assert [x["emoji"] for x in r.json()] == ["\u2764\ufe0f"], r.json()
    p = b.page(more + "?q=zzqqxx")
    assert "No emoji found" in words(p)
    assert b.get("/c/%s/m/%d/react?q=%s" % (ch, m["id"], "x" * 81)).status == 200


def test_shortcode_aliases():
    """The short names other chat tools taught people (":+1:", ":thumbsup:",
    ":tada:") become their emoji in messages and are found by the picker
    page; a name that is no alias stays text."""
    name, tok, _ = new_user()
    b = signed_in(name)
    ch, cid = channel(b)
    m = post(tok, cid, "yes :+1: :thumbsup: no :-1: :tada: kept :+2: `:+1:`")
    h = m["html"]
    assert "yes \U0001f44d \U0001f44d no \U0001f44e \U0001f389 kept :+2: <code>:+1:</code>" in h, h
    assert location(b.post("/c/%s/post" % ch, {"body": "form :heart: :+1:", "action": "send"})).startswith("/c/" + ch)
    assert "form \u2764\ufe0f \U0001f44d" in b.get("/c/" + ch).body.decode()
    more = "/c/%s/m/%d/react" % (ch, m["id"])
    for q, want in (("%2B1", "\U0001f44d"), ("thumbsdown", "\U0001f44e"), ("tada", "\U0001f389")):
        p = b.page(more + "?q=" + q)
        emojis = [i.get("value") for f in p.forms if f["attrs"].get("action") == more
                  for i in f["inputs"] if i.get("name") == "emoji"]
        assert emojis == [want], (q, emojis)


if __name__ == "__main__":
    run(globals())
