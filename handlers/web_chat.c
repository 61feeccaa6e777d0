/* web_chat.c: the main view, the channel view (history pages, thread
 * panel, composer with preview), posting, joining and creating channels.
 * Channels are addressed as /c/{channel}: a channel's name, or the id of
 * a DM. Writes go through the messaging API handlers, so the channel gate,
 * Markdown limits and events are the API's own. */
#include "handlers/web.h"
#include "handlers/channels.h"
#include "handlers/messages.h"
#include "handlers/web_chat.h"
#include "handlers/commands.h"
#include "handlers/web_attach.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "core/cfg.h"
#include "web/markdown.h"
#include "core/utf8.h"
#include "web/webpage.h"
#include "model/channels.h"
#include "model/events.h"
#include "model/messages.h"

#include <json-c/json.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 50
#define THREAD_SIZE 200
#define MEMBERS_SHOWN 50 /* members listed in the channel header */

/* The channel of array list that the route's {channel} names: by id when
 * it is a number (a DM's), else by name. */
static struct json_object *find_in(struct json_object *list, const struct px_path *path)
{
	long long id = px_path_int(path, "channel");
	const char *slug = px_path_str(path, "channel");
	size_t i, n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		const char *name = px_web_get(c, "name");

		if ((id && px_web_int(c, "id") == id) ||
		    (!id && slug && name && strcmp(name, slug) == 0))
			return c;
	}
	return NULL;
}

enum px_err px_web_chat_resolve(struct px_ctx *ctx, struct json_object *mine,
				struct json_object **chan, struct px_chan_access *a)
{
	struct json_object *c, *browse = NULL;
	struct px_buf b = PX_BUF_INIT;
	long long id = px_path_int(&ctx->path, "channel");
	enum px_err e = PX_OK;

	*chan = NULL;
	if (!px_path_str(&ctx->path, "channel"))
		return PX_E_VALIDATION_NOT_FOUND;
	if ((c = find_in(mine, &ctx->path))) {
		id = px_web_int(c, "id");
	} else if (!id) {
		/* a named channel the user has not joined */
		if ((e = px_m_channels_browse(ctx->db, ctx->who.user_id, &b)) != PX_OK)
			goto out;
		browse = px_web_json(&b);
		id = (c = find_in(browse, &ctx->path)) ? px_web_int(c, "id") : 0;
	}
	if (id <= 0) {
		e = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	px_buf_reset(&b);
	if ((e = px_m_channels_authorize(ctx->db, id, ctx->who.user_id, ctx->who.role,
					 PX_CHAN_READ, a)) != PX_OK ||
	    (e = px_m_channels_get(ctx->db, id, ctx->who.user_id, &b)) != PX_OK)
		goto out;
	if (!(*chan = px_web_json(&b))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	/* the API handlers this page calls find the channel as {id} */
	if (px_path_set_int(&ctx->path, "id", id) != 0)
		e = PX_E_SYSTEM_INTERNAL;
out:
	json_object_put(browse);
	px_buf_free(&b);
	return e;
}

/* "/c/<slug>" plus suffix, into out. */
static void chan_url(struct json_object *chan, const char *suffix, struct px_buf *out)
{
	char slug[96];

	px_web_channel_slug(chan, slug, sizeof(slug));
	px_buf_printf(out, "/c/%s%s", slug, suffix ? suffix : "");
}

/* Which page of history the query asks for: before wins over after; a
 * broken one of the two is an error only when the other is not usable. */
static enum px_err page_query(struct px_ctx *ctx, enum px_msg_dir *dir, long long *cursor)
{
	int b = px_request_query_int(ctx->req, "before", 0, PX_PATH_INT_MAX, cursor);
	int a = b > 0 ? 0 : px_request_query_int(ctx->req, "after", 0, PX_PATH_INT_MAX, cursor);

	*dir = b > 0 ? PX_MSG_BEFORE : a > 0 ? PX_MSG_AFTER : PX_MSG_LATEST;
	if (*dir == PX_MSG_LATEST) {
		*cursor = 0;
		if (a < 0 || b < 0) {
			px_ctx_detail(ctx, "field", b < 0 ? "before" : "after");
			return PX_E_VALIDATION_INVALID_CURSOR;
		}
	}
	return PX_OK;
}

/* Adds messages, older_url and newer_url for one history page, and moves
 * the read marker when the newest messages are shown. A member opening
 * the channel with more unread messages than a page (unread) sees the
 * page that starts at the first unread one instead, and the marker moves
 * to the last of it. */
static enum px_err add_history(struct px_ctx *ctx, struct json_object *d,
			       struct json_object *chan, int member, long long unread)
{
	struct px_buf b = PX_BUF_INIT, u = PX_BUF_INIT, rb = PX_BUF_INIT;
	struct json_object *page = NULL, *msgs = NULL, *views;
	enum px_msg_dir dir;
	long long cursor, first = 0, last = 0, id = px_web_int(chan, "id");
	long long last_read = member ? px_web_int(chan, "last_read_id") : -1;
	int jump = 0;
	size_t n;
	enum px_err e;

	if ((e = page_query(ctx, &dir, &cursor)) != PX_OK)
		goto out;
	if (dir == PX_MSG_LATEST && member && last_read > 0 && unread > PAGE_SIZE) {
		dir = PX_MSG_AFTER;
		cursor = last_read;
		jump = 1;
	}
	if ((e = px_m_messages_page(ctx->db, id, dir, cursor, PAGE_SIZE, &b)) != PX_OK)
		goto out;
	if (!(page = px_web_json(&b))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	json_object_object_get_ex(page, "messages", &msgs);
	n = json_object_is_type(msgs, json_type_array) ? json_object_array_length(msgs) : 0;
	if (n) {
		first = px_web_int(json_object_array_get_idx(msgs, 0), "id");
		last = px_web_int(json_object_array_get_idx(msgs, n - 1), "id");
	}
	views = px_web_messages_view(ctx, msgs);
	px_web_messages_group(views, last_read, ctx->who.user_id);
	json_object_object_add(d, "messages", views);
	if (px_web_bool(page, "has_more_before") && first) {
		px_buf_printf(&u, "?before=%lld", first);
		px_buf_reset(&b);
		chan_url(chan, u.data, &b);
		px_web_str(d, "older_url", b.data);
	}
	if (px_web_bool(page, "has_more_after") && last) {
		px_buf_reset(&u);
		px_buf_printf(&u, "?after=%lld", last);
		px_buf_reset(&b);
		chan_url(chan, u.data, &b);
		px_web_str(d, "newer_url", b.data);
		px_buf_reset(&b);
		chan_url(chan, NULL, &b);
		px_web_str(d, "latest_url", b.data);
		if (jump) {
			json_object_object_add(d, "unread_jump", json_object_new_boolean(1));
			if (px_m_read_marker_set(ctx->db, id, ctx->who.user_id, last, &rb) != PX_OK)
				px_buf_reset(&rb); /* best effort: the badge stays */
		}
	} else {
		json_object_object_add(d, "at_latest", json_object_new_boolean(1));
		if (member && last > px_web_int(chan, "last_read_id") &&
		    px_m_read_marker_set(ctx->db, id, ctx->who.user_id, last, &rb) != PX_OK)
			px_buf_reset(&rb); /* best effort: the badge stays */
	}
out:
	json_object_put(page);
	px_buf_free(&b);
	px_buf_free(&u);
	px_buf_free(&rb);
	return e;
}

/* Adds "pins": the channel's pinned messages (newest pin first) and
 * pin_count, for the pinned-messages panel; each with jump_url, the
 * history page that starts at it. Best effort: no panel on failure. */
static void add_pins(struct px_ctx *ctx, struct json_object *d, struct json_object *chan)
{
	struct px_buf b = PX_BUF_INIT, u = PX_BUF_INIT;
	struct json_object *pins, *views;
	size_t i, n;

	if (px_m_messages_pins(ctx->db, px_web_int(chan, "id"), &b) != PX_OK ||
	    !(pins = px_web_json(&b))) {
		px_buf_free(&b);
		return;
	}
	views = px_web_messages_view(ctx, pins);
	n = json_object_is_type(views, json_type_array) ? json_object_array_length(views) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(views, i);

		px_buf_reset(&u);
		px_buf_printf(&u, "?after=%lld#m%lld", px_web_int(v, "id") - 1, px_web_int(v, "id"));
		px_buf_reset(&b);
		chan_url(chan, u.data, &b);
		px_web_str(v, "jump_url", b.data);
	}
	json_object_object_add(d, "pins", views);
	json_object_object_add(d, "pin_count", json_object_new_int64((long long)n));
	json_object_put(pins);
	px_buf_free(&b);
	px_buf_free(&u);
}

/* Adds "thread": {id, root, replies} for root message id. */
static enum px_err add_thread(struct px_ctx *ctx, struct json_object *d,
			      long long channel, long long root)
{
	struct px_buf b = PX_BUF_INIT;
	struct json_object *t = NULL, *o, *r = NULL, *rs = NULL;
	enum px_err e;

	if ((e = px_m_messages_thread(ctx->db, channel, root, ctx->who.user_id, 0, THREAD_SIZE,
				      &b)) != PX_OK)
		goto out;
	if (!(t = px_web_json(&b)) || !(o = json_object_new_object())) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	json_object_object_get_ex(t, "root", &r);
	json_object_object_get_ex(t, "replies", &rs);
	json_object_object_add(o, "id", json_object_new_int64(root));
	json_object_object_add(o, "root", r ? px_web_message_view(ctx, r) : NULL);
	json_object_object_add(o, "replies", px_web_messages_view(ctx, rs));
	px_web_messages_group(json_object_object_get(o, "replies"), -1, ctx->who.user_id);
	json_object_object_add(d, "thread", o);
out:
	json_object_put(t);
	px_buf_free(&b);
	return e;
}

/* The newest event id, so the page's script resumes the stream there. */
static void add_last_event(struct px_ctx *ctx, struct json_object *d)
{
	long long head = 0, pruned = 0;

	if (px_m_events_state(ctx->db, &head, &pruned) == PX_OK)
		json_object_object_add(d, "last_event", json_object_new_int64(head));
}

/* The channel's members for the header: the first MEMBERS_SHOWN (online
 * first) with presence dots, and the counts of all members and of those
 * online, counted by the database. Best effort. */
static void add_members(struct px_ctx *ctx, struct json_object *d, long long channel)
{
	struct px_buf b = PX_BUF_INIT;
	struct json_object *sum, *all = NULL, *out;
	size_t i, n;

	if (px_m_members_summary(ctx->db, channel, ctx->who.user_id, MEMBERS_SHOWN, &b) != PX_OK ||
	    !(sum = px_web_json(&b))) {
		px_buf_free(&b);
		return;
	}
	json_object_object_get_ex(sum, "members", &all);
	out = json_object_new_array();
	n = json_object_is_type(all, json_type_array) ? json_object_array_length(all) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(all, i), *o = px_web_user_view(m);

		if (!o)
			continue;
		px_web_str(o, "name", px_web_get(o, "display_name"));
		json_object_object_add(o, "online", json_object_new_boolean(px_web_bool(m, "online")));
		json_object_array_add(out, o);
	}
	json_object_object_add(d, "members", out);
	json_object_object_add(d, "member_count",
			       json_object_new_int64(px_web_int(sum, "member_count")));
	json_object_object_add(d, "online_count",
			       json_object_new_int64(px_web_int(sum, "online_count")));
	json_object_put(sum);
	px_buf_free(&b);
}

/* Marks the sidebar's direct messages whose other member is online
 * ("online"), so its dots agree with the member counts. Best effort. */
static void sidebar_presence(struct px_ctx *ctx, struct json_object *d)
{
	struct json_object *side = NULL, *dms = NULL, *on;
	struct px_buf ids = PX_BUF_INIT, b = PX_BUF_INIT;
	size_t i, j, n;

	if (!json_object_object_get_ex(d, "sidebar", &side) ||
	    !json_object_object_get_ex(side, "dms", &dms))
		return;
	n = json_object_array_length(dms);
	for (i = 0; i < n; i++) {
		long long peer = px_web_int(json_object_array_get_idx(dms, i), "peer_id");

		if (peer > 0)
			px_buf_printf(&ids, "%s%lld", ids.len ? "," : "", peer);
	}
	if (!ids.len || ids.failed || px_m_presence_online(ctx->db, ids.data, &b) != PX_OK ||
	    !(on = px_web_json(&b)))
		goto out;
	for (i = 0; i < n; i++) {
		struct json_object *dm = json_object_array_get_idx(dms, i);

		for (j = 0; j < json_object_array_length(on); j++)
			if (json_object_get_int64(json_object_array_get_idx(on, j)) ==
			    px_web_int(dm, "peer_id"))
				json_object_object_add(dm, "online", json_object_new_boolean(1));
	}
	json_object_put(on);
out:
	px_buf_free(&ids);
	px_buf_free(&b);
}

enum px_err px_web_message_fragment(struct px_ctx *ctx, struct json_object *chan,
				    struct json_object *msg, int status)
{
	struct json_object *d = px_web_message_view(ctx, msg);
	struct px_chan_access a;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(d, "channel", px_web_channel_view(chan, ctx->who.user_id));
	if (px_m_channels_authorize(ctx->db, px_web_int(chan, "id"), ctx->who.user_id,
				    ctx->who.role, PX_CHAN_READ, &a) == PX_OK) {
		json_object_object_add(d, "can_pin", json_object_new_boolean(
			px_chan_check(&a, PX_CHAN_PIN) == PX_OK));
		json_object_object_add(d, "can_post", json_object_new_boolean(
			px_chan_check(&a, PX_CHAN_POST) == PX_OK));
	}
	return px_web_render(ctx, status, "part/message", NULL, d);
}

enum px_err px_web_chat_page(struct px_ctx *ctx, int status, long long thread,
			     struct json_object *d)
{
	struct json_object *mine = NULL, *chan = NULL, *cv, *c;
	struct px_chan_access a;
	enum px_err e;
	long long id;
	int member;

	if ((e = px_web_mine(ctx, &mine)) != PX_OK ||
	    (e = px_web_chat_resolve(ctx, mine, &chan, &a)) != PX_OK)
		goto out;
	id = px_web_int(chan, "id");
	member = a.role != PX_CHAN_NONE;
	c = find_in(mine, &ctx->path);
	if ((e = add_history(ctx, d, chan, member, c ? px_web_int(c, "unread_count") : 0)) != PX_OK ||
	    (thread && (e = add_thread(ctx, d, id, thread)) != PX_OK))
		goto out;
	if (member) {
		/* the page shows the newest messages: this channel is read */
		struct json_object *shown = NULL;

		if (c && json_object_object_get_ex(d, "at_latest", NULL))
			json_object_object_add(c, "unread_count", json_object_new_int64(0));
		/* the first unread page was read: the rest stays unread */
		else if (c && json_object_object_get_ex(d, "unread_jump", NULL) &&
			 json_object_object_get_ex(d, "messages", &shown))
			json_object_object_add(c, "unread_count", json_object_new_int64(
				px_web_int(c, "unread_count") > (long long)json_object_array_length(shown)
					? px_web_int(c, "unread_count") -
						  (long long)json_object_array_length(shown)
					: 0));
	}
	px_web_sidebar_add(ctx, d, mine, id);
	sidebar_presence(ctx, d);
	cv = px_web_channel_view(chan, ctx->who.user_id);
	json_object_object_add(d, "channel", cv);
	json_object_object_add(d, "member", json_object_new_boolean(member));
	json_object_object_add(d, "can_post", json_object_new_boolean(
		px_chan_check(&a, PX_CHAN_POST) == PX_OK));
	json_object_object_add(d, "can_pin", json_object_new_boolean(
		px_chan_check(&a, PX_CHAN_PIN) == PX_OK));
	json_object_object_add(d, "can_upload", json_object_new_boolean(
		px_chan_check(&a, PX_CHAN_POST) == PX_OK && px_web_attach_allowed(ctx)));
	json_object_object_add(d, "can_join", json_object_new_boolean(
		!member && px_chan_check(&a, PX_CHAN_JOIN) == PX_OK));
	json_object_object_add(d, "live", json_object_new_boolean(1));
	json_object_object_add(d, "ai_on", json_object_new_boolean(px_cfg_bool(ctx->cfg, "ai_enabled")));
	json_object_object_add(d, "message_max", json_object_new_int64(
		px_cfg_int(ctx->cfg, "message_max_length")));
	add_members(ctx, d, id);
	add_pins(ctx, d, chan);
	add_last_event(ctx, d);
	px_web_notice(ctx, d);
	e = px_web_render(ctx, status, "page/channel", px_web_get(cv, "name"), d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(mine);
	json_object_put(chan);
	return e;
}

enum px_err px_h_web_channel(struct px_ctx *ctx)
{
	return px_web_chat_page(ctx, 200, 0, json_object_new_object());
}

enum px_err px_h_web_thread(struct px_ctx *ctx)
{
	long long root = px_path_int(&ctx->path, "mid");

	return px_web_chat_page(ctx, 200, root, json_object_new_object());
}

enum px_err px_h_web_keys(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object();
	enum px_err e;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK) {
		json_object_put(d);
		return e;
	}
	return px_web_render(ctx, 200, "page/keys", "Keyboard shortcuts", d);
}

enum px_err px_h_web_home(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object();
	enum px_err e;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	if (!ctx->who.user_id) {
		json_object_put(d);
		return px_webpage_redirect(ctx, "/login");
	}
	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK) {
		json_object_put(d);
		return e;
	}
	sidebar_presence(ctx, d);
	json_object_object_add(d, "live", json_object_new_boolean(1));
	add_last_event(ctx, d);
	px_web_notice(ctx, d);
	return px_web_render(ctx, 200, "page/home", NULL, d);
}

/* Renders the Markdown preview of the posted body: the fragment alone for
 * the script (fragment=1), else the channel page with draft, preview and
 * the files attached so far (f). */
static enum px_err preview(struct px_ctx *ctx, long long thread, const struct px_web_attach *f)
{
	const char *body = px_web_form(ctx, "body");
	struct px_buf html = PX_BUF_INIT;
	struct json_object *d = json_object_new_object(), *pv = json_object_new_object();
	enum px_err e = PX_OK;

	if (!body)
		body = "";
	if (!px_utf8_valid(body, strlen(body)))
		e = PX_E_VALIDATION_INVALID_ENCODING;
	else
		e = px_markdown_render(body, strlen(body), &html, NULL);
	px_web_str(d, "draft", body);
	if (e == PX_OK) {
		px_web_str(pv, "body_html", html.data);
		json_object_object_add(d, "preview", pv);
		pv = NULL;
	} else if (e == PX_E_SYSTEM_INTERNAL) {
		goto out;
	} else {
		px_web_str(d, "compose_error", px_webpage_tr(ctx, px_err_message(e)));
	}
	if (px_web_form(ctx, "fragment")) {
		json_object_object_add(d, "fragment", json_object_new_boolean(1));
		e = px_web_render(ctx, 200, "part/preview", NULL, d);
	} else {
		px_web_attach_list(ctx, d, f);
		e = px_web_chat_page(ctx, 200, thread, d);
	}
	d = NULL;
out:
	json_object_put(pv);
	json_object_put(d);
	px_buf_free(&html);
	return e;
}

/* 1 for the errors a composer shows next to the draft. */
static int form_error(enum px_err e)
{
	const char *n = px_err_name(e);

	return (strncmp(n, "VALIDATION_", 11) == 0 && e != PX_E_VALIDATION_NOT_FOUND) ||
	       strncmp(n, "FILES_", 6) == 0 || e == PX_E_COMMAND_FAILED;
}

/* Whether e is the error of more files than a message may carry. */
static int too_many(const struct px_ctx *ctx, enum px_err e)
{
	return e == PX_E_VALIDATION_FIELD_LENGTH && ctx->details.data &&
	       strstr(ctx->details.data, "\"file_ids\"");
}

/* Posts the message with the files of f (maybe none): the form as it
 * came, or with files, the messages API's JSON form of it (file_ids is a
 * JSON list; the text may then be empty). */
static enum px_err post_message(struct px_ctx *ctx, const struct px_web_attach *f,
				struct json_object **msg)
{
	const char *body = px_web_form(ctx, "body"), *tr = px_web_form(ctx, "thread_root_id");
	struct json_object *j, *list;
	long long root;
	int i;

	if (f->n == 0)
		return px_web_call(ctx, px_h_messages_post, msg);
	if (!(j = json_object_new_object()) || !(list = json_object_new_array())) {
		json_object_put(j);
		return PX_E_SYSTEM_INTERNAL;
	}
	for (i = 0; i < f->n; i++)
		json_object_array_add(list, json_object_new_int64(f->id[i]));
	json_object_object_add(j, "file_ids", list);
	px_web_str(j, "body", body ? body : "");
	/* the "No link preview" box */
	if (px_web_form(ctx, "unfurl_links"))
		json_object_object_add(j, "unfurl_links", json_object_new_boolean(0));
	/* the API judges the root; a value that is no number goes as text */
	if (tr && *tr)
		json_object_object_add(j, "thread_root_id",
				       px_http_parse_int(tr, 1, LLONG_MAX, &root) == 0
					       ? json_object_new_int64(root)
					       : json_object_new_string(tr));
	json_object_put(ctx->req->json);
	ctx->req->json = j;
	return px_web_call(ctx, px_h_messages_post, msg);
}

/* The channel page again with the draft, its files and error e beside
 * the composer (bad: what the file checks said, may be empty). */
static enum px_err compose_error(struct px_ctx *ctx, enum px_err e, struct px_buf *bad,
				 const struct px_web_attach *files, long long thread)
{
	struct json_object *d = json_object_new_object();

	px_web_str(d, "draft", px_web_form(ctx, "body"));
	if (px_web_form(ctx, "unfurl_links"))
		json_object_object_add(d, "no_preview", json_object_new_boolean(1));
	if (bad->len)
		px_buf_puts(bad, ": ");
	px_buf_puts(bad, px_webpage_tr(ctx, too_many(ctx, e) ? "At most 10 files per message."
							     : px_err_message(e)));
	px_web_str(d, "compose_error", bad->data);
	px_web_attach_list(ctx, d, files);
	return px_web_chat_page(ctx, px_err_status(e), thread, d);
}

/* Whether the composer's text reads as a slash command ("/name ..."). */
static int command_text(const char *body)
{
	return body && body[0] == '/' &&
	       (islower((unsigned char)body[1]) || isdigit((unsigned char)body[1]));
}

/* Runs the composer's text as a command (handlers/commands.c) in chan.
 * *res gets its answer; COMMAND_NOT_FOUND lets the text go as a message. */
static enum px_err run_command(struct px_ctx *ctx, struct json_object *chan, const char *body,
			       struct json_object **res)
{
	struct json_object *j = json_object_new_object(), *saved = ctx->req->json;
	enum px_err e;

	if (!j || px_path_set_int(&ctx->path, "id", px_web_int(chan, "id")) != 0) {
		json_object_put(j);
		return PX_E_SYSTEM_INTERNAL;
	}
	px_web_str(j, "text", body);
	/* the form stays as it came, for the message it may turn out to be */
	ctx->req->json = j;
	e = px_web_call(ctx, px_h_commands_run, res);
	ctx->req->json = saved;
	json_object_put(j);
	return e;
}

/* A command's answer in the page: what it posted is shown where it is;
 * an ephemeral answer as a notice to the caller alone. */
static enum px_err command_page(struct px_ctx *ctx, struct json_object *chan,
				struct json_object *res, long long thread)
{
	struct json_object *msg = NULL, *d;
	struct px_buf loc = PX_BUF_INIT, sfx = PX_BUF_INIT;
	const char *type = px_web_get(res, "response_type"), *text = px_web_get(res, "text");
	enum px_err e;

	if (type && strcmp(type, "ephemeral") == 0) {
		d = json_object_new_object();
		px_web_str(d, "notice", text && *text ? text : px_webpage_tr(ctx, "Done."));
		return px_web_chat_page(ctx, 200, thread, d);
	}
	if (res)
		json_object_object_get_ex(res, "message", &msg);
	if (msg && px_web_get(msg, "html") && px_web_int(msg, "id"))
		px_buf_printf(&sfx, "#m%lld", px_web_int(msg, "id"));
	chan_url(chan, sfx.len ? sfx.data : "", &loc);
	e = loc.failed ? PX_E_SYSTEM_INTERNAL : px_webpage_redirect(ctx, loc.data);
	px_buf_free(&loc);
	px_buf_free(&sfx);
	return e;
}

enum px_err px_h_web_post(struct px_ctx *ctx)
{
	struct json_object *mine = NULL, *chan = NULL, *msg = NULL;
	const char *act = px_web_form(ctx, "action"), *tr = px_web_form(ctx, "thread_root_id");
	long long thread = 0;
	struct px_buf loc = PX_BUF_INIT, sfx = PX_BUF_INIT, bad = PX_BUF_INIT;
	struct px_web_attach files = { { 0 }, 0 };
	enum px_err e;

	/* the API checks the root itself; here it only picks the page to show */
	if (tr && px_http_parse_int(tr, 0, LLONG_MAX, &thread) != 0)
		thread = 0;
	if ((e = px_web_mine(ctx, &mine)) != PX_OK ||
	    (e = px_web_chat_resolve(ctx, mine, &chan, NULL)) != PX_OK)
		goto out;
	e = px_web_attach_receive(ctx, px_web_int(chan, "id"), &files, &bad);
	if (e == PX_OK && act && strcmp(act, "preview") == 0) {
		e = preview(ctx, thread, &files);
		goto out;
	}
	if (e == PX_OK && files.n == 0 && command_text(px_web_form(ctx, "body"))) {
		struct json_object *res = NULL;

		/* the script's quick path shows a posted message; a command
		 * goes the page's way (it asks again without "fragment") */
		if (px_web_form(ctx, "fragment")) {
			ctx->resp->status = 200;
			goto out;
		}
		e = run_command(ctx, chan, px_web_form(ctx, "body"), &res);
		if (e == PX_OK)
			e = command_page(ctx, chan, res, thread);
		json_object_put(res);
		if (e != PX_E_COMMAND_NOT_FOUND) {
			if (e != PX_OK && form_error(e))
				e = compose_error(ctx, e, &bad, &files, thread);
			goto out;
		}
		e = PX_OK;   /* not a command: the text is a message */
	}
	if (e == PX_OK)
		e = post_message(ctx, &files, &msg);
	if (e == PX_OK && px_web_form(ctx, "fragment")) {
		e = px_web_message_fragment(ctx, chan, msg, 201);
	} else if (e == PX_OK) {
		if (thread)
			px_buf_printf(&sfx, "/thread/%lld#m%lld", thread, px_web_int(msg, "id"));
		else
			px_buf_printf(&sfx, "#m%lld", px_web_int(msg, "id"));
		chan_url(chan, sfx.data, &loc);
		e = loc.failed ? PX_E_SYSTEM_INTERNAL : px_webpage_redirect(ctx, loc.data);
	} else if (form_error(e)) {
		e = compose_error(ctx, e, &bad, &files, thread);
	}
out:
	json_object_put(mine);
	json_object_put(chan);
	json_object_put(msg);
	px_buf_free(&loc);
	px_buf_free(&sfx);
	px_buf_free(&bad);
	return e;
}

enum px_err px_h_web_join(struct px_ctx *ctx)
{
	struct json_object *mine = NULL, *chan = NULL;
	struct px_buf loc = PX_BUF_INIT;
	enum px_err e;

	if ((e = px_web_mine(ctx, &mine)) == PX_OK &&
	    (e = px_web_chat_resolve(ctx, mine, &chan, NULL)) == PX_OK) {
		e = px_web_call(ctx, px_h_channels_member_add, NULL);
		if (e == PX_E_VALIDATION_CONFLICT) /* joined already */
			e = PX_OK;
		chan_url(chan, NULL, &loc);
		if (e == PX_OK)
			e = px_webpage_redirect(ctx, loc.data);
	}
	json_object_put(mine);
	json_object_put(chan);
	px_buf_free(&loc);
	return e;
}

/* The new-channel page, with the public channels one may join. */
static enum px_err new_channel_form(struct px_ctx *ctx, int status, enum px_err err)
{
	struct json_object *d = json_object_new_object(), *browse = NULL, *list;
	struct px_buf b = PX_BUF_INIT;
	static const char *const keep[] = { "name", "topic", "user" };
	enum px_err e;
	size_t i, n;

	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_m_channels_browse(ctx->db, ctx->who.user_id, &b)) != PX_OK)
		goto out;
	browse = px_web_json(&b);
	list = json_object_new_array();
	n = json_object_is_type(browse, json_type_array) ? json_object_array_length(browse) : 0;
	for (i = 0; i < n; i++)
		json_object_array_add(list, px_web_channel_view(
			json_object_array_get_idx(browse, i), ctx->who.user_id));
	json_object_object_add(d, "has_browse", json_object_new_boolean(n > 0));
	json_object_object_add(d, "browse", list);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (px_web_form(ctx, keep[i]))
			px_web_str(d, keep[i], px_web_form(ctx, keep[i]));
	if (px_web_form(ctx, "kind") && strcmp(px_web_form(ctx, "kind"), "private") == 0)
		json_object_object_add(d, "private", json_object_new_boolean(1));
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	e = px_web_render(ctx, status, "page/new_channel", "New channel", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(browse);
	px_buf_free(&b);
	return e;
}

enum px_err px_h_web_new_channel_page(struct px_ctx *ctx)
{
	return new_channel_form(ctx, 200, PX_OK);
}

/* Answers a created channel with a redirect to it, or the form again. */
static enum px_err created(struct px_ctx *ctx, enum px_err e, struct json_object *c)
{
	struct px_buf loc = PX_BUF_INIT;

	if (e == PX_OK && c) {
		chan_url(c, NULL, &loc);
		e = loc.failed ? PX_E_SYSTEM_INTERNAL : px_webpage_redirect(ctx, loc.data);
	} else if (form_error(e) || e == PX_E_VALIDATION_NOT_FOUND) {
		e = new_channel_form(ctx, px_err_status(e), e);
	}
	px_buf_free(&loc);
	json_object_put(c);
	return e;
}

enum px_err px_h_web_new_channel(struct px_ctx *ctx)
{
	const char *kind = px_web_form(ctx, "kind");
	struct json_object *c = NULL;
	enum px_err e;

	if (!kind || (strcmp(kind, "public") != 0 && strcmp(kind, "private") != 0))
		(void)px_web_set_form(ctx, "kind", "public");
	e = px_web_call(ctx, px_h_channels_create, &c);
	return created(ctx, e, c);
}

enum px_err px_h_web_new_dm(struct px_ctx *ctx)
{
	const char *user = px_web_form(ctx, "user");
	struct json_object *body = json_object_new_object(), *members, *c = NULL;
	enum px_err e;

	if (!body)
		return PX_E_SYSTEM_INTERNAL;
	if (!user || !*user || strlen(user) > 64) {
		json_object_put(body);
		return created(ctx, PX_E_VALIDATION_MISSING_FIELD, NULL);
	}
	/* the API takes DM members as a JSON list; the form has one name */
	members = json_object_new_array();
	json_object_array_add(members, json_object_new_string(user));
	px_web_str(body, "kind", "dm");
	json_object_object_add(body, "members", members);
	json_object_put(ctx->req->json);
	ctx->req->json = body;
	e = px_web_call(ctx, px_h_channels_create, &c);
	return created(ctx, e, c);
}
