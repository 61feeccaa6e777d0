"""test_events_order: events are ordered without a global lock (sql/170).

A transaction that is still open when a later one commits its event must
not be skipped: readers stop below it until it ends (the gap problem). Posts
commit without NOTIFY and are woken in batches (fcgi/waker.c): delivery must
still be prompt, also when the only thing a reader waits for is an older
transaction that notifies nobody. Posts to one channel reach readers in
message-id order."""
import json
import os
import subprocess
import threading
import time

import pxtest
from msglib import SSE, User, channel, post

alice = User("oalice")
bob = User("obob")


class OpenTx:
    """A psql session holding a transaction open until commit()."""

    def __init__(self, sql):
        self.p = subprocess.Popen(["psql", "-X", "-q", "-At", os.environ["PX_PG_CONNINFO"]],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.p.stdin.write("BEGIN;\n" + sql + "\n")
        self.p.stdin.flush()
        self.first = self.p.stdout.readline().strip()

    def commit(self):
        out, err = self.p.communicate("COMMIT;\n", timeout=30)
        assert self.p.returncode == 0, err


def poll(user, after, wait=1):
    r = user.call("GET", "/api/v1/events?after=%d&wait=%d" % (after, wait))
    assert r.status == 200, r
    return r.json()


def head():
    """The newest event id (nothing is open when it is called)."""
    p = subprocess.run(["psql", "-X", "-At", os.environ["PX_PG_CONNINFO"], "-c",
                        "SELECT coalesce(max(id), 0) FROM events"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def gather(user, after, until, seconds=10):
    """Long-polls from after until until(events) holds; every event got."""
    got, deadline = [], time.monotonic() + seconds
    while not until(got) and time.monotonic() < deadline:
        r = poll(user, after, 2)
        got += r["events"]
        after = r["last_event_id"]
    return got


def joined(c):
    bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})


def test_no_skip_past_open_transaction():
    c, other = channel(alice), channel(alice)
    joined(c)
    joined(other)
    start = head()
    # an event of another channel (one channel's posts do wait for each
    # other: its head row) whose transaction stays open
    early = OpenTx("SELECT px_emit('channel.updated', %d, NULL, '{\"probe\":\"early\"}');"
                   % other["id"])
    early_id = int(early.first)
    # the post must not wait for the open transaction: no global lock
    done = {}
    t = threading.Thread(target=lambda: done.update(m=post(alice, c["id"], "later")))
    t.start()
    t.join(10)
    try:
        assert "m" in done, "a post waited for another transaction"
        later = poll(bob, start, 1)
        assert later["last_event_id"] < early_id, \
            "a reader's cursor passed an event that is yet to commit: %r" % later
        assert later["events"] == [], later
    finally:
        early.commit()
    got = gather(bob, start, lambda g: any(e["type"] == "message.created" for e in g))
    ids = [e["id"] for e in got]
    kinds = [e["type"] for e in got]
    assert ids[:1] == [early_id] and kinds[:2] == ["channel.updated", "message.created"], got
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    assert got[1]["data"]["id"] == done["m"]["id"]


def test_held_event_arrives_when_silent_transaction_ends():
    c = channel(alice)
    joined(c)
    s = SSE(bob)
    s.ready()
    # an older transaction that writes nothing readers care about and
    # notifies nobody: events after it wait for its end, then come at once
    quiet = OpenTx("SELECT pg_current_xact_id();")
    m = post(alice, c["id"], "behind a quiet transaction")
    time.sleep(0.3)
    t0 = time.monotonic()
    quiet.commit()
    s.conn.sock.settimeout(3)  # the safety fetch comes only after 5 s
    e = s.until(lambda e: e[1] == "message.created" and e[2]["channel_id"] == c["id"])
    assert e[2]["data"]["id"] == m["id"]
    assert time.monotonic() - t0 < 3
    s.close()


def test_wake_is_prompt():
    c = channel(alice)
    joined(c)
    s = SSE(bob)
    s.ready()
    s.conn.sock.settimeout(2)  # a missed wake-up would wait for the 5 s safety fetch
    for i in range(10):
        m = post(alice, c["id"], "prompt %d" % i)
        e = s.until(lambda e: e[1] == "message.created" and e[2]["channel_id"] == c["id"])
        assert e[2]["data"]["id"] == m["id"], (e, m)
    s.close()


def test_concurrent_posts_in_message_order():
    c = channel(alice)
    posters = [User("op%d" % i) for i in range(6)]
    for u in posters + [bob]:
        u.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    s = SSE(bob)
    s.ready()
    posted, errors = [], []

    def writer(u):
        try:
            for i in range(8):
                posted.append(post(u, c["id"], "w-%d" % i)["id"])
        except Exception as ex:  # noqa: BLE001 - reported below
            errors.append(ex)
    ts = [threading.Thread(target=writer, args=(u,)) for u in posters]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    seen, eids = [], []
    while len(seen) < len(posted):
        eid, _, d = s.until(lambda e: e[1] == "message.created" and e[2]["channel_id"] == c["id"])
        seen.append(d["data"]["id"])
        eids.append(int(eid))
    s.close()
    assert sorted(seen) == sorted(posted) and len(set(seen)) == len(seen), "exactly once"
    assert seen == sorted(seen), "message ids of one channel arrive in order"
    assert eids == sorted(eids)


def test_rolled_back_events_leave_no_trace():
    c = channel(bob)
    start = head()
    out = subprocess.run(["psql", "-X", "-q", "-At", os.environ["PX_PG_CONNINFO"]],
                         input="BEGIN;\n"
                         "SELECT px_emit('channel.updated', %d, NULL, '{\"n\":1}');\n"
                         "SAVEPOINT a;\n"
                         "SELECT px_emit('channel.updated', %d, NULL, '{\"n\":2}');\n"
                         "ROLLBACK TO a;\n"
                         "SELECT px_emit('channel.updated', %d, NULL, '{\"n\":3}');\n"
                         "COMMIT;\n" % (c["id"], c["id"], c["id"]),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    ids = [int(x) for x in out.stdout.split()]
    assert ids[1] == ids[0] + 1 and ids[2] == ids[1], "the rolled-back id is used again"
    got = gather(bob, start, lambda g: any(e["id"] == ids[2] for e in g))
    mine = [(e["id"], e["data"].get("n")) for e in got if e["channel_id"] == c["id"]]
    assert mine == [(ids[0], 1), (ids[2], 3)], mine
    assert json.dumps(got)


if __name__ == "__main__":
    pxtest.run(globals())
