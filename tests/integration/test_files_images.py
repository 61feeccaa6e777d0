"""test_files_images: the images part of issue 15 over real sockets.
EXIF/GPS left out of what is served, thumbnails and previews (dimensions,
size, ETag, the content's authorisation), width and height in the
metadata, a 60,000 x 60,000 PNG refused from its header alone, GIF+JS and
PNG+ZIP polyglots and a ZIP bomb refused with their own codes, avatars
(upload raw and multipart, square crop, both sizes, delete, 404 without).
Images are made with the `vips` tool (libvips-tools) and by hand."""
import os
import secrets
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib

import pxtest
from imagelib import png, png_chunk
from msglib import User, channel
from pxtest import expect_error

alice = User("ialice")
bob = User("ibob")


# ---- making images ---------------------------------------------------------

def vips_jpeg(w, h, orientation=0, noise=True):
    """A JPEG made by libvips; orientation > 0 adds EXIF with it and GPS."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.jpg")
        op = ["gaussnoise", out, str(w), str(h)] if noise else ["black", out, str(w), str(h)]
        subprocess.run(["vips"] + op, check=True, capture_output=True, timeout=60)
        data = open(out, "rb").read()
    return with_exif(data, orientation) if orientation else data


def with_exif(jpeg, orientation):
    """Inserts an APP1 EXIF block (big-endian TIFF) after SOI: IFD0 with
    Make, Orientation and a GPS IFD pointer; the GPS IFD with latitude and
    longitude of the Eiffel tower."""
    def entry(tag, typ, count, value):
        return struct.pack(">HHI", tag, typ, count) + value

    make = b"PlexiTestCam\0"
    # offsets from the TIFF header: IFD0 at 8 (3 entries), then GPS IFD, then data
    ifd0_len = 2 + 3 * 12 + 4
    gps_at = 8 + ifd0_len
    gps_len = 2 + 4 * 12 + 4
    data_at = gps_at + gps_len
    make_at = data_at
    lat_at = make_at + len(make)
    lon_at = lat_at + 24
    ifd0 = struct.pack(">H", 3) + entry(0x010F, 2, len(make), struct.pack(">I", make_at)) \
        + entry(0x0112, 3, 1, struct.pack(">HH", orientation, 0)) \
        + entry(0x8825, 4, 1, struct.pack(">I", gps_at)) + struct.pack(">I", 0)
    gps = struct.pack(">H", 4) + entry(1, 2, 2, b"N\0\0\0") \
        + entry(2, 5, 3, struct.pack(">I", lat_at)) + entry(3, 2, 2, b"E\0\0\0") \
        + entry(4, 5, 3, struct.pack(">I", lon_at)) + struct.pack(">I", 0)
    rationals = struct.pack(">IIIIII", 48, 1, 51, 1, 2964, 100) \
        + struct.pack(">IIIIII", 2, 1, 17, 1, 4008, 100)
    tiff = b"MM\0\x2a" + struct.pack(">I", 8) + ifd0 + gps + make + rationals
    body = b"Exif\0\0" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return jpeg[:2] + app1 + jpeg[2:]


def huge_png():
    """A tiny file whose header declares 60,000 x 60,000 pixels."""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + png_chunk(b"IEND", b""))


def zip_file(entries, declared=None):
    """A ZIP (stored, CRCs zero) of (name, bytes); declared overrides the
    uncompressed sizes written in the central directory."""
    out, cd = b"", b""
    for i, (name, data) in enumerate(entries):
        usz = declared if declared is not None else len(data)
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0, 0, len(data), usz,
                           len(name), 0) + name + data
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0, 0, len(data),
                          usz, len(name), 0, 0, 0, 0, 0, off) + name
    return out + cd + struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries),
                                  len(cd), len(out), 0)


def pdf_padded():
    """A PDF longer than the 64 KiB the WAF reads of an upload."""
    pad = b"".join(b"%% padding line %05d ..........................................\n" % i
                   for i in range(1200))
    return (b"%PDF-1.4\n" + pad + b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")


def webp_size(b):
    """Width and height of a WebP (VP8, VP8L or VP8X)."""
    assert b[:4] == b"RIFF" and b[8:12] == b"WEBP", b[:16]
    kind, d = b[12:16], b[20:]
    if kind == b"VP8X":
        return (int.from_bytes(d[4:7], "little") + 1, int.from_bytes(d[7:10], "little") + 1)
    if kind == b"VP8L":
        bits = int.from_bytes(d[1:5], "little")
        return ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
    return (int.from_bytes(d[6:8], "little") & 0x3fff, int.from_bytes(d[8:10], "little") & 0x3fff)


def put_raw(user, name, data, ctype, channel_id=None):
    q = "name=" + urllib.parse.quote(name, safe="")
    if channel_id:
        q += "&channel_id=%d" % channel_id
    return user.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": ctype}, raw=data)


def multipart_body(filename, data, ctype):
    b = "px" + secrets.token_hex(8)
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
             "Content-Type: %s\r\n\r\n" % (b, filename, ctype)).encode() + data
            + ("\r\n--%s--\r\n" % b).encode())
    return body, "multipart/form-data; boundary=" + b


# ---- tests -----------------------------------------------------------------

def webp_chunks(b):
    """The chunk names of a WebP file, in order."""
    assert b[:4] == b"RIFF" and b[8:12] == b"WEBP", b[:16]
    names, at = [], 12
    while at + 8 <= len(b):
        n = struct.unpack("<I", b[at + 4:at + 8])[0]
        names.append(b[at:at + 4].decode("latin-1"))
        at += 8 + n + (n & 1)
    return names


def test_exif_gps_is_not_served():
    data = vips_jpeg(320, 240, orientation=1)
    assert b"PlexiTestCam" in data and b"Exif" in data
    r = put_raw(alice, "holiday.jpg", data, "image/jpeg")
    assert r.status == 201, r
    f = r.json()
    assert f["width"] == 320 and f["height"] == 240, f
    assert f["sha256"] and f["thumbnail_url"] == "/api/v1/files/%d/thumbnail" % f["id"]
    d = alice.call("GET", f["url"])
    assert d.status == 200 and d.headers["content-type"].startswith("image/jpeg"), d
    body = d.body
    assert body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9"
    for secret in (b"PlexiTestCam", b"Exif", struct.pack(">III", 48, 1, 51)):
        assert secret not in body, secret
    assert len(body) < len(data)
    # the ETag names the bytes served; the metadata keeps the upload's hash
    assert f["sha256"] not in d.headers["etag"]
    r = alice.call("GET", f["url"], headers={"If-None-Match": d.headers["etag"]})
    assert r.status == 304, r
    r = alice.call("GET", f["url"], headers={"Range": "bytes=0-3"})
    assert r.status == 206 and r.body == body[:4], r


def test_orientation_kept_gps_gone():
    data = vips_jpeg(60, 40, orientation=6)
    r = put_raw(alice, "turned.jpg", data, "image/jpeg")
    assert r.status == 201, r
    f = r.json()
    # as displayed: turned a quarter
    assert (f["width"], f["height"]) == (40, 60), f
    body = alice.call("GET", f["url"]).body
    assert b"PlexiTestCam" not in body and struct.pack(">III", 48, 1, 51) not in body
    at = body.find(b"\x01\x12\x00\x03")
    assert at > 0 and body[at + 8:at + 10] == b"\x00\x06", "orientation lost"
    t = alice.call("GET", f["thumbnail_url"])
    assert t.status == 200 and webp_size(t.body) == (40, 60), webp_size(t.body)


def test_png_text_is_not_served():
    data = png(30, 20, text=b"GPS 48.8584 N secret")
    r = put_raw(alice, "shot.png", data, "image/png")
    assert r.status == 201, r
    f = r.json()
    assert (f["width"], f["height"]) == (30, 20)
    body = alice.call("GET", f["url"]).body
    assert b"secret" not in body and b"tEXt" not in body and body.endswith(b"IEND\xaeB`\x82")


def test_thumbnail_and_preview():
    data = vips_jpeg(1600, 1200)
    cid = channel(alice)["id"]
    r = put_raw(alice, "big.jpg", data, "image/jpeg", cid)
    assert r.status == 201, r
    f = r.json()
    assert (f["width"], f["height"]) == (1600, 1200)
    meta = alice.ok("GET", "/api/v1/files/%d" % f["id"])
    assert meta["width"] == 1600 and meta["preview_url"].endswith("?size=preview")
    t = alice.call("GET", f["thumbnail_url"])
    assert t.status == 200 and t.headers["content-type"] == "image/webp", t
    assert webp_size(t.body) == (400, 300)
    assert len(t.body) < len(data) / 4
    assert t.headers["x-content-type-options"] == "nosniff"
    assert "etag" in t.headers and "private" in t.headers["cache-control"]
    assert "x-sendfile" not in t.headers
    r = alice.call("GET", f["thumbnail_url"], headers={"If-None-Match": t.headers["etag"]})
    assert r.status == 304, r
    p = alice.call("GET", f["preview_url"])
    assert p.status == 200 and webp_size(p.body) == (1280, 960), webp_size(p.body)
    # no metadata chunk at all in derivatives (libvips writes an EXIF of its own)
    for d in (t.body, p.body):
        chunks = webp_chunks(d)
        assert not {"EXIF", "XMP "} & set(chunks) and b"Exif" not in d, chunks
        if "VP8X" in chunks:
            assert d[20] & 0x0C == 0, "VP8X still flags EXIF/XMP"
    expect_error(alice.call("GET", f["thumbnail_url"] + "?size=huge"), 400,
                 "VALIDATION_FIELD_FORMAT")
    # listed with its dimensions
    lst = alice.ok("GET", "/api/v1/channels/%d/files" % cid)["files"]
    assert lst[0]["width"] == 1600 and lst[0]["thumbnail_url"]
    # the same bytes again: deduplicated, the derivatives reused
    t0 = time.time()
    again = put_raw(alice, "same.jpg", data, "image/jpeg", cid).json()
    assert again["sha256"] == f["sha256"] and again["width"] == 1600
    assert alice.call("GET", again["thumbnail_url"]).headers["etag"] == t.headers["etag"]
    assert time.time() - t0 < 10


def test_not_an_image_has_no_thumbnail():
    r = put_raw(alice, "notes.txt", b"plain text " * 20, "text/plain")
    assert r.status == 201, r
    f = r.json()
    assert f["thumbnail_url"] is None and f["width"] is None
    expect_error(alice.call("GET", "/api/v1/files/%d/thumbnail" % f["id"]), 404,
                 "VALIDATION_NOT_FOUND")


def test_private_thumbnail_non_member():
    cid = channel(alice, kind="private")["id"]
    r = put_raw(alice, "private.png", png(40, 40), "image/png", cid)
    assert r.status == 201, r
    f = r.json()
    assert alice.call("GET", f["thumbnail_url"]).status == 200
    for path in (f["thumbnail_url"], f["preview_url"], f["url"]):
        r = bob.call("GET", path)
        assert r.status in (403, 404), r
        assert r.headers["content-type"].startswith("application/json")
        assert not r.body.startswith(b"RIFF")
    # a draft image: its owner only
    d = put_raw(alice, "draft.png", png(10, 10), "image/png").json()
    expect_error(bob.call("GET", d["thumbnail_url"]), 404, "VALIDATION_NOT_FOUND")


def test_pixel_bomb_refused_from_header():
    data = huge_png()
    assert len(data) < 200
    t0 = time.time()
    r = put_raw(alice, "bomb.png", data, "image/png")
    took = time.time() - t0
    j = expect_error(r, 413, "FILES_IMAGE_TOO_LARGE")
    assert j["details"]["width"] == 60000 and j["details"]["height"] == 60000
    assert j["details"]["max_pixels"] == 50000000
    assert took < 3, took
    # the same through multipart
    body, ct = multipart_body("bomb.png", data, "image/png")
    r = alice.call("POST", "/api/v1/files", headers={"Content-Type": ct}, raw=body)
    assert r.status in (403, 413), r
    if r.status == 413:
        expect_error(r, 413, "FILES_IMAGE_TOO_LARGE")


def test_polyglots_refused():
    # GIF+JS: a GIF header that is also the start of a JS comment
    poly = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;alert(document.domain)//" + b"\x00" * 40 + b";"
    r = put_raw(alice, "poly.gif", poly, "image/gif")
    assert r.status in (403, 415), r  # the WAF may see the script first
    if r.status == 415:
        expect_error(r, 415, "FILES_POLYGLOT")
    # a well-formed GIF with a script after its trailer
    gif = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
           b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;")
    assert put_raw(alice, "ok.gif", gif, "image/gif").status == 201
    r = put_raw(alice, "tail.gif", gif + b"*/ window.x = 1 //", "image/gif")
    assert r.status in (403, 415), r
    if r.status == 415:
        expect_error(r, 415, "FILES_POLYGLOT")
    r = put_raw(alice, "tail2.gif", gif + b"\x01\x02junk after the trailer", "image/gif")
    expect_error(r, 415, "FILES_POLYGLOT")
    # PNG+ZIP: an archive after IEND. Within the first 64 KiB the WAF's
    # upload_code rule sees the local header first; past them the walker does
    pz = png(8, 8) + zip_file([(b"x.txt", b"hello zip")])
    r = put_raw(alice, "pz.png", pz, "image/png")
    assert r.status in (403, 415), r
    if r.status == 415:
        expect_error(r, 415, "FILES_POLYGLOT")
    big = png(160, 160, noise=True)
    assert len(big) > 70000
    pz = big + zip_file([(b"x.txt", b"hello zip")])
    expect_error(put_raw(alice, "pz.png", pz, "image/png"), 415, "FILES_POLYGLOT")
    body, ct = multipart_body("pz.png", pz, "image/png")
    r = alice.call("POST", "/api/v1/files", headers={"Content-Type": ct}, raw=body)
    expect_error(r, 415, "FILES_POLYGLOT")
    # PDF+ZIP: a document with an archive after %%EOF
    expect_error(put_raw(alice, "pz.pdf", pdf_padded() + zip_file([(b"x.txt", b"hello zip")]),
                         "application/pdf"), 415, "FILES_POLYGLOT")
    # a JPEG with bytes after EOI
    j = vips_jpeg(16, 16, noise=False)
    expect_error(put_raw(alice, "t.jpg", j + b"PK\x05\x06" + b"\x00" * 18, "image/jpeg"),
                 415, "FILES_POLYGLOT")
    # truncated: no end marker
    expect_error(put_raw(alice, "cut.png", png(8, 8)[:-12], "image/png"), 422,
                 "FILES_IMAGE_INVALID")


def test_zip_bomb_refused():
    # a ZIP is accepted as such, and judged from its central directory
    bomb = zip_file([(b"a.txt", b"x" * 64)], declared=0xF0000000)
    expect_error(put_raw(alice, "bomb.zip", bomb, "application/zip"), 422, "FILES_ARCHIVE_BOMB")
    # one it does not see (behind 64 KiB of a PDF): judged from its
    # central directory without unpacking
    t0 = time.time()
    r = put_raw(alice, "bomb.pdf", pdf_padded() + bomb, "application/pdf")
    j = expect_error(r, 422, "FILES_ARCHIVE_BOMB")
    assert time.time() - t0 < 3
    # overlapping entries: one stream counted many times
    entries = [(b"f%d.txt" % i, b"y" * 32) for i in range(3)]
    ov = zip_file(entries)
    first = ov.index(b"PK\x01\x02")
    cd = bytearray(ov[first:])
    at = 0
    while True:
        at = cd.find(b"PK\x01\x02", at)
        if at < 0:
            break
        cd[at + 42:at + 46] = b"\0\0\0\0"  # every entry's data at offset 0
        at += 4
    r = put_raw(alice, "ov.pdf", pdf_padded() + ov[:first] + bytes(cd), "application/pdf")
    expect_error(r, 422, "FILES_ARCHIVE_BOMB")
    assert j["message"]


def test_avatar_upload_crop_serve_delete():
    u = User("iavatar")
    me = u.ok("GET", "/api/v1/auth/me")
    assert me["user"]["avatar_url"] is None, me
    expect_error(u.call("GET", "/api/v1/users/%d/avatar" % u.id), 404, "VALIDATION_NOT_FOUND")
    # raw body, 3:2, EXIF GPS inside
    r = u.call("PUT", "/api/v1/users/me/avatar", headers={"Content-Type": "image/jpeg"},
               raw=vips_jpeg(600, 400, orientation=1))
    assert r.status == 200, r
    url = r.json()["avatar_url"]
    assert url.startswith("/api/v1/users/%d/avatar?v=" % u.id), url
    assert u.ok("GET", "/api/v1/auth/me")["user"]["avatar_url"] == url
    assert alice.ok("GET", "/api/v1/users/%d" % u.id)["avatar_url"] == url
    big = alice.call("GET", url)
    assert big.status == 200 and big.headers["content-type"] == "image/webp", big
    assert webp_size(big.body) == (256, 256)
    assert b"PlexiTestCam" not in big.body
    assert "immutable" in big.headers["cache-control"]
    small = alice.call("GET", url + "&size=64")
    assert webp_size(small.body) == (64, 64)
    plain = alice.call("GET", "/api/v1/users/%d/avatar?size=64" % u.id)
    assert plain.status == 200 and "no-cache" in plain.headers["cache-control"]
    expect_error(alice.call("GET", "/api/v1/users/%d/avatar?size=1000" % u.id), 400,
                 "VALIDATION_FIELD_FORMAT")
    # member lists carry it
    cid = channel(u)["id"]
    members = u.ok("GET", "/api/v1/channels/%d/members" % cid)
    assert [m["avatar_url"] for m in members if m["id"] == u.id] == [url], members
    # multipart, a PNG: a new picture, a new URL
    body, ct = multipart_body("me.png", png(50, 80), "image/png")
    r = u.call("PUT", "/api/v1/users/me/avatar", headers={"Content-Type": ct}, raw=body)
    assert r.status == 200, r
    url2 = r.json()["avatar_url"]
    assert url2 != url and webp_size(alice.call("GET", url2).body) == (256, 256)
    # not an image, a bomb, a polyglot
    r = u.call("PUT", "/api/v1/users/me/avatar?name=a.txt", headers={"Content-Type": "text/plain"},
               raw=b"hello, not a picture")
    expect_error(r, 415, "FILES_TYPE_NOT_ALLOWED")
    expect_error(u.call("PUT", "/api/v1/users/me/avatar", headers={"Content-Type": "image/png"},
                        raw=huge_png()), 413, "FILES_IMAGE_TOO_LARGE")
    expect_error(u.call("PUT", "/api/v1/users/me/avatar", headers={"Content-Type": "image/png"},
                        raw=png(8, 8, trailing=b"junk after the end")), 415, "FILES_POLYGLOT")
    # delete: gone, initials again
    r = u.call("DELETE", "/api/v1/users/me/avatar")
    assert r.status == 200 and r.json()["avatar_url"] is None, r
    expect_error(alice.call("GET", "/api/v1/users/%d/avatar" % u.id), 404, "VALIDATION_NOT_FOUND")
    expect_error(u.call("DELETE", "/api/v1/users/me/avatar"), 404, "VALIDATION_NOT_FOUND")
    # signed out: no avatars
    r = pxtest.request("GET", url2)
    assert r.status == 401, r


if __name__ == "__main__":
    pxtest.run(globals())
