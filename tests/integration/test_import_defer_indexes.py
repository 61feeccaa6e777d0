"""plexichat-admin import slack --defer-indexes: the full-text and trigram
indexes of messages are dropped for the import and built once at its end,
with the same definitions as before (pg_indexes), valid, and search finds
the imported history; an import that finds them missing (a deferred run
that died) makes them again first. Fresh names per run: both servers."""
import json
import os
import secrets
import subprocess
import tempfile

import authlib
import importlib_slack
import pxtest

RUN = secrets.token_hex(4)
T0 = 1700000000
DEFS = ("SELECT string_agg(indexname || ': ' || indexdef, E'\\n' ORDER BY indexname)"
        " FROM pg_indexes WHERE tablename = 'messages'"
        " AND indexname IN ('messages_tsv', 'messages_trgm')")
VALID = ("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
         " WHERE c.relname IN ('messages_tsv', 'messages_trgm') AND i.indisvalid")


def cli(*args):
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    return subprocess.run([exe, "-c", os.environ["PX_CONFIG"]] + list(args),
                          capture_output=True, text=True, timeout=300)


def export(tag, reader_email):
    users = [{"id": "U%s1" % tag, "name": "w%s" % tag.lower(), "profile": {}},
             {"id": "U%s2" % tag, "name": "reader", "profile": {"email": reader_email}}]
    name = "defer-%s" % tag.lower()
    chans = [{"id": "C%s" % tag, "name": name, "created": T0,
              "members": [u["id"] for u in users]}]
    msgs = {name: [{"type": "message", "user": users[k % 2]["id"], "ts": "%d.%06d" % (T0 + k, k),
                    "text": "walrus%s number %d" % (tag.lower(), k)} for k in range(50)]}
    d = tempfile.mkdtemp(prefix="px-defer-")
    path = os.path.join(d, "export.zip")
    importlib_slack.write_export(path, users, chans, msgs)
    return path, name


def test_defer_indexes_and_repair():
    reader = "dfr_%s%s" % (pxtest.SERVER[:3], RUN)
    email = reader + "@example.org"
    rc, out = authlib.admin_cli("create-user", reader, "--email", email, "--password-stdin",
                                stdin=authlib.PASSWORD + "\n")
    assert rc == 0, out
    tok = authlib.token_for(reader, authlib.PASSWORD)
    before = authlib.psql(DEFS)
    assert before.count("\n") == 1, before

    tag = "A" + RUN.upper()
    path, name = export(tag, email)
    p = cli("import", "slack", path, "--defer-indexes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["imported"]["messages"] == 50, p.stdout
    assert "2 search index(es) made again" in p.stderr, p.stderr
    assert authlib.psql(DEFS) == before
    assert authlib.psql(VALID) == "2"
    r = authlib.api("GET", "/api/v1/search?q=walrus%s&limit=100" % tag.lower(), tok)
    assert r.status == 200, r
    hits = r.json().get("results", r.json().get("messages", []))
    assert len(hits) == 50, r.json()

    # a deferred run that died left one missing: the next import makes it first
    authlib.psql("DROP INDEX messages_trgm")
    tag = "B" + RUN.upper()
    path, _ = export(tag, email)
    p = cli("import", "slack", path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 search index(es) missing" in p.stderr, p.stderr
    assert authlib.psql(DEFS) == before and authlib.psql(VALID) == "2"


if __name__ == "__main__":
    pxtest.run(globals())
