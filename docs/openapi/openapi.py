#!/usr/bin/env python3
"""openapi.py: the source of PlexiChat's OpenAPI 3.1 description of the
messaging API. `python3 openapi.py --json OUT` writes the JSON document;
`--c OUT` writes it as a C string for plexichat.fcgi to serve at
GET /api/v1/openapi.json. Other areas may add their paths here."""
import json
import sys

NULL = "null"


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def obj(required, **props):
    return {"type": "object", "required": list(required), "properties": props}


def arr(items):
    return {"type": "array", "items": items}


def t(kind, nullable=False, **kw):
    s = {"type": [kind, NULL] if nullable else kind}
    s.update(kw)
    return s


INT = t("integer")
ID = t("integer", minimum=1)
STR = t("string")
BOOL = t("boolean")
TIME = t("string", format="date-time")
TIME_N = t("string", True, format="date-time")

SCHEMAS = {
    "Error": obj(["error_code", "http_status", "message", "details", "correlation_id"],
                 error_code=STR, http_status=INT, message=STR, details=t("object"),
                 correlation_id=t("string", minLength=32, maxLength=32)),
    "UserRef": obj(["id", "username", "display_name"], id=ID, username=STR, display_name=STR),
    "Channel": obj(["id", "kind", "name", "topic", "archived", "created_at", "member_count",
                    "my_role", "last_read_id", "last_message_id", "unread_count", "mention_count"],
                   id=ID, kind=t("string", enum=["public", "private", "dm", "group"]),
                   name=t("string", True), topic=STR, archived=BOOL, created_at=TIME,
                   created_by=t("integer", True), member_count=INT,
                   members={"type": ["array", NULL], "items": ref("UserRef")},
                   my_role=t("string", True, enum=["owner", "moderator", "member", None]),
                   last_read_id=INT, last_message_id=INT, unread_count=INT, mention_count=INT,
                   files_retention_days=t("integer", True, minimum=1, maximum=36500)),
    "Member": obj(["id", "username", "display_name", "role", "joined_at", "presence"],
                  id=ID, username=STR, display_name=STR,
                  role=t("string", enum=["owner", "moderator", "member"]), joined_at=TIME,
                  presence=t("string", enum=["online", "away", "offline"]), last_seen_at=TIME_N),
    "Reaction": obj(["emoji", "count", "users"], emoji=STR, count=t("integer", minimum=1),
                    users=arr(STR)),
    "Message": obj(["id", "channel_id", "author", "thread_root_id", "body", "html", "created_at",
                    "edited_at", "deleted", "pinned", "reply_count", "last_reply_at", "reactions"],
                   id=ID, channel_id=ID, author={"oneOf": [ref("UserRef"), {"type": "null"}]},
                   thread_root_id=t("integer", True), body=STR,
                   html=t("string", description="Safe HTML rendered from body by libcmark."),
                   created_at=TIME, edited_at=TIME_N, deleted=BOOL, pinned=BOOL,
                   reply_count=INT, last_reply_at=TIME_N, reactions=arr(ref("Reaction"))),
    "MessagePage": obj(["messages", "has_more_before", "has_more_after"],
                       messages=arr(ref("Message")), has_more_before=BOOL, has_more_after=BOOL),
    "Thread": obj(["root", "replies", "has_more", "following"], root=ref("Message"),
                  replies=arr(ref("Message")), has_more=BOOL, following=BOOL),
    "History": obj(["message", "versions"], message=ref("Message"),
                   versions=arr(obj(["body", "html", "edited_at"], body=STR, html=STR,
                                    edited_at=TIME,
                                    editor={"oneOf": [ref("UserRef"), {"type": "null"}]}))),
    "ReactionResult": obj(["emoji", "reacted", "changed", "reactions"], emoji=STR, reacted=BOOL,
                          changed=BOOL, reactions=arr(ref("Reaction"))),
    "ReadMarker": obj(["channel_id", "last_read_id", "unread_count", "mention_count"],
                      channel_id=ID, last_read_id=INT, unread_count=INT, mention_count=INT),
    "SearchResults": obj(["results"], results=arr(obj(
        ["message", "channel", "snippet", "rank"], message=ref("Message"),
        channel=obj(["id", "kind"], id=ID, name=t("string", True), kind=STR),
        snippet=t("string", description="HTML-escaped excerpt; matches wrapped in <mark>."),
        rank=t("number")))),
    "Notification": obj(["id", "kind", "channel_id", "message", "created_at", "read"],
                        id=ID, kind=t("string", enum=["mention", "dm", "reply"]), channel_id=ID,
                        message=ref("Message"),
                        actor={"oneOf": [ref("UserRef"), {"type": "null"}]},
                        created_at=TIME, read=BOOL),
    "NotificationList": obj(["notifications", "unread_count", "has_more"],
                            notifications=arr(ref("Notification")), unread_count=INT,
                            has_more=BOOL),
    "NotificationsMarked": obj(["marked", "unread_count"], marked=INT, unread_count=INT),
    "Event": obj(["id", "type", "channel_id", "at", "data"], id=ID,
                 type=t("string", enum=["message.created", "message.updated", "message.deleted",
                                        "reaction.added", "reaction.removed", "member.joined",
                                        "member.left", "member.updated", "channel.updated",
                                        "notification.created"]),
                 channel_id=t("integer", True), at=TIME, data=t("object")),
    "EventPoll": obj(["events", "last_event_id"], events=arr(ref("Event")), last_event_id=INT),
}

ERRORS = {"400": "Invalid input (see error_code).", "401": "Not signed in.",
          "403": "Not allowed (AUTH_FORBIDDEN, AUTH_NOT_CHANNEL_MEMBER, AUTH_NOT_AUTHOR).",
          "404": "No such resource, or one the caller may not see.",
          "409": "Conflict (VALIDATION_CONFLICT, VALIDATION_CHANNEL_ARCHIVED, "
                 "VALIDATION_IDEMPOTENCY_MISMATCH).", "410": "Gone (deleted message, pruned events).",
          "413": "Body too large.", "429": "Rate limited.", "503": "Unavailable."}


def p_in(name, where, schema, desc, required=False):
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": desc}


CID = p_in("id", "path", ID, "Channel id.")
MID = p_in("mid", "path", ID, "Message id.")
LIMIT = p_in("limit", "query", t("integer", minimum=1, maximum=200), "Page size (default 50).")


def op(op_id, summary, ok, ok_schema, params=(), body=None, errors=("400", "401", "404"),
       tag="Messaging"):
    o = {"operationId": op_id, "summary": summary, "tags": [tag], "parameters": list(params),
         "responses": {}}
    if ok == "204":
        o["responses"]["204"] = {"description": "Done."}
    else:
        o["responses"][ok] = {"description": "Success.",
                              "content": {"application/json": {"schema": ok_schema}}}
    for code in tuple(errors) + ("429",):
        o["responses"][code] = {"$ref": "#/components/responses/E" + code}
    if body:
        o["requestBody"] = {"required": True,
                            "content": {"application/json": {"schema": body}}}
    return o


def body(required, **props):
    return obj(required, **props)


CH = "/api/v1/channels/{id}"
MSG = CH + "/messages/{mid}"
W = ("400", "401", "403", "404", "409")

PATHS = {
    "/api/v1/channels": {
        "get": op("listChannels", "My channels with unread and mention counts "
                  "(browse=1: public channels not joined).", "200", arr(ref("Channel")),
                  [p_in("browse", "query", t("string", enum=["1"]), "List joinable channels.")]),
        "post": op("createChannel", "Create a channel, DM (returned when it exists) or group DM.",
                   "201", ref("Channel"), body=body(
                       [], kind=t("string", enum=["public", "private", "dm", "group"]),
                       name=t("string", pattern="^[a-z0-9_-]{1,80}$"),
                       topic=t("string", maxLength=250),
                       members=arr({"oneOf": [ID, STR]})), errors=W)},
    CH: {"get": op("getChannel", "One channel.", "200", ref("Channel"), [CID]),
         "patch": op("updateChannel", "Rename, set the topic, archive or unarchive; set how "
                     "many days the channel's files are kept (files_retention_days, null: keep; "
                     "channel owners and admins).", "200",
                     ref("Channel"), [CID], body([], name=STR, topic=STR, archived=BOOL,
                                                 files_retention_days=t("integer", True, minimum=1,
                                                                        maximum=36500)), W)},
    CH + "/topic": {"put": op("setTopic", "Set the topic.", "200", ref("Channel"), [CID],
                              body(["topic"], topic=t("string", maxLength=250)), W)},
    CH + "/members": {
        "get": op("listMembers", "Members with role and presence.", "200", arr(ref("Member")),
                  [CID]),
        "post": op("addMember", "Join (no user) or invite a user.", "201", ref("Member"), [CID],
                   body([], user={"oneOf": [ID, STR]}), W)},
    CH + "/members/{user}": {
        "put": op("putMember", "Add a member.", "201", ref("Member"),
                  [CID, p_in("user", "path", STR, "User id or name.")], errors=W),
        "patch": op("setMemberRole", "Change a member's channel role.", "200", ref("Member"),
                    [CID, p_in("user", "path", STR, "User id or name.")],
                    body(["role"], role=t("string", enum=["owner", "moderator", "member"])), W),
        "delete": op("removeMember", "Leave (oneself) or remove a member.", "204", None,
                     [CID, p_in("user", "path", STR, "User id or name.")], errors=W)},
    CH + "/read-marker": {"put": op("setReadMarker", "Move the read marker forward.", "200",
                                    ref("ReadMarker"), [CID], body([], message_id=INT), W)},
    CH + "/typing": {"post": op("typing", "Tell members you are typing (not stored).", "204",
                                None, [CID], errors=W)},
    CH + "/pins": {"get": op("listPins", "Pinned messages.", "200", arr(ref("Message")), [CID])},
    CH + "/messages": {
        "get": op("listMessages", "Top-level messages, oldest first, by cursor.", "200",
                  ref("MessagePage"), [CID, LIMIT,
                                       p_in("before", "query", ID, "Messages before this id."),
                                       p_in("after", "query", ID, "Messages after this id."),
                                       p_in("around", "query", ID, "Messages around this id.")]),
        "post": op("postMessage", "Post (Markdown); Idempotency-Key makes retries safe.", "201",
                   ref("Message"), [CID, p_in("Idempotency-Key", "header",
                                              t("string", maxLength=128), "Client retry key.")],
                   body(["body"], body=t("string", description="Markdown, at most "
                                         "message_max_length characters."),
                        thread_root_id=ID, idempotency_key=t("string", maxLength=128)),
                   W + ("413",))},
    CH + "/messages/search": {"get": op("searchChannel", "Search one channel.", "200",
                                        ref("SearchResults"),
                                        [CID, p_in("q", "query", STR, "Query.", True)])},
    MSG: {"get": op("getMessage", "One message.", "200", ref("Message"), [CID, MID]),
          "patch": op("editMessage", "Edit one's own message (history kept).", "200",
                      ref("Message"), [CID, MID], body(["body"], body=STR), W + ("410",)),
          "delete": op("deleteMessage", "Delete (a tombstone stays).", "200", ref("Message"),
                       [CID, MID], errors=W + ("410",))},
    MSG + "/history": {"get": op("messageHistory", "Earlier versions.", "200", ref("History"),
                                 [CID, MID])},
    MSG + "/thread": {"get": op("thread", "A thread: root and replies.", "200", ref("Thread"),
                                [CID, MID, LIMIT, p_in("after", "query", ID, "Replies after.")])},
    MSG + "/thread/follow": {
        "put": op("followThread", "Follow a thread.", "204", None, [CID, MID], errors=W),
        "delete": op("unfollowThread", "Unfollow a thread.", "204", None, [CID, MID], errors=W)},
    MSG + "/pin": {"put": op("pin", "Pin.", "200", ref("Message"), [CID, MID], errors=W),
                   "delete": op("unpin", "Unpin.", "200", ref("Message"), [CID, MID], errors=W)},
    MSG + "/reactions": {
        "get": op("listReactions", "Reactions with who reacted.", "200", arr(ref("Reaction")),
                  [CID, MID]),
        "post": op("toggleReaction", "Toggle one's reaction.", "200", ref("ReactionResult"),
                   [CID, MID], body(["emoji"], emoji=STR), W + ("410",))},
    MSG + "/reactions/{emoji}": {
        "put": op("addReaction", "Add a reaction.", "200", ref("ReactionResult"),
                  [CID, MID, p_in("emoji", "path", STR, "One emoji.")], errors=W + ("410",)),
        "delete": op("removeReaction", "Remove a reaction.", "200", ref("ReactionResult"),
                     [CID, MID, p_in("emoji", "path", STR, "One emoji.")], errors=W + ("410",))},
    "/api/v1/search": {"get": op("search", "Search every channel one belongs to. Filters: "
                                 "in:channel from:user before:YYYY-MM-DD after:YYYY-MM-DD "
                                 "is:pinned.", "200", ref("SearchResults"),
                                 [p_in("q", "query", STR, "Query.", True),
                                  p_in("limit", "query", t("integer", minimum=1, maximum=100),
                                       "Results (default 20).")])},
    "/api/v1/events": {"get": {
        "operationId": "events", "tags": ["Messaging"],
        "summary": "Server-sent events over all of one's channels; with after=ID a long-poll.",
        "parameters": [p_in("Last-Event-ID", "header", STR, "Resume after this event."),
                       p_in("last_event_id", "query", ID, "Resume after this event (SSE)."),
                       p_in("after", "query", t("integer", minimum=0), "Long-poll cursor."),
                       p_in("wait", "query", t("integer", minimum=0, maximum=25), "Seconds."),
                       p_in("limit", "query", t("integer", minimum=1, maximum=500), "Events.")],
        "responses": {"200": {"description": "An SSE stream, or the long-poll answer.",
                              "content": {"text/event-stream": {"schema": STR},
                                          "application/json": {"schema": ref("EventPoll")}}},
                      "400": {"$ref": "#/components/responses/E400"},
                      "401": {"$ref": "#/components/responses/E401"},
                      "410": {"$ref": "#/components/responses/E410"},
                      "429": {"$ref": "#/components/responses/E429"},
                      "503": {"$ref": "#/components/responses/E503"}}}},
    "/api/v1/notifications": {"get": op("listNotifications", "Notifications, newest first.",
                                        "200", ref("NotificationList"),
                                        [LIMIT, p_in("unread", "query", t("string", enum=["1"]),
                                                     "Unread only."),
                                         p_in("before", "query", ID, "Older than this id.")])},
    "/api/v1/notifications/read": {"post": op(
        "markNotificationsRead", "Mark listed ids (or all) read.", "200",
        ref("NotificationsMarked"), body=body([], ids=arr(ID), all=BOOL))},
    "/api/v1/notifications/{nid}/read": {"put": op(
        "markNotificationRead", "Mark one read.", "200", ref("NotificationsMarked"),
        [p_in("nid", "path", ID, "Notification id.")])},
    "/api/v1/openapi.json": {"get": {
        "operationId": "openapi", "tags": ["Meta"], "summary": "This description.",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1 document.",
                              "content": {"application/json": {"schema": t("object")}}},
                      "429": {"$ref": "#/components/responses/E429"}}}},
}


def document():
    responses = {"E" + c: {"description": d, "content": {"application/json": {
        "schema": ref("Error")}}} for c, d in ERRORS.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "PlexiChat API", "version": "1.0.0",
                 "description": "Self-hosted team chat. Errors share one shape (Error); "
                                "see docs/ERROR_CODES.md.",
                 "license": {"name": "Proprietary", "identifier": "LicenseRef-PlexiChat"}},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "tags": [{"name": "Messaging", "description": "Channels, messages, events."},
                 {"name": "Meta", "description": "About the API."}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS, "responses": responses,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "px_session"}}},
    }


def c_string(text):
    out = ["/* Generated by docs/openapi/openapi.py; do not edit. */\n"
           "static const char px_openapi_json[] =\n"]
    for i in range(0, len(text), 60):
        chunk = text[i:i + 60].replace("\\", "\\\\").replace('"', '\\"')
        out.append('\t"%s"\n' % chunk)
    out.append(";\n")
    return "".join(out)


def main(argv):
    text = json.dumps(document(), indent=None, separators=(",", ":"), ensure_ascii=True)
    args = dict(zip(argv[1::2], argv[2::2]))
    if "--json" in args:
        with open(args["--json"], "w") as f:
            f.write(json.dumps(document(), indent=2) + "\n")
    if "--c" in args:
        with open(args["--c"], "w") as f:
            f.write(c_string(text))
    if not args:
        print(text)


if __name__ == "__main__":
    main(sys.argv)
