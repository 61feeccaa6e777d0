"""openapilib: checks real responses against the served OpenAPI description.

conforms(resp, method, pattern) asserts that the description documents the
response's status for the operation and that its JSON body matches the
schema (a small JSON Schema checker: $ref, type, properties, required,
items, enum, allOf, oneOf, minimum, maximum, pattern, minLength, maxLength).
Patterns are written as the route table writes them ("/api/v1/channels/
{id:int}"). covered() lists the operations checked so far, so a test can
require that every operation of the description was checked at least once.
"""
import re

import pxtest

_SPEC = None
_CHECKED = set()


def spec():
    global _SPEC
    if _SPEC is None:
        r = pxtest.request("GET", "/api/v1/openapi.json")
        assert r.status == 200, r
        _SPEC = r.json()
    return _SPEC


def template(pattern):
    """The OpenAPI path of a route-table pattern: {id:int} -> {id}."""
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*):[a-z]+\}", r"{\1}", pattern)


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


def _scalar(v, s, where):
    probs = []
    if "enum" in s and v not in s["enum"]:
        probs.append("%s: %r not in %r" % (where, v, s["enum"]))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            probs.append("%s: %r < %r" % (where, v, s["minimum"]))
        if "maximum" in s and v > s["maximum"]:
            probs.append("%s: %r > %r" % (where, v, s["maximum"]))
    if isinstance(v, str):
        if "pattern" in s and not re.search(s["pattern"], v):
            probs.append("%s: %r does not match %s" % (where, v, s["pattern"]))
        if len(v) < s.get("minLength", 0) or len(v) > s.get("maxLength", len(v)):
            probs.append("%s: length %d outside the schema's bounds" % (where, len(v)))
    return probs


def check(v, s, where="$"):
    """Returns a list of problems with value v against schema s."""
    s = resolve(s)
    if "allOf" in s:
        return [p for alt in s["allOf"] for p in check(v, alt, where)]
    if "oneOf" in s:
        fits = [alt for alt in s["oneOf"] if not check(v, alt, where)]
        return [] if len(fits) == 1 else ["%s: matches %d of oneOf" % (where, len(fits))]
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(v, t) for t in ts):
            return ["%s: %r is not %s" % (where, v, ts)]
    probs = _scalar(v, s, where)
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


def conforms(resp, method, pattern):
    """Asserts resp matches the description; returns the parsed JSON body
    (None for an empty one)."""
    path = template(pattern)
    assert path in spec()["paths"], "%s is not documented" % path
    op = spec()["paths"][path].get(method.lower())
    assert op is not None, "%s %s is not documented" % (method, path)
    _CHECKED.add((method.upper(), path))
    r = op["responses"].get(str(resp.status))
    assert r is not None, "%s %s: status %d not documented (%r)" % (method, path, resp.status,
                                                                    resp.body[:200])
    r = resolve(r)
    if "content" not in r:
        assert resp.body == b"", "%s %s %d: undocumented body" % (method, path, resp.status)
        return None
    ctype = resp.headers.get("content-type", "").split(";")[0].strip()
    documented = [c for c in r["content"]
                  if c in (ctype, "*/*") or (c.endswith("/*") and ctype.startswith(c[:-1]))]
    assert documented, "%s %s: %s not documented" % (method, path, ctype)
    if ctype != "application/json":
        return resp.body
    body = resp.json()
    probs = check(body, r["content"][ctype]["schema"])
    assert not probs, "%s %s %d: %s" % (method, path, resp.status, probs[:5])
    return body


def operations():
    """Every (METHOD, path) the description documents."""
    return {(m.upper(), p) for p, item in spec()["paths"].items() for m in item
            if m in ("get", "put", "post", "patch", "delete", "head")}


def covered():
    return set(_CHECKED)
