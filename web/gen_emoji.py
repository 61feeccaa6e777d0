#!/usr/bin/env python3
"""gen_emoji.py: the emoji set of PlexiChat, generated at build time from
Debian's Unicode data, never typed by hand.

Reads emoji-test.txt (package unicode-data: every fully-qualified emoji with
its group and English name, skin-tone variants listed after their base) and
the CLDR annotations (package unicode-cldr-core: names and keywords per
language, annotations/ and annotationsDerived/). Writes

  --c FILE            the shortcode table compiled into web/emoji.c: sorted
                      {"thumbs_up", "\\xf0\\x9f\\x91\\x8d"} rows
  --json LANG FILE    the picker's data for one language (static/emoji/)

A shortcode is the English name in lower case with every run of other
characters than a-z and 0-9 made one "_" ("thumbs up: light skin tone" ->
thumbs_up_light_skin_tone); a name that would repeat an earlier one is
left out. The unicode data folder is $PX_UNICODE_DIR (default
/usr/share/unicode)."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

UNI = os.environ.get("PX_UNICODE_DIR", "/usr/share/unicode")
TONES = {"1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF"}


def read_test():
    """[(group, chars, name, codepoints)] for the fully-qualified emoji."""
    out, group = [], None
    with open(os.path.join(UNI, "emoji", "emoji-test.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
                continue
            if not line.strip() or line.startswith("#"):
                continue
            cps, rest = line.split(";", 1)
            status, comment = rest.split("#", 1)
            if status.strip() != "fully-qualified":
                continue
            cps = cps.split()
            chars = "".join(chr(int(c, 16)) for c in cps)
            # "# 👍 E0.6 thumbs up": the name follows the version
            name = re.sub(r"^\S+\s+E\d+\.\d+\s+", "", comment.strip())
            out.append((group, chars, name, cps))
    return out


def read_annotations(lang):
    """{chars: (tts name or None, [keywords])} from CLDR, both files."""
    ann = {}
    for sub in ("annotations", "annotationsDerived"):
        path = os.path.join(UNI, "cldr", "common", sub, lang + ".xml")
        if not os.path.exists(path):
            continue
        for a in ET.parse(path).getroot().iter("annotation"):
            cp, text = a.get("cp"), (a.text or "").strip()
            if not cp or not text or text == "↑↑↑":
                continue
            name, kws = ann.get(cp, (None, []))
            if a.get("type") == "tts":
                name = text
            else:
                kws = [k.strip() for k in text.split("|") if k.strip()]
            ann[cp] = (name, kws)
    return ann


def shortcode(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def base_of(cps):
    """The emoji without its skin-tone modifiers, or None when it has none."""
    if not TONES.intersection(cps):
        return None
    return [c for c in cps if c not in TONES]


def lookup(ann, chars):
    return ann.get(chars) or ann.get(chars.replace("\ufe0f", "")) or (None, [])


def picker(lang, emoji):
    """Groups of [chars, name, keywords, shortcode, tone variants?]."""
    ann = read_annotations(lang) if lang != "en" else {}
    en = read_annotations("en")
    groups, items, seen = [], {}, set()
    for group, chars, name, cps in emoji:
        base = base_of(cps)
        if base is not None:
            # a one-tone variant joins its base's list (two-tone ones, as in
            # "people holding hands", are left to their base's default)
            if sum(c in TONES for c in cps) == 1:
                key = "".join(chr(int(c, 16)) for c in base)
                if key not in items:
                    key = key.replace("\ufe0f", "")
                it = items.get(key) or items.get(key + "\ufe0f")
                if it is not None:
                    it.setdefault("t", []).append(chars)
            continue
        code = shortcode(name)
        if code in seen:
            continue
        seen.add(code)
        local_name, kws = lookup(ann, chars) if ann else (None, [])
        en_name, en_kws = lookup(en, chars)
        it = {"e": chars, "n": local_name or en_name or name,
              "k": " ".join(dict.fromkeys(k.lower() for k in kws + en_kws)), "s": code}
        items[chars] = it
        if not groups or groups[-1]["g"] != group:
            groups.append({"g": group, "i": []})
        groups[-1]["i"].append(it)
    for g in groups:
        g["i"] = [[it["e"], it["n"], it["k"], it["s"]] + ([it["t"]] if "t" in it else [])
                  for it in g["i"]]
    return {"v": 1, "groups": groups}


def c_string(s):
    return '"' + "".join("\\x%02x" % b for b in s.encode("utf-8")) + '"'


def c_table(emoji):
    rows, seen = {}, set()
    for _group, chars, name, _cps in emoji:
        code = shortcode(name)
        if code and code not in seen:
            seen.add(code)
            rows[code] = chars
    lines = ["/* generated by web/gen_emoji.py from %s: do not edit */" % UNI]
    for code in sorted(rows):
        lines.append('{ "%s", %s },' % (code, c_string(rows[code])))
    return "\n".join(lines) + "\n"


def main(argv):
    emoji = read_test()
    if len(argv) == 2 and argv[0] == "--c":
        data, path = c_table(emoji), argv[1]
    elif len(argv) == 3 and argv[0] == "--json":
        data = json.dumps(picker(argv[1], emoji), ensure_ascii=False, separators=(",", ":"))
        path = argv[2]
    else:
        raise SystemExit("usage: gen_emoji.py --c FILE | --json LANG FILE")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
    os.replace(tmp, path)


if __name__ == "__main__":
    main(sys.argv[1:])
