/* web_people.c: the pages of people.h: the channel browser (join, leave,
 * notification level), the people search (profile, direct message), a
 * profile (local time, status; one's own with its form) and the admin's
 * site settings. Writes go through the API handlers (px_web_call), so a
 * page never admits more than the API. */
#include "handlers/people.h"
#include "handlers/channels.h"
#include "handlers/web_chat.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "model/people.h"
#include "model/users.h"
#include "web/markdown.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define PEOPLE_PAGE 50

/* The channel's topic as plain words ("" when none). */
static void plain_topic(struct json_object *o, const char *topic)
{
	struct px_buf b = PX_BUF_INIT;

	if (topic && *topic && px_markdown_plain(topic, strlen(topic), &b) == PX_OK)
		px_web_str(o, "topic", b.data);
	px_buf_free(&b);
}

/* The three notification levels as choices, the current one selected. */
static struct json_object *levels(const char *current)
{
	static const char *const keys[] = { "all", "mentions", "none" };
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *o = json_object_new_object();

		px_web_str(o, "value", keys[i]);
		json_object_object_add(o, keys[i], json_object_new_boolean(1));
		json_object_object_add(o, "selected", json_object_new_boolean(
			strcmp(current ? current : "all", keys[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

/* One row of the channel browser. */
static struct json_object *browser_row(struct json_object *c)
{
	struct json_object *o = json_object_new_object();
	int joined = px_web_get(c, "my_role") != NULL;

	px_web_str(o, "name", px_web_get(c, "name"));
	plain_topic(o, px_web_get(c, "topic"));
	json_object_object_add(o, "member_count", json_object_new_int64(px_web_int(c, "member_count")));
	json_object_object_add(o, "joined", json_object_new_boolean(joined));
	if (joined)
		json_object_object_add(o, "levels", levels(px_web_get(c, "notify")));
	return o;
}

enum px_err px_h_web_channels_browser(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *list = NULL, *rows;
	struct px_buf out = PX_BUF_INIT;
	enum px_err e;
	size_t i, n;

	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_m_people_directory(ctx->db, ctx->who.user_id, &out)) != PX_OK)
		goto out;
	list = px_web_json(&out);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	rows = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(rows, browser_row(json_object_array_get_idx(list, i)));
	json_object_object_add(d, "channels", rows);
	json_object_object_add(d, "has_channels", json_object_new_boolean(n > 0));
	px_web_notice(ctx, d);
	e = px_web_render(ctx, 200, "page/channels", "Channels", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(list);
	px_buf_free(&out);
	return e;
}

/* Runs fn for the page's channel (route parameter "id" set from the slug),
 * then answers with a redirect to back. */
static enum px_err channel_action(struct px_ctx *ctx, px_handler_fn fn, const char *back)
{
	struct json_object *mine = NULL, *chan = NULL;
	enum px_err e;

	if ((e = px_web_mine(ctx, &mine)) == PX_OK &&
	    (e = px_web_chat_resolve(ctx, mine, &chan, NULL)) == PX_OK &&
	    (e = px_web_call(ctx, fn, NULL)) == PX_OK)
		e = px_web_done(ctx, back, "saved");
	json_object_put(mine);
	json_object_put(chan);
	return e;
}

enum px_err px_h_web_leave(struct px_ctx *ctx)
{
	if (px_path_set_int(&ctx->path, "user", ctx->who.user_id) != 0)
		return PX_E_SYSTEM_INTERNAL;
	return channel_action(ctx, px_h_channels_member_delete, "/channels");
}

enum px_err px_h_web_notify(struct px_ctx *ctx)
{
	const char *from = px_web_form(ctx, "from");
	struct px_buf back = PX_BUF_INIT;
	enum px_err e;

	/* back to the browser, or to the channel the form was on */
	if (from && strcmp(from, "channels") == 0) {
		px_buf_puts(&back, "/channels");
	} else {
		px_buf_puts(&back, "/c/");
		px_buf_puts(&back, px_path_str(&ctx->path, "channel"));
	}
	e = back.failed ? PX_E_SYSTEM_INTERNAL : channel_action(ctx, px_h_people_notify, back.data);
	px_buf_free(&back);
	return e;
}

/* Adds one account of the directory to the people list. */
static void add_person(const struct px_m_user *u, void *arg)
{
	struct json_object *o = json_object_new_object();
	char initial[8];

	px_web_str(o, "username", u->username);
	px_web_str(o, "display_name", u->display_name[0] ? u->display_name : u->username);
	if (u->avatar[0]) {
		char url[96];

		snprintf(url, sizeof(url), "/api/v1/users/%lld/avatar?v=%s", u->id, u->avatar);
		px_web_str(o, "avatar_url", url);
	}
	px_web_initial(u->display_name[0] ? u->display_name : u->username, initial);
	px_web_str(o, "initial", initial);
	json_object_object_add(o, "is_me", json_object_new_boolean(0));
	json_object_array_add(arg, o);
}

enum px_err px_h_web_people(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *people = json_object_new_array();
	const char *q = px_request_query(ctx->req, "q");
	enum px_err e;

	if (q && strlen(q) > 100)
		q = NULL;
	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_m_users_list(ctx->db, q && *q ? q : NULL, 0, PEOPLE_PAGE, 0, add_person,
				 people)) != PX_OK) {
		json_object_put(people);
		json_object_put(d);
		return e;
	}
	px_web_str(d, "q", q ? q : "");
	json_object_object_add(d, "has_people",
			       json_object_new_boolean(json_object_array_length(people) > 0));
	json_object_object_add(d, "people", people);
	return px_web_render(ctx, 200, "page/people", "People", d);
}

/* A profile (model JSON) as page data. */
static struct json_object *person_view(struct json_object *p)
{
	struct json_object *o = json_object_new_object();
	const char *dn = px_web_get(p, "display_name"), *av = px_web_get(p, "avatar");
	const char *user = px_web_get(p, "username");
	char initial[8];

	px_web_str(o, "username", user);
	px_web_str(o, "display_name", dn && *dn ? dn : user);
	px_web_initial(dn && *dn ? dn : user, initial);
	px_web_str(o, "initial", initial);
	if (av && *av) {
		char url[96];

		snprintf(url, sizeof(url), "/api/v1/users/%lld/avatar?v=%s", px_web_int(p, "id"), av);
		px_web_str(o, "avatar_url", url);
	}
	if (px_web_get(p, "status_text") && *px_web_get(p, "status_text"))
		px_web_str(o, "status_text", px_web_get(p, "status_text"));
	if (px_web_get(p, "bio") && *px_web_get(p, "bio"))
		px_web_str(o, "bio", px_web_get(p, "bio"));
	if (px_web_get(p, "local_time")) {
		px_web_str(o, "local_time", px_web_get(p, "local_time"));
		px_web_str(o, "time_zone", px_web_get(p, "time_zone"));
		px_web_str(o, "utc_offset", px_web_get(p, "utc_offset"));
	}
	json_object_object_add(o, "online", json_object_new_boolean(px_web_bool(p, "online")));
	if (px_web_int(p, "dm_id"))
		json_object_object_add(o, "dm_id", json_object_new_int64(px_web_int(p, "dm_id")));
	return o;
}

/* The profile page of the account the route names, with err (and the
 * form's values) when the status form came back. */
static enum px_err profile_page(struct px_ctx *ctx, int status, enum px_err err)
{
	struct json_object *d = json_object_new_object(), *p = NULL, *zones = NULL, *opts;
	const char *name = px_path_str(&ctx->path, "user");
	struct px_buf out = PX_BUF_INIT;
	enum px_err e;
	size_t i, n;

	if (!name)
		name = ctx->who.username;
	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_m_people_profile(ctx->db, name, ctx->who.user_id, &out)) != PX_OK)
		goto out;
	p = px_web_json(&out);
	if (!p) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	json_object_object_add(d, "person", person_view(p));
	if (px_web_int(p, "id") == ctx->who.user_id) {
		const char *zone = px_web_form(ctx, "time_zone");

		json_object_object_add(d, "is_me", json_object_new_boolean(1));
		px_buf_reset(&out);
		if ((e = px_m_people_time_zones(ctx->db, &out)) != PX_OK || !(zones = px_web_json(&out)))
			goto out;
		if (!zone)
			zone = px_web_get(p, "time_zone");
		opts = json_object_new_array();
		n = json_object_array_length(zones);
		for (i = 0; i < n; i++) {
			const char *z = json_object_get_string(json_object_array_get_idx(zones, i));
			struct json_object *o = json_object_new_object();

			px_web_str(o, "name", z);
			json_object_object_add(o, "selected", json_object_new_boolean(zone && strcmp(z, zone) == 0));
			json_object_array_add(opts, o);
		}
		json_object_object_add(d, "zones", opts);
		json_object_object_add(d, "no_zone", json_object_new_boolean(!zone || !*zone));
		px_web_str(d, "status_text", px_web_form(ctx, "status_text") ? px_web_form(ctx, "status_text")
									   : px_web_get(p, "status_text"));
	}
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	px_web_notice(ctx, d);
	e = px_web_render(ctx, status, "page/profile", "Profile", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(p);
	json_object_put(zones);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_web_profile_page(struct px_ctx *ctx)
{
	return profile_page(ctx, 200, PX_OK);
}

enum px_err px_h_web_status(struct px_ctx *ctx)
{
	struct px_buf back = PX_BUF_INIT;
	enum px_err e = px_web_call(ctx, px_h_people_status, NULL);

	if (e == PX_OK) {
		px_buf_puts(&back, "/u/");
		px_web_urlenc(&back, ctx->who.username);
		e = back.failed ? PX_E_SYSTEM_INTERNAL : px_web_done(ctx, back.data, "saved");
	} else if (px_err_status(e) == 400) {
		e = profile_page(ctx, 400, e);
	}
	px_buf_free(&back);
	return e;
}

/* The admin's settings tab: the default channel among the public ones. */
static enum px_err admin_settings(struct px_ctx *ctx, int status, enum px_err err)
{
	struct json_object *d = json_object_new_object(), *s = NULL, *list = NULL, *opts, *tabs;
	struct px_buf out = PX_BUF_INIT;
	const char *current;
	enum px_err e;
	size_t i, n;

	if ((e = px_m_people_settings(ctx->db, &out)) != PX_OK || !(s = px_web_json(&out)))
		goto out;
	current = px_web_get(s, "default_channel");
	px_buf_reset(&out);
	if ((e = px_m_people_directory(ctx->db, ctx->who.user_id, &out)) != PX_OK)
		goto out;
	list = px_web_json(&out);
	opts = json_object_new_array();
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		const char *name = px_web_get(json_object_array_get_idx(list, i), "name");
		struct json_object *o = json_object_new_object();

		px_web_str(o, "name", name);
		json_object_object_add(o, "selected",
				       json_object_new_boolean(current && name && strcmp(current, name) == 0));
		json_object_array_add(opts, o);
	}
	json_object_object_add(d, "default_channels", opts);
	json_object_object_add(d, "no_default", json_object_new_boolean(!current || !*current));
	tabs = json_object_new_object();
	json_object_object_add(tabs, "settings", json_object_new_boolean(1));
	json_object_object_add(d, "tab", tabs);
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	px_web_notice(ctx, d);
	e = px_web_render(ctx, status, "page/admin", "Site settings", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(s);
	json_object_put(list);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_web_admin_settings(struct px_ctx *ctx)
{
	return admin_settings(ctx, 200, PX_OK);
}

enum px_err px_h_web_admin_settings_save(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_people_settings_put, NULL);

	if (e == PX_OK)
		return px_web_done(ctx, "/admin/settings", "saved");
	return px_err_status(e) == 400 || px_err_status(e) == 404 ? admin_settings(ctx, px_err_status(e), e) : e;
}
