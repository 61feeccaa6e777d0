"""docs/TLS.md's "lighttpd with certbot", followed as written: a certificate
in certbot's layout (/etc/letsencrypt/live/NAME/, made here with openssl in
place of certbot, which needs the internet), the doc's lighttpd lines added
to the running test server's configuration, and a second lighttpd started
with it. Checks the TLS handshake for the name, PlexiChat's answer over
HTTPS, and the certificate's days left in /api/v1/system/health once
tls_cert_files names it (and "expiring" under tls_warn_days). Needs
PX_CONFIG, PX_ROOT, PX_WORK and lighttpd-mod-openssl."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse

import pxtest

NAME = "chat.example.org"   # the doc's name: only the port and paths change


def doc_block(marker):
    text = open(os.path.join(os.environ["PX_ROOT"], "docs", "TLS.md")).read()
    m = re.search(r"<!-- tls: %s -->\n```text\n(.*?)\n```" % marker, text, re.S)
    assert m, "docs/TLS.md has no %s block" % marker
    return m.group(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def https_get(port, path, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=NAME) as s:
            assert s.version() in ("TLSv1.2", "TLSv1.3"), s.version()
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (path, NAME)).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if not n:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, body


def test_lighttpd_with_certbot_layout():
    work = os.path.join(os.environ["PX_WORK"], "tls-recipe")
    shutil.rmtree(work, ignore_errors=True)
    live = os.path.join(work, "etc", "letsencrypt", "live", NAME)
    os.makedirs(live)
    cert, key = os.path.join(live, "fullchain.pem"), os.path.join(live, "privkey.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", "/CN=" + NAME,
                    "-addext", "subjectAltName=DNS:" + NAME, "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)   # as certbot leaves it; lighttpd reads it as root
    os.chmod(cert, 0o644)
    for d in (work, os.path.dirname(os.path.dirname(live)), os.path.dirname(live), live,
              os.path.join(work, "etc")):
        os.chmod(d, 0o755)
    # the running server's configuration, on its own plain port, plus the doc
    base_port = urllib.parse.urlsplit(pxtest.BASE).port
    run_dir = os.path.join(os.environ["PX_WORK"], "run")
    conf_in = open(os.path.join(run_dir, "lighttpd-%d.conf" % base_port)).read()
    plain, tls = free_port(), free_port()
    conf = re.sub(r"(?m)^server\.port = \d+$", "server.port = %d" % plain, conf_in)
    conf = re.sub(r"(?m)^server\.pid-file = .*$", 'server.pid-file = "%s/lighttpd.pid"' % work,
                  conf)
    snippet = doc_block("lighttpd").replace("/etc/letsencrypt", os.path.join(work, "etc",
                                                                               "letsencrypt"))
    snippet = snippet.replace('":443"', '"127.0.0.1:%d"' % tls)
    path = os.path.join(work, "lighttpd.conf")
    with open(path, "w") as f:
        f.write(conf + "\n" + snippet + "\n")
    chk = subprocess.run(["lighttpd", "-tt", "-f", path], capture_output=True, text=True)
    assert chk.returncode == 0, chk.stderr
    srv = subprocess.Popen(["lighttpd", "-D", "-f", path])
    cfg = os.environ["PX_CONFIG"]
    orig = open(cfg).read()
    try:
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", tls), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline and srv.poll() is None, "lighttpd did not listen"
                time.sleep(0.2)
        status, body = https_get(tls, "/api/v1/system/version", cert)
        assert status == 200 and json.loads(body)["name"], (status, body[:200])
        # a client that does not trust the certificate is refused in the handshake
        try:
            https_get(tls, "/api/v1/system/version", None)
            raise AssertionError("an untrusted certificate was accepted")
        except ssl.SSLCertVerificationError:
            pass
        with open(cfg, "a") as f:
            f.write("tls_cert_files = %s\n" % cert)

        def tls_check():
            st, b = https_get(tls, "/api/v1/system/health", cert)
            checks = json.loads(b)["checks"] if st == 200 else {}
            return checks if "tls_certificates" in checks else None
        assert pxtest.wait_for(tls_check, 10), "tls_cert_files not picked up"
        checks = tls_check()
        c = checks["tls_certificates"][0]
        assert checks["tls"] == "ok" and c["file"] == cert and c["subject"] == NAME, checks
        assert c["days_left"] in (29, 30), c
        # the gauge, from whichever process answers the metrics
        st, b = https_get(tls, "/api/v1/system/metrics", cert)
        line = 'plexichat_tls_cert_days_left{file="%s"} ' % cert
        assert st == 200 and line in b.decode(), b.decode()[:300]
        assert int(float(b.decode().split(line)[1].split()[0])) == c["days_left"]
        with open(cfg, "a") as f:
            f.write("tls_warn_days = 45\n")
        assert pxtest.wait_for(lambda: (tls_check() or {}).get("tls") == "expiring", 10)
    finally:
        with open(cfg, "w") as f:
            f.write(orig)
        srv.terminate()
        srv.wait(10)


if __name__ == "__main__":
    pxtest.run(globals())
