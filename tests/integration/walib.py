"""walib: a software WebAuthn authenticator for the integration tests.

Python's standard library has no ECDSA or Ed25519, so keys are made and
signatures computed with the openssl command-line tool; CBOR is encoded
here (the small subset WebAuthn needs). The authenticator answers the
options PlexiChat's /api/v1/auth/webauthn endpoints hand out, with knobs
to tamper with each part (origin, flags, counter, signature, user handle).
"""
import base64
import hashlib
import json
import os
import subprocess
import tempfile

import pxtest
from pxtest import request

ES256, EDDSA, RS256 = -7, -8, -257
UP, UV, AT = 0x01, 0x04, 0x40
AAGUID = bytes(range(16))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(v):
    """CBOR of ints, bytes, str, lists and dicts (definite lengths)."""
    if isinstance(v, bool) or v is None:
        raise TypeError(v)
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


def _openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True,
                          check=True, timeout=60).stdout


def site():
    """(origin, rp_id) the server expects: public_url's, as the server
    reads its configuration."""
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat-admin")
    out = subprocess.run([exe, "-c", os.environ["PX_CONFIG"], "check-config"],
                         capture_output=True, text=True, timeout=60).stdout
    url = json.loads(out[out.index("{"):])["public_url"]
    scheme, rest = url.split("://", 1)
    host = rest.split("/")[0].lower()
    origin = scheme.lower() + "://" + host
    return origin, host.split(":")[0]


class Authenticator:
    """One credential: a key of alg, a random id and a signature counter."""

    def __init__(self, alg=ES256, counter=True):
        self.alg = alg
        self.dir = tempfile.mkdtemp(prefix="px-wa-")
        self.key = os.path.join(self.dir, "key.pem")
        spec = {ES256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                EDDSA: ["-algorithm", "ed25519"],
                RS256: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]}[alg]
        _openssl("genpkey", *spec, "-out", self.key)
        self.cred_id = os.urandom(16)
        self.count = 0
        self.counter = counter
        self.handle = None

    def cose(self):
        der = _openssl("pkey", "-in", self.key, "-pubout", "-outform", "DER")
        if self.alg == ES256:
            return {1: 2, 3: ES256, -1: 1, -2: der[-64:-32], -3: der[-32:]}
        if self.alg == EDDSA:
            return {1: 1, 3: EDDSA, -1: 6, -2: der[-32:]}
        mod = _openssl("rsa", "-in", self.key, "-noout", "-modulus").decode().strip()
        return {1: 3, 3: RS256, -1: bytes.fromhex(mod.split("=", 1)[1]), -2: b"\x01\x00\x01"}

    def sign(self, data):
        if self.alg == EDDSA:
            path = os.path.join(self.dir, "msg")
            with open(path, "wb") as f:
                f.write(data)
            return _openssl("pkeyutl", "-sign", "-inkey", self.key, "-rawin", "-in", path)
        return _openssl("dgst", "-sha256", "-sign", self.key, data=data)

    @staticmethod
    def client_data(kind, challenge, origin):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                           "crossOrigin": False}).encode()

    def create(self, pk, origin, flags=UP | UV | AT, fmt="none", rp_id=None):
        """A registration response to creation options pk."""
        self.handle = unb64u(pk["user"]["id"])
        cdj = self.client_data("webauthn.create", pk["challenge"], origin)
        ad = (hashlib.sha256((rp_id or pk["rp"]["id"]).encode()).digest() + bytes([flags]) +
              self.count.to_bytes(4, "big") + AAGUID + len(self.cred_id).to_bytes(2, "big") +
              self.cred_id + cbor(self.cose()))
        stmt = {}
        if fmt == "packed":
            stmt = {"alg": self.alg, "sig": self.sign(ad + hashlib.sha256(cdj).digest())}
        att = cbor({"fmt": fmt, "attStmt": stmt, "authData": ad})
        return {"id": b64u(self.cred_id), "rawId": b64u(self.cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj), "attestationObject": b64u(att)}}

    def get(self, pk, origin, flags=UP | UV, count=None, handle=True, bad_sig=False):
        """An assertion for request options pk."""
        if count is None:
            self.count += 1 if self.counter else 0
            count = self.count
        cdj = self.client_data("webauthn.get", pk["challenge"], origin)
        ad = hashlib.sha256(pk["rpId"].encode()).digest() + bytes([flags]) + count.to_bytes(4, "big")
        sig = self.sign(ad + hashlib.sha256(cdj).digest())
        if bad_sig:
            sig = sig[:-2] + bytes([sig[-2] ^ 1]) + sig[-1:]
        return {"id": b64u(self.cred_id), "rawId": b64u(self.cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj), "authenticatorData": b64u(ad),
                             "signature": b64u(sig),
                             "userHandle": b64u(self.handle) if handle and self.handle else None}}


def api(method, path, token=None, body=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    return request(method, path, json_body=body, headers=h)


def register(token, auth, name="Key", origin=None, **kw):
    """Registers auth for the account of token; returns the response."""
    origin = origin or site()[0]
    r = api("POST", "/api/v1/auth/webauthn/register/options", token, {})
    assert r.status == 200, r
    cred = auth.create(r.json()["publicKey"], origin, **kw)
    return api("POST", "/api/v1/auth/webauthn/register/verify", token,
               {"name": name, "credential": cred})


def passwordless(auth, origin=None, **kw):
    """Signs in with auth alone; returns the login/verify response."""
    origin = origin or site()[0]
    r = api("POST", "/api/v1/auth/webauthn/login/options", None, {})
    assert r.status == 200, r
    pk = r.json()["publicKey"]
    assert pk["userVerification"] == "required" and pk["allowCredentials"] == []
    return api("POST", "/api/v1/auth/webauthn/login/verify", None,
               {"credential": auth.get(pk, origin, **kw)})


__all__ = ["Authenticator", "register", "passwordless", "site", "cbor", "b64u", "unb64u",
           "ES256", "EDDSA", "RS256", "UP", "UV", "AT", "pxtest"]
