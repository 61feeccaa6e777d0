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
            if f["attrs"].get("action") not in ("/login", "/register", "/login/mfa"):
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
