"""Compliance export: GET /api/v1/admin/compliance/export and
plexichat-admin export compliance. A generated Slack export is imported and
read back page by page: the same users, channels, texts, times, threads and
nothing else (the round trip); the CLI prints the same lines; the cursor
neither repeats nor skips while messages are posted meanwhile, including
one whose id was drawn before a larger one that commits first; bad input
and members get clear errors."""
import datetime
import json
import os
import secrets
import subprocess
import tempfile
import threading
import time

import authlib
import importlib_slack
import msglib
import pxtest

RUN = secrets.token_hex(4)
CX = "/api/v1/admin/compliance/export"
T0 = 1710000000


def cli(*args):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    return subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args),
                          capture_output=True, text=True, timeout=120)


def pages(tok, chans, limit, after=0, extra="", during=None):
    """Every line from after on, page by page; during(i) runs after each of
    the first four pages."""
    out, i = [], 0
    while True:
        r = authlib.api("GET", "%s?channels=%s&limit=%d&after=%d%s"
                        % (CX, ",".join(map(str, chans)), limit, after, extra), tok)
        assert r.status == 200, r
        assert r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(x) for x in r.body.decode().splitlines()]
        assert len(lines) <= limit
        out += lines
        nxt = int(r.headers["x-next-after"])
        assert nxt >= after and (not lines or nxt == lines[-1]["id"] or r.headers["x-more"] == "0")
        after = nxt
        if during and i < 4:
            during(i)
        i += 1
        if r.headers["x-more"] == "0" and not (during and i <= 4):
            return out, after


def iso(ts):
    t = datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def generated():
    users = [{"id": "U%s%d" % (RUN, i), "name": "cx%d%s" % (i, RUN),
              "profile": {"display_name": "CX %d" % i}} for i in range(3)]
    names = ["cxa-" + RUN, "cxb-" + RUN]
    chans = [{"id": "C%s%d" % (RUN, i), "name": n, "created": T0, "members": [u["id"] for u in users]}
             for i, n in enumerate(names)]
    msgs = {n: [] for n in names}
    for k in range(60):
        n = names[k % 2]
        ts = "%d.%06d" % (T0 + k * 3600, k)
        m = {"type": "message", "user": users[k % 3]["id"], "ts": ts, "text": "message %d of %s" % (k, n)}
        if k % 10 == 4:  # a reply to the channel's first message
            m["thread_ts"] = msgs[n][0]["ts"]
        msgs[n].append(m)
    return users, chans, msgs


def test_round_trip_and_cli():
    users, chans, msgs = generated()
    d = tempfile.mkdtemp(prefix="px-cx-")
    path = os.path.join(d, "export.zip")
    importlib_slack.write_export(path, users, chans, msgs)
    p = cli("import", "slack", path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["imported"]["messages"] == 60, p.stdout
    ids = {}
    for c in chans:
        ids[c["name"]] = int(authlib.psql("SELECT id FROM channels WHERE name = '%s'" % c["name"]))
    tok = authlib.admin_token()
    got, _ = pages(tok, ids.values(), 7)
    assert [g["id"] for g in got] == sorted({g["id"] for g in got}), "oldest first, no repeats"
    by_id = {g["id"]: g for g in got}
    uname = {u["id"]: u["name"] for u in users}
    want = sorted(((n, uname[m["user"]], m["text"], iso(m["ts"]),
                    next(x["text"] for x in msgs[n] if x["ts"] == m["thread_ts"])
                    if "thread_ts" in m else None)
                   for n in msgs for m in msgs[n]), key=lambda w: w[3])
    have = sorted(((g["channel"], g["author"], g["body"], g["created_at"],
                    by_id[g["thread_root_id"]]["body"] if g["thread_root_id"] else None)
                   for g in got), key=lambda w: w[3])
    assert have == want
    # since/until choose by creation time: [since, until)
    part, _ = pages(tok, ids.values(), 100, extra="&since=%s&until=%s"
                    % (iso(T0 + 3600 * 10)[:19] + "Z", iso(T0 + 3600 * 20)[:19] + "Z"))
    assert sorted(g["body"].split()[1] for g in part) == sorted(str(k) for k in range(10, 20))
    # the command line prints the same lines
    c = cli("export", "compliance", "--channels", ",".join(map(str, ids.values())))
    assert c.returncode == 0, c.stderr
    assert [json.loads(x) for x in c.stdout.splitlines()] == got
    assert "next after: %d" % got[-1]["id"] in c.stderr


def post(cid, uid, body):
    """A post through px_message_post (the API's own SQL) on its own
    connection; the API's per-user rate limit would slow the loop down."""
    return int(authlib.psql("SELECT (message->>'id') FROM px_message_post(%d, 'public', %d, NULL,"
                            " '%s', '<p>%s</p>', 'english', NULL, NULL)" % (cid, uid, body, body)))


def test_cursor_while_posting():
    owner = msglib.User("cxo")
    a = msglib.channel(owner)["id"]
    b = msglib.channel(owner)["id"]
    for k in range(5):
        post(a if k % 2 else b, owner.id, "before %d" % k)
    tok = authlib.admin_token()

    def post_more(i):
        for k in range(3):
            post(a if k % 2 else b, owner.id, "during %d.%d" % (i, k))

    got, after = pages(tok, [a, b], 2, during=post_more)
    assert [g["id"] for g in got] == sorted(set(g["id"] for g in got))
    all_ids = [int(x) for x in authlib.psql(
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM messages WHERE channel_id IN (%d, %d)"
        % (a, b)).split(",")]
    rest, _ = pages(tok, [a, b], 50, after=after)
    assert [g["id"] for g in got + rest] == all_ids

    # an id drawn first but committed last is not passed over: an import
    # batch (which emits no event, so it does not wait for the post's
    # event lock) into a, still open, while a post into b commits
    uid = owner.id
    slow = subprocess.Popen(
        ["psql", os.environ["PX_PG_CONNINFO"], "-Atc",
         "BEGIN; SELECT px_import_messages('cxtest', %d, ARRAY['%s'], ARRAY[%d::bigint],"
         " ARRAY['slow'], ARRAY['<p>slow</p>'], ARRAY[now()], ARRAY[NULL::text]);"
         " SELECT pg_sleep(2); COMMIT;" % (a, RUN, uid)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    fast = post(b, owner.id, "fast")
    assert authlib.psql("SELECT count(*) FROM messages WHERE body = 'slow' AND channel_id = %d"
                        % a) == "0", "the import batch is still open"
    result = {}

    def read():
        result["page"] = pages(tok, [a, b], 50, after=all_ids[-1])
    t = threading.Thread(target=read)
    t.start()
    t.join(10)
    slow.wait(10)
    assert slow.returncode == 0, slow.stderr.read()
    page, nxt = result["page"]
    bodies = [g["body"] for g in page]
    assert bodies == ["slow", "fast"], bodies
    assert nxt == fast


def test_bad_input_and_members():
    tok = authlib.admin_token()
    for q in ("", "?channels=", "?channels=a", "?channels=1,,2", "?channels=0",
              "?channels=" + ",".join(["1"] * 101), "?channels=1&limit=0",
              "?channels=1&after=-1", "?channels=1&since=tomorrow-ish"):
        r = authlib.api("GET", CX + q, tok)
        assert r.status == 400, (q, r)
        assert r.json()["error_code"] == "VALIDATION_FIELD_FORMAT", r.json()
    member = msglib.User("cxm")
    r = authlib.api("GET", CX + "?channels=1", member.token)
    assert r.status == 403, r
    p = cli("export", "compliance", "--channels", "x")
    assert p.returncode == 1 and "--channels" in p.stderr


if __name__ == "__main__":
    pxtest.run(globals())
