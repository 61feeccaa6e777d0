"""test_files_remote: the file store on Azure Blob Storage (files_store =
azure, against Azurite, which checks every Shared Key signature and every
SAS) and on Google Cloud Storage (files_store = gcs: GCS's S3-interoperable
XML API with HMAC keys; s3rver behind tests/integration/s3_proxy.py, which
recomputes every request's AWS4-HMAC-SHA256 signature with botocore for
region "auto", as GCS checks it), each behind lighttpd AND Apache
(mod_fcgid): uploads land under objects/ab/<sha256> (the missing Azure
container made by the first one), large files go up in blocks / parts
streamed from the temporary file, resumable uploads finish there,
downloads answer 302 to a short-lived signed URL (Azure: read-only service
SAS; GCS: SigV4 query signature) that the store serves with the safe
headers and Range, that a changed signature or an expired one does not
open, and that who may not read the file never gets; deletion removes the
object; `files cleanup` removes an orphan object and `files usage` names
the store.

Runs its own stacks (stacklib.py), both web servers inside the one run, so
once: under the Apache round of scripts/test.sh it exits 77."""
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
    print("test_files_remote: runs its own lighttpd and Apache stacks once, under the lighttpd round")
    sys.exit(77)

TTL = 10
PART = 5 * 1024 * 1024
azurite = stacklib.Azurite()
gcs = stacklib.S3("plexi-gcs", region="auto")
tmpdirs = []


def config(kind, tmpdir):
    common = {"files_store": kind, "files_dir": tmpdir, "files_s3_part_size": PART,
              "files_s3_url_ttl": TTL, "files_max_size": 64 * 1024 * 1024}
    if kind == "azure":
        common.update({"files_azure_url": "azure://plexi-files/px",
                       "files_azure_account": azurite.ACCOUNT, "files_azure_key": azurite.KEY,
                       "files_azure_endpoint": azurite.url})
    else:
        common.update({"files_gcs_url": "gs://plexi-gcs/px", "files_gcs_endpoint": gcs.url,
                       "files_gcs_public_endpoint": gcs.direct,
                       "files_gcs_access_key": "S3RVER", "files_gcs_secret_key": "S3RVER"})
    return common


def stored(kind, sha):
    """(status, body) of the object named sha, read from the store."""
    key = "px/objects/%s/%s" % (sha[:2], sha[2:])
    return azurite.get("plexi-files", key) if kind == "azure" else gcs.get(key)


def put_orphan(kind, data):
    sha = hashlib.sha256(data).hexdigest()
    key = "px/objects/%s/%s" % (sha[:2], sha[2:])
    st = azurite.put("plexi-files", key, data) if kind == "azure" else gcs.put(key, data)
    assert st in (200, 201), st
    return sha


def put_raw(user, name, data, ctype="text/plain", channel_id=None):
    q = "name=" + urllib.parse.quote(name, safe="")
    if channel_id:
        q += "&channel_id=%d" % channel_id
    return user.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": ctype}, raw=data)


def text(n, tag):
    line = ("remote line %s " % tag).encode()
    return (line * (n // len(line) + 1))[:n]


def fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


def location(user, fid):
    r = user.call("GET", "/api/v1/files/%d/content" % fid)
    assert r.status == 302, r
    return r.headers["location"]


def tampered(url, kind):
    """url with one character of its signature changed."""
    u = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    name = "sig" if kind == "azure" else "X-Amz-Signature"
    q = [(k, (v[:-2] + ("A" if v[-2] != "A" else "B") + v[-1]) if k == name else v) for k, v in q]
    return urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q, quote_via=urllib.parse.quote)))


def tmp_files(tmpdir):
    d = os.path.join(tmpdir, "tmp")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def scenario(kind, server, check_expiry):
    tmpdir = tempfile.mkdtemp(prefix="px-remote-")
    tmpdirs.append(tmpdir)
    stacklib.www_data(tmpdir)
    stack = stacklib.Stack("%s-%s" % (kind, server), config(kind, tmpdir), tmpdir, server=server)
    stack.start()
    try:
        pxtest.BASE = stack.url
        tag = secrets.token_hex(3)
        alice = User("rm%s%s" % (kind[:2], tag))
        bob = User("rmb%s%s" % (kind[:2], tag))
        # a small file in a private channel: in the store, nothing left in tmp/
        cid = channel(alice, kind="private")["id"]
        data = text(70000, tag)
        sha = hashlib.sha256(data).hexdigest()
        r = put_raw(alice, "report \u00e9t\u00e9.txt", data, channel_id=cid)
        assert r.status == 201, (r, stack.log_tail())
        f = r.json()
        assert f["sha256"] == sha and f["size"] == len(data), f
        assert tmp_files(tmpdir) == [], tmp_files(tmpdir)
        assert stored(kind, sha) == (200, data)
        # the redirect: a signed URL on the public endpoint that the store
        # serves with PlexiChat's headers
        loc = location(alice, f["id"])
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        if kind == "azure":
            assert loc.startswith(azurite.url + "/plexi-files/px/objects/"), loc
            assert q["sp"] == "r" and q["sr"] == "b" and "sig" in q, q
        else:
            assert loc.startswith(gcs.direct + "/plexi-gcs/px/objects/"), loc
            assert "/auto/s3/aws4_request" in q["X-Amz-Credential"], q
        st, hdr, body = fetch(loc)
        assert st == 200 and body == data, (st, body[:200])
        assert hdr["content-type"].startswith("text/plain"), hdr
        assert hdr["content-disposition"] == ("inline; filename=\"report _t_.txt\"; "
                                              "filename*=UTF-8''report%20%C3%A9t%C3%A9.txt"), hdr
        st, hdr, body = fetch(loc, {"Range": "bytes=10-19"})
        assert st == 206 and body == data[10:20], (st, body[:200])
        if kind == "azure":
            # Azurite checks the SAS: a changed signature opens nothing
            st, _, body = fetch(tampered(loc, kind))
            assert st == 403, (st, body[:300])
        for path in ("/api/v1/files/%d/content", "/api/v1/files/%d"):
            r = bob.call("GET", path % f["id"])
            assert r.status in (403, 404) and "location" not in r.headers, r
        # an image: derivatives made at upload are in the store too
        img = png(64, 48, text=b"GPS 48.85N 2.35E", seed=tag.encode())
        r = put_raw(alice, "pic.png", img, ctype="image/png")
        assert r.status == 201, (r, stack.log_tail())
        im = r.json()
        assert im["width"] == 64 and im["thumbnail_url"], im
        r = alice.call("GET", im["thumbnail_url"])
        assert r.status == 302, r
        st, _, body = fetch(r.headers["location"])
        assert st == 200 and body.startswith(b"RIFF") and body[8:12] == b"WEBP", (st, body[:16])
        # a large file: blocks / parts streamed from the temporary file
        big = text(3 * PART + 12345, tag + "big")
        bsha = hashlib.sha256(big).hexdigest()
        hwm0 = hwm_kib(stack.fcgi_pid()) if server == "lighttpd" else 0
        r = put_raw(alice, "big.txt", big)
        assert r.status == 201, (r, stack.log_tail())
        if server == "lighttpd":
            grew = hwm_kib(stack.fcgi_pid()) - hwm0
            print("    %s: %d MiB upload, plexichat.fcgi peak RSS +%d KiB" % (kind, len(big) >> 20, grew))
            assert grew < 8 * 1024, "the upload was held in memory (%d KiB)" % grew
        st, body = stored(kind, bsha)
        assert st == 200 and hashlib.sha256(body).hexdigest() == bsha, st
        st, _, body = fetch(location(alice, r.json()["id"]))
        assert st == 200 and hashlib.sha256(body).hexdigest() == bsha, st
        # a resumable upload finishes in the store
        rdata = text(300 * 1024, tag + "res")
        n = len(rdata)
        u = alice.ok("POST", "/api/v1/files/uploads", {"name": "resumed.txt", "size": n, "type": "text/plain"})
        path = "/api/v1/files/uploads/%d" % u["id"]
        r = alice.call("PATCH", path, headers={"Content-Type": "application/offset+octet-stream",
                                               "Content-Range": "bytes 0-99999/%d" % n}, raw=rdata[:100000])
        assert r.status == 200 and r.json()["offset"] == 100000, r
        r = alice.call("PATCH", path, headers={"Content-Type": "application/offset+octet-stream",
                                               "Content-Range": "bytes 100000-%d/%d" % (n - 1, n)},
                       raw=rdata[100000:])
        assert r.status == 201, r
        assert stored(kind, hashlib.sha256(rdata).hexdigest()) == (200, rdata)
        # deleting the last row that names an object removes it
        d = put_raw(alice, "gone.txt", text(3000, tag + "del"))
        assert d.status == 201, d
        alice.ok("DELETE", "/api/v1/files/%d" % d.json()["id"])
        assert stored(kind, d.json()["sha256"])[0] == 404
        expect_error(alice.call("GET", "/api/v1/files/%d/content" % d.json()["id"]), 404,
                     "VALIDATION_NOT_FOUND")
        # plexichat-admin files: cleanup of an orphan object, usage names the store
        osha = put_orphan(kind, b"nobody names me " + secrets.token_bytes(16))
        r = stack.admin("files", "cleanup", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["objects_removed"] >= 1, (r.stdout, r.stderr)
        assert stored(kind, osha)[0] == 404
        assert stored(kind, sha)[0] == 200, "cleanup removed a named object"
        u = json.loads(stack.admin("files", "usage", "--json").stdout)
        assert u["store"] == kind, u
        if check_expiry:
            time.sleep(TTL + 1.5)
            st, _, body = fetch(loc)
            assert st == 403, (st, body[:300])
    finally:
        stack.stop()


def test_azure_on_lighttpd():
    scenario("azure", "lighttpd", True)


def test_azure_on_apache():
    scenario("azure", "apache", False)


def test_gcs_on_lighttpd():
    scenario("gcs", "lighttpd", True)


def test_gcs_on_apache():
    scenario("gcs", "apache", False)


def test_every_gcs_request_was_signed_right():
    st = gcs.stats()
    print("    s3_proxy (gcs, region auto): %d requests, %d valid, %d invalid %s"
          % (st["requests"], st["valid"], st["invalid"], st["invalid_detail"]))
    assert st["invalid"] == 0 and st["bad_hash"] == 0 and st["valid"] > 10, st


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        azurite.stop()
        gcs.stop()
        for d in tmpdirs:
            subprocess.run(["rm", "-rf", d])
