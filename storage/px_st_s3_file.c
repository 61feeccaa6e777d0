/* px_st_s3_file.c: what the file store needs from S3 beyond the store
 * interface: a put streamed from a file (one PUT, or a multipart upload
 * whose parts are read from the file as they are sent), HEAD, and
 * presigned GET URLs. Invariant: no function here holds more of a file in
 * memory than curl's own buffers, and a multipart upload that fails is
 * aborted. */
#include "storage/px_st_s3.h"
#include "core/codec.h"
#include "storage/px_st_s3_int.h"
#include "storage/px_st_sigv4.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNSIGNED "UNSIGNED-PAYLOAD"

/* Runs x to completion, keeping it: the caller reads it, then drops it. */
static enum px_err run_keep(struct s3 *s, struct xfer *x)
{
	enum px_err rc = PX_OK;

	px_st_s3i_push(s, x);
	while (!x->done && rc == PX_OK)
		rc = px_st_s3i_step(s);
	return rc == PX_OK ? x->result : rc;
}

static enum px_err put_single(struct s3 *s, const char *name, int fd, uint64_t size,
			      const char *hash)
{
	struct xfer *x = px_st_s3i_xfer_new(s, OP_PUT, name, NULL);

	if (!x)
		return PX_E_STORAGE_FAILED;
	x->fd = fd;
	x->off = 0;
	x->len = size;
	snprintf(x->hash, sizeof(x->hash), "%s", hash ? hash : UNSIGNED);
	return px_st_s3i_run(s, x);
}

/* The text of root's child element name in an XML answer, into out;
 * -1 when the answer has no such element or is not XML. */
static int xml_child(const struct px_buf *xml, const char *root, const char *name,
		     char *out, size_t cap)
{
	xmlDoc *doc = xml->len ? xmlReadMemory(xml->data, (int)xml->len, "s3.xml", NULL,
					       XML_PARSE_NONET | XML_PARSE_NOERROR |
					       XML_PARSE_NOWARNING) : NULL;
	xmlNode *r = doc ? xmlDocGetRootElement(doc) : NULL, *n;
	int rc = -1;

	if (r && !strcmp((const char *)r->name, root))
		for (n = r->children; n; n = n->next)
			if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) &&
			    n->children && n->children->content) {
				snprintf(out, cap, "%s", (const char *)n->children->content);
				rc = out[0] ? 0 : -1;
				break;
			}
	xmlFreeDoc(doc);
	return rc;
}

static void fail_msg(struct s3 *s, const char *name, const char *why)
{
	px_buf_reset(&s->base.errmsg);
	px_buf_printf(&s->base.errmsg, "multipart upload of %s: %s", name, why);
}

/* A transfer of object name with the n query parameters q (made
 * canonical); NULL when out of memory. */
static struct xfer *with_query(struct s3 *s, enum px_st_s3_op op, const char *name,
			       const struct px_st_kv *q, size_t n)
{
	struct px_buf query = PX_BUF_INIT;
	struct xfer *x;

	px_st_canonical_query(&query, q, n);
	x = query.failed ? NULL : px_st_s3i_xfer_new(s, op, name, query.data);
	px_buf_free(&query);
	return x;
}

/* POST ?uploads=: the new upload's id into id. */
static enum px_err mp_start(struct s3 *s, const char *name, char *id, size_t cap)
{
	static const struct px_st_kv q[] = { { "uploads", NULL } };
	struct px_buf resp = PX_BUF_INIT;
	struct xfer *x = with_query(s, OP_POST, name, q, 1);
	enum px_err rc = PX_E_STORAGE_FAILED;

	if (x) {
		x->resp = &resp;
		rc = px_st_s3i_run(s, x);
		if (rc == PX_OK &&
		    xml_child(&resp, "InitiateMultipartUploadResult", "UploadId", id, cap) != 0) {
			fail_msg(s, name, "no UploadId in the answer to CreateMultipartUpload");
			rc = PX_E_STORAGE_FAILED;
		}
	}
	px_buf_free(&resp);
	return rc;
}

/* PUT ?partNumber=N&uploadId=: part N's transfer. */
static struct xfer *part_xfer(struct s3 *s, const char *name, long part, const char *id)
{
	struct px_st_kv q[2] = { { "partNumber", NULL }, { "uploadId", id } };
	char num[24];

	snprintf(num, sizeof(num), "%ld", part);
	q[0].value = num;
	return with_query(s, OP_PUT, name, q, 2);
}

/* Sends every part, at most 2 x concurrency queued at once; etags gets
 * "<Part><PartNumber>N</PartNumber><ETag>..</ETag></Part>" for each, in
 * order (parts complete in any order, so their ETags are kept by number). */
static enum px_err mp_parts(struct s3 *s, const char *name, const char *id, int fd,
			    uint64_t size, uint64_t part, struct px_buf *etags)
{
	long nparts = (long)((size + part - 1) / part), next = 1, i;
	struct xfer **win = calloc((size_t)(2 * s->max_parallel), sizeof(*win));
	char (*tags)[130] = calloc((size_t)nparts, sizeof(*tags));
	long *nums = calloc((size_t)(2 * s->max_parallel), sizeof(*nums));
	int slots = 2 * s->max_parallel, busy = 0, k;
	enum px_err rc = PX_OK;

	if (!win || !tags || !nums) {
		rc = PX_E_STORAGE_FAILED;
		goto out;
	}
	while (rc == PX_OK && (next <= nparts || busy)) {
		for (k = 0; k < slots && next <= nparts; k++) {
			if (win[k])
				continue;
			win[k] = part_xfer(s, name, next, id);
			if (!win[k]) {
				rc = PX_E_STORAGE_FAILED;
				break;
			}
			win[k]->fd = fd;
			win[k]->off = (uint64_t)(next - 1) * part;
			win[k]->len = size - win[k]->off < part ? size - win[k]->off : part;
			memcpy(win[k]->hash, UNSIGNED, sizeof(UNSIGNED));
			nums[k] = next++;
			px_st_s3i_push(s, win[k]);
			busy++;
		}
		if (rc == PX_OK)
			rc = px_st_s3i_step(s);
		for (k = 0; k < slots; k++) {
			if (!win[k] || !win[k]->done)
				continue;
			if (rc == PX_OK && win[k]->result != PX_OK)
				rc = win[k]->result;
			else if (rc == PX_OK && !win[k]->etag[0]) {
				fail_msg(s, name, "a part was stored without an ETag");
				rc = PX_E_STORAGE_FAILED;
			}
			memcpy(tags[nums[k] - 1], win[k]->etag, sizeof(tags[0]));
			px_st_s3i_drop(s, win[k]);
			win[k] = NULL;
			busy--;
		}
	}
	for (i = 1; rc == PX_OK && i <= nparts; i++)
		px_buf_printf(etags, "<Part><PartNumber>%ld</PartNumber><ETag>%s</ETag></Part>", i,
			      tags[i - 1]);
	if (etags->failed && rc == PX_OK)
		rc = PX_E_STORAGE_FAILED;
out:
	for (k = 0; win && k < slots; k++)
		if (win[k])
			px_st_s3i_drop(s, win[k]);
	free(win);
	free(tags);
	free(nums);
	return rc;
}

/* POST ?uploadId=: joins the parts. S3 may answer 200 and still fail,
 * with an <Error> body, so the body is read. */
static enum px_err mp_complete(struct s3 *s, const char *name, const char *id,
			       const struct px_buf *parts)
{
	const struct px_st_kv q[] = { { "uploadId", id } };
	struct px_buf resp = PX_BUF_INIT;
	struct xfer *x = with_query(s, OP_POST, name, q, 1);
	enum px_err rc = PX_E_STORAGE_FAILED;

	if (x) {
		px_buf_printf(&x->body, "<CompleteMultipartUpload>%s</CompleteMultipartUpload>",
			      parts->data ? parts->data : "");
		if (x->body.failed) {
			px_st_s3i_xfer_free(x);
			goto out;
		}
		px_st_s3i_hash_body(x);
		x->resp = &resp;
		rc = px_st_s3i_run(s, x);
		if (rc == PX_OK && (!resp.data || strstr(resp.data, "<Error>") ||
				    !strstr(resp.data, "CompleteMultipartUploadResult"))) {
			fail_msg(s, name, "CompleteMultipartUpload answered with an error");
			rc = PX_E_STORAGE_FAILED;
		}
	}
out:
	px_buf_free(&resp);
	return rc;
}

/* DELETE ?uploadId=: best effort; the first error stays the one reported. */
static void mp_abort(struct s3 *s, const char *name, const char *id)
{
	const struct px_st_kv q[] = { { "uploadId", id } };
	struct px_buf keep = PX_BUF_INIT;
	struct xfer *x = with_query(s, OP_DEL, name, q, 1);

	px_buf_append(&keep, s->base.errmsg.data ? s->base.errmsg.data : "", s->base.errmsg.len);
	/* a failed abort leaves parts only the bucket's lifecycle rule for
	 * incomplete multipart uploads removes (docs/API.md, Files) */
	if (!x || px_st_s3i_run(s, x) != PX_OK)
		px_buf_puts(&keep, "; aborting the upload failed too");
	px_buf_reset(&s->base.errmsg);
	px_buf_append(&s->base.errmsg, keep.data ? keep.data : "", keep.len);
	px_buf_free(&keep);
}

enum px_err px_st_s3_put_file(struct px_st_store *st, const char *name, int fd,
			      uint64_t size, const char *sha256_hex, uint64_t part_size)
{
	struct s3 *s = (struct s3 *)st;
	struct px_buf parts = PX_BUF_INIT;
	char id[1024];
	enum px_err rc;

	if (!px_st_s3_is(st) || fd < 0)
		return PX_E_STORAGE_FAILED;
	if (part_size < PX_ST_S3_MIN_PART)
		part_size = PX_ST_S3_MIN_PART;
	if (size <= part_size)
		return put_single(s, name, fd, size, sha256_hex);
	while ((size + part_size - 1) / part_size > PX_ST_S3_MAX_PARTS)
		part_size *= 2;
	rc = mp_start(s, name, id, sizeof(id));
	if (rc != PX_OK)
		return rc;
	rc = mp_parts(s, name, id, fd, size, part_size, &parts);
	if (rc == PX_OK)
		rc = mp_complete(s, name, id, &parts);
	if (rc != PX_OK)
		mp_abort(s, name, id);
	px_buf_free(&parts);
	return rc;
}

enum px_err px_st_s3_head(struct px_st_store *st, const char *name, uint64_t *size)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x;
	enum px_err rc;

	if (!px_st_s3_is(st) || !(x = px_st_s3i_xfer_new(s, OP_HEAD, name, NULL)))
		return PX_E_STORAGE_FAILED;
	rc = run_keep(s, x);
	if (rc == PX_OK && x->length < 0)
		rc = PX_E_STORAGE_FAILED;
	if (rc == PX_OK)
		*size = (uint64_t)x->length;
	px_st_s3i_drop(s, x);
	return rc;
}

enum px_err px_st_s3_get_range(struct px_st_store *st, const char *name, uint64_t off,
			       size_t len, struct px_buf *out)
{
	struct s3 *s = (struct s3 *)st;
	struct xfer *x;
	enum px_err rc;

	if (!px_st_s3_is(st) || len == 0 || !(x = px_st_s3i_xfer_new(s, OP_GET, name, NULL)))
		return PX_E_STORAGE_FAILED;
	snprintf(x->range, sizeof(x->range), "%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	x->resp = out;
	rc = px_st_s3i_run(s, x);
	if (rc == PX_OK && out->len > len)
		rc = PX_E_STORAGE_FAILED;   /* a store that ignored Range */
	return rc;
}

/* ---- presigned URLs --------------------------------------------------- */

/* scheme ("http"/"https") and host[:port] of an endpoint, the port left
 * out when it is the scheme's default (a browser's Host header omits it,
 * and Host is signed). -1 when it is not scheme://host. */
static int split_endpoint(const char *ep, struct px_buf *scheme, struct px_buf *host)
{
	const char *h = strstr(ep, "://"), *end;
	size_t n;

	if (!h || h == ep)
		return -1;
	px_buf_append(scheme, ep, (size_t)(h - ep));
	h += 3;
	end = h + strcspn(h, "/?#");
	n = (size_t)(end - h);
	if (n == 0)
		return -1;
	if (!strcasecmp(scheme->data, "http") && n > 3 && !memcmp(end - 3, ":80", 3))
		n -= 3;
	else if (!strcasecmp(scheme->data, "https") && n > 4 && !memcmp(end - 4, ":443", 4))
		n -= 4;
	px_buf_append(host, h, n);
	return scheme->failed || host->failed ? -1 : 0;
}

int px_st_s3_presign_get(const struct px_st_store *st, const char *name,
			 const struct px_st_s3_presign *p, struct px_buf *out)
{
	const struct s3 *s = (const struct s3 *)st;
	struct px_buf scheme = PX_BUF_INIT, host = PX_BUF_INIT, path = PX_BUF_INIT,
		      key = PX_BUF_INIT, cred = PX_BUF_INIT, query = PX_BUF_INIT;
	struct px_st_kv q[8];
	struct px_st_kv hdr[1];
	struct px_st_sigv4_req r;
	char amz[20], expires[24], sig[65];
	time_t now = p->now ? p->now : time(NULL);
	struct tm tm;
	size_t n = 0;
	int rc = -1;

	if (!px_st_s3_is(st) || !name || p->expires < 1 || p->expires > 604800 ||
	    split_endpoint(p->endpoint && *p->endpoint ? p->endpoint : s->scheme_host,
			   &scheme, &host) != 0)
		goto out;
	if (!s->path_style) {
		/* virtual-host style: the bucket is a label of the host */
		struct px_buf v = PX_BUF_INIT;

		px_buf_printf(&v, "%s.%s", s->bucket, host.data);
		px_buf_free(&host);
		host = v;
	}
	px_buf_printf(&key, "%s%s", s->prefix, name);
	if (s->path_style)
		px_buf_printf(&path, "/%s", s->bucket);
	px_buf_putc(&path, '/');
	px_codec_pct_encode(&path, key.data ? key.data : "", key.len, PX_CODEC_PCT_SLASH);
	gmtime_r(&now, &tm);
	strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(expires, sizeof(expires), "%ld", p->expires);
	px_buf_printf(&cred, "%s/%.8s/%s/s3/aws4_request", s->access_key, amz, s->region);
	q[n++] = (struct px_st_kv){ "X-Amz-Algorithm", "AWS4-HMAC-SHA256" };
	q[n++] = (struct px_st_kv){ "X-Amz-Credential", cred.data };
	q[n++] = (struct px_st_kv){ "X-Amz-Date", amz };
	q[n++] = (struct px_st_kv){ "X-Amz-Expires", expires };
	q[n++] = (struct px_st_kv){ "X-Amz-SignedHeaders", "host" };
	if (p->cache_control)
		q[n++] = (struct px_st_kv){ "response-cache-control", p->cache_control };
	if (p->content_disposition)
		q[n++] = (struct px_st_kv){ "response-content-disposition", p->content_disposition };
	if (p->content_type)
		q[n++] = (struct px_st_kv){ "response-content-type", p->content_type };
	if (cred.failed || path.failed || key.failed || host.failed)
		goto out;
	px_st_canonical_query(&query, q, n);
	if (query.failed)
		goto out;
	hdr[0] = (struct px_st_kv){ "host", host.data };
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = path.data;
	r.query = query.data;
	r.headers = hdr;
	r.nheaders = 1;
	r.payload_hash = UNSIGNED;
	r.amz_date = amz;
	r.region = s->region;
	r.service = "s3";
	r.secret_key = s->secret_key;
	r.access_key = s->access_key;
	if (px_st_sigv4_sign(&r, NULL, NULL, sig, NULL) != 0)
		goto out;
	px_buf_reset(out);
	px_buf_printf(out, "%s://%s%s?%s&X-Amz-Signature=%s", scheme.data, host.data, path.data,
		      query.data, sig);
	rc = out->failed ? -1 : 0;
out:
	px_buf_free(&scheme);
	px_buf_free(&host);
	px_buf_free(&path);
	px_buf_free(&key);
	px_buf_free(&cred);
	px_buf_free(&query);
	return rc;
}
