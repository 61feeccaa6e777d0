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
left out. ALIASES adds the short names chat users type out of habit
(":+1:", ":thumbsup:", ":tada:"): each names a CLDR shortcode, and the
build fails when one no longer exists or would hide a CLDR name. The
unicode data folder is $PX_UNICODE_DIR (default /usr/share/unicode)."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

UNI = os.environ.get("PX_UNICODE_DIR", "/usr/share/unicode")
TONES = {"1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF"}

# The habitual short names of other chat tools -> the CLDR shortcode they
# mean. Only names (a-z, 0-9, "_", "+", "-"), never emoji: the characters
# come from the Unicode data like every other row.
ALIASES = {
    "+1": "thumbs_up", "-1": "thumbs_down", "thumbsup": "thumbs_up", "thumbsdown": "thumbs_down",
    "smile": "grinning_face_with_smiling_eyes", "smiley": "grinning_face_with_big_eyes",
    "grinning": "grinning_face", "grin": "beaming_face_with_smiling_eyes",
    "laughing": "grinning_squinting_face", "joy": "face_with_tears_of_joy",
    "rofl": "rolling_on_the_floor_laughing", "wink": "winking_face",
    "blush": "smiling_face_with_smiling_eyes", "heart_eyes": "smiling_face_with_heart_eyes",
    "sweat_smile": "grinning_face_with_sweat", "thinking": "thinking_face",
    "slight_smile": "slightly_smiling_face", "upside_down": "upside_down_face",
    "cry": "crying_face", "sob": "loudly_crying_face", "scream": "face_screaming_in_fear",
    "confused": "confused_face", "rage": "enraged_face",
    "heart": "red_heart", "tada": "party_popper", "clap": "clapping_hands", "pray": "folded_hands",
    "wave": "waving_hand", "muscle": "flexed_biceps", "raised_hands": "raising_hands",
    "point_up": "index_pointing_up", "point_right": "backhand_index_pointing_right",
    "shrug": "person_shrugging", "facepalm": "person_facepalming",
    "100": "hundred_points", "white_check_mark": "check_mark_button", "heavy_check_mark": "check_mark",
    "x": "cross_mark", "bulb": "light_bulb", "zap": "high_voltage", "boom": "collision",
    "star2": "glowing_star", "see_no_evil": "see_no_evil_monkey", "poop": "pile_of_poo",
    "coffee": "hot_beverage", "beer": "beer_mug", "beers": "clinking_beer_mugs",
}


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


def aliases_by_code(codes):
    """{CLDR shortcode: [aliases]}; fails the build on a stale alias."""
    out = {}
    for alias, code in sorted(ALIASES.items()):
        if not re.fullmatch(r"[a-z0-9_+-]+", alias):
            raise SystemExit("gen_emoji.py: alias %r has other characters than a-z 0-9 _ + -" % alias)
        if alias in codes:
            raise SystemExit("gen_emoji.py: alias %r would hide the CLDR shortcode of that name" % alias)
        if code not in codes:
            raise SystemExit("gen_emoji.py: alias %r names %r, which the Unicode data lacks" % (alias, code))
        out.setdefault(code, []).append(alias)
    return out


def picker(lang, emoji):
    """Groups of [chars, name, keywords, shortcode, tone variants?]; the
    keywords end with the shortcode's aliases (the picker finds "+1")."""
    ann = read_annotations(lang) if lang != "en" else {}
    en = read_annotations("en")
    aliases = aliases_by_code({shortcode(name) for _g, _c, name, _cps in emoji})
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
              "k": " ".join(dict.fromkeys([k.lower() for k in kws + en_kws] + aliases.get(code, []))),
              "s": code}
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
    """Rows { code, emoji, CLDR code an alias stands for (NULL: none) }."""
    rows, seen = {}, set()
    for _group, chars, name, _cps in emoji:
        code = shortcode(name)
        if code and code not in seen:
            seen.add(code)
            rows[code] = (chars, None)
    for code, names in aliases_by_code(seen).items():
        for alias in names:
            rows[alias] = (rows[code][0], code)
    lines = ["/* generated by web/gen_emoji.py from %s: do not edit */" % UNI]
    for code in sorted(rows):
        chars, of = rows[code]
        lines.append('{ "%s", %s, %s },' % (code, c_string(chars), '"%s"' % of if of else "NULL"))
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
