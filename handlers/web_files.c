/* web_files.c: a channel's files page, /c/{channel}/files: its files
 * newest first with who uploaded them, when, and a link to the message
 * that carries each; files of deleted messages are not listed. */
#include "handlers/web.h"
#include "handlers/web_chat.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "model/files.h"
#include "web/webpage.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 50

/* Adds to file view o who uploaded it, when, and the link to its message. */
static void file_extras(struct px_ctx *ctx, struct json_object *o, struct json_object *f,
			const char *slug)
{
	struct json_object *u = NULL;
	struct px_buf url = PX_BUF_INIT;
	long long mid = px_web_int(f, "message_id"), root = px_web_int(f, "thread_root_id");

	json_object_object_get_ex(f, "uploader", &u);
	json_object_object_add(o, "uploader", px_web_user_view(u));
	px_web_time(ctx, o, "time", px_web_get(f, "created_at"));
	if (mid > 0) {
		/* a reply opens its thread; a message the page of history
		 * that starts with it */
		if (root > 0)
			px_buf_printf(&url, "/c/%s/thread/%lld#m%lld", slug, root, mid);
		else
			px_buf_printf(&url, "/c/%s?after=%lld#m%lld", slug, mid - 1, mid);
		px_web_str(o, "message_url", url.data);
	}
	px_buf_free(&url);
}

enum px_err px_h_web_channel_files(struct px_ctx *ctx)
{
	struct json_object *mine = NULL, *chan = NULL, *page = NULL, *fs = NULL, *list, *d = NULL;
	const char *b = px_request_query(ctx->req, "before");
	struct px_buf out = PX_BUF_INIT, url = PX_BUF_INIT;
	long long before = 0;
	char slug[96];
	enum px_err e;
	size_t i, n;

	if (b && (strspn(b, "0123456789") != strlen(b) || !*b || strlen(b) > 18)) {
		px_ctx_detail(ctx, "field", "before");
		return PX_E_VALIDATION_INVALID_CURSOR;
	}
	before = b ? strtoll(b, NULL, 10) : 0;
	if ((e = px_web_mine(ctx, &mine)) != PX_OK ||
	    (e = px_web_chat_resolve(ctx, mine, &chan, NULL)) != PX_OK ||
	    (e = px_m_files_list(ctx->db, px_web_int(chan, "id"), before, PAGE_SIZE, &out)) != PX_OK)
		goto out;
	if (!(page = px_web_json(&out)) || !(d = json_object_new_object())) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_web_channel_slug(chan, slug, sizeof(slug));
	json_object_object_get_ex(page, "files", &fs);
	list = json_object_new_array();
	n = json_object_is_type(fs, json_type_array) ? json_object_array_length(fs) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(fs, i);
		struct json_object *o = px_web_file_view(ctx, f);

		if (o) {
			file_extras(ctx, o, f, slug);
			json_object_array_add(list, o);
		}
	}
	json_object_object_add(d, "files", list);
	json_object_object_add(d, "has_files", json_object_new_boolean(n > 0));
	if (px_web_bool(page, "has_more") && px_web_int(page, "next_before")) {
		px_buf_printf(&url, "/c/%s/files?before=%lld", slug, px_web_int(page, "next_before"));
		px_web_str(d, "older_url", url.data);
	}
	if (before) {
		px_buf_reset(&url);
		px_buf_printf(&url, "/c/%s/files", slug);
		px_web_str(d, "latest_url", url.data);
	}
	px_web_sidebar_add(ctx, d, mine, px_web_int(chan, "id"));
	json_object_object_add(d, "channel", px_web_channel_view(chan, ctx->who.user_id));
	e = px_web_render(ctx, 200, "page/files", "Files", d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(page);
	json_object_put(mine);
	json_object_put(chan);
	px_buf_free(&out);
	px_buf_free(&url);
	return e;
}
