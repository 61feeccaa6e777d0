/* web_emoji.c: the reaction picker without JavaScript, GET
 * /c/{channel}/m/{mid}/react?q=: emoji whose shortcode holds the words
 * typed, each a form that posts to the message's react route (the same
 * one the quick reaction and the script's picker use). */
#include "handlers/people.h"
#include "handlers/web_chat.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "web/emoji.h"

#include <json-c/json.h>
#include <string.h>

#define RESULTS 120

static void add_result(const char *code, const char *emoji, void *arg)
{
	struct json_object *o = json_object_new_object();

	px_web_str(o, "code", code);
	px_web_str(o, "emoji", emoji);
	json_object_array_add(arg, o);
}

enum px_err px_h_web_react_page(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *mine = NULL, *chan = NULL;
	struct json_object *found = json_object_new_array();
	const char *q = px_request_query(ctx->req, "q");
	enum px_err e;

	if (q && strlen(q) > PX_EMOJI_MAX_CODE)
		q = NULL;
	if ((e = px_web_mine(ctx, &mine)) != PX_OK ||
	    (e = px_web_chat_resolve(ctx, mine, &chan, NULL)) != PX_OK ||
	    (e = px_web_sidebar(ctx, d, 0)) != PX_OK) {
		json_object_put(found);
		json_object_put(d);
		goto out;
	}
	if (q && *q)
		px_emoji_search(q, RESULTS, add_result, found);
	px_web_str(d, "q", q ? q : "");
	px_web_str(d, "slug", px_path_str(&ctx->path, "channel"));
	json_object_object_add(d, "mid", json_object_new_int64(px_path_int(&ctx->path, "mid")));
	json_object_object_add(d, "searched", json_object_new_boolean(q && *q));
	json_object_object_add(d, "has_results", json_object_new_boolean(json_object_array_length(found) > 0));
	json_object_object_add(d, "results", found);
	e = px_web_render(ctx, 200, "page/react", "Add reaction", d);
out:
	json_object_put(mine);
	json_object_put(chan);
	return e;
}
