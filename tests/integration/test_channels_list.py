#!/usr/bin/env python3
"""The channel lists (GET /channels and ?browse=1) are one set-based
statement (sql/183 px_channel_list) while a single channel still comes
from px_channel_json (GET /channels/{id}): every list entry must be the
same object as the single channel, for every kind of channel, notify level,
read marker, mention, reply, deletion and own message, in the list's order
and with the same channels left out."""
import secrets

import pxtest
from authlib import psql
from msglib import User, channel, post

alice = User("cla")
bob = User("clb")
carol = User("clc")


def single(user, cid):
    return user.ok("GET", "/api/v1/channels/%d" % cid)


def test_mine_equals_single_channels():
    pub = channel(alice)
    priv = channel(alice, "private", [bob])
    quiet = channel(alice, "private", [bob, carol])
    muted = channel(alice)
    dm = channel(alice, "dm", [bob])
    group = channel(alice, "group", [bob, carol])
    hidden = channel(alice, "private", [carol])
    for c in (pub, muted):
        bob.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    bob.ok("PUT", "/api/v1/channels/%d/notify" % quiet["id"], {"level": "mentions"})
    bob.ok("PUT", "/api/v1/channels/%d/notify" % muted["id"], {"level": "none"})
    roots = {}
    for c in (pub, priv, quiet, muted, dm, group, hidden):
        roots[c["id"]] = post(alice, c["id"], "root of %d" % c["id"])
        post(alice, c["id"], "hello @%s" % bob.name)
        if c in (quiet, group, hidden):
            post(carol, c["id"], "carol too")
        if c is not hidden:
            post(bob, c["id"], "bob's own")
        post(alice, c["id"], "a reply", thread_root_id=roots[c["id"]]["id"])
        gone = post(alice, c["id"], "to delete")
        alice.ok("DELETE", "/api/v1/channels/%d/messages/%d" % (c["id"], gone["id"]))
    # read up to the root: the mention is unread, the rest is a reply, bob's own or deleted
    bob.ok("PUT", "/api/v1/channels/%d/read-marker" % pub["id"], {"message_id": roots[pub["id"]]["id"]})
    mine = bob.ok("GET", "/api/v1/channels")
    ids = [x["id"] for x in mine]
    assert ids == sorted(ids), ids
    want = [pub, priv, quiet, muted, dm, group]
    assert all(c["id"] in ids for c in want) and hidden["id"] not in ids, ids
    for x in mine:
        assert x == single(bob, x["id"]), (x, single(bob, x["id"]))
    got = {x["id"]: x for x in mine}
    # the cases are really there: counts by level, members of DMs only
    assert got[pub["id"]]["unread_count"] == 1 and got[pub["id"]]["mention_count"] == 1
    assert got[priv["id"]]["unread_count"] == 2 and got[priv["id"]]["last_read_id"] == 0
    assert got[quiet["id"]]["unread_count"] == 0 and got[quiet["id"]]["mention_count"] == 1
    assert got[muted["id"]]["unread_count"] == 0 and got[muted["id"]]["mention_count"] == 0
    assert [m["id"] for m in got[group["id"]]["members"]] == sorted([alice.id, bob.id, carol.id])
    assert got[priv["id"]]["members"] is None and got[priv["id"]]["member_count"] == 2


def test_browse_equals_single_channels():
    tag = secrets.token_hex(3)
    names = ["b%s-%s" % (tag, s) for s in ("zeta", "alpha", "mid")]
    made = [channel(alice, name=n) for n in names]
    gone = channel(alice, name="b%s-archived" % tag)
    alice.ok("PATCH", "/api/v1/channels/%d" % gone["id"], {"archived": True})
    joined = channel(alice, name="b%s-joined" % tag)
    bob.ok("POST", "/api/v1/channels/%d/members" % joined["id"], {})
    post(alice, made[0]["id"], "something to count")
    browse = bob.ok("GET", "/api/v1/channels?browse=1")
    ids = [x["id"] for x in browse]
    assert all(c["id"] in ids for c in made), ids
    assert gone["id"] not in ids and joined["id"] not in ids, ids
    # ordered by name, as before
    mine = [x["name"] for x in browse if x["name"].startswith("b" + tag)]
    assert mine == sorted(names), mine
    for x in browse:
        if x["name"].startswith("b" + tag):
            assert x == single(bob, x["id"]), (x, single(bob, x["id"]))
            assert x["my_role"] is None and x["unread_count"] == 0



def test_kept_head_follows_changes():
    """A channel's own members are kept rendered (sql/192 list_head, by a
    trigger on channels): a rename, a topic, archiving and the files'
    retention show in the list at once, and a name with quotes and
    backslashes stays valid JSON."""
    c = channel(alice)
    tag = secrets.token_hex(3)
    new_name = "r%s-renamed" % tag
    topic = 'say "hi" \\ <b>now</b>'
    alice.ok("PATCH", "/api/v1/channels/%d" % c["id"],
             {"name": new_name, "topic": topic, "files_retention_days": 7})

    def listed():
        return {x["id"]: x for x in alice.ok("GET", "/api/v1/channels")}[c["id"]]
    got = listed()
    assert (got["name"], got["topic"], got["files_retention_days"]) == (new_name, topic, 7), got
    assert got["archived"] is False and got["created_at"] == c["created_at"], got
    alice.ok("PATCH", "/api/v1/channels/%d" % c["id"], {"archived": True})
    assert listed()["archived"] is True
    assert listed() == single(alice, c["id"])


def test_list_survives_a_changed_result_type():
    """A migration that replaces a function with one of another result type
    (here px_channels_mine_text, which sql/195 made, from text to json and
    back) while plexichat.fcgi runs: its connections' prepared statements
    fail with "cached plan must not change result type" until they are made
    again. Every GET /channels answers the same list before, while and after
    the type changes."""
    channel(alice)
    made = psql("SELECT pg_get_functiondef('px_channels_mine_text(bigint)'::regprocedure)")
    assert "RETURNS text" in made, made
    as_json = made.replace("RETURNS text", "RETURNS json", 1)

    def lists():
        # more requests than any server has worker connections
        return [alice.call("GET", "/api/v1/channels") for _ in range(24)]
    before = lists()
    want = before[0].body
    try:
        for definition in (as_json, made):
            psql("BEGIN; DROP FUNCTION px_channels_mine_text(bigint); %s; COMMIT" % definition)
            for r in lists():
                assert r.status == 200 and r.body == want, (r.status, r.body[:300])
    finally:
        if "RETURNS json" in psql("SELECT pg_get_functiondef('px_channels_mine_text(bigint)'::regprocedure)"):
            psql("BEGIN; DROP FUNCTION px_channels_mine_text(bigint); %s; COMMIT" % made)
    assert all(r.status == 200 and r.body == want for r in before)


if __name__ == "__main__":
    pxtest.run(globals())
