"""ai_fake: small local servers answering the OpenAI, Anthropic and Gemini
wire formats from the fixtures in fixtures/ai/ (each states the public
documentation it was written from), logging every request so tests can
assert what left PlexiChat, and misbehaving on demand.

URL layout: http://127.0.0.1:PORT/<kind>/<mode>/... where kind is openai,
anthropic or gemini and mode is one of
  ok         answer from the fixture (streamed when the request asks)
  hang       never answer (the client's timeout must fire)
  500        HTTP 500 every time
  429        HTTP 429 with Retry-After: 1 the first time per request body,
             then the fixture (so a retry that honours it succeeds)
  429long    HTTP 429 with Retry-After: 3600 (the client must give up)
  truncated  a 200 whose JSON stops half-way
  cut        a stream that stops before its end marker
  huge       a 200 of 64 MiB
  badutf8    a 200 whose text holds invalid UTF-8
  modflag    a chat answer "FLAG insult" (a moderation verdict)
  slowflag   modflag after 1 s (later than a moderation budget)
  slowok     ok after 1 s
  concepts   embeddings that carry meaning: one component per concept of
             CONCEPTS (a word of it in the text counts 1) and a small
             constant one, so "kitten" and "cat" are close although they
             share no letters (12 components, not the built-in 256)
  gate       a stream that sends its first pieces, then waits (up to 30 s)
             for a POST /_release before the rest, so a test can look at
             what arrived in the meantime; each release lets one stream
             finish (a release may come before the stream)
The answer text replaces {ECHO} with the placeholders ([CARD_1] ...) and
the first message ids ([#12]) found in the request, so tests can check
that PlexiChat restores placeholders and links sources.
Standard library only. Run: python3 ai_fake.py PORT (prints "ready")."""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "ai")


def fixture(name):
    with open(os.path.join(FIX, name + ".json")) as f:
        return json.load(f)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.seen_429 = set()
        self.gate = threading.Semaphore(0)


STATE = State()


CONCEPTS = [("cat", "cats", "kitten", "kittens", "feline", "tomcat"),
            ("car", "cars", "automobile", "vehicle", "sedan"),
            ("invoice", "invoices", "bill", "billing", "payment"),
            ("rain", "weather", "storm", "forecast", "drizzle")]
CONCEPT_DIM = 12


def concept_vector(text):
    words = re.findall(r"[a-z]+", text.lower())
    v = [0.0] * CONCEPT_DIM
    for i, group in enumerate(CONCEPTS):
        v[i] = float(sum(1 for w in words if w in group))
    v[-1] = 0.05
    return v


def embed_input(kind, req):
    if kind == "gemini":
        return " ".join(p.get("text", "") for p in req.get("content", {}).get("parts", []))
    return req.get("input", "")


def echo(body):
    marks = re.findall(r"\[(?:EMAIL|PHONE|IBAN|CARD|SECRET)_\d+\]", body)
    ids = re.findall(r"\[#(\d+)\]", body)
    return " ".join(sorted(set(marks)) + ["[#%s]" % i for i in ids[:2]])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_log":
            with STATE.lock:
                data = json.dumps(STATE.log).encode()
            self.send(200, data)
        else:
            self.send(404, b"{}")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        text = raw.decode("utf-8", "replace")
        if self.path == "/_release":
            STATE.gate.release()
            return self.send(200, b"{}")
        if self.path == "/_reset":
            with STATE.lock:
                STATE.log.clear()
                STATE.seen_429.clear()
            return self.send(200, b"{}")
        parts = self.path.split("/")
        kind, mode = (parts[1], parts[2]) if len(parts) > 3 else ("", "")
        with STATE.lock:
            STATE.log.append({"path": self.path, "kind": kind, "mode": mode, "body": text,
                              "auth": bool(self.headers.get("Authorization") or
                                           self.headers.get("x-api-key") or
                                           self.headers.get("x-goog-api-key")),
                              "at": time.time()})
        try:
            req = json.loads(text)
        except ValueError:
            return self.send(400, b'{"error":{"message":"bad json"}}')
        self.answer(kind, mode, req, text)

    def answer(self, kind, mode, req, text):
        if mode in ("slowflag", "slowok"):
            time.sleep(1.0)
            mode = "modflag" if mode == "slowflag" else "ok"
        if mode == "hang":
            time.sleep(60)
            return
        if mode == "500":
            return self.send(500, b'{"error":{"message":"fake failure"}}')
        if mode == "429long":
            return self.send(429, b'{"error":{"message":"slow down"}}', extra={"Retry-After": "3600"})
        if mode == "429":
            with STATE.lock:
                first = text not in STATE.seen_429
                STATE.seen_429.add(text)
            if first:
                return self.send(429, b'{"error":{"message":"slow down"}}', extra={"Retry-After": "1"})
        if mode == "huge":
            return self.huge()
        embed = "embed" in self.path
        stream = bool(req.get("stream")) or "streamGenerateContent" in self.path
        name = {"openai": "openai_embed" if embed else ("openai_stream" if stream else "openai_chat"),
                "anthropic": "anthropic_stream" if stream else "anthropic_messages",
                "gemini": "gemini_embed" if embed else "gemini_generate"}.get(kind)
        if not name:
            return self.send(404, b'{"error":{"message":"no such kind"}}')
        fx = fixture(name)
        if embed and mode == "concepts":
            vec = concept_vector(embed_input(kind, req))
            resp = fx["response"]
            if kind == "gemini":
                resp["embedding"]["values"] = vec
            else:
                resp["data"][0]["embedding"] = vec
            return self.send(200, json.dumps(resp).encode())
        e = echo(text)
        if stream:
            return self.stream(kind, fx, e, cut=(mode == "cut"), gate=(mode == "gate"))
        body = json.dumps(fx["response"]).replace("{ECHO}", e).encode()
        if mode == "modflag":   # a moderation verdict
            body = json.dumps(fx["response"]).replace("FAKE-OPENAI-ANSWER {ECHO}",
                                                      "FLAG insult").encode()
        if mode == "truncated":
            body = body[:len(body) // 2]
        if mode == "badutf8":
            body = body.replace(b"ANSWER", b"ANS\xff\xfeWER")
        self.send(200, body)

    def stream(self, kind, fx, e, cut, gate=False):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        if kind == "gemini":
            resp = json.dumps(fixture("gemini_generate")["response"]).replace("{ECHO}", e)
            events = [(None, resp)]
        elif kind == "anthropic":
            events = [(ev, d.replace("{ECHO}", e)) for ev, d in fx["events"]]
        else:
            events = [(None, d.replace("{ECHO}", e)) for d in fx["events"]]
        if cut:
            events = events[:2]
        for i, (ev, d) in enumerate(events):
            if gate and i == len(events) - 2:
                STATE.gate.acquire(timeout=30)
                with STATE.lock:
                    STATE.log.append({"path": "/_released", "at": time.time()})
            chunk = ("event: %s\n" % ev if ev else "") + "data: %s\n\n" % d
            self.wfile.write(chunk.encode())
            self.wfile.flush()
            time.sleep(0.01)
        self.close_connection = True

    def huge(self):
        size = 64 << 20
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        block = b" " * 65536
        try:
            for _ in range(size // len(block)):
                self.wfile.write(block)
        except OSError:
            pass
        self.close_connection = True


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # a client that gave up (a moderation budget, a timeout) is expected
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    port = int(sys.argv[1])
    srv = Server(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
