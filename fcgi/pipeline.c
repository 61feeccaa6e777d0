/* pipeline.c: enforces each route's policy before its handler runs, and
 * turns every failure into the central error format. */
#include "fcgi/pipeline.h"
#include "fcgi/authmw.h"
#include "fcgi/router.h"
#include "fcgi/wafmw.h"
#include "fcgi/waker.h"
#include "waf/waf.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/ctx.h"
#include "core/gen.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/multipart.h"
#include "web/webpage.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Correlation ids: 8 random bytes drawn once per worker thread, then a
 * counter, so ids are unique without asking the CSPRNG on every request
 * (they identify requests in logs; they are not secrets). */
static void new_correlation_id(struct px_request *req)
{
	static __thread unsigned char id[16];
	static __thread unsigned long long count;
	int i;

	if (count == 0 && px_crypto_random(id, 8) != 0)
		memset(id, 0, 8);
	count++;
	for (i = 0; i < 8; i++)
		id[8 + i] = (unsigned char)(count >> (56 - 8 * i));
	px_codec_hex_str(req->correlation_id, id, sizeof(id));
}

static int is_loopback(const char *addr)
{
	return addr && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
			strncmp(addr, "::ffff:127.", 11) == 0);
}

/* Reads the body, refusing it before reading when the declared length is
 * over the limit, and while reading when more arrives than declared. A
 * read error or a body shorter than declared (the client went away) is
 * an incomplete body, never a shorter request. */
static enum px_err read_body(struct px_request *req, struct px_response *resp,
			     size_t limit)
{
	struct px_buf b = PX_BUF_INIT;
	enum px_err e = PX_OK;
	char chunk[16384];
	long n;

	if (req->content_length > limit)
		return PX_E_VALIDATION_PAYLOAD_TOO_LARGE;
	if (!resp->ops || !resp->ops->read || req->content_length == 0)
		return PX_OK;
	b.max = limit;
	while ((n = resp->ops->read(resp->io, chunk, sizeof(chunk))) > 0) {
		px_buf_append(&b, chunk, (size_t)n);
		if (b.failed || b.len > req->content_length) {
			e = PX_E_VALIDATION_PAYLOAD_TOO_LARGE;
			goto out;
		}
	}
	if (n < 0 || b.len != req->content_length) {
		e = PX_E_VALIDATION_BODY_INCOMPLETE;
		goto out;
	}
	req->body_len = b.len;
	req->body = px_buf_steal(&b);
	if (!req->body)
		e = PX_E_SYSTEM_INTERNAL;
out:
	px_buf_free(&b);
	return e;
}

/* A streamed route's body: only its first PX_STREAM_PREFIX bytes, for the
 * WAF; the handler reads the rest. Ending before those bytes (or before
 * the declared length when shorter) is an incomplete body. */
static enum px_err read_prefix(struct px_request *req, struct px_response *resp)
{
	uint64_t want = req->content_length < PX_STREAM_PREFIX ? req->content_length
							       : PX_STREAM_PREFIX;
	struct px_buf b = PX_BUF_INIT;
	enum px_err e = PX_OK;
	char chunk[16384];
	long n = 1;

	if (!resp->ops || !resp->ops->read || want == 0)
		return PX_OK;
	while (b.len < want &&
	       (n = resp->ops->read(resp->io, chunk,
				    want - b.len < sizeof(chunk) ? want - b.len : sizeof(chunk))) > 0)
		px_buf_append(&b, chunk, (size_t)n);
	if (b.failed)
		e = PX_E_SYSTEM_INTERNAL;
	else if (b.len < want)
		e = PX_E_VALIDATION_BODY_INCOMPLETE;
	else {
		req->body_len = b.len;
		req->body_partial = b.len < req->content_length;
		req->body = px_buf_steal(&b);
		if (!req->body)
			e = PX_E_SYSTEM_INTERNAL;
	}
	px_buf_free(&b);
	return e;
}

/* The form fields of a streamed route's body, from the prefix the WAF
 * saw: an urlencoded body only when it arrived whole (a longer one is
 * VALIDATION_PAYLOAD_TOO_LARGE: the WAF never judged the rest), the text
 * parts of a multipart/form-data body that end within the prefix. Other
 * bodies are the handler's. So a form that carries files posts its CSRF
 * token as a field, like every other form. */
static enum px_err parse_stream_form(struct px_request *req)
{
	const char *ct = req->content_type ? req->content_type : "";

	if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
		return req->body_partial ? PX_E_VALIDATION_PAYLOAD_TOO_LARGE : px_parse_body(req);
	if (strncasecmp(ct, "multipart/form-data", 19) == 0)
		return px_multipart_prefix_form(req);
	return PX_OK;
}

/* Decodes path, query and cookies; the first failure is returned
 * but parsing continues so the WAF sees as much as possible. */
static enum px_err parse_request(struct px_request *req)
{
	struct px_buf path = PX_BUF_INIT;
	enum px_err e = PX_OK, e2;

	e2 = px_url_decode(req->raw_path, strlen(req->raw_path), 0, &path);
	if (e2 == PX_OK)
		req->path = px_buf_steal(&path);
	else
		e = e2;
	px_buf_free(&path);
	if (req->raw_query) {
		e2 = px_parse_urlencoded(req->raw_query, strlen(req->raw_query),
					 &req->query);
		if (e == PX_OK && e2 != PX_OK)
			e = e2 == PX_E_VALIDATION_INVALID_ENCODING
				    ? PX_E_VALIDATION_MALFORMED_QUERY : e2;
	}
	e2 = px_parse_cookies(px_request_header(req, "cookie"), &req->cookies);
	if (e == PX_OK && e2 != PX_OK)
		e = e2;
	return e;
}

/* One access line; remote is the peer (a proxy, perhaps), client the
 * address resolved behind trusted_proxies ("" when not resolved yet). */
static void access_log(const struct px_request *req, const struct px_route *r,
		       const char *client, int status, uint64_t us)
{
	struct px_buf f = PX_BUF_INIT;
	const char *path = req->raw_path ? req->raw_path : "";

	px_buf_puts(&f, "{\"method\":");
	px_buf_json_str(&f, req->method, strlen(req->method));
	px_buf_puts(&f, ",\"path\":");
	px_buf_json_str(&f, path, strlen(path));
	px_buf_printf(&f, ",\"status\":%d,\"duration_us\":%llu,\"route\":", status,
		      (unsigned long long)us);
	px_buf_json_str(&f, r ? r->pattern : "-", strlen(r ? r->pattern : "-"));
	px_buf_puts(&f, ",\"remote\":");
	px_buf_json_str(&f, req->remote_addr ? req->remote_addr : "",
			strlen(req->remote_addr ? req->remote_addr : ""));
	px_buf_puts(&f, ",\"client\":");
	px_buf_json_str(&f, client, strlen(client));
	px_buf_putc(&f, '}');
	px_log_fields(PX_LOG_INFO, "access", req->correlation_id, f.data, "request");
	px_buf_free(&f);
}

static void record_metrics(const struct px_route *r, int status, uint64_t us)
{
	char labels[200];

	snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"",
		 r ? r->pattern : "unmatched", status);
	px_metrics_count("plexichat_http_requests_total", labels, 1);
	snprintf(labels, sizeof(labels), "route=\"%s\"", r ? r->pattern : "unmatched");
	px_metrics_observe_us("plexichat_http_request_duration", labels, us);
}

/* The WAF profile: the route's own, or for unknown routes and rows that
 * name only "default", the WAF's classifier of the path. */
static const char *waf_profile(const struct px_route *r, const struct px_request *req)
{
	if (r && r->waf_profile && strcmp(r->waf_profile, "default") != 0)
		return r->waf_profile;
	return px_waf_profile_for_path(req->method, req->raw_path);
}

/* Runs the policy steps and the handler; returns the outcome. */
static enum px_err dispatch(struct px_ctx *ctx, const struct px_route **route,
			    enum px_err pre_err, struct px_buf *allow, int *ran)
{
	struct px_request *req = ctx->req;
	const struct px_route *r = NULL;
	enum px_match m = PX_MATCH_NONE;
	enum px_err e, parse_err;
	const char *profile;
	size_t limit;

	if (pre_err != PX_OK)
		return pre_err;
	/* Route lookup has no effect of its own; it tells the WAF and the body
	 * reader which profile and limit apply. */
	parse_err = parse_request(req);
	if (req->path)
		m = px_router_match(req->method, req->path, &r, &ctx->path, allow);
	*route = r;
	/* 1. WAF: client reputation, body limit, then the whole request. */
	profile = waf_profile(r, req);
	e = px_wafmw_client(ctx->app->waf, ctx);
	/* behind a trusted proxy on this machine (HAProxy, docs/CLUSTERING.md)
	 * every peer is loopback: the client behind it decides */
	ctx->loopback = is_loopback(ctx->client_ip);
	if (e != PX_OK || (e = px_wafmw_body_limit(ctx->app->waf, ctx, profile)) != PX_OK)
		goto out;
	limit = r && r->body_limit ? r->body_limit
				   : (size_t)px_cfg_int(ctx->cfg, "body_limit");
	/* streamed bodies are uploads: one declared larger than any file can
	 * be (multipart's part headers aside) is refused before a byte is
	 * read, so a client cannot hold the worker waiting for it */
	if (r && r->body_limit == PX_BODY_STREAM &&
	    req->content_length > (uint64_t)px_cfg_int(ctx->cfg, "files_max_size") + PX_STREAM_PREFIX)
		e = PX_E_FILES_TOO_LARGE;
	else if (r && r->body_limit == PX_BODY_STREAM)
		e = read_prefix(req, ctx->resp);
	else
		e = read_body(req, ctx->resp, limit);
	if (e != PX_OK)
		goto out;
	if (r && r->body_limit == PX_BODY_STREAM)
		e = parse_stream_form(req);
	else if (req->body_len && !req->body_partial)
		e = px_parse_body(req);
	if (parse_err == PX_OK)
		parse_err = e;
	if ((e = px_wafmw_inspect(ctx->app->waf, ctx, profile)) != PX_OK)
		goto out;
	/* 2. correlation id was set at entry; the access log runs at exit. */
	if ((e = parse_err) != PX_OK)
		goto out;
	if (m == PX_MATCH_METHOD) {
		e = PX_E_VALIDATION_METHOD_NOT_ALLOWED;
		goto out;
	}
	if (m == PX_MATCH_NONE) {
		e = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	/* 3. authentication, 4. authorisation, 5. rate limit */
	if ((e = px_authmw_authenticate(ctx, r)) != PX_OK ||
	    (e = px_authmw_authorise(ctx, r)) != PX_OK ||
	    (e = px_authmw_rate_limit(ctx, r)) != PX_OK)
		goto out;
	/* 6. handler */
	*ran = 1;
	e = r->handler(ctx);
out:
	return e;
}

static int is_security(enum px_err e)
{
	return strncmp(px_err_name(e), "SECURITY_", 9) == 0;
}

void px_pipeline_run(struct px_app *app, struct px_db *db,
		     struct px_request *req, struct px_response *resp,
		     enum px_err pre_err)
{
	struct px_snap_ref *ref;
	const struct px_cfg *cfg = px_app_cfg_acquire(app, &ref);
	uint64_t t0 = px_metrics_now_us(), us;
	const struct px_route *route = NULL;
	struct px_buf allow = PX_BUF_INIT;
	struct px_ctx ctx;
	enum px_err e;
	int ran = 0;

	memset(&ctx, 0, sizeof(ctx));
	new_correlation_id(req);
	ctx.req = req;
	ctx.resp = resp;
	ctx.db = db;
	ctx.cfg = cfg;
	ctx.app = app;
	ctx.tmpl = app->tmpl;
	ctx.pages = app->pages;
	ctx.plugins = app->plugins;
	ctx.loopback = is_loopback(req->remote_addr);
	ctx.stopping = app->stopping;
	e = dispatch(&ctx, &route, pre_err, &allow, &ran);
	/* Whatever this request changed is committed by now and its answer
	 * has not left: raising the generation here means no cached lookup on
	 * this machine outlives it for the client (core/gen.h). Only a
	 * handler that ran and succeeded can have changed anything; blocked,
	 * refused and unknown requests must not switch the cache off for
	 * everyone. */
	if (ran && e == PX_OK && !px_http_method_safe(req->method))
		px_gen_bump();
	/* events this request committed went without a notice (sql/170):
	 * the readers are woken with the next batch, also after a failure,
	 * which may come after a commit */
	if (ran && !px_http_method_safe(req->method))
		px_waker_poke();
	/* 7. error normalisation: only here are error bodies written. */
	if (e != PX_OK && !resp->headers_sent) {
		if (px_err_status(e) >= 500 && e != PX_E_SYSTEM_DB_UNAVAILABLE)
			px_log_error("pipeline", req->correlation_id,
				     "%s %s failed: %s", req->method, req->raw_path,
				     px_err_name(e));
		/* security blocks always answer in the central JSON format */
		if (!px_webpage_wants_html(req) || is_security(e) ||
		    px_webpage_error(&ctx, e) != 0)
			px_response_error(resp, e, ctx.details.len ? ctx.details.data : NULL,
					  req->correlation_id);
		if (e == PX_E_VALIDATION_METHOD_NOT_ALLOWED && allow.len)
			px_response_header(resp, "Allow", allow.data);
		px_authmw_error_headers(&ctx, e);
	}
	px_response_header(resp, "X-Request-Id", req->correlation_id);
	us = px_metrics_now_us() - t0;
	access_log(req, route, ctx.client_ip, resp->status, us);
	record_metrics(route, resp->status, us);
	px_buf_free(&ctx.details);
	px_path_clear(&ctx.path);
	px_buf_free(&allow);
	px_app_cfg_release(app, ref);
}
