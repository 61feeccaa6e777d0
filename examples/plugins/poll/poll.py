#!/usr/bin/env python3
"""Poll, a PlexiChat process plugin (protocol 1; docs/PLUGIN_DEVELOPMENT.md).

/poll Lunch? | Pizza | Sushi   posts a poll as the plugin's bot, and the bot
puts one numbered reaction per option (1 to 9) under it: the buttons people
vote with (a click adds or takes back a vote). Each vote is a reaction
event; the plugin counts the numbered reactions on its poll, leaving out
the bot's own, and edits the poll to show the tally. The poll message, as
the event brings it, holds the question and the options.

With the "storage" grant (1.1.0 on) it also keeps each poll's tally in its
own schema (sql/001_polls.sql, PLEXICHAT_DATABASE; needs python3-psycopg2),
and GET /api/v1/plugins/NAME/results?poll=ID answers it from there."""
import json
import os
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


class Store:
    """The plugin's own tables, reached with the conninfo PlexiChat hands
    it (its role sees nothing else). Connected on first use, again after a
    failure; None when the plugin has no data."""

    def __init__(self):
        self.conn = None

    def cursor(self):
        if not os.environ.get("PLEXICHAT_DATABASE"):
            return None
        if self.conn is None or self.conn.closed:
            import psycopg2
            self.conn = psycopg2.connect(os.environ["PLEXICHAT_DATABASE"])
            self.conn.autocommit = True
        return self.conn.cursor()

    def keep(self, message_id, question, options, counts):
        cur = self.cursor()
        if cur is None:
            return
        tally = json.dumps({opt: counts.get(KEYCAPS[i], 0) for i, opt in enumerate(options)})
        cur.execute("INSERT INTO polls (message_id, question, tally) VALUES (%s, %s, %s)"
                    " ON CONFLICT (message_id) DO UPDATE SET tally = EXCLUDED.tally,"
                    " updated_at = now()", (message_id, question, tally))

    def get(self, message_id):
        cur = self.cursor()
        if cur is None:
            return None
        cur.execute("SELECT question, tally::text FROM polls WHERE message_id = %s",
                    (message_id,))
        row = cur.fetchone()
        return {"poll": message_id, "question": row[0], "tally": json.loads(row[1])} if row else None


STORE = Store()


def route(req):
    """GET results?poll=ID: the kept tally; anything else is not ours."""
    poll = (req.get("query") or {}).get("poll", "")
    if req.get("method") != "GET" or req.get("path") != "results" or not poll.isdigit():
        return {"status": 404, "body": {"error": "GET results?poll=ID"}}
    try:
        got = STORE.get(int(poll))
    except Exception as e:  # the data is optional: say so, keep running
        STORE.conn = None
        return {"status": 503, "body": {"error": type(e).__name__}}
    return {"status": 200, "body": got} if got else {"status": 404, "body": {"error": "no such poll"}}


def reaction(req):
    msg = req.get("message") or {}
    poll = parse(msg.get("body", ""))
    if not poll or not msg.get("id"):
        return {}
    bot = (msg.get("author") or {}).get("username")
    counts = {r["emoji"]: r["count"] - (bot in (r.get("users") or []))
              for r in (msg.get("reactions") or [])}
    body = render(poll[0], poll[1], counts)
    try:
        STORE.keep(msg["id"], poll[0], poll[1], counts)
    except Exception:  # keeping is a bonus: the poll itself still works
        STORE.conn = None
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
        elif req.get("type") == "route":
            out = route(req)
        else:
            out = {}
        out["id"] = req.get("id")
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
