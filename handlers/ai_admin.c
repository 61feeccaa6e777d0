/* ai_admin.c: the admin AI handlers (ai.h): the audit export as JSON
 * lines, the moderation review queue (approving a held post posts it as its
 * author; rejecting a flagged one deletes it), insights and status. The
 * route rows admit admins only. */
#include "handlers/ai.h"
#include "handlers/ai_svc.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/cfg.h"
#include "model/ai.h"
#include "model/messages.h"
#include "web/markdown.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_h_admin_ai_audit(struct px_ctx *ctx)
{
	long long after = 0, limit = 1000;
	enum px_err e;

	if ((e = px_in_query_int(ctx, "after", 0, LLONG_MAX, PX_E_VALIDATION_FIELD_FORMAT, &after)) != PX_OK ||
	    (e = px_in_query_int(ctx, "limit", 1, 10000, PX_E_VALIDATION_LIMIT_RANGE, &limit)) != PX_OK)
		return e;
	px_buf_reset(&ctx->resp->body);
	if ((e = px_m_ai_audit_export(ctx->db, after, (int)limit, &ctx->resp->body)) != PX_OK) {
		px_buf_reset(&ctx->resp->body);
		return e;
	}
	ctx->resp->status = 200;
	px_response_header(ctx->resp, "Content-Type", "application/x-ndjson; charset=utf-8");
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	return PX_OK;
}

enum px_err px_h_admin_ai_review_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	int limit;
	enum px_err e;

	if ((e = px_hm_limit(ctx, 50, 500, &limit)) == PX_OK &&
	    (e = px_m_ai_mod_list(ctx->db, limit, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_ai_post_held(struct px_ctx *ctx, long long rid,
			      const struct px_m_ai_mod_entry *en, struct px_buf *msg)
{
	struct px_buf html = PX_BUF_INIT, mentions = PX_BUF_INIT;
	struct px_m_ai_policy pol;
	struct px_m_post p = { 0 };
	json_object *o = NULL, *id;
	int replayed = 0;
	enum px_err e;

	if ((e = px_m_ai_policy(ctx->db, en->channel, &pol)) != PX_OK ||
	    (e = px_markdown_render(en->body, strlen(en->body), &html, &mentions)) != PX_OK)
		goto out;
	p = (struct px_m_post){ en->channel, en->author, en->thread_root, pol.kind, en->body,
				html.data ? html.data : "", px_cfg_str(ctx->cfg, "search_language"),
				NULL, mentions.data ? mentions.data : "", NULL };
	if ((e = px_m_messages_post(ctx->db, &p, &replayed, msg)) != PX_OK)
		goto out;
	if ((o = json_tokener_parse(msg->data ? msg->data : "")) &&
	    json_object_object_get_ex(o, "id", &id))
		e = px_m_ai_mod_posted(ctx->db, rid, json_object_get_int64(id));
out:
	json_object_put(o);
	px_buf_free(&html);
	px_buf_free(&mentions);
	return e;
}

enum px_err px_h_admin_ai_review_decide(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT, msg = PX_BUF_INIT;
	struct px_m_ai_mod_entry en = { 0 };
	long long rid = px_path_int(&ctx->path, "rid");
	const char *d = NULL;
	int approve;
	enum px_err e;

	if ((e = px_in_str(ctx, "decision", 1, 1, 16, &d)) != PX_OK)
		goto out;
	approve = strcmp(d, "approve") == 0;
	if (!approve && strcmp(d, "reject") != 0) {
		px_ctx_detail(ctx, "field", "decision");
		e = PX_E_VALIDATION_FIELD_FORMAT;
		goto out;
	}
	if ((e = px_m_ai_mod_decide(ctx->db, rid, approve, ctx->who.user_id, &en)) != PX_OK)
		goto out;
	if (approve && strcmp(en.action, "hold") == 0 && en.author &&
	    (e = px_h_ai_post_held(ctx, rid, &en, &msg)) != PX_OK)
		goto out;
	/* rejecting a flagged post takes it down, as a moderator would */
	if (!approve && en.message) {
		e = px_m_messages_delete(ctx->db, en.channel, en.message, ctx->who.user_id, 1, &msg);
		px_buf_reset(&msg);
		if (e != PX_OK && e != PX_E_VALIDATION_MESSAGE_DELETED)
			goto out;
	}
	px_buf_printf(&out, "{\"id\":%lld,\"status\":\"%s\",\"action\":\"%s\",\"message\":%s}", rid,
		      approve ? "approved" : "rejected", en.action, msg.len ? msg.data : "null");
	e = px_hm_reply(ctx, 200, &out);
out:
	free(en.body);
	px_buf_free(&msg);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_admin_ai_insights(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	long long days = 30;
	enum px_err e;

	if ((e = px_in_query_int(ctx, "days", 1, 366, PX_E_VALIDATION_FIELD_FORMAT, &days)) == PX_OK &&
	    (e = px_m_ai_insights(ctx->db, (int)days, &out)) == PX_OK && out.len) {
		out.data[--out.len] = '\0';
		px_buf_puts(&out, ",\"ai\":{\"generated\":true,\"provider\":\"builtin\",\"kind\":"
				  "\"builtin\",\"model\":\"builtin-stats-1\",\"remote\":false,\"notice\":"
				  "\"Computed by PlexiChat from message statistics; topics are the most "
				  "frequent words.\"}}");
		e = px_hm_reply(ctx, 200, &out);
	}
	px_buf_free(&out);
	return e;
}

enum px_err px_h_admin_ai_status(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	long long q = 0;
	enum px_err e;

	if ((e = px_m_ai_queue_len(ctx->db, &q)) != PX_OK)
		goto out;
	px_buf_printf(&out, "{\"embed_queue\":%lld", q);
	if ((e = px_hai_status(ctx, &out)) != PX_OK)
		goto out;
	px_buf_putc(&out, '}');
	e = px_hm_reply(ctx, 200, &out);
out:
	px_buf_free(&out);
	return e;
}

