/* px_st_s3.c: S3 objects over one curl multi handle. Every operation is a
 * struct xfer queued on `pending`; drive() starts transfers while slots
 * are free, collects finished ones, and re-queues retryable failures with
 * a not-before time. Synchronous calls drive until their xfer is done;
 * put_async drives only until the queue has room. The internals are
 * shared with px_st_s3_file.c (streamed and multipart puts from a file,
 * HEAD, presigned URLs) through px_st_s3_int.h. */
#include "storage/px_st_s3.h"
#include "storage/px_st_s3_int.h"
#include "core/crypto.h"
#include "storage/px_st_sigv4.h"
#include "core/codec.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_GET (256u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned long px_st_s3_retries(const struct px_st_store *s)
{
	return ((const struct s3 *)s)->retries;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t want = size * n, left = x->body.len - x->sent;

	if (want > left)
		want = left;
	memcpy(buf, x->body.data + x->sent, want);
	x->sent += want;
	return want;
}

/* The body from the file: bytes [off + sent, off + len) of fd. */
static size_t on_read_fd(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t want = size * n;
	uint64_t left = x->len - x->sent;
	ssize_t r;

	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	do
		r = pread(x->fd, buf, want, (off_t)(x->off + x->sent));
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT; /* a short file: retried, then failed */
	x->sent += (size_t)r;
	return (size_t)r;
}

/* Keeps the answer's ETag (multipart parts are completed by their ETags). */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (len > 5 && strncasecmp(p, "etag:", 5) == 0) {
		size_t v;

		for (v = 5; v < len && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		while (len > v && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		snprintf(x->etag, sizeof(x->etag), "%.*s", (int)(len - v), p + v);
	}
	return size * n;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	if (x->resp->len + size * n > MAX_GET)
		return 0;
	px_buf_append(x->resp, p, size * n);
	return x->resp->failed ? 0 : size * n;
}

char *px_st_s3i_url(const struct s3 *s, const char *scheme_host, const char *name,
		    const char *query)
{
	struct px_buf u = PX_BUF_INIT, key = PX_BUF_INIT;
	const char *host = strstr(scheme_host, "://") + 3;
	char *res;

	if (s->path_style)
		px_buf_printf(&u, "%s/%s", scheme_host, s->bucket);
	else
		px_buf_printf(&u, "%.*s%s.%s", (int)(host - scheme_host),
			      scheme_host, s->bucket, host);
	if (name) {
		px_buf_printf(&key, "%s%s", s->prefix, name);
		px_buf_putc(&u, '/');
		px_codec_pct_encode(&u, key.data, key.len, PX_CODEC_PCT_SLASH);
	} else if (!s->path_style) {
		px_buf_putc(&u, '/');
	}
	if (query && *query)
		px_buf_printf(&u, "?%s", query);
	if (key.failed)
		u.failed = 1;
	px_buf_free(&key);
	res = px_buf_steal(&u);
	return res;
}

void px_st_s3i_xfer_free(struct xfer *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	curl_slist_free_all(x->hdrs);
	free(x->url);
	px_buf_free(&x->body);
	px_buf_free(&x->own_resp);
	free(x);
}

/* Prepares the easy handle for (another) attempt. */
static int xfer_setup(struct s3 *s, struct xfer *x)
{
	char hdr[100];

	if (!x->h && !(x->h = curl_easy_init()))
		return -1;
	curl_easy_reset(x->h);
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	if (x->resp)
		px_buf_reset(x->resp);
	snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", x->hash);
	x->hdrs = curl_slist_append(x->hdrs, hdr);
	if (!x->hdrs)
		return -1;
	x->sent = 0;
	x->etag[0] = '\0';
	x->length = -1;
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(x->h, CURLOPT_USERPWD, s->userpwd);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
	switch (x->op) {
	case OP_PUT:
		curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, x->fd >= 0 ? on_read_fd : on_read);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(x->fd >= 0 ? x->len : x->body.len));
		break;
	case OP_POST:
		curl_easy_setopt(x->h, CURLOPT_POST, 1L);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body.len);
		break;
	case OP_DEL:
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case OP_HEAD:
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
		break;
	case OP_GET:
		if (x->range[0])
			curl_easy_setopt(x->h, CURLOPT_RANGE, x->range);
		break;
	case OP_LIST:
		break;
	}
	/* without a sink curl would print error bodies on stdout */
	if (!x->resp)
		x->resp = &x->own_resp;
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	return 0;
}

static int retryable(CURLcode cc, long status)
{
	if (cc != CURLE_OK)
		return cc != CURLE_WRITE_ERROR && cc != CURLE_URL_MALFORMAT &&
		       cc != CURLE_UNSUPPORTED_PROTOCOL;
	return status == 408 || status == 429 || status >= 500;
}

static enum px_err status_code(CURLcode cc, long status, enum px_st_s3_op op)
{
	if (cc != CURLE_OK)
		return PX_E_STORAGE_FAILED;
	if (status >= 200 && status < 300)
		return PX_OK;
	if (status == 404)
		return op == OP_DEL ? PX_OK : PX_E_STORAGE_SHARD_MISSING;
	if (status == 401 || status == 403)
		return PX_E_STORAGE_CREDENTIALS;
	if (status == 507)
		return PX_E_STORAGE_FULL;
	return PX_E_STORAGE_FAILED;
}

void px_st_s3i_push(struct s3 *s, struct xfer *x)
{
	struct xfer **pp = &s->pending;

	while (*pp)
		pp = &(*pp)->next;
	x->next = NULL;
	*pp = x;
}

static void unlink_from(struct xfer **list, struct xfer *x)
{
	for (; *list; list = &(*list)->next)
		if (*list == x) {
			*list = x->next;
			return;
		}
}

static const char *op_name(enum px_st_s3_op op)
{
	static const char *const names[] = { "PUT", "GET", "GET", "DELETE", "HEAD", "POST" };

	return names[op];
}

/* x ended with result: its owner learns it through x->done; an async
 * xfer has no owner waiting, so its result goes to async_err and it is
 * freed here. x must be on no list. */
static void complete(struct s3 *s, struct xfer *x, enum px_err result)
{
	x->result = result;
	x->done = 1;
	if (x->async) {
		if (result != PX_OK && s->async_err == PX_OK)
			s->async_err = result;
		px_st_s3i_xfer_free(x);
	}
}

static void finish(struct s3 *s, struct xfer *x, CURLcode cc)
{
	enum px_err result;
	long status = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->op == OP_HEAD) {
		curl_off_t cl = -1;

		curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		x->length = (long long)cl;
	}
	curl_multi_remove_handle(s->multi, x->h);
	unlink_from(&s->active, x);
	s->running--;
	if (retryable(cc, status) && x->attempts < PX_ST_S3_ATTEMPTS) {
		/* full jitter: uniform in [0, min(8 s, 0.1 s * 2^attempts)) */
		double cap = 0.1 * (double)(1u << x->attempts);
		unsigned r = 0;

		if (cap > 8)
			cap = 8;
		if (px_crypto_random(&r, sizeof(r)) != 0)
			r = 0;
		x->not_before = now_s() + cap * (r / 4294967296.0);
		s->retries++;
		px_st_s3i_push(s, x);
		return;
	}
	result = status_code(cc, status, x->op);
	if (result != PX_OK) {
		px_buf_reset(&s->base.errmsg);
		px_buf_printf(&s->base.errmsg, "%s %s: %s (HTTP %ld, %d attempts)",
			      op_name(x->op), x->name, cc != CURLE_OK ?
			      (x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc)) :
			      "rejected", status, x->attempts);
	}
	complete(s, x, result);
}

/* Starts due transfers, runs curl once, collects finished ones. */
enum px_err px_st_s3i_step(struct s3 *s)
{
	double now = now_s(), next = now + 1;
	struct xfer *x, *nx;
	CURLMsg *m;
	int left, timeout_ms;

	for (x = s->pending; x && s->running < s->max_parallel; x = nx) {
		nx = x->next;
		if (x->not_before > now) {
			if (x->not_before < next)
				next = x->not_before;
			continue;
		}
		unlink_from(&s->pending, x);
		x->attempts++;
		if (xfer_setup(s, x) != 0 ||
		    curl_multi_add_handle(s->multi, x->h) != CURLM_OK) {
			/* on no list now: it ends here, or nothing would free it */
			px_buf_reset(&s->base.errmsg);
			px_buf_printf(&s->base.errmsg, "%s %s: cannot set up the transfer",
				      op_name(x->op), x->name);
			complete(s, x, PX_E_STORAGE_FAILED);
			continue;
		}
		x->next = s->active;
		s->active = x;
		s->running++;
	}
	if (curl_multi_perform(s->multi, &left) != CURLM_OK)
		return PX_E_STORAGE_FAILED;
	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(s, x, m->data.result);
	}
	timeout_ms = (int)((next - now_s()) * 1000);
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (timeout_ms > 1000)
		timeout_ms = 1000;
	if (s->running || s->pending)
		curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
	return PX_OK;
}

struct xfer *px_st_s3i_xfer_new(struct s3 *s, enum px_st_s3_op op, const char *name,
			     const char *query)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->op = op;
	snprintf(x->name, sizeof(x->name), "%s", name ? name : "(list)");
	x->url = px_st_s3i_url(s, s->scheme_host, name, query);
	memcpy(x->hash, PX_ST_S3_EMPTY_SHA256, 65);
	x->fd = -1;
	x->length = -1;
	if (!x->url) {
		free(x);
		return NULL;
	}
	return x;
}

/* Takes x off whichever list holds it (none once done) and frees it. A
 * transfer whose caller gives up must not run later: its response sink
 * may be the caller's memory. */
void px_st_s3i_drop(struct s3 *s, struct xfer *x)
{
	struct xfer *p;

	for (p = s->active; p && p != x; p = p->next)
		;
	if (p) {
		curl_multi_remove_handle(s->multi, x->h);
		unlink_from(&s->active, x);
		s->running--;
	} else {
		unlink_from(&s->pending, x);
	}
	px_st_s3i_xfer_free(x);
}

/* Runs x to completion; returns its result and frees it. */
enum px_err px_st_s3i_run(struct s3 *s, struct xfer *x)
{
	enum px_err rc = PX_OK;

	px_st_s3i_push(s, x);
	while (!x->done && rc == PX_OK)
		rc = px_st_s3i_step(s);
	if (rc == PX_OK)
		rc = x->result;
	px_st_s3i_drop(s, x);
	return rc;
}

void px_st_s3i_hash_body(struct xfer *x)
{
	unsigned char h[32];

	px_crypto_sha256(x->body.data ? x->body.data : "", x->body.len, h);
	px_codec_hex_str(x->hash, h, 32);
}

static enum px_err s3_put(struct px_st_store *st, const char *name,
			  const void *p, size_t n)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x = px_st_s3i_xfer_new(s, OP_PUT, name, NULL);

	if (!x)
		return PX_E_STORAGE_FAILED;
	px_buf_append(&x->body, p, n);
	if (x->body.failed) {
		px_st_s3i_xfer_free(x);
		return PX_E_STORAGE_FAILED;
	}
	px_st_s3i_hash_body(x);
	return px_st_s3i_run(s, x);
}

static enum px_err s3_put_async(struct px_st_store *st, const char *name,
				struct px_buf *data)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x = px_st_s3i_xfer_new(s, OP_PUT, name, NULL), *p;
	int queued;

	if (!x) {
		px_buf_free(data);
		return PX_E_STORAGE_FAILED;
	}
	x->body = *data;
	px_buf_init(data);
	x->async = 1;
	px_st_s3i_hash_body(x);
	px_st_s3i_push(s, x);
	/* bound memory: at most 2 x concurrency bodies held */
	for (;;) {
		enum px_err rc;

		for (queued = s->running, p = s->pending; p; p = p->next)
			queued++;
		if (queued < 2 * s->max_parallel)
			break;
		rc = px_st_s3i_step(s);
		if (rc != PX_OK)
			return rc;
	}
	return s->async_err;
}

static enum px_err s3_flush(struct px_st_store *st)
{
	struct s3 *s = (struct s3 *)st;
	enum px_err rc;

	while (s->running || s->pending) {
		rc = px_st_s3i_step(s);
		if (rc != PX_OK)
			return rc;
	}
	rc = s->async_err;
	s->async_err = PX_OK;
	return rc;
}

static enum px_err s3_get(struct px_st_store *st, const char *name,
			  struct px_buf *out)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x = px_st_s3i_xfer_new(s, OP_GET, name, NULL);

	px_buf_reset(out);
	if (!x)
		return PX_E_STORAGE_FAILED;
	x->resp = out;
	return px_st_s3i_run(s, x);
}

/* A started GET stays on the pending/active lists until get_end collects
 * it; px_st_s3i_step() runs it along with everything else. */
static enum px_err s3_get_begin(struct px_st_store *st, const char *name,
				void **h)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x = px_st_s3i_xfer_new(s, OP_GET, name, NULL);

	*h = x;
	if (!x)
		return PX_E_STORAGE_FAILED;
	x->resp = &x->own_resp;
	px_st_s3i_push(s, x);
	return PX_OK;
}

static enum px_err s3_get_end(struct px_st_store *st, void *h, struct px_buf *out)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x = h;
	enum px_err rc = PX_OK;

	while (!x->done && rc == PX_OK)
		rc = px_st_s3i_step(s);
	if (rc == PX_OK)
		rc = x->result;
	px_buf_free(out);
	if (rc == PX_OK) {
		/* hand over the body without copying it */
		*out = x->own_resp;
		px_buf_init(&x->own_resp);
	}
	px_st_s3i_drop(s, x);
	return rc;
}

static enum px_err s3_del(struct px_st_store *st, const char *name)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x = px_st_s3i_xfer_new(s, OP_DEL, name, NULL);

	return x ? px_st_s3i_run(s, x) : PX_E_STORAGE_FAILED;
}

static const char *node_text(xmlNode *n)
{
	return n->children && n->children->content ?
	       (const char *)n->children->content : "";
}

static int is_element(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* One <Contents> entry: calls fn with its name below the store's prefix
 * and its size. Returns 1 when fn asked to stop, 0, or -1 when the entry
 * has no Key or no numeric Size. */
static int list_entry(struct s3 *s, xmlNode *n, px_st_list_fn fn, void *arg)
{
	const char *key = NULL, *size = NULL;
	size_t plen = strlen(s->prefix);
	unsigned long long v;
	char *end;
	xmlNode *c;

	for (c = n->children; c; c = c->next)
		if (is_element(c, "Key"))
			key = node_text(c);
		else if (is_element(c, "Size"))
			size = node_text(c);
	if (!key || !size || *size < '0' || *size > '9')
		return -1;
	errno = 0;
	v = strtoull(size, &end, 10);
	if (*end || errno)
		return -1;
	if (strlen(key) <= plen || strncmp(key, s->prefix, plen))
		return 0;
	return fn(arg, key + plen, (size_t)v) ? 1 : 0;
}

/* Where a ListObjectsV2 page says the listing goes on: *token is the
 * continuation token (malloc'd) when it is truncated, else NULL. Returns
 * NULL, or why the page cannot be trusted to be whole: a listing must
 * never end early without saying so. */
static const char *list_next(xmlNode *root, char **token)
{
	const char *truncated = NULL, *next = NULL;
	xmlNode *n;

	*token = NULL;
	for (n = root->children; n; n = n->next)
		if (is_element(n, "IsTruncated"))
			truncated = node_text(n);
		else if (is_element(n, "NextContinuationToken"))
			next = node_text(n);
	if (!truncated || (strcmp(truncated, "true") && strcmp(truncated, "false")))
		return "ListObjectsV2 answer without IsTruncated";
	if (!strcmp(truncated, "false"))
		return NULL;
	if (!next || !*next)
		return "truncated ListObjectsV2 answer without a continuation token";
	*token = strdup(next);
	return *token ? NULL : "out of memory";
}

/* Parses one ListObjectsV2 page and calls fn for its objects; sets *token
 * to the continuation token (malloc'd) or NULL. Returns 1 when fn asked
 * to stop (*token is then NULL), 0, or -1 with the reason in the store's
 * errmsg: the page is unparsable, incomplete, or truncated without a
 * token. */
static int parse_list(struct s3 *s, const struct px_buf *xml, px_st_list_fn fn,
		      void *arg, char **token)
{
	xmlDoc *doc = xmlReadMemory(xml->data, (int)xml->len, "list.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOBLANKS |
				    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	const char *why = "unparsable ListObjectsV2 answer";
	xmlNode *root, *n;
	int rc = 0;

	*token = NULL;
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || strcmp((const char *)root->name, "ListBucketResult")) {
		rc = -1;
		goto out;
	}
	/* the whole page is checked before fn sees any of it */
	why = list_next(root, token);
	if (why) {
		rc = -1;
		goto out;
	}
	for (n = root->children; n && rc == 0; n = n->next)
		if (is_element(n, "Contents"))
			rc = list_entry(s, n, fn, arg);
	if (rc < 0)
		why = "ListObjectsV2 entry without a Key or a numeric Size";
out:
	if (rc != 0) {
		free(*token);
		*token = NULL;
	}
	if (rc < 0) {
		px_buf_reset(&s->base.errmsg);
		px_buf_puts(&s->base.errmsg, why);
	}
	xmlFreeDoc(doc);
	return rc;
}

static enum px_err list_fail(struct s3 *s, const char *why)
{
	px_buf_reset(&s->base.errmsg);
	px_buf_puts(&s->base.errmsg, why);
	return PX_E_STORAGE_FAILED;
}

/* Lists page after page until a page says it is the last. Anything else
 * (a failed request, a page that cannot be trusted, a token that repeats,
 * no memory) fails the whole listing: callers delete by what it returns. */
static enum px_err s3_list(struct px_st_store *st, const char *prefix,
			   px_st_list_fn fn, void *arg)
{
	struct s3 *s = (struct s3 *)st;
	struct px_buf full = PX_BUF_INIT, q = PX_BUF_INIT, resp = PX_BUF_INIT;
	char *token = NULL, *next = NULL;
	enum px_err rc = PX_OK;

	px_buf_printf(&full, "%s%s", s->prefix, prefix);
	if (full.failed)
		rc = list_fail(s, "out of memory");
	while (rc == PX_OK) {
		struct px_st_kv kv[3] = {
			{ "list-type", "2" }, { "prefix", full.data },
			{ "continuation-token", token },
		};
		struct xfer *x;

		px_buf_reset(&q);
		px_st_canonical_query(&q, kv, token ? 3 : 2);
		x = q.failed ? NULL : px_st_s3i_xfer_new(s, OP_LIST, NULL, q.data);
		if (!x) {
			rc = list_fail(s, "out of memory");
			break;
		}
		x->resp = &resp;
		rc = px_st_s3i_run(s, x);
		if (rc != PX_OK)
			break;
		if (parse_list(s, &resp, fn, arg, &next) < 0) {
			rc = PX_E_STORAGE_FAILED;
			break;
		}
		if (next && token && !strcmp(next, token)) {
			rc = list_fail(s, "ListObjectsV2 continuation token repeats");
			break;
		}
		free(token);
		token = next;
		next = NULL;
		if (!token)
			break;   /* the last page */
	}
	free(token);
	free(next);
	px_buf_free(&full);
	px_buf_free(&q);
	px_buf_free(&resp);
	return rc;
}

static void s3_free(struct px_st_store *st)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x, *nx;

	for (x = s->active; x; x = nx) {
		nx = x->next;
		curl_multi_remove_handle(s->multi, x->h);
		px_st_s3i_xfer_free(x);
	}
	for (x = s->pending; x; x = nx) {
		nx = x->next;
		px_st_s3i_xfer_free(x);
	}
	if (s->multi)
		curl_multi_cleanup(s->multi);
	free(s->scheme_host);
	free(s->bucket);
	free(s->prefix);
	free(s->sigv4);
	free(s->access_key);
	free(s->region);
	if (s->secret_key)
		px_crypto_wipe(s->secret_key, strlen(s->secret_key));
	free(s->secret_key);
	if (s->userpwd)
		px_crypto_wipe(s->userpwd, strlen(s->userpwd));
	free(s->userpwd);
	free(s);
}

static const struct px_st_store_ops s3_ops = {
	"s3", s3_put, s3_put_async, s3_flush, s3_get, s3_get_begin, s3_get_end,
	s3_list, s3_del, s3_free,
	NULL,   /* puts are atomic: nothing to sweep */
	NULL,   /* objects need no folders */
	NULL,   /* a PUT replaces; no create-only put on S3-compatible stores */
};

int px_st_s3_is(const struct px_st_store *s)
{
	return s && s->ops == &s3_ops;
}

struct px_st_store *px_st_s3_open(const struct px_st_store_opts *o,
				  struct px_buf *err)
{
	struct s3 *s = calloc(1, sizeof(*s));
	struct px_buf b = PX_BUF_INIT;
	/* gs://: Google Cloud Storage through its S3-interoperable XML API
	 * with HMAC keys, signed as S3 is (region "auto") */
	int gcs = !strncmp(o->url, "gs://", 5);
	const char *rest, *slash, *region = o->s3_region && *o->s3_region &&
		!(gcs && !strcmp(o->s3_region, "us-east-1")) ? o->s3_region : gcs ? "auto" : "us-east-1";

	if (!s)
		return NULL;
	s->base.ops = &s3_ops;
	if (strncmp(o->url, "s3://", 5) != 0 && !gcs) {
		px_buf_puts(err, "S3 store URL must be s3://bucket[/prefix] (or gs://bucket[/prefix])");
		goto fail;
	}
	if (!o->s3_access_key || !*o->s3_access_key || !o->s3_secret_key) {
		px_buf_puts(err, "S3 credentials are not set (access key and secret key)");
		goto fail;
	}
	rest = o->url + 5;
	slash = strchr(rest, '/');
	s->bucket = slash ? strndup(rest, (size_t)(slash - rest)) : strdup(rest);
	px_buf_printf(&b, "%s", slash && slash[1] ? slash + 1 : "");
	if (b.len && b.data[b.len - 1] != '/')
		px_buf_putc(&b, '/');
	px_buf_puts(&b, "");
	s->prefix = px_buf_steal(&b);
	if (o->s3_endpoint && *o->s3_endpoint) {
		s->scheme_host = strdup(o->s3_endpoint);
	} else if (gcs) {
		s->scheme_host = strdup("https://storage.googleapis.com");
	} else {
		px_buf_printf(&b, "https://s3.%s.amazonaws.com", region);
		s->scheme_host = px_buf_steal(&b);
	}
	px_buf_printf(&b, "aws:amz:%s:s3", region);
	s->sigv4 = px_buf_steal(&b);
	px_buf_printf(&b, "%s:%s", o->s3_access_key, o->s3_secret_key);
	s->userpwd = px_buf_steal(&b);
	s->access_key = strdup(o->s3_access_key);
	s->secret_key = strdup(o->s3_secret_key);
	s->region = strdup(region);
	if (!s->bucket || !*s->bucket || !s->prefix || !s->scheme_host ||
	    !strstr(s->scheme_host, "://") || !s->sigv4 || !s->userpwd ||
	    !s->access_key || !s->secret_key || !s->region) {
		px_buf_puts(err, "bad S3 URL or endpoint");
		goto fail;
	}
	while (strlen(s->scheme_host) > 8 &&
	       s->scheme_host[strlen(s->scheme_host) - 1] == '/')
		s->scheme_host[strlen(s->scheme_host) - 1] = '\0';
	s->path_style = gcs ? 1 : o->s3_path_style;
	s->max_parallel = o->concurrency > 0 ? o->concurrency : 8;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s->multi = curl_multi_init();
	if (!s->multi)
		goto fail;
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)s->max_parallel);
	return &s->base;
fail:
	px_buf_free(&b);
	s3_free(&s->base);
	return NULL;
}
