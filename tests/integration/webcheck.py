"""webcheck: HTML checks shared by the web UI integration tests (stdlib only).

Parses a page with html.parser and checks the rules every page must keep:
security headers, no inline script or style, labelled inputs, a CSRF token
in every POST form, and links and forms that work without JavaScript.
"""
import html.parser
import re

from pxtest import request

HTML = {"Accept": "text/html,application/xhtml+xml"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.forms = []         # {"attrs", "inputs": [attrs]}
        self.text = []
        self.inline_script = 0
        self.in_script = False
        self.labels_for = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "form":
            self.forms.append({"attrs": a, "inputs": []})
        if tag in ("input", "textarea", "select", "button") and self.forms:
            self.forms[-1]["inputs"].append(dict(a, _tag=tag))
        if tag == "script":
            self.in_script = True
            if "src" not in a:
                self.inline_script += 1
        if tag == "label" and "for" in a:
            self.labels_for.add(a["for"])

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.inline_script += 1
        self.text.append(data)

    def all_text(self):
        return " ".join(" ".join(self.text).split())


def parse(body):
    p = Page()
    p.feed(body.decode("utf-8"))
    return p


def get(path, headers=None):
    h = dict(HTML)
    h.update(headers or {})
    return request("GET", path, headers=h)


def check_page(r, want_status=200):
    """Asserts the page rules; returns the parsed page."""
    assert r.status == want_status, "want %d got %r" % (want_status, r)
    assert r.headers["content-type"].startswith("text/html"), r.headers
    csp = r.headers.get("content-security-policy", "")
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                 "frame-ancestors 'none'"):
        assert part in csp, "CSP lacks %s: %s" % (part, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy"), r.headers
    assert "camera=()" in r.headers.get("permissions-policy", "")
    assert "no-store" in r.headers.get("cache-control", "")
    p = parse(r.body)
    assert p.inline_script == 0, "inline script found"
    for tag, a in p.tags:
        assert "style" not in a, "inline style on <%s>" % tag
        assert not any(k.startswith("on") for k in a), "inline handler on <%s>: %r" % (tag, a)
        assert tag != "style", "<style> element"
        if tag == "input" and a.get("type") not in ("hidden", "submit", "checkbox") and "id" in a:
            assert a["id"] in p.labels_for or "aria-label" in a, "input %s has no label" % a["id"]
    for f in p.forms:
        if f["attrs"].get("method", "get").lower() == "post":
            names = [i.get("name") for i in f["inputs"]]
            assert "csrf_token" in names, "POST form %r lacks csrf_token" % f["attrs"]
    html_tag = [a for t, a in p.tags if t == "html"][0]
    assert html_tag.get("lang") in ("en", "de"), html_tag
    return p


def asset_urls(p):
    urls = [a.get("href") for t, a in p.tags if t == "link" and a.get("href")]
    urls += [a.get("src") for t, a in p.tags if t in ("script", "img") and a.get("src")]
    return [u for u in urls if u.startswith("/static/")]


def form_fields(p, action):
    for f in p.forms:
        if f["attrs"].get("action") == action:
            return {i.get("name"): i.get("value", "") for i in f["inputs"] if i.get("name")}
    raise AssertionError("no form with action %s" % action)


def hidden_value(p, name):
    for t, a in p.tags:
        if t == "input" and a.get("name") == name:
            return a.get("value", "")
    return None


def words(p):
    return re.sub(r"\s+", " ", p.all_text())


class Browser:
    """A cookie-keeping client that posts forms like a browser without
    JavaScript: it sends Accept: text/html, keeps every Set-Cookie and does
    not follow redirects (tests look at each answer)."""

    def __init__(self, lang="en"):
        self.cookies = {}
        self.lang = lang

    def send(self, method, path, fields=None, headers=None):
        import http.client
        import urllib.parse
        import pxtest
        u = urllib.parse.urlsplit(pxtest.BASE)
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        h = dict(HTML)
        h["Accept-Language"] = self.lang
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Origin"] = pxtest.BASE
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";")[0]
                if "Max-Age=0" in v or not value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        from pxtest import Response
        return Response(r.status, list(hdrs.items()), data)

    def get(self, path):
        return self.send("GET", path)

    def page(self, path, status=200):
        return check_page(self.get(path), status)

    def post(self, path, fields, token=True):
        """Posts fields; with token, the csrf_token from the last page of
        this browser (or a fresh one from /login) is added."""
        f = dict(fields)
        if token and "csrf_token" not in f:
            f["csrf_token"] = self.token()
        return self.send("POST", path, f)

    def token(self):
        p = parse(self.get("/login" if not self.signed_in() else "/channels/new").body)
        return hidden_value(p, "csrf_token")

    def signed_in(self):
        return any(k.endswith("px_session") for k in self.cookies)


def location(r):
    """The path of a redirect's Location."""
    import urllib.parse
    assert r.status in (302, 303), r
    u = urllib.parse.urlsplit(r.headers["location"])
    return u.path + ("?" + u.query if u.query else "") + ("#" + u.fragment if u.fragment else "")


def totp(secret, at=None, step=30):
    """RFC 6238 code (6 digits, SHA-1) for a base32 secret."""
    import base64
    import hashlib
    import hmac
    import struct
    import time
    s = secret.upper().replace(" ", "")
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    counter = int((at if at is not None else time.time()) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code
