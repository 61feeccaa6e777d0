"""maillib: a real SMTP server on loopback (aiosmtpd) for tests of mail the
server sends, and the config lines that point PlexiChat at it.

Ports: each test picks a slot; the port is the web server's own port plus
20 + slot, so runs with other PX_TEST_HTTP_PORT values (helpers, CI) never
share a receiver, and lighttpd and Apache runs get different ports."""
import email
import email.policy
import os
import time
import urllib.parse

import pxtest


def aux_port(slot):
    """A loopback port for a test's own receiver (slot 0-59)."""
    return urllib.parse.urlsplit(pxtest.BASE).port + 20 + slot


def _controller():
    try:
        from aiosmtpd.controller import Controller
    except ImportError:  # Debian's python3-aiosmtpd under another python3
        import sys
        sys.path.append("/usr/lib/python3/dist-packages")
        from aiosmtpd.controller import Controller
    return Controller


class Sink:
    """Keeps every message: (recipients, parsed email.message.EmailMessage)."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, addr):
        return [m for rcpt, m in self.mails if addr in rcpt]


class MailServer:
    """Context manager: an aiosmtpd sink on aux_port(slot) and the config
    appended with smtp_url/smtp_from plus extra lines; the config file is
    restored and the sink stopped on exit."""

    def __init__(self, slot, extra=""):
        self.port = aux_port(slot)
        self.sink = Sink()
        self.extra = extra
        self.ctl = None
        self.conf = os.environ["PX_CONFIG"]
        self.orig = None

    def __enter__(self):
        self.ctl = _controller()(self.sink, hostname="127.0.0.1", port=self.port)
        self.ctl.start()
        self.orig = open(self.conf).read()
        with open(self.conf, "a") as f:
            f.write("smtp_url = smtp://127.0.0.1:%d\nsmtp_from = chat@example.org\n%s"
                    % (self.port, self.extra))
        return self.sink

    def __exit__(self, *exc):
        with open(self.conf, "w") as f:
            f.write(self.orig)
        self.ctl.stop()
        time.sleep(0.2)
        return False


def text_part(msg, subtype="plain"):
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else None
