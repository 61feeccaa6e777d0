"""importlib_slack: Slack export zips written for the import tests and the
benchmark (bench/import-bench.sh): users.json, channels.json and one JSON
file of messages per channel and day, as Slack's export lays them out."""
import json
import zipfile


def day_name(ts):
    import time
    return time.strftime("%Y-%m-%d", time.gmtime(float(ts)))


def write_export(path, users, channels, messages, extra=()):
    """messages: {channel name: [message dict with "ts"]}, written per day;
    extra: (name, bytes) entries added as they are (broken files, traversal
    names)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("users.json", json.dumps(users))
        z.writestr("channels.json", json.dumps(channels))
        for ch, msgs in messages.items():
            days = {}
            for m in msgs:
                days.setdefault(day_name(m["ts"]), []).append(m)
            for day in sorted(days):
                z.writestr("%s/%s.json" % (ch, day), json.dumps(days[day]))
        for name, data in extra:
            z.writestr(name, data)
