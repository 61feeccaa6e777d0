"""test_ai_ann: ask through the approximate index (IVF) over HTTP.

The embedding worker builds the index file once the config asks for it;
ask then answers from it ("search.index": "ann") and still reads only the
asker's channels: the index holds every channel's vectors, membership is
read in SQL at question time, so a member who leaves a private channel
stops getting its messages at once, and a channel never joined never
shows, even for the very same text. Messages stored after the build are
found too (compared exactly beside the index), and the worker's update
adds them to the file without training its lists again. A stale index (too many
newer vectors), a damaged file and a missing file each fall back to the
exact scan ("exact"); the worker then builds the file again.

Edits the shared config (PX_CONFIG; the server reloads it live) and
restores it at the end. The index file lives in a folder of its own."""
import os
import secrets
import struct
import tempfile
import time

import pxtest
from pxtest import request
import ailib
from ailib import User, channel, post, ask

CONF = os.environ["PX_CONFIG"]
DIR = tempfile.mkdtemp(prefix="px-ann-")
os.chmod(DIR, 0o777)    # the FastCGI processes (www-data) write the index here
INDEX = os.path.join(DIR, "ann.idx")
MARK = "# ann test\n"


def set_conf(**keys):
    """The test config plus ai_ann keys; waits until every process has it."""
    base = open(CONF).read().split(MARK)[0]
    extra = "".join("%s = %s\n" % kv for kv in keys.items())
    with open(CONF, "w") as f:
        f.write(base + (MARK + extra if keys else ""))
    time.sleep(1.3)
    for _ in range(20):
        request("GET", "/api/v1/system/health")


def index_conf(**more):
    keys = {"ai_ann": "on", "ai_ann_file": INDEX, "ai_ann_min_vectors": 1,
            "ai_ann_update_after": 1000000000, "ai_ann_lists": 4, "ai_ann_nprobe": 4}
    keys.update(more)
    set_conf(**keys)


def header():
    """The index file's header fields (ai/ai_ann.c: native byte order)."""
    with open(INDEX, "rb") as f:
        h = f.read(128)
    assert h[:8] == b"PXANN1\n\0", h[:8]
    _, dim, lists, _, count, watermark = struct.unpack("=IIIIQq", h[8:40])
    trained, = struct.unpack("=Q", h[104:112])
    return {"dim": dim, "lists": lists, "count": count, "watermark": watermark,
            "trained": trained}


def how(user, question):
    j = ask(user, question).json()
    return j["search"]["index"], {s["message_id"] for s in j["sources"]}, j


def wait_index(user, question, want="ann", timeout=40):
    end = time.time() + timeout
    while time.time() < end:
        if how(user, question)[0] == want:
            return True
        time.sleep(0.5)
    return False


def test_index_answers_only_readable_channels():
    a, b = User("aiann"), User("aiann")
    word = "quuxle" + secrets.token_hex(3)
    text = "The %s release train leaves at noon." % word
    mine = channel(a)
    shared = channel(b, kind="private", members=[a])
    theirs = channel(b, kind="private")
    m_mine = post(a, mine["id"], text)["id"]
    m_shared = post(b, shared["id"], "Shared: the %s release train is late." % word)["id"]
    # the same text where a has never been a member
    m_theirs = post(b, theirs["id"], text)["id"]
    for m in (m_mine, m_shared, m_theirs):
        assert ailib.wait_embedded(m)
    try:
        if os.path.exists(INDEX):
            os.unlink(INDEX)
        index_conf()
        assert pxtest.wait_for(lambda: os.path.exists(INDEX), timeout=40), "no index built"
        assert wait_index(a, "%s release train" % word)
        kind, got, j = how(a, "%s release train" % word)
        assert kind == "ann" and m_mine in got and m_shared in got, j
        assert m_theirs not in got, j
        # b reads the private channel's copy through the same index
        kind, got, j = how(b, "%s release train" % word)
        assert kind == "ann" and m_theirs in got and m_mine not in got, j
        # a leaves the shared channel: its message is gone from a's answers at once
        a.ok("DELETE", "/api/v1/channels/%d/members/%d" % (shared["id"], a.id))
        kind, got, j = how(a, "%s release train" % word)
        assert kind == "ann" and m_shared not in got and m_theirs not in got, j
        assert m_mine in got, j
        # messages stored after the build are compared exactly beside it
        late = post(a, mine["id"], "Late note: the %s release train got a dining car." % word)["id"]
        assert ailib.wait_embedded(late)
        kind, got, j = how(a, "%s release train dining car" % word)
        assert kind == "ann" and late in got, j
        # an update adds it to the file: more entries, lists not trained again
        before = header()
        index_conf(ai_ann_update_after=1)
        assert pxtest.wait_for(lambda: header()["watermark"] > before["watermark"], timeout=40)
        after = header()
        assert after["count"] > before["count"] and after["trained"] == before["trained"], \
            (before, after)
        assert after["lists"] == before["lists"]
        kind, got, j = how(a, "%s release train dining car" % word)
        assert kind == "ann" and late in got and m_theirs not in got, j
    finally:
        set_conf()


def test_stale_damaged_or_missing_index_falls_back_to_exact():
    a = User("aiannf")
    word = "frobz" + secrets.token_hex(3)
    c = channel(a)
    m = post(a, c["id"], "The %s backup ran twice tonight." % word)["id"]
    assert ailib.wait_embedded(m)
    q = "%s backup" % word
    try:
        index_conf()
        assert pxtest.wait_for(lambda: os.path.exists(INDEX), timeout=40), "no index built"
        assert wait_index(a, q)
        # the worker must not rebuild while the faults are in place
        index_conf(ai_ann_min_vectors=1000000000, ai_ann_update_after=1000000000,
                   ai_ann_max_delta=0)
        newer = post(a, c["id"], "Newer: the %s backup is fixed." % word)["id"]
        assert ailib.wait_embedded(newer)
        # one newer vector with max_delta 0: stale, exact scan (which finds both)
        kind, got, j = how(a, q)
        assert kind == "exact" and {m, newer} <= got, j
        index_conf(ai_ann_min_vectors=1000000000, ai_ann_update_after=1000000000)
        assert how(a, q)[0] == "ann"
        # a damaged file (same name, new contents): refused, exact scan
        good = open(INDEX, "rb").read()
        with open(INDEX + ".new", "wb") as f:
            f.write(good[: len(good) // 2])
        os.rename(INDEX + ".new", INDEX)
        assert wait_index(a, q, "exact", timeout=5)
        kind, got, j = how(a, q)
        assert m in got, j
        # missing: exact scan
        os.unlink(INDEX)
        time.sleep(1.1)
        assert how(a, q)[0] == "exact"
        # the worker builds it again once it may
        index_conf()
        assert pxtest.wait_for(lambda: os.path.exists(INDEX), timeout=40), "not rebuilt"
        assert wait_index(a, q)
        assert {m, newer} <= how(a, q)[1]
    finally:
        set_conf()


if __name__ == "__main__":
    pxtest.run(globals())
