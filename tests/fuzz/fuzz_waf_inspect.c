/* fuzz_waf_inspect.c: libFuzzer target for the whole WAF: the input is
 * split on '\n' into method, path, query, content type, one header and
 * the body, and inspected under a profile picked by the first byte. */
#include "core/http.h"
#include "waf/waf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct px_waf *waf;
static const char *const profiles[] = {
	"default", "message", "upload", "fetch_url", "auth", "search", "admin", "integration",
};

static char *field(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl ? nl : end;
	char *s = strndup(*p, (size_t)(e - *p));

	*p = nl ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_request r;
	struct px_waf_verdict v;
	const char *p = (const char *)data, *end = p + size;
	char *hv;

	if (!waf) {
		struct px_buf err = PX_BUF_INIT;

		if (px_waf_load(WAF_RULES, &waf, &err) != 0)
			abort();
		px_buf_free(&err);
	}
	if (size == 0)
		return 0;
	px_request_init(&r);
	p++;
	r.method = field(&p, end);
	r.raw_path = field(&p, end);
	r.raw_query = field(&p, end);
	r.content_type = field(&p, end);
	hv = field(&p, end);
	if (r.content_type)
		px_kvlist_add(&r.headers, "content-type", 12, r.content_type, strlen(r.content_type));
	if (hv) {
		px_kvlist_add(&r.headers, "cookie", 6, hv, strlen(hv));
		px_kvlist_add(&r.headers, "user-agent", 10, hv, strlen(hv));
		free(hv);
	}
	r.body_len = (size_t)(end - p);
	r.body = malloc(r.body_len + 1);
	if (r.body) {
		memcpy(r.body, p, r.body_len);
		r.body[r.body_len] = '\0';
		r.content_length = r.body_len;
	}
	(void)px_waf_inspect(waf, &r, profiles[data[0] % 8], &v);
	px_request_clear(&r);
	return 0;
}
