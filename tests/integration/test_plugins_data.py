"""Plugin data (docs/PLUGIN_DEVELOPMENT.md "Data"): a plugin's migrations
run as its own role in its own schema, in the install's transaction; that
role cannot read PlexiChat's tables nor another plugin's, and a migration
cannot step out of it (RESET ROLE) nor read them; a failing migration
leaves nothing behind; upgrades apply the new migrations, a downgrade runs
the down scripts and is refused across one without; remove keeps the data
unless --purge. The shipped poll plugin keeps its tallies there and answers
them on its route. Needs PX_BUILD, PX_CONFIG, PX_WORK, PX_PG_CONNINFO."""
import io
import json
import os
import re
import subprocess
import tarfile

import pxtest
from authlib import psql
from msglib import User, channel
from test_plugins import PKGS, TAG, cli, installed, keygen, name, package, sign
from test_plugins_events import command, vote, tally
from test_plugins_runtime import until

KEY = PUB = None
POLL = os.path.join(os.environ.get("PX_ROOT", "."), "examples", "plugins", "poll")


def setup():
    global KEY, PUB
    if KEY is None:
        KEY, PUB = keygen()
        rc, out = cli("key", "add", "data-" + TAG, PUB)
        assert rc == 0, out


def mig(n, sql, down=None):
    """migrations entries and files for migration n."""
    files = {"sql/%03d.sql" % n: sql.encode()}
    entry = {"up": "sql/%03d.sql" % n}
    if down is not None:
        files["sql/%03d.down.sql" % n] = down.encode()
        entry["down"] = "sql/%03d.down.sql" % n
    return entry, files


def data_pkg(base, version, migs, perms=("storage",), fname=None):
    entries, files = [], {}
    for i, m in enumerate(migs):
        e, f = mig(i + 1, *m) if isinstance(m, tuple) else mig(i + 1, m)
        entries.append(e)
        files.update(f)
    p = package(base, version, extra={"permissions": list(perms), "migrations": entries},
                files=files, fname=fname)
    sign(p, KEY)
    return p


def install(path):
    return cli("install", path)


def schema(n):
    return "plugin_" + n


def tables(n):
    return set(filter(None, psql("SELECT string_agg(tablename, ' ') FROM pg_tables"
                                 " WHERE schemaname = '%s'" % schema(n)).split()))


def applied(n):
    return psql("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM"
                " plugin_migrations WHERE plugin = '%s'" % n)


def role_exists(n):
    return psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pxpl\\_%%\\_%s'" % n) == "1"


def as_plugin(n, sql):
    """Runs sql over TCP as plugin n's own role, with its password, as the
    plugin would: (returncode, output)."""
    role, pw = psql("SELECT role || ' ' || password FROM plugin_data WHERE plugin = '%s'"
                    % n).split()
    conninfo = re.sub(r"user=\S+", "user=" + role, os.environ["PX_PG_CONNINFO"])
    conninfo = re.sub(r"password=\S+", "password=" + pw, conninfo)
    p = subprocess.run(["psql", conninfo, "-qAtc", sql], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, (p.stdout + p.stderr).strip()


def test_versions_migrate_and_go_back():
    setup()
    n = name("notes")
    v1 = data_pkg("notes", "1.0.0", [("CREATE TABLE a (x int); INSERT INTO a VALUES (1);",
                                      "DROP TABLE a;")])
    rc, out = install(v1)
    assert rc == 0, out
    assert tables(n) == {"a"} and applied(n) == "1", (tables(n), applied(n))
    # owned by the plugin's role, not PlexiChat's
    assert psql("SELECT tableowner FROM pg_tables WHERE schemaname = '%s'" % schema(n)) \
        .startswith("pxpl_"), "owner"
    v2 = data_pkg("notes", "2.0.0", [("CREATE TABLE a (x int); INSERT INTO a VALUES (1);",
                                      "DROP TABLE a;"),
                                     ("CREATE TABLE b (y text);", "DROP TABLE b;")])
    rc, out = install(v2)
    assert rc == 0, out
    assert tables(n) == {"a", "b"} and applied(n) == "1,2", (tables(n), applied(n))
    # back: the stored down script of 2 runs, 1 stays with its row
    rc, out = cli("use", n, "1.0.0")
    assert rc == 0, out
    assert tables(n) == {"a"} and applied(n) == "1", (tables(n), applied(n))
    assert psql("SELECT count(*) FROM \"%s\".a" % schema(n)) == "1"
    rc, out = cli("use", n, "2.0.0")
    assert rc == 0 and tables(n) == {"a", "b"}, out
    # 3 cannot be undone: going back below it is refused, with the reason
    v3 = data_pkg("notes", "3.0.0", [("CREATE TABLE a (x int); INSERT INTO a VALUES (1);",
                                      "DROP TABLE a;"),
                                     ("CREATE TABLE b (y text);", "DROP TABLE b;"),
                                     "ALTER TABLE a ADD COLUMN z int;"])
    rc, out = install(v3)
    assert rc == 0, out
    rc, out = cli("use", n, "2.0.0")
    assert rc == 1 and "migration 3" in out and "no down script" in out, out
    assert installed()[n]["version"] == "3.0.0" and applied(n) == "1,2,3", out
    # a published migration that changed is refused
    v4 = data_pkg("notes", "4.0.0", ["CREATE TABLE a (x bigint);",
                                     ("CREATE TABLE b (y text);", "DROP TABLE b;"),
                                     "ALTER TABLE a ADD COLUMN z int;"])
    rc, out = install(v4)
    assert rc == 1 and "migration 1" in out and "never change" in out, out
    assert installed()[n]["version"] == "3.0.0", out


def test_failed_migration_leaves_nothing():
    setup()
    # a new plugin: no row, no schema, no role afterwards
    n = name("broken")
    rc, out = install(data_pkg("broken", "1.0.0", ["CREATE TABLE t (x int); SELECT 1/0;"]))
    assert rc == 1 and "division by zero" in out and "migration 1" in out, out
    assert n not in installed() and not role_exists(n), out
    assert psql("SELECT count(*) FROM pg_namespace WHERE nspname = '%s'" % schema(n)) == "0"
    assert psql("SELECT count(*) FROM plugin_versions WHERE name = '%s'" % n) == "0"
    # an upgrade whose second migration fails stays at the old version,
    # without the first new migration's table either
    n = name("notes")
    old = installed()[n]["version"]
    rc, out = install(data_pkg("notes", "5.0.0", [
        ("CREATE TABLE a (x int); INSERT INTO a VALUES (1);", "DROP TABLE a;"),
        ("CREATE TABLE b (y text);", "DROP TABLE b;"),
        "ALTER TABLE a ADD COLUMN z int;",
        "CREATE TABLE d (w int);",
        "INSERT INTO nowhere VALUES (1);"]))
    assert rc == 1 and "migration 5" in out, out
    assert installed()[n]["version"] == old and "d" not in tables(n), (out, tables(n))
    assert applied(n) == "1,2,3"


def test_confined_role():
    """What a plugin can reach with the login PlexiChat hands it."""
    setup()
    n, other = name("notes"), name("spy")
    rc, out = install(data_pkg("spy", "1.0.0", ["CREATE TABLE mine (v text);"]))
    assert rc == 0, out
    assert as_plugin(other, "INSERT INTO mine VALUES ('ok'); SELECT v FROM mine") == (0, "ok")
    for sql in ("SELECT count(*) FROM public.users", "SELECT count(*) FROM public.messages",
                "SELECT password FROM public.plugin_data", "SELECT count(*) FROM \"%s\".a" % schema(n),
                "CREATE TABLE public.planted (x int)", "SET ROLE plexichat"):
        rc, out = as_plugin(other, sql)
        assert rc != 0 and "permission denied" in out, (sql, out)
    # nor can a migration, which runs as the same role, read or step out
    for i, (sql, why) in enumerate((
            ("CREATE TABLE copy AS SELECT * FROM public.users;", "permission denied"),
            ("RESET ROLE; CREATE TABLE public.planted_%s (x int);" % TAG, "security-definer"),
            ("SET SESSION AUTHORIZATION plexichat;", "security-definer"))):
        rc, out = install(data_pkg("spy", "1.1.%d" % i, ["CREATE TABLE mine (v text);", sql]))
        assert rc == 1 and "migration 2" in out and why in out, (sql, out)
        assert installed()[other]["version"] == "1.0.0", out
    assert psql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'planted%'") == "0"
    # migrations need the storage permission in the manifest
    rc, out = install(data_pkg("nostore", "1.0.0", ["CREATE TABLE t (x int);"], perms=()))
    assert rc == 1 and "storage" in out, out


def the_poll(user, cid):
    for m in user.ok("GET", "/api/v1/channels/%d/messages?limit=20" % cid)["messages"]:
        if m["body"].startswith("\U0001f4ca Poll: Tea?"):
            return m
    return None


def test_poll_keeps_its_votes():
    """The shipped poll plugin (1.1.0) keeps each tally in its schema and
    answers it on its route, through the conninfo it was handed."""
    setup()
    n = "polldata-" + TAG
    with open(os.path.join(POLL, "plugin.json")) as f:
        m = json.load(f)
    assert m.get("migrations"), "the example declares its data"
    files = {}
    for root, _, names in os.walk(POLL):
        for f in names:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                files[os.path.relpath(p, POLL)] = fh.read()
    m["name"] = n
    path = os.path.join(PKGS, n + ".tar.gz")
    with tarfile.open(path, "w:gz") as t:
        for k, data in dict(files, **{"plugin.json": json.dumps(m).encode()}).items():
            info = tarfile.TarInfo(k)
            info.size = len(data)
            info.mode = 0o755 if k == "poll.py" else 0o644
            t.addfile(info, io.BytesIO(data))
    sign(path, KEY)
    rc, out = install(path)
    assert rc == 0, out
    ana, ben = User("pdat"), User("pdat")
    ch = channel(ana, members=[ben])["id"]
    rc, out = cli("enable", n, "--channels", str(ch))
    assert rc == 0 and "storage" in out, out
    until(lambda: command(ana, ch, "/poll Tea? | Green | Black").status == 200,
          what="the poll plugin")
    poll = until(lambda: the_poll(ana, ch), what="the poll message")
    vote(ana, ch, poll["id"], 2)
    vote(ben, ch, poll["id"], 2)
    until(lambda: tally(the_poll(ana, ch)) == {"Green": 0, "Black": 2}, what="the tally")
    url = "/api/v1/plugins/%s/results?poll=%d" % (n, poll["id"])
    r = until(lambda: (lambda r: r if r.status == 200 and r.json()["tally"]["Black"] == 2
                       else None)(ana.call("GET", url)), what="the kept tally")
    assert r.json() == {"poll": poll["id"], "question": "Tea?",
                        "tally": {"Green": 0, "Black": 2}}, r.json()
    assert psql("SELECT tally->>'Black' FROM \"%s\".polls WHERE message_id = %d"
                % (schema(n), poll["id"])) == "2"
    rc, out = cli("remove", n, "--purge")
    assert rc == 0 and "dropped" in out, out


def test_remove_keeps_data_unless_purged():
    setup()
    n = name("notes")
    rc, out = as_plugin(n, "INSERT INTO a (x) VALUES (42)")
    assert rc == 0, out
    rc, out = cli("remove", n)
    assert rc == 0 and "data kept" in out, out
    assert n not in installed() and role_exists(n)
    assert psql("SELECT count(*) FROM \"%s\".a WHERE x = 42" % schema(n)) == "1"
    # installed again: the data is there, and only the missing migrations run
    rc, out = install(data_pkg("notes", "3.0.0", [
        ("CREATE TABLE a (x int); INSERT INTO a VALUES (1);", "DROP TABLE a;"),
        ("CREATE TABLE b (y text);", "DROP TABLE b;"),
        "ALTER TABLE a ADD COLUMN z int;"], fname="notes-3.0.0-again.tar.gz"))
    assert rc == 0, out
    assert psql("SELECT count(*) FROM \"%s\".a" % schema(n)) == "2" and applied(n) == "1,2,3"
    rc, out = cli("remove", n, "--purge", "--keep-data")
    assert rc != 0, out
    for p in (n, name("spy")):
        rc, out = cli("remove", p, "--purge")
        assert rc == 0 and "dropped" in out, out
        assert not role_exists(p), p
        assert psql("SELECT count(*) FROM pg_namespace WHERE nspname = '%s'" % schema(p)) == "0"
        assert psql("SELECT count(*) FROM plugin_data WHERE plugin = '%s'" % p) == "0"
        assert applied(p) == ""
    rc, out = cli("key", "remove", "data-" + TAG)
    assert rc == 0, out


if __name__ == "__main__":
    pxtest.run(globals())
