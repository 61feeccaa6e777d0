"""/.well-known/security.txt (RFC 9116): not served while security_contact
is empty; once set, text/plain with Contact (a bare address gets mailto:),
Expires in the future and under a year ahead, Preferred-Languages, Policy
and Canonical, taken from the live configuration. The test sets the keys in
the shared config file (PX_CONFIG) and puts the file back afterwards."""
import datetime
import os
import re

import pxtest
from pxtest import request

PATH = "/.well-known/security.txt"
CONFIG = os.environ.get("PX_CONFIG", "")
MARK = "security-test@example.org"
KEYS = ("security_contact = %s, https://example.org/report\n"
        "security_policy = https://example.org/disclosure\n"
        "security_languages = en, de\n"
        "security_txt_days = 30\n" % MARK)


def fields(body):
    """The file's lines as (name, value) pairs, in order."""
    out = []
    for line in body.decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z-]+): (\S.*)$", line)
        assert m, "not a field line: %r" % line
        out.append((m.group(1), m.group(2)))
    return out


def configured():
    """The file once every process has read the test's keys (each process
    reloads the config between requests, at most once a second)."""
    got = {}

    def ready():
        r = request("GET", PATH)
        got["r"] = r
        return r.status == 200 and MARK.encode() in r.body
    assert pxtest.wait_for(ready, 20), "security.txt not served after setting security_contact: %r" % got.get("r")
    return got["r"]


def with_keys(check):
    original = open(CONFIG, "rb").read()
    try:
        with open(CONFIG, "ab") as f:  # appended: later lines win
            f.write(b"\n" + KEYS.encode())
        check()
    finally:
        with open(CONFIG, "wb") as f:
            f.write(original)
    assert pxtest.wait_for(lambda: request("GET", PATH).status == 404, 20), \
        "security.txt still served after the keys were removed"


def test_not_served_without_contact():
    text = open(CONFIG).read()
    assert not re.search(r"^\s*security_contact\s*=\s*\S", text, re.M), "test config sets security_contact"
    pxtest.expect_error(request("GET", PATH), 404, "VALIDATION_NOT_FOUND")


def test_fields_from_config():
    def check():
        r = configured()
        assert r.headers["content-type"] == "text/plain; charset=utf-8", r.headers
        assert r.body.endswith(b"\n"), r
        f = fields(r.body)
        names = [n for n, _ in f]
        contacts = [v for n, v in f if n == "Contact"]
        assert contacts == ["mailto:" + MARK, "https://example.org/report"], f
        for once in ("Expires", "Preferred-Languages", "Policy", "Canonical"):
            assert names.count(once) == 1, "%s: %r" % (once, f)
        d = dict(f)
        assert d["Preferred-Languages"] == "en, de", f
        assert d["Policy"] == "https://example.org/disclosure", f
        assert re.match(r"^https?://[^/]+/\.well-known/security\.txt$", d["Canonical"]), f
        # RFC 3339 in UTC; in the future and, as the RFC recommends, under
        # a year ahead (security_txt_days = 30: from today's midnight)
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", d["Expires"]), f
        exp = datetime.datetime.strptime(d["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc)
        assert now < exp < now + datetime.timedelta(days=365), (now, exp)
        assert exp <= now + datetime.timedelta(days=30), (now, exp)
        assert exp > now + datetime.timedelta(days=29), (now, exp)
    with_keys(check)


def test_largest_expiry_under_a_year():
    def check():
        with open(CONFIG, "a") as f:  # the largest allowed value
            f.write("security_txt_days = 365\n")
        def far():
            r = request("GET", PATH)
            return r.status == 200 and b"Expires:" in r.body and \
                dict(fields(r.body))["Expires"] > (datetime.date.today() + datetime.timedelta(days=300)).isoformat()
        assert pxtest.wait_for(far, 20), request("GET", PATH)
        exp = datetime.datetime.strptime(dict(fields(request("GET", PATH).body))["Expires"],
                                         "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc)
        assert now < exp < now + datetime.timedelta(days=365), (now, exp)
    with_keys(check)


if __name__ == "__main__":
    pxtest.run(globals())
