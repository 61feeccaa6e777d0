"""Finding people and channels, and what each account chooses, through the
real server as a browser without JavaScript uses it and over the API: the
channel browser (member counts, plain topics, join, leave, notification
level), per-channel levels respected by unread counts and notices, the
people search with direct messages, profiles (status, local time, the own
profile's form), and the default channel new accounts join."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from authlib import ADMIN_PASSWORD, PASSWORD, admin_token, api, invite, make_user, uniq, unlock  # noqa: E402
from pxtest import request, run  # noqa: E402
from webcheck import Browser, check_page, form_fields, location, words  # noqa: E402


def signed_in(name, password=PASSWORD):
    b = Browser()
    r = b.post("/login", {"username": name, "password": password, "next": "/"})
    assert location(r) == "/", r
    return b


def new_user():
    unlock()
    return make_user(admin_token(), prefix="p")


def public_channel(tok, topic=None):
    name = uniq("pc").lower().replace("_", "-")
    r = api("POST", "/api/v1/channels", tok, {"kind": "public", "name": name})
    assert r.status == 201, r
    cid = r.json()["id"]
    if topic:
        assert api("PUT", "/api/v1/channels/%d/topic" % cid, tok, {"topic": topic}).status == 200
    return name, cid


def channel_json(tok, cid):
    r = api("GET", "/api/v1/channels/%d" % cid, tok)
    assert r.status == 200, r
    return r.json()


def test_channel_browser_join_notify_leave():
    a, atok, _ = new_user()
    bname, btok, _ = new_user()
    ch, cid = public_channel(atok, "**Plans** for [the week](https://e.org)")
    b = signed_in(bname)
    p = b.page("/channels")
    text = words(p)
    assert "#" + ch in text and "Plans for the week" in text and "**" not in text, text
    assert "1 members" in text, text
    r = b.post("/c/%s/join" % ch, {})
    assert location(r) == "/c/" + ch, r
    p = b.page("/channels")
    assert form_fields(p, "/c/%s/leave" % ch) is not None
    assert form_fields(p, "/c/%s/notify" % ch)["from"] == "channels"
    r = b.post("/c/%s/notify" % ch, {"level": "mentions", "from": "channels"})
    assert location(r) == "/channels?done=saved", r
    assert channel_json(btok, cid)["notify"] == "mentions"
    p = b.page("/channels?done=saved")
    sel = [a for t, a in p.tags if t == "option" and "selected" in a]
    assert any(o.get("value") == "mentions" for o in sel), sel
    r = b.post("/c/%s/notify" % ch, {"level": "loud"})
    assert r.status == 400, (r, r.body[:300])
    r = b.post("/c/%s/leave" % ch, {})
    assert location(r) == "/channels?done=saved", r
    assert channel_json(atok, cid)["member_count"] == 1
    # a channel one is not in cannot be left or tuned
    r = b.post("/c/%s/leave" % ch, {})
    assert r.status == 403, r


def test_notify_levels_respected():
    a, atok, _ = new_user()
    bname, btok, bid = new_user()
    ch, cid = public_channel(atok)
    assert api("POST", "/api/v1/channels/%d/members" % cid, btok, {}).status == 201
    msgs = "/api/v1/channels/%d/messages" % cid

    def notes():
        r = api("GET", "/api/v1/notifications", btok)
        assert r.status == 200, r
        return [n for n in r.json()["notifications"] if n["channel_id"] == cid]

    assert api("POST", msgs, atok, {"body": "plain one"}).status == 201
    assert channel_json(btok, cid)["unread_count"] == 1
    assert api("PUT", "/api/v1/channels/%d/notify" % cid, btok, {"level": "mentions"}).status == 200
    j = channel_json(btok, cid)
    assert j["unread_count"] == 0 and j["notify"] == "mentions", j
    assert api("POST", msgs, atok, {"body": "hey @%s" % bname}).status == 201
    j = channel_json(btok, cid)
    assert j["unread_count"] == 0 and j["mention_count"] == 1, j
    assert len(notes()) == 1
    assert notes()[0]["channel_name"] == ch
    # the notifications page names the channel and links to it
    p = signed_in(bname).page("/notifications")
    assert [x for t, x in p.tags if t == "a" and x.get("href") == "/c/" + ch], words(p)
    assert "#" + ch in words(p).replace("# ", "#")
    assert api("PUT", "/api/v1/channels/%d/notify" % cid, btok, {"level": "none"}).status == 200
    assert api("POST", msgs, atok, {"body": "again @%s" % bname}).status == 201
    j = channel_json(btok, cid)
    assert j["unread_count"] == 0 and j["mention_count"] == 0, j
    assert len(notes()) == 1, "a muted channel sends no notice"
    assert api("PUT", "/api/v1/channels/%d/notify" % cid, btok, {"level": "all"}).status == 200
    assert channel_json(btok, cid)["unread_count"] == 3
    # the sidebar follows: no badge while muted
    assert api("PUT", "/api/v1/channels/%d/notify" % cid, btok, {"level": "none"}).status == 200
    p = signed_in(bname).page("/c/" + ch)
    link = [x for t, x in p.tags if t == "a" and x.get("data-channel-id") == str(cid)]
    assert link, "channel in the sidebar"


def test_people_search_dm_and_profile():
    a, atok, aid = new_user()
    bname, btok, _ = new_user()
    ba = signed_in(a)
    p = ba.page("/people?q=" + bname)
    assert bname in words(p)
    assert form_fields(p, "/channels/dm")["user"] == bname
    p = ba.page("/people?q=nobody-at-all-" + uniq("z"))
    assert "Nobody found." in words(p)
    # the profile of someone else: no form, a way to write to them
    p = ba.page("/u/" + bname)
    assert bname in words(p) and "Not set" in words(p), words(p)
    assert not [x for t, x in p.tags if t == "form" and x.get("action") == "/settings/status"]
    r = ba.post("/channels/dm", {"user": bname})
    dm = location(r)
    assert dm.startswith("/c/"), r
    p = ba.page("/u/" + bname)
    assert [x for t, x in p.tags if t == "a" and x.get("href") == dm], "open the existing DM"
    # one's own profile: status and time zone
    p = ba.page("/u/" + a)
    f = form_fields(p, "/settings/status")
    assert "status_text" in f and "time_zone" in f
    assert any(t == "option" and x.get("value") is None for t, x in p.tags)
    r = ba.post("/settings/status", {"status_text": "In a meeting", "time_zone": "Asia/Tokyo"})
    assert location(r) == "/u/%s?done=saved" % a, r
    p = signed_in(bname).page("/u/" + a)
    text = words(p)
    assert "In a meeting" in text and "Asia/Tokyo" in text and "UTC+09:00" in text, text
    r = ba.post("/settings/status", {"status_text": "x", "time_zone": "Nowhere/Land"})
    p = check_page(r, 400)
    assert [x for t, x in p.tags if t == "p" and x.get("class") == "error"], words(p)
    assert check_page(ba.get("/u/no-such-" + uniq("u")), 404)
    # a mention links to the profile
    ch, cid = public_channel(atok)
    r = api("POST", "/api/v1/channels/%d/messages" % cid, atok, {"body": "hi @" + bname})
    assert 'href="/u/%s"' % bname.lower() in r.json()["html"]
    assert ba.get("/u/" + bname.lower()).status == 200


def test_default_channel_for_new_accounts():
    unlock()
    adm = admin_token()
    owner, otok, _ = new_user()
    ch, cid = public_channel(otok)
    b = signed_in("admin", ADMIN_PASSWORD)
    p = b.page("/admin/settings")
    assert any(t == "option" and x.get("value") == ch for t, x in p.tags)
    r = b.post("/admin/settings", {"default_channel": ch})
    assert location(r) == "/admin/settings?done=saved", r
    try:
        assert api("GET", "/api/v1/admin/settings", adm).json() == {"default_channel": ch}
        # by the API and by the web form alike
        name, tok, uid = make_user(adm, prefix="dflt")
        mine = api("GET", "/api/v1/channels", tok).json()
        assert [c["name"] for c in mine if c["kind"] == "public"] == [ch], mine
        code = invite(adm)
        w = Browser()
        wname = uniq("dfw")
        r = w.post("/register", {"invite": code, "username": wname, "display_name": "",
                                 "password": PASSWORD})
        assert location(r) == "/", r
        p = w.page("/")
        assert ch in words(p), words(p)
        r = b.post("/admin/settings", {"default_channel": "no-such-" + uniq("c").lower()})
        assert r.status == 404, r
        assert check_page(r, 404)
    finally:
        r = b.post("/admin/settings", {"default_channel": ""})
        assert location(r) == "/admin/settings?done=saved", r
    name, tok, uid = make_user(adm, prefix="dfln")
    assert not [c for c in api("GET", "/api/v1/channels", tok).json() if c["kind"] == "public"]
    # members may not change it
    assert request("PUT", "/api/v1/admin/settings", json_body={"default_channel": ""},
                   headers={"Authorization": "Bearer " + otok}).status == 403


if __name__ == "__main__":
    run(globals())
