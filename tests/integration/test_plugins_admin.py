"""/admin/plugins installs, upgrades, switches back and removes plugins
without JavaScript, through the same code as plexichat-admin plugin
(handlers/plugin_manage.c): a signed package uploaded with its signature is
installed (and its data migrated); a tampered, unsigned or conflicting one
is refused with the reason on the page and nothing changed; a version
installed before is chosen again with its data migrated down; remove keeps
the data unless told to drop it. Every change is audited with the admin
who made it; forms need their CSRF token; the page speaks German. Needs
PX_BUILD, PX_CONFIG, PX_WORK, PX_PG_CONNINFO."""
import os
import time

import pxtest
from authlib import ADMIN_PASSWORD, psql
from test_plugins import TAG, Catalog, cli, installed, keygen, name, package, sign
from test_web_files import form_post
from webcheck import Browser, check_page, form_fields, hidden_value, location, words

KEY = PUB = None
N = name("adm")


def setup():
    global KEY, PUB
    if KEY is None:
        KEY, PUB = keygen()
        rc, out = cli("key", "add", "adm-" + TAG, PUB)
        assert rc == 0, out


def admin(lang="en"):
    b = Browser(lang)
    r = b.post("/login", {"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status in (302, 303), r
    return b


def pkg(base, version, migs=(), deps=None, fname=None):
    """A signed package: (bytes, signature text)."""
    extra = {}
    files = {}
    if migs:
        extra = {"permissions": ["storage"],
                 "migrations": [{"up": "sql/%d.sql" % (i + 1), "down": "sql/%d.down.sql" % (i + 1)}
                                for i in range(len(migs))]}
        for i, (up, down) in enumerate(migs):
            files["sql/%d.sql" % (i + 1)] = up.encode()
            files["sql/%d.down.sql" % (i + 1)] = down.encode()
    path = package(base, version, deps=deps, extra=extra, files=files, fname=fname)
    with open(sign(path, KEY)) as f:
        sig = f.read()
    with open(path, "rb") as f:
        return f.read(), sig


def upload(b, data, sig, token=None):
    tok = token or hidden_value(b.page("/admin/plugins"), "csrf_token")
    files = [("package", "p.tar.gz", "application/gzip", data)]
    if sig is not None:
        files.append(("signature", "p.tar.gz.sig", "application/octet-stream", sig.encode()))
    return form_post(b, "/admin/plugins/install", [("csrf_token", tok)], files)


def refused(r, why):
    p = check_page(r, 422)
    text = words(p)
    assert "Refused:" in text and why in text, text
    return p


def version():
    got = installed().get(N)
    return got and got["version"]


def tables():
    return psql("SELECT coalesce(string_agg(tablename, ' ' ORDER BY tablename), '') FROM"
                " pg_tables WHERE schemaname = 'plugin_%s'" % N)


def audited(action):
    return int(psql("SELECT count(*) FROM audit_log WHERE action = '%s' AND target = '%s'"
                    " AND actor_id = (SELECT id FROM users WHERE username = 'admin')"
                    % (action, N)))


V1 = [("CREATE TABLE a (x int);", "DROP TABLE a;")]
V2 = V1 + [("CREATE TABLE b (y int);", "DROP TABLE b;")]


def test_install_and_upgrade_from_the_page():
    setup()
    b = admin()
    p = b.page("/admin/plugins")
    f = form_fields(p, "/admin/plugins/install")
    assert "csrf_token" in f, f
    data, sig = pkg("adm", "1.0.0", V1)
    r = upload(b, data, sig)
    assert location(r) == "/admin/plugins?done=saved", (r, r.body[:2000])
    assert version() == "1.0.0" and tables() == "a", (version(), tables())
    assert audited("admin.plugin.installed") == 1
    data, sig = pkg("adm", "2.0.0", V2)
    r = upload(b, data, sig)
    assert location(r) == "/admin/plugins?done=saved", r
    assert version() == "2.0.0" and tables() == "a b", (version(), tables())
    # the page lists both versions to switch between
    p = b.page("/admin/plugins")
    opts = [a.get("value") for t, a in p.tags if t == "option" and a.get("value") in
            ("1.0.0", "2.0.0")]
    assert sorted(opts) == ["1.0.0", "2.0.0"], opts


def test_bad_packages_refused_with_the_reason():
    setup()
    b = admin()
    data, sig = pkg("adm", "3.0.0", V2)
    # altered after signing
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xff
    refused(upload(b, bytes(bad), sig), "does not verify with any trusted key")
    # no signature
    refused(upload(b, data, None), "unsigned plugins are refused")
    # signed by a key nobody trusts
    global KEY
    mine, KEY = KEY, keygen()[0]
    try:
        other, osig = pkg("adm", "3.0.0", V2, fname="adm-3.0.0-other.tar.gz")
    finally:
        KEY = mine
    refused(upload(b, other, osig), "does not verify with any trusted key")
    # a dependency nobody can meet
    dep, dsig = pkg("admapp", "1.0.0", deps={"adm": "^5"})
    refused(upload(b, dep, dsig), name("adm"))
    assert name("admapp") not in installed(), "half-installed"
    # a migration that fails
    broken, bsig = pkg("adm", "3.1.0", V2 + [("SELECT 1/0;", "SELECT 1;")])
    refused(upload(b, broken, bsig), "division by zero")
    assert version() == "2.0.0" and tables() == "a b", (version(), tables())
    # without the form's token nothing happens
    r = upload(b, data, sig, token="stale")
    check_page(r, 403)
    assert version() == "2.0.0"


def test_switch_back_and_remove_from_the_page():
    setup()
    b = admin()
    p = b.page("/admin/plugins")
    action = "/admin/plugins/%s/version" % N
    assert "version" in form_fields(p, action)
    r = b.post(action, {"version": "1.0.0"})
    assert location(r) == "/admin/plugins?done=saved", r
    assert version() == "1.0.0" and tables() == "a", (version(), tables())
    assert audited("admin.plugin.version_set") == 1
    r = b.post(action, {"version": "9.9.9"})
    refused(r, "never installed here")
    # remove keeps the data by default
    r = b.post("/admin/plugins/%s/remove" % N, {"data": "keep"})
    assert location(r) == "/admin/plugins?done=saved", r
    assert version() is None and tables() == "a"
    assert audited("admin.plugin.removed") == 1
    data, sig = pkg("adm", "2.0.0", V2, fname="adm-2.0.0-again.tar.gz")
    r = upload(b, data, sig)
    assert location(r) == "/admin/plugins?done=saved", r
    assert tables() == "a b"
    r = b.post("/admin/plugins/%s/remove" % N, {"data": "purge"})
    assert location(r) == "/admin/plugins?done=saved", r
    assert version() is None and tables() == ""
    assert psql("SELECT count(*) FROM plugin_data WHERE plugin = '%s'" % N) == "0"
    r = b.post("/admin/plugins/%s/remove" % N, {"data": "keep"})
    refused(r, "not installed")


def test_install_from_the_catalogue():
    """The page lists what the configured catalogues offer (their index
    signatures checked) and installs a version with its dependencies."""
    setup()
    conf = os.environ["PX_CONFIG"]
    with open(conf) as f:
        orig = f.read()
    cat = Catalog()
    try:
        entries = [cat.add(sign(package("ccb", v), KEY)[:-4]) for v in ("1.0.0", "1.2.0")]
        entries.append(cat.add(sign(package("cca", "1.0.0", deps={"ccb": "^1.1"}), KEY)[:-4]))
        url = cat.index("index.json", entries, KEY)
        with open(conf, "a") as f:
            f.write("\nplugins_catalogs = %s\nplugins_ca_file = %s\n" % (url, cat.cert))
        time.sleep(1.2)  # the configuration reloads when its file changes
        b = admin()
        p = b.page("/admin/plugins?catalog=1")
        specs = [a.get("value") for t, a in p.tags if t == "input" and a.get("name") == "spec"]
        assert {name("cca") + "@1.0.0", name("ccb") + "@1.2.0"} <= set(specs), specs
        r = b.post("/admin/plugins/catalog", {"spec": name("cca") + "@1.0.0"})
        assert location(r) == "/admin/plugins?done=saved", (r, r.body[:1500])
        got = installed()
        assert got[name("cca")]["version"] == "1.0.0" and got[name("ccb")]["version"] == "1.2.0"
        refused(b.post("/admin/plugins/catalog", {"spec": name("ccb") + "@^9"}),
                "no available version")
    finally:
        with open(conf, "w") as f:
            f.write(orig)
        cat.close()
    time.sleep(1.2)
    for n in ("cca", "ccb"):
        rc, out = cli("remove", name(n))
        assert rc == 0, out


def test_page_in_german():
    b = admin("de")
    text = words(b.page("/admin/plugins"))
    for s in ("Installieren oder aktualisieren", "Paket (.tar.gz)"):
        assert s in text, s
    rc, out = cli("key", "remove", "adm-" + TAG)
    assert rc == 0, out


if __name__ == "__main__":
    pxtest.run(globals())
