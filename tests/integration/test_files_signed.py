"""test_files_signed: signed download URLs (docs/FILES.md). A file's
metadata carries URLs signed with files_url_key that work without a
session: behind lighttpd its mod_magnet script (plexichat-signed.lua)
checks them and the static file handler sends the object, so they never
reach plexichat.fcgi; behind Apache PlexiChat's route of the same path
makes the same check. Either way: the same headers as the authorised
routes (an image, its thumbnail, an active type as an attachment), Range
and If-None-Match, and a refusal in the central error format for a changed
MAC, file, object, type or disposition (403) and after the expiry (410),
naming no path. A member removed from the channel gets no fresh URL."""
import base64
import email.utils
import hashlib
import hmac
import os
import time
import urllib.parse

import pxtest
from imagelib import png
from msglib import User, channel
from pxtest import expect_error, request

alice = User("salice")
bob = User("sbob")
WORK = os.environ.get("PX_WORK", "")
# headers that differ between any two answers, or name the server
PER_ANSWER = {"date", "x-request-id", "server", "connection", "keep-alive"}
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


def key():
    with open(os.path.join(WORK, "files-url.key")) as f:
        return f.readline().strip()


def b64(s):
    return base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def signed(fid, o, m, e, t, d, k=None):
    """A URL made as handlers/files_sign.h describes it (t and d base64url)."""
    msg = "\n".join(["px-file-url:v1", str(fid), o, str(m), str(e), t, d])
    s = hmac.new((k or key()).encode(), msg.encode(), hashlib.sha256).hexdigest()
    return "/api/v1/files/%d/signed?%s" % (fid, urllib.parse.urlencode(
        {"o": o, "m": m, "e": e, "t": t, "d": d, "s": s}))


def upload(user, name, data, ctype, cid):
    r = user.call("PUT", "/api/v1/files?name=%s&channel_id=%d" % (name, cid),
                  headers={"Content-Type": ctype}, raw=data)
    assert r.status == 201, r
    return r.json()


def same_answer(a, b):
    """Status, body and every header but the per-answer ones agree."""
    assert a.status == b.status, (a, b)
    assert a.body == b.body
    ha = {k: v for k, v in a.headers.items() if k not in PER_ANSWER}
    hb = {k: v for k, v in b.headers.items() if k not in PER_ANSWER}
    assert ha == hb, (ha, hb)


def no_session(url, headers=None):
    return request("GET", url, headers=headers)


def test_image_and_thumbnails_as_the_authorised_routes():
    c = channel(alice)
    f = upload(alice, "pic.png", png(64, 48, seed=b"signed"), "image/png", c["id"])
    meta = alice.ok("GET", "/api/v1/files/%d" % f["id"])
    s = meta["signed"]
    assert abs(s["expires_at"] - (time.time() + 300)) < 30, s
    for name, route in (("url", "/content"), ("download_url", "/content?download=1"),
                        ("thumbnail_url", "/thumbnail"),
                        ("preview_url", "/thumbnail?size=preview")):
        assert s[name].startswith("/api/v1/files/%d/signed?" % f["id"]), s
        got = no_session(s[name])
        assert got.status == 200, (name, got)
        same_answer(got, alice.call("GET", "/api/v1/files/%d%s" % (f["id"], route)))
    assert "inline" in no_session(s["url"]).headers["content-disposition"]
    assert no_session(s["download_url"]).headers["content-disposition"].startswith("attachment")
    if pxtest.SERVER == "lighttpd":
        # answered by lighttpd's script: plexichat.fcgi gives every answer an id
        assert "x-request-id" not in no_session(s["url"]).headers
    # HEAD: the headers alone
    h = request("HEAD", s["url"])
    assert h.status == 200 and h.body == b"" and h.headers["etag"] == '"%s"' % query(s["url"])["o"]


def test_last_modified_never_after_the_answer():
    """A file's Last-Modified is its creation's whole second, never the
    next one: rounded half up, a file made in the second half of a second
    and read within it claimed a time still to come (and Apache, which
    answers such a time with the request's, gave the two routes of one file
    different dates). Ten files read right away: about half were made in a
    second's second half. Compared with this machine's clock once the
    answer is in (the server's Date may lag: lighttpd updates its clock
    once a second)."""
    c = channel(alice)
    for i in range(10):
        f = upload(alice, "t%d.txt" % i, os.urandom(32).hex().encode(), "text/plain", c["id"])
        for r in (alice.call("GET", "/api/v1/files/%d/content" % f["id"]),
                  no_session(alice.ok("GET", "/api/v1/files/%d" % f["id"])["signed"]["url"])):
            now = time.time()
            assert r.status == 200, r
            lm = email.utils.parsedate_to_datetime(r.headers["last-modified"]).timestamp()
            assert lm <= now, (i, r.headers["last-modified"], now)


def test_active_type_is_an_attachment_with_the_same_headers():
    # HTML cannot be uploaded at all (the WAF's upload profile); PDF is the
    # active type that can: never inline, under a neutral type
    c = channel(alice)
    f = upload(alice, "report.pdf", PDF, "application/pdf", c["id"])
    s = alice.ok("GET", "/api/v1/files/%d" % f["id"])["signed"]
    assert "thumbnail_url" not in s, s
    got = no_session(s["url"])
    assert got.status == 200 and got.body == PDF, got
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == 'attachment; filename="report.pdf"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"].startswith("sandbox;")
    same_answer(got, alice.call("GET", "/api/v1/files/%d/content" % f["id"]))


def test_range_and_conditional_requests():
    c = channel(alice)
    data = png(200, 150, noise=True)
    f = upload(alice, "noise.png", data, "image/png", c["id"])
    url = alice.ok("GET", "/api/v1/files/%d" % f["id"])["signed"]["url"]
    whole = no_session(url)
    r = no_session(url, {"Range": "bytes=10-19"})
    assert r.status == 206 and r.body == whole.body[10:20], r
    assert r.headers["content-range"] == "bytes 10-19/%d" % len(whole.body)
    same_answer(r, alice.call("GET", "/api/v1/files/%d/content" % f["id"],
                              headers={"Range": "bytes=10-19"}))
    n = no_session(url, {"If-None-Match": whole.headers["etag"]})
    assert n.status == 304 and n.body == b"", n
    # If-Range naming another version: the whole file
    r = no_session(url, {"Range": "bytes=0-9", "If-Range": '"%s"' % ("0" * 64)})
    assert r.status == 200 and r.body == whole.body, r


def test_changed_urls_are_refused_without_naming_a_path():
    c = channel(alice)
    f = upload(alice, "a.png", png(30, 20, seed=b"sig-a"), "image/png", c["id"])
    g = upload(alice, "b.png", png(30, 20, seed=b"sig-b"), "image/png", c["id"])
    sf = alice.ok("GET", "/api/v1/files/%d" % f["id"])["signed"]
    sg = alice.ok("GET", "/api/v1/files/%d" % g["id"])["signed"]
    q, qg = query(sf["url"]), query(sg["url"])
    base = "/api/v1/files/%d/signed?" % f["id"]

    def with_(**kw):
        return base + urllib.parse.urlencode(dict(q, **kw))

    flipped = q["s"][:-1] + ("0" if q["s"][-1] != "0" else "1")
    refused = [
        with_(s=flipped),                                        # the MAC
        sf["url"].replace("/%d/" % f["id"], "/%d/" % g["id"]),    # another file
        with_(o=qg["o"]),                                        # another object
        with_(d=query(sf["download_url"])["d"]),                 # another disposition
        with_(d=b64('inline; filename="x.html"')),
        with_(t=b64("text/html")),                               # another type
        with_(e=str(int(q["e"]) + 3600)),                        # a longer life
        with_(m="1"),
        base + urllib.parse.urlencode({k: v for k, v in q.items() if k != "d"}),
        base + "o=" + q["o"],
        # right MAC under another key
        signed(f["id"], q["o"], q["m"], q["e"], q["t"], q["d"], k="x" * 64),
    ]
    for url in refused:
        r = no_session(url)
        expect_error(r, 403, "FILES_URL_INVALID")
        assert b"objects" not in r.body and WORK.encode() not in r.body, r
    # the genuine ones still work, each for its own file
    assert no_session(sf["url"]).status == 200 and no_session(sg["url"]).status == 200
    # a genuine URL past its expiry: 410; a forged one stays 403
    past = int(time.time()) - 5
    old = signed(f["id"], q["o"], q["m"], past, q["t"], q["d"])
    expect_error(no_session(old), 410, "FILES_URL_EXPIRED")
    expect_error(no_session(signed(f["id"], q["o"], q["m"], past, q["t"], q["d"], k="y" * 64)),
                 403, "FILES_URL_INVALID")
    # a genuine URL of an object that is not (or no longer) in the store
    gone = signed(f["id"], "0" * 64, q["m"], int(time.time()) + 60, q["t"], q["d"])
    r = no_session(gone)
    expect_error(r, 404, "VALIDATION_NOT_FOUND")
    assert b"objects" not in r.body and WORK.encode() not in r.body, r
    # the URL as documented works, and only for GET and HEAD
    fresh = signed(f["id"], q["o"], q["m"], int(time.time()) + 60, q["t"], q["d"])
    assert no_session(fresh).status == 200
    expect_error(request("POST", fresh, body=b"x"), 405, "VALIDATION_METHOD_NOT_ALLOWED")


def test_removed_member_gets_no_fresh_url():
    c = channel(alice, "private")
    alice.ok("POST", "/api/v1/channels/%d/members" % c["id"], {"user": bob.id})
    f = upload(alice, "team.png", png(40, 30, seed=b"sig-team"), "image/png", c["id"])
    url = bob.ok("GET", "/api/v1/files/%d" % f["id"])["signed"]["url"]
    assert no_session(url).status == 200
    alice.ok("DELETE", "/api/v1/channels/%d/members/%d" % (c["id"], bob.id))
    expect_error(bob.call("GET", "/api/v1/files/%d" % f["id"]), 404, "VALIDATION_NOT_FOUND")
    expect_error(bob.call("GET", "/api/v1/files/%d/content" % f["id"]), 404,
                 "VALIDATION_NOT_FOUND")
    # the URL bob already had works until it expires (docs/SECURITY.md):
    # that is the price of not asking PlexiChat on every download
    assert no_session(url).status == 200


if __name__ == "__main__":
    pxtest.run(globals())
