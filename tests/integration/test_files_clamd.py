"""test_files_clamd: the virus-scan hook against a real clamd (Debian's
clamav-daemon, installed here when missing). Offline there is no
signature database to download, so the test writes one: an .ndb body
signature of the EICAR test string and an .hdb MD5 signature of one more
test file. A stack of its own (stacklib.py) with files_clamd_socket set:
a clean upload (several INSTREAM chunks) becomes a file; a flagged one is
stored quarantined (FILES_QUARANTINED on upload, on metadata and on
download, never listed, audited with the signature); with clamd stopped an
upload is refused with 503 FILES_SCAN_UNAVAILABLE while
files_clamd_required is on, and accepted with a warning once it is off.

Runs its own stack, so once: under Apache it exits 77 (skipped)."""
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pxtest
import stacklib
from msglib import User, channel
from pxtest import expect_error

if pxtest.SERVER != "lighttpd":
    print("test_files_clamd: runs its own stack once, under the lighttpd round")
    sys.exit(77)
if not shutil.which("clamd"):
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "clamav-daemon"],
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not shutil.which("clamd"):
        print("test_files_clamd: clamd (clamav-daemon) cannot be installed here")
        sys.exit(77)

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
OTHER = b"a harmless line that this test's own signature names\n" * 3
T = tempfile.mkdtemp(prefix="px-clamd-")
os.chmod(T, 0o755)
os.makedirs(os.path.join(T, "db"))
with open(os.path.join(T, "db", "px-test.ndb"), "w") as f:
    f.write("Eicar-Test-Signature:0:*:%s\n" % EICAR.hex())
with open(os.path.join(T, "db", "px-test.hdb"), "w") as f:
    f.write("%s:%d:PlexiChat.Test.Other\n" % (hashlib.md5(OTHER).hexdigest(), len(OTHER)))
SOCK = os.path.join(T, "clamd.sock")
with open(os.path.join(T, "clamd.conf"), "w") as f:
    f.write("DatabaseDirectory %s\nLocalSocket %s\nLocalSocketMode 666\nForeground yes\n"
            "LogFile %s\nUser root\nStreamMaxLength 64M\n"
            % (os.path.join(T, "db"), SOCK, os.path.join(T, "clamd.log")))
clamd = None


def start_clamd():
    global clamd
    clamd = subprocess.Popen(["clamd", "-c", os.path.join(T, "clamd.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(SOCK):
            return
        time.sleep(0.1)
    raise RuntimeError("clamd did not start")


def stop_clamd():
    if clamd and clamd.poll() is None:
        clamd.send_signal(signal.SIGTERM)
        clamd.wait(20)
    if os.path.exists(SOCK):
        os.unlink(SOCK)


start_clamd()
files_dir = os.path.join(T, "files")
os.makedirs(files_dir)
stacklib.www_data(files_dir)
EXTRA = {"files_dir": files_dir, "files_clamd_socket": SOCK, "files_clamd_timeout": 20}
stack = stacklib.Stack("clamd", dict(EXTRA, files_clamd_required="on"), files_dir).start()
pxtest.BASE = stack.url
alice = User("cvalice")


def put_raw(name, data, cid=None):
    q = "name=" + urllib.parse.quote(name) + ("&channel_id=%d" % cid if cid else "")
    return alice.call("PUT", "/api/v1/files?" + q, headers={"Content-Type": "text/plain"}, raw=data)


def tmp_files():
    d = os.path.join(files_dir, "tmp")
    return os.listdir(d) if os.path.isdir(d) else []


def test_clean_file_is_stored():
    data = (("plain text line %s " % secrets.token_hex(8)).encode()) * 50000   # 1.7 MB, many chunks
    r = put_raw("clean.txt", data)
    assert r.status == 201 and r.json()["state"] == "ready", (r, stack.log_tail())
    assert alice.call("GET", "/api/v1/files/%d/content" % r.json()["id"]).body == data


def test_flagged_files_are_quarantined():
    cid = channel(alice)["id"]
    for name, data, sig in (("eicar.txt", EICAR, "Eicar-Test-Signature"),
                            ("other.txt", OTHER, "PlexiChat.Test.Other")):
        r = put_raw(name, data, cid)
        j = expect_error(r, 403, "FILES_QUARANTINED")
        fid = j["details"]["id"]
        assert sig in j["details"]["signature"], j
        expect_error(alice.call("GET", "/api/v1/files/%d/content" % fid), 403, "FILES_QUARANTINED")
        expect_error(alice.call("GET", "/api/v1/files/%d" % fid), 403, "FILES_QUARANTINED")
        assert fid not in [f["id"] for f in alice.ok("GET", "/api/v1/channels/%d/files" % cid)["files"]]
        # nor can it be attached to a message
        expect_error(alice.call("POST", "/api/v1/channels/%d/messages" % cid,
                                {"body": "x", "file_ids": [fid]}), 409, "FILES_NOT_DRAFT")
    assert "quarantined" in stack.log_tail(40)
    rc = subprocess.run([os.path.join(stacklib.BUILD, "plexichat-admin"), "-c", stack.conf, "files", "usage",
                         "--json"], capture_output=True, text=True)
    assert '"quarantined":' in rc.stdout and not re.search(r'"quarantined":0\b', rc.stdout), rc.stdout
    assert tmp_files() == []


def test_audited():
    pg = dict(kv.split("=", 1) for kv in
              re.search(r"^db_conninfo = (.*)$", open(stack.conf).read(), re.M).group(1).split())
    p = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-At", "-h", pg["host"], "-p",
                        pg["port"], "-d", pg["dbname"], "-c",
                        "SELECT fields->>'signature' FROM audit_log WHERE action = 'files.quarantined' "
                        "AND actor_id = %d ORDER BY id" % alice.id], capture_output=True, text=True)
    sigs = p.stdout.split("\n")
    assert any("Eicar-Test-Signature" in s for s in sigs) and any("PlexiChat.Test.Other" in s for s in sigs), \
        (p.stdout, p.stderr)


def set_required(value):
    with open(stack.conf) as f:
        text = f.read()
    text = re.sub(r"^files_clamd_required = .*$", "files_clamd_required = " + value, text, flags=re.M)
    with open(stack.conf, "w") as f:
        f.write(text)
    os.kill(stack.fcgi_pid(), signal.SIGHUP)
    time.sleep(1.5)


def test_clamd_down():
    stop_clamd()
    try:
        before = tmp_files()
        expect_error(put_raw("when-down.txt", b"scan me please\n" * 10), 503, "FILES_SCAN_UNAVAILABLE")
        assert tmp_files() == before
        set_required("off")
        r = put_raw("unscanned.txt", b"accepted unscanned\n" * 10)
        assert r.status == 201, r
        assert "UNSCANNED" in stack.log_tail(40)
    finally:
        set_required("on")
        start_clamd()
    r = put_raw("back.txt", b"clamd is back\n" * 10)
    assert r.status == 201, r


if __name__ == "__main__":
    try:
        pxtest.run(globals())
    finally:
        stack.stop()
        stop_clamd()
        shutil.rmtree(T, ignore_errors=True)
