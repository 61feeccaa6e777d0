/* web_msg.c: one message in the browser: the fragment the live script
 * fetches, and the forms that edit, delete, react to and pin it. Every
 * form is a POST that redirects back to the message; the messaging API
 * handlers do the work (route parameters "id" and "mid"). */
#include "handlers/web.h"
#include "handlers/messages.h"
#include "handlers/unfurl.h"
#include "handlers/web_chat.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "web/webpage.h"
#include "model/channels.h"
#include "model/messages.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* Loads the channel of the path and the message "mid" of it. */
static enum px_err load(struct px_ctx *ctx, struct json_object **chan, struct json_object **msg)
{
	struct json_object *mine = NULL;
	struct px_buf b = PX_BUF_INIT;
	enum px_err e;

	*msg = NULL;
	if ((e = px_web_mine(ctx, &mine)) == PX_OK &&
	    (e = px_web_chat_resolve(ctx, mine, chan, NULL)) == PX_OK &&
	    (e = px_m_messages_get(ctx->db, px_web_int(*chan, "id"),
				   px_path_int(&ctx->path, "mid"), &b)) == PX_OK &&
	    !(*msg = px_web_json(&b)))
		e = PX_E_SYSTEM_INTERNAL;
	json_object_put(mine);
	px_buf_free(&b);
	return e;
}

enum px_err px_h_web_message(struct px_ctx *ctx)
{
	struct json_object *chan = NULL, *msg = NULL;
	enum px_err e = load(ctx, &chan, &msg);

	if (e == PX_OK)
		e = px_web_message_fragment(ctx, chan, msg, 200);
	json_object_put(chan);
	json_object_put(msg);
	return e;
}

/* Back to the message in its channel (or its thread when it is a reply). */
static enum px_err back(struct px_ctx *ctx, struct json_object *chan, struct json_object *msg,
			const char *done)
{
	struct px_buf loc = PX_BUF_INIT;
	long long root = px_web_int(msg, "thread_root_id"), id = px_web_int(msg, "id");
	char slug[96];
	enum px_err e;

	px_web_channel_slug(chan, slug, sizeof(slug));
	px_buf_printf(&loc, "/c/%s", slug);
	if (root)
		px_buf_printf(&loc, "/thread/%lld", root);
	if (done)
		px_buf_printf(&loc, "?done=%s", done);
	px_buf_printf(&loc, "#m%lld", id);
	e = loc.failed ? PX_E_SYSTEM_INTERNAL : px_webpage_redirect(ctx, loc.data);
	px_buf_free(&loc);
	return e;
}

/* The edit form, with the text typed so far and an error. */
static enum px_err edit_form(struct px_ctx *ctx, int status, struct json_object *chan,
			     struct json_object *msg, enum px_err err)
{
	struct json_object *d = json_object_new_object();
	const char *typed = px_web_form(ctx, "body");
	enum px_err e;

	if ((e = px_web_sidebar(ctx, d, px_web_int(chan, "id"))) != PX_OK) {
		json_object_put(d);
		return e;
	}
	json_object_object_add(d, "channel", px_web_channel_view(chan, ctx->who.user_id));
	json_object_object_add(d, "message", px_web_message_view(ctx, msg));
	px_web_str(d, "draft", typed ? typed : px_web_get(msg, "body"));
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	return px_web_render(ctx, status, "page/edit", "Edit", d);
}

enum px_err px_h_web_edit_page(struct px_ctx *ctx)
{
	struct json_object *chan = NULL, *msg = NULL, *a = NULL;
	enum px_err e = load(ctx, &chan, &msg);

	if (e == PX_OK && px_web_bool(msg, "deleted"))
		e = PX_E_VALIDATION_MESSAGE_DELETED;
	/* only the author may edit: say so before showing a form that fails */
	if (e == PX_OK && (!json_object_object_get_ex(msg, "author", &a) ||
			   px_web_int(a, "id") != ctx->who.user_id))
		e = PX_E_AUTH_NOT_AUTHOR;
	if (e == PX_OK)
		e = edit_form(ctx, 200, chan, msg, PX_OK);
	json_object_put(chan);
	json_object_put(msg);
	return e;
}

enum px_err px_h_web_edit(struct px_ctx *ctx)
{
	struct json_object *chan = NULL, *msg = NULL;
	enum px_err e = load(ctx, &chan, &msg);

	if (e != PX_OK)
		goto out;
	e = px_web_call(ctx, px_h_messages_patch, NULL);
	if (e == PX_OK)
		e = back(ctx, chan, msg, NULL);
	else if (strncmp(px_err_name(e), "VALIDATION_", 11) == 0 && e != PX_E_VALIDATION_NOT_FOUND)
		e = edit_form(ctx, px_err_status(e), chan, msg, e);
out:
	json_object_put(chan);
	json_object_put(msg);
	return e;
}

/* The form actions that call one API handler on the loaded message and
 * go back to the message; pick chooses the handler from the message
 * (NULL: always api). */
static enum px_err act(struct px_ctx *ctx, px_handler_fn api,
		       px_handler_fn (*pick)(struct json_object *msg), const char *notice)
{
	struct json_object *chan = NULL, *msg = NULL;
	enum px_err e = load(ctx, &chan, &msg);

	if (e == PX_OK && (e = px_web_call(ctx, pick ? pick(msg) : api, NULL)) == PX_OK)
		e = back(ctx, chan, msg, notice);
	json_object_put(chan);
	json_object_put(msg);
	return e;
}

static px_handler_fn pin_or_unpin(struct json_object *msg)
{
	return px_web_bool(msg, "pinned") ? px_h_messages_unpin : px_h_messages_pin;
}

enum px_err px_h_web_delete(struct px_ctx *ctx)
{
	return act(ctx, px_h_messages_delete, NULL, "deleted");
}

enum px_err px_h_web_react(struct px_ctx *ctx)
{
	return act(ctx, px_h_reactions_toggle, NULL, NULL);
}

enum px_err px_h_web_pin(struct px_ctx *ctx)
{
	return act(ctx, NULL, pin_or_unpin, NULL);
}

enum px_err px_h_web_preview_remove(struct px_ctx *ctx)
{
	return act(ctx, px_h_unfurl_remove, NULL, NULL);
}
