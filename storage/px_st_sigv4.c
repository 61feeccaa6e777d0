/* px_st_sigv4.c: canonical URI/query encoding and the SigV4 computation
 * (canonical request -> string to sign -> HMAC chain of date, region,
 * service, "aws4_request"). */
#include "storage/px_st_sigv4.h"
#include "core/crypto.h"
#include "core/codec.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

struct enc_pair {
	char *name, *value;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct enc_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static char *encoded(const char *s)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_puts(&b, "");
	px_codec_pct_encode(&b, s, strlen(s), 0);
	return px_buf_steal(&b);
}

void px_st_canonical_query(struct px_buf *out, const struct px_st_kv *q,
			   size_t n)
{
	struct enc_pair *p = calloc(n ? n : 1, sizeof(*p));
	size_t i;

	if (!p) {
		out->failed = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		p[i].name = encoded(q[i].name);
		p[i].value = encoded(q[i].value ? q[i].value : "");
		if (!p[i].name || !p[i].value)
			out->failed = 1;
	}
	if (!out->failed) {
		qsort(p, n, sizeof(*p), pair_cmp);
		for (i = 0; i < n; i++)
			px_buf_printf(out, "%s%s=%s", i ? "&" : "", p[i].name,
				      p[i].value);
	}
	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

static void hmac_raw(const unsigned char *key, size_t klen, const char *msg,
		     unsigned char out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	     strlen(msg), out, &len);
}

int px_st_sigv4_sign(const struct px_st_sigv4_req *r, struct px_buf *canon,
		     struct px_buf *to_sign, char signature[65],
		     struct px_buf *authorization)
{
	struct px_buf c = PX_BUF_INIT, sts = PX_BUF_INIT, signed_h = PX_BUF_INIT;
	struct px_buf k = PX_BUF_INIT;
	unsigned char h[32], key[32], date_key[32];
	char hexh[65], sig[65], date[9];
	size_t i;
	int rc = -1;

	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	px_buf_printf(&c, "%s\n%s\n%s\n", r->method, r->path, r->query);
	for (i = 0; i < r->nheaders; i++) {
		px_buf_printf(&c, "%s:%s\n", r->headers[i].name,
			      r->headers[i].value);
		px_buf_printf(&signed_h, "%s%s", i ? ";" : "",
			      r->headers[i].name);
	}
	px_buf_printf(&c, "\n%s\n%s", signed_h.data ? signed_h.data : "",
		      r->payload_hash);
	if (c.failed || signed_h.failed)
		goto out;
	px_crypto_sha256(c.data, c.len, h);
	px_codec_hex_str(hexh, h, 32);
	px_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
		      r->amz_date, date, r->region, r->service, hexh);
	px_buf_printf(&k, "AWS4%s", r->secret_key);
	if (sts.failed || k.failed)
		goto out;
	hmac_raw((unsigned char *)k.data, k.len, date, date_key);
	hmac_raw(date_key, 32, r->region, key);
	hmac_raw(key, 32, r->service, key);
	hmac_raw(key, 32, "aws4_request", key);
	hmac_raw(key, 32, sts.data, h);
	px_codec_hex_str(sig, h, 32);
	if (signature)
		memcpy(signature, sig, 65);
	if (authorization) {
		px_buf_reset(authorization);
		px_buf_printf(authorization,
			      "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
			      r->access_key ? r->access_key : "", date,
			      r->region, r->service, signed_h.data, sig);
	}
	if (canon) {
		px_buf_reset(canon);
		px_buf_append(canon, c.data, c.len);
	}
	if (to_sign) {
		px_buf_reset(to_sign);
		px_buf_append(to_sign, sts.data, sts.len);
	}
	rc = 0;
out:
	px_crypto_wipe(key, sizeof(key));
	px_crypto_wipe(date_key, sizeof(date_key));
	if (k.data)
		px_crypto_wipe(k.data, k.len);
	px_buf_free(&c);
	px_buf_free(&sts);
	px_buf_free(&signed_h);
	px_buf_free(&k);
	return rc;
}
