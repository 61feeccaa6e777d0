/* ai_http.h: the one HTTP client of the AI providers: a JSON POST over
 * libcurl with the provider's timeouts, retries with exponential backoff
 * and full jitter on 429 and 5xx (a Retry-After the provider sends is
 * honoured up to max_wait_ms), a bound on the response size, and an
 * optional streaming callback that receives the body as it arrives.
 * Headers (which carry the API key) are never logged or copied into
 * results. */
#ifndef PX_AI_HTTP_H
#define PX_AI_HTTP_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <time.h>

/* Gets each piece of a 2xx body as it arrives; returns 0 to go on, non-0
 * to stop the transfer (the call then ends with that callback's error). */
typedef int (*px_ai_chunk_fn)(void *arg, const char *p, size_t n);

struct px_ai_http_opts {
	long timeout_ms;          /* the whole transfer, per attempt */
	long connect_timeout_ms;
	int retries;              /* extra attempts after the first (0..10) */
	long backoff_base_ms;     /* first backoff ceiling; doubles per attempt */
	long max_wait_ms;         /* longest single wait (backoff or Retry-After) */
	size_t max_response;      /* body bytes kept or streamed before giving up */
	px_ai_chunk_fn on_chunk;  /* NULL: the body is collected in result.body */
	void *arg;
};

struct px_ai_http_result {
	int status;               /* last HTTP status, 0 when none came */
	int attempts;             /* attempts made */
	struct px_buf body;       /* the last response body (not when streamed); caller frees */
	long retry_after_ms;      /* last Retry-After, -1 when absent */
	int too_large;            /* the body passed max_response */
};

/* POSTs body (n bytes, application/json) to url with the extra headers
 * (NULL-terminated "Name: value" strings). PX_OK for a 2xx answer; else
 * AI_PROVIDER_TIMEOUT (no answer in time), AI_PROVIDER_RATE_LIMITED (429
 * after the retries), AI_PROVIDER_ERROR (refused connection, 4xx, 5xx
 * after the retries), AI_RESPONSE_TOO_LARGE, or the streaming callback's
 * stop. r is filled in every case; free r->body with px_buf_free. */
enum px_err px_ai_http_post(const char *url, const char *const *headers, const char *body,
			    size_t n, const struct px_ai_http_opts *o,
			    struct px_ai_http_result *r) __attribute__((nonnull(1, 3, 5, 6)));

/* A Retry-After value (delta-seconds or an HTTP-date, RFC 9110 10.2.3)
 * in milliseconds from now; -1 when it is neither. */
long px_ai_retry_after_ms(const char *value, time_t now) __attribute__((nonnull));
/* The wait before retry number attempt (1, 2, ...): a uniform draw from
 * [0, min(max, base * 2^(attempt-1))] made from rnd ("full jitter"). */
long px_ai_backoff_ms(int attempt, long base, long max, unsigned rnd);
/* 1 when status is worth retrying (429, 500, 502, 503, 504), else 0. */
int px_ai_http_retryable(int status);

#endif
