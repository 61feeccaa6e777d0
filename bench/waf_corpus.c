/* waf_corpus.c: the corpus loader shared by the WAF benchmarks and tests. */
#include "bench/waf_corpus.h"

#include <ctype.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int add_header(struct px_request *r, const char *name, const char *value)
{
	char low[256];
	size_t i, n = strlen(name);

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	/* Keep every header: the WAF must see floods the parser would cut. */
	{
		struct px_kvlist *l = &r->headers;
		struct px_kv *kv;

		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 16;
			struct px_kv *p = realloc(l->items, ncap * sizeof(*p));

			if (!p)
				return -1;
			l->items = p;
			l->cap = ncap;
		}
		kv = &l->items[l->n];
		kv->name = dup_n(low, n);
		kv->value = dup_n(value, strlen(value));
		kv->value_len = strlen(value);
		if (!kv->name || !kv->value)
			return -1;
		l->n++;
	}
	return 0;
}

static int decode_body(const char *b64, size_t n, char **out, size_t *len)
{
	unsigned char *buf = malloc(n / 4 * 3 + 4);
	int got;
	size_t pad = 0;

	if (!buf)
		return -1;
	got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (got < 0) {
		free(buf);
		return -1;
	}
	while (n > 0 && b64[n - 1] == '=')
		n--, pad++;
	*len = (size_t)got - pad;
	buf[*len] = '\0';
	*out = (char *)buf;
	return 0;
}

static const char *jstr(struct json_object *o, const char *k, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string)) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static int build(struct json_object *o, struct px_corpus_entry *e)
{
	struct px_request *r = &e->req;
	struct json_object *hdrs;
	const char *body, *enc, *method = jstr(o, "method", NULL);
	const char *path = jstr(o, "path", NULL), *query = jstr(o, "query", NULL);
	size_t blen;
	struct px_buf dec = PX_BUF_INIT;
	char cl[32];

	snprintf(e->id, sizeof(e->id), "%s", jstr(o, "id", NULL));
	snprintf(e->cls, sizeof(e->cls), "%s", jstr(o, "class", NULL));
	e->expect_block = strcmp(jstr(o, "expect", NULL), "block") == 0;
	px_request_init(r);
	r->method = strdup(method);
	r->raw_path = strdup(path);
	r->raw_query = strdup(query);
	r->remote_addr = strdup("192.0.2.10");
	if (!r->method || !r->raw_path || !r->raw_query || !r->remote_addr)
		return -1;
	if (px_url_decode(path, strlen(path), 0, &dec) == PX_OK)
		r->path = px_buf_steal(&dec);
	px_buf_free(&dec);
	body = jstr(o, "body", &blen);
	enc = jstr(o, "body_encoding", NULL);
	if (strcmp(enc, "base64") == 0) {
		if (decode_body(body, blen, &r->body, &r->body_len) != 0)
			return -1;
	} else {
		r->body = dup_n(body, blen);
		r->body_len = blen;
		if (!r->body)
			return -1;
	}
	e->raw_body = r->body;
	e->wire_bytes = strlen(method) + strlen(path) + strlen(query) + 12 + r->body_len;
	if (json_object_object_get_ex(o, "headers", &hdrs)) {
		json_object_object_foreach(hdrs, k, v) {
			const char *val = json_object_get_string(v);

			if (add_header(r, k, val) != 0)
				return -1;
			e->wire_bytes += strlen(k) + strlen(val) + 4;
			if (strcasecmp(k, "content-type") == 0 && !r->content_type)
				r->content_type = strdup(val);
		}
	}
	if (r->body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		snprintf(cl, sizeof(cl), "%zu", r->body_len);
		if (add_header(r, "Content-Length", cl) != 0)
			return -1;
		r->content_length = r->body_len;
	}
	if (add_header(r, "Connection", "close") != 0)
		return -1;
	/* What the pipeline's parsers would make of it; failures are normal. */
	(void)px_parse_urlencoded(r->raw_query, strlen(r->raw_query), &r->query);
	(void)px_parse_cookies(px_request_header(r, "cookie"), &r->cookies);
	(void)px_parse_body(r);
	return 0;
}

int px_corpus_load(const char *path, struct px_corpus *c, struct px_buf *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = -1, lineno = 0;

	memset(c, 0, sizeof(*c));
	if (!f) {
		px_buf_printf(err, "%s: cannot open", path);
		return -1;
	}
	while ((got = getline(&line, &cap, f)) > 0) {
		struct json_object *o;
		struct px_corpus_entry *grow;

		lineno++;
		if (got <= 1)
			continue;
		o = json_tokener_parse(line);
		if (!o) {
			px_buf_printf(err, "%s:%d: bad JSON", path, lineno);
			goto out;
		}
		grow = realloc(c->e, (c->n + 1) * sizeof(*grow));
		if (!grow) {
			json_object_put(o);
			goto out;
		}
		c->e = grow;
		memset(&c->e[c->n], 0, sizeof(c->e[c->n]));
		if (build(o, &c->e[c->n]) != 0) {
			px_buf_printf(err, "%s:%d: cannot build request", path, lineno);
			px_request_clear(&c->e[c->n].req);
			json_object_put(o);
			goto out;
		}
		c->n++;
		json_object_put(o);
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	if (rc != 0)
		px_corpus_free(c);
	return rc;
}

void px_corpus_free(struct px_corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		px_request_clear(&c->e[i].req);
	free(c->e);
	memset(c, 0, sizeof(*c));
}
