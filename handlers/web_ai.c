/* web_ai.c: the AI pages. /admin/ai: the moderation review queue, filled
 * and acted on by static/js/ai.js through the admin AI API, whose route
 * carries the same action. POST /c/<slug>/ai: the form behind the
 * channel's Summarise and Ask controls for a browser without JavaScript;
 * it calls the same API handler (one answer, not streamed) and shows the
 * channel page with the answer above the messages. With JavaScript, ai.js
 * posts to the API with "stream": true instead. */
#include "handlers/web.h"
#include "handlers/ai.h"
#include "handlers/web_chat.h"
#include "handlers/web_util.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_h_web_admin_ai(struct px_ctx *ctx)
{
	return px_web_render(ctx, 200, "page/admin_ai", "AI", json_object_new_object());
}

/* A point's text without its "[#123]" citations (the links follow it). */
static void strip_refs(const char *s, struct px_buf *out)
{
	while (*s) {
		size_t k = 2;

		if (s[0] == '[' && s[1] == '#') {
			while (s[k] >= '0' && s[k] <= '9')
				k++;
			if (k > 2 && s[k] == ']') {
				while (out->len && out->data[out->len - 1] == ' ')
					out->data[--out->len] = '\0';
				s += k + 1;
				continue;
			}
		}
		px_buf_putc(out, *s++);
	}
	px_buf_putc(out, '\0');
}

/* The answer box's view from the API's JSON answer j (field: "summary"
 * or "answer"): points with links to the messages they came from, and
 * the AI marker's provider, model and notice. */
static struct json_object *answer_view(struct json_object *j, const char *field)
{
	struct json_object *v = json_object_new_object(), *pts = NULL, *ai = NULL, *list;
	size_t i, k;

	list = json_object_new_array();
	json_object_object_get_ex(j, "points", &pts);
	for (i = 0; pts && i < json_object_array_length(pts); i++) {
		struct json_object *p = json_object_array_get_idx(pts, i), *src = NULL, *pv, *sv;
		struct px_buf t = PX_BUF_INIT, u = PX_BUF_INIT;

		strip_refs(px_web_get(p, "text") ? px_web_get(p, "text") : "", &t);
		pv = json_object_new_object();
		px_web_str(pv, "text", t.data);
		sv = json_object_new_array();
		json_object_object_get_ex(p, "sources", &src);
		for (k = 0; src && k < json_object_array_length(src); k++) {
			struct json_object *s = json_object_array_get_idx(src, k), *o;
			long long id = px_web_int(s, "message_id");

			/* the history page that starts at the message, in its channel */
			px_buf_reset(&u);
			px_buf_printf(&u, "/c/%lld?after=%lld#m%lld", px_web_int(s, "channel_id"), id - 1, id);
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int64(id));
			px_web_str(o, "url", u.data);
			json_object_array_add(sv, o);
		}
		json_object_object_add(pv, "sources", sv);
		json_object_array_add(list, pv);
		px_buf_free(&t);
		px_buf_free(&u);
	}
	if (!json_object_array_length(list)) {
		struct json_object *pv = json_object_new_object();

		px_web_str(pv, "text", px_web_get(j, field));
		json_object_object_add(pv, "sources", json_object_new_array());
		json_object_array_add(list, pv);
	}
	json_object_object_add(v, "points", list);
	json_object_object_get_ex(j, "ai", &ai);
	px_web_str(v, "provider", px_web_get(ai, "provider"));
	px_web_str(v, "model", px_web_get(ai, "model"));
	px_web_str(v, "notice", px_web_get(ai, "notice"));
	return v;
}

enum px_err px_h_web_ai_answer(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *mine = NULL, *chan = NULL, *j = NULL, *v;
	const char *task = px_web_form(ctx, "task"), *tid = px_web_form(ctx, "thread_id");
	long long thread = tid ? strtoll(tid, NULL, 10) : 0;
	int ask = task && strcmp(task, "ask") == 0;
	enum px_err e;

	/* the channel first: the API handlers find it as {id} */
	if ((e = px_web_mine(ctx, &mine)) != PX_OK || (e = px_web_chat_resolve(ctx, mine, &chan, NULL)) != PX_OK)
		goto out;
	if (!ask && (!task || strcmp(task, "summary") != 0)) {
		px_ctx_detail(ctx, "field", "task");
		e = PX_E_VALIDATION_FIELD_FORMAT;
		goto out;
	}
	e = px_web_call(ctx, ask ? px_h_ai_ask : px_h_ai_summary, &j);
	if (e != PX_OK && e != PX_E_SYSTEM_INTERNAL && e != PX_E_VALIDATION_NOT_FOUND) {
		/* a refusal (AI off, budget spent, provider down...) shows beside
		 * the controls, like a form error */
		v = json_object_new_object();
		px_web_error(ctx, v, e);
	} else if (e == PX_OK && j) {
		v = answer_view(j, ask ? "answer" : "summary");
	} else {
		goto out;
	}
	px_web_str(v, "box_id", ask ? "ai-ask-answer" : thread ? "ai-thread-summary" : "ai-channel-summary");
	json_object_object_add(v, ask ? "is_ask" : "is_summary", json_object_new_boolean(1));
	if (ask)
		px_web_str(d, "ai_question", px_web_form(ctx, "question"));
	json_object_object_add(d, "ai_answer", v);
	e = px_web_chat_page(ctx, e == PX_OK ? 200 : px_err_status(e), thread, d);
	d = NULL;
out:
	json_object_put(d);
	json_object_put(j);
	json_object_put(chan);
	json_object_put(mine);
	return e;
}
