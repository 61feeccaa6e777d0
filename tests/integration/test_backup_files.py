"""test_backup_files: plexichat-backup covers the file store. Files are
uploaded over HTTP into the harness's local store, backed up with the
database (`--config`: the store's objects/, never its tmp/), then 1% more
files are added: the incremental backup reads and uploads only the new
objects (the figures are printed), also with an empty local cache (the
previous snapshot names the objects). Restore brings back the database and
the files together into a fresh database and folder; a second PlexiChat
stack on them (stacklib.py) serves every uploaded file byte for byte, and
every object on disk still hashes to its name.

Runs its own stack, so once: under Apache it exits 77 (skipped)."""
import glob
import hashlib
import json
import os
import random
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
    print("test_backup_files: runs its own stack once, under the lighttpd round")
    sys.exit(77)

BUILD = os.environ["PX_BUILD"]
CONF = os.environ["PX_CONFIG"]
WORK = os.environ["PX_WORK"]
FILES = os.path.join(WORK, "var", "files")
T = tempfile.mkdtemp(prefix="px-bkfiles-")
os.chmod(T, 0o755)
with open(os.path.join(T, "pass"), "w") as f:
    f.write("files backup test passphrase\n")
with open(CONF) as f:
    CONNINFO = re.search(r"^db_conninfo = (.*)$", f.read(), re.M).group(1)
PG = dict(kv.split("=", 1) for kv in CONNINFO.split())
RESTORE_DB = "px_restore_" + secrets.token_hex(3)

# uploads are rate-limited per account (upload=60:240): four uploaders
alice = User("bkalice")
bob = User("bkbob")
carol = User("bkcarol")
dave = User("bkdave")
uploaded = []   # (user, file id, sha256)
rng = random.Random(1515)


def backup(*args, cache="cache"):
    """Runs plexichat-backup with this test's store; returns (rc, the
    fields of its log lines merged, stdout + stderr)."""
    cmd = [os.path.join(BUILD, "plexichat-backup"), "--config", CONF, "--store",
           os.path.join(T, "store"), "--passphrase-file", os.path.join(T, "pass"),
           "--cache-dir", os.path.join(T, cache), "--no-progress"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    fields = {}
    for line in p.stderr.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        fields.update(j.get("fields") or {})
    return p.returncode, fields, p.stdout + p.stderr


def upload(user, cid, n):
    """n text files of 8-96 KiB of random hex (zstd halves them at best)."""
    for _ in range(n):
        size = rng.randrange(8 * 1024, 96 * 1024)
        data = ("%s\n" % secrets.token_hex(size // 2)).encode()[:size]
        q = "name=%s&channel_id=%d" % (urllib.parse.quote("f-%s.txt" % secrets.token_hex(4)), cid)
        r = user.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": "text/plain"}, raw=data)
        assert r.status == 201, r
        uploaded.append((user, r.json()["id"], hashlib.sha256(data).hexdigest(), len(data)))


def psql_postgres(sql, db="postgres"):
    p = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-h", PG["host"],
                        "-p", PG["port"], "-d", db, "-c", sql], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def store_bytes():
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(FILES, "objects", "*", "*")))


def test_backup_incremental_restore():
    pub = channel(alice)["id"]
    priv = channel(bob, kind="private")["id"]
    for u in (carol, dave):
        u.ok("POST", "/api/v1/channels/%d/members" % pub, {})
    upload(alice, pub, 50)
    upload(carol, pub, 50)
    upload(dave, pub, 50)
    upload(bob, priv, 50)
    # a temporary file of an upload in flight is never backed up
    with open(os.path.join(FILES, "tmp", "up-inflight"), "w") as f:
        f.write("half an upload")
    rc, _, out = backup("init")
    assert rc == 0, out
    rc, first, out = backup("backup")
    assert rc == 0, out
    held = store_bytes()
    print("    first backup: %d files, %d bytes of files (store holds %d), %d read, %d uploaded "
          "in all" % (first["files"], first["files_bytes"], held, first["files_bytes_read"],
                      first["bytes_uploaded"]))
    assert first["files"] >= 200 and first["files_bytes"] == held
    # 1% more files
    n0 = len(uploaded)
    upload(alice, pub, 2)
    new_bytes = sum(x[3] for x in uploaded[n0:])
    rc, inc, out = backup("backup")
    assert rc == 0, out
    share = 100.0 * inc["files_bytes_uploaded"] / inc["files_bytes"]
    print("    incremental after +1%% files (%d new, %d bytes): files read %d bytes, files uploaded "
          "%d bytes = %.2f%% of the %d-byte store; database and files together uploaded %d bytes"
          % (len(uploaded) - n0, new_bytes, inc["files_bytes_read"], inc["files_bytes_uploaded"],
             share, inc["files_bytes"], inc["bytes_uploaded"]))
    assert inc["files_bytes_read"] == new_bytes, (inc, new_bytes)
    assert inc["files_unchanged"] == inc["files"] - 2
    assert share <= 2.0, share
    # without the local cache, the previous snapshot still names every object
    n1 = len(uploaded)
    upload(bob, priv, 2)
    rc, nocache, out = backup("backup", cache="cache-fresh")
    assert rc == 0, out
    assert nocache["files_bytes_read"] == sum(x[3] for x in uploaded[n1:]), nocache
    print("    with an empty cache: %d bytes read, %d uploaded for files"
          % (nocache["files_bytes_read"], nocache["files_bytes_uploaded"]))
    rc, _, out = backup("show", "--quiet")
    man = json.JSONDecoder().raw_decode(out)[0]
    paths = [e["path"] for e in man["files"]]
    assert man["files_only"] == "objects" and all(p.startswith("objects") for p in paths), paths[:3]
    assert not any("tmp" in p for p in paths)

    # restore database and files into fresh ones
    psql_postgres("CREATE DATABASE %s OWNER plexichat" % RESTORE_DB)
    target = os.path.join(T, "restored-files")
    rc, _, out = backup("restore", "latest", "--target-db",
                        "host=%s port=%s dbname=%s user=postgres" % (PG["host"], PG["port"], RESTORE_DB),
                        "--target-files", target)
    assert rc == 0, out
    assert not os.path.exists(os.path.join(target, "tmp", "up-inflight"))
    # every object comes back under its name
    objs = glob.glob(os.path.join(target, "objects", "*", "*"))
    for p in objs:
        with open(p, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == p[-65:-63] + p[-62:], p
    names = set(p[-65:-63] + p[-62:] for p in objs)
    for sha in psql_postgres("SELECT DISTINCT sha256 FROM files WHERE state <> 'deleted'",
                             RESTORE_DB).split():
        assert sha in names, "no object for %s after restore" % sha
    stacklib.www_data(target)
    data = tempfile.mkdtemp(prefix="px-restored-data-")
    stacklib.www_data(data)
    conn = CONNINFO.replace("dbname=plexichat", "dbname=" + RESTORE_DB)
    st = stacklib.Stack("restored", {"db_conninfo": conn, "data_dir": data, "files_dir": target},
                        target).start()
    try:
        pxtest.BASE = st.url
        for user, fid, sha, size in uploaded:
            r = user.call("GET", "/api/v1/files/%d/content" % fid)
            assert r.status == 200 and hashlib.sha256(r.body).hexdigest() == sha, (fid, r.status)
        print("    restored instance served all %d uploaded files byte for byte" % len(uploaded))
        # and still refuses who may not read them
        r = alice.call("GET", "/api/v1/files/%d/content" % uploaded[-1][1])
        assert r.status in (403, 404), r
    finally:
        pxtest.BASE = os.environ.get("PX_BASE_URL", pxtest.BASE)
        st.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        subprocess.run(["rm", "-f", os.path.join(FILES, "tmp", "up-inflight")])
        subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-h", PG["host"], "-p",
                        PG["port"], "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s" % RESTORE_DB],
                       capture_output=True)
        shutil.rmtree(T, ignore_errors=True)
