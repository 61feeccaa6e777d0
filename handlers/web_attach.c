/* web_attach.c: the composer's attachments (see web_attach.h). Its files
 * go through the files API's own upload path (files_store.h) as the
 * caller's drafts, and the messages API attaches them; nothing here parses
 * a body itself (core/multipart.h reads it) or decides a file's type. */
#include "handlers/web_attach.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "auth/perm.h"
#include "core/cfg.h"
#include "core/multipart.h"
#include "model/files.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int px_web_attach_allowed(const struct px_ctx *ctx)
{
	return ctx->who.user_id && px_perm_principal_allowed(&ctx->who, "upload.create");
}

/* The error of one file too many. */
static enum px_err too_many(struct px_ctx *ctx)
{
	px_buf_reset(&ctx->details);
	px_buf_printf(&ctx->details, "{\"field\":\"file_ids\",\"min\":0,\"max\":%d}",
		      PX_WEB_ATTACH_MAX);
	return PX_E_VALIDATION_FIELD_LENGTH;
}

/* Adds id to f unless there; VALIDATION_FIELD_LENGTH past the limit. */
static enum px_err add_id(struct px_ctx *ctx, struct px_web_attach *f, long long id)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (f->id[i] == id)
			return PX_OK;
	if (f->n >= PX_WEB_ATTACH_MAX)
		return too_many(ctx);
	f->id[f->n++] = id;
	return PX_OK;
}

/* The form's file_ids into f. */
static enum px_err kept_ids(struct px_ctx *ctx, struct px_web_attach *f)
{
	const struct px_kvlist *form = &ctx->req->form;
	enum px_err e;
	size_t i;

	for (i = 0; i < form->n; i++) {
		const char *v = form->items[i].value;
		char *end = NULL;
		long long id;

		if (strcmp(form->items[i].name, "file_ids") != 0)
			continue;
		id = strtoll(v, &end, 10);
		if (id <= 0 || *end || strlen(v) > 18) {
			px_ctx_detail(ctx, "field", "file_ids");
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		if ((e = add_id(ctx, f, id)) != PX_OK)
			return e;
	}
	return PX_OK;
}

/* What the composer's files share while the body streams. */
struct recv {
	struct px_ctx *ctx;
	long long channel;
	int ready;               /* store opened, posting right checked */
	struct px_st_files st;
};

/* Streams the current part, file p, into a new draft; its id goes to f. */
static enum px_err store_part(struct recv *r, struct px_multipart *mp,
			      const struct px_multipart_part *p, struct px_web_attach *f)
{
	struct px_ctx *ctx = r->ctx;
	struct px_buf name = PX_BUF_INIT, out = PX_BUF_INIT;
	struct px_hf_sink s = { .fd = -1 };
	struct px_hf_meta m = { 0 };
	struct json_object *j = NULL;
	char chan[24];
	long long target;
	enum px_err e;

	if (!px_web_attach_allowed(ctx))
		return PX_E_AUTH_FORBIDDEN;
	if (f->n >= PX_WEB_ATTACH_MAX)
		return too_many(ctx);
	if (!r->ready) {
		/* the files API's own check of an upload's channel: bytes are
		 * stored only for who may post there */
		snprintf(chan, sizeof(chan), "%lld", r->channel);
		if ((e = px_hf_channel(ctx, chan, &target)) != PX_OK ||
		    (e = px_hf_store(ctx, &r->st)) != PX_OK)
			return e;
		r->ready = 1;
	}
	if ((e = px_hf_name_normalise(p->filename.data, p->filename.len, &name)) != PX_OK ||
	    (e = px_hf_sink_open(&s, &r->st,
				 (uint64_t)px_cfg_int(ctx->cfg, "files_max_size"))) != PX_OK ||
	    (e = px_multipart_body(mp, px_hf_sink_take, &s)) != PX_OK)
		goto out;
	m.name = name.data;
	m.declared = p->type.data;
	m.channel = 0; /* a draft: the message carries it into the channel */
	if ((e = px_hf_finish(ctx, &r->st, &s, &m, &out)) != PX_OK)
		goto out;
	if (!(j = px_web_json(&out))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	e = add_id(ctx, f, px_web_int(j, "id"));
out:
	px_hf_sink_drop(&s);
	json_object_put(j);
	px_buf_free(&name);
	px_buf_free(&out);
	return e;
}

enum px_err px_web_attach_receive(struct px_ctx *ctx, long long channel, struct px_web_attach *f,
				 struct px_buf *bad)
{
	struct px_multipart_part p = { PX_BUF_INIT, PX_BUF_INIT, 0, PX_BUF_INIT };
	const char *ct = ctx->req->content_type ? ctx->req->content_type : "";
	struct px_hf_src in = { ctx, 0, 0 };
	struct recv r = { .ctx = ctx, .channel = channel };
	struct px_multipart mp = { 0 };
	enum px_err e;
	int end = 0;

	f->n = 0;
	if ((e = kept_ids(ctx, f)) != PX_OK || strncasecmp(ct, "multipart/form-data", 19))
		return e;
	if ((e = px_multipart_open(&mp, ct, px_hf_src_read, &in)) != PX_OK)
		goto out;
	while ((e = px_multipart_next(&mp, &p, &end)) == PX_OK && !end) {
		if (p.has_filename && p.filename.len && strcmp(p.name.data, "files") == 0) {
			if ((e = store_part(&r, &mp, &p, f)) != PX_OK) {
				px_buf_puts(bad, p.filename.data);
				break;
			}
			continue;
		}
		/* text fields are in the form already; an empty file input
		 * sends a "files" part with filename="" and no bytes */
		if ((e = px_multipart_body(&mp, NULL, NULL)) != PX_OK)
			break;
		if (!p.has_filename && px_multipart_offset(&mp) > ctx->req->body_len) {
			px_ctx_detail(ctx, "field", p.name.data);
			e = PX_E_VALIDATION_PAYLOAD_TOO_LARGE;
			break;
		}
	}
out:
	px_multipart_part_free(&p);
	px_multipart_close(&mp);
	return e;
}

/* Calls fn(ctx, file JSON, arg) for each file of f that is still a draft
 * of the caller. */
static void each_draft(struct px_ctx *ctx, const struct px_web_attach *f,
		       void (*fn)(struct px_ctx *, struct json_object *, void *), void *arg)
{
	int i;

	for (i = 0; i < f->n; i++) {
		struct px_buf json = PX_BUF_INIT;
		struct json_object *j;
		struct px_m_file mf;

		if (px_m_files_get(ctx->db, f->id[i], &mf, &json) == PX_OK &&
		    mf.owner == ctx->who.user_id && mf.channel == 0 && (j = px_web_json(&json))) {
			fn(ctx, j, arg);
			json_object_put(j);
		}
		px_buf_free(&json);
	}
}

static void add_view(struct px_ctx *ctx, struct json_object *f, void *list)
{
	json_object_array_add(list, px_web_file_view(ctx, f));
}

void px_web_attach_list(struct px_ctx *ctx, struct json_object *d,
			   const struct px_web_attach *f)
{
	struct json_object *list = json_object_new_array();

	each_draft(ctx, f, add_view, list);
	if (json_object_array_length(list) > 0)
		json_object_object_add(d, "attached", list);
	else
		json_object_put(list);
}

