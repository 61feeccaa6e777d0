"""stacklib: a second PlexiChat stack for tests that need a configuration
of their own (an S3 file store, a restored database and file store): this
build's plexichat.fcgi on its own socket, run as www-data as
scripts/lib.sh does, behind its own lighttpd (apache/lighttpd.conf.in)
on a free port, or behind its own Apache with mod_fcgid
(apache/httpd-test.conf.in, which spawns plexichat.fcgi itself), plus
s3rver and the SigV4-checking tests/integration/s3_proxy.py, or Azurite,
when asked; for the cluster tests HAProxy in front of stacks
(dist/haproxy/plexichat.cfg), an SSE subscriber that resumes with
Last-Event-ID, and the Python side of pgaf_lib.sh's pg_auto_failover
formation. Everything started is stopped by stop(), by pid.
Standard library only; needs PX_BUILD, PX_ROOT, PX_CONFIG and
PX_LIGHTTPD_URL from scripts/test.sh, and root (it starts servers as
www-data)."""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.environ.get("PX_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("PX_BUILD", "")
CONF = os.environ.get("PX_CONFIG", "")
# the ports of this run's servers come after the harness's lighttpd port,
# or after PX_STACK_PORT_BASE (tests that run beside others: scripts/test.sh)
BASE_PORT = int(os.environ.get("PX_STACK_PORT_BASE") or urllib.parse.urlsplit(
    os.environ.get("PX_LIGHTTPD_URL", "http://127.0.0.1:18080")).port)


def free_port(start, count=40):
    """The first port from start on that nobody listens on."""
    for p in range(start, start + count):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", p)) != 0:
                return p
    raise RuntimeError("no free port from %d" % start)


def wait_url(url, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return True
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def stop_all(procs):
    """Stops what procs started, newest first, by pid."""
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def www_data(path):
    """Gives path (recursively) to www-data, which the servers run as."""
    subprocess.run(["chown", "-R", "www-data:www-data", path], check=True)


class Stack:
    """plexichat.fcgi + lighttpd (server "lighttpd") or Apache + mod_fcgid
    (server "apache") with the harness's configuration plus `extra` (key
    -> value), serving files from files_dir."""

    def __init__(self, name, extra, files_dir, server="lighttpd"):
        self.server = server
        self.dir = tempfile.mkdtemp(prefix="px-%s-" % name)
        os.chmod(self.dir, 0o755)
        self.files_dir = files_dir
        self.port = free_port(BASE_PORT + 3)
        self.url = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "plexichat.conf")
        self.sock = os.path.join(self.dir, "plexichat.sock")
        self.procs = []
        # more environment for plexichat.fcgi alone (lighttpd stacks), e.g.
        # a libfaketime clock for the fault tests; set by env(1) after
        # setpriv, so that only the www-data process has it
        self.env = {}
        with open(CONF) as f:
            text = f.read()
        text += "\n# %s stack (tests/integration/stacklib.py)\n" % name
        text += "waf_auto_block = off\n"
        for k, v in extra.items():
            text += "%s = %s\n" % (k, v)
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o640)
        subprocess.run(["chgrp", "www-data", self.conf], check=True)

    def admin(self, *args, timeout=120):
        return subprocess.run([os.path.join(BUILD, "plexichat-admin"), "-c", self.conf] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def start(self):
        if self.server == "apache":
            return self.start_apache()
        env = dict(os.environ, PLEXICHAT_LISTEN=self.sock,
                   PLEXICHAT_LOG_FILE=os.path.join(self.dir, "plexichat.log"))
        open(os.path.join(self.dir, "plexichat.log"), "a").close()
        www_data(self.dir)
        self.procs.append(subprocess.Popen(
            ["setpriv", "--reuid=www-data", "--regid=www-data", "--init-groups"] +
            (["env"] + ["%s=%s" % kv for kv in self.env.items()] if self.env else []) +
            [os.path.join(BUILD, "plexichat.fcgi"), "-c", self.conf],
            env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "fcgi.err"), "w")))
        for _ in range(100):
            if os.path.exists(self.sock):
                break
            time.sleep(0.1)
        with open(os.path.join(ROOT, "apache", "lighttpd.conf.in")) as f:
            lc = f.read()
        for k, v in (("@PORT@", str(self.port)), ("@STATIC_DIR@", os.path.join(ROOT, "static")),
                     ("@LOG_DIR@", self.dir), ("@RUN_DIR@", self.dir), ("@SOCKET@", self.sock),
                     ("@FILES_DIR@", self.files_dir),
                     # no plexichat-ws in these stacks: pages use SSE
                     ("@WS_SOCKET@", os.path.join(self.dir, "ws.sock"))):
            lc = lc.replace(k, v)
        lconf = os.path.join(self.dir, "lighttpd.conf")
        with open(lconf, "w") as f:
            f.write(lc)
        # the check of signed download URLs, with no key: these stacks
        # issue none (files_url_key unset), and the script refuses all
        with open(os.path.join(ROOT, "apache", "plexichat-signed.lua.in")) as f:
            lua = f.read().replace("@URL_KEY@", "").replace("@FILES_DIR@", self.files_dir)
        with open(os.path.join(self.dir, "plexichat-signed.lua"), "w") as f:
            f.write(lua)
        self.procs.append(subprocess.Popen(["lighttpd", "-D", "-f", lconf],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_url(self.url + "/api/v1/system/health"):
            raise RuntimeError("stack %s did not start; see %s" % (self.url, self.dir))
        return self

    def start_apache(self):
        """Apache (started as root, serving as www-data) spawning this
        build's plexichat.fcgi with PLEXICHAT_CONFIG = this stack's file."""
        run = os.path.join(self.dir, "run")
        os.makedirs(run, exist_ok=True)
        www_data(self.dir)
        with open(os.path.join(ROOT, "apache", "httpd-test.conf.in")) as f:
            ac = f.read()
        for k, v in (("@PORT@", str(self.port)), ("@STATIC_DIR@", os.path.join(ROOT, "static")),
                     ("@LOG_DIR@", self.dir), ("@RUN_DIR@", run), ("@CONFIG@", self.conf),
                     ("@FCGI_DIR@", BUILD), ("@FILES_DIR@", self.files_dir),
                     ("@WS_SOCKET@", os.path.join(run, "ws.sock"))):
            ac = ac.replace(k, v)
        aconf = os.path.join(self.dir, "apache-httpd.conf")
        with open(aconf, "w") as f:
            f.write(ac)
        self.procs.append(subprocess.Popen(["apache2", "-f", aconf, "-DFOREGROUND"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_url(self.url + "/api/v1/system/health"):
            raise RuntimeError("Apache stack %s did not start; see %s" % (self.url, self.dir))
        return self

    def fcgi_pid(self):
        """The plexichat.fcgi process (lighttpd stacks only: under Apache
        mod_fcgid runs several)."""
        return self.procs[0].pid

    def halt(self, sig=signal.SIGTERM):
        """Stops (SIGTERM) or kills (SIGKILL) plexichat.fcgi and lighttpd
        but keeps the folder, configuration and port: start() brings the
        node back."""
        if sig == signal.SIGTERM:
            # lighttpd's graceful stop (SIGINT) answers the requests it
            # holds before plexichat.fcgi goes
            for p in reversed(self.procs):
                p.send_signal(signal.SIGINT if p.args[0] == "lighttpd" else signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
        else:
            for p in self.procs:
                p.send_signal(sig)
            for p in self.procs:
                p.wait(10)
        self.procs = []
        if os.path.exists(self.sock):
            os.unlink(self.sock)

    def set(self, key, value):
        """Appends key = value to the configuration (the last one counts),
        read by the next start()."""
        with open(self.conf, "a") as f:
            f.write("%s = %s\n" % (key, value))

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "plexichat.log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        stop_all(self.procs)
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)


def node_tools(node, exe):
    """s3rver and Azurite into node (node_tools.sh: one list of versions)
    unless exe is there already."""
    if not os.path.exists(exe):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_tools.sh")
        subprocess.run(["bash", script, node], stdout=subprocess.DEVNULL, check=True)


class S3:
    """s3rver (npm, installed into PX_BUILD/node by node_tools.sh) with
    bucket `bucket`, behind s3_proxy.py, which
    recomputes every signed request's SigV4 signature with botocore. url:
    the proxy (for the server); direct: s3rver itself (for presigned URLs
    a browser follows, which the proxy would count as unsigned)."""

    def __init__(self, bucket, region="us-east-1"):
        """region: what the proxy checks signatures for ("auto": GCS's
        XML API with HMAC keys)."""
        self.bucket = bucket
        self.dir = tempfile.mkdtemp(prefix="px-s3-")
        node = os.environ.get("NODE_DIR", os.path.join(BUILD, "node"))
        exe = os.path.join(node, "node_modules", ".bin", "s3rver")
        node_tools(node, exe)
        self.port = free_port(BASE_PORT + 10)
        self.proxy_port = free_port(self.port + 1)
        self.direct = "http://127.0.0.1:%d" % self.port
        self.url = "http://127.0.0.1:%d" % self.proxy_port
        self.procs = [subprocess.Popen(
            [exe, "-d", self.dir, "-a", "127.0.0.1", "-p", str(self.port), "--configure-bucket", bucket],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        self.procs.append(subprocess.Popen(
            ["/usr/bin/python3", os.path.join(ROOT, "tests", "integration", "s3_proxy.py"),
             str(self.proxy_port), str(self.port), "S3RVER", "S3RVER", region],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "proxy.err"), "w")))
        # stopped at exit too: a test that fails (or raises while starting
        # the next server) must not leave these holding their ports
        atexit.register(self.stop)
        if not (wait_url(self.direct + "/") and wait_url(self.url + "/__stats")):
            self.stop()
            raise RuntimeError("s3rver or the proxy did not start")

    def stats(self):
        with urllib.request.urlopen(self.url + "/__stats", timeout=5) as r:
            return json.loads(r.read())

    def get(self, key, headers=None):
        """(status, body) of key read from s3rver directly (it takes
        unsigned requests)."""
        req = urllib.request.Request("%s/%s/%s" % (self.direct, self.bucket, key), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def put(self, key, data):
        req = urllib.request.Request("%s/%s/%s" % (self.direct, self.bucket, key), data=data,
                                     method="PUT")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status

    def stop(self):
        stop_all(self.procs)
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)


class HAProxy:
    """HAProxy with dist/haproxy/plexichat.cfg (from `defaults` on) in
    front of stacks, connecting from source (the nodes' trusted_proxies),
    on a free port."""

    def __init__(self, stacks, source, port_from=None, timeout_server=None):
        """timeout_server: seconds in place of the file's timeout server."""
        with open(os.path.join(ROOT, "dist", "haproxy", "plexichat.cfg")) as f:
            dist = f.read()
        body = dist[dist.index("\ndefaults"):]
        if timeout_server:
            body = re.sub(r"(?m)^    timeout server \S+$", "    timeout server %ds" % timeout_server, body)
        self.port = free_port(port_from or BASE_PORT + 25)
        self.url = "http://127.0.0.1:%d" % self.port
        body = re.sub(r"(?m)^    bind :80$", "    bind 127.0.0.1:%d" % self.port, body)
        body = re.sub(r"(?m)^    server .*\n", "", body)
        self.names = {s.port: "n%d" % i for i, s in enumerate(stacks)}
        servers = "".join("    server n%d 127.0.0.1:%d\n" % (i, s.port) for i, s in enumerate(stacks))
        body = body.rstrip("\n") + "\n    source %s\n%s" % (source, servers)
        self.dir = tempfile.mkdtemp(prefix="px-haproxy-")
        cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            # one thread: HAProxy shares this machine's cores with the nodes
            f.write("global\n    maxconn 4000\n    nbthread 1\n    pidfile %s/haproxy.pid\n"
                    "    stats socket %s/admin.sock mode 600 level admin\n%s" % (self.dir, self.dir, body))
        subprocess.run(["haproxy", "-c", "-q", "-f", cfg], check=True)
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "haproxy.err"), "w"))
        if not wait_url(self.url + "/api/v1/system/ready"):
            self.stop()
            raise RuntimeError("HAProxy did not start")

    def status(self, stack):
        """HAProxy's view of stack's server: UP, DOWN, "UP 1/2" (going
        down) and so on, from `show stat` on its stats socket."""
        with socket.socket(socket.AF_UNIX) as c:
            c.connect(os.path.join(self.dir, "admin.sock"))
            c.sendall(b"show stat\n")
            out = b""
            while True:
                b = c.recv(65536)
                if not b:
                    break
                out += b
        lines = out.decode().splitlines()
        cols = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(cols, line.split(",")))
            if row.get("svname") == self.names[stack.port]:
                return row["status"]
        return None

    def stop(self):
        stop_all([self.proc])
        shutil.rmtree(self.dir, ignore_errors=True)


class Subscriber(threading.Thread):
    """An SSE client on 127.0.0.1:port that reconnects with Last-Event-ID
    whenever its stream ends, recording the ids of the messages created in
    channel cid. cut_at: when its first stream ended; resumed_at: when a
    stream after that was held again (the hub's ": waiting" comment)."""

    def __init__(self, port, token, cid):
        super().__init__(daemon=True)
        self.port, self.token, self.cid = port, token, cid
        self.last_id = None
        self.got = []
        self.cuts = 0
        self.resumed_at = None
        self.cut_at = None
        self.stop = False
        self.connected = threading.Event()

    def stream(self):
        h = {"Authorization": "Bearer " + self.token, "Accept": "text/event-stream"}
        if self.last_id:
            h["Last-Event-ID"] = self.last_id
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/api/v1/events", headers=h)
        r = conn.getresponse()
        if r.status != 200:
            conn.close()
            time.sleep(0.2)
            return
        ev = {}
        while not self.stop:
            line = r.readline()
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line.startswith(": waiting"):
                self.connected.set()
                if self.cut_at and not self.resumed_at:
                    self.resumed_at = time.time()
                continue
            if line.startswith(":"):
                continue
            if line == "":
                if ev.get("event") == "message.created":
                    data = json.loads(ev["data"])
                    if data.get("channel_id") == self.cid:
                        self.got.append(data["data"]["id"])
                if "id" in ev:
                    self.last_id = ev["id"]
                ev = {}
                continue
            k, _, v = line.partition(": ")
            ev[k] = v
        conn.close()

    def run(self):
        while not self.stop:
            try:
                self.stream()
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
            if not self.stop:
                self.cuts += 1
                if not self.cut_at:
                    self.cut_at = time.time()


class PgAutoFailover:
    """The pg_auto_failover formation tests/integration/pgaf_lib.sh set up
    in folder t (monitor, node1, node2), driven with pg_autoctl as the
    postgres user; env: pgaf_lib.sh's pg_env (PATH and the XDG folders)."""

    def __init__(self, t, env, ports):
        self.t, self.env, self.ports = t, env.split(), ports

    def autoctl(self, *args, **kw):
        return subprocess.run(["runuser", "-u", "postgres", "--", "env"] + self.env + ["pg_autoctl"] +
                              list(args), **kw)

    def states(self):
        out = self.autoctl("show", "state", "--pgdata", os.path.join(self.t, "monitor"),
                           capture_output=True, text=True).stdout
        return {c[0]: (c[5], c[6]) for c in (
            [x.strip() for x in line.split("|")] for line in out.splitlines()) if len(c) == 7}

    def wait_states(self, want, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self.states()
            if all(st.get(n) == (s, s) for n, s in want.items()):
                return
            time.sleep(0.5)
        raise AssertionError("nodes not %r after %d s: %r" % (want, timeout, self.states()))

    def stop_node(self, name):
        """pg_autoctl stop --immediate: the node's PostgreSQL and keeper go
        at once, as on a crashed machine. Returns once its port no longer
        answers (the command returns when it has signalled them; on a busy
        machine the postmaster takes a moment to go)."""
        self.autoctl("stop", "--immediate", "--pgdata", os.path.join(self.t, name),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline and subprocess.run(
                ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.ports[name])]).returncode == 0:
            time.sleep(0.05)

    def run_keeper(self, name):
        """pg_autoctl run for a stopped node (it rejoins); the Popen."""
        return subprocess.Popen(["setsid", "runuser", "-u", "postgres", "--", "env"] + self.env +
                                ["pg_autoctl", "run", "--pgdata", os.path.join(self.t, name)],
                                stdout=open(os.path.join(self.t, name + "-rejoin.log"), "w"),
                                stderr=subprocess.STDOUT)

    def psql(self, name, sql):
        """Rows (lists of strings) of sql on node name's database plexichat."""
        out = subprocess.run(
            ["runuser", "-u", "postgres", "--", "psql", "-X", "-At", "-F", "\t", "-h", "127.0.0.1",
             "-p", str(self.ports[name]), "-d", "plexichat", "-c", sql],
            capture_output=True, text=True, check=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def sql(self, port, sql, db="plexichat"):
        """Rows of sql on the PostgreSQL at port (a node's or the
        monitor's) as the postgres user, in a read-write session even where
        the server defaults to read-only (so that it can undo that)."""
        out = subprocess.run(
            ["runuser", "-u", "postgres", "--", "env", "PGOPTIONS=-c default_transaction_read_only=off",
             "psql", "-X", "-At", "-F", "\t", "-h", "127.0.0.1", "-p", str(port), "-d", db, "-c", sql],
            capture_output=True, text=True, check=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def postmaster(self, name):
        with open(os.path.join(self.t, name, "postmaster.pid")) as f:
            return int(f.readline())

    def keeper_pids(self, name):
        """The pg_autoctl processes (supervisor, postgres controller, node
        keeper) of node name: the session of its postmaster, which
        pg_autoctl run started, without the PostgreSQL processes."""
        sid = os.getsid(self.postmaster(name))
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % d) as f:
                    comm = f.read().strip()
                if comm == "pg_autoctl" and os.getsid(int(d)) == sid:
                    pids.append(int(d))
            except OSError:
                pass
        return pids

    def freeze_keeper(self, name):
        """SIGSTOP of node name's pg_autoctl processes: its PostgreSQL
        serves on but nothing obeys the monitor there (a keeper that is
        hung or slow to notice); returns its session for thaw()."""
        pids = self.keeper_pids(name)
        assert pids, "no pg_autoctl process of " + name
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        return os.getsid(pids[0])

    def thaw(self, sid):
        """SIGCONT to the session of freeze_keeper() (runuser, which
        stops itself when its child stops, included)."""
        os.killpg(sid, signal.SIGCONT)

    def walreceiver(self, name):
        """The pid of standby name's walreceiver process, or None."""
        pm = str(self.postmaster(name))
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = f.read().rsplit(")", 1)[1].split()[1]
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read()
            except (OSError, IndexError):
                continue
            if ppid == pm and cmd.startswith(b"postgres: walreceiver"):
                return int(d)
        return None

    def primary(self):
        """The name of the node that takes writes (state primary, or
        wait_primary while its standby is away), or None."""
        for n, (cur, goal) in self.states().items():
            if cur == goal and cur in ("primary", "wait_primary"):
                return n
        return None


class Azurite:
    """Azurite's Blob service (npm, installed into PX_BUILD/node by
    node_tools.sh) on a free port, with its
    well-known development account. It checks every Shared Key signature
    and every SAS (signature, permissions, expiry). url: the account's
    endpoint, path-style."""
    ACCOUNT = "devstoreaccount1"
    KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
           "K1SZFPTOtr/KBHBeksoGMGw==")

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="px-azurite-")
        node = os.environ.get("NODE_DIR", os.path.join(BUILD, "node"))
        exe = os.path.join(node, "node_modules", ".bin", "azurite-blob")
        node_tools(node, exe)
        self.port = free_port(BASE_PORT + 30)
        self.url = "http://127.0.0.1:%d/%s" % (self.port, self.ACCOUNT)
        self.log = os.path.join(self.dir, "azurite.log")
        self.procs = [subprocess.Popen(
            [exe, "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location", self.dir,
             "--silent", "--skipApiVersionCheck"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)]
        atexit.register(self.stop)
        if not wait_url("http://127.0.0.1:%d/" % self.port):
            self.stop()
            raise RuntimeError("azurite did not start")

    def _auth(self, method, path, query, length="", extra=(), ctype=""):
        import base64
        import hashlib
        import hmac
        date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
        xms = sorted([("x-ms-date", date), ("x-ms-version", "2021-08-06")] + list(extra))
        sts = "%s\n\n\n%s\n\n%s\n\n\n\n\n\n\n" % (method, length, ctype)
        sts += "".join("%s:%s\n" % kv for kv in xms)
        sts += "/%s/%s%s" % (self.ACCOUNT, self.ACCOUNT, path)
        for k, v in sorted(query):
            sts += "\n%s:%s" % (k, v)
        sig = base64.b64encode(hmac.new(base64.b64decode(self.KEY), sts.encode(),
                                        hashlib.sha256).digest()).decode()
        h = dict(xms)
        h["Authorization"] = "SharedKey %s:%s" % (self.ACCOUNT, sig)
        return h

    def get(self, container, blob):
        """(status, body) of a blob, read with Shared Key (Azurite takes no
        anonymous reads of a private container)."""
        path = "/%s/%s" % (container, urllib.parse.quote(blob))
        req = urllib.request.Request("http://127.0.0.1:%d/%s%s" % (self.port, self.ACCOUNT, path),
                                     headers=self._auth("GET", path, []))
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def put(self, container, blob, data):
        path = "/%s/%s" % (container, urllib.parse.quote(blob))
        h = self._auth("PUT", path, [], str(len(data)), [("x-ms-blob-type", "BlockBlob")],
                       "application/octet-stream")
        h["Content-Type"] = "application/octet-stream"
        req = urllib.request.Request("http://127.0.0.1:%d/%s%s" % (self.port, self.ACCOUNT, path),
                                     data=data, method="PUT", headers=h)
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status

    def stop(self):
        stop_all(self.procs)
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)
