/* messages.c: message handlers: Markdown is rendered here (bounded, safe)
 * before the model stores source and rendering together. */
#include "handlers/messages.h"
#include "handlers/plugin_host.h"
#include "handlers/ai.h"
#include "ai/ai_builtin.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "handlers/files.h"
#include "core/cfg.h"
#include "web/markdown.h"
#include "core/utf8.h"
#include "core/vcache.h"
#include "model/files.h"
#include "model/messages.h"

#include <json-c/json.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_BODY_BYTES (4 * 1024 * 1024)
#define MAX_IDEM_KEY 128

/* A body that is only white space says nothing. */
static int blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* Reads "body", checks its length against message_max_length and renders
 * it; html and mentions receive the rendering and the mentioned names.
 * With files attached (files_only) the text may be absent or blank. */
/* The plugins' "message.before_store" hooks: *body becomes their version
 * (kept in changed), or the post is refused with their reason. */
static enum px_err plugins_before_store(struct px_ctx *ctx, long long channel, const char **body,
					struct px_buf *changed)
{
	struct px_buf reason = PX_BUF_INIT;
	enum px_err e;

	if (!ctx->plugins)
		return PX_OK;
	e = px_plugin_host_before_store(ctx->plugins, ctx->db, channel, ctx->who.user_id, *body,
					changed, &reason);
	if (e == PX_E_PLUGIN_REJECTED && reason.len)
		px_ctx_detail(ctx, "reason", reason.data);
	if (e == PX_OK && changed->len)
		*body = changed->data;
	px_buf_free(&reason);
	return e;
}

static enum px_err read_body(struct px_ctx *ctx, long long channel, int files_only,
			     const char **body, struct px_buf *changed, struct px_buf *html,
			     struct px_buf *mentions)
{
	long long max = px_cfg_int(ctx->cfg, "message_max_length");
	enum px_err e;
	char d[96];

	if ((e = px_in_str(ctx, "body", !files_only, files_only ? 0 : 1, MAX_BODY_BYTES,
			   body)) != PX_OK)
		return e;
	/* what a plugin makes of the text passes the checks below like any */
	if (*body && !blank(*body) &&
	    (e = plugins_before_store(ctx, channel, body, changed)) != PX_OK)
		return e;
	if (files_only && (!*body || blank(*body))) {
		*body = "";
		px_buf_puts(html, "");
		return html->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
	}
	if (px_utf8_count(*body, strlen(*body)) > (size_t)max) {
		snprintf(d, sizeof(d), "{\"field\":\"body\",\"max\":%lld}", max);
		px_buf_reset(&ctx->details);
		px_buf_puts(&ctx->details, d);
		return PX_E_VALIDATION_MESSAGE_TOO_LONG;
	}
	if (blank(*body)) {
		px_ctx_detail(ctx, "field", "body");
		return PX_E_VALIDATION_FIELD_LENGTH;
	}
	e = px_markdown_render(*body, strlen(*body), html, mentions);
	if (e == PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX)
		px_ctx_detail(ctx, "field", "body");
	return e;
}

/* The client's idempotency key from the header or the body; NULL if none. */
static enum px_err idem_key(struct px_ctx *ctx, const char **key)
{
	const char *k = px_request_header(ctx->req, "idempotency-key");
	enum px_err e;
	size_t i;

	if (!k && (e = px_in_str(ctx, "idempotency_key", 0, 1, MAX_IDEM_KEY, &k)) != PX_OK)
		return e;
	for (i = 0; k && k[i]; i++)
		if (i >= MAX_IDEM_KEY || k[i] < 0x21 || k[i] > 0x7e) {
			px_ctx_detail(ctx, "field", "idempotency_key");
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
	if (k && !*k) {
		px_ctx_detail(ctx, "field", "idempotency_key");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	*key = k;
	return PX_OK;
}

enum px_err px_h_messages_list(struct px_ctx *ctx)
{
	long long before, after, around, cursor;
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_msg_dir dir = PX_MSG_LATEST;
	int limit, given;
	enum px_err e;

	if ((e = px_hm_cursor(ctx, "before", &before)) != PX_OK ||
	    (e = px_hm_cursor(ctx, "after", &after)) != PX_OK ||
	    (e = px_hm_cursor(ctx, "around", &around)) != PX_OK ||
	    (e = px_hm_limit(ctx, 50, 200, &limit)) != PX_OK)
		return e;
	given = (before > 0) + (after > 0) + (around > 0);
	if (given > 1) {
		px_ctx_detail(ctx, "field", "before/after/around");
		return PX_E_VALIDATION_INVALID_CURSOR;
	}
	cursor = before ? before : after ? after : around;
	if (given)
		dir = before ? PX_MSG_BEFORE : after ? PX_MSG_AFTER : PX_MSG_AROUND;
	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) != PX_OK)
		return e;
	/* the latest page is what every client opens a channel with; it is
	 * reused while the channel's head event stays the same */
	if (dir == PX_MSG_LATEST &&
	    px_vcache_get(ctx->pages, a.channel_id, limit, a.head, &out) == 1) {
		e = px_hm_reply(ctx, 200, &out);
		goto out;
	}
	e = px_m_messages_page(ctx->db, a.channel_id, dir, cursor, limit, &out);
	if (e == PX_E_VALIDATION_NOT_FOUND)
		px_ctx_detail(ctx, "field", "around");
	if (e == PX_OK && dir == PX_MSG_LATEST && !out.failed)
		px_vcache_put(ctx->pages, a.channel_id, limit, a.head, out.data, out.len);
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
out:
	px_buf_free(&out);
	return e;
}

/* A post carrying files: the message, its files moved out of the
 * author's drafts, and its JSON read back with them, in one transaction,
 * so no reader (nor the latest-page cache) sees the message without them. */
struct post_files {
	const struct px_m_post *p;
	const char *ids;
	int count;
	int *replayed;
	struct px_buf *out;
};

static enum px_err post_with_files(struct px_db *db, void *arg)
{
	struct post_files *pf = arg;
	struct json_object *j = NULL, *id = NULL;
	long long mid_ = 0;
	enum px_err e = px_m_messages_post(db, pf->p, pf->replayed, pf->out);

	if (e != PX_OK || *pf->replayed)
		return e;
	j = json_tokener_parse(pf->out->data ? pf->out->data : "");
	if (j && json_object_object_get_ex(j, "id", &id))
		mid_ = json_object_get_int64(id);
	json_object_put(j);
	if (mid_ <= 0)
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_m_files_attach(db, mid_, pf->p->channel, pf->p->author, pf->ids,
				   pf->count)) != PX_OK)
		return e;
	px_buf_reset(pf->out);
	return px_m_messages_get(db, pf->p->channel, mid_, pf->out);
}

/* The poster's link preview choice, as Slack's chat.postMessage takes it:
 * "unfurl_links": false gives no preview, "unfurl_media": false one
 * without its image (both true when absent; the composer's "No link
 * preview" box sends unfurl_links=off). */
static enum px_err preview_choice(struct px_ctx *ctx, const char **mode)
{
	int links = 1, media = 1;
	enum px_err e;

	if ((e = px_in_bool_or(ctx, "unfurl_links", 1, &links)) != PX_OK ||
	    (e = px_in_bool_or(ctx, "unfurl_media", 1, &media)) != PX_OK)
		return e;
	*mode = !links ? "off" : !media ? "no_media" : NULL;
	return PX_OK;
}

enum px_err px_h_messages_post(struct px_ctx *ctx)
{
	struct px_buf html = PX_BUF_INIT, mentions = PX_BUF_INIT, out = PX_BUF_INIT,
		      ids = PX_BUF_INIT, changed = PX_BUF_INIT;
	struct px_m_post p = { 0 };
	struct px_chan_access a;
	struct px_ai_verdict mv = { 0 };
	char mmode[8] = "off";
	int replayed = 0, nfiles = 0;
	enum px_err e;

	if ((e = px_in_int(ctx, "thread_root_id", 1, 9223372036854775807LL,
			   &p.thread_root)) != PX_OK ||
	    (e = px_hf_file_ids(ctx, &ids, &nfiles)) != PX_OK ||
	    (e = idem_key(ctx, &p.idem_key)) != PX_OK ||
	    (e = preview_choice(ctx, &p.preview)) != PX_OK ||
	    (e = px_hm_gate(ctx, PX_CHAN_POST, &a)) != PX_OK ||
	    (e = read_body(ctx, a.channel_id, nfiles > 0, &p.body, &changed, &html, &mentions)) !=
		    PX_OK)
		goto out;
	p.channel = a.channel_id;
	p.kind = a.kind;
	p.author = ctx->who.user_id;
	p.html = html.data ? html.data : "";
	p.lang = px_cfg_str(ctx->cfg, "search_language");
	p.mentions = mentions.data ? mentions.data : "";
	/* moderation: built-in rules in-process, never a remote provider; a
	 * post with files is never held (the drafts would be orphaned): it is
	 * posted and flagged instead */
	if ((e = px_h_ai_moderate_post(ctx, a.channel_id, p.body, &mv, mmode)) != PX_OK)
		goto out;
	if (mv.hit && strcmp(mmode, "hold") == 0 && !nfiles) {
		e = px_h_ai_hold_post(ctx, a.channel_id, p.thread_root, p.body, &mv);
		goto out;
	}
	if (nfiles) {
		struct post_files pf = { &p, ids.data, nfiles, &replayed, &out };

		e = px_db_tx(ctx->db, post_with_files, &pf);
	} else
		e = px_m_messages_post(ctx->db, &p, &replayed, &out);
	if (e == PX_E_FILES_NOT_DRAFT)
		px_ctx_detail(ctx, "field", "file_ids");
	else if (e == PX_E_VALIDATION_NOT_FOUND)
		px_ctx_detail(ctx, "field", "thread_root_id");
	if (e != PX_OK)
		goto out;
	if (replayed)
		px_response_header(ctx->resp, "Idempotent-Replayed", "true");
	else if (mv.hit && strcmp(mmode, "off") != 0)
		px_h_ai_flag_post(ctx, a.channel_id, p.body, &out, &mv);
	e = px_hm_reply(ctx, replayed ? 200 : 201, &out);
out:
	px_buf_free(&html);
	px_buf_free(&mentions);
	px_buf_free(&out);
	px_buf_free(&ids);
	px_buf_free(&changed);
	return e;
}

/* The message id of the route, or 0. */
static long long mid(struct px_ctx *ctx)
{
	return px_path_int(&ctx->path, "mid");
}

enum px_err px_h_messages_get(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_messages_get(ctx->db, a.channel_id, mid(ctx), &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_messages_patch(struct px_ctx *ctx)
{
	struct px_buf html = PX_BUF_INIT, mentions = PX_BUF_INIT, out = PX_BUF_INIT,
		      changed = PX_BUF_INIT;
	struct px_m_edit m = { 0 };
	struct px_chan_access a;
	enum px_err e;

	/* an edit is stored too: the same hooks see it */
	if ((e = px_hm_gate(ctx, PX_CHAN_EDIT_OWN, &a)) == PX_OK &&
	    (e = read_body(ctx, a.channel_id, 0, &m.body, &changed, &html, &mentions)) == PX_OK) {
		m.html = html.data ? html.data : "";
		m.lang = px_cfg_str(ctx->cfg, "search_language");
		m.names = mentions.data ? mentions.data : "";
		e = px_m_messages_edit(ctx->db, a.channel_id, mid(ctx), ctx->who.user_id, &m,
				       &out);
	}
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&html);
	px_buf_free(&mentions);
	px_buf_free(&out);
	px_buf_free(&changed);
	return e;
}

enum px_err px_h_messages_delete(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_EDIT_OWN, &a)) == PX_OK)
		e = px_m_messages_delete(ctx->db, a.channel_id, mid(ctx), ctx->who.user_id,
					 px_chan_check(&a, PX_CHAN_DELETE_ANY) == PX_OK, &out);
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_messages_history(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_messages_history(ctx->db, a.channel_id, mid(ctx), &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_messages_thread(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	long long after;
	int limit;
	enum px_err e;

	if ((e = px_hm_cursor(ctx, "after", &after)) != PX_OK ||
	    (e = px_hm_limit(ctx, 50, 200, &limit)) != PX_OK)
		return e;
	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_messages_thread(ctx->db, a.channel_id, mid(ctx), ctx->who.user_id,
				      after, limit, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

static enum px_err follow(struct px_ctx *ctx, int on)
{
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_POST, &a)) != PX_OK ||
	    (e = px_m_messages_follow(ctx->db, a.channel_id, mid(ctx), ctx->who.user_id,
				      on)) != PX_OK)
		return e;
	ctx->resp->status = 204;
	return PX_OK;
}

enum px_err px_h_messages_follow(struct px_ctx *ctx)
{
	return follow(ctx, 1);
}

enum px_err px_h_messages_unfollow(struct px_ctx *ctx)
{
	return follow(ctx, 0);
}

static enum px_err pin(struct px_ctx *ctx, int on)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_PIN, &a)) == PX_OK &&
	    (e = px_m_messages_pin(ctx->db, a.channel_id, mid(ctx), ctx->who.user_id, on,
				   &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_messages_pin(struct px_ctx *ctx)
{
	return pin(ctx, 1);
}

enum px_err px_h_messages_unpin(struct px_ctx *ctx)
{
	return pin(ctx, 0);
}

enum px_err px_h_messages_pins(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_messages_pins(ctx->db, a.channel_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}
