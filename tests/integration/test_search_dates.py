"""Search with before:/after: (docs/API.md): after: is inclusive from the
date's first second, before: is exclusive; messages whose created_at is out
of id order (backdated here in the database, as an import would) are found
where their created_at puts them; and with before: the newest-first windows
end at the period's newest message (model/search.c), not at the newest
message of all; and a window's newest matches, not its best-ranked ones,
are the results (ordered by rank); words PostgreSQL expects in few
messages skip the windows and are ranked over every message; with from: the
author's newest matches are the results. Needs PX_PG_CONNINFO."""
import urllib.parse

import pxtest
from authlib import psql
from msglib import User, channel, post

ana = User("sdate")
filler = User("sfill")


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


def make_common(tag, n=12000):
    """n messages holding tag in a channel ana is not in, and fresh
    statistics: PostgreSQL then expects the word in more than 10,000
    messages, and search looks for it in windows of the newest messages
    (model/search.c, RANK_ALL_ROWS); a rare word skips them."""
    c = channel(filler)
    psql("INSERT INTO messages (channel_id, author_id, body, html, lang)"
         " SELECT %d, %d, '%s filler ' || g, '<p>filler</p>', 'english'"
         " FROM generate_series(1, %d) g" % (c["id"], filler.id, tag, n))
    psql("ANALYZE messages")


def test_date_bounds_and_windows():
    c = channel(ana)
    tag = "zd" + ana.name[-6:].lower()
    make_common(tag)

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


def ranked_posts(user, c, tag):
    """Three posts of tag, oldest first: the best-ranked (tag three times),
    the worst-ranked (once, in many words), and one between (twice)."""
    texts = ("%s %s %s strong" % (tag, tag, tag),
             "%s weak and long, with many more words around it" % tag,
             "%s %s middle" % (tag, tag))
    return tuple(post(user, c["id"], t)["id"] for t in texts)


def test_newest_matches_ranked():
    """A window's newest matches, up to the limit, are the results, best
    rank first: an older message that ranks higher is left for a larger
    limit (model/search.c walks the newest messages of a window with a
    floor, not every match)."""
    c = channel(ana)
    tag = "zn" + ana.name[-6:].lower()
    make_common(tag)
    skip_ids(40000)  # the first window (30,000 ids) has a floor
    old, weak, mid = ranked_posts(ana, c, tag)
    r = ana.ok("GET", "/api/v1/search?limit=2&q=" + tag)["results"]
    assert [x["message"]["id"] for x in r] == [mid, weak], r
    assert r[0]["rank"] > r[1]["rank"], r
    assert search(tag, limit=3) == [old, mid, weak]


def test_rare_words_ranked_over_all():
    """A word PostgreSQL expects in few messages goes straight to the last
    window: the best-ranked matches of all, even where the first window
    would have held the limit's worth of newer ones."""
    c = channel(ana)
    tag = "zr" + ana.name[-6:].lower()
    skip_ids(40000)
    old, weak, mid = ranked_posts(ana, c, tag)
    assert search(tag, limit=2) == [old, mid]
    assert search(tag, limit=3) == [old, mid, weak]


def test_author_newest_matches():
    """With from:, the windows count the author's messages and every one
    takes the newest matches: an author's older match that ranks higher is
    left for a larger limit even when the newest messages of all (the
    first window) hold none of theirs."""
    c = channel(ana)
    bo = User("sfrom")
    bo.ok("POST", "/api/v1/channels/%d/members" % c["id"], {})
    tag = "zf" + ana.name[-6:].lower()
    strong = post(bo, c["id"], "%s %s %s strong" % (tag, tag, tag))["id"]
    newer = post(bo, c["id"], "%s weak and long, with many more words around it" % tag)["id"]
    post(ana, c["id"], "%s by someone else" % tag)
    skip_ids(40000)
    post(ana, c["id"], "the newest message of all")
    query = "%s from:%s" % (tag, bo.name)
    assert search(query, limit=1) == [newer]
    assert search(query, limit=5) == [strong, newer]


if __name__ == "__main__":
    pxtest.run(globals())
