"""oidc_provider: a real OpenID Connect provider on loopback for the tests:
Debian's Glewlwyd with its own config file and SQLite database, set up
through its admin REST API (plugin with an RSA key, a confidential client,
a user). Stdlib only; needs the glewlwyd and openssl commands."""
import http.client
import http.cookies
import json
import os
import sqlite3
import subprocess
import time
import urllib.parse

SCHEMA = "/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3"
CONF = """port={port}
external_url="http://127.0.0.1:{port}"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="file"
log_level="WARNING"
log_file="{dir}/glewlwyd.log"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = {{
  type = "sqlite3"
  path = "{dir}/glewlwyd.db"
}};
"""


class Session:
    """A tiny cookie-keeping HTTP client for one host."""

    def __init__(self, base):
        self.url = urllib.parse.urlsplit(base)
        self.cookies = {}

    def call(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=20)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                c = http.cookies.SimpleCookie()
                c.load(v)
                for name, morsel in c.items():
                    self.cookies[name] = morsel.value
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


class Glewlwyd:
    def __init__(self, workdir, port):
        self.dir = workdir
        self.port = port
        self.base = "http://127.0.0.1:%d" % port
        self.issuer = self.base
        self.proc = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        db = os.path.join(self.dir, "glewlwyd.db")
        if os.path.exists(db):
            os.unlink(db)
        con = sqlite3.connect(db)
        con.executescript(open(SCHEMA).read())
        con.commit()
        con.close()
        conf = os.path.join(self.dir, "glewlwyd.conf")
        open(conf, "w").write(CONF.format(port=self.port, dir=self.dir))
        self.proc = subprocess.Popen(["glewlwyd", "--config-file=" + conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                st, _, _ = Session(self.base).call("GET", "/api/oidc/.well-known/openid-configuration")
                if st in (200, 404):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("glewlwyd did not start; see %s/glewlwyd.log" % self.dir)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    def _keys(self):
        key = os.path.join(self.dir, "rsa.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
        pub = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], check=True,
                             capture_output=True, text=True).stdout
        return open(key).read(), pub

    def configure(self, client_id, secret, redirect_uri):
        """Creates the OIDC plugin (issuer self.base/api/oidc), the client."""
        admin = Session(self.base)
        st, _, body = admin.call("POST", "/api/auth/", {"username": "admin", "password": "password"})
        assert st == 200, (st, body)
        priv, pub = self._keys()
        self.issuer = self.base + "/api/oidc"
        plugin = {
            "module": "oidc", "name": "oidc", "display_name": "OIDC", "enabled": True,
            "parameters": {
                "iss": self.issuer, "jwt-type": "rsa", "jwt-key-size": "256",
                "key": priv, "cert": pub, "jwks-public-generate": True,
                "access-token-duration": 3600, "refresh-token-duration": 1209600,
                "code-duration": 600, "refresh-token-rolling": False,
                "allow-non-oidc": False, "auth-type-code-enabled": True,
                "auth-type-token-enabled": False, "auth-type-id-token-enabled": False,
                "auth-type-none-enabled": False, "auth-type-password-enabled": False,
                "auth-type-client-enabled": False, "auth-type-refresh-enabled": True,
                "subject-type": "public", "email-claim": "mandatory", "name-claim": "mandatory",
                "scope-claim": "no", "allowed-scope": ["openid"],
                "pkce-allowed": True, "pkce-method-plain-allowed": False,
                "request-parameter-allow": False, "claims": [],
            },
        }
        st, _, body = admin.call("POST", "/api/mod/plugin/", plugin)
        assert st == 200, (st, body)
        client = {"client_id": client_id, "name": "PlexiChat", "description": "test",
                  "confidential": True, "password": secret, "enabled": True,
                  "redirect_uri": [redirect_uri], "authorization_type": ["code"],
                  "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
                  "scope": []}
        st, _, body = admin.call("POST", "/api/client/", client)
        assert st == 200, (st, body)
        st, _, body = admin.call("PUT", "/api/scope/openid", {
            "name": "openid", "display_name": "Open ID", "description": "OpenID Connect",
            "password_required": True, "password_max_age": 3600, "scheme": {}})
        assert st == 200, (st, body)
        self.admin = admin

    def add_user(self, username, password, email, name):
        st, _, body = self.admin.call("POST", "/api/user/", {
            "username": username, "password": password, "email": email, "name": name,
            "scope": ["openid"], "enabled": True})
        assert st == 200, (st, body)

    def authorize(self, url, username, password, client_id):
        """Plays the browser: signs in, grants the client, follows the
        authorization URL; returns the redirect Location with code and state."""
        u = Session(self.base)
        st, _, body = u.call("POST", "/api/auth/", {"username": username, "password": password})
        assert st == 200, (st, body)
        st, _, body = u.call("PUT", "/api/auth/grant/" + client_id, {"scope": "openid"})
        assert st == 200, (st, body)
        parts = urllib.parse.urlsplit(url)
        # g_continue is what Glewlwyd's login page adds once the user is
        # signed in and has granted the client
        st, hdrs, body = u.call("GET", parts.path + "?" + parts.query + "&g_continue")
        assert st == 302, (st, body[:300])
        return hdrs["location"]
