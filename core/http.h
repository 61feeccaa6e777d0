/* http.h: the project's own request and response structs and their parsers.
 *
 * fcgi/ fills a px_request from libfcgi; handlers, unit tests and fuzzers
 * use only these structs. Every string a request holds is owned by the
 * request and freed by px_request_clear(). */
#ifndef PX_HTTP_H
#define PX_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct json_object;

struct px_kv {
	char *name;
	char *value;
	size_t value_len; /* values may hold any bytes except NUL after decoding */
};

struct px_kvlist {
	struct px_kv *items;
	size_t n, cap;
};

/* Limits applied while parsing, so that hostile input is bounded. */
#define PX_MAX_PARAMS 1000
#define PX_MAX_HEADERS 500 /* the WAF judges floods below this */
#define PX_MAX_HEADER_BYTES (256 * 1024)
#define PX_MAX_JSON_DEPTH 64
#define PX_STREAM_PREFIX (64 * 1024) /* bytes of a streamed body read ahead */

struct px_request {
	char *method;
	char *path;        /* percent-decoded, validated UTF-8 */
	char *raw_path;    /* as received */
	char *raw_query;   /* as received, without '?' */
	char *content_type;
	char *remote_addr;
	int https;
	uint64_t content_length; /* declared; 0 when absent */
	struct px_kvlist headers; /* names lower-case, '-' kept */
	struct px_kvlist query;
	struct px_kvlist cookies;
	struct px_kvlist form;    /* urlencoded body fields */
	char *body;
	size_t body_len;
	struct json_object *json; /* parsed JSON body, or NULL */
	/* Streamed routes (fcgi/router.h PX_ROUTE_STREAM): body holds only the
	 * leading bytes (at most PX_STREAM_PREFIX) that the WAF inspects; the
	 * rest is read by the handler through the response's stream ops. */
	int body_partial;
	char correlation_id[33];
};

/* Connection I/O, provided by the adapter (fcgi/): reading the body and
 * streaming output. */
struct px_stream_ops {
	long (*read)(void *io, void *p, size_t n); /* bytes, 0 at end, -1 */
	int (*write)(void *io, const void *p, size_t n); /* 0 or -1 */
	int (*flush)(void *io);
};

struct px_response {
	int status;
	struct px_buf headers;   /* "Name: value\r\n" lines */
	struct px_buf body;
	int headers_sent;        /* set once streaming started */
	int no_length;           /* the web server supplies the body (X-Sendfile):
				  * no Content-Length is added */
	const struct px_stream_ops *ops;
	void *io;
};

void px_request_init(struct px_request *r) __attribute__((nonnull));
/* Frees everything r holds and leaves it as px_request_init does. */
void px_request_clear(struct px_request *r) __attribute__((nonnull));

/* Frees every name and value and the array; l is empty again. */
void px_kvlist_free(struct px_kvlist *l) __attribute__((nonnull));
/* Appends copies of name and value, owned by l until px_kvlist_free;
 * returns 0 or -1 on memory/limit. */
int px_kvlist_add(struct px_kvlist *l, const char *name, size_t nlen,
		  const char *value, size_t vlen) __attribute__((nonnull(1, 2, 4)));
/* First value for name (case-sensitive), or NULL; owned by l. */
const char *px_kvlist_get(const struct px_kvlist *l, const char *name)
	__attribute__((nonnull));

/* Lookups in the request's lists, NULL when absent; the value is owned by
 * the request. Headers are lower-cased: px_request_header(r, "user-agent"). */
const char *px_request_header(const struct px_request *r, const char *name)
	__attribute__((nonnull));
const char *px_request_query(const struct px_request *r, const char *name)
	__attribute__((nonnull));
const char *px_request_cookie(const struct px_request *r, const char *name)
	__attribute__((nonnull));
/* Query parameter name as a decimal integer in [min, max]
 * (px_http_parse_int): 1 with *out set; 0 when absent, *out untouched; -1
 * when it is not one. */
int px_request_query_int(const struct px_request *r, const char *name,
			 long long min, long long max, long long *out)
	__attribute__((nonnull, warn_unused_result));
/* The one parser of decimal numbers in text a client sent (query values,
 * references in bodies): s is an optional '-' and digits, nothing else,
 * within [min, max] (leading zeros allowed). 0 with *out set, or -1 with
 * *out untouched. Path parameters have their own stricter rule
 * (core/path.h px_path_dec). */
int px_http_parse_int(const char *s, long long min, long long max, long long *out)
	__attribute__((nonnull, warn_unused_result));
/* 1 for GET, HEAD and OPTIONS: methods that must not change anything. */
int px_http_method_safe(const char *method) __attribute__((nonnull));

/* Decodes %XX and (when plus_space) '+' in s[0..n) into out
 * (px_codec_pct_decode), then holds the result to the HTTP layer's rule:
 * UTF-8 without NUL. Returns PX_OK, VALIDATION_INVALID_ENCODING for a bad
 * escape, invalid UTF-8 or a NUL (raw or encoded), SYSTEM_INTERNAL when
 * out ran out of memory. */
enum px_err px_url_decode(const char *s, size_t n, int plus_space,
			  struct px_buf *out) __attribute__((nonnull(4)));
/* Parses an application/x-www-form-urlencoded string (query or body).
 * Returns PX_OK, VALIDATION_MALFORMED_QUERY (too many or empty-named
 * pairs) or VALIDATION_INVALID_ENCODING. */
enum px_err px_parse_urlencoded(const char *s, size_t n, struct px_kvlist *out)
	__attribute__((nonnull(3)));
/* Parses a Cookie header ("a=b; c=d"; s NULL: no header). Malformed pairs
 * are skipped, as browsers do; returns PX_OK or VALIDATION_MALFORMED_QUERY
 * when there are too many. */
enum px_err px_parse_cookies(const char *s, struct px_kvlist *out)
	__attribute__((nonnull(2)));
/* Parses r->body as JSON into r->json (depth-limited, UTF-8 checked; put
 * by px_request_clear). Returns PX_OK or VALIDATION_INVALID_JSON. */
enum px_err px_parse_json_body(struct px_request *r) __attribute__((nonnull));
/* Fills form or json from the body by content type, read with
 * px_mediatype_parse (as the WAF reads it): application/json or
 * application/x-www-form-urlencoded, any parameters. A body of another
 * or a malformed type is left raw. VALIDATION_CONTENT_TYPE when the body
 * does not match its declared type. */
enum px_err px_parse_body(struct px_request *r) __attribute__((nonnull));

void px_response_init(struct px_response *w) __attribute__((nonnull));
/* Frees the headers and body; w is as px_response_init left it. */
void px_response_clear(struct px_response *w) __attribute__((nonnull));
/* Adds a header line; name and value must not hold CR or LF (refused). */
int px_response_header(struct px_response *w, const char *name,
		       const char *value) __attribute__((nonnull));
/* Sets status, Content-Type application/json and the body (a copy). */
void px_response_json(struct px_response *w, int status, const char *json,
		      size_t n) __attribute__((nonnull(1)));
/* The same, taking json's bytes instead of copying them: json is left
 * holding the old body, to be freed by its owner as before. */
void px_response_json_buf(struct px_response *w, int status, struct px_buf *json)
	__attribute__((nonnull));
/* Writes the error payload {error_code, http_status, message, details,
 * correlation_id}. details is a JSON text or NULL; correlation_id may be
 * NULL. */
void px_response_error(struct px_response *w, enum px_err e,
		       const char *details_json, const char *correlation_id)
	__attribute__((nonnull(1)));
/* Appends the CGI response head (Status line, headers, blank line). 0 or -1. */
int px_response_head(const struct px_response *w, struct px_buf *out)
	__attribute__((nonnull));
/* Starts a streamed response: writes status and headers (flushed with the
 * first px_response_stream_write). 0 or -1. */
int px_response_stream_begin(struct px_response *w) __attribute__((nonnull));
int px_response_stream_write(struct px_response *w, const void *p, size_t n)
	__attribute__((nonnull(1)));

#endif
