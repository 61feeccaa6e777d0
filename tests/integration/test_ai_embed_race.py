"""Edits and deletes racing the background embedding worker: a post being
changed locks its message then its queue row, the worker's batch locks
queue rows then (for the embeddings' foreign key) messages; before the
worker took both up front, the two could deadlock and the edit or delete
answered 500 (seen in CI). Many posts edited and deleted at once must all
succeed. Needs a running stack with ai_embed_worker on (the default)."""
import threading

import pxtest
from msglib import User, channel, post

# one account per thread: 25 posts, edits and deletes each (75 writes)
# stay well within the write class's burst of 240
users = [User("emb") for _ in range(6)]


def test_edit_and_delete_while_embedding():
    cid = channel(users[0], members=users[1:])["id"]
    bad = []

    def worker(k):
        u = users[k]
        for i in range(25):
            m = post(u, cid, "message %d of worker %d about the release build" % (i, k))
            url = "/api/v1/channels/%d/messages/%d" % (cid, m["id"])
            for method, body in (("PATCH", {"body": "edited %d %d" % (k, i)}), ("DELETE", None)):
                r = u.call(method, url, body)
                if r.status not in (200, 204):
                    bad.append((method, r.status, r.body[:200]))
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad, bad[:5]


if __name__ == "__main__":
    pxtest.run(globals())
