#!/usr/bin/env python3
"""api_schema.py: the one schema module of PlexiChat's HTTP API.

It declares the JSON schemas (SCHEMAS) and, for each route of the route
table (fcgi/routes.c), what the route table cannot say: summary, query and
header parameters, request body and success responses (OPS, keyed
"METHOD pattern" exactly as the route table writes the pattern).

`python3 api_schema.py --c OUT` writes this module as JSON inside a C
string; plexichat.fcgi joins it with the route table (fcgi/openapi.c), which
adds path parameters, security, the policy columns and the error responses
each policy implies, and refuses routes without an entry here or entries
without a route. `plexichat.fcgi --openapi` prints the resulting OpenAPI 3.1
document; the build writes it to docs/_generated/openapi.json."""
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
                   notify=t("string", enum=["all", "mentions", "none"],
                            description="What the channel tells the viewer: 'mentions' and 'none' "
                                        "report unread_count 0, 'none' mention_count 0 too."),
                   files_retention_days=t("integer", True, minimum=1, maximum=36500,
                                          description="Days its files are kept; null: keep.")),
    "Member": obj(["id", "username", "display_name", "role", "joined_at", "presence"],
                  id=ID, username=STR, display_name=STR,
                  role=t("string", enum=["owner", "moderator", "member"]), joined_at=TIME,
                  presence=t("string", enum=["online", "away", "offline"]), last_seen_at=TIME_N,
                  avatar_url=t("string", True)),
    "Reaction": obj(["emoji", "count", "users"], emoji=STR, count=t("integer", minimum=1),
                    users=arr(STR)),
    "Message": obj(["id", "channel_id", "author", "thread_root_id", "body", "html", "created_at",
                    "edited_at", "deleted", "pinned", "reply_count", "last_reply_at", "reactions"],
                   id=ID, channel_id=ID, author={"oneOf": [ref("UserRef"), {"type": "null"}]},
                   thread_root_id=t("integer", True), body=STR,
                   html=t("string", description="Safe HTML rendered from body by libcmark."),
                   created_at=TIME, edited_at=TIME_N, deleted=BOOL, pinned=BOOL,
                   reply_count=INT, last_reply_at=TIME_N, reactions=arr(ref("Reaction")),
                   files=arr(ref("File")),
                   bot={"oneOf": [ref("BotProps"), {"type": "null"}],
                        "description": "Set when a bot posted it (webhook, slash command): "
                                       "what the post says of itself, shown beside the bot "
                                       "account's own name."},
                   preview={"oneOf": [ref("LinkPreview"), {"type": "null"}],
                            "description": "The preview of the message's first web link, "
                                           "added later by a background job (a "
                                           "message.updated event tells); absent or null: "
                                           "none."}),
    "LinkPreview": obj(["url"], url=t("string", maxLength=2048),
                       title=t("string", True, maxLength=300),
                       description=t("string", True, maxLength=1000),
                       image=t("string", True, description="https, or the instance's own "
                               "origin; plain http images of other sites are dropped."),
                       site_name=t("string", True, maxLength=100)),
    "LinkPreviewSetting": obj(["channel_id", "enabled"], channel_id=ID, enabled=BOOL),
    "UserExport": obj(["format", "exported_at", "profile", "channels", "messages", "reactions",
                       "files"],
                      format=t("string", enum=["plexichat-user-export/1"]), exported_at=TIME,
                      profile=obj(["id", "username", "display_name", "email", "role",
                                   "created_at"], id=ID, username=STR, display_name=STR,
                                  email=t("string", True), role=STR, created_at=TIME,
                                  time_zone=STR, status_text=STR, is_bot=BOOL),
                      channels=arr(obj(["id", "kind", "role", "joined_at"], id=ID, kind=STR,
                                       name=t("string", True), role=STR, joined_at=TIME,
                                       notify=STR)),
                      messages=arr(obj(["id", "channel_id", "body", "created_at"], id=ID,
                                       channel_id=ID, thread_root_id=t("integer", True),
                                       body=STR, created_at=TIME, edited_at=TIME_N,
                                       file_ids=arr(ID))),
                      reactions=arr(obj(["message_id", "emoji", "created_at"], message_id=ID,
                                        emoji=STR, created_at=TIME)),
                      files=arr(ref("File"))),
    "File": obj(["id", "name", "type", "declared_type", "size", "sha256", "channel_id", "owner_id",
                 "state", "width", "height", "created_at", "url"],
                id=ID, name=t("string", minLength=1, maxLength=255,
                              description="Normalised: no path, no control or bidi characters, "
                                          "NFC."),
                type=t("string", description="The type libmagic found in the content."),
                declared_type=STR, size=t("integer", minimum=1),
                sha256=t("string", pattern="^[0-9a-f]{64}$"),
                channel_id=t("integer", True, description="null: a draft of its owner."),
                owner_id=ID, state=t("string", enum=["ready"]),
                width=t("integer", True), height=t("integer", True), created_at=TIME,
                url=t("string", description="Where the bytes are: GET, sent by the web server."),
                thumbnail_url=t("string", True, description="A WebP thumbnail (400x400 box); "
                                                            "null for other than images."),
                preview_url=t("string", True, description="A WebP preview (1280x1280 box)."),
                signed=dict(obj(["url", "download_url", "expires_at"],
                           url=t("string", description="The content (GET /api/v1/files/{fid}/"
                                                       "signed), sent without a session."),
                           download_url=t("string", description="The same as an attachment."),
                           thumbnail_url=t("string", description="The thumbnail (images)."),
                           preview_url=t("string", description="The preview (images)."),
                           expires_at=t("integer", description="Unix seconds the URLs stop "
                                                               "working (files_url_ttl).")),
                           description="Only from GET /api/v1/files/{fid}, when files_url_key "
                                       "is set and the file is in the local store.")),
    "ChannelFile": {"allOf": [ref("File"), obj(
        ["uploader", "message_id", "thread_root_id"],
        uploader={"oneOf": [ref("UserRef"), {"type": "null"}]},
        message_id=t("integer", True, description="The message carrying it; null for a file "
                                                  "uploaded into the channel on its own."),
        thread_root_id=t("integer", True))]},
    "FileList": obj(["files", "has_more", "next_before"], files=arr(ref("ChannelFile")), has_more=BOOL,
                    next_before=t("integer", True, description="Pass as before= for the next "
                                                               "page.")),
    "Upload": obj(["id", "offset", "size", "name"], id=ID,
                  offset=t("integer", minimum=0, description="Bytes the server has."),
                  size=t("integer", minimum=1), name=STR),
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
                        channel_name=t("string", True, description="The channel's name; null for DMs."),
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

    # --- System, auth, users, admin (handlers/system.c, auth*.c, users*.c,
    # admin_waf.c; columns from model/*.c) ---------------------------------
    "Done": {"type": "object", "maxProperties": 0, "description": "An empty object."},
    "Health": obj(["status", "checks", "correlation_id"],
                  status=t("string", enum=["ok"]),
                  checks=obj(["database", "database_latency_us", "schema_version"],
                             database=t("string", enum=["ok"]),
                             database_latency_us=t("integer", minimum=0),
                             schema_version=t("integer", minimum=0),
                             node=t("string", description="This process's node id (address/pid)."),
                             draining=t("boolean", description="The node is being drained."),
                             backup={"oneOf": [ref("BackupStatus"), {"type": "null"}],
                                     "description": "The newest backup run; null when "
                                     "none ran yet."},
                             wal_archive=ref("WalArchive"),
                             tls=t("string", enum=["ok", "expiring", "expired", "unreadable"],
                                   description="The certificates of tls_cert_files, when set: "
                                   "expiring when one has fewer than tls_warn_days left."),
                             tls_certificates=arr(obj(["file"], file=STR, subject=STR,
                                                      days_left=INT, not_after=TIME,
                                                      error=STR))),
                  correlation_id=t("string", minLength=32, maxLength=32)),
    "BackupStatus": obj(["ok", "finished_at", "last_success_at", "bytes_total",
                         "bytes_uploaded", "duration_ms", "error_code"],
                        ok=BOOL, finished_at=TIME, last_success_at=TIME_N,
                        bytes_total=t("integer", minimum=0),
                        bytes_uploaded=t("integer", minimum=0),
                        duration_ms=t("integer", minimum=0), error_code=t("string", True)),
    "Ready": obj(["status", "node", "address", "version", "schema_version"],
                 status=t("string", enum=["ready"]),
                 node=t("string", description="This process's node id (address/pid)."),
                 address=t("string", description="The node's address (node_address)."),
                 version=STR, schema_version=t("integer", minimum=0)),
    "ClusterNode": obj(["id", "address", "version", "schema_version", "capabilities",
                        "started_at", "heartbeat_at", "age_seconds", "draining", "self"],
                       id=t("string", description="address/pid"), address=STR, version=STR,
                       schema_version=t("integer", minimum=0), capabilities=arr(STR),
                       started_at=TIME, heartbeat_at=TIME,
                       age_seconds=t("number", minimum=0,
                                     description="Seconds since its last heartbeat."),
                       draining=BOOL,
                       self=t("boolean", description="The process that answered.")),
    "WalArchive": obj(["archive_mode", "last_archived_wal", "last_archived_at",
                       "newest_archived_age_s", "failed_count", "last_failed_wal",
                       "last_failed_at"],
                      archive_mode=t("string", enum=["on", "off", "always"]),
                      last_archived_wal=t("string", True), last_archived_at=TIME_N,
                      newest_archived_age_s=t("integer", True, minimum=0,
                                              description="Seconds since the newest WAL file "
                                              "was archived: the recovery point objective "
                                              "achieved (docs/BACKUP_SYSTEM.md)."),
                      failed_count=t("integer", minimum=0), last_failed_wal=t("string", True),
                      last_failed_at=TIME_N),
    "Version": obj(["name", "version", "api"], name=STR, version=STR,
                   api=t("string", enum=["v1"])),
    "User": obj(["id", "username", "display_name", "bio", "role", "created_at", "avatar_url"],
                id=ID, username=STR, display_name=STR, bio=STR, role=ref("Role"),
                created_at=TIME, avatar_url=t("string", True, description="/api/v1/users/{id}/avatar?v=...; null without an avatar."),
                email=t("string", True, description="Only for oneself and admins."),
                email_verified=t("boolean", description="Only for oneself and admins."),
                mfa_enabled=t("boolean", description="TOTP on. Only for oneself and admins."),
                active=t("boolean", description="Only for oneself and admins.")),
    "Account": obj(["id", "username", "display_name", "bio", "role", "created_at", "email",
                    "email_verified", "mfa_enabled", "active"],
                   id=ID, username=STR, display_name=STR, bio=STR, role=ref("Role"),
                   created_at=TIME, email=t("string", True), email_verified=BOOL,
                   avatar_url=t("string", True, description="/api/v1/users/{id}/avatar?v=...; null without an avatar."),
                   mfa_enabled=t("boolean", description="An authenticator app (TOTP) is on."),
                   active=BOOL),
    "Role": t("string", enum=["owner", "admin", "moderator", "member", "guest"]),
    "UserList": obj(["users"], users=arr(ref("User"))),
    "AccountList": obj(["users"], users=arr(ref("Account"))),
    "Registered": obj(["user", "token", "token_type", "session_id"], user=ref("Account"),
                      token=t("string", pattern="^pxs_[A-Za-z0-9_-]{43}$"),
                      token_type=t("string", enum=["Bearer"]), session_id=ID),
    "SignedIn": obj(["token", "token_type", "session_id", "expires_in", "user"],
                    token=t("string", pattern="^pxs_[A-Za-z0-9_-]{43}$",
                            description="Session token; the session cookie carries it too."),
                    token_type=t("string", enum=["Bearer"]), session_id=ID,
                    expires_in=t("integer", minimum=1, description="Seconds."),
                    user=ref("Account")),
    "Me": obj(["user", "session_id", "via"], user=ref("Account"),
              session_id=t("integer", True, minimum=1,
                           description="null when signed in with a personal access token."),
              via=t("string", enum=["cookie", "bearer", "token"]),
              csrf_token=t("string", pattern="^[A-Za-z0-9_-]{43}$",
                           description="For cookie requests that change state; not for "
                           "personal access tokens.")),
    "Csrf": obj(["csrf_token"], csrf_token=t("string", pattern="^[A-Za-z0-9_-]{43}$")),
    "Session": obj(["id", "created_at", "last_used_at", "expires_at", "user_agent", "ip",
                    "current"],
                   id=ID, created_at=TIME, last_used_at=TIME,
                   expires_at=t("string", format="date-time",
                                description="The earlier of the absolute and the idle expiry."),
                   user_agent=STR, ip=t("string", description="Empty when unknown."),
                   current=t("boolean", description="The session of this request.")),
    "SessionList": obj(["sessions"], sessions=arr(ref("Session"))),
    "Revoked": obj(["revoked"], revoked=ID),
    "RevokedCount": obj(["revoked_count"], revoked_count=t("integer", minimum=0)),
    "Token": obj(["id", "name", "scopes", "created_at", "last_used_at", "expires_at"],
                 id=ID, name=STR,
                 scopes=t("string", pattern="^(read|write|admin)(,(read|write|admin))*$"),
                 created_at=TIME, last_used_at=TIME_N, expires_at=TIME_N),
    "TokenList": obj(["tokens"], tokens=arr(ref("Token"))),
    "TokenCreated": obj(["id", "token", "name"], id=ID,
                        token=t("string", pattern="^pxp_[A-Za-z0-9_-]{43}$",
                                description="Shown once."), name=STR),
    "MfaStatus": obj(["enabled", "recovery_codes_left"],
                     enabled=t("boolean", description="An authenticator app (TOTP) is on."),
                     recovery_codes_left=t("integer", minimum=0, maximum=10)),
    "MfaEnrolment": obj(["secret", "otpauth_uri", "qr_svg"],
                        secret=t("string", pattern="^[A-Z2-7]+$", description="Base32."),
                        otpauth_uri=t("string", pattern="^otpauth://totp/"),
                        qr_svg=t("string", pattern="^<svg ", description="The URI as a QR "
                                 "code (SVG).")),
    "RecoveryCodes": {"type": "array", "minItems": 10, "maxItems": 10, "items": t(
        "string", pattern="^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$"),
        "description": "Single-use codes, shown once."},
    "MfaEnabled": obj(["enabled", "recovery_codes"], enabled=t("boolean", enum=[True]),
                      recovery_codes=ref("RecoveryCodes")),
    "Device": obj(["id", "created_at", "expires_at", "user_agent", "ip"], id=ID,
                  created_at=TIME, expires_at=TIME, user_agent=STR,
                  ip=t("string", description="Empty when unknown.")),
    "DeviceList": obj(["devices"], devices=arr(ref("Device"))),
    "Passkey": obj(["id", "name", "credential_id", "algorithm", "attestation",
                    "user_verified", "backed_up", "created_at", "last_used_at"],
                   id=ID, name=t("string", minLength=1, maxLength=64),
                   credential_id=t("string", pattern="^[A-Za-z0-9_-]+$",
                                   description="base64url."),
                   algorithm=t("string", enum=["ES256", "EdDSA", "RS256"]),
                   attestation=t("string", enum=["none", "self", "basic"]),
                   user_verified=t("boolean", description="UV at registration."),
                   backed_up=BOOL, created_at=TIME, last_used_at=TIME_N),
    "PasskeyList": obj(["credentials"], credentials=arr(ref("Passkey"))),
    "PasskeyRegistered": obj(["credential"], credential=ref("Passkey"),
                             recovery_codes=ref("RecoveryCodes")),
    "CredentialDescriptor": obj(["type", "id"], type=t("string", enum=["public-key"]),
                                id=t("string", pattern="^[A-Za-z0-9_-]+$")),
    "PasskeyCreation": obj(["publicKey"], publicKey=obj(
        ["challenge", "timeout", "userVerification", "rp", "user", "pubKeyCredParams",
         "attestation", "authenticatorSelection", "excludeCredentials"],
        challenge=t("string", pattern="^[A-Za-z0-9_-]+$"),
        timeout=t("integer", minimum=1, description="Milliseconds."),
        userVerification=t("string", enum=["required", "preferred"]),
        rp=obj(["id", "name"], id=STR, name=STR),
        user=obj(["id", "name", "displayName"],
                 id=t("string", pattern="^[A-Za-z0-9_-]+$",
                      description="The account's random user handle (base64url)."),
                 name=STR, displayName=STR),
        pubKeyCredParams=arr(obj(["type", "alg"], type=t("string", enum=["public-key"]),
                                 alg=t("integer", enum=[-7, -8, -257]))),
        attestation=t("string", enum=["none"]),
        authenticatorSelection=obj(["residentKey", "requireResidentKey", "userVerification"],
                                   residentKey=t("string", enum=["preferred"]),
                                   requireResidentKey=BOOL,
                                   userVerification=t("string",
                                                      enum=["required", "preferred"])),
        excludeCredentials=arr(ref("CredentialDescriptor")))),
    "PasskeyRequest": obj(["publicKey"], publicKey=obj(
        ["challenge", "rpId", "timeout", "userVerification", "allowCredentials"],
        challenge=t("string", pattern="^[A-Za-z0-9_-]+$"), rpId=STR,
        timeout=t("integer", minimum=1, description="Milliseconds."),
        userVerification=t("string", enum=["required"]),
        allowCredentials=arr(ref("CredentialDescriptor")))),
    "PublicKeyCredential": {
        "type": "object", "required": ["rawId", "response"],
        "description": "The browser's PublicKeyCredential, binary members as base64url "
                       "without padding (a JSON text of it in a form field also works).",
        "properties": {"id": STR, "rawId": STR, "type": t("string", enum=["public-key"]),
                       "response": obj(["clientDataJSON"], clientDataJSON=STR,
                                       attestationObject=STR, authenticatorData=STR,
                                       signature=STR, userHandle=t("string", True))}},
    "OidcProviders": obj(["providers"], providers=arr(obj(["name", "label"],
                                                          name=STR, label=STR))),
    "PasswordResetIssued": obj(["reset_token", "mailed"],
                               reset_token=t("string", pattern="^pxr_[A-Za-z0-9_-]{43}$"),
                               mailed=t("boolean", description="Mailed to the account.")),
    "MfaReset": obj(["passkeys_removed"], passkeys_removed=t("integer", minimum=0)),
    "Invite": obj(["id", "code", "role", "expires_in"], id=ID,
                  code=t("string", pattern="^pxi_[A-Za-z0-9_-]{43}$",
                         description="Shown once."),
                  role=t("string", enum=["admin", "moderator", "member", "guest"]),
                  expires_in=t("integer", minimum=1, description="Seconds.")),
    "WafRange": obj(["id", "list", "cidr", "source", "comment", "created_by", "created_at"],
                    id=ID, list=t("string", enum=["allow", "deny"]),
                    cidr=t("string", description="Canonical CIDR."),
                    source=t("string", pattern="^(admin|feed:.+)$"), comment=STR,
                    created_by=t("integer", True, minimum=1), created_at=TIME),
    "WafRangeList": obj(["ranges", "next_after"], ranges=arr(ref("WafRange")),
                        next_after=t("integer", True, minimum=1,
                                     description="after= of the next page; null at the "
                                     "end.")),
    "WafBlockList": obj(["blocks"], blocks=arr(obj(["ip", "until", "reason"], ip=STR,
                                                   until=TIME, reason=STR))),
    "WafEvent": obj(["id", "at", "action", "target", "ip", "correlation_id", "fields"],
                    id=ID, at=TIME, action=t("string", pattern="^waf[.]"),
                    target=STR, ip=t("string", description="Empty when unknown."),
                    correlation_id=STR, fields=t("object")),
    "WafEventList": obj(["events", "next_before"], events=arr(ref("WafEvent")),
                        next_before=t("integer", True, minimum=1,
                                      description="before= of the next page; null at the "
                                      "end.")),
    "WafTopRules": obj(["hours", "rules"], hours=t("integer", minimum=1, maximum=720),
                       rules=arr(obj(["rule", "count", "last_at"], rule=INT,
                                     count=t("integer", minimum=1), last_at=TIME))),
    "BotProps": obj(["via"], name=t("string", maxLength=256,
                                     description="Sanitised username override."),
                    icon_url=STR, icon_emoji=STR,
                    via=t("string", description="What posted it, e.g. \"incoming webhook "
                                                "NAME\".")),
    "IncomingHook": obj(["id", "channel_id", "name", "created_at", "last_used_at", "bot"],
                        id=ID, channel_id=ID, name=STR, created_at=TIME, last_used_at=TIME_N,
                        bot=ref("UserRef")),
    "IncomingHookCreated": {"allOf": [ref("IncomingHook"), obj(
        ["token", "url"], token=t("string", description="The secret; shown only now."),
        url=t("string", description="POST Slack payloads here; shown only now."))]},
    "IncomingHookList": obj(["hooks"], hooks=arr(ref("IncomingHook"))),
    "OutgoingHook": obj(["id", "channel_id", "name", "url", "trigger_words", "events",
                         "created_at", "bot"],
                        id=ID, channel_id=ID, name=STR, url=STR, trigger_words=arr(STR),
                        events=arr(STR), created_at=TIME, bot=ref("UserRef")),
    "OutgoingHookCreated": {"allOf": [ref("OutgoingHook"), obj(
        ["secret"], secret=t("string", description="HMAC-SHA256 signing key; shown only "
                                                   "now."))]},
    "OutgoingHookList": obj(["hooks"], hooks=arr(ref("OutgoingHook"))),
    "Delivery": obj(["id", "delivery_id", "hook_id", "channel_id", "event", "event_id", "state",
                     "attempts", "created_at", "next_at", "done_at", "last_status",
                     "last_error"],
                    id=ID, delivery_id=t("string", format="uuid"), hook_id=ID, channel_id=ID,
                    event=STR, event_id=t("integer", True),
                    state=t("string", enum=["pending", "delivered", "failed"]),
                    attempts=t("integer", minimum=0), created_at=TIME, next_at=TIME_N,
                    done_at=TIME_N, last_status=t("integer", True),
                    last_error=t("string", True)),
    "DeliveryList": obj(["deliveries"], deliveries=arr(ref("Delivery"))),
    "Bot": obj(["id", "username", "display_name"], id=ID, username=STR, display_name=STR,
               owner_id=ID, created_at=TIME, deactivated=BOOL),
    "BotList": obj(["bots"], bots=arr(ref("Bot"))),
    "BotToken": obj(["id", "bot_id", "token", "name"], id=ID, bot_id=ID,
                    token=t("string", description="Shown only now."), name=STR),
    "Command": obj(["id", "command", "url", "description", "created_at", "bot"], id=ID,
                   command=t("string", pattern="^[a-z0-9_-]{1,32}$"), url=STR, description=STR,
                   created_at=TIME, bot=ref("UserRef")),
    "CommandCreated": {"allOf": [ref("Command"), obj(
        ["token"], token=t("string", description="Slack's verification token, sent with "
                                                 "every call; shown only now."))]},
    "CommandList": obj(["commands"], commands=arr(ref("Command"))),
    "CommandResult": obj(["response_type"],
                         response_type=t("string", enum=["ephemeral", "in_channel"]),
                         message={"description": "What was posted or changed (in_channel, "
                                                 "/invite).", "type": "object"},
                         text=t("string", description="An ephemeral answer, Markdown."),
                         html=t("string", description="The same rendered.")),
}


TAGS = [
    {"name": "System", "description": "Health, version, metrics and this description."},
    {"name": "Auth", "description": "Accounts, sessions, tokens, second factors, single sign-on."},
    {"name": "Users", "description": "Profiles and the user directory."},
    {"name": "Channels", "description": "Channels, DMs, members and read markers."},
    {"name": "Messages", "description": "Messages, threads, reactions, pins and search."},
    {"name": "Events", "description": "Live events and notifications."},
    {"name": "Files", "description": "Uploads (whole, or resumable by Content-Range), "
                                     "attachments and downloads."},
    {"name": "Admin", "description": "User administration, invites and the WAF."},
    {"name": "Integrations", "description": "Incoming and outgoing webhooks (docs/INTEGRATIONS.md)."},
    {"name": "AI", "description": "Catch-up summaries, ask, translate, AI settings and the "
                                  "AI administration (audit, review queue, insights); "
                                  "docs/AI.md."},
]

# Error statuses an operation may answer besides those its policy implies
# (fcgi/openapi.c adds 401, 403, 413 and 429 from the route's columns).
ERRORS = {"400": "Invalid input (see error_code).", "401": "Not signed in.",
          "403": "Not allowed (AUTH_FORBIDDEN, AUTH_NOT_CHANNEL_MEMBER, AUTH_NOT_AUTHOR, "
                 "SECURITY_CSRF, SECURITY_CROSS_SITE).",
          "404": "No such resource, or one the caller may not see.",
          "409": "Conflict (VALIDATION_CONFLICT, VALIDATION_CHANNEL_ARCHIVED, "
                 "VALIDATION_IDEMPOTENCY_MISMATCH).", "410": "Gone (deleted message, pruned events).",
          "413": "Body too large.", "415": "Unsupported content type.",
          "422": "Understood but refused (see error_code).",
          "429": "Rate limited.", "500": "Internal error.",
          "501": "Not offered by this server (SYSTEM_WS_UNAVAILABLE: no plexichat-ws).",
          "502": "An upstream service (identity provider, directory) failed.",
          "507": "No space left (FILES_QUOTA_TOTAL, STORAGE_FULL).",
          "503": "Unavailable.",
          "504": "An upstream service (identity provider) did not answer in time."}

OPS = {}


def p_in(name, where, schema, desc, required=False):
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": desc}


def q(name, schema, desc, required=False):
    return p_in(name, "query", schema, desc, required)


def api(method, pattern, op_id, summary, ok, ok_schema=None, params=(), body=None,
        errors=(), tag="Messages", path=None, content_type="application/json", extra=None):
    """Declares the operation for one route. ok is the success status,
    ok_schema its JSON body (None: no body). path maps path parameter names
    to descriptions. extra adds more success responses {status: schema}."""
    key = method + " " + pattern
    assert key not in OPS, key
    o = {"operationId": op_id, "summary": summary, "tags": [tag], "parameters": list(params),
         "responses": {}, "errors": list(errors), "path": path or {}}

    def success(code, schema):
        if schema is None:
            return {"description": "Done."}
        return {"description": "Success.", "content": {content_type: {"schema": schema}}}
    o["responses"][ok] = success(ok, ok_schema)
    for code, schema in (extra or {}).items():
        o["responses"][code] = success(code, schema)
    if body is not None:
        o["requestBody"] = {"required": True,
                            "content": {"application/json": {"schema": body}}}
    OPS[key] = o


def body(required, **props):
    return obj(required, **props)


def header(key, status, name, schema, desc):
    """Documents response header name of status of operation key."""
    OPS[key]["responses"][status].setdefault("headers", {})[name] = {
        "schema": schema, "description": desc}


def redirect(key, status, desc):
    """A redirect answer of operation key: no body, Location desc."""
    OPS[key]["responses"][status]["description"] = "Redirect to " + desc
    header(key, status, "Location", STR, desc)


LIMIT = q("limit", t("integer", minimum=1, maximum=200), "Page size (default 50).")
CH = "/api/v1/channels/{id:int}"
MSG = CH + "/messages/{mid:int}"
W = ("400", "404", "409")
CP = {"id": "Channel id."}
MP = {"id": "Channel id.", "mid": "Message id."}
USERP = dict(CP, user="User id or name.")
EMOJIP = dict(MP, emoji="One emoji.")

# --- Channels -------------------------------------------------------------
api("GET", "/api/v1/channels", "listChannels",
    "My channels with unread and mention counts (browse=1: public channels not joined).",
    "200", arr(ref("Channel")), [q("browse", t("string", enum=["1"]), "List joinable channels.")],
    errors=("400",), tag="Channels")
api("POST", "/api/v1/channels", "createChannel",
    "Create a channel, DM (returned when it exists) or group DM.", "201", ref("Channel"),
    body=body([], kind=t("string", enum=["public", "private", "dm", "group"]),
              name=t("string", pattern="^[a-z0-9_-]{1,80}$"), topic=t("string", maxLength=250),
              members=arr({"oneOf": [ID, STR]})),
    errors=W, tag="Channels", extra={"200": ref("Channel")})
api("GET", CH, "getChannel", "One channel.", "200", ref("Channel"), errors=("404",),
    tag="Channels", path=CP)
api("PATCH", CH, "updateChannel",
    "Rename, set the topic, archive or unarchive; owners and admins set how many days the "
    "channel's files are kept (files_retention_days, null: keep).", "200",
    ref("Channel"), body=body([], name=STR, topic=STR, archived=BOOL,
                              files_retention_days=t("integer", True, minimum=1, maximum=36500)),
    errors=W, tag="Channels", path=CP)
api("PUT", CH + "/topic", "setTopic", "Set the topic.", "200", ref("Channel"),
    body=body(["topic"], topic=t("string", maxLength=250)), errors=W, tag="Channels", path=CP)
api("GET", CH + "/members", "listMembers", "Members with role and presence.", "200",
    arr(ref("Member")), errors=("404",), tag="Channels", path=CP)
api("POST", CH + "/members", "addMember", "Join (no user) or invite a user.", "201",
    ref("Member"), body=body([], user={"oneOf": [ID, STR]}), errors=W, tag="Channels", path=CP,
    extra={"200": ref("Member")})
api("PUT", CH + "/members/{user}", "putMember", "Add a member.", "201", ref("Member"),
    errors=W, tag="Channels", path=USERP, extra={"200": ref("Member")})
api("PATCH", CH + "/members/{user}", "setMemberRole", "Change a member's channel role.",
    "200", ref("Member"), body=body(["role"], role=t("string", enum=["owner", "moderator",
                                                                      "member"])),
    errors=W, tag="Channels", path=USERP)
api("DELETE", CH + "/members/{user}", "removeMember", "Leave (oneself) or remove a member.",
    "204", errors=W, tag="Channels", path=USERP)
api("PUT", CH + "/read-marker", "setReadMarker", "Move the read marker forward.", "200",
    ref("ReadMarker"), body=body([], message_id=INT), errors=W, tag="Channels", path=CP)
api("POST", CH + "/typing", "typing", "Tell members you are typing (not stored).", "204",
    errors=W, tag="Channels", path=CP)

# --- Messages -------------------------------------------------------------
api("GET", CH + "/pins", "listPins", "Pinned messages.", "200", arr(ref("Message")),
    errors=("404",), path=CP)
api("GET", CH + "/messages", "listMessages", "Top-level messages, oldest first, by cursor.",
    "200", ref("MessagePage"),
    [LIMIT, q("before", ID, "Messages before this id."), q("after", ID, "Messages after this id."),
     q("around", ID, "Messages around this id.")], errors=("400", "404"), path=CP)
api("POST", CH + "/messages", "postMessage",
    "Post (Markdown); Idempotency-Key makes retries safe.", "201", ref("Message"),
    [p_in("Idempotency-Key", "header", t("string", maxLength=128), "Client retry key.")],
    body([], body=t("string", description="Markdown, at most message_max_length "
                    "characters; required unless file_ids names at least one file."),
         thread_root_id=ID, idempotency_key=t("string", maxLength=128),
         file_ids=t("array", items=ID, maxItems=10,
                    description="Draft files of the author to attach (POST /api/v1/files)."),
         unfurl_links=t("boolean", description="false: no link preview for this message "
                        "(as Slack's chat.postMessage; default true)."),
         unfurl_media=t("boolean", description="false: the link preview shows no image "
                        "(default true).")),
    errors=W + ("422",), path=CP, extra={"200": ref("Message"), "202": ref("AiHeldPost")})
api("GET", CH + "/messages/search", "searchChannel", "Search one channel.", "200",
    ref("SearchResults"), [q("q", STR, "Query.", True)], errors=("400", "404"), path=CP)
api("GET", MSG, "getMessage", "One message.", "200", ref("Message"), errors=("404",), path=MP)
api("PATCH", MSG, "editMessage", "Edit one's own message (history kept).", "200",
    ref("Message"), body=body(["body"], body=STR), errors=W + ("410",), path=MP)
api("DELETE", MSG, "deleteMessage", "Delete (a tombstone stays).", "200", ref("Message"),
    errors=W + ("410",), path=MP)
api("GET", MSG + "/history", "messageHistory", "Earlier versions.", "200", ref("History"),
    errors=("404",), path=MP)
api("GET", MSG + "/thread", "thread", "A thread: root and replies.", "200", ref("Thread"),
    [LIMIT, q("after", ID, "Replies after.")], errors=("400", "404"), path=MP)
api("PUT", MSG + "/thread/follow", "followThread", "Follow a thread.", "204", errors=W, path=MP)
api("DELETE", MSG + "/thread/follow", "unfollowThread", "Unfollow a thread.", "204",
    errors=W, path=MP)
api("PUT", MSG + "/pin", "pin", "Pin.", "200", ref("Message"), errors=W, path=MP)
api("DELETE", MSG + "/pin", "unpin", "Unpin.", "200", ref("Message"), errors=W, path=MP)
api("GET", MSG + "/reactions", "listReactions", "Reactions with who reacted.", "200",
    arr(ref("Reaction")), errors=("404",), path=MP)
api("POST", MSG + "/reactions", "toggleReaction", "Toggle one's reaction.", "200",
    ref("ReactionResult"), body=body(["emoji"], emoji=STR), errors=W + ("410",), path=MP)
api("PUT", MSG + "/reactions/{emoji}", "addReaction", "Add a reaction.", "200",
    ref("ReactionResult"), errors=W + ("410",), path=EMOJIP)
api("DELETE", MSG + "/reactions/{emoji}", "removeReaction", "Remove a reaction.", "200",
    ref("ReactionResult"), errors=W + ("410",), path=EMOJIP)
api("GET", "/api/v1/search", "search",
    "Search every channel one belongs to. Filters: in:channel from:user before:YYYY-MM-DD "
    "after:YYYY-MM-DD is:pinned.", "200", ref("SearchResults"),
    [q("q", STR, "Query.", True),
     q("limit", t("integer", minimum=1, maximum=100), "Results (default 20).")], errors=("400",))

# --- Events and notifications --------------------------------------------
api("GET", "/api/v1/events", "events",
    "Server-sent events over all of one's channels; with after=ID a long-poll.", "200",
    ref("EventPoll"),
    [p_in("Last-Event-ID", "header", STR, "Resume after this event."),
     q("last_event_id", ID, "Resume after this event (SSE)."),
     q("after", t("integer", minimum=0), "Long-poll cursor."),
     q("wait", t("integer", minimum=0, maximum=25), "Seconds."),
     q("limit", t("integer", minimum=1, maximum=500), "Events.")],
    errors=("400", "410", "503"), tag="Events")
OPS["GET /api/v1/events"]["responses"]["200"]["content"]["text/event-stream"] = {"schema": STR}
api("GET", "/api/v1/events/ws", "eventsWebSocket",
    "The same events over a WebSocket (RFC 6455), served by plexichat-ws; the client sends typing "
    "and read markers as frames. A plain GET (no handshake) answers 200 {websocket: true|false}: "
    "whether this server offers it. See docs/API.md.", "101", None,
    [q("last_event_id", ID, "Resume after this event."),
     p_in("Last-Event-ID", "header", STR, "Resume after this event."),
     p_in("Sec-WebSocket-Key", "header", STR, "The handshake's key.", True),
     p_in("Origin", "header", STR, "This site's origin (needed with a session cookie).")],
    errors=("400", "403", "429", "501", "503"), tag="Events",
    extra={"200": obj(["websocket"], websocket=BOOL)})
api("GET", "/api/v1/notifications", "listNotifications", "Notifications, newest first.", "200",
    ref("NotificationList"), [LIMIT, q("unread", t("string", enum=["1"]), "Unread only."),
                              q("before", ID, "Older than this id.")],
    errors=("400",), tag="Events")
api("POST", "/api/v1/notifications/read", "markNotificationsRead",
    "Mark listed ids (or all) read.", "200", ref("NotificationsMarked"),
    body=body([], ids=arr(ID), all=BOOL), errors=("400",), tag="Events")
api("PUT", "/api/v1/notifications/{nid:int}/read", "markNotificationRead", "Mark one read.",
    "200", ref("NotificationsMarked"), errors=("404",), tag="Events",
    path={"nid": "Notification id."})

# --- Notifications away from the app (e-mail digests, Web Push) ----------
NOTIFY_SETTINGS = obj(["mail_minutes", "push", "desktop", "mail_delays", "mail_available", "has_email"],
                      mail_minutes=t("integer", enum=[0, 5, 15, 60, 240, 1440]), push=BOOL,
                      desktop=BOOL, mail_delays=arr(INT), mail_available=BOOL, has_email=BOOL)
api("GET", "/api/v1/notifications/settings", "getNotifySettings",
    "E-mail digest delay (0: off), Web Push and the web UI's desktop notifications on or off.", "200",
    NOTIFY_SETTINGS, tag="Events")
api("PATCH", "/api/v1/notifications/settings", "setNotifySettings",
    "Change the e-mail digest delay, Web Push or desktop notifications.", "200", NOTIFY_SETTINGS,
    body=body([], mail_minutes=t("integer", enum=[0, 5, 15, 60, 240, 1440]), push=BOOL, desktop=BOOL),
    errors=("400",), tag="Events")
api("GET", "/api/v1/push/key", "pushKey", "The server's VAPID public key (base64url).", "200",
    obj(["public_key"], public_key=STR), tag="Events")
api("GET", "/api/v1/push/subscriptions", "listPushSubscriptions", "One's push devices.", "200",
    obj(["subscriptions"], subscriptions=arr(obj(
        ["id", "endpoint", "user_agent", "created_at", "last_ok_at"], id=ID, endpoint=STR,
        user_agent=STR, created_at=STR, last_ok_at=t("string", nullable=True)))),
    tag="Events")
api("POST", "/api/v1/push/subscriptions", "addPushSubscription",
    "Save a browser PushSubscription (its toJSON()).", "201", obj(["id"], id=ID),
    body=body(["endpoint", "keys"], endpoint=STR, expirationTime=t("integer", nullable=True),
              keys=obj(["p256dh", "auth"], p256dh=STR, auth=STR)),
    errors=("400",), tag="Events")
api("DELETE", "/api/v1/push/subscriptions/{id:int}", "deletePushSubscription",
    "Forget a push device.", "200", obj(["deleted"], deleted=BOOL), errors=("404",),
    tag="Events", path={"id": "Subscription id."})

# --- Files ----------------------------------------------------------------
FILES = "/api/v1/files"
FILE_P = {"fid": "File id."}
UPLOAD_P = {"id": "Upload id (from POST /api/v1/files/uploads)."}
UPLOAD_ERR = ("400", "404", "409", "413", "415", "422", "507")
CHANNEL_Q = q("channel_id", ID, "Channel the file is for; without it, a draft of yours.")
api("POST", FILES, "uploadFile",
    "Upload one file as multipart/form-data (part \"file\", optional field channel_id). "
    "The body streams to disk; type from content (libmagic) must agree with the name and the "
    "declared type.", "201", ref("File"), errors=UPLOAD_ERR, tag="Files")
OPS["POST " + FILES]["requestBody"] = {"required": True, "content": {"multipart/form-data": {
    "schema": obj(["file"], file=t("string", contentMediaType="application/octet-stream"),
                  channel_id=ID)}}}
api("PUT", FILES, "uploadFileRaw", "Upload one file as the raw request body (scripts, bots).",
    "201", ref("File"), [q("name", t("string", minLength=1, maxLength=255), "File name.", True),
                         CHANNEL_Q], errors=UPLOAD_ERR, tag="Files")
OPS["PUT " + FILES]["requestBody"] = {"required": True, "content": {"application/octet-stream": {
    "schema": t("string", contentMediaType="application/octet-stream")}}}
api("POST", FILES + "/uploads", "createUpload",
    "Start a resumable upload; send the bytes with PATCH and Content-Range.", "201",
    ref("Upload"), body=body(["name", "size"], name=t("string", minLength=1, maxLength=255),
                             size=t("integer", minimum=1), type=STR, channel_id=ID),
    errors=("400", "404", "413", "422", "507"), tag="Files")
header("POST " + FILES + "/uploads", "201", "Location", STR, "The upload's URL.")
api("GET", FILES + "/uploads/{id:int}", "uploadStatus",
    "How many bytes the server has (also in Upload-Offset); resume from there.", "200",
    ref("Upload"), errors=("404",), tag="Files", path=UPLOAD_P)
UPLOAD_BODY = {"required": True, "content": {"application/offset+octet-stream": {
    "schema": t("string", contentMediaType="application/octet-stream")}}}
for m, op_id in (("PATCH", "appendUpload"), ("PUT", "appendUploadPut")):
    api(m, FILES + "/uploads/{id:int}", op_id,
        "Append bytes at the server's offset (Content-Range: bytes first-last/size; first must "
        "be the offset, else 409 FILES_OFFSET_MISMATCH with details.offset). Bytes of a cut "
        "connection are kept. The last piece answers 201 with the file.", "200", ref("Upload"),
        [p_in("Content-Range", "header", STR, "bytes first-last/size", True)],
        errors=UPLOAD_ERR, tag="Files", path=UPLOAD_P, extra={"201": ref("File")})
    OPS[m + " " + FILES + "/uploads/{id:int}"]["requestBody"] = UPLOAD_BODY
api("DELETE", FILES + "/uploads/{id:int}", "cancelUpload", "Cancel a resumable upload.", "200",
    t("object"), errors=("404",), tag="Files", path=UPLOAD_P)
api("GET", FILES + "/{fid:int}", "getFile", "A file's metadata.", "200", ref("File"),
    errors=("404",), tag="Files", path=FILE_P)
api("GET", FILES + "/{fid:int}/content", "downloadFile",
    "The bytes, sent by the web server (X-Sendfile) after PlexiChat checks access: Range, "
    "ETag (the SHA-256), If-None-Match (304), Content-Disposition with a safe name; active "
    "types (HTML, SVG, XML, PDF) always as attachments.", "200",
    t("string", contentMediaType="application/octet-stream"), errors=("404",), tag="Files",
    path=FILE_P, content_type="application/octet-stream", extra={"206": None, "304": None})
OPS["GET " + FILES + "/{fid:int}/content"]["responses"]["200"]["content"] = {
    "*/*": {"schema": t("string")}}
OPS["GET " + FILES + "/{fid:int}/content"]["responses"]["206"] = {
    "description": "The requested range (Content-Range).", "content": {"*/*": {"schema": STR}}}
OPS["GET " + FILES + "/{fid:int}/content"]["responses"]["304"]["description"] = \
    "Not modified (If-None-Match matched the ETag)."
api("GET", FILES + "/{fid:int}/signed", "downloadFileSigned",
    "The bytes named by a signed URL (the \"signed\" member of the file's metadata): no "
    "session; the web server's script (lighttpd) or PlexiChat checks the HMAC and the expiry "
    "and answers with the content route's headers, Range and If-None-Match included. 403 "
    "FILES_URL_INVALID for a URL not made by this server or changed, 410 FILES_URL_EXPIRED "
    "after its expiry.", "200", t("string", contentMediaType="application/octet-stream"),
    [q(n, STR, d, True) for n, d in (
        ("o", "The stored object (SHA-256 hex)."), ("m", "Last-Modified, Unix seconds."),
        ("e", "Expiry, Unix seconds."), ("t", "Content-Type, base64url."),
        ("d", "Content-Disposition, base64url."), ("s", "HMAC-SHA256, hex."))],
    errors=("403", "404", "410"), tag="Files", path=FILE_P,
    content_type="application/octet-stream", extra={"206": None, "304": None})
OPS["GET " + FILES + "/{fid:int}/signed"]["responses"]["200"]["content"] = {
    "*/*": {"schema": t("string")}}
OPS["GET " + FILES + "/{fid:int}/signed"]["responses"]["206"] = {
    "description": "The requested range (Content-Range).", "content": {"*/*": {"schema": STR}}}
OPS["GET " + FILES + "/{fid:int}/signed"]["responses"]["304"]["description"] = \
    "Not modified (If-None-Match matched the ETag)."
api("DELETE", FILES + "/{fid:int}", "deleteFile",
    "Delete a file: its owner, a channel owner or moderator, or an admin.", "200",
    t("object"), errors=("404",), tag="Files", path=FILE_P)
WEBP = {"image/webp": {"schema": t("string", contentMediaType="image/webp")}}
api("GET", FILES + "/{fid:int}/thumbnail", "fileThumbnail",
    "An image's thumbnail (WebP in 400x400) or, with size=preview, its preview (WebP in "
    "1280x1280), without the original's metadata; authorised as the content. 404 for files "
    "that are not images.", "200", None,
    [q("size", t("string", enum=["thumb", "preview"]), "Which one (default thumb).")],
    errors=("400", "404"), tag="Files", path=FILE_P, extra={"304": None})
OPS["GET " + FILES + "/{fid:int}/thumbnail"]["responses"]["200"]["content"] = WEBP
api("PUT", "/api/v1/users/me/avatar", "setAvatar",
    "Upload one's avatar (raw image body or multipart part \"file\"): cut to a centred "
    "square, kept as 256 and 64 px WebP.", "200", ref("User"),
    errors=("400", "413", "415", "422"), tag="Users")
OPS["PUT /api/v1/users/me/avatar"]["requestBody"] = {"required": True, "content": {
    "image/*": {"schema": t("string", contentMediaType="application/octet-stream")},
    "multipart/form-data": {"schema": obj(["file"], file=t(
        "string", contentMediaType="application/octet-stream"))}}}
api("DELETE", "/api/v1/users/me/avatar", "deleteAvatar", "Remove one's avatar.", "200",
    ref("User"), tag="Users")
api("GET", "/api/v1/users/{id:int}/avatar", "getAvatar",
    "A user's avatar (WebP); 404 when they have none.", "200", None,
    [q("size", t("string", enum=["64", "256"]), "Pixels (default 256)."),
     q("v", STR, "The version in avatar_url: the answer may then be cached for good.")],
    errors=("400", "404"), tag="Users", path={"id": "User id."}, extra={"304": None})
OPS["GET /api/v1/users/{id:int}/avatar"]["responses"]["200"]["content"] = WEBP
api("GET", "/api/v1/channels/{id:int}/files", "listChannelFiles",
    "Files of a channel, newest first, by cursor.", "200", ref("FileList"),
    [LIMIT, q("before", ID, "Files older than this id.")], errors=("400", "404"), tag="Files",
    path=CP)

# --- System ---------------------------------------------------------------
api("GET", "/api/v1/openapi.json", "openapi", "This description.", "200", t("object"),
    tag="System")
api("GET", "/api/v1/system/health", "health",
    "Liveness and the database check (503 in the error format, checks as details, when the "
    "database is down).", "200", ref("Health"), tag="System")
api("GET", "/api/v1/system/ready", "ready",
    "Readiness for load balancers: 200 while this node takes requests; 503 SYSTEM_DRAINING while "
    "it is drained, SYSTEM_SHUTTING_DOWN while it stops, SYSTEM_DB_UNAVAILABLE without the "
    "database.", "200", ref("Ready"), errors=("503",), tag="System")
api("GET", "/api/v1/system/version", "version", "Name and version.", "200", ref("Version"),
    tag="System")
api("GET", "/api/v1/system/metrics", "metrics",
    "Prometheus metrics (text format 0.0.4); admins, or any caller on loopback.", "200",
    t("string"), tag="System", content_type="text/plain")


AUTH = "/api/v1/auth"
TOKEN_P = {"id": "Token id."}
SESSION_P = {"id": "Session id."}
CRED_P = {"id": "Passkey id (not the credential id)."}
NEXT = t("string", minLength=1, maxLength=512,
         description="A local path to go to; form posts get 303 to it.")
PASSWORD = t("string", minLength=1, maxLength=4096)
NEW_PASSWORD = t("string", maxLength=4096, description="Checked by the password policy "
                 "(VALIDATION_WEAK_PASSWORD with details.reason).")

# --- Auth: accounts and sessions ------------------------------------------
api("POST", AUTH + "/register", "register",
    "Create an account (open, by invite or closed by configuration) and sign in.", "201",
    ref("Registered"),
    body=body(["username", "password"],
              username=t("string", minLength=1, maxLength=256, description="3-32 "
                         "characters after NFKC; see docs/API.md, Validation."),
              password=NEW_PASSWORD, email=t("string", maxLength=512),
              display_name=t("string", maxLength=256, description="1-64 characters; "
                             "default the username."),
              invite=t("string", maxLength=128, description="Required when registration "
                       "is by invite.")),
    errors=("400", "403", "409"), tag="Auth")
api("POST", AUTH + "/login", "login",
    "Sign in with a password (and second factor); also LDAP accounts.", "200",
    ref("SignedIn"),
    body=body(["password"],
              username=t("string", minLength=1, maxLength=256,
                         description="Or email; one of them is required."),
              email=t("string", minLength=1, maxLength=256),
              password=PASSWORD,
              code=t("string", minLength=1, maxLength=64,
                     description="TOTP or recovery code when MFA is on."),
              webauthn=obj(["credential"], credential=ref("PublicKeyCredential")),
              trust_device=t("boolean", description="Skip the code on this browser for 30 "
                             "days."),
              next=NEXT),
    errors=("400", "401", "403", "409"), tag="Auth", extra={"303": None})
redirect("POST " + AUTH + "/login", "303", "next (form posts).")
api("POST", AUTH + "/password/forgot", "forgotPassword",
    "Mail a single-use reset link; the same answer whether or not the account exists.",
    "202", ref("Done"),
    body=body(["email"], email=t("string", minLength=1, maxLength=256,
                                 description="E-mail address or username.")),
    errors=("400",), tag="Auth")
api("POST", AUTH + "/password/reset", "resetPassword",
    "Set a new password with a reset token; every session ends.", "200", ref("Done"),
    body=body(["token", "new_password"], token=t("string", minLength=1, maxLength=128),
              new_password=NEW_PASSWORD),
    errors=("400", "401", "403"), tag="Auth")
api("GET", AUTH + "/oidc/providers", "oidcProviders", "Configured OpenID Connect providers.",
    "200", ref("OidcProviders"), tag="Auth")
api("GET", AUTH + "/oidc/{name:slug}/start", "oidcStart",
    "Start an OpenID Connect sign-in: 302 to the provider, with the state cookie.", "302",
    None, [q("next", STR, "A local path to go to afterwards.")],
    errors=("404", "502", "504"), tag="Auth", path={"name": "Provider name."})
redirect("GET " + AUTH + "/oidc/{name:slug}/start", "302",
         "the provider's authorization endpoint.")
api("GET", AUTH + "/oidc/{name:slug}/callback", "oidcCallback",
    "The provider's redirect: 303 to next with the session cookie (or to /login/verify "
    "when a second factor is due); 200 JSON like login with Accept: application/json.",
    "303", None,
    [q("state", STR, "State from start (must match the state cookie)."),
     q("code", STR, "Authorization code."), q("error", STR, "Set by the provider on failure.")],
    errors=("401", "403", "404", "409", "502", "504"), tag="Auth",
    path={"name": "Provider name."}, extra={"200": ref("SignedIn")})
redirect("GET " + AUTH + "/oidc/{name:slug}/callback", "303",
         "next, or to /login/verify when a second factor is due.")
api("POST", AUTH + "/logout", "logout", "End this session and clear the cookie.", "200",
    ref("Done"), tag="Auth")
api("GET", AUTH + "/me", "me", "Who am I: the account, the session and its CSRF token.",
    "200", ref("Me"), tag="Auth")
api("GET", AUTH + "/csrf", "csrf", "The CSRF token of this session (sessions only).", "200",
    ref("Csrf"), tag="Auth")
api("POST", AUTH + "/password", "changePassword",
    "Change one's password (needs the current one); other sessions end.", "200", ref("Done"),
    body=body(["current_password", "new_password"], current_password=PASSWORD,
              new_password=NEW_PASSWORD),
    errors=("400",), tag="Auth")
api("GET", AUTH + "/sessions", "listSessions", "One's active sessions.", "200",
    ref("SessionList"), tag="Auth")
api("DELETE", AUTH + "/sessions/{id:int}", "revokeSession", "End one of one's sessions.",
    "200", ref("Revoked"), errors=("404",), tag="Auth", path=SESSION_P)
api("POST", AUTH + "/sessions/revoke-others", "revokeOtherSessions",
    "End every session but this one.", "200", ref("RevokedCount"), tag="Auth")
api("GET", AUTH + "/tokens", "listTokens", "One's personal access tokens.", "200",
    ref("TokenList"), tag="Auth")
api("POST", AUTH + "/tokens", "createToken",
    "Create a personal access token (shown once), with scopes within one's role.", "201",
    ref("TokenCreated"),
    body=body(["name", "scopes"], name=t("string", minLength=1, maxLength=100),
              scopes=t("string", minLength=1, maxLength=100,
                       description="Comma-separated: read, write, admin (admins only)."),
              expires_days=t("integer", minimum=0, maximum=3650,
                             description="0 or absent: no expiry.")),
    tag="Auth")
api("DELETE", AUTH + "/tokens/{id:int}", "revokeToken", "Revoke a personal access token.",
    "200", ref("Revoked"), errors=("404",), tag="Auth", path=TOKEN_P)

# --- Auth: second factors ---------------------------------------------------
api("GET", AUTH + "/mfa", "mfaStatus", "Whether TOTP is on, and recovery codes left.", "200",
    ref("MfaStatus"), tag="Auth")
api("POST", AUTH + "/mfa/enroll", "mfaEnroll",
    "Start TOTP enrolment: a new secret, confirmed by /mfa/confirm.", "201",
    ref("MfaEnrolment"), errors=("409",), tag="Auth")
api("POST", AUTH + "/mfa/confirm", "mfaConfirm",
    "Confirm enrolment with a code; answers ten recovery codes.", "200", ref("MfaEnabled"),
    body=body(["code"], code=t("string", minLength=1, maxLength=16)),
    errors=("409",), tag="Auth")
api("POST", AUTH + "/mfa/disable", "mfaDisable",
    "Turn TOTP off (password and a code or recovery code).", "200", ref("Done"),
    body=body(["password", "code"], password=PASSWORD,
              code=t("string", minLength=1, maxLength=32)),
    tag="Auth")
api("GET", AUTH + "/devices", "listDevices", "Trusted devices (that skip the code).",
    "200", ref("DeviceList"), tag="Auth")
api("DELETE", AUTH + "/devices/{id:int}", "revokeDevice", "Forget a trusted device.", "200",
    ref("Done"), errors=("404",), tag="Auth", path={"id": "Device id."})

# --- Auth: passkeys (WebAuthn) ----------------------------------------------
api("POST", AUTH + "/webauthn/register/options", "passkeyRegisterOptions",
    "Creation options for a new passkey (409 at 20 passkeys).", "200",
    ref("PasskeyCreation"), errors=("409",), tag="Auth")
api("POST", AUTH + "/webauthn/register/verify", "passkeyRegisterVerify",
    "Register the new passkey; recovery codes when the account had none left.", "201",
    ref("PasskeyRegistered"),
    body=body(["credential"], credential=ref("PublicKeyCredential"),
              name=t("string", minLength=1, maxLength=64, description="Default "
                     "\"Passkey\".")),
    errors=("409",), tag="Auth")
api("POST", AUTH + "/webauthn/login/options", "passkeyLoginOptions",
    "Request options for a passwordless sign-in (discoverable keys).", "200",
    ref("PasskeyRequest"), tag="Auth")
api("POST", AUTH + "/webauthn/login/verify", "passkeyLoginVerify",
    "Sign in with a passkey alone; answers as login.", "200", ref("SignedIn"),
    body=body(["credential"], credential=ref("PublicKeyCredential"), next=NEXT),
    errors=("401",), tag="Auth", extra={"303": None})
redirect("POST " + AUTH + "/webauthn/login/verify", "303", "next (form posts).")
api("GET", AUTH + "/webauthn/credentials", "listPasskeys", "One's passkeys.", "200",
    ref("PasskeyList"), tag="Auth")
api("PATCH", AUTH + "/webauthn/credentials/{id:int}", "renamePasskey", "Rename a passkey.",
    "200", ref("Done"), body=body(["name"], name=t("string", minLength=1, maxLength=64)),
    errors=("404",), tag="Auth", path=CRED_P)
api("DELETE", AUTH + "/webauthn/credentials/{id:int}", "deletePasskey", "Remove a passkey.",
    "200", ref("Done"), errors=("404",), tag="Auth", path=CRED_P)

# --- Users -------------------------------------------------------------------
USERS_Q = [q("q", t("string", maxLength=100), "Part of the username or display name."),
           q("limit", t("integer", minimum=1, maximum=200), "Page size (default 50)."),
           q("offset", t("integer", minimum=0, maximum=1000000), "Skip this many.")]
api("GET", "/api/v1/users", "listUsers", "The directory of active accounts, by username.",
    "200", ref("UserList"), USERS_Q, errors=("400",), tag="Users")
api("GET", "/api/v1/users/{id:int}", "getUser",
    "One account; e-mail and status only for oneself and admins.", "200", ref("User"),
    errors=("404",), tag="Users", path={"id": "User id."})
api("PATCH", "/api/v1/users/me", "updateMe", "Change one's display name, bio or e-mail.",
    "200", ref("Account"),
    body=body([], display_name=t("string", maxLength=256, description="1-64 characters."),
              bio=t("string", maxLength=500),
              email=t("string", maxLength=512, description="\"\" removes it.")),
    errors=("409",), tag="Users")
api("POST", "/api/v1/users/me/deactivate", "deactivateMe",
    "Deactivate one's account (needs the password); every session ends.", "200",
    ref("Done"), body=body(["password"], password=PASSWORD), tag="Users")

# --- People: status, channel notification level, site settings (people.c) --
api("PUT", "/api/v1/users/me/status", "setMyStatus",
    "Set one's status line and time zone (an IANA name; \"\" clears either).", "200",
    obj(["status_text", "time_zone"], status_text=STR, time_zone=STR),
    body=body([], status_text=t("string", maxLength=100), time_zone=t("string", maxLength=64)),
    errors=("400",), tag="Users")
api("PUT", "/api/v1/channels/{id:int}/notify", "setChannelNotify",
    "What a channel tells the caller: all, mentions (no unread count) or none (muted).", "200",
    obj(["channel_id", "notify"], channel_id=ID, notify=t("string", enum=["all", "mentions", "none"])),
    body=body(["level"], level=t("string", enum=["all", "mentions", "none"])),
    errors=("400", "404"), tag="Channels", path={"id": "Channel id."})
SETTINGS = obj(["default_channel"], default_channel=t(
    "string", description="The public channel new accounts join; \"\" for none."))
api("GET", "/api/v1/admin/settings", "getSiteSettings", "The site settings.", "200", SETTINGS,
    errors=(), tag="Admin")
api("PUT", "/api/v1/admin/settings", "setSiteSettings",
    "Set the site settings (the channel new accounts join).", "200", SETTINGS,
    body=body(["default_channel"], default_channel=t("string", maxLength=80)),
    errors=("400", "404"), tag="Admin")

# --- Admin: users, sessions, invites ---------------------------------------
ADMIN_U = "/api/v1/admin/users/{id:int}"
UID_P = {"id": "User id."}
api("GET", "/api/v1/admin/users", "adminListUsers",
    "Every account, deactivated ones too, with private fields.", "200", ref("AccountList"),
    USERS_Q, errors=("400",), tag="Admin")
api("PATCH", ADMIN_U, "adminUpdateUser",
    "Change an account's role or deactivate/reactivate it (only roles below one's own).",
    "200", ref("Account"),
    body=body([], role=ref("Role"), active=BOOL), errors=("404",), tag="Admin", path=UID_P)
api("POST", ADMIN_U + "/password-reset", "adminPasswordReset",
    "Issue a password reset token (mailed when possible).", "201",
    ref("PasswordResetIssued"), errors=("404",), tag="Admin", path=UID_P)
api("POST", ADMIN_U + "/mfa/reset", "adminMfaReset",
    "Remove an account's passkeys, TOTP, recovery codes and trusted devices.", "200",
    ref("MfaReset"), errors=("404",), tag="Admin", path=UID_P)
api("GET", ADMIN_U + "/sessions", "adminListSessions", "The active sessions of an account one may manage (an admin: accounts below admin).",
    "200", ref("SessionList"), errors=("404",), tag="Admin", path=UID_P)
api("DELETE", ADMIN_U + "/sessions/{sid:int}", "adminRevokeSession",
    "End one of an account's sessions.", "200", ref("Revoked"), errors=("404",),
    tag="Admin", path=dict(UID_P, sid="Session id."))
api("POST", "/api/v1/admin/invites", "createInvite",
    "A single-use invite, optionally bound to an e-mail address.", "201", ref("Invite"),
    body=body([], role=t("string", enum=["admin", "moderator", "member", "guest"],
                         description="Default member; only roles below one's own."),
              email=t("string", maxLength=254)),
    tag="Admin")

# --- Admin: WAF (fcgi/routes_admin.inc) ------------------------------------
WAF = "/api/v1/admin/waf/"
WAF_EV_Q = [q("action", t("string", pattern="^waf[.]", maxLength=40), "Only this action."),
            q("ip", STR, "Only this client address.")]
api("GET", WAF + "ip-lists", "wafListRanges", "Allow and deny ranges, by id.", "200",
    ref("WafRangeList"),
    [q("list", t("string", enum=["allow", "deny"]), "Only this list."),
     q("source", STR, "Only this source (admin, feed:NAME)."),
     q("after", t("integer", minimum=0), "Ranges after this id."),
     q("limit", t("integer", minimum=1, maximum=1000), "Page size (default 100).")],
    errors=("400",), tag="Admin")
api("POST", WAF + "ip-lists", "wafAddRange", "Add an allow or deny range.", "201",
    obj(["id", "list", "cidr", "source", "comment"], id=ID,
        list=t("string", enum=["allow", "deny"]), cidr=t("string", description="Canonical."),
        source=t("string", enum=["admin"]), comment=STR),
    body=body(["list", "cidr"], list=t("string", enum=["allow", "deny"]),
              cidr=t("string", minLength=1, maxLength=64,
                     description="IPv4/IPv6 address or CIDR range."),
              comment=t("string", maxLength=200)),
    errors=("409",), tag="Admin")
api("DELETE", WAF + "ip-lists/{id:int}", "wafDeleteRange", "Delete a range.", "200",
    obj(["deleted"], deleted=ID), errors=("404",), tag="Admin", path={"id": "Range id."})
api("GET", WAF + "blocks", "wafListBlocks", "Automatic blocks in force.", "200",
    ref("WafBlockList"), tag="Admin")
api("DELETE", WAF + "blocks/{ip}", "wafLiftBlock", "Lift an automatic block.", "200",
    obj(["lifted"], lifted=STR), errors=("400", "404"), tag="Admin",
    path={"ip": "The blocked address."})
api("GET", WAF + "events", "wafEvents", "Security events, newest first.", "200",
    ref("WafEventList"),
    WAF_EV_Q + [q("limit", t("integer", minimum=1, maximum=500), "Page size (default 50)."),
                q("before", t("integer", minimum=0), "Events before this id.")],
    errors=("400",), tag="Admin")
api("GET", WAF + "events.jsonl", "wafEventsExport",
    "Security events as JSON lines, oldest first, for a SIEM.", "200",
    t("string", description="One JSON object a line: {source: \"plexichat.waf\", id, at, "
      "action, target, ip, correlation_id, fields}."),
    WAF_EV_Q + [q("after", t("integer", minimum=0), "Events after this id."),
                q("since", t("string", maxLength=64), "Events at or after this timestamp."),
                q("limit", t("integer", minimum=1, maximum=10000), "Lines (default 1000).")],
    errors=("400",), tag="Admin", content_type="application/x-ndjson")
header("GET " + WAF + "events.jsonl", "200", "X-Next-After", t("integer", minimum=0),
       "after= of the next call.")
header("GET " + WAF + "events.jsonl", "200", "X-More", t("string", enum=["0", "1"]),
       "1 when more events follow.")
COMPLIANCE = "/api/v1/admin/compliance/export"
api("GET", COMPLIANCE, "complianceExport",
    "Chosen channels' messages as JSON lines, oldest first, for compliance archives "
    "(audited).", "200",
    t("string", description="One JSON object a line: {id, channel_id, channel, author_id, "
      "author, thread_root_id, body, created_at, edited_at, deleted}."),
    [q("channels", t("string", maxLength=2000), "Channel ids, comma-separated (1-100).",
       required=True),
     q("since", t("string", maxLength=64), "Messages created at or after this timestamp."),
     q("until", t("string", maxLength=64), "Messages created before this timestamp."),
     q("after", t("integer", minimum=0), "The cursor: X-Next-After of the previous page."),
     q("limit", t("integer", minimum=1, maximum=10000), "Lines (default 1000).")],
    errors=("400",), tag="Admin", content_type="application/x-ndjson")
header("GET " + COMPLIANCE, "200", "X-Next-After", t("integer", minimum=0),
       "after= of the next call: no message is repeated or skipped, even while others post.")
header("GET " + COMPLIANCE, "200", "X-More", t("string", enum=["0", "1"]),
       "1 when the page is full and more may follow at once.")
api("GET", WAF + "top-rules", "wafTopRules", "The rules that fired most in a window.", "200",
    ref("WafTopRules"),
    [q("hours", t("integer", minimum=1, maximum=720), "Window (default 24)."),
     q("limit", t("integer", minimum=1, maximum=100), "Rules (default 20).")],
    errors=("400",), tag="Admin")

api("GET", "/api/v1/admin/cluster/nodes", "clusterNodes",
    "The node registry: every plexichat.fcgi process with a fresh heartbeat (docs/CLUSTERING.md).",
    "200", obj(["nodes"], nodes=arr(ref("ClusterNode"))), tag="Admin")
PLUGIN = obj(["name", "version", "enabled", "granted", "all_channels", "channels", "status",
              "status_detail", "signed_by", "versions", "settings", "manifest"],
             name=STR, version=STR, enabled=BOOL, granted=arr(STR), all_channels=BOOL,
             channels=arr(INT), status=STR, status_detail=STR, signed_by=STR, versions=arr(STR),
             settings={"type": "object", "additionalProperties": STR},
             manifest={"type": "object"})
PLUGINS = obj(["plugins"], plugins=arr(PLUGIN))
PLP = {"name": "The plugin's name."}
api("GET", "/api/v1/admin/plugins", "adminPlugins",
    "The installed plugins: version, grants, channels, runtime status, settings and manifest "
    "(docs/PLUGIN_DEVELOPMENT.md).", "200", PLUGINS, tag="Admin")
api("PATCH", "/api/v1/admin/plugins/{name}/settings", "adminPluginSettings",
    "Sets (a string) or clears (null) settings the plugin's manifest declares; each value must "
    "fit the declared type, or nothing changes.", "200", PLUGINS,
    body={"type": "object", "additionalProperties": t("string", True)},
    errors=("400", "404"), tag="Admin", path=PLP)
api("PUT", "/api/v1/admin/plugins/{name}/enabled", "adminPluginEnabled",
    "Turns a plugin off, or on again with the grants and channels it had; granting and "
    "choosing channels is `plexichat-admin plugin enable`.", "200", PLUGINS,
    body=obj(["enabled"], enabled=BOOL), errors=("400", "404"), tag="Admin", path=PLP)
PRP = {"name": "The plugin's name.", "path": "One path segment the plugin interprets."}
api("GET", "/api/v1/plugins/{name}/{path}", "pluginRouteGet",
    "A plugin's own route (its \"route\" hook): the plugin sees the path, the query and who "
    "asks, and answers JSON (docs/PLUGIN_DEVELOPMENT.md).", "200", {}, errors=("404", "502"),
    tag="Integrations", path=PRP)
api("POST", "/api/v1/plugins/{name}/{path}", "pluginRoutePost",
    "A plugin's own route, with a JSON body handed to the plugin.", "200", {},
    body={"type": "object"}, errors=("404", "502"), tag="Integrations", path=PRP,
    extra={"201": {}})
# --- Integrations (fcgi/routes_hooks.inc) -----------------------------------
HK = CH + "/hooks"
HKP = dict(CP, hid="Hook id.")
api("POST", "/api/v1/hooks/{token}", "incomingWebhook",
    "Post a Slack-compatible payload (text, username, icon_url, attachments, blocks) as the "
    "hook's bot; JSON or a form with payload=. Answers \"ok\" as Slack does.", "200",
    t("string", enum=["ok"]), errors=("400", "404", "409", "413"), tag="Integrations",
    content_type="text/plain", path={"token": "The hook's secret, from its URL."})
OPS["POST /api/v1/hooks/{token}"]["requestBody"] = {"required": True, "content": {
    "application/json": {"schema": obj([], text=STR, username=STR, icon_url=STR,
                                       icon_emoji=STR, attachments=arr(t("object")),
                                       blocks=arr(t("object")),
                                       unfurl_links=t("boolean", description="false: no link "
                                                      "preview"),
                                       unfurl_media=t("boolean", description="false: a link "
                                                      "preview without its image"))},
    "application/x-www-form-urlencoded": {"schema": obj(["payload"], payload=STR)}}}
api("POST", HK + "/incoming", "createIncomingHook",
    "Make an incoming webhook (channel managers); its URL is shown only in this answer.", "201",
    ref("IncomingHookCreated"), body=body(["name"], name=t("string", minLength=1, maxLength=80)),
    errors=W, tag="Integrations", path=CP)
api("GET", HK + "/incoming", "listIncomingHooks", "The channel's incoming webhooks.", "200",
    ref("IncomingHookList"), errors=("404",), tag="Integrations", path=CP)
api("DELETE", HK + "/incoming/{hid:int}", "revokeIncomingHook", "Revoke an incoming webhook.",
    "204", errors=W, tag="Integrations", path=HKP)
api("POST", HK + "/outgoing", "createOutgoingHook",
    "Make an outgoing webhook: signed POSTs on trigger words and/or event kinds; the signing "
    "secret is shown only in this answer.", "201", ref("OutgoingHookCreated"),
    body=body(["name", "url"], name=t("string", minLength=1, maxLength=80),
              url=t("string", maxLength=2048, description="http(s), public unless allowed by "
                    "outbound_allow_private."),
              trigger_words=t("array", items=STR, maxItems=10),
              events=t("array", maxItems=10, items=t("string", enum=[
                  "message.created", "message.updated", "message.deleted", "reaction.added",
                  "reaction.removed", "member.joined", "member.left", "member.updated",
                  "channel.updated"]))),
    errors=W, tag="Integrations", path=CP)
api("GET", HK + "/outgoing", "listOutgoingHooks", "The channel's outgoing webhooks.", "200",
    ref("OutgoingHookList"), errors=("404",), tag="Integrations", path=CP)
api("DELETE", HK + "/outgoing/{hid:int}", "revokeOutgoingHook",
    "Revoke an outgoing webhook; its pending deliveries are given up.", "204", errors=W,
    tag="Integrations", path=HKP)
api("GET", HK + "/outgoing/{hid:int}/deliveries", "listHookDeliveries",
    "The hook's delivery log, newest first.", "200", ref("DeliveryList"), [LIMIT],
    errors=("400", "404"), tag="Integrations", path=HKP)
api("POST", "/api/v1/bots", "createBot",
    "Make a bot account one owns (its name ends in \"bot\"); it signs in only with tokens.",
    "201", ref("Bot"), body=body(["username"], username=t("string", minLength=3, maxLength=32),
                                 display_name=t("string", maxLength=64)),
    errors=("400", "409"), tag="Integrations")
api("GET", "/api/v1/bots", "listBots", "One's bots.", "200", ref("BotList"), tag="Integrations")
api("DELETE", "/api/v1/bots/{bid:int}", "deactivateBot",
    "Deactivate one's bot and revoke its tokens.", "204", errors=("404",), tag="Integrations",
    path={"bid": "Bot id."})
api("POST", "/api/v1/bots/{bid:int}/tokens", "createBotToken",
    "A personal access token of one's bot (scopes within one's own, never admin).", "201",
    ref("BotToken"), body=body(["name", "scopes"], name=t("string", maxLength=100),
                               scopes=t("string", description="read, write (comma-separated)"),
                               expires_days=t("integer", minimum=0, maximum=3650)),
    errors=("400", "404"), tag="Integrations", path={"bid": "Bot id."})
api("POST", "/api/v1/admin/commands", "createCommand",
    "Register a slash command answered by a service (Slack's form fields).", "201",
    ref("CommandCreated"), body=body(["command", "url"], command=t("string", maxLength=33),
                                     url=t("string", maxLength=2048),
                                     description=t("string", maxLength=200)),
    errors=("400", "409"), tag="Admin")
api("GET", "/api/v1/admin/commands", "listCommands", "Registered slash commands.", "200",
    ref("CommandList"), tag="Admin")
api("DELETE", "/api/v1/admin/commands/{cid:int}", "deleteCommand", "Remove a slash command.",
    "204", errors=("404",), tag="Admin", path={"cid": "Command id."})
api("POST", CH + "/commands", "runCommand",
    "Run /name args: built-ins /me, /shrug, /topic, /invite @user, /leave, /mute (off), "
    "/remind me in N minutes to ..., or a registered command.", "200", ref("CommandResult"),
    body=body(["text"], text=t("string", minLength=2, maxLength=4000)),
    errors=("400", "404", "409", "502"), tag="Integrations", path=CP)
api("POST", "/api/v1/commands/responses/{token}", "commandResponse",
    "A command service's delayed in_channel answer (its response_url; 5 uses, 30 minutes).",
    "200", t("string", enum=["ok"]), errors=("400", "404"), tag="Integrations",
    content_type="text/plain", path={"token": "From response_url."})
OPS["POST /api/v1/commands/responses/{token}"]["requestBody"] = {"required": True, "content": {
    "application/json": {"schema": obj(["response_type"], response_type=t(
        "string", enum=["in_channel"]), text=STR, attachments=arr(t("object")),
        blocks=arr(t("object")))}}}
api("DELETE", MSG + "/preview", "removeLinkPreview",
    "The author removes the message's link preview for good (an edit does not bring it "
    "back); emits message.updated.", "200", ref("Message"), errors=W + ("410",),
    tag="Integrations", path=MP)
api("GET", CH + "/link-previews", "getLinkPreviews", "Whether the channel shows link previews.",
    "200", ref("LinkPreviewSetting"), errors=("404",), tag="Integrations", path=CP)
api("PUT", CH + "/link-previews", "setLinkPreviews",
    "Turn the channel's link previews on or off (channel managers); off stops new ones, "
    "existing previews stay.", "200", ref("LinkPreviewSetting"),
    body=body(["enabled"], enabled=BOOL), errors=W, tag="Integrations", path=CP)
api("GET", "/api/v1/users/me/export", "exportMyData",
    "One's own data as one JSON document (an attachment): profile, channel memberships, "
    "messages (oldest first), reactions and files' metadata; no secrets. Signed-in sessions "
    "only, not tokens; rate class export; audited (user.export).", "200", ref("UserExport"),
    tag="Users")
header("GET /api/v1/users/me/export", "200", "Content-Disposition", STR,
       "attachment; filename=\"plexichat-export-user-ID.json\"")
api("GET", "/api/v1/admin/hooks/deliveries", "adminHookDeliveries",
    "Every outgoing webhook's deliveries, newest first.", "200", ref("DeliveryList"), [LIMIT],
    errors=("400",), tag="Admin")
# --- AI (docs/AI.md) --------------------------------------------------------
AI_MARK = obj(["generated", "provider", "kind", "model", "remote", "notice"],
              generated=t("boolean", const=True), provider=STR,
              kind=t("string", enum=["builtin", "openai", "anthropic", "gemini"]), model=STR,
              remote=BOOL, tokens_in=INT, tokens_out=INT,
              notice=t("string", description="Shown beside the answer: made by AI, by whom."))
AI_SOURCE = obj(["message_id", "channel_id", "url"], message_id=ID, channel_id=ID, url=STR)
AI_POINTS = arr(obj(["text", "sources"], text=STR, sources=arr(AI_SOURCE)))
SCHEMAS.update({
    "AiMarker": AI_MARK,
    "AiHeldPost": obj(["held", "review_id", "category", "message"], held=t("boolean", const=True),
                      review_id=ID, category=STR, message=STR),
    "AiSummary": obj(["channel_id", "thread_id", "unread_only", "messages_considered", "summary",
                      "points", "ai"], channel_id=ID, thread_id=INT, unread_only=BOOL,
                     messages_considered=INT, summary=STR, points=AI_POINTS, ai=ref("AiMarker")),
    "AiAnswer": obj(["question", "search", "sources", "answer", "points", "ai"], question=STR,
                    search=obj(["semantic", "fulltext", "used", "index", "provider_semantic",
                                "embed_model"], semantic=INT,
                               fulltext=INT, used=INT,
                               index=t("string", enum=["ann", "exact"],
                                       description="ann: the approximate index answered; exact: "
                                       "the exact scan (no index yet, or a stale one)."),
                               provider_semantic=t("integer", description="Candidates found among "
                                                   "the vectors of ai_embed_provider (0: none, or "
                                                   "built-in embeddings only)."),
                               embed_model=t("string", description="The model of those vectors, "
                                             "else the built-in one's (builtin-hash-256).")),
                    sources=arr(obj(["message_id", "channel_id", "author", "score", "url"],
                                    message_id=ID, channel_id=ID, author=STR, score=t("number"),
                                    url=STR)),
                    answer=STR, points=AI_POINTS, ai=ref("AiMarker")),
    "AiTranslation": obj(["message_id", "lang", "translation", "ai"], message_id=ID, lang=STR,
                         translation=STR, ai=ref("AiMarker")),
    "AiChannelSettings": obj(["channel_id", "enabled", "remote", "moderation"], channel_id=ID,
                             enabled=BOOL, remote=BOOL,
                             moderation=t("string", enum=["off", "flag", "hold", "block"])),
    "AiSettings": obj(["remote_ok", "providers", "default_provider", "enabled", "local_only",
                       "usage_today", "budgets"], remote_ok=BOOL,
                      providers=arr(obj(["name", "kind", "local", "remote", "breaker"], name=STR,
                                        kind=STR, base_url=STR, chat_model=STR, embed_model=STR,
                                        local=BOOL, remote=BOOL, has_key=BOOL,
                                        breaker=t("string", enum=["closed", "open", "half_open"]),
                                        price_in_per_1k=t("number"),
                                        price_out_per_1k=t("number"))),
                      default_provider=STR, enabled=BOOL, local_only=BOOL,
                      embed_model=t("string", description="The model of ask's embeddings: "
                                    "ai_embed_provider's, or builtin-hash-256."),
                      usage_today=t("object"), budgets=t("object")),
    "AiRecommendations": obj(["channels", "ai"], channels=arr(obj(
        ["id", "name", "topic", "score", "active_peers"], id=ID, name=STR, topic=STR, score=INT,
        active_peers=INT)), ai=ref("AiMarker")),
    "AiReviewList": obj(["items"], items=arr(obj(
        ["id", "created_at", "channel_id", "body", "action", "category", "match"], id=ID,
        created_at=TIME, channel_id=ID, channel=t("string", True), author=t("string", True),
        message_id=t("integer", True), body=STR, action=t("string", enum=["flag", "hold"]),
        category=STR, match=STR))),
    "AiReviewResult": obj(["id", "status", "action", "message"], id=ID,
                          status=t("string", enum=["approved", "rejected"]),
                          action=t("string", enum=["flag", "hold"]),
                          message={"oneOf": [ref("Message"), {"type": "null"}]}),
    "AiInsights": obj(["days", "activity", "busiest_channels", "response_times", "topics", "ai"],
                      days=INT, activity=arr(t("object")), busiest_channels=arr(t("object")),
                      response_times=t("object"), topics=arr(t("object")), ai=ref("AiMarker")),
    "AiStatus": obj(["embed_queue", "providers", "usage_today", "budgets"], embed_queue=INT,
                    providers=arr(t("object")), default_provider=STR, enabled=BOOL,
                    embed_model=t("string", description="The model new vectors of channels that "
                                  "allow it get: ai_embed_provider's, or builtin-hash-256."),
                    local_only=BOOL, usage_today=t("object"), budgets=t("object")),
})
AI = "/api/v1/ai"
AIP = t("string", maxLength=64, description="Provider name; default ai_provider.")
AI_ERR = ("400", "404", "422", "429", "502", "503", "504")
api("POST", AI + "/channels/{id:int}/summary", "aiSummary",
    "Catch-up: summarise a thread or a channel (since my read marker with unread_only); each "
    "point links to its source messages.", "200", ref("AiSummary"),
    body=body([], thread_id=ID, unread_only=BOOL, provider=AIP,
              stream=t("boolean", description="Answer as text/event-stream: delta events as "
                                              "the provider's pieces arrive (the first names "
                                              "the provider in ai), then done (the JSON "
                                              "answer) or error.")),
    errors=AI_ERR, tag="AI", path=CP)
OPS["POST " + AI + "/channels/{id:int}/summary"]["responses"]["200"]["content"][
    "text/event-stream"] = {"schema": STR}
api("POST", AI + "/channels/{id:int}/messages/{mid:int}/translate", "aiTranslate",
    "Translate one message into lang (not offered by the built-in provider).", "200",
    ref("AiTranslation"), body=body(["lang"], lang=t("string", minLength=2, maxLength=16),
                                    provider=AIP, stream=t("boolean", description="Answer as text/event-stream (see aiSummary).")), errors=AI_ERR, tag="AI", path=MP)
OPS["POST " + AI + "/channels/{id:int}/messages/{mid:int}/translate"]["responses"]["200"][
    "content"]["text/event-stream"] = {"schema": STR}
api("POST", AI + "/ask", "aiAsk",
    "Ask across the channels I can read: semantic and full-text candidates, answered with "
    "sources.", "200", ref("AiAnswer"),
    body=body(["question"], question=t("string", minLength=1, maxLength=500), provider=AIP,
              stream=t("boolean", description="Answer as text/event-stream (see aiSummary).")),
    errors=AI_ERR, tag="AI")
OPS["POST " + AI + "/ask"]["responses"]["200"]["content"]["text/event-stream"] = {"schema": STR}
api("GET", AI + "/channels/{id:int}/settings", "aiChannelSettings",
    "A channel's AI settings.", "200", ref("AiChannelSettings"), errors=("404",), tag="AI",
    path=CP)
api("PUT", AI + "/channels/{id:int}/settings", "aiSetChannelSettings",
    "Set a channel's AI settings (channel owners and admins): features on, remote providers "
    "allowed, moderation mode.", "200", ref("AiChannelSettings"),
    body=body(["moderation"], enabled=BOOL, remote=BOOL,
              moderation=t("string", enum=["off", "flag", "hold", "block"])),
    errors=("400", "404"), tag="AI", path=CP)
api("GET", AI + "/settings", "aiSettings",
    "My AI consent, the providers, today's usage and the budgets.", "200", ref("AiSettings"),
    tag="AI")
api("PUT", AI + "/settings", "aiSetSettings",
    "Consent (remote_ok) to my DMs and private channels going to remote providers where their "
    "channel allows it.", "200", ref("AiSettings"), body=body([], remote_ok=BOOL),
    errors=("400",), tag="AI")
api("GET", AI + "/recommendations", "aiRecommendations",
    "Public channels I may like.", "200", ref("AiRecommendations"),
    [q("limit", t("integer", minimum=1, maximum=50), "How many (default 5).")],
    errors=("400",), tag="AI")
ADM_AI = "/api/v1/admin/ai/"
api("GET", ADM_AI + "audit.jsonl", "aiAuditExport",
    "The AI audit as JSON lines, oldest first: who, feature, channel, provider, model, tokens, "
    "cost, duration, status, SHA-256 of what was sent.", "200",
    t("string", description="One JSON object a line."),
    [q("after", t("integer", minimum=0), "Rows after this id."),
     q("limit", t("integer", minimum=1, maximum=10000), "Lines (default 1000).")],
    errors=("400",), tag="AI", content_type="application/x-ndjson")
api("GET", ADM_AI + "review", "aiReviewList", "Pending moderation entries, oldest first.",
    "200", ref("AiReviewList"), [q("limit", t("integer", minimum=1, maximum=500),
                                   "How many (default 50).")], errors=("400",), tag="AI")
api("POST", ADM_AI + "review/{rid:int}", "aiReviewDecide",
    "Approve (a held post is then posted as its author) or reject an entry (a flagged post is "
    "then deleted).", "200",
    ref("AiReviewResult"), body=body(["decision"], decision=t("string",
                                                               enum=["approve", "reject"])),
    errors=("400", "404"), tag="AI", path={"rid": "Review entry id."})
api("GET", ADM_AI + "insights", "aiInsights",
    "Activity over time, busiest channels, response times and recurring topics.", "200",
    ref("AiInsights"), [q("days", t("integer", minimum=1, maximum=366), "Window (default 30).")],
    errors=("400",), tag="AI")
api("GET", ADM_AI + "status", "aiStatus",
    "Providers (never their keys) with breaker states, usage, budgets and the embedding queue.",
    "200", ref("AiStatus"), tag="AI")


def module():
    responses = {"E" + c: {"description": d, "content": {"application/json": {
        "schema": ref("Error")}}} for c, d in ERRORS.items()}
    return {"tags": TAGS, "operations": OPS,
            "components": {"schemas": SCHEMAS, "responses": responses}}


def c_string(text):
    out = ["/* Generated by handlers/api_schema.py; do not edit. */\n"
           "static const char px_api_schema_json[] =\n"]
    for i in range(0, len(text), 60):
        chunk = text[i:i + 60].replace("\\", "\\\\").replace('"', '\\"')
        out.append('\t"%s"\n' % chunk)
    out.append(";\n")
    return "".join(out)


def main(argv):
    text = json.dumps(module(), separators=(",", ":"), ensure_ascii=True)
    if len(argv) == 3 and argv[1] == "--c":
        with open(argv[2], "w") as f:
            f.write(c_string(text))
    elif len(argv) == 1:
        print(text)
    else:
        sys.stderr.write("usage: api_schema.py [--c OUT]\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
