"""dist/container and dist/k8s, checked as far as this machine allows (no
registry: images cannot be pulled or built here, docs/SCALING.md says so):
the Containerfile copies only files that exist and installs the package the
Debian test builds; the entry point is valid bash (shellcheck when present)
and names the sockets the package's lighttpd snippet uses; the Kubernetes
manifests parse, every PLEXICHAT_ variable they set is a real configuration
key (or its _FILE form for a secret), and their probes answer on the running
server. Needs PX_ROOT and a running stack."""
import os
import re
import shutil
import subprocess

import pxtest
import yaml

ROOT = os.environ.get("PX_ROOT", ".")


def cfg_keys():
    text = open(os.path.join(ROOT, "core", "cfg_keys.def")).read()
    keys = {}
    for m in re.finditer(r"^K\((\w+), \w+, \"[^\"]*\", ([A-Z|0]+)", text, re.M):
        keys[m.group(1)] = "SECRET" in m.group(2)
    return keys


def test_containerfile():
    text = open(os.path.join(ROOT, "dist", "container", "Containerfile")).read()
    for src in re.findall(r"^COPY (?!--from)(\S+) ", text, re.M):
        assert src == "." or os.path.exists(os.path.join(ROOT, src)), src
    assert "dpkg-buildpackage" in text and "apt-get install" in text
    assert "lighty-enable-mod plexichat" in text
    assert "/api/v1/system/ready" in text


def test_entrypoint():
    path = os.path.join(ROOT, "dist", "container", "entrypoint.sh")
    subprocess.run(["bash", "-n", path], check=True)
    if shutil.which("shellcheck"):
        p = subprocess.run(["shellcheck", path], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout
    text = open(path).read()
    snippet = subprocess.run(["sh", os.path.join(ROOT, "debian", "lighttpd-snippet.sh"),
                              os.path.join(ROOT, "apache", "lighttpd.conf.in")],
                             capture_output=True, text=True, check=True).stdout
    for sock in ("/run/plexichat/plexichat.sock", "/run/plexichat-ws/ws.sock"):
        assert sock in snippet, sock
    assert '"$RUN/plexichat/plexichat.sock"' in text and '"$RUN/plexichat-ws/ws.sock"' in text


def test_kubernetes_manifests():
    docs = list(yaml.safe_load_all(open(os.path.join(ROOT, "dist", "k8s", "plexichat.yaml"))))
    kinds = {d["kind"]: d for d in docs}
    assert {"ConfigMap", "Secret", "Deployment", "Service", "Job", "CronJob"} <= set(kinds)
    keys = cfg_keys()
    for var in kinds["ConfigMap"]["data"]:
        assert var.startswith("PLEXICHAT_"), var
        k = var[len("PLEXICHAT_"):].lower()
        ok = k in keys or (k.endswith("_file") and keys.get(k[:-5]) is True)
        assert ok, "%s is not a configuration key" % var
    pod = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        path = pod[probe]["httpGet"]["path"]
        r = pxtest.request("GET", path)
        assert r.status == 200, (probe, path, r)
    secret_files = [v for k, v in kinds["ConfigMap"]["data"].items() if k.endswith("_FILE")]
    mount = pod["volumeMounts"][0]["mountPath"]
    for f in secret_files:
        name = os.path.basename(f)
        assert f.startswith(mount + "/") and name in kinds["Secret"]["stringData"], f


if __name__ == "__main__":
    pxtest.run(globals())
