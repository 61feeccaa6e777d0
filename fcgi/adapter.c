/* adapter.c: libfcgi <-> px_request/px_response. */
#include "fcgi/adapter.h"
#include "fcgi/records.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBFCGI_BUFFER 8192  /* the size of an FCGX stream's buffer */

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* Adds HTTP_FOO_BAR=v as header "foo-bar". */
static int add_header(struct px_request *req, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[128];
	size_t i, n;

	if (!eq)
		return 0;
	n = (size_t)(eq - kv) - 5;
	if (n == 0 || n >= sizeof(name))
		return 0;
	for (i = 0; i < n; i++) {
		char c = kv[5 + i];
		name[i] = c == '_' ? '-' : (char)tolower((unsigned char)c);
	}
	return px_kvlist_add(&req->headers, name, n, eq + 1, strlen(eq + 1));
}

/* A body refused by the web server itself before it was read (Apache's
 * ErrorDocument 413, lighttpd's server.error-handler) reaches PlexiChat
 * as an internal redirect with REDIRECT_STATUS 413: it is answered with
 * that error in the central format, never routed as the original. Other
 * statuses are routed as usual (lighttpd's error handler for static
 * misses passes them on for the WAF to judge), and a client cannot set
 * the variable (its headers arrive as HTTP_*). */
static enum px_err redirected_error(const char *status)
{
	return status && strcmp(status, "413") == 0 ? PX_E_VALIDATION_PAYLOAD_TOO_LARGE : PX_OK;
}

enum px_err px_adapter_build(char **envp, struct px_request *req)
{
	const char *uri = env_get(envp, "REQUEST_URI");
	const char *qs = env_get(envp, "QUERY_STRING");
	const char *cl = env_get(envp, "CONTENT_LENGTH");
	const char *https = env_get(envp, "HTTPS");
	size_t header_bytes = 0, pathlen;
	enum px_err e = PX_OK;
	char **p;

	req->method = dup_or_empty(env_get(envp, "REQUEST_METHOD"));
	if (!uri)
		uri = env_get(envp, "SCRIPT_NAME");
	uri = uri ? uri : "/";
	pathlen = strcspn(uri, "?");
	req->raw_path = strndup(uri, pathlen);
	/* after an internal redirect (lighttpd's server.error-handler)
	 * QUERY_STRING is the handler's; REQUEST_URI still has the client's */
	if (env_get(envp, "REDIRECT_STATUS") && uri[pathlen])
		qs = NULL;
	req->raw_query = dup_or_empty(qs ? qs : (uri[pathlen] ? uri + pathlen + 1 : ""));
	req->content_type = dup_or_empty(env_get(envp, "CONTENT_TYPE"));
	req->remote_addr = dup_or_empty(env_get(envp, "REMOTE_ADDR"));
	req->https = https && (strcmp(https, "on") == 0 || strcmp(https, "1") == 0);
	if (!req->method || !req->raw_path || !req->raw_query ||
	    !req->content_type || !req->remote_addr)
		return PX_E_SYSTEM_INTERNAL;
	if (cl && *cl) {
		char *end;

		errno = 0;
		req->content_length = strtoull(cl, &end, 10);
		if (errno || *end || cl[0] == '-')
			e = PX_E_VALIDATION_FAILED;
	}
	for (p = envp; *p; p++) {
		if (strncmp(*p, "HTTP_", 5) != 0)
			continue;
		header_bytes += strlen(*p);
		if (req->headers.n >= PX_MAX_HEADERS ||
		    header_bytes > PX_MAX_HEADER_BYTES) {
			e = PX_E_VALIDATION_HEADERS_TOO_LARGE;
			break;
		}
		if (add_header(req, *p) != 0)
			return PX_E_SYSTEM_INTERNAL;
	}
	return e != PX_OK ? e : redirected_error(env_get(envp, "REDIRECT_STATUS"));
}

static long fcgx_read(void *io, void *p, size_t n)
{
	FCGX_Request *r = io;
	int got = FCGX_GetStr(p, (int)n, r->in);

	return got < 0 ? -1 : got;
}

static int fcgx_write(void *io, const void *p, size_t n)
{
	FCGX_Request *r = io;

	return FCGX_PutStr(p, (int)n, r->out) == (int)n ? 0 : -1;
}

static int fcgx_flush(void *io)
{
	FCGX_Request *r = io;

	return FCGX_FFlush(r->out) == 0 ? 0 : -1;
}

const struct px_stream_ops px_adapter_fcgx_ops = { fcgx_read, fcgx_write, fcgx_flush };

static long stdio_read(void *io, void *p, size_t n)
{
	ssize_t got;

	do
		got = read(STDIN_FILENO, p, n);
	while (got < 0 && errno == EINTR);
	return got;
}

static int stdio_write(void *io, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(STDOUT_FILENO, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int stdio_flush(void *io)
{
	return 0;
}

const struct px_stream_ops px_adapter_stdio_ops = { stdio_read, stdio_write, stdio_flush };

/* Whether r's input has been read to its end; reads at most one more
 * byte, enough to meet the end marker of a bodiless request. */
static int input_consumed(FCGX_Request *r)
{
	char c;

	return FCGX_HasSeenEOF(r->in) ||
	       (FCGX_GetStr(&c, 1, r->in) == 0 && FCGX_HasSeenEOF(r->in));
}

/* libfcgi sends an answer in 8 KB records, one write (and one wake-up of
 * the web server) each; a larger answer to a request whose input is all
 * read goes out in one write instead, end records included, and the
 * connection is then closed at once. 1 when sent, 0 when not eligible,
 * -1 when the web server went away. */
static int finish_whole(struct px_response *resp, size_t body_len)
{
	struct px_buf head = PX_BUF_INIT;
	FCGX_Request *r = resp->io;
	int rc = 0;

	if (resp->ops != &px_adapter_fcgx_ops || r->keepConnection ||
	    body_len < LIBFCGI_BUFFER || r->ipcFd < 0 || !input_consumed(r))
		return 0;
	if (px_response_head(resp, &head) == 0) {
		rc = px_records_answer(r->ipcFd, r->requestId, head.data, head.len,
				       resp->body.data, body_len) == 0 ? 1 : -1;
		px_records_take_over(r);
		resp->headers_sent = 1;
	}
	px_buf_free(&head);
	return rc;
}

int px_adapter_finish(struct px_response *resp, int head_only)
{
	char len[24];
	int whole;

	if (resp->headers_sent)
		return resp->ops->flush(resp->io);
	/* a known length spares the web server chunked encoding */
	snprintf(len, sizeof(len), "%zu", resp->body.len);
	if (!resp->no_length && px_response_header(resp, "Content-Length", len) != 0)
		return -1;
	whole = finish_whole(resp, head_only ? 0 : resp->body.len);
	if (whole != 0)
		return whole > 0 ? 0 : -1;
	if (px_response_stream_begin(resp) != 0)
		return -1;
	if (!head_only && resp->body.len &&
	    resp->ops->write(resp->io, resp->body.data, resp->body.len) != 0)
		return -1;
	/* no flush: FCGX_Finish_r sends what is buffered together with the
	 * end-of-request records, one write for most answers; a separate
	 * flush let the web server, which had the whole Content-Length,
	 * close the connection before those records (EPIPE per request) */
	return 0;
}

void px_adapter_end(FCGX_Request *r)
{
	/* libfcgi closes with shutdown() and then waits in poll() until the
	 * web server hangs up, so that input still on its way (a refused
	 * upload) is drained rather than reset. With all input read there is
	 * nothing to drain, and the wait only held the worker (a sixth of its
	 * time under load): a detached request is closed at once. */
	if (!r->detached && !r->keepConnection && input_consumed(r))
		r->detached = 1;
	FCGX_Finish_r(r);
}
