"""bench/cluster_resume.py: SUBS SSE subscribers through HAProxy, then
SIGKILL of the given pids (one node's plexichat.fcgi and web server);
prints how many streams were cut and the seconds from the SIGKILL to the
moment the last of them was held again (the hub's ": waiting" comment on
the stream that reconnected with Last-Event-ID).
usage: cluster_resume.py HAPROXY_PORT SUBS TOKENS_FILE PID..."""
import http.client
import os
import signal
import sys
import threading
import time

port, subs = int(sys.argv[1]), int(sys.argv[2])
tokens = open(sys.argv[3]).read().split()
pids = [int(p) for p in sys.argv[4:]]
state = {"kill": None}


class Sub(threading.Thread):
    def __init__(self, token):
        super().__init__(daemon=True)
        self.token, self.last, self.up = token, None, threading.Event()
        self.cut, self.resumed = False, None

    def once(self):
        h = {"Authorization": "Bearer " + self.token, "Accept": "text/event-stream"}
        if self.last:
            h["Last-Event-ID"] = self.last
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/api/v1/events", headers=h)
        r = c.getresponse()
        while r.status == 200:
            line = r.readline()
            if not line:
                break
            if line.startswith(b": waiting"):
                self.up.set()
                if self.cut and self.resumed is None:
                    self.resumed = time.time()
            elif line.startswith(b"id: "):
                self.last = line[4:].strip().decode()
        c.close()

    def run(self):
        while True:
            try:
                self.once()
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
            if state["kill"]:
                self.cut = True


threads = [Sub(tokens[i % len(tokens)]) for i in range(subs)]
for t in threads:
    t.start()
for t in threads:
    if not t.up.wait(30):
        sys.exit("a subscriber did not connect")
state["kill"] = time.time()
for p in pids:
    os.kill(p, signal.SIGKILL)
# a cut is noticed when the stream ends: give it 3 s, then wait (up to
# 30 s) until every cut subscriber holds a stream again
end = time.time() + 30
time.sleep(3)
while time.time() < end and any(t.cut and t.resumed is None for t in threads):
    time.sleep(0.05)
cut = [t for t in threads if t.cut]
late = [t for t in cut if t.resumed is None]
last = max((t.resumed for t in cut if t.resumed), default=state["kill"]) - state["kill"]
print("SIGKILL of a node under %d subscribers: %d cut, %d not resumed, last resumed %.2f s after"
      % (subs, len(cut), len(late), last))
sys.exit(1 if late else 0)
