"""test_scan.py: wapiti and sqlmap against README's run command, as an
outsider and as a signed-in member; fails on any injection or XSS finding,
and when a scan tested too little to mean anything.

Started by scripts/test.sh with the other run-command tests (PX_BASE_URL is
the run command, PX_RUN_DATA its data folder, PX_RUN_OUT its output, where
PlexiChat's access log goes: every request that reached PlexiChat is one
line there, so the requests each scan made are counted from it).

1. wapiti, anonymous, WAF blocking as shipped, from /login (wapiti does not
   follow the 303 from /).
2. wapiti signed in (session cookie of a member with a channel, messages and
   a thread), with the WAF in detect mode: the payloads reach the handlers,
   so what is tested is the application's own defences, not the WAF's.
3. sqlmap on the JSON API (bearer token; the login body unauthenticated),
   WAF in detect mode too. Its default user-agent is refused by the WAF, so
   a browser's is sent.
4. HSTS and the cookies' Secure flag, which plain HTTP on loopback rightly
   lacks, over HTTPS: a second lighttpd with mod_openssl and a self-signed
   certificate in front of the same plexichat.fcgi socket.

Detect mode and generous login back-off limits (so that failed logins do
not turn into 429s that sqlmap would read as a difference) are appended to
the run command's config, which PlexiChat reloads between requests, and
removed at the end; `plexichat-admin unlock` then clears the back-off the
scans caused. Reports are kept in PX_ARTIFACTS/scan."""
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse

import pxtest
from pxtest import request

BASE = pxtest.BASE.rstrip("/")
DATA = os.environ.get("PX_RUN_DATA", "")
RUN_OUT = os.environ.get("PX_RUN_OUT", "")
BUILD = os.environ.get("PX_BUILD", "")
CONF = os.path.join(DATA, "plexichat.conf")
OUT = os.path.join(os.environ.get("PX_ARTIFACTS", "/tmp"), "scan")
PORT = urllib.parse.urlsplit(BASE).port
TLS_PORT = int(os.environ.get("PX_SCAN_TLS_PORT", PORT + 1))
# a current browser's user-agent: the WAF refuses scanners' own
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"
MARK = "\n# test_scan.py (removed when it ends)\n"
LOGIN_KEYS = "login_free_attempts = 1000\nlogin_ip_free_attempts = 100000\n"

# wapiti 3.0.4 builds its -x patterns with a trailing "(?ms)", which
# Python 3.11 refuses; this runs it with the flags moved to the front.
WAPITI = r"""
import re, sys
import wapitiCore.net.crawler as crawler
def wildcard_translate(p):
    return re.compile("(?s)" + "".join(".*" if c == "*" else re.escape(c) for c in p) + r"\Z")
crawler.wildcard_translate = wildcard_translate
from wapitiCore.main.wapiti import wapiti_main
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
"""
# attack modules: injections and XSS, plus the passive header, cookie and
# CSP checks. Left out: ssrf (needs wapiti's Internet endpoint), nikto,
# buster and backup (file brute force), brute_login_form (password guessing
# is the back-off's business, tested elsewhere), and the rest as slow.
MODULES = "sql,blindsql,xss,permanentxss,exec,file,redirect,crlf,xxe,csp,http_headers,cookieflags"
# header findings that are not failures: what plain HTTP on loopback
# rightly lacks (checked over HTTPS instead), and X-XSS-Protection, not sent
# on purpose (browsers dropped the filter it controlled; OWASP advises not
# to send it)
OVER_HTTPS = (re.compile(r"^Strict-Transport-Security is not set$"),
              re.compile(r"^Secure flag is not set in the cookie : (px_pre|px_session|px_lang)$"))
NOT_SENT = re.compile(r"^X-XSS-Protection is not set$")

failures = []
state = {}


def log(msg):
    print(msg, flush=True)


def fail(msg):
    log("FINDING: " + msg)
    failures.append(msg)


def admin(*args, stdin=None):
    r = subprocess.run([os.path.join(BUILD, "plexichat-admin"), "-c", CONF] + list(args),
                       input=stdin, capture_output=True, text=True)
    assert r.returncode == 0, "plexichat-admin %s: %s" % (" ".join(args), r.stderr)
    return r.stdout


def api(method, path, token, body=None):
    r = request(method, path, json_body=body, headers={"Authorization": "Bearer " + token,
                                                       "User-Agent": UA})
    assert r.status < 300, "%s %s: %r" % (method, path, r)
    return r.json() if r.body else None


class AccessLog:
    """Counts the requests PlexiChat logged since it was made."""

    def __init__(self):
        self.start = os.path.getsize(RUN_OUT)

    def statuses(self):
        counts = {}
        with open(RUN_OUT, "rb") as f:
            f.seek(self.start)
            for line in f:
                if b'"module":"access"' not in line:
                    continue
                m = re.search(rb'"status":(\d+)', line)
                if m:
                    counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + 1
        return counts


def report_counts(name, counts, least, least_passed):
    total = sum(counts.values())
    passed = total - counts.get(403, 0)
    log("%s: %d requests reached PlexiChat (%d refused with 403: by the WAF in block mode, else CSRF or "
        "permission checks; %d answered otherwise); statuses %s"
        % (name, total, counts.get(403, 0), passed, dict(sorted(counts.items()))))
    if total < least:
        fail("%s made only %d requests (want at least %d): it tested next to nothing" % (name, total, least))
    if passed < least_passed:
        fail("%s: only %d requests were answered other than 403 (want at least %d): next to nothing "
             "reached the handlers" % (name, passed, least_passed))
    if counts.get(500, 0):
        fail("%s: %d answers were 500" % (name, counts[500]))


def set_scan_config(detect, on=True):
    """Appends the scan's keys to the run command's config (or, on=False,
    takes them out) and waits until the WAF mode is in force."""
    text = open(CONF).read()
    if MARK in text:
        text = text[:text.index(MARK)]
    if on:
        text += MARK + LOGIN_KEYS + ("waf = detect\n" if detect else "")
    with open(CONF, "w") as f:
        f.write(text)

    # reloaded between requests, at most once a second
    def mode_is(detect):
        r = request("GET", "/api/v1/system/version?q=%27%20union%20select%20password%20from%20users--",
                    headers={"User-Agent": UA})
        return (r.status != 403) == detect
    assert pxtest.wait_for(lambda: mode_is(detect), 20), "the WAF mode did not change"


def setup():
    os.makedirs(OUT, exist_ok=True)
    pw = "Scan-" + secrets.token_urlsafe(12)
    user = "scanner" + secrets.token_hex(3)  # new names: the test can run again
    admin("create-user", user, "--role", "member", "--password-stdin", stdin=pw + "\n")
    r = request("POST", "/api/v1/auth/login", json_body={"username": user, "password": pw},
                headers={"User-Agent": UA})
    assert r.status == 200, r
    tok = r.json()["token"]
    slug = "scan-" + user[7:]
    ch = api("POST", "/api/v1/channels", tok, {"name": slug})["id"]
    first = api("POST", "/api/v1/channels/%d/messages" % ch, tok, {"body": "hello from the scanner"})["id"]
    api("POST", "/api/v1/channels/%d/messages" % ch, tok,
        {"body": "hello **again** with a [link](https://example.org/) and @" + user})
    api("POST", "/api/v1/channels/%d/messages" % ch, tok, {"body": "a hello reply", "thread_root_id": first})
    state.update(user=user, pw=pw, token=tok, channel=ch, slug=slug, first=first)


def wapiti(name, start, extra, least_found):
    """Runs wapiti from the start URLs and returns its output. Every
    vulnerability it reports is a failure but OVER_HTTPS's and NOT_SENT's;
    so are answers 500, and finding fewer than least_found URLs and forms."""
    report = os.path.join(OUT, name + ".json")
    args = ["/usr/bin/python3", "-c", WAPITI, "-u", BASE + "/", "--scope", "folder",
            "-m", MODULES, "-f", "json", "-o", report, "--flush-session", "--no-bugreport",
            "--store-session", os.path.join(OUT, "wapiti-session"),
            "--store-config", os.path.join(OUT, "wapiti-config"),
            "-v", "1", "-A", UA, "-t", "20",
            # bounds, so that a channel full of messages (four forms each)
            # cannot stretch the run: crawl depth and time, pages per
            # folder, and time per attack module
            "-d", "4", "--max-files-per-dir", "12", "--max-scan-time", "60", "--max-attack-time", "15",
            # it asks for br, which its HTTP library cannot decode here
            "-H", "Accept-Encoding: gzip, deflate"]
    for s in start:
        args += ["-s", BASE + s]
    args += extra
    t0 = time.time()
    with open(os.path.join(OUT, name + ".out"), "w") as f:
        subprocess.run(args, stdout=f, stderr=subprocess.STDOUT, timeout=400)
    text = open(os.path.join(OUT, name + ".out")).read()
    m = re.search(r"Wapiti found (\d+) URLs and forms", text)
    found = int(m.group(1)) if m else 0
    log("%s: wapiti found %d URLs and forms in %.0f s (%d connection errors); attacked: %s" % (
        name, found, time.time() - t0, text.count("[!] Connection error"),
        ", ".join(sorted(set(re.findall(r"^\[\+\] ((?:GET|POST) \S+)", text, re.M))))[:1500]))
    if found < least_found:
        fail("%s: wapiti found %d URLs and forms (want at least %d)" % (name, found, least_found))
    if not os.path.exists(report):
        fail("%s: wapiti wrote no report" % name)
        return text
    d = json.load(open(report))
    for cat, items in d["vulnerabilities"].items():
        for v in items:
            what = "%s: %s %s %s (%s)" % (cat, v["method"], v["path"], v["parameter"], v["info"])
            if cat in ("HTTP Secure Headers", "Secure Flag cookie") and \
                    any(p.match(v["info"]) for p in OVER_HTTPS):
                log("%s: plain-HTTP finding, checked over HTTPS instead: %s" % (name, what))
            elif cat == "HTTP Secure Headers" and NOT_SENT.match(v["info"]):
                log("%s: header left out on purpose: %s" % (name, what))
            else:
                fail("%s: %s" % (name, what))
    for cat, items in d["anomalies"].items():
        for v in items:
            what = "%s: %s %s %s (%s)" % (cat, v["method"], v["path"], v["parameter"], v["info"])
            if cat == "Internal Server Error":
                fail("%s: %s" % (name, what))
            else:
                log("%s: anomaly (not a failure): %s" % (name, what))
    return text


def test_wapiti_anonymous():
    acc = AccessLog()
    text = wapiti("wapiti-anon", ["/login"], [], 5)
    if "POST %s/login" % BASE not in text:
        fail("wapiti-anon: the sign-in form was not attacked")
    report_counts("wapiti-anon", acc.statuses(), 500, 20)


def test_wapiti_signed_in():
    jar = {"127.0.0.1": {"/": {"px_session": {"value": state["token"], "expires": None,
                                              "secure": False, "port": None, "version": 0}}}}
    cookies = os.path.join(OUT, "wapiti-cookies.json")
    with open(cookies, "w") as f:
        json.dump(jar, f)
    acc = AccessLog()
    set_scan_config(True)
    try:
        text = wapiti("wapiti-user", ["/c/" + state["slug"], "/search?q=hello", "/settings", "/notifications"],
                      ["-c", cookies,
                       # leaving the session would make the rest anonymous
                       "-x", BASE + "/logout", "-x", BASE + "/settings/sessions/*",
                       "-x", BASE + "/settings/devices/*"], 30)
    finally:
        set_scan_config(False)
    if "/c/%s/thread/%d" % (state["slug"], state["first"]) not in text:
        fail("wapiti-user: the crawl did not reach signed-in pages (no thread page)")
    r = request("GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + state["token"]})
    if r.status != 200:
        fail("wapiti-user: the session did not last through the scan: %r" % r)
    report_counts("wapiti-user", acc.statuses(), 2000, 1000)


def rejected_candidates(text):
    """Parameters whose candidate injection sqlmap's own false-positive
    check (checkFalsePositives: equalities that must hold and ones that
    must not, asked through the same payload) turned down. A time-based
    candidate needs only two slow answers, which a loaded machine gives;
    a real injection answers those questions right and is reported."""
    out = set()
    for m in re.finditer(r"checking if the injection point on .*? parameter '([^']+)' is a false positive"
                         r"(.*?)(?=checking if the injection point|\Z)", text, re.S):
        if "false positive or unexploitable injection point detected" in m.group(2):
            out.add(m.group(1))
    return out


def sqlmap(name, url, token=None, method=None, data=None, level=1):
    """sqlmap on one endpoint; returns the parameters it tested."""
    # --drop-set-cookie: with the session cookie the login sets, every
    # later POST would be refused for want of a CSRF token; --ignore-code
    # 401: a failed sign-in is an answer, not a reason to stop
    args = ["sqlmap", "-u", BASE + url, "--batch", "--flush-session", "--user-agent", UA,
            "--drop-set-cookie", "--ignore-code", "401",
            "--level", str(level), "--risk", "2", "--threads", "4",
            "--dbms", "PostgreSQL",
            "--output-dir", os.path.join(OUT, "sqlmap"), "-v", "1"]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    if method:
        args += ["--method", method]
    if data:
        args += ["--data", data]
    # a guard against a hung scan, not a time limit: the login's four
    # parameters at level 3 are about 1,000 sign-ins, each an Argon2 hash,
    # 297 s in one run of the test command where this guard was 300 s
    r = subprocess.run(args, capture_output=True, text=True, timeout=900)
    with open(os.path.join(OUT, "sqlmap-%s.out" % name), "w") as f:
        f.write(r.stdout + r.stderr)
    text = r.stdout
    tested = sorted(set(re.findall(r"testing for SQL injection on (.+?) '([^']+)'", text)))
    log("sqlmap %s: %s %s: tested %s" % (name, method or ("POST" if data else "GET"), url,
                                         ", ".join("%s %s" % p for p in tested) or "nothing"))
    rejected = rejected_candidates(text)
    for pat in (r"identified the following injection point", r"appears to be '.*' injectable",
                r"is vulnerable", r"might be injectable", r"might be vulnerable to cross-site scripting",
                r"might be vulnerable to file inclusion"):
        for line in re.findall(r"^.*" + pat + r".*$", text, re.M):
            m = re.search(r"parameter '([^']+)' appears to be", line)
            if m and m.group(1) in rejected:
                log("sqlmap %s: candidate sqlmap itself then proved false (not a failure): %s"
                    % (name, line.strip()))
            else:
                fail("sqlmap %s: %s" % (name, line.strip()))
    if not tested:
        fail("sqlmap %s: no parameter was tested" % name)
    return tested


def test_sqlmap_api():
    tok, ch = state["token"], state["channel"]
    acc = AccessLog()
    set_scan_config(True)
    try:
        # query parameters that reach SQL: search text and cursors
        sqlmap("search", "/api/v1/search?q=hello&limit=20", tok)
        sqlmap("messages", "/api/v1/channels/%d/messages?before=%d&limit=50" % (ch, state["first"] + 5), tok)
        sqlmap("channel-search", "/api/v1/channels/%d/messages/search?q=hello" % ch, tok)
        sqlmap("users", "/api/v1/users?q=scan&limit=10", tok)
        sqlmap("notifications", "/api/v1/notifications?unread=1&before=1000&limit=10", tok)
        # JSON bodies: the login (user-agent and referer too, level 3: a
        # session row stores the user-agent) and the profile update
        sqlmap("login", "/api/v1/auth/login", None, "POST",
               json.dumps({"username": state["user"], "password": state["pw"]}), level=3)
        sqlmap("profile", "/api/v1/users/me", tok, "PATCH",
               json.dumps({"display_name": "Scan User", "bio": "hello there"}))
    finally:
        set_scan_config(False)
    report_counts("sqlmap", acc.statuses(), 1200, 1100)


def tls_front():
    """A lighttpd with TLS on TLS_PORT in front of the run command's
    plexichat.fcgi; returns (process, ssl context that trusts it)."""
    d = os.path.join(OUT, "tls")
    os.makedirs(d, exist_ok=True)
    key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    conf = os.path.join(d, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write("""server.modules = ( "mod_openssl", "mod_fastcgi" )
server.bind = "127.0.0.1"
server.port = %d
server.document-root = "%s"
server.errorlog = "%s/lighttpd-error.log"
server.username = "www-data"
server.groupname = "www-data"
ssl.engine = "enable"
ssl.pemfile = "%s"
ssl.privkey = "%s"
fastcgi.server = ( "/" => (( "socket" => "%s/run/plexichat.sock", "check-local" => "disable",
                             "fix-root-scriptname" => "enable" )))
""" % (TLS_PORT, d, d, crt, key, DATA))
    shutil.chown(d, "www-data")
    p = subprocess.Popen(["lighttpd", "-D", "-f", conf], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    ctx = ssl.create_default_context(cafile=crt)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", TLS_PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return p, ctx


def https(ctx, method, path, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", TLS_PORT, context=ctx, timeout=30)
    hdrs = {"User-Agent": UA}
    if body is not None:
        body = json.dumps(body)
        hdrs["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    r.read()
    c.close()
    return r


def test_https_headers():
    p, ctx = tls_front()
    try:
        r = https(ctx, "GET", "/login")
        assert r.status == 200, r.status
        hsts = r.getheader("Strict-Transport-Security") or ""
        m = re.search(r"max-age=(\d+)", hsts)
        if not m or int(m.group(1)) < 15552000:
            fail("https: Strict-Transport-Security missing or under 180 days: %r" % hsts)
        cookies = r.msg.get_all("Set-Cookie") or []
        if not cookies or any("; Secure" not in c for c in cookies):
            fail("https: a cookie of /login lacks Secure: %r" % cookies)
        r = https(ctx, "POST", "/api/v1/auth/login", {"username": state["user"], "password": state["pw"]})
        assert r.status == 200, r.status
        cookies = r.msg.get_all("Set-Cookie") or []
        if not any(c.startswith("__Host-px_session=") and "; Secure" in c and "HttpOnly" in c
                   for c in cookies):
            fail("https: the session cookie is not __Host- with Secure and HttpOnly: %r" % cookies)
        log("https: /login sends %r and cookies %s" % (hsts, [c.split("=")[0] for c in cookies]))
        # and wapiti's own header and cookie checks, now over HTTPS
        report = os.path.join(OUT, "wapiti-https.json")
        with open(os.path.join(OUT, "wapiti-https.out"), "w") as f:
            subprocess.run(["wapiti", "-u", "https://127.0.0.1:%d/" % TLS_PORT, "-s",
                            "https://127.0.0.1:%d/login" % TLS_PORT, "--scope", "folder",
                            "-m", "http_headers,cookieflags,csp", "-f", "json", "-o", report,
                            "--flush-session", "--no-bugreport", "-A", UA, "-d", "1",
                            "--store-session", os.path.join(OUT, "wapiti-session"),
                            "--store-config", os.path.join(OUT, "wapiti-config"),
                            "-H", "Accept-Encoding: gzip, deflate"],
                           stdout=f, stderr=subprocess.STDOUT, timeout=120)
        d = json.load(open(report))
        n = 0
        for cat, items in d["vulnerabilities"].items():
            for v in items:
                n += 1
                if NOT_SENT.match(v["info"]):
                    continue
                fail("https: wapiti: %s: %s %s" % (cat, v["path"], v["info"]))
        log("https: wapiti's header, cookie and CSP checks: %d findings" % n)
    finally:
        p.terminate()
        p.wait()


def main():
    t0 = time.time()
    setup()
    set_scan_config(False)
    try:
        for fn in (test_wapiti_anonymous, test_wapiti_signed_in, test_sqlmap_api, test_https_headers):
            t = time.time()
            try:
                fn()
            except Exception as e:  # a scan that could not run is a failure too
                fail("%s: %s: %s" % (fn.__name__, type(e).__name__, e))
            log("%s took %.0f s" % (fn.__name__, time.time() - t))
    finally:
        set_scan_config(False, on=False)
        admin("unlock")  # the back-off that failed sign-ins built up
    log("scans took %.0f s; reports in %s" % (time.time() - t0, OUT))
    for f in failures:
        print("FAIL " + f)
    print("test_scan.py: %d findings" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
