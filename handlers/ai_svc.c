/* ai_svc.c: providers, rules and governance for the AI handlers
 * (ai_svc.h). The provider set and the rules are this module's own
 * process-wide state: one current holder each, swapped under a mutex when
 * the file's mtime or size changes, freed when its last user lets go. */
#include "handlers/ai_svc.h"
#include "handlers/ai_ann.h"
#include "ai/ai_redact.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct holder {
	struct px_ai_set set;
	struct px_ai_lexicon *lx;
	char path[512];
	time_t mtime;
	off_t size;
	int refs;
	int current;
	char embed_warned[64];  /* the ai_embed_provider last warned about (under mu) */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct holder *providers_cur, *rules_cur;

static void holder_drop(struct holder *h)
{
	if (--h->refs > 0 || h->current)
		return;
	px_ai_set_free(&h->set);
	px_ai_lexicon_free(h->lx);
	free(h);
}

/* The current holder for path (kind 0 providers, 1 rules), loaded anew
 * when the file changed; NULL with *e and *why when it cannot be loaded. */
static struct holder *acquire(int rules, const char *path, enum px_err *e, const char **why)
{
	struct holder **cur = rules ? &rules_cur : &providers_cur, *h = NULL;
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (path[0] && stat(path, &st) != 0) {
		*e = PX_E_AI_CONFIG_INVALID;
		*why = rules ? "ai_moderation_rules_file cannot be read"
			     : "ai_providers_file cannot be read";
		return NULL;
	}
	pthread_mutex_lock(&mu);
	if (*cur && strcmp((*cur)->path, path) == 0 && (*cur)->mtime == st.st_mtime &&
	    (*cur)->size == st.st_size) {
		h = *cur;
		h->refs++;
		pthread_mutex_unlock(&mu);
		return h;
	}
	pthread_mutex_unlock(&mu);
	if (!(h = calloc(1, sizeof(*h)))) {
		*e = PX_E_SYSTEM_INTERNAL;
		return NULL;
	}
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->mtime = st.st_mtime;
	h->size = st.st_size;
	h->refs = 1;
	if (rules) {
		h->lx = px_ai_lexicon_new(path, why);
		*e = h->lx ? PX_OK : PX_E_AI_CONFIG_INVALID;
	} else {
		*e = px_ai_set_load(path, &h->set, why);
	}
	if (*e != PX_OK) {
		free(h);
		return NULL;
	}
	pthread_mutex_lock(&mu);
	if (*cur) {
		(*cur)->current = 0;
		if ((*cur)->refs == 0) {
			(*cur)->refs = 1;
			holder_drop(*cur);
		}
	}
	h->current = 1;
	*cur = h;
	pthread_mutex_unlock(&mu);
	return h;
}

static void release(struct holder *h)
{
	pthread_mutex_lock(&mu);
	holder_drop(h);
	pthread_mutex_unlock(&mu);
}

enum px_err px_hai_moderate(struct px_ctx *ctx, const char *text, struct px_ai_verdict *v)
{
	const char *why = NULL;
	enum px_err e = PX_OK;
	struct holder *h = acquire(1, px_cfg_str(ctx->cfg, "ai_moderation_rules_file"), &e, &why);

	if (!h) {
		px_log_error("ai", ctx->req->correlation_id, "moderation rules: %s", why ? why : "cannot load");
		return e;
	}
	px_ai_moderate(h->lx, text, strlen(text), v);
	release(h);
	return PX_OK;
}

enum px_err px_hai_enabled(struct px_ctx *ctx, long long channel)
{
	struct px_m_ai_policy p;
	enum px_err e;

	if (!px_cfg_bool(ctx->cfg, "ai_enabled"))
		return PX_E_AI_DISABLED;
	if (channel && (e = px_m_ai_policy(ctx->db, channel, &p)) != PX_OK)
		return e;
	return channel && !p.enabled ? PX_E_AI_DISABLED : PX_OK;
}

static int is_remote(const struct px_ai_provider *p)
{
	return p->kind != PX_AI_BUILTIN && !p->local;
}

/* The provider named (or the configured one) from h. */
static struct px_ai_provider *pick(struct px_ctx *ctx, struct holder *h, const char *name)
{
	return px_ai_set_find(&h->set, name && name[0] ? name : px_cfg_str(ctx->cfg, "ai_provider"));
}

static struct holder *providers(struct px_ctx *ctx, enum px_err *e)
{
	const char *why = NULL;
	struct holder *h = acquire(0, px_cfg_str(ctx->cfg, "ai_providers_file"), e, &why);

	if (!h)
		px_log_error("ai", ctx->req->correlation_id, "providers: %s", why ? why : "cannot load");
	return h;
}

int px_hai_provider_remote(struct px_ctx *ctx, const char *name)
{
	enum px_err e;
	struct holder *h = providers(ctx, &e);
	struct px_ai_provider *p;
	int r;

	if (!h)
		return 1;
	p = pick(ctx, h, name);
	r = !p || is_remote(p);
	release(h);
	return r;
}

/* Why channel's content may not go to a remote provider; PX_OK if it may. */
static enum px_err remote_policy(struct px_ctx *ctx, long long channel)
{
	struct px_m_ai_policy p;
	enum px_err e;

	if (px_cfg_bool(ctx->cfg, "ai_local_only"))
		return PX_E_AI_REMOTE_NOT_ALLOWED;
	if ((e = px_m_ai_policy(ctx->db, channel, &p)) != PX_OK)
		return e;
	if (!p.enabled)
		return PX_E_AI_DISABLED;
	if (!p.remote)
		return PX_E_AI_REMOTE_NOT_ALLOWED;
	/* DMs, group DMs and private channels: every member must agree */
	if (strcmp(p.kind, "public") != 0 && !p.all_consent)
		return PX_E_AI_REMOTE_NOT_ALLOWED;
	return PX_OK;
}

int px_hai_remote_allowed(struct px_ctx *ctx, long long channel, const char *provider)
{
	return !px_hai_provider_remote(ctx, provider) || remote_policy(ctx, channel) == PX_OK;
}

static enum px_err budget(struct px_ctx *ctx, long long channel)
{
	struct px_m_ai_usage u;
	long long ut = px_cfg_int(ctx->cfg, "ai_budget_user_tokens");
	long long ct = px_cfg_int(ctx->cfg, "ai_budget_channel_tokens");
	long long it = px_cfg_int(ctx->cfg, "ai_budget_instance_tokens");
	long long uc = px_cfg_int(ctx->cfg, "ai_budget_user_cost_micros");
	long long ic = px_cfg_int(ctx->cfg, "ai_budget_instance_cost_micros");
	enum px_err e;

	if (!ut && !ct && !it && !uc && !ic)
		return PX_OK;
	if ((e = px_m_ai_usage(ctx->db, ctx->who.user_id, channel, &u)) != PX_OK)
		return e;
	if ((ut && u.user_tokens >= ut) || (ct && channel && u.channel_tokens >= ct) ||
	    (it && u.instance_tokens >= it) || (uc && u.user_cost * 1e6 >= (double)uc) ||
	    (ic && u.instance_cost * 1e6 >= (double)ic)) {
		px_ctx_detail(ctx, "budget", "daily");
		return PX_E_AI_BUDGET_EXHAUSTED;
	}
	return PX_OK;
}

static void audit(struct px_ctx *ctx, const struct px_hai_task *t, const struct px_ai_provider *p,
		  const struct px_ai_answer *a, enum px_err e, long ms, int redactions)
{
	char sha[65] = "";
	struct px_m_ai_audit row;
	int remote = p && is_remote(p);

	if (a && a->sent.len)
		px_crypto_sha256_hex(a->sent.data, a->sent.len, sha);
	row = (struct px_m_ai_audit){
		ctx->who.user_id, t->channel, t->feature, p ? p->name : (t->provider ? t->provider : "?"),
		a ? a->model : "", e == PX_OK ? "OK" : px_err_name(e), sha,
		remote && a && a->sent.len && px_cfg_bool(ctx->cfg, "ai_audit_payload") ? a->sent.data : NULL,
		remote, redactions, a ? a->tokens_in : 0, a ? a->tokens_out : 0, ms,
		p && a ? px_ai_cost(p, a->tokens_in, a->tokens_out) : 0 };
	if (px_m_ai_audit_add(ctx->db, &row) != PX_OK)
		px_log_error("ai", ctx->req->correlation_id, "audit row not written (feature %s)", t->feature);
}

/* Redacts every item's text into owned copies (texts, items). */
static enum px_err redact_items(struct px_ai_redactor *r, const struct px_ai_req *q,
				struct px_ai_item **items, char ***texts, struct px_buf *question)
{
	size_t i;

	*items = calloc(q->n + 1, sizeof(**items));
	*texts = calloc(q->n + 1, sizeof(**texts));
	if (!*items || !*texts)
		return PX_E_SYSTEM_INTERNAL;
	for (i = 0; i < q->n; i++) {
		struct px_buf b = PX_BUF_INIT;
		const char *s = q->items[i].text ? q->items[i].text : "";

		px_ai_redact(r, s, strlen(s), &b);
		px_buf_putc(&b, '\0');
		(*texts)[i] = px_buf_steal(&b);
		if (!(*texts)[i])
			return PX_E_SYSTEM_INTERNAL;
		(*items)[i] = q->items[i];
		(*items)[i].text = (*texts)[i];
	}
	if (q->question)
		px_ai_redact(r, q->question, strlen(q->question), question);
	return question->failed || r->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* Passes a streamed answer on with placeholders restored; a placeholder
 * split between two pieces waits for the piece that completes it. */
struct relay {
	const struct px_ai_redactor *red;
	px_ai_delta_fn fn;
	void *arg;
	struct px_buf raw;
	size_t sent;
};

static void relay_upto(struct relay *r, size_t end)
{
	struct px_buf out = PX_BUF_INIT;

	if (end <= r->sent)
		return;
	px_ai_restore(r->red, r->raw.data + r->sent, end - r->sent, &out);
	if (!out.failed && out.len)
		r->fn(r->arg, out.data, out.len);
	px_buf_free(&out);
	r->sent = end;
}

static void relay_delta(void *arg, const char *p, size_t n)
{
	struct relay *r = arg;
	size_t end, i;

	px_buf_append(&r->raw, p, n);
	if (r->raw.failed)
		return;
	end = r->raw.len;
	/* hold back an unclosed "[" near the end: it may start a placeholder */
	for (i = end; i > r->sent && end - i < 24; i--) {
		if (r->raw.data[i - 1] == ']')
			break;
		if (r->raw.data[i - 1] == '[') {
			end = i - 1;
			break;
		}
	}
	relay_upto(r, end);
}

enum px_err px_hai_run(struct px_ctx *ctx, struct px_hai_task *t, struct px_hai_out *o)
{
	struct relay rl = { NULL, NULL, NULL, PX_BUF_INIT, 0 };
	struct px_ai_redactor red;
	struct px_ai_answer a;
	struct px_ai_item *items = NULL;
	struct px_buf question = PX_BUF_INIT;
	struct px_ai_provider *p = NULL;
	struct px_ai_req q = t->req;
	struct holder *h = NULL;
	char **texts = NULL;
	long long t0;
	enum px_err e;
	size_t i;
	int redactions = 0;

	px_buf_init(&o->text);
	px_ai_redactor_init(&red);
	px_ai_answer_init(&a);
	if ((e = px_hai_enabled(ctx, t->channel)) != PX_OK || !(h = providers(ctx, &e)))
		goto out;
	if (!(p = pick(ctx, h, t->provider))) {
		px_ctx_detail(ctx, "field", "provider");
		e = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	snprintf(o->provider, sizeof(o->provider), "%s", p->name);
	snprintf(o->kind, sizeof(o->kind), "%s", px_ai_kind_name(p->kind));
	o->remote = is_remote(p);
	if (o->remote) {
		if (px_cfg_bool(ctx->cfg, "ai_local_only"))
			e = PX_E_AI_REMOTE_NOT_ALLOWED;
		else if (t->channel)
			e = remote_policy(ctx, t->channel);
		if (e == PX_OK)
			e = budget(ctx, t->channel);
		if (e == PX_OK)
			e = redact_items(&red, &t->req, &items, &texts, &question);
		if (e != PX_OK) {
			audit(ctx, t, p, NULL, e, 0, 0);
			goto out;
		}
		q.items = items;
		if (t->req.question)
			q.question = question.data ? question.data : "";
		redactions = (int)red.n;
	}
	if (t->req.on_delta) {
		rl = (struct relay){ &red, t->req.on_delta, t->req.arg, PX_BUF_INIT, 0 };
		q.on_delta = relay_delta;
		q.arg = &rl;
	}
	t0 = px_ai_now_ms();
	e = px_ai_run(p, &q, &a);
	if (e == PX_OK && t->req.on_delta && !rl.raw.failed)
		relay_upto(&rl, rl.raw.len);
	audit(ctx, t, p, &a, e, (long)(px_ai_now_ms() - t0), redactions);
	if (e != PX_OK) {
		px_log_warn("ai", ctx->req->correlation_id, "%s via %s failed: %s (HTTP %d, %d attempts)", t->feature,
			    p->name, px_err_name(e), a.http_status, a.attempts);
		goto out;
	}
	snprintf(o->model, sizeof(o->model), "%s", a.model);
	o->tokens_in = a.tokens_in;
	o->tokens_out = a.tokens_out;
	px_ai_restore(&red, a.text.data ? a.text.data : "", a.text.len, &o->text);
	if (o->text.failed)
		e = PX_E_SYSTEM_INTERNAL;
out:
	for (i = 0; texts && i < t->req.n; i++) {
		if (texts[i])
			px_crypto_wipe(texts[i], strlen(texts[i]));
		free(texts[i]);
	}
	free(texts);
	free(items);
	px_buf_free(&question);
	px_buf_free(&rl.raw);
	px_ai_answer_free(&a);
	px_ai_redactor_free(&red);
	if (h)
		release(h);
	return e;
}

/* --- embeddings ----------------------------------------------------------- */

/* ai_embed_provider from h when it is a provider that can embed. */
static struct px_ai_provider *embedder(struct px_ctx *ctx, struct holder *h)
{
	const char *name = px_cfg_str(ctx->cfg, "ai_embed_provider");
	struct px_ai_provider *p;

	if (!name[0] || strcmp(name, "builtin") == 0)
		return NULL;
	p = px_ai_set_find(&h->set, name);
	if (!p || (p->kind != PX_AI_OPENAI && p->kind != PX_AI_GEMINI) || !p->embed_model[0]) {
		int warn;

		/* once per name and providers file: the worker asks often */
		pthread_mutex_lock(&mu);
		warn = strcmp(h->embed_warned, name) != 0;
		snprintf(h->embed_warned, sizeof(h->embed_warned), "%s", name);
		pthread_mutex_unlock(&mu);
		if (warn)
			px_log_warn("ai", ctx->req->correlation_id,
				    "ai_embed_provider %s is not a provider that embeds; built-in embeddings used",
				    name);
		return NULL;
	}
	return p;
}

static void model_name(const struct px_ai_provider *p, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", p->name, p->embed_model);
}

void px_hai_embed_model(struct px_ctx *ctx, char *out, size_t cap)
{
	enum px_err e;
	struct holder *h = providers(ctx, &e);
	struct px_ai_provider *p = h ? embedder(ctx, h) : NULL;

	out[0] = '\0';
	if (p)
		model_name(p, out, cap);
	if (h)
		release(h);
}

static void builtin_vec(const char *text, struct px_hai_vec *o, enum px_err why)
{
	snprintf(o->model, sizeof(o->model), "%s", PX_HAI_EMBED_MODEL);
	o->dim = PX_AI_BUILTIN_DIM;
	o->remote = 0;
	o->fallback = why;
	px_ai_builtin_embed(text, strlen(text), o->v, PX_AI_BUILTIN_DIM);
}

/* Scales v[dim] to unit length; 0 when it has none (or is not finite). */
static int unit(float *v, int dim)
{
	double s = 0;
	int i;

	for (i = 0; i < dim; i++)
		s += (double)v[i] * v[i];
	if (!(s > 0) || !isfinite(s))
		return 0;
	s = sqrt(s);
	for (i = 0; i < dim; i++)
		v[i] = (float)(v[i] / s);
	return 1;
}

/* Calls p for text (already cleared by the rules) and audits the call. */
static enum px_err embed_call(struct px_ctx *ctx, const struct px_hai_task *t,
			      struct px_ai_provider *p, const char *text, struct px_hai_vec *o)
{
	struct px_ai_redactor red;
	struct px_buf sent = PX_BUF_INIT;
	struct px_ai_answer a;
	long long t0;
	enum px_err e;
	int dim = 0;

	px_ai_redactor_init(&red);
	px_ai_answer_init(&a);
	if (is_remote(p)) {
		px_ai_redact(&red, text, strlen(text), &sent);
	} else {
		px_buf_puts(&sent, text);
	}
	px_buf_putc(&sent, '\0');
	if (sent.failed || red.failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	t0 = px_ai_now_ms();
	o->called = 1;
	e = px_ai_embed(p, sent.data, o->v, PX_HAI_EMBED_MAX_DIM, &dim, &a);
	if (e == PX_OK && !unit(o->v, dim))
		e = PX_E_AI_BAD_RESPONSE;
	audit(ctx, t, p, &a, e, (long)(px_ai_now_ms() - t0), is_remote(p) ? (int)red.n : 0);
	if (e != PX_OK) {
		px_log_warn("ai", ctx->req->correlation_id, "%s via %s failed: %s (HTTP %d, %d attempts)",
			    t->feature, p->name, px_err_name(e), a.http_status, a.attempts);
		goto out;
	}
	model_name(p, o->model, sizeof(o->model));
	o->dim = dim;
	o->remote = is_remote(p);
	o->fallback = PX_OK;
out:
	if (sent.data)
		px_crypto_wipe(sent.data, sent.len);
	px_buf_free(&sent);
	px_ai_answer_free(&a);
	px_ai_redactor_free(&red);
	return e;
}

enum px_err px_hai_embed(struct px_ctx *ctx, const char *feature, long long channel,
			 const char *text, int allow_call, struct px_hai_vec *o)
{
	struct px_hai_task t = { feature, channel, NULL, { PX_AI_TASK_ANSWER, NULL, 0, NULL, NULL,
							    0, NULL, NULL, 0 } };
	struct px_ai_provider *p;
	struct holder *h;
	enum px_err e = PX_OK, why = PX_OK;

	memset(o, 0, offsetof(struct px_hai_vec, v));
	if (!(h = providers(ctx, &why))) {
		builtin_vec(text, o, why);
		return PX_OK;
	}
	if (!(p = embedder(ctx, h)))
		goto builtin;
	t.provider = p->name;
	if (is_remote(p)) {
		/* the rules first: what they forbid is not a refused call but
		 * the channel's vectors staying local */
		if (px_cfg_bool(ctx->cfg, "ai_local_only"))
			why = PX_E_AI_REMOTE_NOT_ALLOWED;
		else if (channel)
			why = remote_policy(ctx, channel);
		if (why == PX_E_SYSTEM_DB_UNAVAILABLE) {
			e = why;
			goto out;
		}
		if (why != PX_OK)
			goto builtin;
	}
	if (!allow_call) {
		why = PX_E_AI_PROVIDER_UNAVAILABLE;
		goto builtin;
	}
	if (is_remote(p) && (why = budget(ctx, channel)) != PX_OK) {
		audit(ctx, &t, p, NULL, why, 0, 0);
		goto builtin;
	}
	if ((why = embed_call(ctx, &t, p, text, o)) == PX_OK)
		goto out;
builtin:
	builtin_vec(text, o, why);
out:
	release(h);
	return e;
}

void px_hai_marker(struct px_buf *b, const struct px_hai_out *o)
{
	px_buf_puts(b, ",\"ai\":{\"generated\":true,\"provider\":");
	px_buf_json_str(b, o->provider, strlen(o->provider));
	px_buf_puts(b, ",\"kind\":");
	px_buf_json_str(b, o->kind, strlen(o->kind));
	px_buf_puts(b, ",\"model\":");
	px_buf_json_str(b, o->model, strlen(o->model));
	px_buf_printf(b, ",\"remote\":%s,\"tokens_in\":%ld,\"tokens_out\":%ld,\"notice\":",
		      o->remote ? "true" : "false", o->tokens_in, o->tokens_out);
	if (strcmp(o->kind, "builtin") == 0)
		px_buf_puts(b, "\"Made by AI: PlexiChat's basic built-in provider (extractive; it "
			       "picks existing sentences and understands no meaning).\"}");
	else
		px_buf_printf(b, "\"Made by AI (%s, model %s). Check important facts.\"}",
			      o->provider, o->model);
}

static const char *const br_names[] = { "closed", "open", "half_open" };

enum px_err px_hai_status(struct px_ctx *ctx, struct px_buf *b)
{
	struct px_m_ai_usage u;
	struct holder *h;
	char model[200];
	enum px_err e;
	size_t i;

	if (!(h = providers(ctx, &e)))
		return e;
	px_buf_puts(b, ",\"providers\":[");
	for (i = 0; i < h->set.n; i++) {
		struct px_ai_provider *p = &h->set.v[i];

		px_buf_printf(b, "%s{\"name\":", i ? "," : "");
		px_buf_json_str(b, p->name, strlen(p->name));
		px_buf_printf(b, ",\"kind\":\"%s\",\"base_url\":", px_ai_kind_name(p->kind));
		px_buf_json_str(b, p->base_url, strlen(p->base_url));
		px_buf_puts(b, ",\"chat_model\":");
		px_buf_json_str(b, p->chat_model, strlen(p->chat_model));
		px_buf_puts(b, ",\"embed_model\":");
		px_buf_json_str(b, p->embed_model, strlen(p->embed_model));
		px_buf_printf(b, ",\"local\":%s,\"remote\":%s,\"has_key\":%s,\"breaker\":\"%s\","
				 "\"price_in_per_1k\":%g,\"price_out_per_1k\":%g}",
			      p->local ? "true" : "false", is_remote(p) ? "true" : "false",
			      p->key ? "true" : "false", br_names[px_ai_breaker_state(&p->breaker)],
			      p->price_in_1k, p->price_out_1k);
	}
	release(h);
	if ((e = px_m_ai_usage(ctx->db, ctx->who.user_id, 0, &u)) != PX_OK)
		return e;
	px_hai_embed_model(ctx, model, sizeof(model));
	px_buf_puts(b, "],\"embed_model\":");
	px_buf_json_str(b, model[0] ? model : PX_HAI_EMBED_MODEL,
			strlen(model[0] ? model : PX_HAI_EMBED_MODEL));
	px_buf_puts(b, ",\"default_provider\":");
	px_buf_json_str(b, px_cfg_str(ctx->cfg, "ai_provider"), strlen(px_cfg_str(ctx->cfg, "ai_provider")));
	px_buf_printf(b, ",\"enabled\":%s,\"local_only\":%s,"
			 "\"usage_today\":{\"user_tokens\":%lld,\"user_cost\":%.6f,"
			 "\"instance_tokens\":%lld,\"instance_cost\":%.6f},"
			 "\"budgets\":{\"user_tokens\":%lld,\"channel_tokens\":%lld,"
			 "\"instance_tokens\":%lld,\"user_cost_micros\":%lld,\"instance_cost_micros\":%lld}",
		      px_cfg_bool(ctx->cfg, "ai_enabled") ? "true" : "false",
		      px_cfg_bool(ctx->cfg, "ai_local_only") ? "true" : "false", u.user_tokens,
		      u.user_cost, u.instance_tokens, u.instance_cost,
		      (long long)px_cfg_int(ctx->cfg, "ai_budget_user_tokens"),
		      (long long)px_cfg_int(ctx->cfg, "ai_budget_channel_tokens"),
		      (long long)px_cfg_int(ctx->cfg, "ai_budget_instance_tokens"),
		      (long long)px_cfg_int(ctx->cfg, "ai_budget_user_cost_micros"),
		      (long long)px_cfg_int(ctx->cfg, "ai_budget_instance_cost_micros"));
	return b->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
