/* ai_provider.c: loading the providers and running tasks on them
 * (ai_provider.h). The key is read once at load; every buffer that held
 * it (the key itself, the header line) is wiped before it is freed. */
#include "ai/ai_provider.h"
#include "ai/ai_builtin.h"
#include "ai/ai_http.h"
#include "ai/ai_sse.h"
#include "ai/ai_wire.h"
#include "core/crypto.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROVIDERS 32
#define MAX_KEY 4096

static const char *const kinds[] = { "builtin", "openai", "anthropic", "gemini" };

const char *px_ai_kind_name(enum px_ai_kind k)
{
	return (unsigned)k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "?";
}

static void builtin_defaults(struct px_ai_provider *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "builtin");
	p->kind = PX_AI_BUILTIN;
	snprintf(p->chat_model, sizeof(p->chat_model), "builtin-extractive-1");
	snprintf(p->embed_model, sizeof(p->embed_model), "builtin-hash-%d", PX_AI_BUILTIN_DIM);
	p->local = 1;
	p->timeout_ms = 30000;
	p->connect_timeout_ms = 5000;
	p->retries = 2;
	p->backoff_base_ms = 200;
	p->max_wait_ms = 10000;
	p->max_response = 4 << 20;
	px_ai_breaker_init(&p->breaker, 5, 30000);
}

static const char *jstr(json_object *o, const char *k, const char *def)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : def;
}

static long jnum(json_object *o, const char *k, long def, long lo, long hi, int *bad)
{
	json_object *v;
	long x;

	if (!json_object_object_get_ex(o, k, &v))
		return def;
	if (!json_object_is_type(v, json_type_int)) {
		*bad = 1;
		return def;
	}
	x = (long)json_object_get_int64(v);
	if (x < lo || x > hi)
		*bad = 1;
	return x;
}

static double jdbl(json_object *o, const char *k, int *bad)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
		*bad = 1;
		return 0;
	}
	return json_object_get_double(v);
}

/* Reads the key from key_file (first line) or key_env; NULL when neither
 * is set. *bad when named but unreadable. */
static char *read_key(json_object *o, int *bad)
{
	const char *f = jstr(o, "key_file", NULL), *env = jstr(o, "key_env", NULL);
	char buf[MAX_KEY], *k = NULL;
	FILE *fp;

	if (f && f[0]) {
		if (!(fp = fopen(f, "r")) || !fgets(buf, sizeof(buf), fp)) {
			*bad = 1;
		} else {
			buf[strcspn(buf, "\r\n")] = '\0';
			k = strdup(buf);
		}
		if (fp)
			fclose(fp);
		px_crypto_wipe(buf, sizeof(buf));
	} else if (env && env[0]) {
		const char *v = getenv(env);

		if (!v || !v[0])
			*bad = 1;
		else
			k = strdup(v);
	}
	return k;
}

/* Fills p from one object of the file; *why on a bad field. */
static int one(json_object *o, struct px_ai_provider *p, const char **why)
{
	const char *kind = jstr(o, "kind", ""), *name = jstr(o, "name", "");
	const char *url = jstr(o, "base_url", "");
	int bad = 0, thr;
	long cool;
	size_t i;

	builtin_defaults(p);
	px_ai_breaker_destroy(&p->breaker);
	for (i = 1; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			p->kind = (enum px_ai_kind)i;
	if (p->kind == PX_AI_BUILTIN)
		return *why = "kind", 0;
	if (!name[0] || strlen(name) >= sizeof(p->name) || strcmp(name, "builtin") == 0)
		return *why = "name", 0;
	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
	    strlen(url) >= sizeof(p->base_url))
		return *why = "base_url", 0;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->base_url, sizeof(p->base_url), "%s", url);
	i = strlen(p->base_url);
	while (i && p->base_url[i - 1] == '/')
		p->base_url[--i] = '\0';
	snprintf(p->chat_model, sizeof(p->chat_model), "%s", jstr(o, "chat_model", ""));
	snprintf(p->embed_model, sizeof(p->embed_model), "%s", jstr(o, "embed_model", ""));
	p->price_in_1k = jdbl(o, "price_in_per_1k", &bad);
	p->price_out_1k = jdbl(o, "price_out_per_1k", &bad);
	p->timeout_ms = jnum(o, "timeout_ms", 30000, 100, 600000, &bad);
	p->connect_timeout_ms = jnum(o, "connect_timeout_ms", 5000, 50, 60000, &bad);
	p->retries = (int)jnum(o, "retries", 2, 0, 10, &bad);
	p->backoff_base_ms = jnum(o, "backoff_ms", 200, 0, 60000, &bad);
	p->max_wait_ms = jnum(o, "max_wait_ms", 10000, 0, 600000, &bad);
	p->max_response = (size_t)jnum(o, "max_response_bytes", 4 << 20, 1024, 256L << 20, &bad);
	p->local = (int)jnum(o, "local", 0, 0, 1, &bad);
	p->stream = (int)jnum(o, "stream", 0, 0, 1, &bad);
	thr = (int)jnum(o, "breaker_failures", 5, 1, 1000, &bad);
	cool = jnum(o, "breaker_cooldown_ms", 30000, 0, 3600000, &bad);
	px_ai_breaker_init(&p->breaker, thr, cool);
	if (bad || p->price_in_1k < 0 || p->price_out_1k < 0)
		return *why = "a number field", 0;
	p->key = read_key(o, &bad);
	if (bad)
		return *why = "key_file or key_env (not readable or empty)", 0;
	return 1;
}

enum px_err px_ai_set_parse(const char *json, struct px_ai_set *set, const char **why)
{
	json_object *root = json_tokener_parse(json), *arr = NULL;
	size_t i, n = 0;

	set->v = calloc(MAX_PROVIDERS + 1, sizeof(*set->v));
	set->n = 0;
	*why = NULL;
	if (!set->v) {
		json_object_put(root);
		return PX_E_SYSTEM_INTERNAL;
	}
	builtin_defaults(&set->v[0]);
	set->n = 1;
	if (!root || !json_object_object_get_ex(root, "providers", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > MAX_PROVIDERS) {
		*why = "providers (a JSON object with a \"providers\" array of at most 32)";
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct px_ai_provider *p = &set->v[set->n];

		if (!one(json_object_array_get_idx(arr, i), p, why)) {
			free(p->key);
			goto fail;
		}
		set->n++;
		if (px_ai_set_find(set, p->name) != p) {
			*why = "name (used twice)";
			goto fail;
		}
	}
	json_object_put(root);
	return PX_OK;
fail:
	json_object_put(root);
	px_ai_set_free(set);
	return PX_E_AI_CONFIG_INVALID;
}

enum px_err px_ai_set_load(const char *path, struct px_ai_set *set, const char **why)
{
	struct px_buf b = PX_BUF_INIT;
	char chunk[4096];
	enum px_err e;
	size_t k;
	FILE *f;

	if (!path || !path[0])
		return px_ai_set_parse("{\"providers\":[]}", set, why);
	if (!(f = fopen(path, "r"))) {
		*why = "ai_providers_file (cannot be opened)";
		set->v = NULL;
		set->n = 0;
		return PX_E_AI_CONFIG_INVALID;
	}
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (1 << 20))
		px_buf_append(&b, chunk, k);
	fclose(f);
	e = b.failed ? PX_E_SYSTEM_INTERNAL : px_ai_set_parse(b.data ? b.data : "", set, why);
	px_buf_free(&b);
	return e;
}

void px_ai_set_free(struct px_ai_set *set)
{
	size_t i;

	for (i = 0; set->v && i < set->n; i++) {
		if (set->v[i].key) {
			px_crypto_wipe(set->v[i].key, strlen(set->v[i].key));
			free(set->v[i].key);
		}
		px_ai_breaker_destroy(&set->v[i].breaker);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

struct px_ai_provider *px_ai_set_find(const struct px_ai_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

void px_ai_answer_init(struct px_ai_answer *a)
{
	memset(a, 0, sizeof(*a));
	px_buf_init(&a->text);
	px_buf_init(&a->sent);
}

void px_ai_answer_free(struct px_ai_answer *a)
{
	px_buf_free(&a->text);
	px_buf_free(&a->sent);
}

double px_ai_cost(const struct px_ai_provider *p, long tin, long tout)
{
	return (double)tin * p->price_in_1k / 1000.0 + (double)tout * p->price_out_1k / 1000.0;
}

static enum px_err run_builtin(const struct px_ai_req *q, struct px_ai_answer *a)
{
	size_t i;

	switch (q->task) {
	case PX_AI_TASK_SUMMARY:
		px_ai_builtin_summary(q->items, q->n, 5, &a->text);
		break;
	case PX_AI_TASK_ANSWER:
		px_ai_builtin_answer(q->items, q->n, q->question ? q->question : "", &a->text);
		break;
	default:
		return PX_E_AI_NOT_SUPPORTED;
	}
	for (i = 0; i < q->n; i++)
		a->tokens_in += (long)(strlen(q->items[i].text ? q->items[i].text : "") / 4);
	a->tokens_out = (long)(a->text.len / 4);
	if (q->on_delta && a->text.len)
		q->on_delta(q->arg, a->text.data, a->text.len);
	return a->text.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* Streams a 2xx body through the SSE parser into the answer. */
struct stream_ctx {
	struct px_ai_sse sse;
	struct px_ai_wire_stream ws;
};

static int on_chunk(void *arg, const char *p, size_t n)
{
	struct stream_ctx *s = arg;

	return px_ai_sse_feed(&s->sse, p, n, px_ai_wire_stream_event, &s->ws) != 0;
}

static struct px_ai_http_opts opts_of(const struct px_ai_provider *p)
{
	struct px_ai_http_opts o = { p->timeout_ms, p->connect_timeout_ms, p->retries,
				     p->backoff_base_ms, p->max_wait_ms, p->max_response,
				     NULL, NULL };
	return o;
}

/* One HTTP call through the breaker; the body stays in r. */
static enum px_err call(struct px_ai_provider *p, const char *url, const char *auth,
			const struct px_buf *body, struct px_ai_http_opts *o,
			struct px_ai_http_result *r, struct px_ai_answer *a)
{
	const char *hdrs[4] = { NULL, NULL, NULL, NULL };
	enum px_err e;
	int h = 0;

	if (auth[0])
		hdrs[h++] = auth;
	if (p->kind == PX_AI_ANTHROPIC)
		hdrs[h++] = "anthropic-version: 2023-06-01";
	if (o->on_chunk)
		hdrs[h++] = "Accept: text/event-stream";
	px_buf_init(&r->body);
	if (!px_ai_breaker_allow(&p->breaker, px_ai_now_ms()))
		return PX_E_AI_PROVIDER_UNAVAILABLE;
	px_buf_append(&a->sent, body->data, body->len);
	e = px_ai_http_post(url, hdrs, body->data, body->len, o, r);
	a->attempts = r->attempts;
	a->http_status = r->status;
	/* a provider that answers, even badly, is up; only transport and
	 * server failures count against it */
	px_ai_breaker_result(&p->breaker,
			     e == PX_OK || (r->status >= 400 && r->status < 500 && r->status != 429),
			     px_ai_now_ms());
	return e;
}

enum px_err px_ai_run(struct px_ai_provider *p, const struct px_ai_req *q, struct px_ai_answer *a)
{
	struct px_buf sys = PX_BUF_INIT, user = PX_BUF_INIT, url = PX_BUF_INIT;
	struct px_buf body = PX_BUF_INIT, auth = PX_BUF_INIT;
	struct px_ai_http_result r = { 0, 0, PX_BUF_INIT, -1, 0 };
	struct px_ai_http_opts o = opts_of(p);
	struct stream_ctx s;
	enum px_err e;

	if (q->timeout_ms > 0) {
		/* a caller with a deadline (moderation at posting) gets one try */
		o.timeout_ms = q->timeout_ms;
		o.connect_timeout_ms = q->timeout_ms < o.connect_timeout_ms ? q->timeout_ms
									   : o.connect_timeout_ms;
		o.retries = 0;
	}
	snprintf(a->model, sizeof(a->model), "%s", p->chat_model);
	if (p->kind == PX_AI_BUILTIN)
		return run_builtin(q, a);
	px_ai_wire_prompt(q, &sys, &user);
	e = px_ai_wire_chat(p, sys.data ? sys.data : "", user.data ? user.data : "",
			    q->max_tokens > 0 ? q->max_tokens : 512, p->stream, &url, &body, &auth);
	if (e != PX_OK || sys.failed || user.failed)
		goto out;
	memset(&s, 0, sizeof(s));
	if (p->stream) {
		px_ai_sse_init(&s.sse, p->max_response);
		s.ws = (struct px_ai_wire_stream){ p->kind, a, q->on_delta, q->arg, 0, 0 };
		o.on_chunk = on_chunk;
		o.arg = &s;
	}
	e = call(p, url.data, auth.data ? auth.data : "", &body, &o, &r, a);
	if (p->stream) {
		/* Gemini's stream has no end marker but the last event's
		 * finishReason; a stream that stops before its end is cut */
		if (e == PX_OK && (s.ws.bad || !s.ws.done || px_ai_sse_pending(&s.sse)))
			e = PX_E_AI_BAD_RESPONSE;
		px_ai_sse_free(&s.sse);
	} else if (e == PX_OK) {
		e = px_ai_wire_chat_answer(p->kind, r.body.data ? r.body.data : "", r.body.len, a);
		if (e == PX_OK && q->on_delta)
			q->on_delta(q->arg, a->text.data, a->text.len);
	}
out:
	if (auth.data)
		px_crypto_wipe(auth.data, auth.len);
	px_buf_free(&auth);
	px_buf_free(&sys);
	px_buf_free(&user);
	px_buf_free(&url);
	px_buf_free(&body);
	px_buf_free(&r.body);
	return e;
}

enum px_err px_ai_embed(struct px_ai_provider *p, const char *text, float *out, int cap,
			int *dim, struct px_ai_answer *a)
{
	struct px_buf url = PX_BUF_INIT, body = PX_BUF_INIT, auth = PX_BUF_INIT;
	struct px_ai_http_result r = { 0, 0, PX_BUF_INIT, -1, 0 };
	struct px_ai_http_opts o = opts_of(p);
	enum px_err e;

	snprintf(a->model, sizeof(a->model), "%s", p->embed_model);
	*dim = 0;
	if (p->kind == PX_AI_BUILTIN) {
		if (cap < PX_AI_BUILTIN_DIM)
			return PX_E_SYSTEM_INTERNAL;
		px_ai_builtin_embed(text, strlen(text), out, PX_AI_BUILTIN_DIM);
		*dim = PX_AI_BUILTIN_DIM;
		return PX_OK;
	}
	e = px_ai_wire_embed(p, text, &url, &body, &auth);
	if (e == PX_OK)
		e = call(p, url.data, auth.data ? auth.data : "", &body, &o, &r, a);
	if (e == PX_OK)
		e = px_ai_wire_embed_answer(p->kind, r.body.data ? r.body.data : "", r.body.len,
					    out, cap, dim, a);
	if (auth.data)
		px_crypto_wipe(auth.data, auth.len);
	px_buf_free(&auth);
	px_buf_free(&url);
	px_buf_free(&body);
	px_buf_free(&r.body);
	return e;
}
