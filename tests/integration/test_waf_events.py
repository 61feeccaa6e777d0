"""Security events through the admin API: recent WAF events (newest first,
paged, filtered), the top rules of a window, and the JSON-lines export for
a SIEM over HTTP and from plexichat-admin. Admins only."""
import json
import time

import pxtest
from authlib import api, make_user
from pxtest import expect_error, request
import waflib
from waflib import admin, admin_api, admin_cli

ATTACK = "/api/v1/users?search=%27%20UNION%20SELECT%20password_hash%20FROM%20users--"


def attack():
    """Sends a blocked request; returns its correlation id."""
    j = expect_error(request("GET", ATTACK), 403, "SECURITY_REQUEST_BLOCKED")
    return j["correlation_id"]


def find(events, cid):
    return next((e for e in events if e["correlation_id"] == cid), None)


def test_recent_events_and_paging():
    cids = [attack() for _ in range(3)]
    r = admin_api("GET", "/api/v1/admin/waf/events?limit=20")
    assert r.status == 200, r
    events = r.json()["events"]
    ev = find(events, cids[-1])
    assert ev, (cids, events[:3])
    assert ev["action"] == "waf.block" and ev["target"] == "/api/v1/users", ev
    assert ev["ip"] in ("127.0.0.1", "::1"), ev
    assert ev["fields"]["rules"] and all(isinstance(x, int) for x in ev["fields"]["rules"]), ev
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True), ids
    assert all(e["action"].startswith("waf.") for e in events), events
    # one at a time, following next_before, reaches the same three events
    seen, before = [], 0
    for i in range(3):
        page = admin_api("GET", "/api/v1/admin/waf/events?limit=1&action=waf.block"
                         + ("&before=%d" % before if before else "")).json()
        # on a fresh database the third is the last: no next_before
        assert len(page["events"]) == 1 and (page["next_before"] or i == 2), page
        seen.append(page["events"][0]["correlation_id"])
        before = page["next_before"]
    assert seen == cids[::-1], (seen, cids)


def test_filters_and_bad_input():
    attack()
    r = admin_api("GET", "/api/v1/admin/waf/events?ip=127.0.0.1&action=waf.block&limit=5")
    assert r.status == 200 and r.json()["events"], r
    assert all(e["ip"] == "127.0.0.1" for e in r.json()["events"])
    assert admin_api("GET", "/api/v1/admin/waf/events?ip=192.0.2.99").json()["events"] == []
    for q, field in (("ip=1.2.3", "ip"), ("action=auth.login", "action"), ("limit=0", "limit"),
                     ("limit=501", "limit"), ("before=-1", "before")):
        j = expect_error(admin_api("GET", "/api/v1/admin/waf/events?" + q), 400,
                         "VALIDATION_FIELD_FORMAT")
        assert j["details"]["field"] == field, j
    _, member, _ = make_user(admin(), prefix="wafe", role="member")
    for path in ("events", "top-rules", "events.jsonl", "blocks"):
        expect_error(api("GET", "/api/v1/admin/waf/" + path, member), 403, "AUTH_FORBIDDEN")


def test_top_rules():
    cid = attack()
    ev = find(admin_api("GET", "/api/v1/admin/waf/events?limit=50").json()["events"], cid)
    r = admin_api("GET", "/api/v1/admin/waf/top-rules?hours=1&limit=50")
    assert r.status == 200, r
    j = r.json()
    assert j["hours"] == 1
    counts = {x["rule"]: x["count"] for x in j["rules"]}
    assert all(rule in counts for rule in ev["fields"]["rules"]), (ev, counts)
    c = [x["count"] for x in j["rules"]]
    assert c == sorted(c, reverse=True), c
    before = counts[ev["fields"]["rules"][0]]
    attack()
    after = {x["rule"]: x["count"] for x in
             admin_api("GET", "/api/v1/admin/waf/top-rules?hours=1&limit=50").json()["rules"]}
    assert after[ev["fields"]["rules"][0]] == before + 1, (before, after)
    expect_error(admin_api("GET", "/api/v1/admin/waf/top-rules?hours=0"), 400,
                 "VALIDATION_FIELD_FORMAT")


def jsonl(query):
    r = admin_api("GET", "/api/v1/admin/waf/events.jsonl?" + query)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("application/x-ndjson"), r.headers
    lines = r.body.decode().splitlines()
    return r, [json.loads(x) for x in lines]


def test_jsonl_export_http_and_cli():
    start = int(waflib.psql("SELECT coalesce(max(id), 0) FROM audit_log"))
    since = waflib.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
    cids = [attack() for _ in range(3)]
    r, recs = jsonl("after=%d" % start)
    got = [x["correlation_id"] for x in recs]
    assert all(c in got for c in cids), (cids, got)
    assert all(x["source"] == "plexichat.waf" and x["action"].startswith("waf.") for x in recs)
    ids = [x["id"] for x in recs]
    assert ids == sorted(ids) and ids[0] > start, ids
    assert int(r.headers["x-next-after"]) == ids[-1] and r.headers["x-more"] == "0", r.headers
    # paged: two per call, following X-Next-After, returns the same records
    after, paged = start, []
    for _ in range(20):
        r, page = jsonl("after=%d&limit=2" % after)
        paged += page
        after = int(r.headers["x-next-after"])
        if r.headers["x-more"] == "0":
            break
    assert [x["id"] for x in paged] == ids, (paged, ids)
    # since a timestamp
    _, recs2 = jsonl("since=" + since)
    assert all(c in [x["correlation_id"] for x in recs2] for c in cids)
    expect_error(admin_api("GET", "/api/v1/admin/waf/events.jsonl?since=yesterday-ish"), 400,
                 "VALIDATION_FIELD_FORMAT")
    # the CLI writes the same lines
    rc, out, err = admin_cli("waf", "export-events", "--after", str(start))
    assert rc == 0, err
    cli = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in cli][:len(ids)] == ids, (cli, ids)
    assert cli[0] == recs[0], (cli[0], recs[0])
    rc, out, err = admin_cli("waf", "export-events", "--since", since)
    assert rc == 0 and all(c in out for c in cids), (out, err)
    rc, out, err = admin_cli("waf", "export-events", "--since", "not a time")
    assert rc == 1, (rc, out, err)


def waf_ids(lo, hi=None):
    """Ids of WAF events above lo (and at most hi) straight from PostgreSQL."""
    q = "SELECT id FROM audit_log WHERE action LIKE 'waf.%%' AND id > %d" % lo
    if hi is not None:
        q += " AND id <= %d" % hi
    out = waflib.psql(q + " ORDER BY id")
    return [int(x) for x in out.split()] if out else []


def test_export_cursor_oldest_first_while_events_arrive():
    attack()
    first = waf_ids(0)
    # after=0 starts at the oldest event, not the newest
    r, recs = jsonl("after=0&limit=3")
    assert [x["id"] for x in recs] == first[:3], (recs, first[:3])
    assert int(r.headers["x-next-after"]) == first[2] and r.headers["x-more"] == "1", r.headers
    start = first[-1]
    made = [attack() for _ in range(5)]
    after, got, pages = start, [], 0
    while True:
        r, page = jsonl("after=%d&limit=2" % after)
        got += page
        pages += 1
        if page:
            assert int(r.headers["x-next-after"]) == page[-1]["id"], r.headers
        after = int(r.headers["x-next-after"])
        if pages <= 3:
            made.append(attack())  # arrives behind the cursor while paging
        if r.headers["x-more"] == "0":
            break
        assert pages < 50, got
    ids = [x["id"] for x in got]
    assert pages >= 4, pages
    assert ids == sorted(set(ids)), ids                      # no repeats, in order
    assert ids == waf_ids(start), (ids, waf_ids(start))      # no gaps
    cids = [x["correlation_id"] for x in got]
    assert all(c in cids for c in made), (made, cids)
    # a cursor at the end answers an empty page and keeps its place
    r, page = jsonl("after=%d" % ids[-1])
    assert page == [] and int(r.headers["x-next-after"]) == ids[-1], r.headers


def test_events_newest_first_cursor_while_events_arrive():
    start = (waf_ids(0) or [0])[-1]
    for _ in range(5):
        attack()
    top = waf_ids(start)[-1]
    seen, before, pages = [], 0, 0
    while True:
        page = admin_api("GET", "/api/v1/admin/waf/events?limit=2"
                         + ("&before=%d" % before if before else "")).json()
        seen += [e["id"] for e in page["events"] if e["id"] > start]
        pages += 1
        attack()  # newer than the first page: never shows up below the cursor
        if not page["next_before"] or page["next_before"] <= start + 1:
            break
        before = page["next_before"]
        assert pages < 50, seen
    assert pages >= 3, pages
    assert seen == sorted(set(seen), reverse=True), seen         # no repeats, in order
    assert seen == waf_ids(start, top)[::-1], (seen, waf_ids(start, top))  # no gaps


def test_export_cursor_never_passes_an_event_still_being_written():
    """An event whose id was drawn before a newer one's but that commits
    later (a slow writer) is still exported: the export waits for it
    instead of moving its cursor past it."""
    import os
    import subprocess
    start = (waf_ids(0) or [0])[-1]
    slow = subprocess.Popen(
        ["psql", "-q", "-At", os.environ["PX_PG_CONNINFO"]], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # what core/audit.c does, with the commit held back for two seconds
    slow.stdin.write("BEGIN;\nSELECT pg_advisory_xact_lock_shared(7243041);\n"
                     "INSERT INTO audit_log(action, fields) VALUES ('waf.detect',"
                     " '{\"slow\":true}') RETURNING id;\nSELECT pg_sleep(2);\nCOMMIT;\n")
    slow.stdin.close()
    time.sleep(0.5)
    fast = attack()  # committed at once, with a higher id
    t0 = time.time()
    r, recs = jsonl("after=%d" % start)
    waited = time.time() - t0
    out, err = slow.stdout.read(), slow.stderr.read()
    assert slow.wait(timeout=30) == 0, err
    slow_id = int(out.split()[0])
    ids = [x["id"] for x in recs]
    assert slow_id in ids and fast in [x["correlation_id"] for x in recs], (slow_id, recs)
    assert ids == waf_ids(start), (ids, waf_ids(start))
    assert waited > 0.8, waited


if __name__ == "__main__":
    pxtest.run(globals())
