/* web_view.h: turns the model's JSON (messages, channels) into the data
 * the templates show: names with initials, local times, reactions marked
 * as one's own, what the viewer may do with each message, and the sidebar.
 * No database access (px_web_sidebar reads through px_web_mine in
 * web_util.h), so the render benchmark times exactly this plus the
 * template. */
#ifndef PX_H_WEB_VIEW_H
#define PX_H_WEB_VIEW_H

#include "core/ctx.h"

struct json_object;

/* The template data of message m (model JSON, borrowed): id, author
 * (px_web_user_view), time/time_text, body_html, edited, pinned, deleted,
 * reactions [{emoji, count, mine}], files and has_files (px_web_file_view,
 * none for deleted messages), reply_count, can_edit (the viewer wrote it),
 * is_reply. Returns a new object, NULL on no memory. */
struct json_object *px_web_message_view(struct px_ctx *ctx, struct json_object *m);

/* The template data of user u (model user JSON, borrowed; NULL gives
 * "?"): id, display_name (the username when empty), username, initial (of
 * the display name) and avatar_url when the user JSON has a local one
 * (a path on this site; the page shows the initial otherwise). */
struct json_object *px_web_user_view(struct json_object *u);

/* The template data of file f (model file JSON, borrowed): id, name,
 * size_text (px_i18n_size), kind (image, pdf, text or file: the icon),
 * label (the extension in capitals, else TXT/PDF/FILE), url (the content),
 * download_url (?download=1); images add image, w and h (the size shown:
 * width and height fitted into the thumbnail's 400-pixel box), src (the
 * thumbnail when the metadata has width and height, with fallback the
 * content URL; else the content itself and nodim, shown in a 400x300 box). */
struct json_object *px_web_file_view(struct px_ctx *ctx, struct json_object *f);
/* px_web_file_view of each file of the array files (borrowed). */
struct json_object *px_web_files_view(struct px_ctx *ctx, struct json_object *files);
/* w x h fitted into a box x box square, keeping the ratio and never
 * enlarging; unknown sizes (<= 0) give box x 3/4 box. */
void px_web_fit(long long w, long long h, long long box, long long *ow, long long *oh);

/* Converts each message of the array msgs (borrowed) into a new array. */
struct json_object *px_web_messages_view(struct px_ctx *ctx, struct json_object *msgs);

/* Marks the message views of the array views (px_web_messages_view, in
 * time order) for display: day_sep on the first of each day (UTC), grouped
 * on a message that follows one by the same author within five minutes on
 * the same day, and first_unread on the first message newer than last_read
 * that another user wrote (none when last_read < 0). */
void px_web_messages_group(struct json_object *views, long long last_read, long long me);

/* The link name of channel c (model JSON): its name for named channels,
 * else its id. Written into out (size >= 96). */
void px_web_channel_slug(struct json_object *c, char *out, size_t cap);

/* The template data of channel c (model JSON, borrowed) as user me sees
 * it: id, slug, name (the other members' names for DMs), topic, kind,
 * is_dm, peer_id (1:1 DMs), archived. */
struct json_object *px_web_channel_view(struct json_object *c, long long me);

/* The other member of a 1:1 DM, else 0. */
long long px_web_dm_peer(struct json_object *c, long long me);

/* A search snippet (HTML-escaped text with <mark> around the matches, as
 * the model writes it) as parts [{text, mark}] of plain text, so that the
 * template escapes every piece itself and no raw HTML reaches the page. */
struct json_object *px_web_snippet_parts(const char *snippet);

/* Adds "sidebar": {channels, dms, has_dms} built from mine (borrowed),
 * each entry with id, slug, name, unread, mentions and current (the
 * channel whose id is current). */
void px_web_sidebar_add(struct px_ctx *ctx, struct json_object *d,
			struct json_object *mine, long long current);

/* px_web_mine + px_web_sidebar_add. */
enum px_err px_web_sidebar(struct px_ctx *ctx, struct json_object *d, long long current)
	__attribute__((warn_unused_result));

/* h-uirich: the first character of name (one code point, ASCII upper-cased;
 * "?" when empty) into out, as the message avatars show it. */
void px_web_initial(const char *name, char out[8]);

#endif
