/* ai_http.c: the providers' HTTP client (ai_http.h). One easy handle per
 * call; retries sleep in this thread, bounded by max_wait_ms per wait. */
#include "ai/ai_http.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct xfer {
	struct px_ai_http_result *r;
	const struct px_ai_http_opts *o;
	size_t got;               /* body bytes of this attempt */
	int streamed;             /* a 2xx chunk went to on_chunk */
	int stopped;              /* on_chunk asked to stop */
	long status;
	CURL *h;
};

long px_ai_retry_after_ms(const char *v, time_t now)
{
	char *end;
	long s;
	time_t t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		s = strtol(v, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || *end || s < 0 || s > 86400 * 365)
			return -1;
		return s * 1000;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t <= now ? 0 : (long)(t - now) * 1000;
}

long px_ai_backoff_ms(int attempt, long base, long max, unsigned rnd)
{
	long ceil = base < 1 ? 1 : base;
	int i;

	for (i = 1; i < attempt && ceil < max; i++)
		ceil *= 2;
	if (ceil > max)
		ceil = max;
	return ceil <= 0 ? 0 : (long)(rnd % (unsigned long)(ceil + 1));
}

int px_ai_http_retryable(int status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	char v[128];

	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		size_t l = n - 12 < sizeof(v) - 1 ? n - 12 : sizeof(v) - 1;

		memcpy(v, p + 12, l);
		v[l] = '\0';
		x->r->retry_after_ms = px_ai_retry_after_ms(v, time(NULL));
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (x->got + n > x->o->max_response) {
		x->r->too_large = 1;
		return 0;
	}
	x->got += n;
	if (!x->status)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->o->on_chunk && x->status >= 200 && x->status < 300) {
		x->streamed = 1;
		if (x->o->on_chunk(x->o->arg, p, n)) {
			x->stopped = 1;
			return 0;
		}
		return n;
	}
	px_buf_append(&x->r->body, p, n);
	return x->r->body.failed ? 0 : n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One attempt; returns the curl code, x->status set. */
static CURLcode attempt(CURL *h, struct xfer *x)
{
	CURLcode c;

	x->got = 0;
	x->status = 0;
	px_buf_reset(&x->r->body);
	x->r->retry_after_ms = -1;
	c = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
	return c;
}

static struct curl_slist *make_headers(const char *const *headers)
{
	struct curl_slist *l = NULL, *t;

	if (!(l = curl_slist_append(NULL, "Content-Type: application/json")))
		return NULL;
	if (!(t = curl_slist_append(l, "Expect:")))
		goto fail;
	for (; headers && *headers; headers++)
		if (!(t = curl_slist_append(l, *headers)))
			goto fail;
	return l;
fail:
	curl_slist_free_all(l);
	return NULL;
}

/* The error of a finished attempt, PX_OK for a 2xx. */
static enum px_err classify(CURLcode c, const struct xfer *x)
{
	if (x->r->too_large)
		return PX_E_AI_RESPONSE_TOO_LARGE;
	if (x->stopped)
		return PX_E_AI_BAD_RESPONSE;
	if (c == CURLE_OPERATION_TIMEDOUT)
		return PX_E_AI_PROVIDER_TIMEOUT;
	if (c != CURLE_OK)
		return PX_E_AI_PROVIDER_ERROR;
	if (x->status == 429)
		return PX_E_AI_PROVIDER_RATE_LIMITED;
	if (x->status < 200 || x->status >= 300)
		return PX_E_AI_PROVIDER_ERROR;
	return PX_OK;
}

enum px_err px_ai_http_post(const char *url, const char *const *headers, const char *body,
			    size_t n, const struct px_ai_http_opts *o, struct px_ai_http_result *r)
{
	struct xfer x = { r, o, 0, 0, 0, 0, NULL };
	struct curl_slist *hl = NULL;
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	CURL *h = NULL;
	CURLcode c;
	int i;

	px_buf_init(&r->body);
	r->status = 0;
	r->attempts = 0;
	r->retry_after_ms = -1;
	r->too_large = 0;
	if (!(h = curl_easy_init()) || !(hl = make_headers(headers)))
		goto out;
	x.h = h;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	for (i = 0; i <= o->retries; i++) {
		long wait;
		unsigned rnd = 0;

		r->attempts = i + 1;
		c = attempt(h, &x);
		r->status = (int)x.status;
		e = classify(c, &x);
		/* only answers that may change are retried, and never once part
		 * of a stream was handed on */
		if (e == PX_OK || x.streamed || i == o->retries ||
		    !(px_ai_http_retryable(r->status) || c == CURLE_COULDNT_CONNECT))
			break;
		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd = (unsigned)time(NULL);
		wait = r->retry_after_ms >= 0 ? r->retry_after_ms
					      : px_ai_backoff_ms(i + 1, o->backoff_base_ms,
								 o->max_wait_ms, rnd);
		if (wait > o->max_wait_ms)
			break;   /* the provider asks for longer than we may wait */
		sleep_ms(wait);
	}
out:
	curl_slist_free_all(hl);
	if (h)
		curl_easy_cleanup(h);
	return e;
}
