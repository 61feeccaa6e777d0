"""test_link_previews: link previews (unfurling) against a real HTTP server
on loopback serving pages. The server listens on 127.0.0.2, which the test
configuration allows (outbound_allow_private, scripts/test.sh); a second
one on 127.0.0.3 is not allowed, so a redirect there must be refused
without it ever being asked. Cases: Open Graph tags (the preview appears
in the API, in a live message.updated event and, escaped, on the channel
page), a bare <title>, no tags, a page over link_preview_max_bytes, a page
slower than link_preview_timeout_ms, a non-HTML answer, http images
dropped, the author removing a preview, the poster saying "no preview"
(or "no image") when posting through the API, the composer and an
incoming webhook, edits, and the channel and instance switches."""
import http.server
import json
import os
import re
import threading
import time

import pxtest
from pxtest import expect_error, wait_for
from authlib import psql
from hooklib import free_port
from msglib import PASSWORD, SSE, User, channel, post
from webcheck import Browser, location

OWNER = User("lp")
MEMBER = User("lpm")
CH = channel(OWNER, members=[MEMBER])
CID = CH["id"]


def public_url():
    with open(os.environ["PX_CONFIG"]) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "public_url":
                return v.strip().rstrip("/")
    return "http://127.0.0.1:8080"


SELF_IMAGE = public_url() + "/static/icons/icon-192.png"
OG = ("<!doctype html><html><head><meta charset=utf-8>"
      "<meta property='og:title' content='Fish &amp; &lt;b&gt;Chips&lt;/b&gt; %(tag)s'>"
      "<meta property='og:description' content='A \"quoted\" <script>alert(1)</script> page'>"
      "<meta property='og:image' content='%(image)s'>"
      "<meta property='og:site_name' content='Chippy'><title>ignored</title></head>"
      "<body><p>hello</p></body></html>")


class Pages:
    """Serves the test pages and records the paths asked for."""

    def __init__(self, host):
        self.host = host
        self.port = free_port(host)
        self.hits = []
        self.cut = []          # paths whose answer the client stopped reading
        self.redirect_to = None
        pages = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, ctype, body, extra=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:     # the slow page: PlexiChat gave up first
                    pages.cut.append(self.path)

            def do_GET(self):
                path = self.path
                pages.hits.append(path)
                kind = path.split("/")[1]
                html = "text/html; charset=utf-8"
                if kind == "og":
                    self.send(200, html, (OG % {"tag": path, "image":
                                                "https://cdn.example.org/p.png"}).encode())
                elif kind == "selfimg":
                    self.send(200, html, (OG % {"tag": path, "image": SELF_IMAGE}).encode())
                elif kind == "httpimg":
                    self.send(200, html, (OG % {"tag": path, "image":
                                                "http://cdn.example.org/p.png"}).encode())
                elif kind == "title":
                    self.send(200, html, b"<html><head><title>Just a title</title></head></html>")
                elif kind == "notags":
                    self.send(200, html, b"<html><body><p>nothing here</p></body></html>")
                elif kind == "json":
                    self.send(200, "application/json",
                              json.dumps({"html": OG % {"tag": "", "image": ""}}).encode())
                elif kind == "slow":
                    time.sleep(5)
                    self.send(200, html, (OG % {"tag": path, "image": ""}).encode())
                elif kind == "huge":
                    head = (OG % {"tag": path, "image": ""}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", html)
                    self.end_headers()   # no length: read until the server gives up
                    try:
                        self.wfile.write(head)
                        for _ in range(4096):   # 256 MiB at most
                            self.wfile.write(b"<p>" + b"x" * 65530 + b"</p>")
                    except OSError:
                        pages.cut.append(path)
                    self.close_connection = True
                elif kind == "redirect":
                    self.send(302, "text/html", b"", [("Location", pages.redirect_to + path)])
                else:
                    self.send(404, "text/plain", b"no")

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((host, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)


PAGES = Pages("127.0.0.2")
PRIVATE = Pages("127.0.0.3")    # not in outbound_allow_private
PAGES.redirect_to = PRIVATE.url("")
RUN = "%s%d" % (pxtest.SERVER[:3], int(time.time() * 1000) % 10**8)


def msg(mid, user=OWNER):
    return user.ok("GET", "/api/v1/channels/%d/messages/%d" % (CID, mid))


def job(mid):
    """(state, last_error) of the message's latest unfurl job, once run."""
    out = {}

    def done():
        row = psql("SELECT state || '|' || coalesce(last_error, '') FROM hook_deliveries"
                   " WHERE kind = 'unfurl' AND (body::json->>'message_id')::bigint = %d"
                   " ORDER BY id DESC LIMIT 1" % mid)
        if row and not row.startswith("pending"):
            out["v"] = row.split("|", 1)
            return True
        return False
    assert wait_for(done, 20), "unfurl job of %d did not run" % mid
    return tuple(out["v"])


def with_link(path, text="look at %s please"):
    return post(MEMBER, CID, text % PAGES.url(path))


def test_open_graph_preview_event_and_page():
    path = "/og/%s" % RUN
    sse = SSE(OWNER)
    sse.ready()
    m = with_link(path)
    assert m.get("preview") is None, m
    _, kind, ev = sse.until(lambda e: e[1] == "message.updated"
                            and e[2]["data"]["id"] == m["id"])
    sse.close()
    p = ev["data"]["preview"]
    assert p == {"url": PAGES.url(path), "title": "Fish & <b>Chips</b> " + path,
                 "description": 'A "quoted" <script>alert(1)</script> page',
                 "image": "https://cdn.example.org/p.png", "site_name": "Chippy"}, p
    assert msg(m["id"])["preview"] == p
    # the page lists it as a card, every field escaped; the third-party
    # image is not shown (the CSP allows images from the site only)
    b = Browser()
    assert location(b.post("/login", {"username": MEMBER.name, "password": PASSWORD,
                                      "next": "/"})) == "/"
    b.page("/c/" + CH["name"])  # a valid page (webcheck)
    html = b.get("/c/" + CH["name"]).body.decode()
    card = re.search(r'<div class="link-preview"><a href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
    assert card, html[-3000:]
    assert card.group(1) == PAGES.url(path), card.group(0)
    assert "Fish &amp; &lt;b&gt;Chips&lt;/b&gt;" in card.group(2), card.group(0)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card.group(2), card.group(0)
    assert "<script>" not in card.group(2) and "<img" not in card.group(2), card.group(0)
    assert ">Chippy<" in card.group(2), card.group(0)
    # the author may remove it from the page: a form posting to the web route
    action = "/c/%s/m/%d/preview/delete" % (CH["name"], m["id"])
    assert 'action="%s"' % action in html, html[card.start():card.start() + 1500]
    other = Browser()
    assert location(other.post("/login", {"username": OWNER.name, "password": PASSWORD,
                                          "next": "/"})) == "/"
    assert 'action="%s"' % action not in other.get("/c/" + CH["name"]).body.decode()
    # a second message with the same link is served from the cache
    hits = PAGES.hits.count(path)
    again = with_link(path, "again: %s")
    assert wait_for(lambda: msg(again["id"]).get("preview") == p, 20)
    assert job(again["id"]) == ("delivered", "cached")
    assert PAGES.hits.count(path) == hits
    # the author's button removes the first preview; back to the message
    r = b.post(action, {})     # with a csrf_token, as the form sends it
    assert location(r).startswith("/c/%s" % CH["name"]), r
    assert msg(m["id"]).get("preview") is None and msg(again["id"])["preview"] == p


def test_same_origin_image_shown_http_image_dropped():
    m = with_link("/selfimg/%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)
    assert msg(m["id"])["preview"]["image"] == SELF_IMAGE
    b = Browser()
    assert location(b.post("/login", {"username": OWNER.name, "password": PASSWORD,
                                      "next": "/"})) == "/"
    html = b.get("/c/" + CH["name"]).body.decode()
    assert '<img src="%s" alt=""' % SELF_IMAGE in html, html[-2000:]
    m = with_link("/httpimg/%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)
    p = msg(m["id"])["preview"]
    assert p["image"] is None and p["title"].startswith("Fish"), p


def test_title_only_and_pages_without_preview():
    m = with_link("/title/%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)
    assert msg(m["id"])["preview"] == {"url": PAGES.url("/title/%s" % RUN),
                                       "title": "Just a title", "description": None,
                                       "image": None, "site_name": None}
    cases = [("/notags/", "nothing to show"), ("/json/", "not HTML"),
             ("/huge/", "too_large"), ("/slow/", "timeout"), ("/missing/", "status 404")]
    started = time.time()
    posted = [(with_link(p + RUN), p, why) for p, why in cases]
    for m, p, why in posted:
        state, err = job(m["id"])
        assert state == "delivered" and why in err, (p, state, err)
        assert msg(m["id"]).get("preview") is None, p
    # the slow page was given up at link_preview_timeout_ms (2 s), not waited for
    assert time.time() - started < 15
    assert wait_for(lambda: "/huge/" + RUN in PAGES.cut, 10), "huge page read to the end"


def test_redirect_to_private_address_refused():
    m = with_link("/redirect/%s" % RUN)
    state, err = job(m["id"])
    assert "refused" in err, err
    assert msg(m["id"]).get("preview") is None
    assert PAGES.hits.count("/redirect/" + RUN) == 1
    assert PRIVATE.hits == [], PRIVATE.hits
    # and a link straight to a private address is never fetched
    m = post(MEMBER, CID, "direct %s" % PRIVATE.url("/og/direct"))
    state, err = job(m["id"])
    assert "refused" in err, err
    assert PRIVATE.hits == [], PRIVATE.hits


def test_no_link_no_job_and_code_is_no_link():
    m = post(MEMBER, CID, "no link here, only a://b in text")
    state, err = job(m["id"])
    assert err == "no link", err
    m = post(MEMBER, CID, "`%s` in code" % PAGES.url("/og/code" + RUN))
    state, err = job(m["id"])
    assert err == "no link" and "/og/code" + RUN not in PAGES.hits, err
    m = post(MEMBER, CID, "nothing at all")
    assert psql("SELECT count(*) FROM hook_deliveries WHERE kind = 'unfurl' AND"
                " (body::json->>'message_id')::bigint = %d" % m["id"]) == "0"


def test_author_removes_preview():
    m = with_link("/og/remove-%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)
    url = "/api/v1/channels/%d/messages/%d/preview" % (CID, m["id"])
    expect_error(OWNER.call("DELETE", url), 403, "AUTH_NOT_AUTHOR")
    assert msg(m["id"])["preview"]
    sse = SSE(OWNER)
    sse.ready()
    out = MEMBER.ok("DELETE", url)
    assert out["id"] == m["id"] and out["preview"] is None, out
    _, _, ev = sse.until(lambda e: e[1] == "message.updated" and e[2]["data"]["id"] == m["id"])
    sse.close()
    assert ev["data"]["preview"] is None
    # an edit with a new link does not bring a preview back
    MEMBER.ok("PATCH", "/api/v1/channels/%d/messages/%d" % (CID, m["id"]),
              {"body": "now %s" % PAGES.url("/og/after-edit-" + RUN)})
    time.sleep(2)
    assert msg(m["id"]).get("preview") is None
    assert "/og/after-edit-" + RUN not in PAGES.hits
    expect_error(MEMBER.call("DELETE", "/api/v1/channels/%d/messages/999999999/preview" % CID),
                 404, "VALIDATION_NOT_FOUND")


def jobs_of(mid):
    return psql("SELECT count(*) FROM hook_deliveries WHERE kind = 'unfurl' AND"
                " (body::json->>'message_id')::bigint = %d" % mid)


def by_body(text):
    return int(psql("SELECT id FROM messages WHERE channel_id = %d AND body = '%s'"
                    % (CID, text.replace("'", "''"))))


def test_poster_says_no_preview():
    """unfurl_links: false (API, composer box, incoming webhook) queues no
    job and fetches nothing; unfurl_media: false gives a preview without
    its image; a later control message's job shows the worker ran."""
    api_path, web_path, hook_path = ("/og/optout-%s-%s" % (w, RUN) for w in ("api", "web", "hook"))
    m = post(MEMBER, CID, "quiet %s" % PAGES.url(api_path), unfurl_links=False)
    assert m.get("preview") is None and jobs_of(m["id"]) == "0", m
    expect_error(MEMBER.call("POST", "/api/v1/channels/%d/messages" % CID,
                             {"body": "x", "unfurl_links": "maybe"}), 400,
                 "VALIDATION_FIELD_TYPE")
    # the composer's box, without JavaScript: a plain form post
    b = Browser()
    assert location(b.post("/login", {"username": MEMBER.name, "password": PASSWORD,
                                      "next": "/"})) == "/"
    page = b.get("/c/" + CH["name"]).body.decode()
    assert re.search(r'<input type="checkbox" name="unfurl_links" value="off"> No link preview',
                     page), page[-3000:]
    b.lang = "de"
    assert '<input type="checkbox" name="unfurl_links" value="off"> Keine Linkvorschau' in \
        b.get("/c/" + CH["name"]).body.decode()
    b.lang = "en"
    text = "from the page %s" % PAGES.url(web_path)
    r = b.post("/c/%s/post" % CH["name"], {"body": text, "unfurl_links": "off",
                                            "action": "send"})
    assert location(r).startswith("/c/%s#m" % CH["name"]), r
    assert jobs_of(by_body(text)) == "0"
    # an incoming webhook's Slack payload
    hook = OWNER.ok("POST", "/api/v1/channels/%d/hooks/incoming" % CID, {"name": "quiet"})
    hpath = "/" + hook["url"].split("/", 3)[3]
    text = "hook says %s" % PAGES.url(hook_path)
    r = pxtest.request("POST", hpath, json_body={"text": text, "unfurl_links": False})
    assert r.status == 200, r
    assert jobs_of(by_body(text)) == "0"
    media = "/og/nomedia-%s" % RUN
    r = pxtest.request("POST", hpath, json_body={"text": "pic %s" % PAGES.url(media),
                                                 "unfurl_media": False})
    assert r.status == 200, r
    hm = by_body("pic %s" % PAGES.url(media))
    assert wait_for(lambda: msg(hm).get("preview"), 20)
    assert msg(hm)["preview"]["image"] is None and msg(hm)["preview"]["title"].startswith("Fish")
    m2 = post(MEMBER, CID, "api pic %s" % PAGES.url(media + "-api"), unfurl_media=False)
    assert wait_for(lambda: msg(m2["id"]).get("preview"), 20)
    assert msg(m2["id"])["preview"]["image"] is None
    # the same page without the choice has its image: the worker is not the reason
    m3 = with_link(media + "-control")
    assert wait_for(lambda: msg(m3["id"]).get("preview"), 20)
    assert msg(m3["id"])["preview"]["image"] == "https://cdn.example.org/p.png"
    for path in (api_path, web_path, hook_path):
        assert path not in PAGES.hits, (path, PAGES.hits)
    # and an edit does not bring a preview to a message posted without one
    MEMBER.ok("PATCH", "/api/v1/channels/%d/messages/%d" % (CID, m["id"]),
              {"body": "still quiet %s" % PAGES.url(api_path + "-edit")})
    assert jobs_of(m["id"]) == "0"


def test_edit_replaces_or_clears_preview():
    m = with_link("/og/edit1-%s" % RUN)
    assert wait_for(lambda: (msg(m["id"]).get("preview") or {}).get("url", "").endswith(
        "edit1-" + RUN), 20)
    MEMBER.ok("PATCH", "/api/v1/channels/%d/messages/%d" % (CID, m["id"]),
              {"body": "changed to %s" % PAGES.url("/title/edit2-" + RUN)})
    assert wait_for(lambda: msg(m["id"])["preview"]["title"] == "Just a title", 20)
    MEMBER.ok("PATCH", "/api/v1/channels/%d/messages/%d" % (CID, m["id"]),
              {"body": "no link any more"})
    assert wait_for(lambda: msg(m["id"]).get("preview") is None, 20)
    # a deleted message loses its preview with its text
    d = with_link("/og/del-%s" % RUN)
    assert wait_for(lambda: msg(d["id"]).get("preview"), 20)
    MEMBER.ok("DELETE", "/api/v1/channels/%d/messages/%d" % (CID, d["id"]))
    assert msg(d["id"]).get("preview") is None


def test_channel_switch():
    url = "/api/v1/channels/%d/link-previews" % CID
    assert MEMBER.ok("GET", url) == {"channel_id": CID, "enabled": True}
    expect_error(MEMBER.call("PUT", url, {"enabled": False}), 403, "AUTH_FORBIDDEN")
    expect_error(OWNER.call("PUT", url, {"enabled": "no"}), 400, "VALIDATION_FIELD_TYPE")
    expect_error(OWNER.call("PUT", url, {}), 400, "VALIDATION_MISSING_FIELD")
    outsider = User("lpo")
    expect_error(outsider.call("GET", "/api/v1/channels/%d/link-previews"
                               % channel(OWNER, kind="private")["id"]), 404,
                 "VALIDATION_NOT_FOUND")
    try:
        assert OWNER.ok("PUT", url, {"enabled": False}) == {"channel_id": CID, "enabled": False}
        m = with_link("/og/off-%s" % RUN)
        time.sleep(2)
        assert msg(m["id"]).get("preview") is None
        assert "/og/off-" + RUN not in PAGES.hits
    finally:
        OWNER.ok("PUT", url, {"enabled": True})
    m = with_link("/og/on-%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)


def test_stale_cache_entries_dropped():
    stale = "http://stale.example/%s" % RUN
    psql("INSERT INTO link_preview_cache (url, preview, fetched_at) VALUES"
         " ('%s', NULL, now() - interval '40 days')" % stale)
    m = with_link("/title/prune-%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)
    assert psql("SELECT count(*) FROM link_preview_cache WHERE url = '%s'" % stale) == "0"
    assert psql("SELECT count(*) FROM link_preview_cache WHERE url = '%s'"
                % PAGES.url("/title/prune-" + RUN)) == "1"


def test_instance_switch():
    """link_previews = off (read live, as MailServer's changes are) stops
    every channel's previews; the job says why and fetches nothing."""
    conf = os.environ["PX_CONFIG"]
    orig = open(conf).read()
    try:
        with open(conf, "a") as f:
            f.write("link_previews = off\n")
        time.sleep(2.5)        # each process looks at the file once a second
        for _ in range(4):
            OWNER.ok("GET", "/api/v1/channels/%d" % CID)
        m = with_link("/og/instance-off-%s" % RUN)
        state, err = job(m["id"])
        assert err == "previews off", err
        assert msg(m["id"]).get("preview") is None
        assert "/og/instance-off-" + RUN not in PAGES.hits
    finally:
        with open(conf, "w") as f:
            f.write(orig)
        time.sleep(2.5)
        for _ in range(4):
            OWNER.ok("GET", "/api/v1/channels/%d" % CID)
    m = with_link("/og/instance-on-%s" % RUN)
    assert wait_for(lambda: msg(m["id"]).get("preview"), 20)


if __name__ == "__main__":
    pxtest.run(globals())
