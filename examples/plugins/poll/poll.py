#!/usr/bin/env python3
"""Poll, a PlexiChat process plugin (protocol 1; docs/PLUGIN_DEVELOPMENT.md).

/poll Lunch? | Pizza | Sushi   posts a poll as the plugin's bot, and the bot
puts one numbered reaction per option (1 to 9) under it: the buttons people
vote with (a click adds or takes back a vote). Each vote is a reaction
event; the plugin counts the numbered reactions on its poll, leaving out
the bot's own, and edits the poll to show the tally. It keeps no state:
the poll message, as the event brings it, holds the question and the
options."""
import json
import re
import sys

KEYCAPS = ["%d\ufe0f\u20e3" % i for i in range(1, 10)]
HEAD = "\U0001f4ca Poll: "
LINE = re.compile(r"^(\d)\ufe0f\u20e3 (.*?)(?: \u2014 \d+ votes?)?$")


def lines_of(body):
    """The lines of a message body, without the hard-break marks (a
    trailing backslash or two spaces) the server adds to single breaks."""
    return [re.sub(r"(\\| +)$", "", x) for x in body.split("\n")]


def render(question, options, counts):
    lines = [HEAD + question]
    for i, opt in enumerate(options):
        n = counts.get(KEYCAPS[i], 0)
        lines.append("%s %s \u2014 %d vote%s" % (KEYCAPS[i], opt, n, "" if n == 1 else "s"))
    lines.append("React with a number to vote.")
    return "\n".join(lines)


def parse(body):
    """(question, options) of a poll this plugin wrote, or None."""
    lines = lines_of(body)
    if not lines or not lines[0].startswith(HEAD):
        return None
    options = []
    for line in lines[1:]:
        m = LINE.match(line)
        if m and int(m.group(1)) == len(options) + 1:
            options.append(m.group(2))
    return (lines[0][len(HEAD):], options) if options else None


def command(req):
    parts = [p.strip() for p in req.get("args", "").split("|")]
    parts = [p for p in parts if p]
    if len(parts) < 3 or len(parts) > 10:
        return {"text": "Usage: /poll Question | option | option (2 to 9 options)"}
    if any("\n" in p or len(p) > 200 for p in parts):
        return {"text": "Each part of a poll is one line of at most 200 characters."}
    return {"text": "Poll posted.",
            "actions": [{"type": "post", "text": render(parts[0], parts[1:], {}),
                         "reactions": KEYCAPS[:len(parts) - 1]}]}


def reaction(req):
    msg = req.get("message") or {}
    poll = parse(msg.get("body", ""))
    if not poll or not msg.get("id"):
        return {}
    bot = (msg.get("author") or {}).get("username")
    counts = {r["emoji"]: r["count"] - (bot in (r.get("users") or []))
              for r in (msg.get("reactions") or [])}
    body = render(poll[0], poll[1], counts)
    if lines_of(body) == lines_of(msg.get("body", "")):
        return {}
    return {"actions": [{"type": "edit", "message_id": msg["id"], "text": body}]}


def main():
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        if req.get("type") == "command":
            out = command(req)
        elif req.get("type") == "event" and req.get("event", "").startswith("reaction."):
            out = reaction(req)
        else:
            out = {}
        out["id"] = req.get("id")
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
