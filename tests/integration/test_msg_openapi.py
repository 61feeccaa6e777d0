"""test_msg_openapi: the served OpenAPI 3.1 description passes
@redocly/cli lint, and real responses of the messaging API match it
(a small JSON Schema checker: $ref, type, properties, required, items,
enum, oneOf, minimum)."""
import json
import os
import subprocess
import tempfile
import urllib.parse

import pxtest
from msglib import User, channel, post

REDOCLY = "2.77.0"
SPEC = None


def spec():
    global SPEC
    if SPEC is None:
        r = pxtest.request("GET", "/api/v1/openapi.json")
        assert r.status == 200, r
        SPEC = r.json()
    return SPEC


def resolve(s):
    while "$ref" in s:
        node = spec()
        for part in s["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        s = node
    return s


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def type_ok(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def check(v, s, where="$"):
    """Returns a list of problems with value v against schema s."""
    s = resolve(s)
    if "oneOf" in s:
        fits = [alt for alt in s["oneOf"] if not check(v, alt, where)]
        return [] if len(fits) == 1 else ["%s: matches %d of oneOf" % (where, len(fits))]
    probs = []
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(v, t) for t in ts):
            return ["%s: %r is not %s" % (where, v, ts)]
    if "enum" in s and v not in s["enum"]:
        probs.append("%s: %r not in %r" % (where, v, s["enum"]))
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        probs.append("%s: %r < %r" % (where, v, s["minimum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                probs.append("%s: missing %s" % (where, k))
        for k, sub in s.get("properties", {}).items():
            if k in v:
                probs += check(v[k], sub, where + "." + k)
    if isinstance(v, list) and "items" in s:
        for i, item in enumerate(v):
            probs += check(item, s["items"], "%s[%d]" % (where, i))
    return probs


def conforms(resp, template, method):
    """Asserts resp matches the spec's response for template and method."""
    op = spec()["paths"][template][method.lower()]
    r = op["responses"].get(str(resp.status))
    assert r is not None, "%s %s: status %d not documented" % (method, template, resp.status)
    r = resolve(r)
    if resp.status == 204:
        assert resp.body == b""
        return None
    ctype = resp.headers.get("content-type", "").split(";")[0]
    assert ctype in r["content"], "%s %s: %s not documented" % (method, template, ctype)
    body = resp.json()
    probs = check(body, r["content"][ctype]["schema"])
    assert not probs, "%s %s %d: %s" % (method, template, resp.status, probs[:5])
    return body


def test_lint_with_redocly():
    root = os.environ.get("PX_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    node = os.path.join(root, "build", "node")
    exe = os.path.join(node, "node_modules", ".bin", "redocly")
    if not os.path.exists(exe):
        os.makedirs(node, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                        "@redocly/cli@" + REDOCLY], cwd=node, check=True, timeout=300,
                       capture_output=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec(), f)
    p = subprocess.run([exe, "lint", f.name], capture_output=True, text=True, timeout=300)
    os.unlink(f.name)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "valid" in p.stdout + p.stderr
    assert spec()["openapi"].startswith("3.1")


def test_responses_match_description():
    a, b, c = User("oa"), User("ob"), User("oc")
    CH, MSG = "/api/v1/channels/{id}", "/api/v1/channels/{id}/messages/{mid}"

    def call(user, method, template, path, body=None, headers=None):
        return conforms(user.call(method, path, body, headers), template, method)
    ch = call(a, "POST", "/api/v1/channels", "/api/v1/channels", {"name": "oa-" + a.name[-6:].lower()})
    cid = ch["id"]
    base = "/api/v1/channels/%d" % cid
    call(b, "POST", CH + "/members", base + "/members", {})
    call(a, "GET", "/api/v1/channels", "/api/v1/channels")
    call(a, "GET", CH, base)
    call(a, "PATCH", CH, base, {"topic": "spec"})
    call(a, "PUT", CH + "/topic", base + "/topic", {"topic": "spec2"})
    call(a, "GET", CH + "/members", base + "/members")
    m = call(a, "POST", CH + "/messages", base + "/messages", {"body": "hello @%s" % b.name})
    mid = m["id"]
    mp = base + "/messages/%d" % mid
    call(b, "POST", CH + "/messages", base + "/messages", {"body": "reply", "thread_root_id": mid})
    call(a, "GET", CH + "/messages", base + "/messages?limit=10")
    call(a, "GET", MSG, mp)
    call(a, "PATCH", MSG, mp, {"body": "hello again"})
    call(a, "GET", MSG + "/history", mp + "/history")
    call(a, "GET", MSG + "/thread", mp + "/thread")
    call(b, "PUT", MSG + "/thread/follow", mp + "/thread/follow")
    call(b, "POST", MSG + "/reactions", mp + "/reactions", {"emoji": "🎉"})
    call(a, "PUT", MSG + "/reactions/{emoji}", mp + "/reactions/" + urllib.parse.quote("🎉"))
    call(a, "GET", MSG + "/reactions", mp + "/reactions")
    call(a, "PUT", MSG + "/pin", mp + "/pin")
    call(a, "GET", CH + "/pins", base + "/pins")
    call(b, "PUT", CH + "/read-marker", base + "/read-marker", {"message_id": mid})
    call(a, "GET", "/api/v1/search", "/api/v1/search?q=hello")
    call(a, "GET", CH + "/messages/search", base + "/messages/search?q=hello")
    call(b, "GET", "/api/v1/notifications", "/api/v1/notifications")
    call(b, "POST", "/api/v1/notifications/read", "/api/v1/notifications/read", {"all": True})
    call(b, "GET", "/api/v1/events", "/api/v1/events?after=0&wait=0&limit=5")
    # errors are documented too, in the one error shape
    call(c, "GET", CH, "/api/v1/channels/%d" % channel(a, "private")["id"])          # 404
    call(b, "PATCH", MSG, mp, {"body": "not mine"})                                   # 403
    call(a, "GET", CH + "/messages", base + "/messages?limit=0")                      # 400
    call(a, "POST", "/api/v1/channels", "/api/v1/channels", {"name": ch["name"]})      # 409
    call(b, "DELETE", CH + "/members/{user}", base + "/members/%d" % b.id)             # 204
    d = post(a, cid, "to delete")
    dp = base + "/messages/%d" % d["id"]
    call(a, "DELETE", MSG, dp)
    call(a, "DELETE", MSG, dp)                                                         # 410
    r = pxtest.request("GET", base)
    conforms(r, CH, "GET")                                                             # 401


if __name__ == "__main__":
    pxtest.run(globals())
