"""ailib: helpers of the AI integration tests (stdlib only): users and
channels from msglib, the admin token, and waiting for the background
embedding worker."""
import time

import authlib
import msglib
import pxtest

User = msglib.User
channel = msglib.channel
post = msglib.post
psql = authlib.psql


def admin():
    """An admin's bearer headers."""
    authlib.unlock()
    return {"Authorization": "Bearer " + authlib.admin_token()}


def adm(method, path, body=None, hdr=None):
    return pxtest.request(method, path, json_body=body, headers=hdr)


def summary(user, cid, **body):
    return user.call("POST", "/api/v1/ai/channels/%d/summary" % cid, body)


def ask(user, question, **body):
    body["question"] = question
    return user.call("POST", "/api/v1/ai/ask", body)


def settings(user, cid, enabled=True, remote=False, moderation="off", status=200):
    return user.ok("PUT", "/api/v1/ai/channels/%d/settings" % cid,
                   {"enabled": enabled, "remote": remote, "moderation": moderation}, status=status)


def embedded(mid):
    return psql("SELECT count(*) FROM ai_embeddings WHERE message_id = %d" % mid) == "1"


def wait_embedded(mid, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if embedded(mid):
            return True
        time.sleep(0.1)
    return False


def audit_rows(hdr, after=0):
    r = pxtest.request("GET", "/api/v1/admin/ai/audit.jsonl?limit=10000&after=%d" % after,
                       headers=hdr)
    assert r.status == 200, r
    import json
    return [json.loads(line) for line in r.body.decode().splitlines() if line.strip()]


def last_audit_id(hdr):
    rows = audit_rows(hdr)
    return rows[-1]["id"] if rows else 0
