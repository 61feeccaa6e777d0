"""Search with before:/after: (docs/API.md): after: is inclusive from the
date's first second, before: is exclusive; messages whose created_at is out
of id order (backdated here in the database, as an import would) are found
where their created_at puts them; and with before: the newest-first windows
end at the period's newest message (model/search.c), not at the newest
message of all; and a window's newest matches, not its best-ranked ones,
are the results (ordered by rank). Needs PX_PG_CONNINFO."""
import urllib.parse

import pxtest
from authlib import psql
from msglib import User, channel, post

ana = User("sdate")


def search(query, limit=20):
    r = ana.ok("GET", "/api/v1/search?limit=%d&q=%s" % (limit, urllib.parse.quote(query)))
    return [x["message"]["id"] for x in r["results"]]


def backdate(mid, at):
    """created_at = at (a timestamp of the server's time zone, as the
    search's date bounds are)."""
    psql("UPDATE messages SET created_at = '%s'::timestamp::timestamptz WHERE id = %d" % (at, mid))


def skip_ids(n):
    """Moves the id sequence n ahead, so the messages posted before lie
    outside the search's first windows (30,000 and 300,000 ids)."""
    psql("SELECT setval('messages_id_seq', nextval('messages_id_seq') + %d)" % n)


def test_date_bounds_and_windows():
    c = channel(ana)
    tag = "zd" + ana.name[-6:].lower()

    def put(text, at):
        m = post(ana, c["id"], text.replace("%s", tag))
        if at:
            backdate(m["id"], at)
        return m["id"]

    a = put("%s first", "2021-03-01 00:00:00")        # after: is inclusive
    b = put("%s second", "2021-02-28 23:59:59")       # one second before after:
    cc = put("%s third", "2021-04-01 00:00:00")       # before: is exclusive
    d = put("%s fourth", "2021-03-20 12:00:00")
    e = put("%s %s %s strong", "2021-03-15 00:00:00")  # the best rank of all
    skip_ids(100000)
    # f is older than d and e but has a larger id (out of id order)
    f = put("%s fifth", "2021-03-10 00:00:00")
    g = put("%s sixth", "2021-03-31 23:59:59")        # the period's newest
    skip_ids(100000)
    h = put("%s seventh", None)                       # now: after the period

    march = "%s after:2021-03-01 before:2021-04-01" % tag
    got = search(march)
    assert sorted(got) == sorted([a, d, e, f, g]), got
    assert got[0] == e, "the best rank first: %r" % got
    assert sorted(search("%s before:2021-03-01" % tag)) == [b]
    assert sorted(search("%s after:2021-04-01" % tag)) == sorted([cc, h])
    assert sorted(search("%s after:2021-03-01" % tag)) == sorted([a, cc, d, e, f, g, h])
    assert search("%s before:2021-02-01" % tag) == []
    assert search("%s after:2021-03-21 before:2021-03-31" % tag) == []

    # Two results asked for: the first window (30,000 ids ending at the
    # period's newest message, g) holds f and g, so they are ranked alone
    # and e, far older by id, is not looked at; had the window ended at the
    # newest message of all (h), it would hold nothing of the period and
    # every match would be ranked, e first.
    assert sorted(search(march, limit=2)) == sorted([f, g])


def test_newest_matches_ranked():
    """A window's newest matches, up to the limit, are the results, best
    rank first: an older message that ranks higher is left for a larger
    limit (model/search.c walks the newest messages of a window with a
    floor, not every match)."""
    c = channel(ana)
    tag = "zn" + ana.name[-6:].lower()
    skip_ids(40000)  # the first window (30,000 ids) has a floor
    old = post(ana, c["id"], "%s %s %s strong" % (tag, tag, tag))["id"]
    weak = post(ana, c["id"], "%s weak and long, with many more words around it" % tag)["id"]
    mid = post(ana, c["id"], "%s %s middle" % (tag, tag))["id"]
    r = ana.ok("GET", "/api/v1/search?limit=2&q=" + tag)["results"]
    assert [x["message"]["id"] for x in r] == [mid, weak], r
    assert r[0]["rank"] > r[1]["rank"], r
    assert search(tag, limit=3) == [old, mid, weak]


if __name__ == "__main__":
    pxtest.run(globals())
