/* waf_fixture.c: the rules and request builder the WAF unit tests share. */
#include "tests/unit/waf_fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct px_waf *wf_waf;

void wf_load(void)
{
	struct px_buf err = PX_BUF_INIT;

	if (px_waf_load(PX_SRCDIR "/etc/waf.rules", &wf_waf, &err) != 0)
		ck_abort_msg("rules: %s", err.data);
	px_buf_free(&err);
}

void wf_unload(void)
{
	px_waf_free(wf_waf);
	wf_waf = NULL;
}

void wf_header(struct px_request *r, const char *name, const char *value)
{
	ck_assert_int_eq(px_kvlist_add(&r->headers, name, strlen(name), value,
				       strlen(value)), 0);
}

void wf_build(struct px_request *r, const char *method, const char *path, const char *query,
	      const char *headers, const char *ctype, const char *body, size_t blen)
{
	const char *p = headers;

	px_request_init(r);
	r->method = strdup(method);
	r->raw_path = strdup(path);
	r->raw_query = strdup(query ? query : "");
	wf_header(r, "host", "chat.example.com");
	wf_header(r, "user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0");
	wf_header(r, "accept", "application/json");
	while (p && *p) {
		const char *nl = strchr(p, '\n'), *colon = strchr(p, ':');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char name[64], value[4096];

		snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
		snprintf(value, sizeof(value), "%.*s", (int)(len - (size_t)(colon - p) - 2), colon + 2);
		wf_header(r, name, value);
		p = nl ? nl + 1 : p + len;
	}
	if (ctype) {
		r->content_type = strdup(ctype);
		wf_header(r, "content-type", ctype);
	}
	if (body) {
		char cl[32];

		r->body = malloc(blen + 1);
		memcpy(r->body, body, blen);
		r->body[blen] = '\0';
		r->body_len = blen;
		r->content_length = blen;
		snprintf(cl, sizeof(cl), "%zu", blen);
		wf_header(r, "content-length", cl);
	}
}
