"""test_ai_prism: PlexiChat's OpenAI-compatible client against Prism
(npm @stoplight/prism-cli@5.14.2) mocking the OpenAI OpenAPI description
in shared/specs/openai-openapi (paths given the /v1 prefix), so the chat
completions request PlexiChat sends is validated against the published
description and the answer parsed is schema-shaped. Prism cannot mock SSE
streams (see the spec's README); streams are tested with ai_fake.py in
test_ai_providers. Skips (77) only when the description is not present.
Runs once (ONCE in scripts/test.sh): it edits the shared config and
restores it."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pxtest
from pxtest import expect_error, request
import ailib
from ailib import User, channel, post, summary, ask, settings

ROOT = os.environ.get("PX_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SPEC = os.path.join(ROOT, "..", "shared", "specs", "openai-openapi", "openapi.yaml")
if not os.path.exists(SPEC):
    print("test_ai_prism: %s is not present: the Prism conformance test cannot run" % SPEC)
    sys.exit(77)

CONF = os.environ["PX_CONFIG"]
ORIG = open(CONF).read()
PORT = urllib.parse.urlsplit(pxtest.BASE).port + 60
DIR = tempfile.mkdtemp(prefix="px-prism-")
PROCS = []


def start_prism():
    node = os.path.join(os.environ["PX_BUILD"], "node-prism")
    exe = os.path.join(node, "node_modules", ".bin", "prism")
    if not os.path.exists(exe):
        os.makedirs(node, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "@stoplight/prism-cli@5.14.2"], cwd=node,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    spec = os.path.join(DIR, "openai-v1.yaml")
    with open(SPEC) as src, open(spec, "w") as dst:
        for line in src:   # the description's paths have no /v1; its server URL does
            dst.write(re.sub(r"^  /", "  /v1/", line))
    PROCS.append(subprocess.Popen([exe, "mock", "-h", "127.0.0.1", "-p", str(PORT), spec],
                                  stdout=open(os.path.join(DIR, "prism.log"), "w"),
                                  stderr=subprocess.STDOUT))
    end = time.time() + 180
    while time.time() < end:
        try:
            req = urllib.request.Request(
                "http://127.0.0.1:%d/v1/embeddings" % PORT, data=b'{"model":"m","input":"x"}',
                headers={"Authorization": "Bearer k", "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            return      # it answers
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("Prism did not start: %s" % open(os.path.join(DIR, "prism.log")).read()[-2000:])


def setup():
    start_prism()
    with open(os.path.join(DIR, "key"), "w") as f:
        f.write("sk-prism-test\n")
    base = "http://127.0.0.1:%d/v1" % PORT
    provs = [{"name": "prism", "kind": "openai", "base_url": base, "chat_model": "gpt-4o-mini",
              "embed_model": "text-embedding-3-small", "key_file": os.path.join(DIR, "key"),
              "timeout_ms": 20000, "retries": 0},
             {"name": "prism-nokey", "kind": "openai", "base_url": base,
              "chat_model": "gpt-4o-mini", "timeout_ms": 20000, "retries": 0}]
    with open(os.path.join(DIR, "providers.json"), "w") as f:
        json.dump({"providers": provs}, f)
    for n in ("key", "providers.json"):
        os.chmod(os.path.join(DIR, n), 0o644)
    os.chmod(DIR, 0o755)
    with open(CONF, "a") as f:
        f.write("ai_providers_file = %s\n" % os.path.join(DIR, "providers.json"))
    time.sleep(1.2)
    hdr = ailib.admin()
    ok = 0
    for _ in range(100):
        r = request("GET", "/api/v1/admin/ai/status", headers=hdr)
        ok = ok + 1 if r.status == 200 and len(r.json()["providers"]) == 3 else 0
        if ok >= 8:
            return
        time.sleep(0.2)
    raise AssertionError("providers not picked up")


def teardown():
    with open(CONF, "w") as f:
        f.write(ORIG)
    for p in PROCS:
        p.terminate()
        p.wait(15)


def test_summary_and_ask_through_prism():
    a = User("aipr")
    c = channel(a)
    settings(a, c["id"], remote=True)
    post(a, c["id"], "The deploy is scheduled for Thursday evening.")
    r = summary(a, c["id"], provider="prism")
    assert r.status == 200, r
    j = r.json()
    # Prism answers the description's example; its content field is a string
    assert j["ai"]["provider"] == "prism" and j["ai"]["kind"] == "openai" and j["summary"], j
    r = ask(a, "when is the deploy", provider="prism")
    assert r.status == 200 and r.json()["ai"]["provider"] == "prism", r


def test_missing_key_is_refused_by_the_described_api():
    a = User("aipr")
    c = channel(a)
    settings(a, c["id"], remote=True)
    post(a, c["id"], "Another message.")
    # the description requires bearer auth: Prism answers 401
    expect_error(summary(a, c["id"], provider="prism-nokey"), 502, "AI_PROVIDER_ERROR")


def test_embeddings_through_prism():
    """ai_embed_provider = prism: the embeddings request is one the
    description accepts (Prism would refuse another with 422, which is
    AI_PROVIDER_ERROR). Prism's made-up answer is one component of
    -3.4e38, beyond the range of a float: refused as AI_BAD_RESPONSE, with
    its audit row, and the message keeps a built-in vector, so ask still
    finds it by its words."""
    hdr = ailib.admin()
    base = open(CONF).read()
    a = User("aipr")
    c = channel(a)
    settings(a, c["id"], remote=True)
    try:
        after = ailib.last_audit_id(hdr)
        with open(CONF, "w") as f:
            f.write(base + "ai_embed_provider = prism\n")
        time.sleep(1.3)
        m = post(a, c["id"], "The embedding goes through the described API.")["id"]

        def rows():
            return [x for x in ailib.audit_rows(hdr, after) if x["feature"] == "embed"]
        assert pxtest.wait_for(lambda: rows(), timeout=40)
        assert ailib.wait_embedded(m)
        got = rows()
        assert all(x["provider"] == "prism" and x["status"] == "AI_BAD_RESPONSE" and x["sent_sha256"]
                   for x in got), got
        assert ailib.psql("SELECT model || ' ' || dim FROM ai_embeddings WHERE message_id = %d"
                          % m) == "builtin-hash-256 256"
        r = ask(a, "described API")
        assert r.status == 200, r
        assert m in [x["message_id"] for x in r.json()["sources"]]
        assert r.json()["search"]["provider_semantic"] == 0
    finally:
        with open(CONF, "w") as f:
            f.write(base)
        time.sleep(1.3)

if __name__ == "__main__":
    setup()
    try:
        pxtest.run(globals())
    finally:
        teardown()
