/* unfurl.c: link previews: the job a sender thread runs for a message
 * with a link, and the API to remove one or turn them off per channel.
 * Pages are fetched only through core/safefetch (every address checked
 * at connect time, redirects re-checked, size and time bounded) and read
 * only with libxml2's HTML parser (core/htmlmeta). What a page says is
 * stored as plain text; pages escape it when they show it. */
#include "handlers/unfurl.h"
#include "handlers/channels_util.h"
#include "core/cfg.h"
#include "core/htmlmeta.h"
#include "core/http.h"
#include "core/log.h"
#include "core/safefetch.h"
#include "model/previews.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the origin ("scheme://host[:port]") at the start of url, or 0. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p || p == url)
		return 0;
	p += 3;
	p += strcspn(p, "/?#");
	return (size_t)(p - url);
}

int px_unfurl_same_origin(const struct px_cfg *cfg, const char *url)
{
	const char *self = px_cfg_str(cfg, "public_url");
	size_t n = origin_len(self);

	return n > 0 && origin_len(url) == n && strncasecmp(url, self, n) == 0;
}

/* The image a preview may name: https anywhere (a client on an https page
 * may show it without mixed content), or the instance's own origin; plain
 * http from elsewhere is dropped, never hot-linked. */
static int image_ok(const struct px_cfg *cfg, const char *url)
{
	return strncasecmp(url, "https://", 8) == 0 || px_unfurl_same_origin(cfg, url);
}

static int is_html(const char *type)
{
	return strncasecmp(type, "text/html", 9) == 0 ||
	       strncasecmp(type, "application/xhtml+xml", 21) == 0;
}

/* The charset parameter of a Content-Type into out ("" when none). */
static void charset_of(const char *type, char *out, size_t n)
{
	const char *p = strcasestr(type, "charset=");
	size_t k = 0;

	out[0] = '\0';
	if (!p)
		return;
	for (p += 8; *p == '"' || *p == ' '; p++)
		;
	while (k + 1 < n && p[k] && p[k] != '"' && p[k] != ';' && p[k] != ' ') {
		out[k] = p[k];
		k++;
	}
	out[k] = '\0';
}

static void add(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* The preview of a fetched page as JSON text into out; out stays empty
 * when the page says nothing worth showing. */
static void read_page(const struct px_cfg *cfg, const char *url, const struct px_sf_resp *resp,
		      struct px_buf *out)
{
	struct px_htmlmeta m;
	struct json_object *o;
	char charset[40];

	charset_of(resp->content_type, charset, sizeof(charset));
	if (px_htmlmeta_parse(resp->body.data ? resp->body.data : "", resp->body.len, url,
			      charset, &m) == 0 &&
	    (m.title || m.description) && (o = json_object_new_object())) {
		add(o, "url", url);
		add(o, "title", m.title);
		add(o, "description", m.description);
		add(o, "image", m.image && image_ok(cfg, m.image) ? m.image : NULL);
		add(o, "site_name", m.site_name);
		px_buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	px_htmlmeta_free(&m);
}

/* Fetches url and reads it; out as read_page. why gets the reason when
 * there is no preview. */
static void fetch(const struct px_cfg *cfg, const char *url, struct px_buf *out, char *why,
		  size_t wlen)
{
	static const char *const headers[] = {
		"Accept: text/html, application/xhtml+xml;q=0.9", "Accept-Language: en", NULL
	};
	struct px_sf_req req = { 0 };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result res;

	req.method = "GET";
	req.url = url;
	req.headers = headers;
	req.allow = px_cfg_str(cfg, "outbound_allow_private");
	req.max_bytes = (size_t)px_cfg_int(cfg, "link_preview_max_bytes");
	req.timeout_ms = (long)px_cfg_int(cfg, "link_preview_timeout_ms");
	req.max_redirects = (int)px_cfg_int(cfg, "hooks_max_redirects");
	res = px_sf_fetch(&req, &resp);
	if (res != PX_SF_DONE)
		snprintf(why, wlen, "%s: %s", px_sf_result_name(res),
			 resp.detail[0] ? resp.detail : "fetch failed");
	else if (resp.status < 200 || resp.status > 299)
		snprintf(why, wlen, "status %ld", resp.status);
	else if (!is_html(resp.content_type))
		snprintf(why, wlen, "not HTML (%.60s)", resp.content_type);
	else {
		read_page(cfg, url, &resp, out);
		snprintf(why, wlen, "%s", out->len ? "preview" : "nothing to show");
	}
	px_buf_free(&resp.body);
}

enum px_unfurl_outcome px_unfurl_run(struct px_db *db, const struct px_cfg *cfg, long long id,
				     char *why, size_t wlen)
{
	struct px_buf html = PX_BUF_INIT, preview = PX_BUF_INIT;
	enum px_unfurl_outcome o = PX_UNFURL_DONE;
	long long ttl = px_cfg_int(cfg, "link_preview_cache_seconds");
	char *url = NULL;
	int wanted = 0, has = 0, hit = 0;
	enum px_err e;

	snprintf(why, wlen, "no link");
	e = px_m_previews_source(db, id, &html, &wanted, &has);
	if (e == PX_E_VALIDATION_NOT_FOUND) {
		snprintf(why, wlen, "message gone");
		goto out;
	}
	if (e != PX_OK)
		goto fail;
	if (!wanted || !px_cfg_bool(cfg, "link_previews")) {
		snprintf(why, wlen, "previews off");
		goto out;
	}
	url = html.len ? px_htmlmeta_first_link(html.data, html.len) : NULL;
	if (!url) {
		/* an edit took the link away: so goes its preview */
		if (has && px_m_previews_store(db, id, NULL, NULL, ttl, NULL) != PX_OK)
			goto fail;
		goto out;
	}
	if (px_m_previews_cached(db, url, ttl, &hit, &preview) != PX_OK)
		goto fail;
	if (hit)
		snprintf(why, wlen, "cached");
	else
		fetch(cfg, url, &preview, why, wlen);
	if (px_m_previews_store(db, id, hit ? NULL : url, preview.len ? preview.data : NULL, ttl,
				NULL) != PX_OK)
		goto fail;
	goto out;
fail:
	snprintf(why, wlen, "database unavailable");
	o = PX_UNFURL_RETRY;
out:
	free(url);
	px_buf_free(&html);
	px_buf_free(&preview);
	return o;
}

/* --- API ------------------------------------------------------------------- */

enum px_err px_h_unfurl_remove(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_EDIT_OWN, &a)) == PX_OK)
		e = px_m_previews_remove(ctx->db, a.channel_id, px_path_int(&ctx->path, "mid"),
					 ctx->who.user_id, &out);
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_unfurl_channel_get(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_READ, &a)) == PX_OK &&
	    (e = px_m_previews_channel(ctx->db, a.channel_id, -1, &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_unfurl_channel_put(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct json_object *v;
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK)
		goto out;
	if (!ctx->req->json || !json_object_object_get_ex(ctx->req->json, "enabled", &v)) {
		px_ctx_detail(ctx, "field", "enabled");
		e = PX_E_VALIDATION_MISSING_FIELD;
		goto out;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		px_ctx_detail(ctx, "field", "enabled");
		e = PX_E_VALIDATION_FIELD_TYPE;
		goto out;
	}
	if ((e = px_m_previews_channel(ctx->db, a.channel_id, json_object_get_boolean(v),
				       &out)) == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
out:
	px_buf_free(&out);
	return e;
}
