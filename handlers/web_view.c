/* web_view.c: model JSON to template data (see web_view.h). */
#include "handlers/web_view.h"
#include "handlers/web_util.h"
#include "handlers/files_sign.h"
#include "handlers/unfurl.h"
#include "model/images.h"
#include "core/cfg.h"
#include "web/i18n.h"
#include "web/markdown.h"
#include "web/webpage.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define THUMB_BOX 400 /* the thumbnail route's box (px), h-img's size */
#define GROUP_GAP 300 /* seconds between one author's messages shown as one run */

/* The first character of name (one code point, upper-cased when ASCII). */
static void initial(const char *name, char out[8])
{
	size_t n = 1;
	unsigned char c = name ? (unsigned char)name[0] : 0;

	if (!c) {
		strcpy(out, "?");
		return;
	}
	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	if (strnlen(name, n) < n)
		n = 1;
	memcpy(out, name, n);
	out[n] = '\0';
	if (n == 1 && c >= 'a' && c <= 'z')
		out[0] = (char)(c - 32);
}

struct json_object *px_web_user_view(struct json_object *u)
{
	struct json_object *o = json_object_new_object();
	const char *dn, *un, *av;
	char ini[8];

	if (!o)
		return NULL;
	un = px_web_get(u, "username");
	dn = px_web_get(u, "display_name");
	av = px_web_get(u, "avatar_url");
	if (!dn || !*dn)
		dn = un && *un ? un : "?";
	initial(dn, ini);
	json_object_object_add(o, "id", json_object_new_int64(px_web_int(u, "id")));
	px_web_str(o, "display_name", dn);
	px_web_str(o, "username", un);
	px_web_str(o, "initial", ini);
	/* only our own paths: the page's CSP allows images from 'self' */
	if (av && av[0] == '/' && av[1] != '/')
		px_web_str(o, "avatar_url", av);
	return o;
}

static struct json_object *author(struct json_object *m)
{
	struct json_object *a = NULL;

	json_object_object_get_ex(m, "author", &a);
	return px_web_user_view(a);
}

/* --- Files ------------------------------------------------------------- */

/* The kind of a detected type, for the card's icon. */
static const char *file_kind(const char *type)
{
	if (!type)
		return "file";
	if (!strcmp(type, "image/png") || !strcmp(type, "image/jpeg") ||
	    !strcmp(type, "image/gif") || !strcmp(type, "image/webp"))
		return "image";
	if (!strcmp(type, "application/pdf"))
		return "pdf";
	if (!strncmp(type, "text/", 5))
		return "text";
	return "file";
}

/* The label on a card's icon: the name's extension in capitals (1 to 4
 * letters or digits), else the kind's. */
static void file_label(const char *name, const char *kind, char out[8])
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t n = dot && dot != name ? strlen(dot + 1) : 0, i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)dot[1 + i]))
			n = 0;
	if (n == 0 || n > 4) {
		snprintf(out, 8, "%s", !strcmp(kind, "text") ? "TXT" : !strcmp(kind, "pdf") ? "PDF"
							       : "FILE");
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = (char)toupper((unsigned char)dot[1 + i]);
	out[n] = '\0';
}

void px_web_fit(long long w, long long h, long long box, long long *ow, long long *oh)
{
	if (w <= 0 || h <= 0) {
		*ow = box;
		*oh = box * 3 / 4;
		return;
	}
	if (w <= box && h <= box) {
		*ow = w;
		*oh = h;
	} else if (w >= h) {
		*ow = box;
		*oh = (h * box + w / 2) / w;
	} else {
		*oh = box;
		*ow = (w * box + h / 2) / h;
	}
	if (*ow < 1)
		*ow = 1;
	if (*oh < 1)
		*oh = 1;
}

/* Into out, a signed URL of image f's thumbnail (handlers/files_sign.h),
 * which lighttpd answers without plexichat.fcgi; -1 when signing is off,
 * the store is not local or the thumbnail is not made yet. The viewer may
 * see f: it is on the page being rendered for them. */
static int signed_thumb(struct px_ctx *ctx, struct json_object *f, long long id,
			struct px_buf *out)
{
	const char *sha = px_web_get(f, "sha256");
	struct px_m_image m;
	long long mtime;

	/* a view made without a configuration or database (tests, previews)
	 * keeps the authorised route */
	if (!ctx->cfg || !ctx->db || !px_hf_sign_enabled(ctx->cfg) || strcmp(px_cfg_str(ctx->cfg, "files_store"), "local") ||
	    !sha || px_web_pg_epoch(px_web_get(f, "created_at"), &mtime) != 0 ||
	    px_m_images_get(ctx->db, sha, &m) != PX_OK || !m.thumb[0])
		return -1;
	return px_hf_sign_url(ctx->cfg, id, m.thumb, mtime, "image/webp", "inline",
			      (long long)time(NULL) + px_cfg_int(ctx->cfg, "files_url_ttl"), out);
}

struct json_object *px_web_file_view(struct px_ctx *ctx, struct json_object *f)
{
	struct json_object *o = json_object_new_object();
	struct px_buf b = PX_BUF_INIT;
	long long id = px_web_int(f, "id"), w = px_web_int(f, "width"), h = px_web_int(f, "height");
	long long sw, sh;
	const char *name = px_web_get(f, "name"), *kind = file_kind(px_web_get(f, "type"));
	char label[8];

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(id));
	px_web_str(o, "name", name);
	px_i18n_size(px_i18n_get(NULL, NULL), px_webpage_lang(ctx), px_web_int(f, "size"), &b);
	px_web_str(o, "size_text", b.data);
	px_web_str(o, "kind", kind);
	file_label(name, kind, label);
	px_web_str(o, "label", label);
	px_buf_reset(&b);
	px_buf_printf(&b, "/api/v1/files/%lld/content", id);
	px_web_str(o, "url", b.data);
	px_buf_puts(&b, "?download=1");
	px_web_str(o, "download_url", b.data);
	if (!strcmp(kind, "image")) {
		json_object_object_add(o, "image", json_object_new_boolean(1));
		px_web_fit(w, h, THUMB_BOX, &sw, &sh);
		json_object_object_add(o, "w", json_object_new_int64(sw));
		json_object_object_add(o, "h", json_object_new_int64(sh));
		if (w > 0 && h > 0) {
			/* the thumbnail; the script falls back to the content
			 * when it is not there (yet). A signed one where there is
			 * one (docs/FILES.md), falling back to the authorised
			 * route once it expired (a lazy image loads late); links
			 * stay on the authorised routes: they are clicked later */
			struct px_buf s = PX_BUF_INIT;

			px_buf_reset(&b);
			px_buf_printf(&b, "/api/v1/files/%lld/thumbnail", id);
			if (signed_thumb(ctx, f, id, &s) == 0) {
				px_web_str(o, "src", s.data);
				px_web_str(o, "fallback", b.data);
			} else {
				px_web_str(o, "src", b.data);
				px_web_str(o, "fallback", px_web_get(o, "url"));
			}
			px_buf_free(&s);
		} else {
			px_web_str(o, "src", px_web_get(o, "url"));
			json_object_object_add(o, "nodim", json_object_new_boolean(1));
		}
	}
	px_buf_free(&b);
	return o;
}

/* A new array of view(ctx, item) for each item of the array in. */
static struct json_object *map(struct px_ctx *ctx, struct json_object *in,
			       struct json_object *(*view)(struct px_ctx *, struct json_object *))
{
	struct json_object *out = json_object_new_array();
	size_t i, n;

	if (!out || !json_object_is_type(in, json_type_array))
		return out;
	n = json_object_array_length(in);
	for (i = 0; i < n; i++)
		json_object_array_add(out, view(ctx, json_object_array_get_idx(in, i)));
	return out;
}

struct json_object *px_web_files_view(struct px_ctx *ctx, struct json_object *files)
{
	return map(ctx, files, px_web_file_view);
}

/* Reactions with "mine" set when the viewer's name is among their users. */
static struct json_object *reactions(struct px_ctx *ctx, struct json_object *m)
{
	struct json_object *rs = NULL, *out = json_object_new_array();
	size_t i, j, n;

	if (!json_object_object_get_ex(m, "reactions", &rs) ||
	    !json_object_is_type(rs, json_type_array))
		return out;
	n = json_object_array_length(rs);
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(rs, i), *users = NULL;
		struct json_object *o = json_object_new_object();
		int mine = 0;

		if (json_object_object_get_ex(r, "users", &users) &&
		    json_object_is_type(users, json_type_array))
			for (j = 0; j < json_object_array_length(users) && !mine; j++)
				mine = strcmp(json_object_get_string(
						      json_object_array_get_idx(users, j)),
					      ctx->who.username) == 0;
		px_web_str(o, "emoji", px_web_get(r, "emoji"));
		json_object_object_add(o, "count", json_object_new_int64(px_web_int(r, "count")));
		json_object_object_add(o, "mine", json_object_new_boolean(mine));
		json_object_array_add(out, o);
	}
	return out;
}

/* --- h-uirich: rich text for the viewer ---------------------------------- */

/* The stored rendering with the viewer's own mentions marked. */
static void body_html(struct px_ctx *ctx, struct json_object *o, const char *html)
{
	struct px_buf b = PX_BUF_INIT;

	px_markdown_mark_self(html ? html : "", ctx->who.username, &b);
	px_web_str(o, "body_html", b.failed ? "" : b.data);
	px_buf_free(&b);
}

/* A topic is shown as plain words: its Markdown stripped, never raw. */
static void topic_plain(struct json_object *o, const char *topic)
{
	struct px_buf b = PX_BUF_INIT;

	if (px_markdown_plain(topic, strlen(topic), &b) == PX_OK && *b.data)
		px_web_str(o, "topic", b.data);
	px_buf_free(&b);
}

/* The viewer's notification level for the channel: "notify" and one of
 * the booleans notify_all, notify_mentions, notify_none. */
static void notify_level(struct json_object *o, const char *level)
{
	char key[32];

	if (!level || (strcmp(level, "mentions") != 0 && strcmp(level, "none") != 0))
		level = "all";
	px_web_str(o, "notify", level);
	snprintf(key, sizeof(key), "notify_%s", level);
	json_object_object_add(o, key, json_object_new_boolean(1));
}

void px_web_initial(const char *name, char out[8])
{
	initial(name, out);
}

/* --- end h-uirich ---------------------------------------------------------- */

/* The message's link preview for part/link_preview: text fields as they
 * are (the template escapes them); the image only from the instance's
 * own origin, the one source the pages' CSP (img-src 'self') allows. */
static struct json_object *link_preview(struct px_ctx *ctx, struct json_object *m)
{
	static const char *const keys[] = { "url", "title", "description", "site_name" };
	struct json_object *p = NULL, *o;
	const char *img;
	size_t i;

	if (!json_object_object_get_ex(m, "preview", &p) ||
	    !json_object_is_type(p, json_type_object) || !px_web_get(p, "url") ||
	    !(o = json_object_new_object()))
		return NULL;
	/* every key is set, null when absent, so that a section never finds
	 * the same name in an outer frame (the page's own "title") */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(o, keys[i], px_web_get(p, keys[i]) ?
				       json_object_new_string(px_web_get(p, keys[i])) : NULL);
	img = px_web_get(p, "image");
	json_object_object_add(o, "image", img && px_unfurl_same_origin(ctx->cfg, img) ?
			       json_object_new_string(img) : NULL);
	return o;
}

struct json_object *px_web_message_view(struct px_ctx *ctx, struct json_object *m)
{
	struct json_object *o = json_object_new_object(), *a = NULL, *fs = NULL;
	long long replies = px_web_int(m, "reply_count");
	int deleted = px_web_bool(m, "deleted");

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(px_web_int(m, "id")));
	json_object_object_add(o, "author", author(m));
	px_web_time(ctx, o, "time", px_web_get(m, "created_at"));
	json_object_object_add(o, "deleted", json_object_new_boolean(deleted));
	if (!deleted)
		body_html(ctx, o, px_web_get(m, "html")); /* h-uirich: own mentions */
	json_object_object_add(o, "edited",
			       json_object_new_boolean(px_web_get(m, "edited_at") != NULL));
	json_object_object_add(o, "pinned", json_object_new_boolean(px_web_bool(m, "pinned")));
	json_object_object_add(o, "reactions", reactions(ctx, m));
	if (!deleted && json_object_object_get_ex(m, "files", &fs) &&
	    json_object_is_type(fs, json_type_array) && json_object_array_length(fs) > 0) {
		json_object_object_add(o, "has_files", json_object_new_boolean(1));
		json_object_object_add(o, "files", px_web_files_view(ctx, fs));
	}
	if (!deleted)
		json_object_object_add(o, "link_preview", link_preview(ctx, m));
	if (replies > 0)
		json_object_object_add(o, "reply_count", json_object_new_int64(replies));
	json_object_object_add(o, "is_reply",
			       json_object_new_boolean(px_web_int(m, "thread_root_id") > 0));
	json_object_object_get_ex(m, "author", &a);
	json_object_object_add(o, "can_edit", json_object_new_boolean(
		!deleted && a && px_web_int(a, "id") == ctx->who.user_id));
	return o;
}

struct json_object *px_web_messages_view(struct px_ctx *ctx, struct json_object *msgs)
{
	return map(ctx, msgs, px_web_message_view);
}

/* Seconds since the epoch of an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ",
 * -1 when it is not one. */
static long long iso_seconds(const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

static long long author_id(struct json_object *v)
{
	struct json_object *a = NULL;

	return json_object_object_get_ex(v, "author", &a) ? px_web_int(a, "id") : 0;
}

void px_web_messages_group(struct json_object *views, long long last_read, long long me)
{
	size_t i, n = json_object_is_type(views, json_type_array) ? json_object_array_length(views)
								  : 0;
	struct json_object *prev = NULL;
	int marked = last_read < 0;

	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(views, i);
		const char *day = px_web_get(v, "time_day");
		long long at = iso_seconds(px_web_get(v, "time"));
		int new_day = !prev || !day || !px_web_get(prev, "time_day") ||
			      strcmp(day, px_web_get(prev, "time_day")) != 0;
		int unread = !marked && px_web_int(v, "id") > last_read && author_id(v) != me;

		if (new_day)
			json_object_object_add(v, "day_sep", json_object_new_boolean(1));
		if (unread) {
			json_object_object_add(v, "first_unread", json_object_new_boolean(1));
			marked = 1;
		}
		/* a run of one author's messages within GROUP_GAP seconds shows
		 * the name and picture once; a new day or the unread line
		 * starts a new run */
		if (prev && !new_day && !unread && !px_web_bool(prev, "deleted") &&
		    !px_web_bool(v, "deleted") && author_id(prev) == author_id(v) && at >= 0 &&
		    at - iso_seconds(px_web_get(prev, "time")) <= GROUP_GAP)
			json_object_object_add(v, "grouped", json_object_new_boolean(1));
		prev = v;
	}
}

static int is_dm(struct json_object *c)
{
	const char *k = px_web_get(c, "kind");

	return k && (strcmp(k, "dm") == 0 || strcmp(k, "group") == 0);
}

void px_web_channel_slug(struct json_object *c, char *out, size_t cap)
{
	const char *name = px_web_get(c, "name");

	if (!is_dm(c) && name && *name && strlen(name) < cap)
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "%lld", px_web_int(c, "id"));
}

/* The name a DM shows: the other members' display names. */
static void dm_name(struct json_object *c, long long me, struct px_buf *out)
{
	struct json_object *members = NULL;
	const char *n;
	size_t i, shown = 0;

	if (!json_object_object_get_ex(c, "members", &members) ||
	    !json_object_is_type(members, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(members) && shown < 5; i++) {
		struct json_object *u = json_object_array_get_idx(members, i);

		if (px_web_int(u, "id") == me)
			continue;
		n = px_web_get(u, "display_name");
		if (shown++)
			px_buf_puts(out, ", ");
		px_buf_puts(out, n && *n ? n : px_web_get(u, "username"));
	}
}

long long px_web_dm_peer(struct json_object *c, long long me)
{
	struct json_object *members = NULL;
	size_t i;

	if (!json_object_object_get_ex(c, "members", &members) ||
	    !json_object_is_type(members, json_type_array) ||
	    json_object_array_length(members) != 2)
		return 0;
	for (i = 0; i < 2; i++) {
		long long id = px_web_int(json_object_array_get_idx(members, i), "id");

		if (id != me)
			return id;
	}
	return 0;
}

struct json_object *px_web_channel_view(struct json_object *c, long long me)
{
	struct json_object *o = json_object_new_object();
	struct px_buf dn = PX_BUF_INIT;
	const char *name = px_web_get(c, "name");
	char slug[96];

	if (!o)
		return NULL;
	px_web_channel_slug(c, slug, sizeof(slug));
	json_object_object_add(o, "id", json_object_new_int64(px_web_int(c, "id")));
	px_web_str(o, "slug", slug);
	if (is_dm(c) && (!name || !*name)) {
		dm_name(c, me, &dn);
		name = dn.data;
	}
	px_web_str(o, "name", name && *name ? name : "?");
	if (px_web_get(c, "topic") && *px_web_get(c, "topic"))
		topic_plain(o, px_web_get(c, "topic")); /* h-uirich: no raw Markdown */
	notify_level(o, px_web_get(c, "notify")); /* h-uirich */
	px_web_str(o, "kind", px_web_get(c, "kind"));
	json_object_object_add(o, "is_dm", json_object_new_boolean(is_dm(c)));
	if (px_web_dm_peer(c, me))
		json_object_object_add(o, "peer_id", json_object_new_int64(px_web_dm_peer(c, me)));
	json_object_object_add(o, "archived", json_object_new_boolean(px_web_bool(c, "archived")));
	px_buf_free(&dn);
	return o;
}

/* Undoes the five escapes of the model's snippet in s[0..n). */
static void unescape(const char *s, size_t n, struct px_buf *out)
{
	static const char *const ent[][2] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
	};
	size_t i = 0, k, l;

	while (i < n) {
		for (k = 0; s[i] == '&' && k < 5; k++) {
			l = strlen(ent[k][0]);
			if (i + l <= n && strncmp(s + i, ent[k][0], l) == 0)
				break;
		}
		if (s[i] == '&' && k < 5) {
			px_buf_puts(out, ent[k][1]);
			i += strlen(ent[k][0]);
		} else {
			px_buf_putc(out, s[i++]);
		}
	}
}

/* The snippet (escaped text with <mark> around matches) as parts
 * [{text, mark}], so the template escapes every piece itself. */
struct json_object *px_web_snippet_parts(const char *snip)
{
	struct json_object *parts = json_object_new_array();
	const char *p = snip ? snip : "";

	while (*p) {
		const char *m = strstr(p, "<mark>"), *end;
		struct json_object *o;
		struct px_buf t = PX_BUF_INIT;
		int marked = m == p;

		if (marked) {
			p += 6;
			end = strstr(p, "</mark>");
			if (!end)
				end = p + strlen(p);
		} else {
			end = m ? m : p + strlen(p);
		}
		unescape(p, (size_t)(end - p), &t);
		o = json_object_new_object();
		px_web_str(o, "text", t.data);
		json_object_object_add(o, "mark", json_object_new_boolean(marked));
		json_object_array_add(parts, o);
		px_buf_free(&t);
		p = marked && *end ? end + 7 : end;
	}
	return parts;
}

/* --- The sidebar ------------------------------------------------------- */

/* One sidebar entry from a channel object of px_m_channels_mine(). */
static struct json_object *side_item(struct json_object *c, long long me, long long current)
{
	struct json_object *it = px_web_channel_view(c, me);
	long long unread = px_web_int(c, "unread_count"), men = px_web_int(c, "mention_count");

	if (!it)
		return NULL;
	if (unread > 0)
		json_object_object_add(it, "unread", json_object_new_int64(unread));
	if (men > 0)
		json_object_object_add(it, "mentions", json_object_new_int64(men));
	json_object_object_add(it, "current",
			       json_object_new_boolean(px_web_int(c, "id") == current));
	return it;
}

void px_web_sidebar_add(struct px_ctx *ctx, struct json_object *d,
			struct json_object *mine, long long current)
{
	struct json_object *side = json_object_new_object();
	struct json_object *chans = json_object_new_array(), *dms = json_object_new_array();
	size_t i, n;

	n = json_object_is_type(mine, json_type_array) ? json_object_array_length(mine) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(mine, i);
		const char *kind = px_web_get(c, "kind");
		int dm = kind && (strcmp(kind, "dm") == 0 || strcmp(kind, "group") == 0);

		json_object_array_add(dm ? dms : chans, side_item(c, ctx->who.user_id, current));
	}
	json_object_object_add(side, "channels", chans);
	json_object_object_add(side, "has_dms",
			       json_object_new_boolean(json_object_array_length(dms) > 0));
	json_object_object_add(side, "dms", dms);
	json_object_object_add(d, "sidebar", side);
}

enum px_err px_web_sidebar(struct px_ctx *ctx, struct json_object *d, long long current)
{
	struct json_object *mine;
	enum px_err e = px_web_mine(ctx, &mine);

	if (e == PX_OK)
		px_web_sidebar_add(ctx, d, mine, current);
	json_object_put(mine);
	return e;
}
