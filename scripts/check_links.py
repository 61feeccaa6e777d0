#!/usr/bin/env python3
"""scripts/check_links.py: no dead relative link or anchor in docs/*.md and
README.md, and every page of docs/ in the nav of mkdocs.yml.

For each link outside code (inline, reference definitions, HTML href/src):
  - an external URL (a scheme such as https: or mailto:) is not fetched;
  - a relative path must exist; from a page under docs/ it must stay under
    docs/ (the site has nothing else);
  - a #fragment of a Markdown target must be one of its headings' ids,
    made as mkdocs makes them (Python-Markdown's toc: ASCII, lower case,
    punctuation dropped, blanks to '-', repeats get _1, _2, ...).
Files the site build makes (GENERATED) count as present; with --site DIR
they must be in the built site.

Usage: python3 scripts/check_links.py [--site SITE_DIR] [ROOT]
Standard library only. Exit 1 on any dead link.
"""
import os
import re
import sys
import unicodedata

# made by scripts/build_docs.sh, not kept under docs/
GENERATED = {"docs/api/index.html", "docs/api/openapi.json"}

FENCE = re.compile(r"^\s*(```+|~~~+)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
HTML_ID = re.compile(r"""<a\b[^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text):
    """Yields (line number, line) outside fenced code blocks."""
    fence = None
    for n, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark):]:
                fence = None
            continue
        if fence is None:
            yield n, line


def slugify(text):
    """Python-Markdown's toc slugify (the ids mkdocs gives headings)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def heading_text(raw):
    """The text of a heading as rendered: code spans, links and emphasis
    reduced to their words."""
    t = CODE_SPAN.sub(lambda m: m.group(2).strip(), raw)
    t = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", t)
    t = re.sub(r"(\*{1,3})(\S.*?\S|\S)\1", r"\2", t)
    t = re.sub(r"<[^>]+>", "", t)
    return t.replace("&amp;", "&")


def anchors(path, cache={}):
    if path not in cache:
        ids = set()
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for _, line in prose_lines(text):
            m = HEADING.match(line)
            if m:
                base = slugify(heading_text(m.group(1)))
                uid = base
                while uid in ids or not uid:
                    c = re.match(r"^(.*)_([0-9]+)$", uid)
                    uid = "%s_%d" % (c.group(1), int(c.group(2)) + 1) if c else "%s_1" % uid
                ids.add(uid)
            ids.update(HTML_ID.findall(line))
        cache[path] = ids
    return cache[path]


def links(text):
    """Yields (line number, target) of every link outside code."""
    for n, line in prose_lines(text):
        m = REFDEF.match(line)
        if m:
            yield n, m.group(1)
            continue
        bare = CODE_SPAN.sub("", line)
        for m in INLINE.finditer(bare):
            yield n, m.group(1)
        for m in HTML.finditer(bare):
            yield n, m.group(1)


def check_file(root, rel, site):
    errors = []
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    in_docs = rel.startswith("docs/")
    for n, target in links(text):
        where = "%s:%d: %s" % (rel, n, target)
        if not target or SCHEME.match(target):
            continue
        if target.startswith("/"):
            errors.append("%s: absolute path; write it relative to the page" % where)
            continue
        file_part, _, frag = target.partition("#")
        if file_part:
            dest = os.path.normpath(os.path.join(os.path.dirname(rel), file_part)).replace(os.sep, "/")
        else:
            dest = rel
        if in_docs and not (dest + "/").startswith("docs/"):
            errors.append("%s: leaves docs/, which is all the site has (link to the "
                          "repository's file by name in code instead)" % where)
            continue
        if dest in GENERATED:
            built = os.path.join(site, dest[len("docs/"):]) if site else None
            if built and not os.path.exists(built):
                errors.append("%s: not in the built site %s" % (where, site))
            continue
        full = os.path.join(root, dest)
        if not os.path.exists(full):
            errors.append("%s: no such file %s" % (where, dest))
            continue
        if frag and dest.endswith(".md") and frag not in anchors(full):
            errors.append("%s: no heading with id '%s' in %s" % (where, frag, dest))
    return errors


def nav_errors(root, pages):
    """Every page under docs/ must be in the nav of mkdocs.yml."""
    try:
        with open(os.path.join(root, "mkdocs.yml"), encoding="utf-8") as fh:
            nav = set(re.findall(r":\s*([\w./-]+\.md)\s*$", fh.read(), re.M))
    except OSError as e:
        return ["mkdocs.yml: %s" % e]
    errors = ["mkdocs.yml: %s is not in the nav" % p for p in pages if p[len("docs/"):] not in nav]
    errors += ["mkdocs.yml: the nav names %s, which does not exist" % p
               for p in sorted(nav) if not os.path.isfile(os.path.join(root, "docs", p))]
    return errors


def main(argv):
    site = None
    args = list(argv)
    if args[:1] == ["--site"]:
        if len(args) < 2:
            sys.exit(__doc__)
        site, args = args[1], args[2:]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    pages = sorted("docs/" + f for f in os.listdir(os.path.join(root, "docs")) if f.endswith(".md"))
    errors = nav_errors(root, pages)
    count = 0
    for rel in pages + ["README.md"]:
        errors += check_file(root, rel, site)
        count += 1
    for e in errors:
        print(e)
    print("check_links: %d files, %d problem%s" % (count, len(errors), "" if len(errors) == 1 else "s"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
