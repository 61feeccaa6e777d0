"""plexichat-admin: doctor, config versions (check, history, diff, rollback),
users import/export, stats, --json on listings, bash completion and the man
page. Edits the shared configuration (config rollback) and restores it, so
it runs once (ONCE in scripts/test.sh). Needs PX_BUILD, PX_CONFIG and
PX_BASE_URL from scripts/test.sh."""
import json
import os
import shutil
import stat
import subprocess
import tempfile

import authlib
import pxtest

CONF = os.environ.get("PX_CONFIG", "")
BUILD = os.environ.get("PX_BUILD", "")
# the test config keeps the default public_url; point it at the server under test
HERE = {"PLEXICHAT_PUBLIC_URL": pxtest.BASE}


def admin(*args, conf=None, env=None, stdin=None, timeout=60):
    e = dict(os.environ)
    e.update(HERE)
    e.update(env or {})
    cmd = [os.path.join(BUILD, "plexichat-admin")]
    if conf is not False:
        cmd += ["-c", conf or CONF]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=e,
                          input=stdin, timeout=timeout)


def json_lines(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_completion_and_man():
    r = admin("completion", "bash", conf=False)
    assert r.returncode == 0, r.stderr
    for name in ("doctor", "config", "users", "stats", "list-sessions", "completion", "man"):
        assert " " + name in r.stdout, name
    assert "complete -F _plexichat_admin plexichat-admin" in r.stdout
    with tempfile.NamedTemporaryFile("w", suffix=".bash", delete=False) as f:
        f.write(r.stdout)
    try:
        assert subprocess.run(["bash", "-n", f.name]).returncode == 0
        probe = ('source %s; COMP_WORDS=(plexichat-admin %s); COMP_CWORD=%d; _plexichat_admin; '
                 'echo "${COMPREPLY[*]}"')
        out = subprocess.run(["bash", "-c", probe % (f.name, "con", 1)], capture_output=True, text=True).stdout
        assert out.split() == ["config"], out
        out = subprocess.run(["bash", "-c", probe % (f.name, "-c x.conf config h", 4)],
                             capture_output=True, text=True).stdout
        assert out.split() == ["history"], out
    finally:
        os.unlink(f.name)
    m = admin("man", conf=False)
    assert m.returncode == 0 and m.stdout.startswith(".\\\"") and ".TH PLEXICHAT-ADMIN 8" in m.stdout
    for name in ("doctor", "config", "users import", "stats", "completion bash"):
        assert "\\fB" + name.replace("-", "\\-") in m.stdout, name
    if shutil.which("groff"):
        g = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=m.stdout,
                           capture_output=True, text=True)
        assert g.returncode == 0 and not g.stderr, g.stderr
    # usage comes from the same table; unknown commands get it
    u = admin("no-such-command", conf=False)
    assert u.returncode == 2 and "doctor [--json]" in u.stderr


def test_install_puts_man_page_and_completion_in_place():
    """`make install` installs what the two generators write, where man and
    bash-completion look for them."""
    dest = tempfile.mkdtemp(prefix="px-install-")
    try:
        p = subprocess.run(["make", "-C", BUILD, "-s", "install", "DESTDIR=" + dest],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        found = {os.path.relpath(os.path.join(d, f), dest)
                 for d, _, fs in os.walk(dest) for f in fs}
        man = [f for f in found if f.endswith("man8/plexichat-admin.8")]
        comp = [f for f in found if f.endswith("bash-completion/completions/plexichat-admin")]
        assert man and comp, sorted(found)[:50]
        with open(os.path.join(dest, man[0])) as f:
            assert ".TH PLEXICHAT-ADMIN 8" in f.read()
        probe = ('source %s; COMP_WORDS=(plexichat-admin doc); COMP_CWORD=1; _plexichat_admin; '
                 'echo "${COMPREPLY[*]}"' % os.path.join(dest, comp[0]))
        out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True).stdout
        assert out.split() == ["doctor"], out
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_doctor():
    r = admin("doctor", "--json")
    doc = json.loads(r.stdout)
    checks = {c["name"]: c for c in doc["checks"]}
    assert set(checks) == {"config", "database", "schema", "web", "certificate", "permissions",
                           "clock", "disk", "backup"}, checks
    for name in ("config", "database", "schema", "web", "clock", "certificate"):
        assert checks[name]["status"] == "ok", checks[name]
    # no backup runs in this suite: a warning with what to do
    assert checks["backup"]["status"] in ("warn", "fail") and checks["backup"]["fix"]
    worst = doc["status"]
    assert r.returncode == {"ok": 0, "warn": 1, "fail": 2}[worst], (r.returncode, doc)
    for c in doc["checks"]:
        assert c["status"] == "ok" or c["status"] == "skip" or c["fix"], c
    text = admin("doctor")
    print(text.stdout)
    assert text.returncode == r.returncode
    assert "ok    database" in text.stdout and "fix: " in text.stdout, text.stdout

    d = tempfile.mkdtemp()
    try:
        # a broken file: config fails, the rest is skipped, exit 2
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write("workers = lots\n")
        os.chmod(bad, 0o600)
        r = admin("doctor", "--json", conf=bad)
        doc = json.loads(r.stdout)
        checks = {c["name"]: c for c in doc["checks"]}
        assert r.returncode == 2 and checks["config"]["status"] == "fail", doc
        assert "workers" in checks["config"]["detail"] and checks["config"]["fix"]
        assert checks["database"]["status"] == "skip"
        # world-readable config, and nobody listening at public_url
        loose = os.path.join(d, "loose.conf")
        shutil.copy(CONF, loose)
        os.chmod(loose, 0o644)
        r = admin("doctor", "--json", "--timeout", "2", conf=loose,
                  env={"PLEXICHAT_PUBLIC_URL": "http://127.0.0.1:9"})
        checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
        assert r.returncode == 2
        assert checks["permissions"]["status"] == "fail" and "world-readable" in checks["permissions"]["detail"]
        assert "chmod 640" in checks["permissions"]["fix"]
        assert checks["web"]["status"] == "fail" and checks["web"]["fix"]
        # a service user that cannot write data_dir
        r = admin("doctor", "--json", "--service-user", "nobody")
        checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
        assert checks["permissions"]["status"] == "fail", checks["permissions"]
        assert "not writable by nobody" in checks["permissions"]["detail"]
    finally:
        shutil.rmtree(d)


def test_config_versions():
    orig = open(CONF).read()
    st0 = os.stat(CONF)
    try:
        r = admin("config", "check", "--who", "tester")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "valid" in r.stdout
        r = admin("config", "check")
        assert r.returncode == 0 and "unchanged since version" in r.stdout, r.stdout
        hist = json_lines(admin("config", "history", "--json").stdout)
        base = [h for h in hist if h["current"]][-1]["id"]
        assert admin("config", "diff").returncode == 0  # nothing changed
        # secrets stay hidden in show
        s = admin("config", "show")
        assert s.returncode == 0 and "secret_key = ***" in s.stdout
        sj = json.loads(admin("config", "show", "--json").stdout)
        assert sj["secret_key"] == "***" and sj["db_password"] == "***"

        with open(CONF, "a") as f:
            f.write("\nsearch_language = simple\nsmtp_password = hunter2-not-shown\n")
        d = admin("config", "diff")
        assert d.returncode == 1, d.stdout + d.stderr
        assert "+search_language = simple" in d.stdout and "+smtp_password = ***" in d.stdout
        assert "hunter2" not in d.stdout and d.stdout.startswith("--- version %d" % base)
        r = admin("config", "check", "--who", "tester")
        assert r.returncode == 0 and "recorded as version" in r.stdout, r.stdout
        hist = json_lines(admin("config", "history", "--json").stdout)
        new = hist[-1]
        assert new["who"] == "tester" and new["current"] and new["action"] == "check"
        assert "hunter2" not in admin("config", "history").stdout

        # rollback: the old text back, atomically, same mode and owner, recorded
        r = admin("config", "rollback", str(base), "--who", "tester")
        assert r.returncode == 0, r.stdout + r.stderr
        assert open(CONF).read() == orig
        st1 = os.stat(CONF)
        assert stat.S_IMODE(st1.st_mode) == stat.S_IMODE(st0.st_mode)
        assert (st1.st_uid, st1.st_gid) == (st0.st_uid, st0.st_gid)
        hist = json_lines(admin("config", "history", "--json").stdout)
        assert hist[-1]["action"] == "rollback:%d" % base and hist[-1]["current"]
        assert admin("config", "diff").returncode == 0
        assert admin("config", "diff", str(new["id"])).returncode == 1
        # the server still answers (it reloads the file by itself)
        assert pxtest.request("GET", "/api/v1/system/health").status == 200
        # errors: unknown version, bad number, unknown sub-command
        assert admin("config", "rollback", "999999").returncode == 1
        assert admin("config", "diff", "x").returncode == 2
        assert admin("config", "frobnicate").returncode == 2
    finally:
        with open(CONF, "w") as f:
            f.write(orig)


def test_users_import_export():
    a, b, c = authlib.uniq("imp"), authlib.uniq("imp"), authlib.uniq("imp")
    d = tempfile.mkdtemp()
    try:
        csv_path = os.path.join(d, "users.csv")
        with open(csv_path, "w") as f:
            f.write("username,email,display_name,role\n")
            f.write('%s,%s@example.org,"Ann, the first",member\n' % (a, a))
            f.write("%s,,Bob,moderator\n" % b)
            f.write("bad name!,,,member\n")
            f.write("%s,,,wizard\n" % c)
            f.write("%s,,Dup,member\n" % a)
            f.write("%s,,Someone,owner\n" % c)
        r = admin("users", "import", csv_path, "--dry-run")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "line 2: would create %s" % a in r.stdout and "line 3: would create %s" % b in r.stdout
        assert "line 4: skipped bad name!: invalid username" in r.stdout
        assert "line 5: skipped %s: unknown role" % c in r.stdout
        assert "line 6: skipped %s: duplicate of line 2" % a in r.stdout
        assert "line 7: skipped %s: import does not make owners" % c in r.stdout
        assert "dry run, nothing written: created 2, updated 0" in r.stdout
        assert a not in admin("users", "export").stdout

        r = admin("users", "import", csv_path)
        assert r.returncode == 1 and "created 2, updated 0, skipped 4 (0 unchanged, 4 rejected)" in r.stdout, r.stdout
        # idempotent: the good lines again change nothing
        good = os.path.join(d, "good.csv")
        with open(good, "w") as f:
            f.write("username,email,display_name,role\n")
            f.write('%s,%s@example.org,"Ann, the first",member\n' % (a, a))
            f.write("%s,,Bob,moderator\n" % b)
        r = admin("users", "import", good)
        assert r.returncode == 0 and "created 0, updated 0, skipped 2 (2 unchanged, 0 rejected)" in r.stdout, r.stdout

        # JSON lines, detected by content: one update, one new account
        jl = os.path.join(d, "users.jsonl")
        with open(jl, "w") as f:
            f.write(json.dumps({"username": b, "display_name": "Bobby", "role": "member"}) + "\n")
            f.write(json.dumps({"username": c, "email": c + "@example.org"}) + "\n")
            f.write("[1]\n")
        r = admin("users", "import", jl)
        assert "line 1: updated %s: display_name role" % b in r.stdout, r.stdout
        assert "line 2: created %s" % c in r.stdout and "line 3: skipped -: not a JSON object" in r.stdout

        ex = admin("users", "export")
        assert ex.returncode == 0 and ex.stdout.startswith("username,email,display_name,role,deactivated,")
        assert '%s,%s@example.org,"Ann, the first",member,false,' % (a, a) in ex.stdout
        rows = {u["username"]: u for u in json_lines(admin("users", "export", "--json").stdout)}
        assert rows[b]["display_name"] == "Bobby" and rows[b]["role"] == "member"
        assert rows[c]["email"] == c + "@example.org" and rows[c]["display_name"] == c
        assert rows["admin"]["role"] == "owner"
        # the export imports again with nothing to do
        exp = os.path.join(d, "export.csv")
        with open(exp, "w") as f:
            f.write(ex.stdout)
        r = admin("users", "import", exp)
        assert r.returncode == 0 and "created 0, updated 0" in r.stdout, r.stdout
    finally:
        shutil.rmtree(d)


def test_stats():
    pxtest.request("GET", "/api/v1/system/version")
    r = admin("stats", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["users"]["active"] >= 1 and s["storage"]["database_bytes"] > 0
    assert s["storage"]["data_dir_bytes"] >= 0 and "last_24h" in s["messages"]
    assert set(s["channels"]) == {"public", "private", "dm", "group", "archived"}
    assert s["requests"]["/api/v1/system/version"]["total"] >= 1, s["requests"]
    assert s["unavailable"] == {}
    t = admin("stats")
    print(t.stdout)
    assert "users " in t.stdout and "/api/v1/system/version" in t.stdout
    # no server: say so, print the rest
    r = admin("stats", env={"PLEXICHAT_PUBLIC_URL": "http://127.0.0.1:9"})
    assert r.returncode == 0 and "server not reachable" in r.stdout and "users " in r.stdout, r.stdout
    s = json.loads(admin("stats", "--json", env={"PLEXICHAT_PUBLIC_URL": "http://127.0.0.1:9"}).stdout)
    assert s["requests"] is None and "metrics" in s["unavailable"] and s["users"]["active"] >= 1


def test_listing_json():
    authlib.unlock()
    authlib.admin_token()
    r = admin("list-sessions", "admin", "--json")
    rows = json_lines(r.stdout)
    assert r.returncode == 0 and rows and all("id" in x and "expires_at" in x for x in rows), r.stdout
    r = admin("channel-owner", "--orphaned", "--json")
    assert r.returncode == 0 and all("kind" in x for x in json_lines(r.stdout)), r.stdout
    assert admin("channel-owner", "--orphaned").stdout.startswith("id\tkind")


if __name__ == "__main__":
    pxtest.run(globals())
