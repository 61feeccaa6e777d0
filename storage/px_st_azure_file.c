/* px_st_azure_file.c: what the file store needs from Azure Blob Storage
 * beyond the store interface: a put streamed from a file (one Put Blob,
 * or Put Block per block and Put Block List), Get Blob Properties, and
 * read-only service SAS URLs for downloads. Invariant: nothing here holds
 * more of a file in memory than curl's own buffers, and a blob becomes
 * visible only whole (Put Blob, or the Put Block List that commits). */
#include "storage/px_st_azure.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "storage/px_st_azure_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Put Blob or Put Block of bytes [off, off + n) of fd; query NULL:
 * Put Blob. */
static enum px_err put_range(struct az *a, const char *blob, const char *name,
			     const char *const *query, size_t nq, int fd, uint64_t off,
			     uint64_t n)
{
	struct azi_body src = { NULL, fd, off, (size_t)n };
	struct px_buf resp = PX_BUF_INIT;
	long st = 0;
	enum px_err rc = px_st_azi_request(a, "PUT", blob, query, nq, &src, 0, NULL, &resp, &st,
						 NULL);

	if (rc == PX_OK)
		rc = px_st_azi_status(a, nq ? "Put Block" : "PUT", name, st, &resp);
	px_buf_free(&resp);
	return rc;
}

/* Block i's id: base64 of a fixed-width number (every id of a blob must
 * have the same length). */
static void block_id(char *out, size_t cap, long i)
{
	struct px_buf b = PX_BUF_INIT;
	char raw[24];

	snprintf(raw, sizeof(raw), "px%08ld", i);
	px_codec_b64_encode(&b, raw, strlen(raw), PX_CODEC_B64_PAD);
	snprintf(out, cap, "%s", b.data ? b.data : "");
	px_buf_free(&b);
}

static enum px_err put_blocks(struct az *a, const char *blob, const char *name, int fd,
			      uint64_t size, uint64_t block)
{
	long nblocks = (long)((size + block - 1) / block), i;
	struct px_buf list = PX_BUF_INIT, resp = PX_BUF_INIT;
	enum px_err rc = PX_OK;
	char id[32], idq[48];
	long st = 0;

	px_buf_puts(&list, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
	for (i = 0; i < nblocks && rc == PX_OK; i++) {
		uint64_t off = (uint64_t)i * block;
		const char *q[2] = { "comp=block", idq };

		block_id(id, sizeof(id), i);
		snprintf(idq, sizeof(idq), "blockid=%s", id);
		rc = put_range(a, blob, name, q, 2, fd, off, size - off < block ? size - off : block);
		px_buf_printf(&list, "<Latest>%s</Latest>", id);
	}
	px_buf_puts(&list, "</BlockList>");
	if (rc == PX_OK && list.failed)
		rc = PX_E_STORAGE_FAILED;
	if (rc == PX_OK) {
		const char *q[1] = { "comp=blocklist" };
		struct azi_body src = { list.data, -1, 0, list.len };

		rc = px_st_azi_request(a, "PUT", blob, q, 1, &src, 0, NULL, &resp, &st, NULL);
		if (rc == PX_OK)
			rc = px_st_azi_status(a, "Put Block List", name, st, &resp);
	}
	px_buf_free(&list);
	px_buf_free(&resp);
	return rc;
}

enum px_err px_st_azure_put_file(struct px_st_store *s, const char *name, int fd,
				 uint64_t size, uint64_t block_size)
{
	struct az *a = (struct az *)s;
	char *blob;
	enum px_err rc;

	if (!px_st_azure_is(s) || fd < 0 || !(blob = px_st_azi_name(a, name)))
		return PX_E_STORAGE_FAILED;
	if (block_size < (1u << 20))
		block_size = 1u << 20;
	while ((size + block_size - 1) / block_size > PX_ST_AZURE_MAX_BLOCKS)
		block_size *= 2;
	rc = size <= block_size ? put_range(a, blob, name, NULL, 0, fd, 0, size)
				: put_blocks(a, blob, name, fd, size, block_size);
	free(blob);
	return rc;
}

enum px_err px_st_azure_head(struct px_st_store *s, const char *name, uint64_t *size)
{
	struct az *a = (struct az *)s;
	struct azi_body none = { NULL, -1, 0, 0 };
	struct px_buf resp = PX_BUF_INIT;
	long long len = -1;
	long st = 0;
	char *blob;
	enum px_err rc;

	if (!px_st_azure_is(s) || !(blob = px_st_azi_name(a, name)))
		return PX_E_STORAGE_FAILED;
	rc = px_st_azi_request(a, "HEAD", blob, NULL, 0, &none, 0, NULL, &resp, &st, &len);
	if (rc == PX_OK)
		rc = px_st_azi_status(a, "HEAD", name, st, &resp);
	if (rc == PX_OK && len < 0)
		rc = PX_E_STORAGE_FAILED;
	if (rc == PX_OK)
		*size = (uint64_t)len;
	free(blob);
	px_buf_free(&resp);
	return rc;
}

enum px_err px_st_azure_get_range(struct px_st_store *s, const char *name, uint64_t off,
				  size_t len, struct px_buf *out)
{
	struct az *a = (struct az *)s;
	struct azi_body none = { NULL, -1, 0, 0 };
	char range[64], *blob;
	long st = 0;
	enum px_err rc;

	if (!px_st_azure_is(s) || len == 0 || !(blob = px_st_azi_name(a, name)))
		return PX_E_STORAGE_FAILED;
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	rc = px_st_azi_request(a, "GET", blob, NULL, 0, &none, 0, range, out, &st, NULL);
	if (rc == PX_OK)
		rc = px_st_azi_status(a, "GET", name, st, out);
	if (rc == PX_OK && out->len > len)
		rc = PX_E_STORAGE_FAILED;
	if (rc != PX_OK)
		px_buf_reset(out);
	free(blob);
	return rc;
}

/* ---- service SAS ------------------------------------------------------ */

void px_st_azure_sas_string(struct px_buf *out, const char *account, const char *container,
			    const char *blob, const char *expiry, const char *cache_control,
			    const char *content_disposition, const char *content_type)
{
	/* sp, st, se, canonicalized resource, si, sip, spr, sv, sr, snapshot
	 * time, encryption scope, rscc, rscd, rsce, rscl, rsct */
	px_buf_printf(out, "r\n\n%s\n/blob/%s/%s/%s\n\n\n\n%s\nb\n\n\n%s\n%s\n\n\n%s", expiry,
		      account, container, blob, PX_ST_AZURE_SAS_VERSION,
		      cache_control ? cache_control : "",
		      content_disposition ? content_disposition : "",
		      content_type ? content_type : "");
}

static void query_param(struct px_buf *q, const char *name, const char *value)
{
	if (!value)
		return;
	px_buf_printf(q, "%s%s=", q->len ? "&" : "", name);
	px_codec_pct_encode(q, value, strlen(value), 0);
}

int px_st_azure_presign_get(const struct px_st_store *st, const char *name,
			    const struct px_st_azure_sas *p, struct px_buf *out)
{
	const struct az *a = (const struct az *)st;
	struct px_buf blob = PX_BUF_INIT, sts = PX_BUF_INIT, key = PX_BUF_INIT,
		      sig = PX_BUF_INIT, q = PX_BUF_INIT;
	unsigned char mac[PX_SHA256_LEN];
	time_t now = p->now ? p->now : time(NULL), until;
	const char *ep;
	char expiry[32];
	struct tm tm;
	int rc = -1;

	if (!px_st_azure_is(st) || !a->key || !name || p->expires < 1 || p->expires > 604800)
		goto out;
	until = now + p->expires;
	gmtime_r(&until, &tm);
	strftime(expiry, sizeof(expiry), "%Y-%m-%dT%H:%M:%SZ", &tm);
	px_buf_printf(&blob, "%s%s", a->prefix, name);
	px_st_azure_sas_string(&sts, a->account, a->container, blob.data ? blob.data : "",
			       expiry, p->cache_control, p->content_disposition, p->content_type);
	if (blob.failed || sts.failed ||
	    px_codec_b64_decode(a->key, strlen(a->key), PX_CODEC_B64, &key) != 0 || !key.len)
		goto out;
	px_crypto_hmac_sha256(key.data, key.len, sts.data, sts.len, mac);
	px_codec_b64_encode(&sig, mac, sizeof(mac), PX_CODEC_B64_PAD);
	query_param(&q, "sv", PX_ST_AZURE_SAS_VERSION);
	query_param(&q, "sr", "b");
	query_param(&q, "sp", "r");
	query_param(&q, "se", expiry);
	query_param(&q, "rscc", p->cache_control);
	query_param(&q, "rscd", p->content_disposition);
	query_param(&q, "rsct", p->content_type);
	query_param(&q, "sig", sig.data);
	ep = p->endpoint && *p->endpoint ? p->endpoint : NULL;
	px_buf_reset(out);
	if (ep) {
		size_t n = strlen(ep);

		while (n > 0 && ep[n - 1] == '/')
			n--;
		px_buf_printf(out, "%.*s/", (int)n, ep);
	} else {
		px_buf_printf(out, "%s%s/", a->origin, a->path_base);
	}
	px_codec_pct_encode(out, a->container, strlen(a->container), 0);
	px_buf_putc(out, '/');
	px_codec_pct_encode(out, blob.data, blob.len, PX_CODEC_PCT_SLASH);
	px_buf_printf(out, "?%s", q.data ? q.data : "");
	if (!strstr(out->data ? out->data : "", "://"))
		goto out;
	rc = out->failed || q.failed || sig.failed ? -1 : 0;
out:
	if (key.data)
		px_crypto_wipe(key.data, key.len);
	px_buf_free(&blob);
	px_buf_free(&sts);
	px_buf_free(&key);
	px_buf_free(&sig);
	px_buf_free(&q);
	return rc;
}
