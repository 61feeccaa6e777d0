#!/usr/bin/env python3
"""scripts/check_includes.py: the include graph of the project's own C
files keeps the layering of docs/ARCHITECTURE.md and has no cycles.

Reads every .c, .h, .inc and .def file under the source folders, follows
quoted includes only (written from the top of the tree, "core/buf.h"; a
name not found there is tried beside the including file; anything still
not found, such as the generated config.h, is not ours and is skipped),
and fails (exit 1) on:

  - a cycle between modules, where a module is a .c and its .h taken
    together (waf/waf_rules.c including waf/waf_detect.h whose module
    includes waf/waf_rules.h is a cycle), printed as the chain of
    includes that closes it;
    (KNOWN_CYCLES lists the few that predate the check);
  - an include against the layer order core <- (waf, auth, web) <- model
    <- handlers <- fcgi: a folder may include its own files and those of
    the folders listed for it in ALLOWED, nothing else.

Usage: python3 scripts/check_includes.py [ROOT]   (default: this checkout)
Standard library only.
"""
import os
import re
import sys

# Which folders each folder may include besides itself. The programs and
# tests at the top (admin, backup, tests, bench) sit above the layers.
LIBS = {"core", "waf", "auth", "web"}
ALLOWED = {
    "core": set(),
    "waf": {"core"},
    "auth": {"core"},
    "web": {"core"},
    "model": LIBS,
    "storage": {"core"},
    "plugins": {"core"},
    "ai": {"core"},
    "handlers": LIBS | {"model", "storage", "plugins", "ai"},
    "fcgi": LIBS | {"model", "handlers", "storage", "plugins", "ai"},
    # plexichat-ws runs the fcgi/ pipeline for its upgrades and frames
    "ws": LIBS | {"model", "handlers", "storage", "fcgi", "plugins", "ai"},
    # handlers/ for hooks_slack (the import converts Slack mrkdwn with it)
    "admin": LIBS | {"model", "storage", "plugins", "handlers"},
    "backup": {"core", "storage"},
    "tests": None,   # None: anything
    "bench": None,
}
# Single includes allowed against the order, each with its reason. Keep
# this empty if at all possible; an entry is (from file, included file).
EXCEPTIONS = {}
# Cycles that predate this check, each named by its modules and to be
# removed; a cycle not listed here, or one that grows, fails. Keep short.
KNOWN_CYCLES = {
    # the key half shares the status enum of the ceremony half
    ("auth/webauthn", "auth/webauthn_key"),
    # MFA step-up offers passkeys; passkey enrolment checks MFA state
    ("handlers/auth_mfa", "handlers/auth_webauthn"),
}

SOURCE_EXT = (".c", ".h", ".inc", ".def")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(path):
    """The module a file belongs to: a .c and its .h are one module."""
    base, ext = os.path.splitext(path)
    return base if ext in (".c", ".h") else path


def read_graph(root):
    """Returns {file: [(included file, line number)]} over the source folders."""
    files = {}
    for top in sorted(ALLOWED):
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs[:] = [x for x in dirs if not x.startswith(".") and x != "node_modules"]
            for n in names:
                if n.endswith(SOURCE_EXT):
                    rel = os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/")
                    files[rel] = None
    graph = {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        edges = []
        for m in INCLUDE.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            for cand in (name, os.path.normpath(os.path.join(os.path.dirname(f), name))):
                cand = cand.replace(os.sep, "/")
                if cand in files:
                    edges.append((cand, line))
                    break
        graph[f] = edges
    return graph


def layer_errors(graph):
    errors = []
    for f, edges in sorted(graph.items()):
        src = f.split("/", 1)[0]
        allowed = ALLOWED.get(src)
        if allowed is None:
            continue
        for g, line in edges:
            dst = g.split("/", 1)[0]
            if dst == src or dst in allowed or (f, g) in EXCEPTIONS:
                continue
            errors.append("%s:%d: includes %s: %s must not include %s (allowed: %s)"
                          % (f, line, g, src, dst, ", ".join(sorted(allowed)) or "nothing outside " + src))
    return errors


def module_graph(graph):
    """{module: {module: (from file, included file, line)}} without self-edges."""
    mg = {}
    for f, edges in graph.items():
        a = module(f)
        mg.setdefault(a, {})
        for g, line in edges:
            b = module(g)
            if a != b and b not in mg[a]:
                mg[a][b] = (f, g, line)
    for a in list(mg):
        for b in mg[a]:
            mg.setdefault(b, {})
    return mg


def strongly_connected(mg):
    """Tarjan's algorithm, iterative; returns the components of more than one module."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(mg):
        if start in index:
            continue
        work = [(start, iter(sorted(mg[start])))]
        index[start] = low[start] = counter[0]; counter[0] += 1
        stack.append(start); on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]; counter[0] += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(mg[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def cycle_in(mg, comp):
    """One cycle through the component's first module, as a list of modules."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(mg[v]):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp + [comp[0]]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    root = os.path.abspath(root)
    graph = read_graph(root)
    errors = layer_errors(graph)
    mg = module_graph(graph)
    for comp in strongly_connected(mg):
        if tuple(comp) in KNOWN_CYCLES:
            continue
        chain = cycle_in(mg, comp)
        lines = ["include cycle between %s:" % ", ".join(comp)]
        for a, b in zip(chain, chain[1:]):
            f, g, line = mg[a][b]
            lines.append("  %s:%d includes %s" % (f, line, g))
        errors.append("\n".join(lines))
    nedges = sum(len(e) for e in graph.values())
    if errors:
        for e in errors:
            print(e)
        print("check_includes: %d problem(s) in %d files, %d includes" % (len(errors), len(graph), nedges))
        return 1
    print("check_includes: %d files, %d includes, %d modules: no cycles, layers in order"
          % (len(graph), nedges, len(mg)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
