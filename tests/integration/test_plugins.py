"""plexichat-admin plugin: trusted keys, signed installs (unsigned,
tampered and foreign-key packages refused), manifests checked (wrong
ABI, unknown permission), dependencies (missing, satisfied, a removal or
upgrade that would break another plugin, explained), versions (upgrade,
switch back), enable with granted permissions (network only when asked
for and granted), disable, remove (folders gone). Packages are built here
with tarfile and signed with the CLI's own keygen and sign. Needs
PX_BUILD, PX_CONFIG, PX_WORK."""
import base64
import hashlib
import http.server
import io
import json
import os
import secrets
import ssl
import subprocess
import tarfile
import threading

import pxtest
from msglib import admin_cli

WORK = os.environ.get("PX_WORK", "/tmp")
TAG = secrets.token_hex(3)
PKGS = os.path.join(WORK, "plugin-pkgs-" + TAG)


def cli(*args):
    return admin_cli("plugin", *args)


def name(base):
    return "%s-%s" % (base, TAG)


def package(base, version, deps=None, kind="process", extra=None, files=None, fname=None):
    """A .tar.gz in PKGS for plugin name(base) at version; returns its path."""
    m = {"name": name(base), "version": version, "kind": kind, "entry": "bin/run",
         "description": "test plugin"}
    m["protocol" if kind == "process" else "abi"] = 1
    if deps:
        m["dependencies"] = {name(k): v for k, v in deps.items()}
    m.update(extra or {})
    os.makedirs(PKGS, exist_ok=True)
    path = os.path.join(PKGS, fname or "%s-%s.tar.gz" % (base, version))
    entries = {"plugin.json": json.dumps(m).encode(), "bin/run": b"#!/bin/sh\nexit 0\n"}
    entries.update(files or {})
    with tarfile.open(path, "w:gz") as t:
        for n, data in entries.items():
            info = tarfile.TarInfo(n)
            info.size = len(data)
            info.mode = 0o755 if n.startswith("bin/") else 0o644
            t.addfile(info, io.BytesIO(data))
    return path


def keygen():
    rc, out = cli("keygen")
    assert rc == 0 and out.startswith("private "), out
    path = os.path.join(PKGS, "key-%s" % secrets.token_hex(3))
    os.makedirs(PKGS, exist_ok=True)
    with open(path, "w") as f:
        f.write(out)
    os.chmod(path, 0o600)
    return path, out.split("public ")[1].split()[0]


def sign(pkg, key):
    rc, out = cli("sign", pkg, "--key", key)
    assert rc == 0 and out.strip() == pkg + ".sig", out
    return pkg + ".sig"


def installed():
    rc, out = cli("list", "--json")
    assert rc == 0, out
    return {p["name"]: p for p in json.loads(out)["plugins"]}


KEY, PUB = None, None


def setup():
    global KEY, PUB
    KEY, PUB = keygen()


def test_unsigned_and_untrusted_refused():
    setup()
    pkg = package("base", "1.0.0")
    rc, out = cli("install", pkg)
    assert rc == 1 and "no signature" in out, out
    sign(pkg, KEY)
    rc, out = cli("install", pkg)
    assert rc == 1 and "does not verify with any trusted key" in out, out
    rc, out = cli("key", "add", "tests-" + TAG, "not-a-key")
    assert rc == 1 and "not an Ed25519 public key" in out, out
    rc, out = cli("key", "add", "tests-" + TAG, PUB)
    assert rc == 0, out
    rc, out = cli("key", "list")
    assert rc == 0 and PUB in out, out
    # a package altered after signing
    with open(pkg, "rb") as f:
        data = bytearray(f.read())
    bad = os.path.join(PKGS, "tampered.tar.gz")
    data[len(data) // 2] ^= 0x01
    with open(bad, "wb") as f:
        f.write(data)
    with open(pkg + ".sig") as f, open(bad + ".sig", "w") as g:
        g.write(f.read())
    rc, out = cli("install", bad)
    assert rc == 1 and "does not verify" in out, out
    # signed by a key nobody trusts
    other, _ = keygen()
    pkg2 = package("base", "1.0.0", fname="other.tar.gz")
    sign(pkg2, other)
    rc, out = cli("install", pkg2)
    assert rc == 1 and "does not verify" in out, out
    assert name("base") not in installed()


def test_manifest_refused():
    pkg = sign(package("wrongabi", "1.0.0", kind="inproc", extra={"abi": 99}), KEY)[:-4]
    rc, out = cli("install", pkg)
    assert rc == 1 and "abi: built for 99" in out, out
    pkg = sign(package("perm", "1.0.0", extra={"permissions": ["root"]}), KEY)[:-4]
    rc, out = cli("install", pkg)
    assert rc == 1 and "permissions: unknown permission" in out, out
    pkg = sign(package("trav", "1.0.0", files={"../escape": b"x"}), KEY)[:-4]
    rc, out = cli("install", pkg)
    assert rc == 1 and "not a plain relative name" in out, out
    assert not os.path.exists(os.path.join(os.path.dirname(PKGS), "escape"))


def test_dependencies_and_versions():
    poll = sign(package("poll", "1.0.0", deps={"base": "^1.2"}), KEY)[:-4]
    rc, out = cli("install", poll)
    assert rc == 1 and "is neither installed nor available" in out, out
    base10 = sign(package("base", "1.0.0"), KEY)[:-4]
    rc, out = cli("install", base10)
    assert rc == 0 and "installed %s 1.0.0" % name("base") in out, out
    rc, out = cli("install", poll)
    assert rc == 1 and "%s 1.0.0 is installed, but %s 1.0.0 needs %s ^1.2" % (
        name("base"), name("poll"), name("base")) in out, out
    base13 = sign(package("base", "1.3.0"), KEY)[:-4]
    rc, out = cli("install", base13)
    assert rc == 0, out
    rc, out = cli("install", poll)
    assert rc == 0, out
    # going back below what poll needs is refused, and explained
    rc, out = cli("use", name("base"), "1.0.0")
    assert rc == 1 and "%s 1.0.0 needs %s ^1.2" % (name("poll"), name("base")) in out, out
    base20 = sign(package("base", "2.0.0"), KEY)[:-4]
    rc, out = cli("install", base20)
    assert rc == 1 and "needs %s ^1.2" % name("base") in out, out
    got = installed()
    assert got[name("base")]["version"] == "1.3.0" and got[name("poll")]["version"] == "1.0.0"
    assert got[name("base")]["versions"] == ["1.0.0", "1.3.0"], got[name("base")]
    # a version installed before, from another package: refused
    clash = sign(package("base", "1.3.0", fname="clash.tar.gz",
                         files={"README": b"different bytes"}), KEY)[:-4]
    rc, out = cli("install", clash)
    assert rc == 1 and "different package" in out, out
    # upgrade poll, then back to the version before
    poll11 = sign(package("poll", "1.1.0", deps={"base": "~1.3"}), KEY)[:-4]
    rc, out = cli("install", poll11)
    assert rc == 0, out
    rc, out = cli("use", name("poll"), "1.0.0")
    assert rc == 0 and installed()[name("poll")]["version"] == "1.0.0", out
    rc, out = cli("use", name("poll"), "9.9.9")
    assert rc == 1 and "never installed" in out, out
    # removal of what another plugin needs
    rc, out = cli("remove", name("base"))
    assert rc == 1 and "%s 1.0.0 needs %s" % (name("poll"), name("base")) in out, out


def test_enable_grants():
    net = sign(package("fetcher", "1.0.0", extra={"permissions": ["network", "messages.read"],
                                                 "hooks": ["event.message"]}), KEY)[:-4]
    rc, out = cli("install", net)
    assert rc == 0, out
    rc, out = cli("enable", name("fetcher"), "--grant", "files.read")
    assert rc == 1 and "does not ask for" in out, out
    rc, out = cli("enable", name("fetcher"))
    assert rc == 0 and "{messages.read}" in out, out
    p = installed()[name("fetcher")]
    assert p["enabled"] and p["granted"] == ["messages.read"], p
    rc, out = cli("enable", name("fetcher"), "--grant", "network", "--all-channels")
    assert rc == 0, out
    p = installed()[name("fetcher")]
    assert p["granted"] == ["messages.read", "network"] and p["all_channels"], p
    rc, out = cli("disable", name("fetcher"))
    assert rc == 0 and not installed()[name("fetcher")]["enabled"], out
    rc, out = cli("enable", "nosuch-" + TAG)
    assert rc == 1 and "not installed" in out, out


class Catalog:
    """A folder served over HTTPS (a throw-away CA-less self-signed
    certificate for 127.0.0.1) with signed index files, and the
    environment that points plexichat-admin at it."""

    def __init__(self):
        self.dir = os.path.join(PKGS, "catalog")
        os.makedirs(self.dir, exist_ok=True)
        self.cert = os.path.join(PKGS, "cert.pem")
        self.keyf = os.path.join(PKGS, "cert.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1", "-keyout", self.keyf, "-out", self.cert],
                       check=True, capture_output=True)
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=self.dir, **k)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.keyf)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.RequestHandlerClass.log_message = lambda *a: None
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = "https://127.0.0.1:%d/" % self.httpd.server_address[1]

    def add(self, pkg):
        with open(pkg, "rb") as f:
            data = f.read()
        with open(pkg + ".sig") as f:
            sig = f.read().strip()
        name = os.path.basename(pkg)
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)
        with tarfile.open(pkg) as t:
            manifest = json.load(t.extractfile("plugin.json"))
        return {"manifest": manifest, "url": name, "sha256": hashlib.sha256(data).hexdigest(),
                "signature": sig}

    def index(self, fname, entries, key):
        path = os.path.join(self.dir, fname)
        with open(path, "w") as f:
            json.dump({"plugins": entries}, f)
        sign(path, key)
        return self.url + fname

    def use(self, *urls):
        os.environ["PLEXICHAT_PLUGINS_CATALOGS"] = " ".join(urls)
        os.environ["PLEXICHAT_PLUGINS_CA_FILE"] = self.cert

    def close(self):
        os.environ.pop("PLEXICHAT_PLUGINS_CATALOGS", None)
        os.environ.pop("PLEXICHAT_PLUGINS_CA_FILE", None)
        self.httpd.shutdown()


def test_catalog():
    cat = Catalog()
    try:
        base10 = sign(package("cbase", "1.0.0"), KEY)[:-4]
        base12 = sign(package("cbase", "1.2.0"), KEY)[:-4]
        app = sign(package("capp", "1.0.0", deps={"cbase": "^1.1"}), KEY)[:-4]
        entries = [cat.add(base10), cat.add(base12), cat.add(app)]
        good = cat.index("index.json", entries, KEY)
        # an index whose package hash is wrong, one signed by nobody trusted
        bad_entry = dict(cat.add(sign(package("cother", "1.0.0"), KEY)[:-4]), sha256="0" * 64)
        tampered = cat.index("tampered.json", [bad_entry], KEY)
        stranger, _ = keygen()
        untrusted = cat.index("untrusted.json", [cat.add(sign(package("cthird", "1.0.0"), KEY)[:-4])],
                              stranger)
        cat.use(good, tampered, untrusted)
        rc, out = cli("catalog", "--json")
        assert rc == 0, out
        listed = [line for line in out.splitlines() if line.startswith("{")][0]
        got = {(p["name"], p["version"]) for p in json.loads(listed)["plugins"]}
        assert {(name("cbase"), "1.0.0"), (name("cbase"), "1.2.0"), (name("capp"), "1.0.0"),
                (name("cother"), "1.0.0")} <= got, got
        assert (name("cthird"), "1.0.0") not in got, "an index signed by an untrusted key was read"
        assert "untrusted.json: the index's signature does not verify" in out, out
        # the app and, first, the newest dependency in range
        rc, out = cli("install", name("capp"))
        assert rc == 0, out
        assert out.index("installed %s 1.2.0" % name("cbase")) < out.index("installed %s 1.0.0" % name("capp")), out
        p = installed()
        assert p[name("cbase")]["version"] == "1.2.0" and p[name("capp")]["version"] == "1.0.0"
        rc, out = cli("install", name("cother"))
        assert rc == 1 and "does not have the catalogue's SHA-256" in out, out
        rc, out = cli("install", name("cbase") + "@^2")
        assert rc == 1 and "no available version" in out, out
        # plain HTTP is not a catalogue transport
        cat.use(good.replace("https://", "http://"))
        rc, out = cli("install", name("cbase"))
        assert rc == 1 and "no catalogue could be read" in out, out
    finally:
        cat.close()
    for n in ("capp", "cbase"):
        rc, out = cli("remove", name(n))
        assert rc == 0, out


def plugin_dirs():
    with open(os.environ["PX_CONFIG"]) as f:
        conf = dict(l.split(" = ", 1) for l in f.read().splitlines() if " = " in l)
    root = conf.get("plugins_dir") or os.path.join(conf.get("data_dir", "/var/lib/plexichat"), "plugins")
    return [d for d in os.listdir(root) if TAG in d] if os.path.isdir(root) else []


def test_remove():
    assert any(d.startswith(name("base") + "-1.3.0-") for d in plugin_dirs()), plugin_dirs()
    for p in (name("poll"), name("base"), name("fetcher")):
        got = installed()
        if p not in got:
            continue
        rc, out = cli("remove", p)
        assert rc == 0, out
    assert not {name("poll"), name("base"), name("fetcher")} & set(installed())
    rc, out = cli("remove", name("poll"))
    assert rc == 1, out
    rc, out = cli("key", "remove", "tests-" + TAG)
    assert rc == 0, out
    assert plugin_dirs() == [], "folders left: %r" % plugin_dirs()


if __name__ == "__main__":
    pxtest.run(globals())
