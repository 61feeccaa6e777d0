/* web_view.c: model JSON to template data (see web_view.h). */
#include "handlers/web_view.h"
#include "handlers/web_util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

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

static struct json_object *author(struct json_object *m)
{
	struct json_object *a = NULL, *o = json_object_new_object();
	const char *dn, *un;
	char ini[8];

	json_object_object_get_ex(m, "author", &a);
	un = px_web_get(a, "username");
	dn = px_web_get(a, "display_name");
	if (!dn || !*dn)
		dn = un && *un ? un : "?";
	initial(dn, ini);
	px_web_str(o, "display_name", dn);
	px_web_str(o, "username", un);
	px_web_str(o, "initial", ini);
	return o;
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

struct json_object *px_web_message_view(struct px_ctx *ctx, struct json_object *m)
{
	struct json_object *o = json_object_new_object(), *a = NULL;
	long long replies = px_web_int(m, "reply_count");
	int deleted = px_web_bool(m, "deleted");

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(px_web_int(m, "id")));
	json_object_object_add(o, "author", author(m));
	px_web_time(ctx, o, "time", px_web_get(m, "created_at"));
	json_object_object_add(o, "deleted", json_object_new_boolean(deleted));
	if (!deleted)
		px_web_str(o, "body_html", px_web_get(m, "html"));
	json_object_object_add(o, "edited",
			       json_object_new_boolean(px_web_get(m, "edited_at") != NULL));
	json_object_object_add(o, "pinned", json_object_new_boolean(px_web_bool(m, "pinned")));
	json_object_object_add(o, "reactions", reactions(ctx, m));
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
	struct json_object *out = json_object_new_array();
	size_t i, n;

	if (!out || !json_object_is_type(msgs, json_type_array))
		return out;
	n = json_object_array_length(msgs);
	for (i = 0; i < n; i++)
		json_object_array_add(out, px_web_message_view(ctx,
						json_object_array_get_idx(msgs, i)));
	return out;
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
		px_web_str(o, "topic", px_web_get(c, "topic"));
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
