/* http.c: request parsing (query, cookies, bodies) and the response writer.
 * Parsers never trust their input: every count and length is bounded. */
#include "core/http.h"
#include "core/codec.h"
#include "core/mediatype.h"
#include "core/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void px_request_init(struct px_request *r)
{
	memset(r, 0, sizeof(*r));
}

void px_kvlist_free(struct px_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void px_request_clear(struct px_request *r)
{
	free(r->method);
	free(r->path);
	free(r->raw_path);
	free(r->raw_query);
	free(r->content_type);
	free(r->remote_addr);
	free(r->body);
	px_kvlist_free(&r->headers);
	px_kvlist_free(&r->query);
	px_kvlist_free(&r->cookies);
	px_kvlist_free(&r->form);
	if (r->json)
		json_object_put(r->json);
	px_request_init(r);
}

int px_kvlist_add(struct px_kvlist *l, const char *name, size_t nlen,
		  const char *value, size_t vlen)
{
	struct px_kv *kv;
	char *n = NULL, *v = NULL;

	if (l->n >= PX_MAX_PARAMS)
		return -1;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct px_kv *p = realloc(l->items, ncap * sizeof(*p));
		if (!p)
			return -1;
		l->items = p;
		l->cap = ncap;
	}
	n = strndup(name, nlen);
	v = malloc(vlen + 1);
	if (!n || !v) {
		free(n);
		free(v);
		return -1;
	}
	memcpy(v, value, vlen);
	v[vlen] = '\0';
	kv = &l->items[l->n++];
	kv->name = n;
	kv->value = v;
	kv->value_len = vlen;
	return 0;
}

const char *px_kvlist_get(const struct px_kvlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return l->items[i].value;
	return NULL;
}

const char *px_request_header(const struct px_request *r, const char *name)
{
	return px_kvlist_get(&r->headers, name);
}

const char *px_request_query(const struct px_request *r, const char *name)
{
	return px_kvlist_get(&r->query, name);
}

const char *px_request_cookie(const struct px_request *r, const char *name)
{
	return px_kvlist_get(&r->cookies, name);
}

int px_http_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end = NULL;
	long long v;

	/* strtoll alone would also take blanks, a '+' and trailing text */
	if (!isdigit((unsigned char)s[s[0] == '-']))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int px_request_query_int(const struct px_request *r, const char *name,
			 long long min, long long max, long long *out)
{
	const char *s = px_kvlist_get(&r->query, name);

	if (!s)
		return 0;
	return px_http_parse_int(s, min, max, out) == 0 ? 1 : -1;
}

int px_http_method_safe(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

enum px_err px_url_decode(const char *s, size_t n, int plus_space,
			  struct px_buf *out)
{
	size_t start = out->len;

	if (px_codec_pct_decode(s, n, plus_space ? PX_CODEC_PCT_PLUS : 0, out) != 0)
		return out->failed ? PX_E_SYSTEM_INTERNAL : PX_E_VALIDATION_INVALID_ENCODING;
	/* px_utf8_valid refuses NUL too, raw or encoded */
	if (!px_utf8_valid(out->data + start, out->len - start))
		return PX_E_VALIDATION_INVALID_ENCODING;
	return PX_OK;
}

enum px_err px_parse_urlencoded(const char *s, size_t n, struct px_kvlist *out)
{
	struct px_buf name = PX_BUF_INIT, value = PX_BUF_INIT;
	enum px_err e = PX_OK;
	size_t i = 0;

	while (i < n) {
		size_t end = i, eq;

		while (end < n && s[end] != '&')
			end++;
		if (end == i) { /* empty pair, as in "a=1&&b=2" */
			i = end + 1;
			continue;
		}
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		px_buf_reset(&name);
		px_buf_reset(&value);
		if (eq == i) {
			e = PX_E_VALIDATION_MALFORMED_QUERY;
			goto out;
		}
		if ((e = px_url_decode(s + i, eq - i, 1, &name)) != PX_OK)
			goto out;
		if (eq < end &&
		    (e = px_url_decode(s + eq + 1, end - eq - 1, 1, &value)) != PX_OK)
			goto out;
		if (px_kvlist_add(out, name.data ? name.data : "", name.len,
				  value.data ? value.data : "", value.len) != 0) {
			e = PX_E_VALIDATION_MALFORMED_QUERY;
			goto out;
		}
		i = end + 1;
	}
out:
	px_buf_free(&name);
	px_buf_free(&value);
	return e;
}

enum px_err px_parse_cookies(const char *s, struct px_kvlist *out)
{
	while (s && *s) {
		const char *end = strchr(s, ';'), *eq;
		size_t len;

		if (!end)
			end = s + strlen(s);
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		len = (size_t)(end - s);
		eq = memchr(s, '=', len);
		if (eq && eq > s) {
			const char *v = eq + 1;
			size_t vlen = (size_t)(end - v);

			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (px_kvlist_add(out, s, (size_t)(eq - s), v, vlen) != 0)
				return PX_E_VALIDATION_MALFORMED_QUERY;
		}
		s = *end ? end + 1 : end;
	}
	return PX_OK;
}

enum px_err px_parse_json_body(struct px_request *r)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum px_err e = PX_E_VALIDATION_INVALID_JSON;

	if (!px_utf8_valid(r->body ? r->body : "", r->body_len))
		return PX_E_VALIDATION_INVALID_JSON;
	tok = json_tokener_new_ex(PX_MAX_JSON_DEPTH);
	if (!tok)
		return PX_E_SYSTEM_INTERNAL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, r->body ? r->body : "", (int)r->body_len);
	if (obj && json_tokener_get_error(tok) == json_tokener_success &&
	    tok->char_offset == (int)r->body_len) {
		r->json = obj;
		obj = NULL;
		e = PX_OK;
	}
	if (obj)
		json_object_put(obj);
	json_tokener_free(tok);
	return e;
}

enum px_err px_parse_body(struct px_request *r)
{
	struct px_mediatype mt;

	if (r->body_len == 0)
		return PX_OK;
	(void)px_mediatype_parse(r->content_type ? r->content_type : "",
				 r->content_type ? strlen(r->content_type) : 0, &mt);
	if (px_mediatype_is(&mt, "application/json"))
		return px_parse_json_body(r);
	if (px_mediatype_is(&mt, "application/x-www-form-urlencoded")) {
		if (memchr(r->body, '\0', r->body_len))
			return PX_E_VALIDATION_CONTENT_TYPE;
		return px_parse_urlencoded(r->body, r->body_len, &r->form);
	}
	return PX_OK;
}

void px_response_init(struct px_response *w)
{
	memset(w, 0, sizeof(*w));
	w->status = 200;
}

void px_response_clear(struct px_response *w)
{
	px_buf_free(&w->headers);
	px_buf_free(&w->body);
	memset(w, 0, sizeof(*w));
	w->status = 200;
}

int px_response_header(struct px_response *w, const char *name,
		       const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -1;
	px_buf_puts(&w->headers, name);
	px_buf_append(&w->headers, ": ", 2);
	px_buf_puts(&w->headers, value);
	px_buf_append(&w->headers, "\r\n", 2);
	return w->headers.failed ? -1 : 0;
}

static void json_head(struct px_response *w, int status)
{
	w->status = status;
	px_response_header(w, "Content-Type", "application/json; charset=utf-8");
}

void px_response_json(struct px_response *w, int status, const char *json,
		      size_t n)
{
	json_head(w, status);
	px_buf_reset(&w->body);
	px_buf_append(&w->body, json, n);
}

void px_response_json_buf(struct px_response *w, int status, struct px_buf *json)
{
	struct px_buf old = w->body;

	json_head(w, status);
	px_buf_reset(&old);
	w->body = *json;
	*json = old;
}

void px_response_error(struct px_response *w, enum px_err e,
		       const char *details_json, const char *correlation_id)
{
	const char *name = px_err_name(e), *msg = px_err_message(e);

	px_buf_reset(&w->headers);
	px_buf_reset(&w->body);
	w->status = px_err_status(e);
	px_response_header(w, "Content-Type", "application/json; charset=utf-8");
	px_response_header(w, "Cache-Control", "no-store");
	px_buf_puts(&w->body, "{\"error_code\":");
	px_buf_json_str(&w->body, name, strlen(name));
	px_buf_printf(&w->body, ",\"http_status\":%d,\"message\":", w->status);
	px_buf_json_str(&w->body, msg, strlen(msg));
	px_buf_puts(&w->body, ",\"details\":");
	px_buf_puts(&w->body, details_json && *details_json ? details_json : "{}");
	px_buf_puts(&w->body, ",\"correlation_id\":");
	correlation_id = correlation_id ? correlation_id : "";
	px_buf_json_str(&w->body, correlation_id, strlen(correlation_id));
	px_buf_puts(&w->body, "}\n");
}

int px_response_head(const struct px_response *w, struct px_buf *out)
{
	px_buf_printf(out, "Status: %d\r\n", w->status);
	px_buf_append(out, w->headers.data ? w->headers.data : "", w->headers.len);
	px_buf_puts(out, "\r\n");
	return out->failed ? -1 : 0;
}

int px_response_stream_begin(struct px_response *w)
{
	struct px_buf head = PX_BUF_INIT;
	int rc = -1;

	if (!w->ops || w->headers_sent)
		goto out;
	if (px_response_head(w, &head) != 0 ||
	    w->ops->write(w->io, head.data, head.len) != 0)
		goto out;
	w->headers_sent = 1;
	rc = 0;
out:
	px_buf_free(&head);
	return rc;
}

int px_response_stream_write(struct px_response *w, const void *p, size_t n)
{
	if (!w->headers_sent || w->ops->write(w->io, p, n) != 0)
		return -1;
	return w->ops->flush ? w->ops->flush(w->io) : 0;
}
