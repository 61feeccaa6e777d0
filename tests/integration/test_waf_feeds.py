"""Threat-intelligence feeds: `plexichat-admin waf update-feeds` fetches the
waf_feeds URLs (served here by python's http.server on loopback), skips
malformed and reserved lines, refuses broken feeds without touching the
stored ranges, and running servers apply the result within seconds,
without a restart. Clients are told apart by X-Forwarded-For (the config
trusts 127.0.0.1 as a proxy for the length of the test). Edits the shared
config and restores it, so it runs once."""
import functools
import http.server
import os
import tempfile
import threading

import pxtest
from pxtest import expect_error
import waflib
from waflib import Config, admin_api, admin_cli, ranges, wait_state

GOOD = """; Spamhaus-style DROP list for the test
198.51.100.0/24 ; SBL000001
203.0.113.64/26 ; SBL000002
# FireHOL-style bogons that must be skipped
127.0.0.0/8
10.0.0.0/8
this line is not an address
"""


def xff(addr):
    return {"X-Forwarded-For": addr}


class Feeds:
    """A loopback HTTP server over a temporary folder of feed files."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pxfeeds")
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=self.dir)
        handler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def put(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def close(self):
        self.httpd.shutdown()


def update():
    rc, out, err = admin_cli("waf", "update-feeds")
    return rc, out + err


def feed_ranges():
    return sorted(r["cidr"] for r in ranges(source="feed:tnet", limit=1000)["ranges"])


def test_feed_lifecycle():
    feeds = Feeds()
    feeds.put("drop.txt", GOOD)
    conf = Config("waf_feeds = tnet=" + feeds.url("drop.txt"), "trusted_proxies = 127.0.0.1")
    try:
        assert pxtest.wait_for(lambda: False, 1.5) is False  # config reload
        bad_client, other = "198.51.100.23", "192.0.2.44"
        wait_state("127.0.0.1", False, headers=xff(bad_client), timeout=5)

        rc, out = update()
        assert rc == 0 and "feed tnet: 2 ranges stored" in out, out
        assert "skipped 1 malformed and 2 reserved" in out, out
        assert feed_ranges() == ["198.51.100.0/24", "203.0.113.64/26"], feed_ranges()
        took = wait_state("127.0.0.1", True, headers=xff(bad_client))
        print("note: feed applied by every server and process in %.1f s" % took)
        wait_state("127.0.0.1", False, headers=xff(other), timeout=2)
        expect_error(waflib.request_from("127.0.0.1", "GET", "/api/v1/system/version",
                                         headers=xff("203.0.113.70")), 403, "SECURITY_IP_BLOCKED")

        # broken feeds are refused and the stored ranges stay
        for name, text in (("drop.txt", "junk\n" * 10 + "198.51.100.0/24\n"),
                           ("drop.txt", ""),
                           ("drop.txt", "<html><body>503 maintenance</body></html>\n")):
            feeds.put(name, text)
            rc, out = update()
            assert rc != 0 and "refused" in out, out
            assert feed_ranges() == ["198.51.100.0/24", "203.0.113.64/26"], out
        os.remove(os.path.join(feeds.dir, "drop.txt"))
        rc, out = update()
        assert rc != 0 and "404" in out, out
        assert len(feed_ranges()) == 2

        # a new version replaces the old one
        feeds.put("drop.txt", "203.0.113.0/25\n")
        rc, out = update()
        assert rc == 0 and "1 ranges stored (2 before)" in out, out
        wait_state("127.0.0.1", False, headers=xff(bad_client))
        wait_state("127.0.0.1", True, headers=xff("203.0.113.5"))
        assert waflib.psql("SELECT count(*) FROM audit_log WHERE action = 'admin.waf.feed_updated'"
                           " AND target = 'feed:tnet'") == "2"
    finally:
        conf.restore()
        feeds.close()
        for r in ranges(source="feed:tnet", limit=1000)["ranges"]:
            waflib.delete_range(r["id"])


def test_bad_feed_config():
    conf = Config("waf_feeds = tnet=ftp://127.0.0.1/x.txt")
    try:
        rc, out = update()
        assert rc == 1 and "waf_feeds" in out, out
    finally:
        conf.restore()
    rc, out = update()
    assert rc == 0 and "no feeds configured" in out, out


if __name__ == "__main__":
    pxtest.run(globals())
