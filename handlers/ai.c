/* ai.c: the AI handlers (ai.h). Every task reads only messages the caller
 * may read: channel tasks pass the channel gate, ask reads through
 * statements limited to the caller's channels. Answers carry the "ai"
 * marker naming provider and model. */
#include "handlers/ai.h"
#include "handlers/ai_ann.h"
#include "handlers/ai_svc.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "core/cfg.h"
#include "core/log.h"
#include "model/ai.h"

#include <ctype.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 300
#define ASK_TOP 10
#define ASK_CANDIDATES 20

/* Items (views into rows) for a task. */
static struct px_ai_item *items_of(const struct px_m_ai_rows *r)
{
	struct px_ai_item *v = calloc(r->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; v && i < r->n; i++)
		v[i] = (struct px_ai_item){ r->v[i].id, r->v[i].author, r->v[i].body };
	return v;
}

static int known(const struct px_ai_item *items, size_t n, long long id, long long *channel,
		 const struct px_m_ai_rows *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (items[i].id == id) {
			*channel = r ? r->v[i].channel : 0;
			return 1;
		}
	return 0;
}

/* "points": each line of the answer with the ids it cites that were among
 * the items (a model cannot make us link to anything else). */
static void points(struct px_buf *b, const char *text, const struct px_ai_item *items, size_t n,
		   const struct px_m_ai_rows *r)
{
	const char *p = text;
	int first = 1;

	px_buf_puts(b, ",\"points\":[");
	while (p && *p) {
		size_t len = strcspn(p, "\n"), k;
		const char *s = p, *q;
		int f = 1;

		p += len + (p[len] == '\n');
		while (len && (*s == '-' || *s == '*' || *s == ' ' || *s == '\t'))
			s++, len--;
		if (!len)
			continue;
		px_buf_printf(b, "%s{\"text\":", first ? "" : ",");
		first = 0;
		px_buf_json_str(b, s, len);
		px_buf_puts(b, ",\"sources\":[");
		for (q = s; (q = memchr(q, '[', len - (size_t)(q - s))) != NULL; q++) {
			long long id = 0, ch = 0;

			if ((size_t)(q - s) + 2 >= len || q[1] != '#')
				continue;
			for (k = 2; k < 20 && isdigit((unsigned char)q[k]); k++)
				id = id * 10 + (q[k] - '0');
			if (q[k] != ']' || !known(items, n, id, &ch, r))
				continue;
			px_buf_printf(b, "%s{\"message_id\":%lld,\"channel_id\":%lld,"
					 "\"url\":\"/api/v1/channels/%lld/messages/%lld\"}",
				      f ? "" : ",", id, ch, ch, id);
			f = 0;
		}
		px_buf_puts(b, "]}");
	}
	px_buf_putc(b, ']');
}

static void answer_json(struct px_buf *b, const char *key, const struct px_hai_out *o,
			const struct px_ai_item *items, size_t n, const struct px_m_ai_rows *r)
{
	px_buf_printf(b, ",\"%s\":", key);
	px_buf_json_str(b, o->text.data ? o->text.data : "", o->text.len);
	points(b, o->text.data ? o->text.data : "", items, n, r);
	px_hai_marker(b, o);
	px_buf_putc(b, '}');
}

/* Streaming an answer as SSE: "delta" events as the provider's pieces
 * arrive (placeholders already restored), then "done" with the whole
 * answer, or "error". The stream starts with the first piece, so a refusal
 * before it is an ordinary error answer. */
struct sse_out {
	struct px_ctx *ctx;
	int started;
	int failed;
	const struct px_hai_out *o;   /* names the provider in the first delta */
};

static int sse_begin(struct sse_out *so)
{
	struct px_ctx *ctx = so->ctx;

	if (so->started)
		return so->failed ? -1 : 0;
	so->started = 1;
	ctx->resp->status = 200;
	px_response_header(ctx->resp, "Content-Type", "text/event-stream; charset=utf-8");
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	px_response_header(ctx->resp, "X-Accel-Buffering", "no");
	if (px_response_stream_begin(ctx->resp) != 0)
		so->failed = 1;
	return so->failed ? -1 : 0;
}

static void sse_event(struct sse_out *so, const char *event, const char *json, size_t n)
{
	struct px_buf b = PX_BUF_INIT;

	if (sse_begin(so) != 0)
		return;
	px_buf_printf(&b, "event: %s\ndata: ", event);
	px_buf_append(&b, json, n);
	px_buf_puts(&b, "\n\n");
	if (b.failed || px_response_stream_write(so->ctx->resp, b.data, b.len) != 0)
		so->failed = 1;
	px_buf_free(&b);
}

static void sse_delta(void *arg, const char *p, size_t n)
{
	struct sse_out *so = arg;
	struct px_buf b = PX_BUF_INIT;

	px_buf_puts(&b, "{\"text\":");
	px_buf_json_str(&b, p, n);
	/* the first piece says who writes, so a page can mark the answer as
	 * AI-made while it arrives (the model comes with "done") */
	if (!so->started && so->o && so->o->provider[0]) {
		px_buf_puts(&b, ",\"ai\":{\"generated\":true,\"provider\":");
		px_buf_json_str(&b, so->o->provider, strlen(so->o->provider));
		px_buf_puts(&b, ",\"kind\":");
		px_buf_json_str(&b, so->o->kind, strlen(so->o->kind));
		px_buf_printf(&b, ",\"remote\":%s}", so->o->remote ? "true" : "false");
	}
	px_buf_putc(&b, '}');
	if (!b.failed)
		sse_event(arg, "delta", b.data, b.len);
	px_buf_free(&b);
}

/* Ends a streamed answer: the whole answer, or the error once streaming. */
static enum px_err sse_end(struct sse_out *so, enum px_err e, struct px_buf *answer)
{
	if (e != PX_OK) {
		struct px_buf b = PX_BUF_INIT;

		if (!so->started)
			return e;
		px_buf_printf(&b, "{\"error_code\":\"%s\",\"message\":", px_err_name(e));
		px_buf_json_str(&b, px_err_message(e), strlen(px_err_message(e)));
		px_buf_putc(&b, '}');
		sse_event(so, "error", b.data ? b.data : "{}", b.len);
		px_buf_free(&b);
		return PX_OK;
	}
	sse_event(so, "done", answer->data ? answer->data : "{}", answer->len);
	return PX_OK;
}

enum px_err px_h_ai_summary(struct px_ctx *ctx)
{
	struct sse_out so = { ctx, 0, 0, NULL };
	int stream = 0;
	struct px_buf out = PX_BUF_INIT;
	struct px_m_ai_rows rows = { 0 };
	struct px_hai_out o;
	struct px_ai_item *items = NULL;
	struct px_chan_access a;
	struct px_hai_task t;
	const char *provider = NULL;
	long long thread = 0;
	int unread = 0;
	enum px_err e;

	memset(&o, 0, sizeof(o));
	so.o = &o;
	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) != PX_OK ||
	    (e = px_in_int(ctx, "thread_id", 1, LLONG_MAX, &thread)) != PX_OK ||
	    (e = px_in_bool(ctx, "unread_only", &unread)) != PX_OK ||
	    (e = px_in_str(ctx, "provider", 0, 1, 64, &provider)) != PX_OK ||
	    (e = px_in_bool(ctx, "stream", &stream)) != PX_OK ||
	    (e = px_hai_enabled(ctx, a.channel_id)) != PX_OK)
		goto out;
	e = thread ? px_m_ai_thread_msgs(ctx->db, a.channel_id, thread, MAX_ITEMS, &rows)
		   : px_m_ai_channel_msgs(ctx->db, a.channel_id, ctx->who.user_id, unread, MAX_ITEMS,
					  &rows);
	if (e == PX_E_VALIDATION_NOT_FOUND)
		px_ctx_detail(ctx, "field", "thread_id");
	if (e != PX_OK || !(items = items_of(&rows))) {
		e = e != PX_OK ? e : PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	t = (struct px_hai_task){ "summary", a.channel_id, provider,
				  { PX_AI_TASK_SUMMARY, items, rows.n, NULL, NULL, 600,
				    stream ? sse_delta : NULL, &so, 0 } };
	if ((e = px_hai_run(ctx, &t, &o)) != PX_OK) {
		if (stream)
			e = sse_end(&so, e, &out);
		goto out;
	}
	px_buf_printf(&out, "{\"channel_id\":%lld,\"thread_id\":%lld,\"unread_only\":%s,"
			    "\"messages_considered\":%zu",
		      a.channel_id, thread, unread ? "true" : "false", rows.n);
	answer_json(&out, "summary", &o, items, rows.n, &rows);
	e = stream ? sse_end(&so, PX_OK, &out) : px_hm_reply(ctx, 200, &out);
out:
	free(items);
	px_m_ai_rows_free(&rows);
	px_buf_free(&o.text);
	px_buf_free(&out);
	return e;
}

/* --- ask ------------------------------------------------------------------ */

/* Keeps the ASK_CANDIDATES best (id, score) pairs, best first, in ids, score
 * and *n: id with score s goes in if it beats the last. */
static void best_add(long long *ids, float *score, int *n, long long id, float s)
{
	int pos;

	if (s <= 0 || (*n == ASK_CANDIDATES && s <= score[*n - 1]))
		return;
	pos = *n < ASK_CANDIDATES ? (*n)++ : *n - 1;
	while (pos > 0 && score[pos - 1] < s) {
		score[pos] = score[pos - 1];
		ids[pos] = ids[pos - 1];
		pos--;
	}
	score[pos] = s;
	ids[pos] = id;
}

struct topk {
	long long id[ASK_CANDIDATES];
	float score[ASK_CANDIDATES];
	int n;
	signed char q[PX_AI_BUILTIN_DIM];
};

static void topk_fn(void *arg, long long id, const signed char *v, int dim)
{
	struct topk *t = arg;
	int s = 0, i;

	if (dim != PX_AI_BUILTIN_DIM)
		return;
	for (i = 0; i < PX_AI_BUILTIN_DIM; i++)
		s += t->q[i] * v[i];
	best_add(t->id, t->score, &t->n, id, (float)s);
}

/* The semantic candidates into t: through the approximate index when it
 * answers (*how "ann"), else the exact scan of the vectors above floor
 * (*how "exact"). Both read only the caller's channels, in SQL. */
static enum px_err semantic(struct px_ctx *ctx, struct topk *t, long long floor, const char **how)
{
	struct px_ai_ann_hit hits[ASK_CANDIDATES];
	size_t n = 0, i;
	int used = 0;
	enum px_err e;

	e = px_hai_ann_search(ctx->db, ctx->cfg, ctx->who.user_id, PX_HAI_EMBED_MODEL, t->q,
			      PX_AI_BUILTIN_DIM, hits, ASK_CANDIDATES, &n, &used);
	if (e != PX_OK)
		return e;
	if (used) {
		for (i = 0; i < n; i++) {
			t->id[i] = hits[i].id;
			t->score[i] = hits[i].score;
		}
		t->n = (int)n;
		*how = "ann";
		return PX_OK;
	}
	*how = "exact";
	return px_m_ai_vectors(ctx->db, ctx->who.user_id, PX_HAI_EMBED_MODEL, PX_AI_BUILTIN_DIM,
			       floor, topk_fn, t);
}

/* The candidates among ai_embed_provider's vectors: scored by cosine,
 * exactly (the approximate index holds built-in vectors only). */
struct rtopk {
	long long id[ASK_CANDIDATES];
	float score[ASK_CANDIDATES];
	int n;
	char model[200];
	signed char q[PX_HAI_EMBED_MAX_DIM];
	struct px_hai_vec v;
};

static void rtopk_fn(void *arg, long long id, const signed char *v, int dim)
{
	struct rtopk *t = arg;
	if (dim != t->v.dim)
		return;
	best_add(t->id, t->score, &t->n, id, px_ai_cosine_i8(t->q, v, dim));
}

/* When ai_embed_provider embeds some of the caller's channels: the
 * question embedded by it (a call under governance, feature ask_embed;
 * only "local providers only" keeps a question local) and compared with
 * those vectors, the same model and dimension only. t->n stays 0 when
 * there are none or the question could not be embedded by it. */
static enum px_err semantic_provider(struct px_ctx *ctx, const char *question, long long floor,
				     struct rtopk *t)
{
	enum px_err e;
	int any = 0;

	px_hai_embed_model(ctx, t->model, sizeof(t->model));
	if (!t->model[0])
		return PX_OK;
	if ((e = px_m_ai_has_vectors(ctx->db, ctx->who.user_id, t->model, &any)) != PX_OK || !any)
		return e;
	if ((e = px_hai_embed(ctx, "ask_embed", 0, question, 1, &t->v)) != PX_OK ||
	    strcmp(t->v.model, t->model) != 0)
		return e;
	px_ai_quantise_scaled(t->v.v, t->q, t->v.dim);
	return px_m_ai_vectors(ctx->db, ctx->who.user_id, t->model, t->v.dim, floor, rtopk_fn, t);
}

static float provider_score(const struct rtopk *t, long long id)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->id[i] == id)
			return t->score[i];
	return 0;
}

/* Lower-case words of 3+ letters or digits that are not stop words, one a
 * line (at most 10). */
static void words_of(const char *s, struct px_buf *w)
{
	int n = 0;

	while (*s && n < 10) {
		size_t k = 0;

		while (*s && !isalnum((unsigned char)*s))
			s++;
		while (k < 40 && isalnum((unsigned char)s[k]))
			k++;
		if (k >= 3) {
			char lw[41];
			size_t i;

			for (i = 0; i < k; i++)
				lw[i] = (char)tolower((unsigned char)s[i]);
			lw[k] = '\0';
			/* stop words would only make PostgreSQL say it dropped them */
			if (!px_ai_builtin_stopword(lw)) {
				if (w->len)
					px_buf_putc(w, '\n');
				px_buf_puts(w, lw);
				n++;
			}
		}
		while (isalnum((unsigned char)s[k]))
			k++;
		s += k;
	}
}

static float cosine_text(const float *q, const char *text)
{
	float v[PX_AI_BUILTIN_DIM], s = 0;
	int i;

	px_ai_builtin_embed(text, strlen(text), v, PX_AI_BUILTIN_DIM);
	for (i = 0; i < PX_AI_BUILTIN_DIM; i++)
		s += q[i] * v[i];
	return s;
}

static int by_score(const void *a, const void *b)
{
	const struct px_m_ai_msg *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : (x->id < y->id) - (x->id > y->id);
}

enum px_err px_h_ai_ask(struct px_ctx *ctx)
{
	struct sse_out so = { ctx, 0, 0, NULL };
	int stream = 0;
	struct px_buf out = PX_BUF_INIT, words = PX_BUF_INIT;
	struct px_m_ai_rows rows = { 0 };
	struct px_hai_out o;
	struct px_ai_item *items = NULL;
	long long ids[ASK_CANDIDATES * 3], fts[ASK_CANDIDATES];
	struct rtopk *rt = calloc(1, sizeof(*rt));
	float qv[PX_AI_BUILTIN_DIM];
	const char *question = NULL, *provider = NULL, *how = "exact";
	struct topk tk;
	struct px_hai_task t;
	size_t nfts = 0, nids = 0, i, j, keep = 0;
	long long floor = 0;
	int remote;
	enum px_err e;

	memset(&tk, 0, sizeof(tk));
	memset(&o, 0, sizeof(o));
	so.o = &o;
	if (!rt) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if ((e = px_in_str(ctx, "question", 1, 1, 500, &question)) != PX_OK ||
	    (e = px_in_str(ctx, "provider", 0, 1, 64, &provider)) != PX_OK ||
	    (e = px_in_bool(ctx, "stream", &stream)) != PX_OK ||
	    (e = px_hai_enabled(ctx, 0)) != PX_OK)
		goto out;
	/* semantic candidates: the built-in embedding of the question against
	 * the stored vectors of the channels the caller is in */
	px_ai_builtin_embed(question, strlen(question), qv, PX_AI_BUILTIN_DIM);
	px_ai_quantise(qv, tk.q, PX_AI_BUILTIN_DIM);
	if ((e = px_m_ai_floor(ctx->db, (long)px_cfg_int(ctx->cfg, "ai_semantic_window"),
			       &floor)) != PX_OK ||
	    (e = semantic(ctx, &tk, floor, &how)) != PX_OK ||
	    (e = semantic_provider(ctx, question, floor, rt)) != PX_OK)
		goto out;
	/* full-text candidates: any of the question's words */
	words_of(question, &words);
	if (words.len && (e = px_m_ai_fts(ctx->db, ctx->who.user_id, words.data,
					  px_cfg_str(ctx->cfg, "search_language"), floor, ASK_CANDIDATES,
					  fts, &nfts)) != PX_OK)
		goto out;
	for (i = 0; i < (size_t)tk.n; i++)
		ids[nids++] = tk.id[i];
	for (i = 0; i < (size_t)rt->n + nfts; i++) {
		long long id = i < (size_t)rt->n ? rt->id[i] : fts[i - (size_t)rt->n];

		for (j = 0; j < nids && ids[j] != id; j++)
			;
		if (j == nids)
			ids[nids++] = id;
	}
	if ((e = px_m_ai_readable(ctx->db, ctx->who.user_id, ids, nids, &rows)) != PX_OK)
		goto out;
	/* hybrid rank: exact cosine of the texts (built-in embeddings), or
	 * of the provider's vectors when higher, plus a bonus for a full-text
	 * match */
	remote = px_hai_provider_remote(ctx, provider);
	for (i = 0; i < rows.n; i++) {
		struct px_m_ai_msg *m = &rows.v[i];
		float ps = provider_score(rt, m->id);

		m->score = cosine_text(qv, m->body);
		if (ps > m->score)
			m->score = ps;
		for (j = 0; j < nfts; j++)
			if (fts[j] == m->id)
				m->score += 0.25f;
		/* a remote provider sees only channels whose rules allow it */
		if (remote && !px_hai_remote_allowed(ctx, m->channel, provider))
			m->score = -1;
	}
	qsort(rows.v, rows.n, sizeof(*rows.v), by_score);
	for (keep = 0; keep < rows.n && keep < ASK_TOP && rows.v[keep].score > 0; keep++)
		;
	if (!(items = items_of(&rows))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	t = (struct px_hai_task){ "ask", 0, provider,
				  { PX_AI_TASK_ANSWER, items, keep, question, NULL, 600,
				    stream ? sse_delta : NULL, &so, 0 } };
	if (remote && keep == 0)
		t.provider = "builtin";   /* nothing may leave: answer locally */
	if ((e = px_hai_run(ctx, &t, &o)) != PX_OK) {
		if (stream)
			e = sse_end(&so, e, &out);
		goto out;
	}
	px_buf_puts(&out, "{\"question\":");
	px_buf_json_str(&out, question, strlen(question));
	px_buf_printf(&out, ",\"search\":{\"semantic\":%d,\"fulltext\":%zu,\"used\":%zu,"
		      "\"index\":\"%s\",\"provider_semantic\":%d,\"embed_model\":", tk.n, nfts, keep,
		      how, rt->n);
	px_buf_json_str(&out, rt->n ? rt->model : PX_HAI_EMBED_MODEL,
			strlen(rt->n ? rt->model : PX_HAI_EMBED_MODEL));
	px_buf_puts(&out, "},\"sources\":[");
	for (i = 0; i < keep; i++) {
		px_buf_printf(&out, "%s{\"message_id\":%lld,\"channel_id\":%lld,\"author\":",
			      i ? "," : "", rows.v[i].id, rows.v[i].channel);
		px_buf_json_str(&out, rows.v[i].author, strlen(rows.v[i].author));
		px_buf_printf(&out, ",\"score\":%.4f,\"url\":\"/api/v1/channels/%lld/messages/%lld\"}",
			      rows.v[i].score, rows.v[i].channel, rows.v[i].id);
	}
	px_buf_putc(&out, ']');
	answer_json(&out, "answer", &o, items, keep, &rows);
	e = stream ? sse_end(&so, PX_OK, &out) : px_hm_reply(ctx, 200, &out);
out:
	free(rt);
	free(items);
	px_m_ai_rows_free(&rows);
	px_buf_free(&o.text);
	px_buf_free(&out);
	px_buf_free(&words);
	return e;
}

/* --- translate ---------------------------------------------------------------- */

static int lang_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalpha((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

enum px_err px_h_ai_translate(struct px_ctx *ctx)
{
	struct sse_out so = { ctx, 0, 0, NULL };
	int stream = 0;
	struct px_buf out = PX_BUF_INIT;
	struct px_m_ai_rows rows = { 0 };
	struct px_hai_out o;
	struct px_ai_item item;
	struct px_chan_access a;
	struct px_hai_task t;
	const char *lang = NULL, *provider = NULL;
	enum px_err e;

	memset(&o, 0, sizeof(o));
	so.o = &o;
	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) != PX_OK ||
	    (e = px_in_str(ctx, "lang", 1, 2, 16, &lang)) != PX_OK ||
	    (e = px_in_str(ctx, "provider", 0, 1, 64, &provider)) != PX_OK ||
	    (e = px_in_bool(ctx, "stream", &stream)) != PX_OK)
		goto out;
	if (!lang_ok(lang)) {
		px_ctx_detail(ctx, "field", "lang");
		e = PX_E_VALIDATION_FIELD_FORMAT;
		goto out;
	}
	if ((e = px_m_ai_message(ctx->db, a.channel_id, px_path_int(&ctx->path, "mid"), &rows)) != PX_OK)
		goto out;
	item = (struct px_ai_item){ rows.v[0].id, rows.v[0].author, rows.v[0].body };
	t = (struct px_hai_task){ "translate", a.channel_id, provider,
				  { PX_AI_TASK_TRANSLATE, &item, 1, NULL, lang, 1000,
				    stream ? sse_delta : NULL, &so, 0 } };
	if ((e = px_hai_run(ctx, &t, &o)) != PX_OK) {
		if (stream)
			e = sse_end(&so, e, &out);
		goto out;
	}
	px_buf_printf(&out, "{\"message_id\":%lld,\"lang\":", item.id);
	px_buf_json_str(&out, lang, strlen(lang));
	px_buf_puts(&out, ",\"translation\":");
	px_buf_json_str(&out, o.text.data ? o.text.data : "", o.text.len);
	px_hai_marker(&out, &o);
	px_buf_putc(&out, '}');
	e = stream ? sse_end(&so, PX_OK, &out) : px_hm_reply(ctx, 200, &out);
out:
	px_m_ai_rows_free(&rows);
	px_buf_free(&o.text);
	px_buf_free(&out);
	return e;
}

/* --- settings -------------------------------------------------------------------- */

enum px_err px_h_ai_channel_settings_get(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_ai_channel_get(ctx->db, a.channel_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

static const char *const modes[] = { "off", "flag", "hold", "block" };

enum px_err px_h_ai_channel_settings_put(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	const char *mode = NULL;
	int enabled = 0, remote = 0;
	size_t i;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK ||
	    (e = px_in_bool(ctx, "enabled", &enabled)) != PX_OK ||
	    (e = px_in_bool(ctx, "remote", &remote)) != PX_OK ||
	    (e = px_in_str(ctx, "moderation", 1, 1, 8, &mode)) != PX_OK)
		goto out;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]) && strcmp(modes[i], mode) != 0; i++)
		;
	if (i == sizeof(modes) / sizeof(modes[0])) {
		px_ctx_detail(ctx, "field", "moderation");
		e = PX_E_VALIDATION_FIELD_FORMAT;
		goto out;
	}
	if ((e = px_m_ai_channel_put(ctx->db, a.channel_id, enabled, remote, mode,
				     ctx->who.user_id)) == PX_OK &&
	    (e = px_m_ai_channel_get(ctx->db, a.channel_id, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
out:
	px_buf_free(&out);
	return e;
}

enum px_err px_h_ai_settings_get(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e;

	if ((e = px_m_ai_user_get(ctx->db, ctx->who.user_id, &out)) == PX_OK && out.len) {
		out.data[--out.len] = '\0';   /* reopen the object */
		if ((e = px_hai_status(ctx, &out)) == PX_OK) {
			px_buf_putc(&out, '}');
			e = px_hm_reply(ctx, 200, &out);
		}
	}
	px_buf_free(&out);
	return e;
}

enum px_err px_h_ai_settings_put(struct px_ctx *ctx)
{
	int ok = 0;
	enum px_err e;

	if ((e = px_in_bool(ctx, "remote_ok", &ok)) != PX_OK ||
	    (e = px_m_ai_user_put(ctx->db, ctx->who.user_id, ok)) != PX_OK)
		return e;
	return px_h_ai_settings_get(ctx);
}

enum px_err px_h_ai_recommendations(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	int limit;
	enum px_err e;

	if ((e = px_hai_enabled(ctx, 0)) == PX_OK && (e = px_hm_limit(ctx, 5, 50, &limit)) == PX_OK &&
	    (e = px_m_ai_recommend(ctx->db, ctx->who.user_id, limit, &out)) == PX_OK && out.len) {
		out.data[--out.len] = '\0';
		px_buf_puts(&out, ",\"ai\":{\"generated\":true,\"provider\":\"builtin\",\"kind\":"
				  "\"builtin\",\"model\":\"builtin-peers-1\",\"remote\":false,\"notice\":"
				  "\"Suggested by PlexiChat's built-in rules: public channels where people "
				  "you share channels with are active.\"}}");
		e = px_hm_reply(ctx, 200, &out);
	}
	px_buf_free(&out);
	return e;
}

/* --- moderation at ingest --------------------------------------------------------- */

/* Asks ai_moderation_provider about a post the rules let through, within
 * ai_moderation_budget_ms; only where the channel's rules allow that
 * provider. No answer in time, or a failure, marks it "unchecked". */
static void moderate_remote(struct px_ctx *ctx, long long channel, const char *body,
			    struct px_ai_verdict *v)
{
	const char *prov = px_cfg_str(ctx->cfg, "ai_moderation_provider");
	struct px_ai_item item = { 0, "author", body };
	struct px_hai_task t = { "moderation", channel, prov,
				 { PX_AI_TASK_MODERATE, &item, 1, NULL, NULL, 20, NULL, NULL,
				   (long)px_cfg_int(ctx->cfg, "ai_moderation_budget_ms") } };
	struct px_hai_out o;
	enum px_err e;

	if (!prov[0] || strcmp(prov, "builtin") == 0 || !px_hai_remote_allowed(ctx, channel, prov))
		return;
	memset(&o, 0, sizeof(o));
	e = px_hai_run(ctx, &t, &o);
	if (e != PX_OK) {
		px_log_warn("ai", ctx->req->correlation_id, "moderation by %s: %s; post unchecked",
			    prov, px_err_name(e));
		v->hit = 1;
		snprintf(v->category, sizeof(v->category), "unchecked");
		snprintf(v->match, sizeof(v->match), "%s", px_err_name(e));
	} else {
		px_h_ai_verdict_of(o.text.data, prov, v);
	}
	px_buf_free(&o.text);
}

void px_h_ai_verdict_of(const char *answer, const char *provider, struct px_ai_verdict *v)
{
	const char *w = answer ? strstr(answer, "FLAG") : NULL;
	size_t k = 0;

	if (!w)
		return;
	w += 4;
	while (*w == ' ' || *w == ':')
		w++;
	while (k < sizeof(v->category) - 1 && isalpha((unsigned char)w[k]))
		k++;
	v->hit = 1;
	snprintf(v->category, sizeof(v->category), "%.*s", (int)k, k ? w : "other");
	snprintf(v->match, sizeof(v->match), "%s", provider);
}

enum px_err px_h_ai_moderate_post(struct px_ctx *ctx, long long channel, const char *body,
				  struct px_ai_verdict *v, char mode[8])
{
	enum px_err e;

	memset(v, 0, sizeof(*v));
	mode[0] = '\0';
	if (!px_cfg_bool(ctx->cfg, "ai_enabled"))
		return PX_OK;
	if ((e = px_m_ai_moderation_mode(ctx->db, channel, mode)) != PX_OK ||
	    strcmp(mode, "off") == 0 || !body || !body[0])
		return e;
	if ((e = px_hai_moderate(ctx, body, v)) != PX_OK)
		return e;
	if (!v->hit)
		moderate_remote(ctx, channel, body, v);
	/* an unchecked post is never refused: it is held or queued instead */
	if (v->hit && strcmp(mode, "block") == 0 && strcmp(v->category, "unchecked") != 0) {
		px_ctx_detail(ctx, "category", v->category);
		return PX_E_AI_MODERATION_BLOCKED;
	}
	return PX_OK;
}

enum px_err px_h_ai_hold_post(struct px_ctx *ctx, long long channel, long long thread_root,
			      const char *body, const struct px_ai_verdict *v)
{
	/* a provider that did not answer in time is asked again later */
	struct px_m_ai_mod m = { channel, ctx->who.user_id, 0, thread_root, body, "hold",
				 v->category, v->match, strcmp(v->category, "unchecked") == 0 };
	struct px_buf out = PX_BUF_INIT;
	long long id = 0;
	enum px_err e;

	if ((e = px_m_ai_mod_add(ctx->db, &m, &id)) != PX_OK)
		return e;
	px_buf_printf(&out, "{\"held\":true,\"review_id\":%lld,\"category\":", id);
	px_buf_json_str(&out, v->category, strlen(v->category));
	px_buf_puts(&out, ",\"message\":\"Your message waits for a moderator's review.\"}");
	e = px_hm_reply(ctx, 202, &out);
	px_buf_free(&out);
	return e;
}

void px_h_ai_flag_post(struct px_ctx *ctx, long long channel, const char *body,
		       const struct px_buf *out, const struct px_ai_verdict *v)
{
	json_object *o = json_tokener_parse(out->data ? out->data : ""), *id;
	long long rid = 0;

	if (o && json_object_object_get_ex(o, "id", &id)) {
		/* a provider that did not answer in time is asked again later */
		struct px_m_ai_mod m = { channel, ctx->who.user_id, json_object_get_int64(id), 0,
					 body, "flag", v->category, v->match,
					 strcmp(v->category, "unchecked") == 0 };

		if (px_m_ai_mod_add(ctx->db, &m, &rid) != PX_OK)
			px_log_warn("ai", ctx->req->correlation_id, "flag not queued for message %lld",
				    (long long)json_object_get_int64(id));
	}
	json_object_put(o);
}
