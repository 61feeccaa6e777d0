"""test_backup_remote_files: plexichat-backup covers a file store kept in
S3 (s3rver behind the SigV4-checking s3_proxy.py), in GCS (the same, for
region "auto") and in Azure Blob Storage (Azurite). For each: files are
uploaded over HTTP into a stack whose files_store is that store
(stacklib.py), `plexichat-backup backup --config` lists the store's
objects and reads each one in ranged pieces (a 9 MiB file takes three),
the next run after one more upload reads only that object (the previous
snapshot names the others; their names are their SHA-256), `restore
--target-files DIR` brings every object back into a local folder and
`restore --target-file-store` into an empty location of the same kind of
store, each byte for byte (hashing to its name).

Runs its own stacks, so once: under Apache it exits 77."""
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import pxtest
import stacklib
from msglib import User, channel

if pxtest.SERVER != "lighttpd":
    print("test_backup_remote_files: runs its own stacks once, under the lighttpd round")
    sys.exit(77)

BUILD = os.environ["PX_BUILD"]
T = tempfile.mkdtemp(prefix="px-bkremote-")
os.chmod(T, 0o755)
with open(os.path.join(T, "pass"), "w") as f:
    f.write("remote files backup test passphrase\n")
s3 = stacklib.S3("plexi-bk-files")
gcs = stacklib.S3("plexi-bk-gcs", region="auto")
azurite = stacklib.Azurite()


def config(kind, prefix):
    if kind == "s3":
        return {"files_store": "s3", "files_s3_url": "s3://plexi-bk-files/" + prefix,
                "files_s3_endpoint": s3.url, "files_s3_public_endpoint": s3.direct,
                "files_s3_access_key": "S3RVER", "files_s3_secret_key": "S3RVER"}
    if kind == "gcs":
        return {"files_store": "gcs", "files_gcs_url": "gs://plexi-bk-gcs/" + prefix,
                "files_gcs_endpoint": gcs.url, "files_gcs_public_endpoint": gcs.direct,
                "files_gcs_access_key": "S3RVER", "files_gcs_secret_key": "S3RVER"}
    return {"files_store": "azure", "files_azure_url": "azure://plexi-bk/" + prefix,
            "files_azure_account": azurite.ACCOUNT, "files_azure_key": azurite.KEY,
            "files_azure_endpoint": azurite.url}


def stored(kind, prefix, sha):
    key = "%s/objects/%s/%s" % (prefix, sha[:2], sha[2:])
    if kind == "azure":
        return azurite.get("plexi-bk", key)
    return (s3 if kind == "s3" else gcs).get(key)


def write_conf(base_conf, extra, path):
    """A copy of the stack's configuration file with extra keys."""
    with open(base_conf) as f:
        text = f.read()
    text += "".join("%s = %s\n" % kv for kv in extra.items())
    with open(path, "w") as f:
        f.write(text)
    return path


def backup(kind, conf, *args):
    cmd = [os.path.join(BUILD, "plexichat-backup"), "--config", conf, "--store",
           os.path.join(T, "store-" + kind), "--passphrase-file", os.path.join(T, "pass"),
           "--cache-dir", os.path.join(T, "cache-" + kind), "--no-progress", "--no-db"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    fields = {}
    for line in p.stderr.splitlines():
        try:
            fields.update(json.loads(line).get("fields") or {})
        except ValueError:
            continue
    return p.returncode, fields, p.stdout + p.stderr


def upload(user, cid, data):
    q = "name=%s&channel_id=%d" % (urllib.parse.quote("f-%s.txt" % secrets.token_hex(4)), cid)
    r = user.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": "text/plain"}, raw=data)
    assert r.status == 201, r
    return hashlib.sha256(data).hexdigest()


def scenario(kind):
    files_dir = tempfile.mkdtemp(prefix="px-bkremote-files-")
    stacklib.www_data(files_dir)
    extra = dict(config(kind, "px"), files_dir=files_dir, files_max_size=32 * 1024 * 1024,
                 files_s3_part_size=5 * 1024 * 1024)
    stack = stacklib.Stack("bk-" + kind, extra, files_dir).start()
    try:
        pxtest.BASE = stack.url
        tag = secrets.token_hex(3)
        u = User("bk%s%s" % (kind[:2], tag))
        cid = channel(u)["id"]
        shas = {}
        for i in range(12):
            data = ("%s\n" % secrets.token_hex(2000 + 1000 * i)).encode()
            shas[upload(u, cid, data)] = len(data)
        big = secrets.token_hex(9 * 1024 * 1024 // 2 + 777).encode()   # three 4 MiB pieces
        shas[upload(u, cid, big)] = len(big)
        conf = stack.conf
        rc, _, out = backup(kind, conf, "init")
        assert rc == 0, out
        rc, first, out = backup(kind, conf, "backup")
        assert rc == 0, out
        total = sum(shas.values())
        print("    %s: first backup %d files, %d bytes of files, %d read" %
              (kind, first["files"], first["files_bytes"], first["files_bytes_read"]))
        assert first["files"] == len(shas) and first["files_bytes"] == total, (first, total)
        assert first["files_bytes_read"] == total, first
        # one more file: only it is read
        more = ("%s\n" % secrets.token_hex(5000)).encode()
        shas[upload(u, cid, more)] = len(more)
        rc, inc, out = backup(kind, conf, "backup")
        assert rc == 0, out
        print("    %s: next backup after one upload: %d bytes read, %d of files uploaded, "
              "%d files unchanged" % (kind, inc["files_bytes_read"], inc["files_bytes_uploaded"],
                                      inc["files_unchanged"]))
        assert inc["files_bytes_read"] == len(more) and inc["files_unchanged"] == len(shas) - 1, inc
        rc, _, out = backup(kind, conf, "show", "--quiet")
        man = json.JSONDecoder().raw_decode(out)[0]
        assert man["files_store"] == kind and man["files_only"] == "objects", man.get("files_root")
        # restore into a local folder: a local file store
        target = os.path.join(T, "restored-" + kind)
        rc, _, out = backup(kind, conf, "restore", "latest", "--target-files", target)
        assert rc == 0, out
        for sha, size in shas.items():
            with open(os.path.join(target, "objects", sha[:2], sha[2:]), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == sha
        # restore into an empty location of the same kind of store
        conf2 = write_conf(conf, config(kind, "restored"), os.path.join(T, "restore-%s.conf" % kind))
        for sha in shas:
            assert stored(kind, "restored", sha)[0] == 404
        rc, res, out = backup(kind, conf2, "restore", "latest", "--target-file-store")
        assert rc == 0, out
        for sha in shas:
            st, body = stored(kind, "restored", sha)
            assert st == 200 and hashlib.sha256(body).hexdigest() == sha, (sha, st)
        print("    %s: restored %d objects into a local folder and into %s, byte for byte"
              % (kind, len(shas), config(kind, "restored")["files_%s_url" % kind]))
        leftovers = [p for p in os.listdir(os.path.join(files_dir, "tmp")) if p.startswith("restore-")]
        assert leftovers == [], leftovers
    finally:
        pxtest.BASE = os.environ.get("PX_BASE_URL", pxtest.BASE)
        stack.stop()
        shutil.rmtree(files_dir, ignore_errors=True)


def test_s3_files_in_the_backup():
    scenario("s3")


def test_gcs_files_in_the_backup():
    scenario("gcs")


def test_azure_files_in_the_backup():
    scenario("azure")


def test_every_signed_request_was_right():
    for name, st in (("s3", s3.stats()), ("gcs", gcs.stats())):
        assert st["invalid"] == 0 and st["bad_hash"] == 0 and st["valid"] > 10, (name, st)


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        s3.stop()
        gcs.stop()
        azurite.stop()
        shutil.rmtree(T, ignore_errors=True)
