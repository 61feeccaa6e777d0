"""test_files_s3: the S3 file store (files_store = s3) against s3rver,
through lighttpd: uploads land in the bucket under objects/ab/<sha256>
(the server's requests pass tests/integration/s3_proxy.py, which checks
every SigV4 signature and payload hash with botocore), large files as
multipart uploads streamed from the temporary file (the FastCGI process's
memory does not grow with the file), downloads answer 302 to a presigned
URL whose signature botocore recomputes and which s3rver serves with the
safe headers, with Range, and which expires; readers without access get no
URL; deletion removes the object once no row names it; `files cleanup`
removes an orphan object from the bucket.

Runs its own stack (stacklib.py), so once: under Apache it exits 77
(skipped)."""
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import pxtest
import stacklib
from imagelib import png
from msglib import User, channel
from pxtest import expect_error

if pxtest.SERVER != "lighttpd":
    print("test_files_s3: runs its own lighttpd stack once, under the lighttpd round")
    sys.exit(77)

TTL = 10
s3 = stacklib.S3("plexi-files")
tmpdir = tempfile.mkdtemp(prefix="px-s3files-")
stacklib.www_data(tmpdir)
stack = stacklib.Stack("s3", {
    "files_store": "s3", "files_dir": tmpdir, "files_s3_url": "s3://plexi-files/px",
    "files_s3_endpoint": s3.url, "files_s3_public_endpoint": s3.direct,
    "files_s3_access_key": "S3RVER", "files_s3_secret_key": "S3RVER",
    "files_s3_part_size": 5 * 1024 * 1024, "files_s3_url_ttl": TTL,
    "files_max_size": 64 * 1024 * 1024,
}, os.path.join(tmpdir, "unused")).start()
pxtest.BASE = stack.url

alice = User("s3alice")
bob = User("s3bob")


def put_raw(user, name, data, ctype="text/plain", channel_id=None):
    q = "name=" + urllib.parse.quote(name, safe="")
    if channel_id:
        q += "&channel_id=%d" % channel_id
    return user.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": ctype}, raw=data)


def text(n, tag):
    line = ("s3 line %s " % tag).encode()
    return (line * (n // len(line) + 1))[:n]


def key_of(sha):
    return "px/objects/%s/%s" % (sha[:2], sha[2:])


def tmp_files():
    d = os.path.join(tmpdir, "tmp")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def location(user, fid, **hdr):
    r = user.call("GET", "/api/v1/files/%d/content" % fid, headers=hdr)
    assert r.status == 302, r
    assert r.body == b"" or len(r.body) < 200
    return r, r.headers["location"]


def fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


BOTOCHECK = r'''
import awscli, datetime, json, sys, urllib.parse
import botocore.auth as ba
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url = sys.argv[1]
u = urllib.parse.urlsplit(url)
q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
d = dict(q)
t = datetime.datetime.strptime(d["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
class Fixed(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return t
ba.datetime.datetime = Fixed
rest = [(k, v) for k, v in q if not k.startswith("X-Amz-")]
req = AWSRequest(method="GET", url=u.scheme + "://" + u.netloc + u.path +
                 ("?" + urllib.parse.urlencode(rest, quote_via=urllib.parse.quote) if rest else ""))
scope = d["X-Amz-Credential"].split("/")
a = ba.S3SigV4QueryAuth(Credentials("S3RVER", "S3RVER"), scope[3], scope[2], expires=int(d["X-Amz-Expires"]))
a.add_auth(req)
want = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query))["X-Amz-Signature"]
print(json.dumps({"ok": want == d["X-Amz-Signature"], "want": want, "got": d["X-Amz-Signature"]}))
'''


def botocore_agrees(url):
    """Recomputes the presigned URL's signature with botocore (Debian's
    awscli vendors it; /usr/bin/python3)."""
    p = subprocess.run(["/usr/bin/python3", "-c", BOTOCHECK, url], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_upload_lands_in_the_bucket_and_downloads_by_redirect():
    cid = channel(alice, kind="private")["id"]
    data = text(70000, secrets.token_hex(4))
    sha = hashlib.sha256(data).hexdigest()
    before = tmp_files()
    r = put_raw(alice, "report \u00e9t\u00e9.txt", data, channel_id=cid)
    assert r.status == 201, (r, stack.log_tail())
    f = r.json()
    assert f["sha256"] == sha and f["size"] == len(data)
    assert tmp_files() == before, "the temporary file stays behind"
    st, body = s3.get(key_of(sha))
    assert st == 200 and body == data, st
    # the redirect: a presigned URL on the public endpoint, never cached
    r, loc = location(alice, f["id"])
    assert loc.startswith(s3.direct + "/plexi-files/" + key_of(sha) + "?"), loc
    assert "no-store" in r.headers["cache-control"]
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    assert q["X-Amz-Expires"] == str(TTL) and q["X-Amz-SignedHeaders"] == "host"
    assert q["response-content-type"].startswith("text/plain")
    assert q["response-content-disposition"] == ("inline; filename=\"report _t_.txt\"; "
                                                 "filename*=UTF-8''report%20%C3%A9t%C3%A9.txt"), q
    chk = botocore_agrees(loc)
    assert chk["ok"], chk
    # following it: S3 serves the bytes with the headers PlexiChat chose
    st, hdr, body = fetch(loc)
    assert st == 200 and body == data, st
    assert hdr["content-type"].startswith("text/plain")
    assert hdr["content-disposition"] == q["response-content-disposition"]
    # Range on the presigned URL
    st, hdr, body = fetch(loc, {"Range": "bytes=10-19"})
    assert st == 206 and body == data[10:20], (st, body)
    assert hdr["content-range"] == "bytes 10-19/%d" % len(data)
    # who may not read the channel gets no URL
    for path in ("/api/v1/files/%d/content", "/api/v1/files/%d"):
        r = bob.call("GET", path % f["id"])
        assert r.status in (403, 404) and "location" not in r.headers, r
    # a presigned URL dies after files_s3_url_ttl seconds
    time.sleep(TTL + 1.5)
    st, _, body = fetch(loc)
    assert st == 403 and b"expired" in body, (st, body[:200])


def test_images_in_s3_have_their_thumbnail_and_clean_copy():
    img = png(64, 48, text=b"GPS 48.85N 2.35E", seed=b"s3")
    r = put_raw(alice, "pic.png", img, ctype="image/png")
    assert r.status == 201, (r, stack.log_tail())
    f = r.json()
    assert f["width"] == 64 and f["height"] == 48 and f["thumbnail_url"], f
    # the picture: the copy without its text chunk, from the bucket
    r, loc = location(alice, f["id"])
    st, hdr, body = fetch(loc)
    assert st == 200 and body.startswith(b"\x89PNG") and b"GPS" not in body, (st, body[:64])
    assert hdr["content-type"].startswith("image/png")
    r = alice.call("GET", f["thumbnail_url"])
    assert r.status == 302, r
    st, hdr, body = fetch(r.headers["location"])
    assert st == 200 and body.startswith(b"RIFF") and body[8:12] == b"WEBP", (st, body[:16])


def test_same_bytes_twice_and_delete_keeps_shared_objects():
    data = text(3000, secrets.token_hex(4))
    sha = hashlib.sha256(data).hexdigest()
    a = put_raw(alice, "a.txt", data)
    b = put_raw(alice, "b.txt", data)
    assert a.status == 201 and b.status == 201, (a, b)
    assert s3.get(key_of(sha))[0] == 200
    alice.ok("DELETE", "/api/v1/files/%d" % a.json()["id"])
    assert s3.get(key_of(sha))[0] == 200, "another row still names the object"
    alice.ok("DELETE", "/api/v1/files/%d" % b.json()["id"])
    assert s3.get(key_of(sha))[0] == 404, "the object outlived its last row"
    expect_error(alice.call("GET", "/api/v1/files/%d/content" % b.json()["id"]), 404,
                 "VALIDATION_NOT_FOUND")


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_large_file_goes_up_in_parts_without_filling_memory():
    data = text(40 * 1024 * 1024 + 12345, secrets.token_hex(4))
    sha = hashlib.sha256(data).hexdigest()
    before_posts = s3.stats()["requests"]
    hwm0 = hwm_kib(stack.fcgi_pid())
    r = put_raw(alice, "big.txt", data)
    assert r.status == 201, (r, stack.log_tail())
    hwm1 = hwm_kib(stack.fcgi_pid())
    grew = hwm1 - hwm0
    print("    40 MiB upload: plexichat.fcgi peak RSS %d KiB before, %d KiB after (+%d KiB); "
          "%d requests to S3" % (hwm0, hwm1, grew, s3.stats()["requests"] - before_posts))
    assert grew < 8 * 1024, "the upload was held in memory (%d KiB)" % grew
    # 8 parts of 5 MiB + initiate + complete (+ HEAD)
    assert s3.stats()["requests"] - before_posts >= 10
    st, body = s3.get(key_of(sha))
    assert st == 200 and hashlib.sha256(body).hexdigest() == sha
    _, loc = location(alice, r.json()["id"])
    st, _, body = fetch(loc)
    assert st == 200 and hashlib.sha256(body).hexdigest() == sha


def test_resumable_upload_into_s3():
    data = text(300 * 1024, secrets.token_hex(4))
    n = len(data)
    u = alice.ok("POST", "/api/v1/files/uploads", {"name": "resumed.txt", "size": n, "type": "text/plain"})
    path = "/api/v1/files/uploads/%d" % u["id"]
    r = alice.call("PATCH", path, headers={"Content-Type": "application/offset+octet-stream",
                                           "Content-Range": "bytes 0-99999/%d" % n}, raw=data[:100000])
    assert r.status == 200 and r.json()["offset"] == 100000, r
    r = alice.call("PATCH", path, headers={"Content-Type": "application/offset+octet-stream",
                                           "Content-Range": "bytes 100000-%d/%d" % (n - 1, n)},
                   raw=data[100000:])
    assert r.status == 201, r
    assert s3.get(key_of(hashlib.sha256(data).hexdigest())) == (200, data)


def test_cleanup_removes_orphan_objects_from_the_bucket():
    orphan = b"nobody names me " + secrets.token_bytes(16)
    sha = hashlib.sha256(orphan).hexdigest()
    assert s3.put(key_of(sha), orphan) == 200
    keep = text(500, secrets.token_hex(4))
    k = put_raw(alice, "keep.txt", keep)
    assert k.status == 201
    r = stack.admin("files", "cleanup", "--dry-run", "--json")
    j = json.loads(r.stdout)
    assert r.returncode == 0 and j["objects_removed"] >= 1 and j["dry_run"], (r.stdout, r.stderr)
    assert s3.get(key_of(sha))[0] == 200, "a dry run removed something"
    r = stack.admin("files", "cleanup", "--json")
    j = json.loads(r.stdout)
    assert r.returncode == 0 and j["objects_removed"] >= 1, (r.stdout, r.stderr)
    assert s3.get(key_of(sha))[0] == 404
    assert s3.get(key_of(k.json()["sha256"]))[0] == 200
    u = stack.admin("files", "usage", "--json")
    assert json.loads(u.stdout)["store"] == "s3", u.stdout


def test_every_request_to_s3_was_signed_right():
    st = s3.stats()
    print("    s3_proxy: %d requests, %d valid, %d invalid %s" % (st["requests"], st["valid"],
                                                                   st["invalid"], st["invalid_detail"]))
    assert st["invalid"] == 0 and st["bad_hash"] == 0, st
    assert st["valid"] > 10


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        stack.stop()
        s3.stop()
        subprocess.run(["rm", "-rf", tmpdir])
