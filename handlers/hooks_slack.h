/* hooks_slack.h: Slack's message payload (incoming webhooks, slash command
 * and outgoing webhook replies) turned into PlexiChat Markdown. Pure
 * functions over json-c objects: no I/O, unit-tested in check_hooks. */
#ifndef PX_H_HOOKS_SLACK_H
#define PX_H_HOOKS_SLACK_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct json_object;

/* Appends Slack mrkdwn s[0..n) as CommonMark: <url|label> links become
 * [label](url) (http, https and mailto only; others keep their label),
 * <@U1|name> and <#C1|name> their names, <!here> "@here", *bold* **bold**,
 * single line breaks hard breaks (outside code); &lt; &gt; &amp; stay
 * entities, so nothing becomes HTML. */
void px_slack_mrkdwn(const char *s, size_t n, struct px_buf *md) __attribute__((nonnull));

/* Renders a payload: "text" (or, when "blocks" are given, the blocks:
 * header, section with text and fields, context, divider, image as a
 * link), then each of "attachments" (color as a marker, pretext,
 * author_name, title/title_link, text, fields, image_url as a link,
 * footer; fallback when it has nothing else). Unknown fields are ignored.
 * Returns PX_OK, or HOOK_EMPTY when nothing renders (details field name
 * in *field). */
enum px_err px_slack_render(struct json_object *payload, struct px_buf *md)
	__attribute__((nonnull, warn_unused_result));

/* The payload's link preview choice, Slack's "unfurl_links" and
 * "unfurl_media" (booleans; absent or another type: true): "off" when
 * unfurl_links is false (no preview: PlexiChat previews are of pages),
 * else "no_media" when unfurl_media is false (a preview without its
 * image), else NULL. For px_m_post's preview. Static strings. */
const char *px_slack_unfurl(struct json_object *payload) __attribute__((nonnull));

/* The display name an override may give a bot post: control characters
 * and Markdown/HTML punctuation dropped, white space folded, at most 64
 * characters of valid UTF-8 (cut on a character boundary). "" when
 * nothing is left. */
void px_slack_name(const char *in, char *out, size_t cap) __attribute__((nonnull));

/* 1 when url may be shown as a bot post's icon: an absolute https or http
 * URL of at most 512 bytes without white space, quotes or angle brackets. */
int px_slack_icon_ok(const char *url) __attribute__((nonnull));

#endif
