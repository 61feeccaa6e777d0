/* web_search.c: the search page (words plus channel, author, date and
 * pinned filters, results with the matched words highlighted) and the
 * notifications page. The query language and the search itself are the
 * messaging area's (px_search_parse, px_m_search). */
#include "handlers/web.h"
#include "handlers/search.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "core/cfg.h"
#include "web/webpage.h"
#include "model/notifications.h"
#include "model/search.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define RESULTS 50

/* Appends one "key:value" filter from query field name when it is set. */
static void filter(struct px_ctx *ctx, struct px_buf *q, const char *name, const char *key,
		   struct json_object *d)
{
	const char *v = px_request_query(ctx->req, name);

	if (!v || !*v || strchr(v, ' '))
		return;
	px_buf_printf(q, " %s:%s", key, v);
	px_web_str(d, name, v);
}

/* The whole query text: the words field plus the filter fields. */
static void query_text(struct px_ctx *ctx, struct px_buf *q, struct json_object *d)
{
	const char *words = px_request_query(ctx->req, "q");

	px_buf_puts(q, words ? words : "");
	px_web_str(d, "q", words);
	filter(ctx, q, "in", "in", d);
	filter(ctx, q, "from", "from", d);
	filter(ctx, q, "after", "after", d);
	filter(ctx, q, "before", "before", d);
	if (px_request_query(ctx->req, "pinned")) {
		px_buf_puts(q, " is:pinned");
		json_object_object_add(d, "pinned", json_object_new_boolean(1));
	}
}

static struct json_object *result_view(struct px_ctx *ctx, struct json_object *r)
{
	struct json_object *m = NULL, *c = NULL, *o;

	json_object_object_get_ex(r, "message", &m);
	json_object_object_get_ex(r, "channel", &c);
	o = px_web_message_view(ctx, m);
	if (!o)
		return NULL;
	json_object_object_add(o, "channel", px_web_channel_view(c, ctx->who.user_id));
	json_object_object_add(o, "parts", px_web_snippet_parts(px_web_get(r, "snippet")));
	if (px_web_int(m, "thread_root_id") > 0)
		json_object_object_add(o, "root_id",
				       json_object_new_int64(px_web_int(m, "thread_root_id")));
	return o;
}

/* Runs the search of query text q and adds "results" (or "error"). */
static enum px_err run(struct px_ctx *ctx, const char *q, struct json_object *d)
{
	struct px_search_query sq;
	struct px_m_search m;
	struct px_buf out = PX_BUF_INIT;
	struct json_object *res = NULL, *list = NULL, *views;
	const char *bad = "q";
	enum px_err e;
	size_t i, n;

	if ((e = px_search_parse(q, &sq, &bad)) != PX_OK) {
		px_web_error(ctx, d, e);
		return PX_OK;
	}
	if (sq.nwords == 0 && !sq.from[0] && !sq.pinned && !sq.in_name[0])
		return PX_OK;
	m = (struct px_m_search){ ctx->who.user_id, sq.words, 0,
				  sq.in_name[0] ? sq.in_name : NULL, sq.from[0] ? sq.from : NULL,
				  sq.before[0] ? sq.before : NULL, sq.after[0] ? sq.after : NULL,
				  sq.pinned, px_cfg_str(ctx->cfg, "search_language"), RESULTS };
	if ((e = px_m_search(ctx->db, &m, &out)) != PX_OK)
		goto out;
	res = px_web_json(&out);
	json_object_object_get_ex(res, "results", &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	views = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(views, result_view(ctx, json_object_array_get_idx(list, i)));
	json_object_object_add(d, "results", views);
	json_object_object_add(d, "searched", json_object_new_boolean(1));
	json_object_object_add(d, "result_count", json_object_new_int64((long long)n));
out:
	json_object_put(res);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_web_search(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *mine = NULL, *opts, *sel;
	struct px_buf q = PX_BUF_INIT;
	enum px_err e;
	size_t i, n;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	query_text(ctx, &q, d);
	if ((e = px_web_mine(ctx, &mine)) != PX_OK || (e = run(ctx, q.data, d)) != PX_OK)
		goto out;
	px_web_sidebar_add(ctx, d, mine, 0);
	/* the channel filter lists the named channels one belongs to */
	opts = json_object_new_array();
	n = json_object_array_length(mine);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(mine, i);
		const char *name = px_web_get(c, "name");

		if (!name || !*name)
			continue;
		sel = json_object_new_object();
		px_web_str(sel, "name", name);
		json_object_object_add(sel, "selected", json_object_new_boolean(
			px_request_query(ctx->req, "in") &&
			strcmp(px_request_query(ctx->req, "in"), name) == 0));
		json_object_array_add(opts, sel);
	}
	json_object_object_add(d, "channel_options", opts);
	e = px_web_render(ctx, 200, "page/search", "Search", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(mine);
	px_buf_free(&q);
	return e;
}

enum px_err px_h_web_notifications(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *r = NULL, *list = NULL, *views;
	struct px_buf out = PX_BUF_INIT;
	long long before = 0;
	enum px_err e;
	size_t i, n;

	/* a page link with a broken cursor shows the first page */
	if (px_request_query_int(ctx->req, "before", 1, LLONG_MAX, &before) < 0)
		before = 0;
	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_m_notifications_list(ctx->db, ctx->who.user_id, 0, before, 50,
					 &out)) != PX_OK)
		goto out;
	r = px_web_json(&out);
	json_object_object_get_ex(r, "notifications", &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	views = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(list, i), *m = NULL, *a = NULL;
		struct json_object *o;
		const char *dn;

		json_object_object_get_ex(x, "message", &m);
		json_object_object_get_ex(x, "actor", &a);
		o = px_web_message_view(ctx, m);
		json_object_object_add(o, "kind", json_object_new_string(
			px_web_get(x, "kind") ? px_web_get(x, "kind") : ""));
		json_object_object_add(o, "unread", json_object_new_boolean(!px_web_bool(x, "read")));
		json_object_object_add(o, "channel_id", json_object_new_int64(px_web_int(x, "channel_id")));
		if (px_web_get(x, "channel_name")) /* h-uirich: notices name their channel */
			px_web_str(o, "channel_name", px_web_get(x, "channel_name"));
		if (px_web_int(m, "thread_root_id") > 0)
			json_object_object_add(o, "root_id",
					       json_object_new_int64(px_web_int(m, "thread_root_id")));
		dn = px_web_get(a, "display_name");
		px_web_str(o, "actor", dn && *dn ? dn : px_web_get(a, "username"));
		px_web_time(ctx, o, "at", px_web_get(x, "created_at"));
		json_object_array_add(views, o);
		if (i + 1 == n)
			json_object_object_add(d, "older_before", json_object_new_int64(px_web_int(x, "id")));
	}
	json_object_object_add(d, "notifications", views);
	json_object_object_add(d, "has_more", json_object_new_boolean(px_web_bool(r, "has_more")));
	json_object_object_add(d, "has_unread", json_object_new_boolean(px_web_int(r, "unread_count") > 0));
	px_web_notice(ctx, d);
	e = px_web_render(ctx, 200, "page/notifications", "Notifications", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(r);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_web_notifications_read(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e = px_m_notifications_read(ctx->db, ctx->who.user_id, NULL, &out);

	px_buf_free(&out);
	return e == PX_OK ? px_web_done(ctx, "/notifications", "saved") : e;
}
