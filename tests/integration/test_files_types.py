"""test_files_types: the everyday file types over real sockets. Archives
(zip, tar.gz, 7z), office documents (docx, xlsx and pptx as Microsoft
Office writes them and as LibreOffice and openpyxl do, with
[Content_Types].xml last; odt, ods, odp), audio (mp3 with cover art
filling the first 64 KiB, Ogg Vorbis, Opus, WAV, FLAC, M4A, AAC) and video
(MP4, WebM, MOV) made with ffmpeg, JSON, CSV, Markdown and logs: each
uploaded multipart and raw, and read back byte for byte with its served
type and disposition. Then what stays refused: an office document that
declares a bomb, ZIPs behind an image, audio or another archive, a plain
ZIP named .docx, PHP named .mp3 or hidden after an MP3's tag, a damaged
archive, Matroska named .webm."""
import gzip
import io
import os
import struct
import subprocess
import tarfile
import tempfile
import urllib.parse
import zipfile
import zlib

import pxtest
from imagelib import png
from msglib import User
from pxtest import expect_error

# uploads are rate-limited per account (class upload, a burst of 60): each
# test has its own

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"


# ---- making files ----------------------------------------------------------

def zip_of(entries, stored_first=False):
    """A ZIP (deflated, real CRCs) of (name, bytes) in the order given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, data) in enumerate(entries):
            info = zipfile.ZipInfo(name, (2024, 5, 1, 12, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out.getvalue()


def noise_png():
    """An incompressible picture of about 120 KB: more than the WAF reads."""
    return png(200, 200, noise=True)


OOXML_MAIN = {
    "docx": ("word/document.xml", DOCX, b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
             b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p>'
             b'</w:body></w:document>'),
    "xlsx": ("xl/workbook.xml", XLSX, b'<workbook xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>'),
    "pptx": ("ppt/presentation.xml", PPTX, b'<p:presentation xmlns:p="http://schemas.'
             b'openxmlformats.org/presentationml/2006/main"/>'),
}


def ooxml(kind, order="office", media=False):
    """An OOXML package. order "office": [Content_Types].xml first, as
    Microsoft Office writes it; "late": docProps first and the content
    types last, as LibreOffice and openpyxl write them. media adds a
    picture that makes the file larger than the WAF's 64 KiB."""
    part, ctype, body = OOXML_MAIN[kind]
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://'
             'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
             'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
             'Extension="xml" ContentType="application/xml"/><Override PartName="/%s" '
             'ContentType="%s.main+xml"/></Types>' % (part, ctype)).encode()
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http'
            '://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="%s"/></Relationships>' % part).encode()
    app = b"<Properties><Application>PlexiChat test</Application></Properties>"
    folder = part.split("/")[0]
    pic = [("%s/media/image1.png" % folder, noise_png())] if media else []
    if order == "office":
        entries = [("[Content_Types].xml", types), ("_rels/.rels", rels), (part, body)] + pic \
            + [("docProps/app.xml", app)]
    else:
        entries = [("docProps/app.xml", app)] + pic + [(part, body), ("_rels/.rels", rels),
                                                       ("[Content_Types].xml", types)]
    return zip_of(entries)


def odf(mime):
    """An OpenDocument file: its stored "mimetype" entry first."""
    return zip_of([("mimetype", mime.encode()), ("META-INF/manifest.xml", b"<manifest/>"),
                   ("content.xml", b"<office:document-content/>")], stored_first=True)


def tar_gz():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as t:
        for name, data in (("logs/app.log", b"12:00 started\n" * 200), ("logs/db.log", b"ok\n" * 50)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def seven_zip():
    """An empty 7z archive: the signature header pointing at no header."""
    start = struct.pack("<QQI", 0, 0, 0)
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start


_media = {}


def media(name):
    """Audio and video made by ffmpeg from its test sources (cached)."""
    if name in _media:
        return _media[name]
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"]
    noise = ["-f", "lavfi", "-i", "anoisesrc=duration=6:color=pink:amplitude=0.3"]
    video = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=4"] + sine
    h264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    args = {
        "song.mp3": noise + ["-i", "COVER", "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame",
                             "-c:v", "copy", "-id3v2_version", "3", "-metadata:s:v",
                             "comment=Cover (front)"],
        "plain.mp3": noise + ["-c:a", "libmp3lame", "-b:a", "160k"],
        "voice.ogg": sine + ["-c:a", "libvorbis"],
        "voice.opus": sine + ["-c:a", "libopus"],
        "take.wav": sine,
        "track.flac": noise,
        "memo.m4a": noise + ["-c:a", "aac"],
        "isom.m4a": noise + ["-c:a", "aac", "-f", "mp4"],   # the isom brand: video/mp4 to libmagic
        "clip.aac": noise + ["-c:a", "aac", "-f", "adts"],
        "clip.mp4": video + h264,
        "clip.webm": video + ["-c:v", "libvpx", "-b:v", "300k", "-c:a", "libopus", "-shortest"],
        "voice.webm": sine + ["-c:a", "libopus"],
        "IMG_0001.mov": video + h264,
        "clip.mkv": video + ["-c:v", "libvpx", "-c:a", "libopus", "-shortest"],
    }[name]
    with tempfile.TemporaryDirectory() as d:
        cover = os.path.join(d, "cover.png")
        with open(cover, "wb") as f:
            f.write(noise_png())
        out = os.path.join(d, name)
        cmd = ["ffmpeg", "-y", "-loglevel", "error"] + [cover if a == "COVER" else a for a in args]
        subprocess.run(cmd + [out], check=True, capture_output=True, timeout=120)
        with open(out, "rb") as f:
            _media[name] = f.read()
    return _media[name]


def id3_len(b):
    """Length of the ID3v2 tag b starts with (its size is syncsafe)."""
    return 10 + (b[6] << 21 | b[7] << 14 | b[8] << 7 | b[9])


# ---- the API ---------------------------------------------------------------

def put_raw(user, name, data, ctype):
    return user.call("PUT", "/api/v1/files?name=" + urllib.parse.quote(name, safe=""),
                     headers={"Content-Type": ctype}, raw=data)


def multipart(user, name, data, ctype):
    b = "pxtypes" + os.urandom(6).hex()
    body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: %s\r\n\r\n" % (b, name, ctype)).encode() + data \
        + ("\r\n--%s--\r\n" % b).encode()
    return user.call("POST", "/api/v1/files",
                     headers={"Content-Type": "multipart/form-data; boundary=" + b}, raw=body)


def check_round_trip(user, name, data, declared, detected, served, inline):
    """Uploads data both ways; each answer's file reads back unchanged."""
    for how, send in (("multipart", multipart), ("raw", put_raw)):
        r = send(user, name, data, declared)
        assert r.status == 201, "%s %s: %r" % (how, name, r)
        f = r.json()
        assert f["name"] == name and f["size"] == len(data), f
        assert f["type"] == detected, "%s %s: detected %s, want %s" % (how, name, f["type"], detected)
        d = user.call("GET", "/api/v1/files/%d/content" % f["id"])
        assert d.status == 200 and d.body == data, "%s %s: %r" % (how, name, d)
        assert d.headers["content-type"] == served, (name, d.headers["content-type"])
        disp = d.headers["content-disposition"]
        assert disp.startswith("inline" if inline else "attachment"), (name, disp)
        assert name in disp, disp
        assert d.headers["x-content-type-options"] == "nosniff"
        assert "media-src 'self'" in d.headers["content-security-policy"]
        dl = user.call("GET", "/api/v1/files/%d/content?download=1" % f["id"])
        assert dl.headers["content-disposition"].startswith("attachment"), dl.headers


# ---- accepted --------------------------------------------------------------

def test_archives_and_office_documents():
    u = User("tarch")
    cases = [
        ("photos.zip", zip_of([("a/readme.txt", b"hello\n" * 100), ("a/pic.png", noise_png())]),
         "application/zip", "application/zip", "application/zip"),
        ("photos2.zip", zip_of([("b.txt", b"windows zip")]), "application/x-zip-compressed",
         "application/zip", "application/zip"),
        ("report.docx", ooxml("docx"), DOCX, DOCX, DOCX),
        ("report-lo.docx", ooxml("docx", "late", media=True), DOCX, DOCX, DOCX),
        ("sheet.xlsx", ooxml("xlsx", "late"), XLSX, XLSX, XLSX),
        ("sheet-ms.xlsx", ooxml("xlsx", media=True), XLSX, XLSX, XLSX),
        ("deck.pptx", ooxml("pptx"), PPTX, PPTX, PPTX),
        ("letter.odt", odf(ODT), ODT, ODT, ODT),
        ("table.ods", odf(ODS), ODS, ODS, ODS),
        ("slides.odp", odf(ODP), ODP, ODP, ODP),
        ("logs.tar.gz", tar_gz(), "application/gzip", "application/gzip", "application/gzip"),
        ("trace.gz", gzip.compress(b"trace line\n" * 1000), "application/x-gzip", "application/gzip",
         "application/gzip"),
        ("all.7z", seven_zip(), "application/x-7z-compressed", "application/x-7z-compressed",
         "application/x-7z-compressed"),
    ]
    for name, data, declared, detected, served in cases:
        check_round_trip(u, name, data, declared, detected, served, inline=False)


def test_audio_and_video():
    u = User("tmedia")
    cases = [
        ("song.mp3", "audio/mpeg", "audio/mpeg", "audio/mpeg"),
        ("plain.mp3", "audio/mpeg", "audio/mpeg", "audio/mpeg"),
        ("voice.ogg", "audio/ogg", "audio/ogg", "audio/ogg"),
        ("voice.opus", "audio/opus", "audio/ogg", "audio/ogg"),
        ("take.wav", "audio/wav", "audio/x-wav", "audio/wav"),
        ("track.flac", "audio/flac", "audio/flac", "audio/flac"),
        ("memo.m4a", "audio/x-m4a", "audio/x-m4a", "audio/mp4"),
        ("isom.m4a", "audio/mp4", "video/mp4", "audio/mp4"),
        ("clip.aac", "audio/aac", "audio/x-hx-aac-adts", "audio/aac"),
        ("clip.mp4", "video/mp4", "video/mp4", "video/mp4"),
        ("clip.webm", "video/webm", "video/webm", "video/webm"),
        ("voice.webm", "audio/webm", "video/webm", "video/webm"),
        ("IMG_0001.mov", "video/quicktime", "video/quicktime", "video/quicktime"),
    ]
    # the cover art puts the first MPEG frame past what the WAF and a plain
    # libmagic look at
    song = media("song.mp3")
    assert song[:3] == b"ID3" and id3_len(song) > 65536, song[:16]
    for name in ("plain.mp3", "clip.mp4"):
        assert len(media(name)) > 70000, (name, len(media(name)))  # see the polyglots
    for name, declared, detected, served in cases:
        check_round_trip(u, name, media(name), declared, detected, served, inline=True)


def test_text_types():
    u = User("ttext")
    cases = [
        ("data.json", b'{"users": [{"id": 1, "name": "Ana"}], "ok": true}\n', "application/json"),
        ("users.csv", b"id,name,email\n1,Ana,ana@example.com\n2,Bo,bo@example.com\n", "text/csv"),
        ("README.md", b"# Build\n\n```c\n#include <stdio.h>\nint main(void) { return 0; }\n```\n",
         "text/markdown"),
        ("build.log", b"2024-05-30 12:00:01 INFO started\n2024-05-30 12:00:02 WARN slow\n" * 40,
         "text/plain"),
        ("ci.yml", b"on: push\njobs:\n  test:\n    runs-on: debian\n", "application/x-yaml"),
    ]
    for name, data, declared in cases:
        for how, send in (("multipart", multipart), ("raw", put_raw)):
            r = send(u, name, data, declared)
            assert r.status == 201, "%s %s: %r" % (how, name, r)
            d = u.call("GET", "/api/v1/files/%d/content" % r.json()["id"])
            assert d.body == data and d.headers["content-type"] == "text/plain; charset=utf-8", d
            assert d.headers["content-disposition"].startswith("inline")


# ---- refused ---------------------------------------------------------------

def test_office_bomb_refused():
    u = User("tbomb")
    doc = bytearray(ooxml("docx"))
    at = 0
    while True:  # every entry declares 3.75 GB unpacked
        at = doc.find(b"PK\x01\x02", at)
        if at < 0:
            break
        doc[at + 24:at + 28] = struct.pack("<I", 0xF0000000)
        at += 4
    for send in (multipart, put_raw):
        expect_error(send(u, "bomb.docx", bytes(doc), DOCX), 422, "FILES_ARCHIVE_BOMB")


def test_archives_behind_other_formats_refused():
    u = User("tpoly")
    z = zip_of([("x.txt", b"hello zip")])
    # past the WAF's 64 KiB the handler finds them from the end
    big = png(160, 160, noise=True)
    assert len(big) > 70000
    expect_error(put_raw(u, "pz.png", big + z, "image/png"), 415, "FILES_POLYGLOT")
    expect_error(multipart(u, "pz.png", big + z, "image/png"), 415, "FILES_POLYGLOT")
    expect_error(put_raw(u, "song.mp3", media("plain.mp3") + z, "audio/mpeg"), 415, "FILES_POLYGLOT")
    expect_error(put_raw(u, "clip.mp4", media("clip.mp4") + z, "video/mp4"), 415, "FILES_POLYGLOT")
    # a second archive after an office document: readers would open that one
    doc = ooxml("docx", media=True)
    expect_error(put_raw(u, "two.docx", doc + z, DOCX), 415, "FILES_POLYGLOT")
    # within the first 64 KiB the WAF sees the local header first
    r = put_raw(u, "small.png", png(8, 8) + z, "image/png")
    assert r.status in (403, 415), r


def test_names_that_lie_refused():
    u = User("tname")
    plain = zip_of([("notes.txt", b"x" * 100), ("pic.png", noise_png())])
    assert len(plain) > 70000
    # a plain ZIP named as a document: the WAF cannot see its directory,
    # the handler reads it
    expect_error(put_raw(u, "report.docx", plain, DOCX), 415, "FILES_TYPE_MISMATCH")
    expect_error(multipart(u, "report.docx", plain, DOCX), 415, "FILES_TYPE_MISMATCH")
    # ... and a small one the WAF sees whole
    r = put_raw(u, "small.docx", zip_of([("notes.txt", b"hi")]), DOCX)
    assert r.status in (403, 415), r
    # a document under another document's or an archive's name
    for name, ctype, data in (("report.zip", "application/zip", ooxml("docx", media=True)),
                              ("report.xlsx", XLSX, ooxml("docx", media=True)),
                              ("letter.docx", DOCX, odf(ODT)),
                              ("song.wav", "audio/wav", media("plain.mp3")),
                              ("clip.mp3", "audio/mpeg", media("clip.mp4")),
                              ("clip.webm", "video/webm", media("clip.mkv"))):
        r = put_raw(u, name, data, ctype)
        assert r.status in (403, 415), (name, r)
        if r.status == 415:
            expect_error(r, 415, "FILES_TYPE_MISMATCH" if name != "clip.webm" else
                         "FILES_TYPE_NOT_ALLOWED")
    # PHP named as audio: the WAF refuses it
    php = b"<?php system($_GET['c']); ?>\n"
    expect_error(put_raw(u, "song.mp3", php, "audio/mpeg"), 403, "SECURITY_REQUEST_BLOCKED")
    expect_error(multipart(u, "song.mp3", php, "audio/mpeg"), 403, "SECURITY_REQUEST_BLOCKED")
    # ... and after an ID3 tag larger than the WAF's view: libmagic judges
    # what follows the tag
    song = media("song.mp3")
    tag = id3_len(song)
    assert tag > 65536, tag
    j = expect_error(put_raw(u, "song.mp3", song[:tag] + php, "audio/mpeg"), 415,
                     "FILES_TYPE_NOT_ALLOWED")
    assert j["details"]["detected_type"] == "text/x-php", j


def test_damaged_archive_refused():
    u = User("tcut")
    doc = ooxml("docx", media=True)
    cut = doc[:doc.rindex(b"PK\x01\x02") - 10]  # no directory: nothing to judge it by
    expect_error(put_raw(u, "cut.docx", cut, DOCX), 422, "FILES_ARCHIVE_INVALID")


if __name__ == "__main__":
    pxtest.run(globals())
