#!/usr/bin/env python3
"""GIF, a PlexiChat process plugin (protocol 1; docs/PLUGIN_DEVELOPMENT.md).

/gif happy cat asks the search service in the setting search_url (a
Giphy-style JSON API: {"data": [{"title": ..., "images": {"original":
{"url": ...}}}]}) and posts the first result's picture link as the
plugin's bot. It needs the "network" permission, which an admin grants
with `plexichat-admin plugin enable gif --grant network`; without it the
sandbox refuses the connection and the caller is told so."""
import json
import os
import sys
import urllib.parse
import urllib.request

SETTINGS = json.loads(os.environ.get("PLEXICHAT_SETTINGS") or "{}")
TIMEOUT = 3.0
MAX_BYTES = 1 << 20


def search(words):
    base = SETTINGS.get("search_url", "")
    if not base.startswith(("https://", "http://")):
        return None, "The gif plugin has no search URL; an admin sets search_url."
    q = {"q": words, "limit": "1", "rating": SETTINGS.get("rating", "g")}
    if SETTINGS.get("api_key"):
        q["api_key"] = SETTINGS["api_key"]
    url = base + ("&" if "?" in base else "?") + urllib.parse.urlencode(q)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
            doc = json.loads(r.read(MAX_BYTES + 1)[:MAX_BYTES])
    except (OSError, ValueError) as e:
        if isinstance(getattr(e, "reason", e), PermissionError):
            return None, "The gif plugin may not use the network; an admin can grant it."
        return None, "The GIF search did not answer usefully (%s)." % type(e).__name__
    items = doc.get("data") if isinstance(doc, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        pic = ((item.get("images") or {}).get("original") or {}).get("url", "")
        if pic.startswith("https://"):
            return (item.get("title") or words, pic), None
    return None, "No GIF found for \u201c%s\u201d." % words


def command(req):
    words = req.get("args", "").strip()
    if not words or len(words) > 100:
        return {"text": "Usage: /gif words (at most 100 characters)"}
    found, why = search(words)
    if not found:
        return {"text": why}
    title, pic = found
    text = "/gif %s \u2014 [%s](%s)" % (words, title.replace("]", ")"), pic)
    return {"text": "Posted.", "actions": [{"type": "post", "text": text}]}


def main():
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        out = command(req) if req.get("type") == "command" else {}
        out["id"] = req.get("id")
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
