"""plexichat-admin files: usage (totals, --by user, --by channel, --json),
quota (per-user override, with its effect on uploads, back to the
default), cleanup (--dry-run first, then expired resumable uploads and
their temporary files, stale temporary files, files past a channel's
files_retention_days set over PATCH /api/v1/channels/{id} by its owner,
deleted rows, orphan objects), the storage figures on /admin/system, and
the man page and completion entries from the command table. Runs against
the harness's local file store; needs PX_BUILD, PX_CONFIG, PX_WORK."""
import hashlib
import json
import os
import re
import secrets
import subprocess
import time
import urllib.parse

import pxtest
from imagelib import png
from authlib import ADMIN_PASSWORD
from msglib import User, admin_cli, channel
from pxtest import expect_error
from webcheck import Browser, location

WORK = os.environ.get("PX_WORK", "")
FILES = os.path.join(WORK, "var", "files")
with open(os.environ["PX_CONFIG"]) as f:
    PG = dict(kv.split("=", 1) for kv in re.search(r"^db_conninfo = (.*)$", f.read(), re.M).group(1).split())

alice = User("afalice")
bob = User("afbob")


def sql(q):
    """Runs q on the harness database as postgres (for ageing rows)."""
    p = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-h", PG["host"],
                        "-p", PG["port"], "-d", PG["dbname"], "-c", q], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def files(*args):
    rc, out = admin_cli("files", *args)
    return rc, out


def put_raw(user, name, data, channel_id=None):
    q = "name=" + urllib.parse.quote(name)
    if channel_id:
        q += "&channel_id=%d" % channel_id
    return user.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": "text/plain"}, raw=data)


def text(n):
    tag = secrets.token_hex(8)
    return (("admin files %s\n" % tag).encode() * (n // 20 + 1))[:n]


def obj_path(sha):
    return os.path.join(FILES, "objects", sha[:2], sha[2:])


def test_usage():
    cid = channel(alice)["id"]
    for n in (1000, 2000, 3000):
        assert put_raw(alice, "u%d.txt" % n, text(n), cid).status == 201
    rc, out = files("usage", "--json")
    assert rc == 0, out
    j = json.loads(out)
    assert j["store"] == "local" and j["location"].endswith("/files"), j
    assert j["files"] >= 3 and j["bytes"] >= 6000 and j["objects"] >= 3, j
    assert j["stored_bytes"] > 0 and j["quarantined"] >= 0 and j["uploads"] >= 0, j
    rc, out = files("usage", "--by", "user", "--json", "--limit", "500")
    users = {u["username"]: u for u in json.loads(out)["users"]}
    assert users[alice.name]["files"] == 3 and users[alice.name]["bytes"] == 6000, users.get(alice.name)
    assert users[alice.name]["quota"] is None
    rc, out = files("usage", "--by", "channel", "--json", "--limit", "500")
    chans = {c["id"]: c for c in json.loads(out)["channels"]}
    assert chans[cid]["files"] == 3 and chans[cid]["files_retention_days"] is None
    rc, out = files("usage", "--by", "user")
    assert rc == 0 and "objects" in out and alice.name in out, out
    rc, out = files("usage", "--by", "nobody")
    assert rc == 2 and "usage:" in out


def test_quota_override():
    rc, out = files("quota", bob.name)
    assert rc == 0 and "default" in out, out
    rc, out = files("quota", bob.name, "10K")
    assert rc == 0 and "10240 bytes, own" in out, out
    expect_error(put_raw(bob, "big.txt", text(12000)), 413, "FILES_QUOTA_USER")
    assert put_raw(bob, "small.txt", text(4000)).status == 201
    rc, out = files("usage", "--by", "user", "--json", "--limit", "500")
    assert {u["username"]: u for u in json.loads(out)["users"]}[bob.name]["quota"] == 10240
    rc, out = files("quota", bob.name, "default")
    assert rc == 0 and "default" in out, out
    assert put_raw(bob, "big.txt", text(12000)).status == 201
    assert sql("SELECT count(*) FROM audit_log WHERE action = 'admin.files.quota_set' "
               "AND target = 'user:%d'" % bob.id) == "2"
    rc, out = files("quota", bob.name, "lots")
    assert rc == 2
    rc, out = files("quota", "no-such-user-" + secrets.token_hex(3), "1M")
    assert rc == 1


def test_retention_setting():
    c = channel(alice)
    cid = c["id"]
    assert c["files_retention_days"] is None
    bob.ok("POST", "/api/v1/channels/%d/members" % cid, {})
    # only the channel's owners and administrators
    r = bob.call("PATCH", "/api/v1/channels/%d" % cid, {"files_retention_days": 1})
    assert r.status == 403, r
    for bad in (0, -1, 36501, "7", 1.5, True):
        expect_error(alice.call("PATCH", "/api/v1/channels/%d" % cid, {"files_retention_days": bad}),
                     400, "VALIDATION_FIELD_TYPE")
    got = alice.ok("PATCH", "/api/v1/channels/%d" % cid, {"files_retention_days": 30})
    assert got["files_retention_days"] == 30 and got["id"] == cid, got
    assert alice.ok("GET", "/api/v1/channels/%d" % cid)["files_retention_days"] == 30
    # together with another field
    got = alice.ok("PATCH", "/api/v1/channels/%d" % cid, {"topic": "kept 7 days", "files_retention_days": 7})
    assert got["files_retention_days"] == 7 and got["topic"] == "kept 7 days", got
    got = alice.ok("PATCH", "/api/v1/channels/%d" % cid, {"files_retention_days": None})
    assert got["files_retention_days"] is None


def test_cleanup():
    old_ch = channel(alice)["id"]
    keep_ch = channel(alice)["id"]
    alice.ok("PATCH", "/api/v1/channels/%d" % old_ch, {"files_retention_days": 3})
    old = put_raw(alice, "old.txt", text(1500), old_ch).json()
    new = put_raw(alice, "new.txt", text(1600), old_ch).json()
    other = put_raw(alice, "elsewhere.txt", text(1700), keep_ch).json()
    # the same bytes in a channel without retention keep the object alive
    shared_bytes = text(1800)
    shared_old = put_raw(alice, "shared.txt", shared_bytes, old_ch).json()
    shared_kept = put_raw(alice, "shared.txt", shared_bytes, keep_ch).json()
    sql("UPDATE files SET created_at = now() - interval '4 days' WHERE id IN (%d, %d, %d)"
        % (old["id"], other["id"], shared_old["id"]))
    # an abandoned resumable upload, a stale and a fresh temporary file, an orphan object
    up = alice.ok("POST", "/api/v1/files/uploads", {"name": "gone.txt", "size": 5000})
    r = alice.call("PATCH", "/api/v1/files/uploads/%d" % up["id"],
                   headers={"Content-Type": "application/offset+octet-stream",
                            "Content-Range": "bytes 0-999/5000"}, raw=text(1000))
    assert r.status == 200, r
    tpath = sql("SELECT temp_path FROM uploads WHERE id = %d" % up["id"])
    assert os.path.exists(tpath)
    sql("UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = %d" % up["id"])
    stale = os.path.join(FILES, "tmp", "up-stale" + secrets.token_hex(3))
    fresh = os.path.join(FILES, "tmp", "up-fresh" + secrets.token_hex(3))
    for p in (stale, fresh):
        with open(p, "w") as f:
            f.write("x" * 100)
    os.utime(stale, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    orphan = b"orphan " + secrets.token_bytes(20)
    osha = hashlib.sha256(orphan).hexdigest()
    made = not os.path.isdir(os.path.dirname(obj_path(osha)))
    os.makedirs(os.path.dirname(obj_path(osha)), exist_ok=True)
    with open(obj_path(osha), "wb") as f:
        f.write(orphan)
    if made:   # the server (www-data) must still be able to store objects there
        subprocess.run(["chown", "www-data:www-data", os.path.dirname(obj_path(osha))], check=True)
    # the same file deleted over the API: its object goes at once
    gone = put_raw(alice, "deleted.txt", text(1900), keep_ch).json()
    alice.ok("DELETE", "/api/v1/files/%d" % gone["id"])
    assert not os.path.exists(obj_path(gone["sha256"])), "deletion left the object"

    rc, out = files("cleanup", "--dry-run", "--json")
    dry = json.loads(out)
    assert rc == 0 and dry["dry_run"] is True, out
    assert dry["uploads_expired"] >= 1 and dry["tmp_removed"] >= 1 and dry["retention_files"] >= 2
    assert dry["objects_removed"] >= 1, dry
    for p in (tpath, stale, obj_path(osha), obj_path(old["sha256"])):
        assert os.path.exists(p), "a dry run removed " + p
    rc, out = files("cleanup", "--json")
    j = json.loads(out)
    assert rc == 0 and j["ok"], out
    print("    cleanup: %s" % out.strip())
    assert j["uploads_expired"] >= 1 and j["tmp_removed"] >= 1 and j["retention_files"] >= 2, j
    assert not os.path.exists(tpath) and not os.path.exists(stale) and os.path.exists(fresh)
    assert not os.path.exists(obj_path(osha)), "orphan object left"
    assert not os.path.exists(obj_path(old["sha256"])), "object past retention left"
    assert os.path.exists(obj_path(shared_kept["sha256"])), "a shared object was removed"
    assert os.path.exists(obj_path(new["sha256"])) and os.path.exists(obj_path(other["sha256"]))
    expect_error(alice.call("GET", "/api/v1/files/%d" % old["id"]), 404, "VALIDATION_NOT_FOUND")
    expect_error(alice.call("GET", "/api/v1/files/%d" % shared_old["id"]), 404, "VALIDATION_NOT_FOUND")
    assert alice.call("GET", "/api/v1/files/%d/content" % new["id"]).status == 200
    assert alice.call("GET", "/api/v1/files/%d/content" % other["id"]).status == 200, \
        "retention touched a channel without it"
    assert alice.call("GET", "/api/v1/files/%d/content" % shared_kept["id"]).body == shared_bytes
    assert sql("SELECT count(*) FROM files WHERE state = 'deleted'") == "0"
    rc, out = files("cleanup")
    assert rc == 0 and "orphan objects" in out, out
    os.unlink(fresh)


def image_objects(sha):
    """The derivative objects of original sha (file_images), as a list."""
    row = sql("SELECT clean || ' ' || thumb || ' ' || preview FROM file_images WHERE sha256 = '%s'" % sha)
    return row.split() if row else []


def test_cleanup_keeps_derivatives_and_avatars():
    """Thumbnails, previews, the served copies of images and avatars are
    objects no files row names: the orphan walk must keep them while their
    rows exist, and remove the derivatives once the original is gone."""
    pic = png(64, 48, seed=secrets.token_bytes(8), noise=True)
    f = alice.call("PUT", "/api/v1/files?name=keep.png", headers={"Content-Type": "image/png"}, raw=pic)
    assert f.status == 201, f
    f = f.json()
    t = alice.call("GET", f["thumbnail_url"])
    assert t.status == 200, t
    derived = image_objects(f["sha256"])
    assert len(derived) == 3 and all(os.path.exists(obj_path(h)) for h in derived), derived
    r = bob.call("PUT", "/api/v1/users/me/avatar", headers={"Content-Type": "image/png"},
                 raw=png(80, 80, seed=secrets.token_bytes(8), noise=True))
    assert r.status in (200, 201), r
    av = sql("SELECT large || ' ' || small FROM user_avatars WHERE user_id = %d" % bob.id).split()
    assert len(av) == 2 and all(os.path.exists(obj_path(h)) for h in av), av

    rc, out = files("cleanup", "--json")
    assert rc == 0 and json.loads(out)["ok"], out
    for h in derived + av:
        assert os.path.exists(obj_path(h)), "cleanup removed a derivative or avatar object " + h
    assert alice.call("GET", f["thumbnail_url"]).body == t.body
    assert bob.call("GET", "/api/v1/users/%d/avatar" % bob.id).status == 200

    # once the original is deleted its derivatives go too
    alice.ok("DELETE", "/api/v1/files/%d" % f["id"])
    rc, out = files("cleanup", "--json")
    assert rc == 0 and json.loads(out)["ok"], out
    assert image_objects(f["sha256"]) == [], "derivative rows outlived their original"
    for h in derived:
        assert not os.path.exists(obj_path(h)), "derivative object outlived its original " + h
    for h in av:
        assert os.path.exists(obj_path(h)), "avatar object removed"


def test_rethumb():
    """files rethumb drops the derivatives (rows, then unshared objects);
    the next view makes them again from the original, identical bytes."""
    pic = png(300, 200, seed=secrets.token_bytes(8), noise=True)
    f = alice.call("PUT", "/api/v1/files?name=again.png", headers={"Content-Type": "image/png"}, raw=pic)
    assert f.status == 201, f
    f = f.json()
    first = alice.call("GET", f["thumbnail_url"])
    assert first.status == 200, first
    derived = image_objects(f["sha256"])
    assert len(derived) == 3, derived

    rc, out = files("rethumb", "--dry-run", f["sha256"])
    assert rc == 0 and "would drop 1" in out, out
    assert image_objects(f["sha256"]) == derived, "a dry run dropped rows"
    rc, out = files("rethumb", f["sha256"])
    assert rc == 0 and "dropped 1" in out, out
    assert image_objects(f["sha256"]) == []
    assert not os.path.exists(obj_path(derived[1])), "the old thumbnail object stayed"
    again = alice.call("GET", f["thumbnail_url"])
    assert again.status == 200 and again.body == first.body, again
    assert image_objects(f["sha256"]) == derived, "not made again from the original"
    rc, out = files("rethumb", "--all", "--json")
    j = json.loads(out)
    assert rc == 0 and j["dropped"] >= 1 and j["dry_run"] is False, out
    assert alice.call("GET", f["thumbnail_url"]).body == first.body
    # bad arguments are refused with the usage
    rc, out = files("rethumb", "not-a-hash")
    assert rc != 0, out
    rc, out = files("rethumb")
    assert rc != 0, out


def test_admin_page_shows_storage():
    b = Browser()
    assert location(b.post("/login", {"username": "admin", "password": ADMIN_PASSWORD, "next": "/"})) == "/"
    b.page("/admin/system")  # a valid page (webcheck)
    body = b.get("/admin/system").body.decode()
    assert "File storage" in body and 'id="file-storage"' in body, body[:500]
    rc, out = files("usage", "--json")
    j = json.loads(out)
    assert ("<dd>%d (" % j["files"]) in body, body[body.index("file-storage"):][:600]


def test_man_and_completion():
    rc, out = admin_cli("man")
    assert rc == 0 and "\\fBfiles usage" in out and "files quota" in out, out[:300]
    rc, out = admin_cli("completion", "bash")
    assert rc == 0 and " files " in out and "cleanup" in out


def test_cleanup_timer_units_verify():
    """dist/systemd's clean-up service and timer, with ExecStart= pointed at
    this build, pass systemd-analyze verify without a word."""
    import shutil
    import tempfile
    if not shutil.which("systemd-analyze"):
        print("    no systemd-analyze here: units not verified")
        return
    d = tempfile.mkdtemp()
    try:
        src = os.path.join(os.environ["PX_ROOT"], "dist", "systemd")
        with open(os.path.join(src, "plexichat-files-cleanup.service")) as f:
            unit = f.read().replace("/usr/bin/plexichat-admin",
                                    os.path.join(os.environ["PX_BUILD"], "plexichat-admin"))
        assert "ExecStart=%s files cleanup" % os.path.join(os.environ["PX_BUILD"], "plexichat-admin") in unit
        with open(os.path.join(d, "plexichat-files-cleanup.service"), "w") as f:
            f.write(unit)
        shutil.copy(os.path.join(src, "plexichat-files-cleanup.timer"), d)
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(d, "plexichat-files-cleanup.service"),
                            os.path.join(d, "plexichat-files-cleanup.timer")], capture_output=True, text=True)
        assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), p.stdout + p.stderr
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    pxtest.run(globals())
