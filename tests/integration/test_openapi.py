"""test_openapi: the served OpenAPI 3.1 description (generated from the
route table and handlers/api_schema.py) passes @redocly/cli lint, matches
what the build prints, and every operation it documents answers as
documented: each is called at least once against the real server and its
response (status, content type, JSON body) checked by openapilib.conforms
against the description, successes wherever reachable without an outside
service and the usual refusals (400, 401, 403, 404, 409). The last test
requires that every documented operation was checked."""
import json
import os
import re
import secrets
import subprocess
import tempfile
import urllib.parse

import pxtest
import openapilib as oa
from imagelib import png
from authlib import PASSWORD, admin_token, api, invite, make_user, psql, uniq, unlock
from msglib import User, channel, post
from walib import Authenticator, site

REDOCLY = "2.77.0"
unlock()
ADMIN = admin_token()


DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
BAD_TIMES = []  # (operation, status, where, value): checked by test_zy_...


def bad_times(v, s, where="$"):
    """Strings of v that schema s declares date-time but are not RFC 3339
    (openapilib checks no formats)."""
    s = oa.resolve(s)
    if "allOf" in s:
        return [p for alt in s["allOf"] for p in bad_times(v, alt, where)]
    if "oneOf" in s:
        fits = [alt for alt in s["oneOf"] if not oa.check(v, alt)]
        return bad_times(v, fits[0], where) if len(fits) == 1 else []
    out = []
    if s.get("format") == "date-time" and isinstance(v, str) and not DATE_TIME.match(v):
        out.append((where, v))
    if isinstance(v, dict):
        for k, sub in s.get("properties", {}).items():
            if k in v:
                out += bad_times(v[k], sub, where + "." + k)
    if isinstance(v, list) and "items" in s:
        for i, item in enumerate(v):
            out += bad_times(item, s["items"], "%s[%d]" % (where, i))
    return out


def chk(resp, method, pattern, status):
    """resp must have status and conform to the description of the
    operation (method, route-table pattern); returns its parsed body.
    Timestamps that are not date-time are noted in BAD_TIMES."""
    assert resp.status == status, "%s %s: want %d, got %r" % (method, pattern, status, resp)
    body = oa.conforms(resp, method, pattern)
    if isinstance(body, (dict, list)):
        op = oa.spec()["paths"][oa.template(pattern)][method.lower()]
        schema = oa.resolve(op["responses"][str(status)])["content"]["application/json"]
        for where, v in bad_times(body, schema["schema"]):
            BAD_TIMES.append(("%s %s" % (method, pattern), status, where, v))
    return body


def oath(secret, offset=0):
    args = ["oathtool", "--totp", "-b", secret]
    if offset:
        args += ["-N", "now %+d seconds" % offset]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def anon(method, path, body=None, headers=None):
    return pxtest.request(method, path, json_body=body, headers=headers)


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
        json.dump(oa.spec(), f)
    p = subprocess.run([exe, "lint", f.name], capture_output=True, text=True, timeout=300)
    os.unlink(f.name)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "valid" in p.stdout + p.stderr
    assert oa.spec()["openapi"].startswith("3.1")


def test_served_description_is_the_build_one():
    """GET /api/v1/openapi.json serves what `plexichat.fcgi --openapi`
    prints, and it describes only the API."""
    exe = os.path.join(os.environ["PX_BUILD"], "plexichat.fcgi")
    p = subprocess.run([exe, "--openapi"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == oa.spec()
    r = pxtest.request("GET", "/api/v1/openapi.json")
    assert chk(r, "GET", "/api/v1/openapi.json", 200) == oa.spec()
    for path, item in oa.spec()["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, op in item.items():
            assert "x-plexichat-policy" in op, (method, path)


CH = "/api/v1/channels/{id:int}"
MSG = CH + "/messages/{mid:int}"


def test_messaging():
    a, b, c = User("oa"), User("ob"), User("oc")

    def call(user, method, pattern, path, status, body=None, headers=None):
        return chk(user.call(method, path, body, headers), method, pattern, status)
    ch = call(a, "POST", "/api/v1/channels", "/api/v1/channels", 201,
              {"name": "oa-" + a.name[-6:].lower()})
    cid = ch["id"]
    base = "/api/v1/channels/%d" % cid
    call(b, "POST", CH + "/members", base + "/members", 201, {})
    call(a, "PUT", CH + "/members/{user}", base + "/members/%d" % c.id, 201)
    call(a, "PATCH", CH + "/members/{user}", base + "/members/%d" % c.id, 200,
         {"role": "moderator"})
    call(a, "GET", "/api/v1/channels", "/api/v1/channels", 200)
    call(a, "GET", CH, base, 200)
    call(a, "PATCH", CH, base, 200, {"topic": "spec"})
    call(a, "PUT", CH + "/topic", base + "/topic", 200, {"topic": "spec2"})
    call(a, "GET", CH + "/members", base + "/members", 200)
    call(a, "POST", CH + "/typing", base + "/typing", 204)
    m = call(a, "POST", CH + "/messages", base + "/messages", 201,
             {"body": "hello @%s" % b.name})
    mid = m["id"]
    mp = base + "/messages/%d" % mid
    call(b, "POST", CH + "/messages", base + "/messages", 201,
         {"body": "reply", "thread_root_id": mid})
    call(a, "GET", CH + "/messages", base + "/messages?limit=10", 200)
    call(a, "GET", MSG, mp, 200)
    call(a, "PATCH", MSG, mp, 200, {"body": "hello again"})
    call(a, "GET", MSG + "/history", mp + "/history", 200)
    call(a, "GET", MSG + "/thread", mp + "/thread", 200)
    call(b, "PUT", MSG + "/thread/follow", mp + "/thread/follow", 204)
    call(b, "DELETE", MSG + "/thread/follow", mp + "/thread/follow", 204)
    call(b, "POST", MSG + "/reactions", mp + "/reactions", 200, {"emoji": "🎉"})
    emoji = mp + "/reactions/" + urllib.parse.quote("🎉")
    call(a, "PUT", MSG + "/reactions/{emoji}", emoji, 200)
    call(a, "GET", MSG + "/reactions", mp + "/reactions", 200)
    call(a, "DELETE", MSG + "/reactions/{emoji}", emoji, 200)
    call(a, "PUT", MSG + "/pin", mp + "/pin", 200)
    call(a, "GET", CH + "/pins", base + "/pins", 200)
    call(a, "DELETE", MSG + "/pin", mp + "/pin", 200)
    call(b, "PUT", CH + "/read-marker", base + "/read-marker", 200, {"message_id": mid})
    call(a, "GET", "/api/v1/search", "/api/v1/search?q=hello", 200)
    call(a, "GET", CH + "/messages/search", base + "/messages/search?q=hello", 200)
    notes = call(b, "GET", "/api/v1/notifications", "/api/v1/notifications", 200)
    assert notes["notifications"], notes
    nid = notes["notifications"][0]["id"]
    call(b, "PUT", "/api/v1/notifications/{nid:int}/read",
         "/api/v1/notifications/%d/read" % nid, 200)
    r = call(b, "PUT", "/api/v1/notifications/{nid:int}/read",
             "/api/v1/notifications/%d/read" % nid, 200)      # read already: nothing marked
    assert r["marked"] == 0, r
    # an id that is not one's own does not exist, as for every other resource
    call(a, "PUT", "/api/v1/notifications/{nid:int}/read",
         "/api/v1/notifications/%d/read" % nid, 404)
    call(b, "PUT", "/api/v1/notifications/{nid:int}/read",
         "/api/v1/notifications/999999999/read", 404)
    call(b, "POST", "/api/v1/notifications/read", "/api/v1/notifications/read", 200,
         {"all": True})
    call(b, "GET", "/api/v1/events", "/api/v1/events?after=0&wait=0&limit=5", 200)
    call(b, "GET", "/api/v1/events/ws", "/api/v1/events/ws", 200)
    # errors are documented too, in the one error shape
    call(c, "GET", CH, "/api/v1/channels/%d" % channel(a, "private")["id"], 404)
    call(b, "PATCH", MSG, mp, 403, {"body": "not mine"})
    call(a, "GET", CH + "/messages", base + "/messages?limit=0", 400)
    call(a, "POST", "/api/v1/channels", "/api/v1/channels", 409, {"name": ch["name"]})
    call(b, "DELETE", CH + "/members/{user}", base + "/members/%d" % b.id, 204)
    d = post(a, cid, "to delete")
    dp = base + "/messages/%d" % d["id"]
    call(a, "DELETE", MSG, dp, 200)
    call(a, "DELETE", MSG, dp, 410)
    chk(anon("GET", base), "GET", CH, 401)


def test_system():
    h = chk(anon("GET", "/api/v1/system/health"), "GET", "/api/v1/system/health", 200)
    assert h["status"] == "ok", h
    chk(anon("GET", "/api/v1/system/version"), "GET", "/api/v1/system/version", 200)
    ready = chk(anon("GET", "/api/v1/system/ready"), "GET", "/api/v1/system/ready", 200)
    # Under mod_fcgid two calls may reach two processes of one host: the node
    # names the host and the process, so only the host must agree.
    host = h["checks"]["node"].split("/")[0]
    assert ready["status"] == "ready" and ready["node"].split("/")[0] == host, (ready, h)
    r = api("GET", "/api/v1/system/metrics", ADMIN)
    text = chk(r, "GET", "/api/v1/system/metrics", 200)
    assert b"# TYPE " in text, text[:200]


def test_files():
    a, b = User("ofa"), User("ofb")
    ch = channel(a, "private")
    cid = ch["id"]
    F = "/api/v1/files"
    data = b"openapi file check " + secrets.token_hex(8).encode()
    boundary = "px" + secrets.token_hex(6)
    form = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n" % boundary).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    f = chk(a.call("POST", F, headers={"Content-Type": "multipart/form-data; boundary=" + boundary},
                   raw=form), "POST", F, 201)
    chk(a.call("PUT", F + "?name=b.txt&channel_id=%d" % cid,
               headers={"Content-Type": "text/plain"}, raw=data + b"!"), "PUT", F, 201)
    # resumable: start, half, status, rest, then one to cancel
    up = chk(a.call("POST", F + "/uploads", {"name": "c.txt", "size": len(data)}),
             "POST", F + "/uploads", 201)
    U = F + "/uploads/{id:int}"
    up_path = F + "/uploads/%d" % up["id"]
    half = len(data) // 2

    def piece(method, first, last):
        return a.call(method, up_path, raw=data[first:last + 1], headers={
            "Content-Type": "application/offset+octet-stream",
            "Content-Range": "bytes %d-%d/%d" % (first, last, len(data))})
    assert chk(piece("PATCH", 0, half - 1), "PATCH", U, 200)["offset"] == half
    chk(piece("PATCH", 0, half - 1), "PATCH", U, 409)  # not at the offset
    chk(a.call("GET", up_path), "GET", U, 200)
    chk(piece("PUT", half, len(data) - 1), "PUT", U, 201)
    other = chk(a.call("POST", F + "/uploads", {"name": "d.txt", "size": 10}),
                "POST", F + "/uploads", 201)
    chk(a.call("DELETE", F + "/uploads/%d" % other["id"]), "DELETE", U, 200)
    # attach the draft, then read it through the channel
    m = chk(a.call("POST", "/api/v1/channels/%d/messages" % cid,
                   {"body": "with a file", "file_ids": [f["id"]]}),
            "POST", "/api/v1/channels/{id:int}/messages", 201)
    assert [x["id"] for x in m["files"]] == [f["id"]]
    FP = F + "/{fid:int}"
    chk(a.call("GET", F + "/%d" % f["id"]), "GET", FP, 200)
    r = a.call("GET", F + "/%d/content" % f["id"])
    chk(r, "GET", FP + "/content", 200)
    assert r.body == data
    chk(a.call("GET", F + "/%d/content" % f["id"], headers={"Range": "bytes=0-3"}),
        "GET", FP + "/content", 206)
    chk(a.call("GET", F + "/%d/content" % f["id"], headers={"If-None-Match": r.headers["etag"]}),
        "GET", FP + "/content", 304)
    lst = chk(a.call("GET", "/api/v1/channels/%d/files" % cid),
              "GET", "/api/v1/channels/{id:int}/files", 200)
    assert f["id"] in [x["id"] for x in lst["files"]]
    # a non-member sees neither the file nor the list
    chk(b.call("GET", F + "/%d" % f["id"]), "GET", FP, 404)
    chk(b.call("GET", "/api/v1/channels/%d/files" % cid), "GET", "/api/v1/channels/{id:int}/files", 404)
    chk(b.call("DELETE", F + "/%d" % f["id"]), "DELETE", FP, 404)
    chk(a.call("DELETE", F + "/%d" % f["id"]), "DELETE", FP, 200)
    chk(a.call("GET", F + "/%d" % f["id"]), "GET", FP, 404)
    # images: a thumbnail; not for other files
    img = chk(a.call("PUT", F + "?name=p.png&channel_id=%d" % cid,
                     headers={"Content-Type": "image/png"}, raw=png(40, 30, seed=b"oa")),
              "PUT", F, 201)
    assert img["width"] == 40 and img["height"] == 30 and img["thumbnail_url"], img
    th = a.call("GET", F + "/%d/thumbnail" % img["id"])
    chk(th, "GET", FP + "/thumbnail", 200)
    chk(a.call("GET", F + "/%d/thumbnail" % img["id"], headers={"If-None-Match": th.headers["etag"]}),
        "GET", FP + "/thumbnail", 304)
    # a signed URL of the metadata: no session (lighttpd's script or PlexiChat)
    SG = FP + "/signed"
    url = chk(a.call("GET", F + "/%d" % img["id"]), "GET", FP, 200)["signed"]["url"]
    sg = anon("GET", url)
    chk(sg, "GET", SG, 200)
    chk(anon("GET", url, headers={"Range": "bytes=0-3"}), "GET", SG, 206)
    chk(anon("GET", url, headers={"If-None-Match": sg.headers["etag"]}), "GET", SG, 304)
    chk(anon("GET", url[:-1] + ("0" if url[-1] != "0" else "1")), "GET", SG, 403)
    chk(anon("GET", url.replace("/%d/signed" % img["id"], "/%d/signed" % (img["id"] + 10 ** 6))),
        "GET", SG, 403)
    txt = chk(a.call("PUT", F + "?name=t.txt", headers={"Content-Type": "text/plain"}, raw=data),
              "PUT", F, 201)
    chk(a.call("GET", F + "/%d/thumbnail" % txt["id"]), "GET", FP + "/thumbnail", 404)
    # avatars
    AV = "/api/v1/users/{id:int}/avatar"
    chk(a.call("GET", "/api/v1/users/%d/avatar" % a.id), "GET", AV, 404)
    me = chk(a.call("PUT", "/api/v1/users/me/avatar", headers={"Content-Type": "image/png"},
                    raw=png(64, 48, seed=b"av")), "PUT", "/api/v1/users/me/avatar", 200)
    assert me["avatar_url"], me
    chk(b.call("GET", me["avatar_url"].replace("?", "?size=64&")), "GET", AV, 200)
    me = chk(a.call("DELETE", "/api/v1/users/me/avatar"), "DELETE", "/api/v1/users/me/avatar", 200)
    assert me["avatar_url"] is None, me


AUTH = "/api/v1/auth"


def test_register_login_password():
    unlock()  # the login rate class is spent quickly here
    name = uniq("oar")
    code = invite(ADMIN)
    reg = chk(anon("POST", AUTH + "/register", {"username": name, "password": PASSWORD,
                                                "invite": code}),
              "POST", AUTH + "/register", 201)
    assert reg["user"]["username"] == name and reg["user"]["active"] is True, reg
    tok, uid = reg["token"], reg["user"]["id"]
    chk(anon("POST", AUTH + "/register", {"username": uniq("oar"), "password": PASSWORD}),
        "POST", AUTH + "/register", 403)                                # invite required
    chk(anon("POST", AUTH + "/register", {"username": name, "password": PASSWORD,
                                          "invite": invite(ADMIN)}),
        "POST", AUTH + "/register", 409)                                # taken
    chk(anon("POST", AUTH + "/register", {"password": PASSWORD}),
        "POST", AUTH + "/register", 400)                                # no username
    chk(anon("POST", AUTH + "/login", {"username": name, "password": PASSWORD}),
        "POST", AUTH + "/login", 200)
    chk(anon("POST", AUTH + "/login", {"username": name, "password": "not-" + PASSWORD}),
        "POST", AUTH + "/login", 401)
    chk(anon("POST", AUTH + "/login", {"username": name}), "POST", AUTH + "/login", 400)
    chk(anon("POST", AUTH + "/login", {"username": name, "password": PASSWORD},
             {"Origin": "https://elsewhere.example"}), "POST", AUTH + "/login", 403)
    r = pxtest.request("POST", AUTH + "/login", urllib.parse.urlencode(
        {"username": name, "password": PASSWORD, "next": "/app"}),
        {"Content-Type": "application/x-www-form-urlencoded"})
    chk(r, "POST", AUTH + "/login", 303)
    assert r.headers["location"] == "/app", r.headers
    me = chk(api("GET", AUTH + "/me", tok), "GET", AUTH + "/me", 200)
    assert me["via"] == "bearer" and me["user"]["id"] == uid and me["csrf_token"], me
    chk(anon("GET", AUTH + "/me"), "GET", AUTH + "/me", 401)
    chk(api("GET", AUTH + "/csrf", tok), "GET", AUTH + "/csrf", 200)
    # forgotten password: the same answer for anyone; an admin-issued token resets
    chk(anon("POST", AUTH + "/password/forgot", {"email": name}),
        "POST", AUTH + "/password/forgot", 202)
    chk(anon("POST", AUTH + "/password/forgot", {"email": uniq("nobody")}),
        "POST", AUTH + "/password/forgot", 202)
    chk(anon("POST", AUTH + "/password/forgot", {}), "POST", AUTH + "/password/forgot", 400)
    reset = chk(api("POST", "/api/v1/admin/users/%d/password-reset" % uid, ADMIN),
                "POST", "/api/v1/admin/users/{id:int}/password-reset", 201)
    pw2 = PASSWORD + "-2"
    chk(anon("POST", AUTH + "/password/reset", {"token": reset["reset_token"] + "x",
                                                "new_password": pw2}),
        "POST", AUTH + "/password/reset", 401)
    chk(anon("POST", AUTH + "/password/reset", {"token": reset["reset_token"],
                                                "new_password": "short"}),
        "POST", AUTH + "/password/reset", 400)
    chk(anon("POST", AUTH + "/password/reset", {"token": reset["reset_token"],
                                                "new_password": pw2}),
        "POST", AUTH + "/password/reset", 200)
    chk(api("GET", AUTH + "/me", tok), "GET", AUTH + "/me", 401)     # sessions ended
    tok = chk(anon("POST", AUTH + "/login", {"username": name, "password": pw2}),
              "POST", AUTH + "/login", 200)["token"]
    pw3 = PASSWORD + "-3"
    chk(api("POST", AUTH + "/password", tok, {"current_password": "wrong-" + pw2,
                                              "new_password": pw3}),
        "POST", AUTH + "/password", 401)
    chk(api("POST", AUTH + "/password", tok, {"current_password": pw2}),
        "POST", AUTH + "/password", 400)
    chk(api("POST", AUTH + "/password", tok, {"current_password": pw2, "new_password": pw3}),
        "POST", AUTH + "/password", 200)
    chk(api("POST", AUTH + "/logout", tok), "POST", AUTH + "/logout", 200)
    chk(api("GET", AUTH + "/me", tok), "GET", AUTH + "/me", 401)
    chk(anon("POST", AUTH + "/logout"), "POST", AUTH + "/logout", 401)


def test_sessions_and_tokens():
    unlock()  # the login rate class is spent quickly here
    name, tok, _ = make_user(ADMIN, prefix="oas")
    other = chk(anon("POST", AUTH + "/login", {"username": name, "password": PASSWORD}),
                "POST", AUTH + "/login", 200)
    third = chk(anon("POST", AUTH + "/login", {"username": name, "password": PASSWORD}),
                "POST", AUTH + "/login", 200)
    ss = chk(api("GET", AUTH + "/sessions", tok), "GET", AUTH + "/sessions", 200)["sessions"]
    assert len(ss) == 3 and sum(s["current"] for s in ss) == 1, ss
    r = chk(api("DELETE", AUTH + "/sessions/%d" % other["session_id"], tok),
            "DELETE", AUTH + "/sessions/{id:int}", 200)
    assert r["revoked"] == other["session_id"], r
    chk(api("DELETE", AUTH + "/sessions/%d" % other["session_id"], tok),
        "DELETE", AUTH + "/sessions/{id:int}", 404)
    r = chk(api("POST", AUTH + "/sessions/revoke-others", tok),
            "POST", AUTH + "/sessions/revoke-others", 200)
    assert r["revoked_count"] == 1, r
    chk(api("GET", AUTH + "/me", third["token"]), "GET", AUTH + "/me", 401)
    # personal access tokens
    t = chk(api("POST", AUTH + "/tokens", tok, {"name": "ci", "scopes": "read,write",
                                                "expires_days": 30}),
            "POST", AUTH + "/tokens", 201)
    chk(api("POST", AUTH + "/tokens", tok, {"name": "ci2", "scopes": "read",}),
        "POST", AUTH + "/tokens", 201)
    chk(api("POST", AUTH + "/tokens", tok, {"name": "root", "scopes": "read,admin"}),
        "POST", AUTH + "/tokens", 403)                                  # beyond the role
    chk(api("POST", AUTH + "/tokens", tok, {"name": "x", "scopes": "everything"}),
        "POST", AUTH + "/tokens", 400)
    me = chk(api("GET", AUTH + "/me", t["token"]), "GET", AUTH + "/me", 200)
    assert me["via"] == "token" and me["session_id"] is None, me
    chk(api("GET", AUTH + "/csrf", t["token"]), "GET", AUTH + "/csrf", 401)
    toks = chk(api("GET", AUTH + "/tokens", tok), "GET", AUTH + "/tokens", 200)["tokens"]
    assert [x["name"] for x in toks] == ["ci", "ci2"], toks
    chk(api("DELETE", AUTH + "/tokens/%d" % t["id"], tok), "DELETE", AUTH + "/tokens/{id:int}",
        200)
    chk(api("DELETE", AUTH + "/tokens/%d" % t["id"], tok), "DELETE", AUTH + "/tokens/{id:int}",
        404)
    chk(api("GET", AUTH + "/tokens"), "GET", AUTH + "/tokens", 401)
    chk(api("GET", AUTH + "/sessions"), "GET", AUTH + "/sessions", 401)


def test_mfa_and_devices():
    unlock()  # the login rate class is spent quickly here
    name, tok, _ = make_user(ADMIN, prefix="oam")
    st = chk(api("GET", AUTH + "/mfa", tok), "GET", AUTH + "/mfa", 200)
    assert st == {"enabled": False, "recovery_codes_left": 0}, st
    e = chk(api("POST", AUTH + "/mfa/enroll", tok), "POST", AUTH + "/mfa/enroll", 201)
    wrong = "000000" if oath(e["secret"]) != "000000" else "111111"
    chk(api("POST", AUTH + "/mfa/confirm", tok, {"code": wrong}), "POST", AUTH + "/mfa/confirm",
        401)
    chk(api("POST", AUTH + "/mfa/confirm", tok, {}), "POST", AUTH + "/mfa/confirm", 400)
    codes = chk(api("POST", AUTH + "/mfa/confirm", tok, {"code": oath(e["secret"])}),
                "POST", AUTH + "/mfa/confirm", 200)["recovery_codes"]
    chk(api("POST", AUTH + "/mfa/confirm", tok, {"code": oath(e["secret"], 30)}),
        "POST", AUTH + "/mfa/confirm", 409)
    chk(api("POST", AUTH + "/mfa/enroll", tok), "POST", AUTH + "/mfa/enroll", 409)
    st = chk(api("GET", AUTH + "/mfa", tok), "GET", AUTH + "/mfa", 200)
    assert st == {"enabled": True, "recovery_codes_left": 10}, st
    chk(anon("POST", AUTH + "/login", {"username": name, "password": PASSWORD}),
        "POST", AUTH + "/login", 401)                                   # AUTH_MFA_REQUIRED
    r = anon("POST", AUTH + "/login", {"username": name, "password": PASSWORD,
                                       "code": oath(e["secret"], 30), "trust_device": True})
    chk(r, "POST", AUTH + "/login", 200)
    devs = chk(api("GET", AUTH + "/devices", tok), "GET", AUTH + "/devices", 200)["devices"]
    assert len(devs) == 1, devs
    chk(api("DELETE", AUTH + "/devices/%d" % devs[0]["id"], tok),
        "DELETE", AUTH + "/devices/{id:int}", 200)
    chk(api("DELETE", AUTH + "/devices/%d" % devs[0]["id"], tok),
        "DELETE", AUTH + "/devices/{id:int}", 404)
    chk(api("POST", AUTH + "/mfa/disable", tok, {"password": PASSWORD, "code": "12345x"}),
        "POST", AUTH + "/mfa/disable", 401)
    chk(api("POST", AUTH + "/mfa/disable", tok, {"password": PASSWORD}),
        "POST", AUTH + "/mfa/disable", 400)
    chk(api("POST", AUTH + "/mfa/disable", tok, {"password": PASSWORD, "code": codes[0]}),
        "POST", AUTH + "/mfa/disable", 200)
    chk(api("GET", AUTH + "/mfa"), "GET", AUTH + "/mfa", 401)


WA = AUTH + "/webauthn"
CRED = WA + "/credentials/{id:int}"


def test_passkeys():
    unlock()  # the login rate class is spent quickly here
    origin, _ = site()
    name, tok, uid = make_user(ADMIN, prefix="oaw")
    key = Authenticator()
    r = api("POST", WA + "/register/options", tok, {})
    pk = chk(r, "POST", WA + "/register/options", 200)["publicKey"]
    chk(api("POST", WA + "/register/verify", tok, {"credential": {"rawId": "AAAA"}}),
        "POST", WA + "/register/verify", 400)                           # malformed
    chk(api("POST", WA + "/register/verify", tok, {"name": "Laptop"}),
        "POST", WA + "/register/verify", 400)                           # no credential
    reg = chk(api("POST", WA + "/register/verify", tok,
                  {"name": "Laptop", "credential": key.create(pk, origin)}),
              "POST", WA + "/register/verify", 201)
    assert len(reg["recovery_codes"]) == 10 and reg["credential"]["last_used_at"] is None, reg
    cid = reg["credential"]["id"]
    # the same key again: a fresh challenge, a known credential id
    pk = chk(api("POST", WA + "/register/options", tok, {}), "POST", WA + "/register/options",
             200)["publicKey"]
    assert pk["excludeCredentials"] and pk["excludeCredentials"][0]["type"] == "public-key", pk
    chk(api("POST", WA + "/register/verify", tok, {"credential": key.create(pk, origin)}),
        "POST", WA + "/register/verify", 409)
    got = chk(api("GET", WA + "/credentials", tok), "GET", WA + "/credentials", 200)
    assert [c["id"] for c in got["credentials"]] == [cid], got
    chk(api("PATCH", WA + "/credentials/%d" % cid, tok, {"name": "Work laptop"}),
        "PATCH", CRED, 200)
    chk(api("PATCH", WA + "/credentials/%d" % cid, tok, {"name": ""}), "PATCH", CRED, 400)
    _, other, _ = make_user(ADMIN, prefix="oaw")
    chk(api("PATCH", WA + "/credentials/%d" % cid, other, {"name": "mine"}), "PATCH", CRED, 404)
    chk(api("DELETE", WA + "/credentials/%d" % cid, other), "DELETE", CRED, 404)
    # passwordless sign-in
    r = anon("POST", WA + "/login/options", {})
    pk = chk(r, "POST", WA + "/login/options", 200)["publicKey"]
    chk(anon("POST", WA + "/login/options", {}, {"Origin": "https://elsewhere.example"}),
        "POST", WA + "/login/options", 403)
    chk(anon("POST", WA + "/login/verify", {}), "POST", WA + "/login/verify", 400)
    bad = key.get(pk, origin, bad_sig=True)
    chk(anon("POST", WA + "/login/verify", {"credential": bad}), "POST", WA + "/login/verify",
        401)
    pk = anon("POST", WA + "/login/options", {}).json()["publicKey"]
    j = chk(anon("POST", WA + "/login/verify", {"credential": key.get(pk, origin)}),
            "POST", WA + "/login/verify", 200)
    assert j["user"]["id"] == uid, j
    used = chk(api("GET", WA + "/credentials", tok), "GET", WA + "/credentials", 200)
    assert used["credentials"][0]["last_used_at"], used
    chk(api("DELETE", WA + "/credentials/%d" % cid, tok), "DELETE", CRED, 200)
    chk(api("DELETE", WA + "/credentials/%d" % cid, tok), "DELETE", CRED, 404)
    chk(api("POST", WA + "/register/options", None, {}), "POST", WA + "/register/options", 401)
    # the admin's reset removes what is left
    pk = api("POST", WA + "/register/options", tok, {}).json()["publicKey"]
    assert api("POST", WA + "/register/verify", tok,
               {"credential": Authenticator().create(pk, origin)}).status == 201
    r = chk(api("POST", "/api/v1/admin/users/%d/mfa/reset" % uid, ADMIN),
            "POST", "/api/v1/admin/users/{id:int}/mfa/reset", 200)
    assert r["passkeys_removed"] == 1, r


def test_oidc_without_a_provider():
    """Success needs an identity provider (test_auth_oidc.py runs one); the
    documented refusals are checked here."""
    chk(anon("GET", AUTH + "/oidc/providers"), "GET", AUTH + "/oidc/providers", 200)
    chk(anon("GET", AUTH + "/oidc/nosuch/start?next=/app"),
        "GET", AUTH + "/oidc/{name:slug}/start", 404)
    chk(anon("GET", AUTH + "/oidc/nosuch/callback?state=pxo_x&code=y"),
        "GET", AUTH + "/oidc/{name:slug}/callback", 401)                # state_mismatch


def test_users():
    unlock()  # the login rate class is spent quickly here
    a, b = User("oau"), User("oav")
    r = chk(a.call("GET", "/api/v1/users?q=%s&limit=5" % b.name), "GET", "/api/v1/users", 200)
    assert [u["username"] for u in r["users"]] == [b.name] and "email" not in r["users"][0], r
    chk(a.call("GET", "/api/v1/users?limit=0"), "GET", "/api/v1/users", 400)
    chk(anon("GET", "/api/v1/users"), "GET", "/api/v1/users", 401)
    u = chk(a.call("GET", "/api/v1/users/%d" % b.id), "GET", "/api/v1/users/{id:int}", 200)
    assert "email" not in u, u
    u = chk(a.call("GET", "/api/v1/users/%d" % a.id), "GET", "/api/v1/users/{id:int}", 200)
    assert "email" in u and u["active"] is True, u
    chk(a.call("GET", "/api/v1/users/999999999"), "GET", "/api/v1/users/{id:int}", 404)
    email = "%s@example.org" % a.name.lower()
    me = chk(a.call("PATCH", "/api/v1/users/me", {"display_name": "Open API", "bio": "spec",
                                                   "email": email}),
             "PATCH", "/api/v1/users/me", 200)
    assert me["email"] == email and me["bio"] == "spec", me
    chk(b.call("PATCH", "/api/v1/users/me", {"email": email}), "PATCH", "/api/v1/users/me", 409)
    chk(b.call("PATCH", "/api/v1/users/me", {"bio": 5}), "PATCH", "/api/v1/users/me", 400)
    chk(b.call("POST", "/api/v1/users/me/deactivate", {"password": "wrong"}),
        "POST", "/api/v1/users/me/deactivate", 401)
    chk(b.call("POST", "/api/v1/users/me/deactivate", {}), "POST", "/api/v1/users/me/deactivate",
        400)
    from msglib import PASSWORD as MSG_PASSWORD
    chk(b.call("POST", "/api/v1/users/me/deactivate", {"password": MSG_PASSWORD}),
        "POST", "/api/v1/users/me/deactivate", 200)
    chk(b.call("GET", "/api/v1/users/%d" % a.id), "GET", "/api/v1/users/{id:int}", 401)
    chk(a.call("GET", "/api/v1/users/%d" % b.id), "GET", "/api/v1/users/{id:int}", 404)


ADMIN_U = "/api/v1/admin/users/{id:int}"


def test_admin_users_and_invites():
    unlock()  # the login rate class is spent quickly here
    name, tok, uid = make_user(ADMIN, prefix="oaa")
    r = chk(api("GET", "/api/v1/admin/users?q=%s" % name, ADMIN), "GET", "/api/v1/admin/users",
            200)
    assert [u["username"] for u in r["users"]] == [name], r
    chk(api("GET", "/api/v1/admin/users?offset=-1", ADMIN), "GET", "/api/v1/admin/users", 400)
    chk(api("GET", "/api/v1/admin/users", tok), "GET", "/api/v1/admin/users", 403)
    u = chk(api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"role": "moderator"}),
            "PATCH", ADMIN_U, 200)
    assert u["role"] == "moderator", u
    chk(api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"role": "emperor"}),
        "PATCH", ADMIN_U, 400)
    chk(api("PATCH", "/api/v1/admin/users/999999999", ADMIN, {"role": "member"}),
        "PATCH", ADMIN_U, 404)
    chk(api("PATCH", "/api/v1/admin/users/%d" % uid, tok, {"role": "admin"}),
        "PATCH", ADMIN_U, 403)
    chk(api("POST", "/api/v1/admin/users/999999999/password-reset", ADMIN),
        "POST", ADMIN_U + "/password-reset", 404)
    chk(api("POST", "/api/v1/admin/users/999999999/mfa/reset", ADMIN),
        "POST", ADMIN_U + "/mfa/reset", 404)
    ss = chk(api("GET", "/api/v1/admin/users/%d/sessions" % uid, ADMIN),
             "GET", ADMIN_U + "/sessions", 200)["sessions"]
    assert len(ss) == 1 and not ss[0]["current"], ss
    chk(api("GET", "/api/v1/admin/users/999999999/sessions", ADMIN),
        "GET", ADMIN_U + "/sessions", 404)
    sp = "/api/v1/admin/users/%d/sessions/%d" % (uid, ss[0]["id"])
    chk(api("DELETE", sp, ADMIN), "DELETE", ADMIN_U + "/sessions/{sid:int}", 200)
    chk(api("DELETE", sp, ADMIN), "DELETE", ADMIN_U + "/sessions/{sid:int}", 404)
    u = chk(api("PATCH", "/api/v1/admin/users/%d" % uid, ADMIN, {"active": False}),
            "PATCH", ADMIN_U, 200)
    assert u["active"] is False, u
    inv = chk(api("POST", "/api/v1/admin/invites", ADMIN, {"role": "guest",
                                                          "email": "inv@example.org"}),
              "POST", "/api/v1/admin/invites", 201)
    assert inv["role"] == "guest", inv
    chk(api("POST", "/api/v1/admin/invites", ADMIN, {"role": "owner"}),
        "POST", "/api/v1/admin/invites", 400)
    chk(api("POST", "/api/v1/admin/invites", ADMIN, {"email": "not an address"}),
        "POST", "/api/v1/admin/invites", 400)


WAF = "/api/v1/admin/waf/"


def test_admin_waf():
    _, member, _ = make_user(ADMIN, prefix="oaf")
    chk(api("GET", WAF + "ip-lists", member), "GET", WAF + "ip-lists", 403)
    cidr = "2001:db8:%x::/48" % secrets.randbelow(0xffff)
    added = chk(api("POST", WAF + "ip-lists", ADMIN, {"list": "allow", "cidr": cidr,
                                                      "comment": "openapi test"}),
                "POST", WAF + "ip-lists", 201)
    chk(api("POST", WAF + "ip-lists", ADMIN, {"list": "allow", "cidr": cidr}),
        "POST", WAF + "ip-lists", 409)
    chk(api("POST", WAF + "ip-lists", ADMIN, {"list": "allow", "cidr": "300.1.2.3"}),
        "POST", WAF + "ip-lists", 400)
    page = chk(api("GET", WAF + "ip-lists?list=allow&source=admin&limit=1000", ADMIN),
               "GET", WAF + "ip-lists", 200)
    row = [x for x in page["ranges"] if x["id"] == added["id"]]
    assert row and row[0]["created_by"], page
    chk(api("GET", WAF + "ip-lists?list=grey", ADMIN), "GET", WAF + "ip-lists", 400)
    chk(api("DELETE", WAF + "ip-lists/%d" % added["id"], ADMIN),
        "DELETE", WAF + "ip-lists/{id:int}", 200)
    chk(api("DELETE", WAF + "ip-lists/%d" % added["id"], ADMIN),
        "DELETE", WAF + "ip-lists/{id:int}", 404)
    # an automatic block, as the WAF stores one (of an address no test uses)
    ip = "203.0.113.%d" % (1 + secrets.randbelow(250))
    psql("INSERT INTO waf_blocks (ip, until, reason) VALUES ('%s', now() + interval '1 hour',"
         " 'openapi test') ON CONFLICT (ip) DO UPDATE SET until = excluded.until" % ip)
    blocks = chk(api("GET", WAF + "blocks", ADMIN), "GET", WAF + "blocks", 200)["blocks"]
    assert ip in [x["ip"] for x in blocks], blocks
    chk(api("DELETE", WAF + "blocks/" + ip, ADMIN), "DELETE", WAF + "blocks/{ip}", 200)
    chk(api("DELETE", WAF + "blocks/" + ip, ADMIN), "DELETE", WAF + "blocks/{ip}", 404)
    chk(api("DELETE", WAF + "blocks/not-an-address", ADMIN), "DELETE", WAF + "blocks/{ip}", 400)
    # a blocked request makes an event; it answers 403 as documented
    chk(anon("GET", "/api/v1/users?search=%27%20UNION%20SELECT%20password_hash%20FROM%20users--"),
        "GET", "/api/v1/users", 403)
    ev = chk(api("GET", WAF + "events?limit=5&action=waf.block", ADMIN),
             "GET", WAF + "events", 200)
    assert ev["events"], ev
    chk(api("GET", WAF + "events?limit=0", ADMIN), "GET", WAF + "events", 400)
    since = urllib.parse.quote(ev["events"][0]["at"])
    r = api("GET", WAF + "events.jsonl?limit=3&since=" + since, ADMIN)
    text = chk(r, "GET", WAF + "events.jsonl", 200)
    lines = [json.loads(x) for x in text.decode().splitlines()]
    assert lines and all(x["source"] == "plexichat.waf" for x in lines), lines
    assert r.headers["x-more"] in ("0", "1") and int(r.headers["x-next-after"]) >= 1, r.headers
    chk(api("GET", WAF + "events.jsonl?since=yesterday-ish", ADMIN),
        "GET", WAF + "events.jsonl", 400)
    cx = "/api/v1/admin/compliance/export"
    r = api("GET", cx + "?channels=1,2&limit=2&since=2000-01-01", ADMIN)
    text = chk(r, "GET", cx, 200)
    assert all("channel_id" in json.loads(x) for x in text.decode().splitlines())
    assert r.headers["x-more"] in ("0", "1") and int(r.headers["x-next-after"]) >= 0, r.headers
    chk(api("GET", cx + "?channels=1,x", ADMIN), "GET", cx, 400)
    chk(api("GET", cx + "?channels=1&until=soon-ish", ADMIN), "GET", cx, 400)
    top = chk(api("GET", WAF + "top-rules?hours=1&limit=5", ADMIN), "GET", WAF + "top-rules",
              200)
    assert top["hours"] == 1 and top["rules"], top
    chk(api("GET", WAF + "top-rules?hours=0", ADMIN), "GET", WAF + "top-rules", 400)
    nodes = chk(api("GET", "/api/v1/admin/cluster/nodes", ADMIN), "GET", "/api/v1/admin/cluster/nodes",
                200)
    assert any(n["self"] for n in nodes["nodes"]), nodes
    pl = "/api/v1/admin/plugins"
    chk(api("GET", pl, ADMIN), "GET", pl, 200)
    chk(api("PATCH", pl + "/nosuch/settings", ADMIN, {"a": "b"}), "PATCH", pl + "/{name}/settings",
        404)
    chk(api("PUT", pl + "/nosuch/enabled", ADMIN, {"enabled": False}), "PUT", pl + "/{name}/enabled",
        404)
    chk(api("PUT", pl + "/nosuch/enabled", ADMIN, {"enabled": "no"}), "PUT", pl + "/{name}/enabled",
        400)
    pr = "/api/v1/plugins/{name}/{path}"
    chk(api("GET", "/api/v1/plugins/nosuch/x", ADMIN), "GET", pr, 404)
    chk(api("POST", "/api/v1/plugins/nosuch/x", ADMIN, {"a": 1}), "POST", pr, 404)


def test_notify_settings_and_push():
    u = User("on")

    def call(method, pattern, path, status, body=None):
        return chk(u.call(method, path, body), method, pattern, status)
    st = "/api/v1/notifications/settings"
    call("GET", st, st, 200)
    call("PATCH", st, st, 200, {"mail_minutes": 15, "push": True, "desktop": False})
    call("PATCH", st, st, 400, {"mail_minutes": 16})
    call("GET", "/api/v1/push/key", "/api/v1/push/key", 200)
    subs = "/api/v1/push/subscriptions"
    keys = {"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "auth": "BTBZMqHH6r4Tts7J_aSIgg"}
    sid = call("POST", subs, subs, 201, {"endpoint": "https://fcm.googleapis.com/fcm/send/oa-"
                                         + secrets.token_hex(8), "expirationTime": None,
                                         "keys": keys})["id"]
    call("POST", subs, subs, 400, {"endpoint": "https://example.org/push", "keys": keys})
    call("GET", subs, subs, 200)
    call("DELETE", subs + "/{id:int}", "%s/%d" % (subs, sid), 200)
    call("DELETE", subs + "/{id:int}", "%s/%d" % (subs, sid), 404)


def test_integrations():
    a, b = User("oia"), User("oib")
    cid = channel(a, members=[b])["id"]
    hk = CH + "/hooks"
    base = "/api/v1/channels/%d/hooks" % cid

    def call(user, method, pattern, path, status, body=None):
        return chk(user.call(method, path, body), method, pattern, status)
    made = call(a, "POST", hk + "/incoming", base + "/incoming", 201, {"name": "spec"})
    call(b, "POST", hk + "/incoming", base + "/incoming", 403, {"name": "spec"})
    call(a, "POST", hk + "/incoming", base + "/incoming", 400, {})
    call(a, "GET", hk + "/incoming", base + "/incoming", 200)
    path = urllib.parse.urlsplit(made["url"]).path
    ok = pxtest.request("POST", path, json_body={"text": "from the spec"})
    assert chk(ok, "POST", "/api/v1/hooks/{token}", 200) == b"ok"
    chk(pxtest.request("POST", path, json_body={"attachments": []}), "POST",
        "/api/v1/hooks/{token}", 400)
    chk(pxtest.request("POST", "/api/v1/hooks/pxh_none", json_body={"text": "x"}), "POST",
        "/api/v1/hooks/{token}", 404)
    call(a, "DELETE", hk + "/incoming/{hid:int}", base + "/incoming/%d" % made["id"], 204)
    call(a, "DELETE", hk + "/incoming/{hid:int}", base + "/incoming/%d" % made["id"], 404)
    out = call(a, "POST", hk + "/outgoing", base + "/outgoing", 201,
               {"name": "spec", "url": "http://127.0.0.2:23199/spec",
                "trigger_words": ["never-said-word"], "events": ["member.left"]})
    call(a, "POST", hk + "/outgoing", base + "/outgoing", 400,
         {"name": "spec", "url": "http://no-such-host.invalid/", "trigger_words": ["x"]})
    call(a, "GET", hk + "/outgoing", base + "/outgoing", 200)
    call(a, "GET", hk + "/outgoing/{hid:int}/deliveries",
         base + "/outgoing/%d/deliveries" % out["id"], 200)
    call(a, "GET", hk + "/outgoing/{hid:int}/deliveries",
         base + "/outgoing/%d/deliveries?limit=0" % out["id"], 400)
    call(b, "GET", hk + "/outgoing/{hid:int}/deliveries",
         base + "/outgoing/%d/deliveries" % out["id"], 403)
    call(a, "DELETE", hk + "/outgoing/{hid:int}", base + "/outgoing/%d" % out["id"], 204)
    call(a, "DELETE", hk + "/outgoing/{hid:int}", base + "/outgoing/%d" % out["id"], 404)
    chk(api("GET", "/api/v1/admin/hooks/deliveries?limit=3", ADMIN), "GET",
        "/api/v1/admin/hooks/deliveries", 200)
    chk(a.call("GET", "/api/v1/admin/hooks/deliveries"), "GET",
        "/api/v1/admin/hooks/deliveries", 403)


def test_link_previews():
    a, b = User("olp"), User("olq")
    cid = channel(a, members=[b])["id"]
    lp, lpp = CH + "/link-previews", "/api/v1/channels/%d/link-previews" % cid

    def call(user, method, pattern, path, status, body=None):
        return chk(user.call(method, path, body), method, pattern, status)
    call(b, "GET", lp, lpp, 200)
    call(a, "PUT", lp, lpp, 200, {"enabled": False})
    call(a, "PUT", lp, lpp, 400, {"enabled": 1})
    call(b, "PUT", lp, lpp, 403, {"enabled": True})
    call(a, "PUT", lp, lpp, 200, {"enabled": True})
    mid = b.ok("POST", "/api/v1/channels/%d/messages" % cid, {"body": "see http://x.invalid/"})["id"]
    pv = "/api/v1/channels/%d/messages/%d/preview" % (cid, mid)
    call(a, "DELETE", MSG + "/preview", pv, 403)
    call(b, "DELETE", MSG + "/preview", pv, 200)
    call(b, "DELETE", MSG + "/preview", "/api/v1/channels/%d/messages/999999999/preview" % cid,
         404)


def test_user_export():
    a = User("oex")
    chk(a.call("GET", "/api/v1/users/me/export"), "GET", "/api/v1/users/me/export", 200)
    chk(anon("GET", "/api/v1/users/me/export"), "GET", "/api/v1/users/me/export", 401)


def test_bots_and_commands():
    a, b = User("oca"), User("ocb")
    cid = channel(a, members=[b])["id"]

    def call(user, method, pattern, path, status, body=None):
        return chk(user.call(method, path, body), method, pattern, status)
    bot = call(a, "POST", "/api/v1/bots", "/api/v1/bots", 201,
               {"username": "spec%sbot" % secrets.token_hex(2)})
    call(a, "POST", "/api/v1/bots", "/api/v1/bots", 400, {"username": "nobotsuffix"})
    call(a, "POST", "/api/v1/bots", "/api/v1/bots", 409, {"username": bot["username"]})
    call(a, "GET", "/api/v1/bots", "/api/v1/bots", 200)
    tp = "/api/v1/bots/%d/tokens" % bot["id"]
    call(a, "POST", "/api/v1/bots/{bid:int}/tokens", tp, 201, {"name": "t", "scopes": "read"})
    call(a, "POST", "/api/v1/bots/{bid:int}/tokens", tp, 400, {"name": "t", "scopes": "admin"})
    call(b, "POST", "/api/v1/bots/{bid:int}/tokens", tp, 404, {"name": "t", "scopes": "read"})
    call(a, "DELETE", "/api/v1/bots/{bid:int}", "/api/v1/bots/%d" % bot["id"], 204)
    call(a, "DELETE", "/api/v1/bots/{bid:int}", "/api/v1/bots/%d" % bot["id"], 404)
    name = "spec" + secrets.token_hex(3)
    cmd = chk(api("POST", "/api/v1/admin/commands", ADMIN,
                  {"command": name, "url": "http://127.0.0.2:23198/none"}),
              "POST", "/api/v1/admin/commands", 201)
    chk(api("POST", "/api/v1/admin/commands", ADMIN, {"command": "shrug", "url": "http://x.y/"}),
        "POST", "/api/v1/admin/commands", 409)
    chk(api("POST", "/api/v1/admin/commands", ADMIN, {"command": "Bad Name", "url": "http://x.y/"}),
        "POST", "/api/v1/admin/commands", 400)
    chk(api("GET", "/api/v1/admin/commands", ADMIN), "GET", "/api/v1/admin/commands", 200)
    run = CH + "/commands"
    rp = "/api/v1/channels/%d/commands" % cid
    call(b, "POST", run, rp, 200, {"text": "/shrug ok"})
    call(b, "POST", run, rp, 400, {"text": "no slash"})
    call(b, "POST", run, rp, 404, {"text": "/nope"})
    call(b, "POST", run, rp, 502, {"text": "/" + name})
    chk(pxtest.request("POST", "/api/v1/commands/responses/pxr_none",
                       json_body={"response_type": "in_channel", "text": "x"}),
        "POST", "/api/v1/commands/responses/{token}", 404)
    chk(pxtest.request("POST", "/api/v1/commands/responses/pxr_none",
                       json_body={"response_type": "ephemeral", "text": "x"}),
        "POST", "/api/v1/commands/responses/{token}", 400)
    # a real response URL: the one the service was given is not seen here,
    # so one is made as the server makes them
    tok = "pxr_" + secrets.token_urlsafe(32)
    import hashlib
    psql("INSERT INTO command_responses (token_hash, command_id, channel_id, user_id) VALUES "
         "('%s', %d, %d, %d)" % (hashlib.sha256(tok.encode()).hexdigest(), cmd["id"], cid, b.id))
    ok = pxtest.request("POST", "/api/v1/commands/responses/" + tok,
                        json_body={"response_type": "in_channel", "text": "later"})
    assert chk(ok, "POST", "/api/v1/commands/responses/{token}", 200) == b"ok"
    chk(api("DELETE", "/api/v1/admin/commands/%d" % cmd["id"], ADMIN),
        "DELETE", "/api/v1/admin/commands/{cid:int}", 204)
    chk(api("DELETE", "/api/v1/admin/commands/%d" % cmd["id"], ADMIN),
        "DELETE", "/api/v1/admin/commands/{cid:int}", 404)


def test_ai():
    AI = "/api/v1/ai"
    ADM = "/api/v1/admin/ai/"
    a, b = User("oai"), User("oai")
    c = channel(a, members=[b])
    cid = c["id"]
    m = post(a, cid, "Ship the release on Monday. The release notes are ready.")
    SUM, TR = AI + "/channels/{id:int}/summary", AI + "/channels/{id:int}/messages/{mid:int}/translate"
    SET = AI + "/channels/{id:int}/settings"
    j = chk(a.call("POST", AI + "/channels/%d/summary" % cid, {}), "POST", SUM, 200)
    assert j["ai"]["generated"] is True
    chk(a.call("POST", AI + "/channels/%d/summary" % cid, {"thread_id": m["id"] + 10 ** 6}),
        "POST", SUM, 404)
    chk(a.call("POST", AI + "/channels/%d/messages/%d/translate" % (cid, m["id"]), {"lang": "de"}),
        "POST", TR, 422)
    chk(a.call("POST", AI + "/channels/%d/messages/%d/translate" % (cid, m["id"]), {}),
        "POST", TR, 400)
    chk(a.call("POST", AI + "/ask", {"question": "when do we ship the release"}),
        "POST", AI + "/ask", 200)
    chk(a.call("POST", AI + "/ask", {}), "POST", AI + "/ask", 400)
    chk(a.call("GET", AI + "/channels/%d/settings" % cid), "GET", SET, 200)
    chk(b.call("PUT", AI + "/channels/%d/settings" % cid, {"moderation": "hold"}), "PUT", SET, 403)
    chk(a.call("PUT", AI + "/channels/%d/settings" % cid, {"moderation": "x"}), "PUT", SET, 400)
    chk(a.call("PUT", AI + "/channels/%d/settings" % cid, {"enabled": True, "moderation": "hold"}),
        "PUT", SET, 200)
    held = chk(b.call("POST", "/api/v1/channels/%d/messages" % cid, {"body": "you idiot"}),
               "POST", CH + "/messages", 202)
    chk(a.call("PUT", AI + "/channels/%d/settings" % cid, {"enabled": True, "moderation": "block"}),
        "PUT", SET, 200)
    chk(b.call("POST", "/api/v1/channels/%d/messages" % cid, {"body": "you idiot"}),
        "POST", CH + "/messages", 422)
    chk(a.call("GET", AI + "/settings"), "GET", AI + "/settings", 200)
    chk(a.call("PUT", AI + "/settings", {"remote_ok": True}), "PUT", AI + "/settings", 200)
    chk(a.call("PUT", AI + "/settings", {"remote_ok": "yes"}), "PUT", AI + "/settings", 400)
    chk(a.call("GET", AI + "/recommendations?limit=2"), "GET", AI + "/recommendations", 200)
    chk(a.call("GET", AI + "/recommendations?limit=0"), "GET", AI + "/recommendations", 400)
    text = chk(api("GET", ADM + "audit.jsonl?limit=5", ADMIN), "GET", ADM + "audit.jsonl", 200)
    assert text is not None
    chk(api("GET", ADM + "audit.jsonl?limit=0", ADMIN), "GET", ADM + "audit.jsonl", 400)
    chk(a.call("GET", ADM + "audit.jsonl"), "GET", ADM + "audit.jsonl", 403)
    q = chk(api("GET", ADM + "review", ADMIN), "GET", ADM + "review", 200)
    assert held["review_id"] in [x["id"] for x in q["items"]]
    chk(api("GET", ADM + "review?limit=0", ADMIN), "GET", ADM + "review", 400)
    R = ADM + "review/{rid:int}"
    chk(api("POST", ADM + "review/%d" % held["review_id"], ADMIN, {"decision": "maybe"}),
        "POST", R, 400)
    chk(api("POST", ADM + "review/%d" % held["review_id"], ADMIN, {"decision": "approve"}),
        "POST", R, 200)
    chk(api("POST", ADM + "review/%d" % held["review_id"], ADMIN, {"decision": "approve"}),
        "POST", R, 404)
    chk(api("GET", ADM + "insights?days=7", ADMIN), "GET", ADM + "insights", 200)
    chk(api("GET", ADM + "insights?days=0", ADMIN), "GET", ADM + "insights", 400)
    chk(api("GET", ADM + "status", ADMIN), "GET", ADM + "status", 200)
    chk(a.call("GET", ADM + "status"), "GET", ADM + "status", 403)


def test_people():
    unlock()
    a, b = User("oap"), User("oaq")
    r = chk(a.call("PUT", "/api/v1/users/me/status", {"status_text": "away", "time_zone": "Europe/Berlin"}),
            "PUT", "/api/v1/users/me/status", 200)
    assert r == {"status_text": "away", "time_zone": "Europe/Berlin"}, r
    chk(a.call("PUT", "/api/v1/users/me/status", {"time_zone": "Mars/Olympus"}),
        "PUT", "/api/v1/users/me/status", 400)
    ch = channel(a)
    path = "/api/v1/channels/%d/notify" % ch["id"]
    r = chk(a.call("PUT", path, {"level": "mentions"}), "PUT", "/api/v1/channels/{id:int}/notify", 200)
    assert r == {"channel_id": ch["id"], "notify": "mentions"}, r
    chk(a.call("PUT", path, {"level": "loud"}), "PUT", "/api/v1/channels/{id:int}/notify", 400)
    chk(b.call("PUT", path, {"level": "none"}), "PUT", "/api/v1/channels/{id:int}/notify", 404)
    r = chk(api("GET", "/api/v1/admin/settings", ADMIN), "GET", "/api/v1/admin/settings", 200)
    before = r["default_channel"]
    chk(b.call("GET", "/api/v1/admin/settings"), "GET", "/api/v1/admin/settings", 403)
    r = chk(api("PUT", "/api/v1/admin/settings", ADMIN, {"default_channel": ch["name"]}),
            "PUT", "/api/v1/admin/settings", 200)
    assert r == {"default_channel": ch["name"]}, r
    chk(api("PUT", "/api/v1/admin/settings", ADMIN, {"default_channel": "no-such-" + a.name[-6:].lower()}),
        "PUT", "/api/v1/admin/settings", 404)
    chk(api("PUT", "/api/v1/admin/settings", ADMIN, {}), "PUT", "/api/v1/admin/settings", 400)
    chk(api("PUT", "/api/v1/admin/settings", ADMIN, {"default_channel": before}),
        "PUT", "/api/v1/admin/settings", 200)


def test_zy_timestamps_are_date_time():
    """Every value the description declares date-time was one: a missing
    timestamp is null (where the schema allows it), never \"\"."""
    for b in sorted(set(BAD_TIMES)):
        print("not date-time: %s %d %s = %r" % b)
    assert not BAD_TIMES, "%d timestamps are not date-time" % len(set(BAD_TIMES))


def test_zz_every_operation_covered():
    """Runs last (pxtest.run keeps definition order): every operation of the
    description was checked against a real response above."""
    missing = sorted(oa.operations() - oa.covered())
    for m, p in missing:
        print("not checked: %s %s" % (m, p))
    assert not missing, "%d of %d operations not checked" % (len(missing), len(oa.operations()))
    print("%d operations documented, all checked" % len(oa.operations()))


if __name__ == "__main__":
    pxtest.run(globals())
