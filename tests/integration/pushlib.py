"""pushlib: a Web Push service on loopback for tests, playing both the push
service (RFC 8030: takes the POST, checks the VAPID authorization of RFC
8292) and the browser (RFC 8291: holds the subscription's private key and
decrypts the aes128gcm body). Crypto from python3-cryptography."""
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # Debian's python3-cryptography under another python3
    import sys
    sys.path.append("/usr/lib/python3/dist-packages")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


class Subscription:
    """The browser side: a P-256 key pair and an auth secret."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.pub = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint)
        self.auth = __import__("os").urandom(16)

    def json(self):
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64u(self.pub), "auth": b64u(self.auth)}}

    def decrypt(self, body):
        """RFC 8291 / RFC 8188 on the receiving side; the plaintext bytes."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        as_pub, ct = body[21:21 + idlen], body[21 + idlen:]
        assert rs == 4096 and idlen == 65 and len(ct) <= rs, (rs, idlen, len(ct))
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_pub)
        secret = self.key.exchange(ec.ECDH(), peer)
        ikm = _hmac(_hmac(self.auth, secret), b"WebPush: info\0" + self.pub + as_pub + b"\1")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\0\1")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\0\1")[:12]
        plain = AESGCM(cek).decrypt(nonce, ct, None).rstrip(b"\0")
        assert plain.endswith(b"\2"), "not the last record"
        return plain[:-1]


def check_vapid(authorization, audience, server_key):
    """Checks 'vapid t=JWT, k=KEY' the way a push service does; returns the
    claims."""
    assert authorization.startswith("vapid "), authorization
    parts = dict(p.strip().split("=", 1) for p in authorization[6:].split(","))
    assert parts["k"] == server_key, (parts["k"], server_key)
    head, claims, sig = parts["t"].split(".")
    assert json.loads(unb64u(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64u(sig)
    assert len(raw) == 64
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(parts["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    pub.verify(der, (head + "." + claims).encode(), ec.ECDSA(hashes.SHA256()))
    c = json.loads(unb64u(claims))
    assert c["aud"] == audience, (c, audience)
    assert time.time() < c["exp"] <= time.time() + 24 * 3600, c
    assert c["sub"].startswith(("mailto:", "https:")), c
    return c


class PushService:
    """Context manager: an HTTP server on host:port that records every
    POST (path, headers, body) and answers 201, or 410 for paths in gone,
    or 307 to redirect_to + path when that is set. PlexiChat reaches it
    only on an address outbound_allow_private allows (127.0.0.2 in the
    tests, scripts/test.sh), as it does every push service."""

    def __init__(self, port, host="127.0.0.2"):
        self.port = port
        self.origin = "http://%s:%d" % (host, port)
        self.got = []
        self.gone = set()
        self.redirect_to = None
        svc = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                svc.got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if svc.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", svc.redirect_to + self.path)
                else:
                    self.send_response(410 if self.path in svc.gone else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass
        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        return False

    def to(self, path):
        return [g for g in self.got if g[0] == path]
