"""Compressed pages: a channel page of 50 messages asked for 50 times with
Chromium's Accept-Encoding and 50 times with gzip only comes back compressed
every time, through whichever web server runs the test (issue 16: lighttpd's
mod_deflate skipped responses still streaming in from plexichat.fcgi, and
Apache had no compression at all). Static files too, as a control."""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from msglib import PASSWORD, User, channel, post  # noqa: E402
from pxtest import run  # noqa: E402
from webcheck import Browser, location  # noqa: E402

CHROMIUM = "gzip, deflate, br, zstd"
ROUNDS = 50


def signed_in_channel():
    u = User("cz")
    ch = channel(u)
    # about the size of the page that was measured (tens of KB of HTML)
    for i in range(50):
        post(u, ch["id"], "Message %d of the compression test: **bold**, `code` and a link "
             "https://example.org/%d to make the page a realistic size." % (i, i))
    b = Browser()
    r = b.post("/login", {"username": u.name, "password": PASSWORD, "next": "/"})
    assert location(r) == "/", r
    return b, "/c/" + ch.get("slug", ch["name"])


def fetch(b, path, encoding):
    return b.send("GET", path, headers={"Accept-Encoding": encoding})


def test_channel_page_is_compressed_every_time():
    b, path = signed_in_channel()
    plain = b.send("GET", path, headers={"Accept-Encoding": "identity"})
    assert plain.status == 200, plain
    assert "content-encoding" not in plain.headers, plain.headers
    assert len(plain.body) > 20000, len(plain.body)
    misses = []
    for enc, allowed in ((CHROMIUM, ("br", "gzip", "deflate", "zstd")), ("gzip", ("gzip",))):
        for i in range(ROUNDS):
            r = fetch(b, path, enc)
            assert r.status == 200, r
            ce = r.headers.get("content-encoding", "")
            if ce not in allowed:
                misses.append("%s #%d: %r, %d bytes" % (enc, i, ce, len(r.body)))
                continue
            assert len(r.body) < len(plain.body) // 3, (enc, ce, len(r.body))
            assert "accept-encoding" in r.headers.get("vary", "").lower(), r.headers
            if ce == "gzip":
                html = gzip.decompress(r.body).decode("utf-8")
                assert html.rstrip().endswith("</html>"), html[-200:]
    assert not misses, "%d of %d answers uncompressed:\n%s" % (len(misses), 2 * ROUNDS, "\n".join(misses))


def test_event_stream_is_not_held_back():
    # the events stream stays streamed (not buffered for compression): the
    # first frame comes before the request ends
    u = User("cs")
    import http.client
    import urllib.parse
    import pxtest
    p = urllib.parse.urlsplit(pxtest.BASE)
    conn = http.client.HTTPConnection(p.hostname, p.port, timeout=10)
    conn.request("GET", "/api/v1/events", headers={"Authorization": "Bearer " + u.token,
                                                   "Accept": "text/event-stream",
                                                   "Accept-Encoding": CHROMIUM})
    r = conn.getresponse()
    assert r.status == 200, r.status
    assert r.getheader("Content-Type", "").startswith("text/event-stream")
    assert not r.getheader("Content-Encoding"), r.getheaders()
    line = r.fp.readline()
    assert line, "no first line from the stream"
    conn.close()


def test_static_files_are_compressed():
    b = Browser()
    import re
    page = b.get("/login").body.decode()
    css = re.search(r'href="(/static/[^"]+\.css[^"]*)"', page).group(1)
    for _ in range(10):
        r = b.send("GET", css, headers={"Accept-Encoding": "gzip"})
        assert r.status == 200 and r.headers.get("content-encoding") == "gzip", r.headers


if __name__ == "__main__":
    run(globals())
