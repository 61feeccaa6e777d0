"""The chat view of issue 16, as the server draws it (no JavaScript): a
channel with more unread messages than a page opens at the first unread
one with a "New messages" line; one author's messages are grouped and days
separated; the member list counts in SQL with the viewer online; the pinned
panel; themes stored per account and drawn by the server; registration
errors naming their field; the shortcuts page; German "Unpin"."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from authlib import PASSWORD, admin_token, invite, make_user, unlock  # noqa: E402
from pxtest import request, run  # noqa: E402
from webcheck import Browser, check_page, location, words  # noqa: E402


def signed_in(name, lang="en"):
    b = Browser(lang)
    r = b.post("/login", {"username": name, "password": PASSWORD, "next": "/"})
    assert location(r) == "/", r
    return b


def user():
    unlock()
    name, tok, uid = make_user(admin_token(), prefix="cv", role="member")
    return name, tok, uid


def api(method, path, tok, body=None):
    r = request(method, path, json_body=body, headers={"Authorization": "Bearer " + tok})
    assert r.status in (200, 201, 204), (method, path, r)
    return r.json() if r.body else None


def channel_with(tok_a, uid_b, tok_b):
    ch = api("POST", "/api/v1/channels", tok_a, {"kind": "public", "name": "cv-" + os.urandom(3).hex()})
    api("POST", "/api/v1/channels/%d/members" % ch["id"], tok_b, {"user_id": uid_b})
    return ch


def ids_of(body):
    return [int(x) for x in re.findall(r'<li class="msg[^"]*" id="m(\d+)"', body)]


def test_page_opens_at_first_unread_when_more_than_a_page():
    a, ta, ua = user()
    b, tb, ub = user()
    ch = channel_with(ta, ub, tb)
    m0 = api("POST", "/api/v1/channels/%d/messages" % ch["id"], ta, {"body": "before"})
    api("PUT", "/api/v1/channels/%d/read-marker" % ch["id"], ta, {"message_id": m0["id"]})
    posted = [api("POST", "/api/v1/channels/%d/messages" % ch["id"], tb, {"body": "n%d" % i})["id"]
              for i in range(55)]
    br = signed_in(a)
    r = br.get("/c/" + ch["name"])
    page = r.body.decode()
    check_page(r)
    shown = ids_of(page)
    assert shown[0] == posted[0] and len(shown) == 50, (shown[:3], posted[:3])
    assert page.count('id="unread-line"') == 1
    assert re.search(r'id="m%d"[^>]*>\s*(<h2 class="day">.*?</h2>\s*)?<p class="unread-line"' % posted[0], page, re.S)
    assert 'id="newer"' in page and "data-at-latest" not in page
    # the sidebar counts what is left unread
    assert re.search(r'data-channel-id="%d"[^>]*>.*?data-badge>5<' % ch["id"], page, re.S), "badge"
    # the marker moved to the last shown: the next opening starts after it
    page2 = br.get("/c/" + ch["name"]).body.decode()
    assert ids_of(page2)[-1] == posted[-1]
    assert 'id="unread-line"' in page2 and "data-at-latest" in page2


def test_few_unread_show_the_latest_page_with_the_line():
    a, ta, ua = user()
    b, tb, ub = user()
    ch = channel_with(ta, ub, tb)
    m0 = api("POST", "/api/v1/channels/%d/messages" % ch["id"], ta, {"body": "mine"})
    api("PUT", "/api/v1/channels/%d/read-marker" % ch["id"], ta, {"message_id": m0["id"]})
    first = api("POST", "/api/v1/channels/%d/messages" % ch["id"], tb, {"body": "one"})["id"]
    api("POST", "/api/v1/channels/%d/messages" % ch["id"], tb, {"body": "two"})
    page = signed_in(a).get("/c/" + ch["name"]).body.decode()
    li = re.search(r'<li class="(msg[^"]*)" id="m%d".*?</li>' % first, page, re.S)
    assert li and 'class="unread-line"' in li.group(0), page[:2000]
    # "two" follows "one" by the same author: grouped, no second avatar
    two = re.search(r'<li class="(msg[^"]*)" id="m%d"' % (first + 1), page)
    assert two and "grouped" in two.group(1), two
    # a day separator on the first message of the page
    assert page.count('<h2 class="day">') == 1


def test_member_counts_come_from_sql_with_the_viewer_online():
    a, ta, ua = user()
    b, tb, ub = user()
    ch = channel_with(ta, ub, tb)
    p = check_page(signed_in(a).get("/c/" + ch["name"]))
    w = words(p)
    assert "2 members" in w, w
    page = signed_in(a).get("/c/" + ch["name"]).body.decode()
    me = re.search(r'class="presence( on)?" data-presence="%d"' % ua, page)
    assert me and me.group(1) == " on", "the viewer is shown offline"
    online = int(re.search(r"<span data-online-count>(\d+)</span>", page).group(1))
    dots = len(re.findall(r'class="presence on" data-presence=', page))
    assert online == dots, (online, dots)


def test_pinned_panel_lists_pins():
    a, ta, ua = user()
    b, tb, ub = user()
    ch = channel_with(ta, ub, tb)
    m = api("POST", "/api/v1/channels/%d/messages" % ch["id"], ta, {"body": "pin me please"})
    r = request("PUT", "/api/v1/channels/%d/messages/%d/pin" % (ch["id"], m["id"]),
                headers={"Authorization": "Bearer " + ta})
    assert r.status in (200, 201, 204), r
    page = signed_in(a).get("/c/" + ch["name"]).body.decode()
    pins = re.search(r'<details class="pins panel">.*?</details>', page, re.S).group(0)
    assert "(1)" in pins and "pin me please" in pins and "?after=%d#m%d" % (m["id"] - 1, m["id"]) in pins


def test_theme_is_stored_and_drawn_by_the_server():
    a, ta, ua = user()
    br = signed_in(a)
    assert "data-theme" not in br.get("/settings").body.decode()
    r = br.post("/settings/theme", {"theme": "contrast"})
    assert location(r) == "/settings?done=saved", r
    assert 'data-theme="contrast"' in br.get("/").body.decode()
    # stored per account: a fresh sign-in elsewhere gets it back
    br2 = signed_in(a)
    assert br2.cookies.get("px_theme") == "contrast", br2.cookies
    assert 'data-theme="contrast"' in br2.get("/").body.decode()
    # anything unknown means "follow the system"
    r = br.post("/settings/theme", {"theme": "purple"})
    assert location(r) == "/settings?done=saved", r
    assert "data-theme" not in br.get("/").body.decode()
    assert "data-theme" not in signed_in(a).get("/").body.decode()


def test_registration_error_names_its_field():
    unlock()
    code = invite(admin_token())
    b = Browser()
    r = b.post("/register", {"invite": code, "username": "admin", "password": PASSWORD})
    assert r.status in (400, 409), r
    page = r.body.decode()
    err = re.search(r'<p class="error" role="alert" id="reg-error">(.*?)</p>', page).group(1)
    assert err.startswith("Username: "), err
    tag = re.search(r'<input id="username"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag and "reg-error" in tag, tag
    assert 'aria-invalid' not in re.search(r'<input id="password"[^>]*>', page).group(0)
    # the rules shown match auth/ident.h: 3 to 32 characters
    assert 'minlength="3"' in tag and "{1,30}" in tag and "3 to 32" in page


def test_shortcuts_page_and_german_words():
    a, ta, ua = user()
    p = check_page(signed_in(a).get("/help/keys"))
    assert "Ctrl" in words(p) and "Keyboard shortcuts" in words(p)
    de = signed_in(a, "de")
    home = words(check_page(de.get("/")))
    assert "links" not in home and "Kanalliste" in home, home
    b, tb, ub = user()
    ch = channel_with(ta, ub, tb)
    m = api("POST", "/api/v1/channels/%d/messages" % ch["id"], ta, {"body": "x"})
    request("PUT", "/api/v1/channels/%d/messages/%d/pin" % (ch["id"], m["id"]),
            headers={"Authorization": "Bearer " + ta})
    page = de.get("/c/" + ch["name"]).body.decode()
    assert "Nicht mehr anheften" in page and "Lösen" not in page


if __name__ == "__main__":
    run(globals())
