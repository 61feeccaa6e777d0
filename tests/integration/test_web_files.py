"""Files in the web UI as a browser without JavaScript uses them: the
composer's multipart form (message, CSRF token and files in one body,
streamed), what a message with files shows (image at a fixed size, file
card with size and download link), the drafts a refused post keeps, the
limits, the channel's files page, and who may attach."""
import http.client
import os
import secrets
import struct
import sys
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import pxtest  # noqa: E402
from authlib import PASSWORD, admin_token, api, make_user, psql, unlock  # noqa: E402
from pxtest import run  # noqa: E402
from webcheck import Browser, check_page, hidden_value, location, parse, words  # noqa: E402


def png(w=3, h=2, seed=0):
    raw = b"".join(b"\x00" + bytes([(x * 40 + y * 7 + seed) % 256 for x in range(w * 3)])
                   for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def signed_in(role="member"):
    unlock()
    name, tok, uid = make_user(admin_token(), prefix="wf", role=role)
    b = Browser()
    r = b.post("/login", {"username": name, "password": PASSWORD, "next": "/"})
    assert location(r) == "/", r
    return b, name, tok


def new_channel(b):
    ch = "files-" + secrets.token_hex(4)
    r = b.post("/channels/new", {"name": ch, "kind": "public"})
    assert location(r) == "/c/" + ch, r
    return ch


def form_post(b, path, fields, files=(), boundary=None):
    """Posts multipart/form-data as a browser does: fields in order, then
    files (name, filename, type, bytes), with this browser's cookies."""
    bd = boundary or "----pxform" + secrets.token_hex(8)
    out = []
    for k, v in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (bd, k)).encode()
                   + (v.encode() if isinstance(v, str) else v) + b"\r\n")
    for k, fn, ct, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (bd, k, fn, ct)).encode() + data + b"\r\n")
    body = b"".join(out) + ("--%s--\r\n" % bd).encode()
    u = urllib.parse.urlsplit(pxtest.BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
    h = {"Accept": "text/html", "Content-Type": "multipart/form-data; boundary=" + bd,
         "Origin": pxtest.BASE, "Cookie": "; ".join("%s=%s" % kv for kv in b.cookies.items())}
    conn.request("POST", path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    hdrs = [(k.lower(), v) for k, v in r.getheaders()]
    conn.close()
    return pxtest.Response(r.status, hdrs, data)


def token(b, ch):
    return hidden_value(b.page("/c/" + ch), "csrf_token")


def message_items(p, mid):
    """The tags from message li#m<mid> of page p to the end of the page."""
    out, inside = [], False
    for t, a in p.tags:
        if t == "li" and a.get("id") == "m%s" % mid:
            inside = True
        if inside:
            out.append((t, a))
    return out


def test_composer_is_a_multipart_form_with_a_file_input():
    b, _, _ = signed_in()
    ch = new_channel(b)
    p = b.page("/c/" + ch)
    form = [f for f in p.forms if f["attrs"].get("action") == "/c/%s/post" % ch][0]
    assert form["attrs"].get("enctype") == "multipart/form-data", form["attrs"]
    files = [i for i in form["inputs"] if i.get("type") == "file"]
    assert files and files[0].get("name") == "files" and "multiple" in files[0], files
    names = [i.get("name") for i in form["inputs"]]
    # text fields come before the file input: the firewall reads the
    # fields of a streamed body within its first 64 KiB
    assert names.index("body") < names.index("files") and names.index("action") < names.index("files")
    assert [a for t, a in p.tags if t == "a" and a.get("href") == "/c/%s/files" % ch]


def test_post_with_files_and_see_them():
    b, name, tok = signed_in()
    ch = new_channel(b)
    img, txt = png(5, 4, seed=1), b"notes for the team\n" * 100
    r = form_post(b, "/c/%s/post" % ch,
                  [("csrf_token", token(b, ch)), ("body", "Two **files**"), ("action", "send")],
                  [("files", "dot.png", "image/png", img), ("files", "notes.txt", "text/plain", txt)])
    loc = location(r)
    assert loc.startswith("/c/%s#m" % ch), r
    mid = loc.split("#m")[1]
    p = b.page("/c/" + ch)
    tags = message_items(p, mid)
    imgs = [a for t, a in tags if t == "img" and a.get("alt") == "dot.png"]
    assert imgs, "the image is shown inline"
    # the space is kept before the image loads: width and height are set
    assert imgs[0].get("width") and imgs[0].get("height"), imgs[0]
    src = imgs[0]["src"]
    assert src.startswith("/api/v1/files/"), src
    links = [a.get("href") for t, a in tags if t == "a"]
    assert any(h and h.endswith("/content?download=1") for h in links), links
    text = words(p)
    assert "notes.txt" in text and "1.9 KB" in text, text  # 1,900 bytes
    # the files are the message's, in the channel, served to its readers
    j = api("GET", "/api/v1/channels/%s/messages/%s" % (channel_id(tok, ch), mid), tok).json()
    assert [f["name"] for f in j["files"]] == ["dot.png", "notes.txt"], j
    # inline: the thumbnail (WebP); the download link: the image itself
    d = b.get(src)
    assert d.status == 200 and d.headers["content-type"].startswith("image/webp"), d
    dl = [h for h in links if h and h.endswith("/content?download=1")][0]
    d = b.get(dl)
    assert d.status == 200 and d.headers["content-type"].startswith("image/png"), d
    assert d.body.startswith(b"\x89PNG") and "attachment" in d.headers["content-disposition"], d


def channel_id(tok, ch):
    j = api("GET", "/api/v1/channels", tok).json()
    for c in j if isinstance(j, list) else j.get("channels", []):
        if c.get("name") == ch:
            return c["id"]
    raise AssertionError("no channel " + ch)


def test_images_with_a_known_size_use_the_thumbnail():
    b, _, tok = signed_in()
    ch = new_channel(b)
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", token(b, ch)), ("body", "sized"),
                                         ("action", "send")],
                  [("files", "wide.png", "image/png", png(16, 12, seed=7))])
    mid = location(r).split("#m")[1]
    fid = api("GET", "/api/v1/channels/%s/messages/%s" % (channel_id(tok, ch), mid),
              tok).json()["files"][0]["id"]
    # what the image pipeline (issue 15, thumbnails) records for an image
    psql("UPDATE files SET width = 1600, height = 1200 WHERE id = %d" % fid)
    p = b.page("/c/" + ch)
    img = [a for t, a in message_items(p, mid) if t == "img" and a.get("alt") == "wide.png"][0]
    # a signed thumbnail URL (docs/FILES.md), which works without the
    # session, and the authorised route once it expired
    assert img["src"].startswith("/api/v1/files/%d/signed?" % fid), img
    assert img["data-fallback"] == "/api/v1/files/%d/thumbnail" % fid, img
    th = pxtest.request("GET", img["src"])
    assert th.status == 200 and th.headers["content-type"] == "image/webp", th
    assert th.headers["content-disposition"] == "inline", th.headers
    assert th.body == api("GET", "/api/v1/files/%d/thumbnail" % fid, tok).body
    assert (img["width"], img["height"]) == ("400", "300"), img
    assert "nodim" not in img.get("class", ""), img


def test_files_without_words():
    b, _, tok = signed_in()
    ch = new_channel(b)
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", token(b, ch)), ("body", ""),
                                         ("action", "send")],
                  [("files", "only-image.png", "image/png", png(seed=2))])
    mid = location(r).split("#m")[1]
    j = api("GET", "/api/v1/channels/%s/messages/%s" % (channel_id(tok, ch), mid), tok).json()
    # a message of files alone: no words made up for it
    assert j["body"] == "" and len(j["files"]) == 1, j


def test_a_refused_file_keeps_the_draft_and_the_stored_files():
    b, _, tok = signed_in()
    ch = new_channel(b)
    r = form_post(b, "/c/%s/post" % ch,
                  [("csrf_token", token(b, ch)), ("body", "my draft"), ("action", "send")],
                  [("files", "good.png", "image/png", png(seed=3)),
                   ("files", "empty.txt", "text/plain", b"")])
    p = check_page(r, 422)
    assert "empty.txt: The file is empty." in words(p), words(p)
    assert [1 for t, a in p.tags if t == "textarea"] and "my draft" in r.body.decode()
    kept = [a for t, a in p.tags if t == "input" and a.get("name") == "file_ids"]
    assert len(kept) == 1 and a_checked(kept[0]), kept
    # sending again with the kept draft attaches it, no new upload needed
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", token(b, ch)), ("body", "my draft"),
                                         ("file_ids", kept[0]["value"]), ("action", "send")])
    mid = location(r).split("#m")[1]
    j = api("GET", "/api/v1/channels/%s/messages/%s" % (channel_id(tok, ch), mid), tok).json()
    assert [f["name"] for f in j["files"]] == ["good.png"], j
    # a file id that is not one's own draft is refused, nothing is posted
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", token(b, ch)), ("body", "again"),
                                         ("file_ids", kept[0]["value"]), ("action", "send")])
    p = check_page(r, 409)
    assert "not a draft of yours" in words(p)


def a_checked(a):
    return "checked" in a


def test_preview_keeps_the_files():
    b, _, _ = signed_in()
    ch = new_channel(b)
    r = form_post(b, "/c/%s/post" % ch,
                  [("csrf_token", token(b, ch)), ("body", "# Look"), ("action", "preview")],
                  [("files", "look.png", "image/png", png(seed=4))])
    p = check_page(r, 200)
    assert [1 for t, a in p.tags if t == "h1"] and "look.png" in words(p)
    kept = [a for t, a in p.tags if t == "input" and a.get("name") == "file_ids"]
    assert len(kept) == 1, kept


def test_limits_and_tokens():
    b, _, _ = signed_in()
    ch = new_channel(b)
    tokn = token(b, ch)
    # the form token is checked like in every form
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", "stale"), ("body", "x")],
                  [("files", "a.png", "image/png", png())])
    p = check_page(r, 403)
    assert "form has expired" in words(p)
    r = form_post(b, "/c/%s/post" % ch, [("body", "x")], [("files", "a.png", "image/png", png())])
    check_page(r, 403)
    # eleven files are too many
    files = [("files", "f%d.png" % i, "image/png", png(seed=10 + i)) for i in range(11)]
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", tokn), ("body", "many"), ("action", "send")],
                  files)
    p = check_page(r, 400)
    assert "At most 10 files per message." in words(p), words(p)
    # a text field after 64 KiB of file was never seen by the firewall
    big = form_post_late_field(b, ch, tokn)
    assert big.status == 413, big
    # a urlencoded post still works, but only whole within 64 KiB (the
    # firewall may see the cut escape at the end of what it read first)
    r = b.post("/c/%s/post" % ch, {"body": "plain form", "action": "send"})
    assert location(r).startswith("/c/%s#m" % ch), r
    r = b.post("/c/%s/post" % ch, {"body": "\u00e9" * 15000, "action": "send"})
    assert r.status in (403, 413), r
    # the same text as multipart (what browsers send) is fine
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", tokn), ("body", "\u00e9" * 15000),
                                         ("action", "send")])
    assert location(r).startswith("/c/%s#m" % ch), r


def form_post_late_field(b, ch, tokn):
    bd = "----late" + secrets.token_hex(6)
    body = (("--%s\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n%s\r\n" % (bd, tokn))
            + ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
               "Content-Type: text/plain\r\n\r\n" % bd)).encode() + b"y" * 100000 + \
        ("\r\n--%s\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nlate\r\n--%s--\r\n"
         % (bd, bd)).encode()
    u = urllib.parse.urlsplit(pxtest.BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
    conn.request("POST", "/c/%s/post" % ch, body=body, headers={
        "Accept": "text/html", "Content-Type": "multipart/form-data; boundary=" + bd,
        "Origin": pxtest.BASE, "Cookie": "; ".join("%s=%s" % kv for kv in b.cookies.items())})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return pxtest.Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], data)


def test_files_page():
    b, name, tok = signed_in()
    ch = new_channel(b)
    p = b.page("/c/%s/files" % ch)
    assert "No files in this channel yet." in words(p)
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", token(b, ch)), ("body", "see files"),
                                         ("action", "send")],
                  [("files", "chart.png", "image/png", png(8, 6, seed=5)),
                   ("files", "data.csv", "text/csv", b"a,b\n1,2\n")])
    mid = location(r).split("#m")[1]
    p = b.page("/c/%s/files" % ch)
    text = words(p)
    assert "chart.png" in text and "data.csv" in text and name in text, text
    hrefs = [a.get("href") for t, a in p.tags if t == "a"]
    assert "/c/%s?after=%d#m%s" % (ch, int(mid) - 1, mid) in hrefs, hrefs
    assert [a for t, a in p.tags if t == "img" and a.get("alt") == "chart.png" and a.get("width")]
    # the link leads to the message
    m = b.page("/c/%s?after=%d" % (ch, int(mid) - 1))
    assert [a for t, a in m.tags if t == "li" and a.get("id") == "m" + mid]
    # a bad cursor, a channel one may not see
    check_page(b.get("/c/%s/files?before=x" % ch), 400)
    other, _, _ = signed_in()
    priv = "p-" + secrets.token_hex(4)
    r = other.post("/channels/new", {"name": priv, "kind": "private"})
    assert location(r) == "/c/" + priv, r
    check_page(b.get("/c/%s/files" % priv), 404)


def test_guests_do_not_attach():
    b, _, _ = signed_in(role="guest")
    host, _, _ = signed_in()
    ch = new_channel(host)
    r = b.post("/c/%s/join" % ch, {})
    if r.status != 303:
        return  # guests may not join public channels here: nothing to attach to
    p = b.page("/c/" + ch)
    assert not [a for t, a in p.tags if t == "input" and a.get("type") == "file"]
    r = form_post(b, "/c/%s/post" % ch, [("csrf_token", token(b, ch)), ("body", "hi")],
                  [("files", "g.png", "image/png", png(seed=6))])
    check_page(r, 403)


if __name__ == "__main__":
    run(globals())
