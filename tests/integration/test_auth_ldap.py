"""LDAP login against real slapd servers that this test starts itself
(Debian's slapd, mdb backend, memberof overlay, a certificate made here
with openssl for StartTLS and ldaps; users and groups loaded with ldapadd):
groups map to roles, wrong passwords and filter injection are refused,
StartTLS is required, the certificate is verified, a silent or stopped
server gives 503 AUTH_LDAP_UNAVAILABLE while the local admin still signs
in, back-off and TOTP apply, local accounts are never taken over, role
changes in the directory apply at the next login.

Edits the shared config (PX_CONFIG; the server reloads it live) and puts
it back at the end, so scripts/test.sh runs it once. Ports: slapd on
PX_TEST_LDAP_PORT (default 24389) and the three above it."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import secrets

import pxtest
from pxtest import expect_error
from authlib import ADMIN_PASSWORD, admin_token, api, login, psql, unlock

CONF = os.environ["PX_CONFIG"]
ROOT = os.environ.get("PX_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
PORT = int(os.environ.get("PX_TEST_LDAP_PORT", "24389"))  # ldap:// with StartTLS
LDAPS_PORT = PORT + 1                                       # ldaps://
PLAIN_PORT = PORT + 2                                       # a slapd without TLS
SILENT_PORT = PORT + 3                                      # accepts, never answers
SUFFIX = "dc=example,dc=org"
ROOTDN, ROOTPW = "cn=admin," + SUFFIX, secrets.token_hex(8)
SVC_DN, SVC_PW = "cn=plexichat,ou=services," + SUFFIX, secrets.token_hex(8)
ADMINS = "cn=chat-admins,ou=groups," + SUFFIX
STAFF = "cn=staff,ou=groups," + SUFFIX
OTHER = "cn=other,ou=groups," + SUFFIX
TAG = secrets.token_hex(3)

# directory users: short name -> (uid, password, groups)
USERS = {}
for short, groups in (("ann", [ADMINS]), ("bob", [STAFF]), ("cid", [OTHER]), ("dan", [ADMINS]),
                      ("eve", [STAFF]), ("fay", [STAFF]), ("gus", [STAFF]), ("hal", [STAFF]), ("ivy", [STAFF])):
    USERS[short] = (short + TAG, "Ldap-" + secrets.token_hex(6), groups)
USERS["root"] = ("root", "Ldap-" + secrets.token_hex(6), [STAFF])  # a reserved name

TMP = None
SLAPD = {}
ORIG = None
LIVE = {}


def uid(short):
    return USERS[short][0]


def pw(short):
    return USERS[short][1]


def dn(short):
    return "uid=%s,ou=people,%s" % (uid(short), SUFFIX)


def run(*args, stdin=None):
    p = subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "%s: %s %s" % (args[0], p.stdout, p.stderr)
    return p.stdout


def make_certs():
    """A CA, a server certificate for 127.0.0.1 signed by it, and another CA."""
    ext = os.path.join(TMP, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    for ca in ("ca", "other-ca"):
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=PlexiChat test %s" % ca, "-keyout", os.path.join(TMP, ca + ".key"),
            "-out", os.path.join(TMP, ca + ".crt"))
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", os.path.join(TMP, "server.key"), "-out", os.path.join(TMP, "server.csr"))
    run("openssl", "x509", "-req", "-days", "2", "-in", os.path.join(TMP, "server.csr"),
        "-CA", os.path.join(TMP, "ca.crt"), "-CAkey", os.path.join(TMP, "ca.key"),
        "-CAcreateserial", "-extfile", ext, "-out", os.path.join(TMP, "server.crt"))


def slapd_conf(name, tls):
    d = os.path.join(TMP, name)
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = os.path.join(d, "slapd.conf")
    lines = ["include /etc/ldap/schema/%s.schema" % s for s in ("core", "cosine", "inetorgperson")]
    lines += ["modulepath /usr/lib/ldap", "moduleload back_mdb", "moduleload memberof",
              "pidfile %s/slapd.pid" % d, "argsfile %s/slapd.args" % d]
    if tls:
        lines += ["TLSCertificateFile %s/server.crt" % TMP,
                  "TLSCertificateKeyFile %s/server.key" % TMP]
    lines += ["database mdb", 'suffix "%s"' % SUFFIX, 'rootdn "%s"' % ROOTDN,
              "rootpw %s" % ROOTPW, "directory %s/db" % d, "maxsize 10485760",
              "overlay memberof",
              "access to attrs=userPassword by anonymous auth by * none",
              'access to * by dn.exact="%s" read by self read by * none' % SVC_DN]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def ldif():
    out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n"
           % SUFFIX]
    for ou in ("people", "groups", "services"):
        out.append("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n" % (ou, SUFFIX, ou))
    out.append("dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
               "cn: plexichat\nuserPassword: %s\n" % (SVC_DN, SVC_PW))
    for short, (u, p, _) in USERS.items():
        out.append("dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n"
                   "mail: %s@example.org\ndisplayName: %s Directory\nuserPassword: %s\n"
                   % (dn(short), u, short, short, u, short.capitalize(), p))
    for g in (ADMINS, STAFF, OTHER):
        members = [dn(s) for s, (_, _, gs) in USERS.items() if g in gs]
        out.append("dn: %s\nobjectClass: groupOfNames\ncn: %s\n%s\n"
                   % (g, g.split(",")[0][3:], "\n".join("member: " + m for m in members)))
    return "\n".join(out)


def ldapmodify(port, text):
    run("ldapmodify", "-x", "-H", "ldap://127.0.0.1:%d" % port, "-D", ROOTDN, "-w", ROOTPW,
        stdin=text)


def start_slapd(name, urls, tls, load):
    conf = slapd_conf(name, tls)
    log = open(os.path.join(TMP, name + ".log"), "w")
    # -d keeps it in the foreground, as this test's own child
    SLAPD[name] = subprocess.Popen(["slapd", "-d", "0", "-h", " ".join(urls), "-f", conf],
                                   stdout=log, stderr=subprocess.STDOUT)
    assert wait_port(load), "slapd %s did not start (see %s.log)" % (name, name)
    run("ldapadd", "-x", "-H", "ldap://127.0.0.1:%d" % load, "-D", ROOTDN, "-w", ROOTPW,
        stdin=ldif())


def stop_slapd(name):
    p = SLAPD.pop(name, None)
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def setup():
    global TMP, ORIG
    if not shutil.which("slapd") or not shutil.which("ldapadd"):
        subprocess.run(["bash", "-c", 'source "%s/scripts/lib.sh" && install_pkgs slapd ldap-utils'
                        % ROOT], check=True)
    # the server (www-data) reads the CA and the service password file
    TMP = tempfile.mkdtemp(prefix="ldap-", dir=os.environ.get("PX_WORK"))
    os.chmod(TMP, 0o755)
    make_certs()
    for f in ("ca.crt", "other-ca.crt"):
        os.chmod(os.path.join(TMP, f), 0o644)
    with open(os.path.join(TMP, "svc.pw"), "w") as f:
        f.write(SVC_PW + "\n")
    os.chmod(os.path.join(TMP, "svc.pw"), 0o644)
    start_slapd("tls", ["ldap://127.0.0.1:%d/" % PORT, "ldaps://127.0.0.1:%d/" % LDAPS_PORT],
                True, PORT)
    start_slapd("plain", ["ldap://127.0.0.1:%d/" % PLAIN_PORT], False, PLAIN_PORT)
    ORIG = open(CONF).read()
    LIVE.update({
        "ldap_url": "ldap://127.0.0.1:%d" % PORT,
        "ldap_ca_file": os.path.join(TMP, "ca.crt"),
        "ldap_bind_dn": SVC_DN,
        "ldap_bind_password_file": os.path.join(TMP, "svc.pw"),
        "ldap_base_dn": "ou=people," + SUFFIX,
        "ldap_group_roles": "%s=admin;%s=member" % (ADMINS, STAFF),
        "ldap_network_timeout": "3",
        "ldap_timeout": "3",
    })
    configure()
    unlock()


def teardown():
    if ORIG is not None:
        with open(CONF, "w") as f:
            f.write(ORIG)
    for name in list(SLAPD):
        stop_slapd(name)
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def configure(**extra):
    """The original config plus the LDAP keys (and extra), reloaded live."""
    keys = dict(LIVE)
    keys.update(extra)
    with open(CONF, "w") as f:
        f.write(ORIG + "\n# test_auth_ldap\n" + "".join("%s = %s\n" % kv for kv in keys.items()))
    time.sleep(1.5)  # the server looks at the file at most once a second


def ok_login(short, password=None):
    r = login(uid(short), password or pw(short))
    assert r.status == 200, r
    return r.json()


def test_admin_group_gives_admin():
    j = ok_login("ann")
    u = j["user"]
    assert u["role"] == "admin" and u["username"] == uid("ann"), u
    assert u["display_name"] == "Ann Directory", u
    row = psql("SELECT l.dn || '|' || coalesce(u.password_hash, 'NULL') || '|' || u.email"
               " FROM ldap_accounts l JOIN users u ON u.id = l.user_id WHERE u.id = %d" % u["id"])
    assert row == "%s|NULL|%s@example.org" % (dn("ann"), uid("ann")), row
    # an admin route works with it
    assert api("GET", "/api/v1/admin/users", j["token"]).status == 200


def test_staff_group_gives_member():
    u = ok_login("bob")["user"]
    assert u["role"] == "member", u


def test_wrong_password_and_unknown_user_refused():
    expect_error(login(uid("ann"), pw("bob")), 401, "AUTH_INVALID_CREDENTIALS")
    expect_error(login("nobody" + TAG, pw("ann")), 401, "AUTH_INVALID_CREDENTIALS")
    n = psql("SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed' AND"
             " target = 'user:%s' AND fields->>'reason' = 'ldap_bad_password'" % uid("ann"))
    assert n == "1", n
    unlock()


def test_no_mapped_group_refused_or_default_role():
    expect_error(login(uid("cid"), pw("cid")), 403, "AUTH_LDAP_NO_ROLE")
    assert psql("SELECT count(*) FROM users WHERE username = '%s'" % uid("cid")) == "0"
    configure(ldap_default_role="guest")
    assert ok_login("cid")["user"]["role"] == "guest"
    configure()


def test_filter_injection_is_escaped():
    # the WAF would refuse some of these first; here the escaping is tested
    configure(waf="detect")
    try:
        # pasted raw, the first two would find ann's entry alone, and her
        # password would sign in; escaped, they are names nobody has
        for name in (uid("ann")[:4] + "*", uid("ann") + ")(|(uid=*", "*", ")(uid=*",
                     "admin)(|(uid=*", "*)(uid=" + uid("ann"), uid("ann") + "\\2a"):
            r = login(name, pw("ann"))
            assert r.status != 200, "%r signed in: %r" % (name, r)
            expect_error(r, 401, "AUTH_INVALID_CREDENTIALS")
    finally:
        configure()
    unlock()


def test_backoff_applies_to_directory_logins():
    for _ in range(5):
        expect_error(login(uid("eve"), "wrong-password!"), 401, "AUTH_INVALID_CREDENTIALS")
    expect_error(login(uid("eve"), pw("eve")), 429, "AUTH_LOCKED_OUT")
    unlock()
    ok_login("eve")


def test_totp_still_required_after_bind():
    tok = ok_login("fay")["token"]
    r = api("POST", "/api/v1/auth/mfa/enroll", tok)
    assert r.status == 201, r
    secret = r.json()["secret"]

    def oath(offset=0):
        return run("oathtool", "--totp", "-b", secret, "-N", "now %+d seconds" % offset).strip()
    assert api("POST", "/api/v1/auth/mfa/confirm", tok, {"code": oath()}).status == 200
    expect_error(login(uid("fay"), pw("fay")), 401, "AUTH_MFA_REQUIRED")
    expect_error(login(uid("fay"), "wrong-password!", code=oath(30)), 401,
                 "AUTH_INVALID_CREDENTIALS")
    r = login(uid("fay"), pw("fay"), code=oath(30))
    assert r.status == 200, r
    unlock()


def test_password_cannot_be_changed_here():
    j = ok_login("bob")
    r = api("POST", "/api/v1/auth/password", j["token"],
            {"current_password": pw("bob"), "new_password": "Another-Long-Pass-2024!"})
    expect_error(r, 403, "AUTH_PASSWORD_MANAGED")
    r = api("POST", "/api/v1/admin/users/%d/password-reset" % j["user"]["id"], admin_token())
    assert r.status == 201, r
    r = pxtest.request("POST", "/api/v1/auth/password/reset",
                       json_body={"token": r.json()["reset_token"],
                                  "new_password": "Another-Long-Pass-2024!"})
    expect_error(r, 403, "AUTH_PASSWORD_MANAGED")
    expect_error(login(uid("bob"), "Another-Long-Pass-2024!"), 401, "AUTH_INVALID_CREDENTIALS")
    ok_login("bob")
    unlock()


def test_role_change_in_directory_applies_at_next_login():
    assert ok_login("dan")["user"]["role"] == "admin"
    ldapmodify(PORT, "dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n\n"
               "dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (ADMINS, dn("dan"), STAFF, dn("dan")))
    j = ok_login("dan")
    assert j["user"]["role"] == "member", j["user"]
    assert api("GET", "/api/v1/admin/users", j["token"]).status == 403
    assert psql("SELECT count(*) FROM audit_log WHERE action = 'auth.role_changed' AND"
                " fields->>'via' = 'ldap' AND fields->>'to' = 'member'") != "0"


def test_deactivated_stays_deactivated():
    u = ok_login("gus")["user"]
    r = api("PATCH", "/api/v1/admin/users/%d" % u["id"], admin_token(), {"active": False})
    assert r.status == 200, r
    expect_error(login(uid("gus"), pw("gus")), 403, "AUTH_ACCOUNT_DISABLED")
    assert psql("SELECT deactivated_at IS NOT NULL FROM users WHERE id = %d" % u["id"]) == "t"


def test_directory_password_confirms_self_deactivation():
    tok = ok_login("ivy")["token"]
    expect_error(api("POST", "/api/v1/users/me/deactivate", tok, {"password": pw("bob")}), 401,
                 "AUTH_INVALID_CREDENTIALS")
    r = api("POST", "/api/v1/users/me/deactivate", tok, {"password": pw("ivy")})
    assert r.status == 200, r
    expect_error(login(uid("ivy"), pw("ivy")), 403, "AUTH_ACCOUNT_DISABLED")


def test_local_account_is_never_taken_over():
    # a local account with the directory user's name keeps its own password
    code = api("POST", "/api/v1/admin/invites", admin_token(), {"role": "guest"}).json()["code"]
    local_pw = "Local-Only-" + secrets.token_hex(6)
    r = pxtest.request("POST", "/api/v1/auth/register",
                       json_body={"username": uid("hal"), "password": local_pw, "invite": code})
    assert r.status == 201, r
    expect_error(login(uid("hal"), pw("hal")), 401, "AUTH_INVALID_CREDENTIALS")
    j = ok_login("hal", local_pw)
    assert j["user"]["role"] == "guest", j["user"]
    assert psql("SELECT count(*) FROM ldap_accounts WHERE user_id = %d" % j["user"]["id"]) == "0"
    # a directory user whose name is reserved here gets no account
    expect_error(login("root", pw("root")), 409, "AUTH_LDAP_ACCOUNT_CONFLICT")
    unlock()


def test_groups_found_by_search():
    configure(ldap_group_attr='""', ldap_group_base_dn="ou=groups," + SUFFIX)
    try:
        assert ok_login("ann")["user"]["role"] == "admin"
        assert ok_login("bob")["user"]["role"] == "member"
    finally:
        configure()


def test_ldaps():
    configure(ldap_url="ldaps://127.0.0.1:%d" % LDAPS_PORT)
    try:
        assert ok_login("ann")["user"]["role"] == "admin"
    finally:
        configure()


def test_starttls_required_and_certificate_verified():
    configure(ldap_url="ldap://127.0.0.1:%d" % PLAIN_PORT)
    try:
        j = expect_error(login(uid("ann"), pw("ann")), 503, "AUTH_LDAP_UNAVAILABLE")
        assert j["details"].get("reason") == "tls", j
        # the same server is fine once TLS is explicitly switched off
        configure(ldap_url="ldap://127.0.0.1:%d" % PLAIN_PORT, ldap_starttls="off")
        assert ok_login("ann")["user"]["role"] == "admin"
        # a certificate from another CA is refused, with StartTLS and ldaps
        configure(ldap_ca_file=os.path.join(TMP, "other-ca.crt"))
        expect_error(login(uid("ann"), pw("ann")), 503, "AUTH_LDAP_UNAVAILABLE")
        configure(ldap_ca_file=os.path.join(TMP, "other-ca.crt"),
                  ldap_url="ldaps://127.0.0.1:%d" % LDAPS_PORT)
        expect_error(login(uid("ann"), pw("ann")), 503, "AUTH_LDAP_UNAVAILABLE")
    finally:
        configure()


def test_silent_server_times_out():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", SILENT_PORT))
    s.listen(8)  # connections complete in the backlog; nothing is ever read
    try:
        configure(ldap_url="ldap://127.0.0.1:%d" % SILENT_PORT, ldap_timeout="2")
        t0 = time.time()
        expect_error(login(uid("ann"), pw("ann")), 503, "AUTH_LDAP_UNAVAILABLE")
        assert time.time() - t0 < 10, time.time() - t0
    finally:
        s.close()
        configure()


def test_server_down_gives_503_and_local_admin_still_works():
    assert ok_login("ann")["user"]["role"] == "admin"
    stop_slapd("tls")
    j = expect_error(login(uid("ann"), pw("ann")), 503, "AUTH_LDAP_UNAVAILABLE")
    assert j["details"].get("reason") == "down", j
    r = login("admin", ADMIN_PASSWORD)
    assert r.status == 200, r
    # an unknown name asks the directory too, so it gets the same answer
    expect_error(login("nobody" + TAG, "whatever-password"), 503, "AUTH_LDAP_UNAVAILABLE")


if __name__ == "__main__":
    try:
        setup()
        pxtest.run(globals())
    finally:
        teardown()
