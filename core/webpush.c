/* webpush.c: RFC 8291 encryption, RFC 8292 VAPID and the RFC 8030 POST
 * (see webpush.h). Each OpenSSL object is made and freed in the function
 * that needs it; secrets (ECDH output, keys derived from it) are wiped. */
#include "core/webpush.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define RECORD_SIZE 4096
#define TAG_LEN 16

/* A P-256 key from raw parts: a key pair when priv is given, else a
 * checked public key. NULL when the bytes are not a valid key. */
static EVP_PKEY *ec_key(const unsigned char *priv, const unsigned char pub[PX_WEBPUSH_PUB])
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL, *cc = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *d = priv ? BN_bin2bn(priv, PX_WEBPUSH_PRIV, NULL) : NULL;

	if (!bld || (priv && !d) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, PX_WEBPUSH_PUB) ||
	    (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) != 1)
		goto out;
	cc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!cc || EVP_PKEY_public_check(cc) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return key;
}

enum px_err px_webpush_keygen(unsigned char priv[PX_WEBPUSH_PRIV],
			      unsigned char pub[PX_WEBPUSH_PUB])
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *d = NULL;
	size_t n = 0;
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (key && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
	    BN_bn2binpad(d, priv, PX_WEBPUSH_PRIV) == PX_WEBPUSH_PRIV &&
	    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, PX_WEBPUSH_PUB,
					    &n) == 1 && n == PX_WEBPUSH_PUB && pub[0] == 0x04)
		e = PX_OK;
	BN_clear_free(d);
	EVP_PKEY_free(key);
	return e;
}

/* ECDH(as, ua) into secret. */
static int ecdh(EVP_PKEY *as, EVP_PKEY *ua, unsigned char secret[32])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, as, NULL);
	size_t n = 32;
	int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, ua) == 1 &&
		 EVP_PKEY_derive(c, secret, &n) == 1 && n == 32;

	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}

/* HKDF-Expand for one block: HMAC(prk, info || 0x01), as RFC 8291 writes
 * it (every output here is at most 32 bytes). */
static void expand1(const unsigned char prk[32], const void *info, size_t n,
		    unsigned char out[32])
{
	unsigned char buf[160];

	memcpy(buf, info, n);
	buf[n] = 0x01;
	px_crypto_hmac_sha256(prk, 32, buf, n + 1, out);
	px_crypto_wipe(buf, sizeof(buf));
}

/* RFC 8291 section 3.4 and RFC 8188 section 2.2: the content key and nonce. */
static void derive(const unsigned char secret[32], const unsigned char auth[PX_WEBPUSH_AUTH],
		   const unsigned char ua_pub[PX_WEBPUSH_PUB],
		   const unsigned char as_pub[PX_WEBPUSH_PUB], const unsigned char salt[16],
		   unsigned char cek[16], unsigned char nonce[12])
{
	static const char key_label[] = "WebPush: info";
	static const char cek_info[] = "Content-Encoding: aes128gcm";
	static const char nonce_info[] = "Content-Encoding: nonce";
	unsigned char prk_key[32], ikm[32], prk[32], t[32];
	unsigned char info[sizeof(key_label) + 2 * PX_WEBPUSH_PUB];

	px_crypto_hmac_sha256(auth, PX_WEBPUSH_AUTH, secret, 32, prk_key);
	memcpy(info, key_label, sizeof(key_label)); /* with its NUL */
	memcpy(info + sizeof(key_label), ua_pub, PX_WEBPUSH_PUB);
	memcpy(info + sizeof(key_label) + PX_WEBPUSH_PUB, as_pub, PX_WEBPUSH_PUB);
	expand1(prk_key, info, sizeof(info), ikm);
	px_crypto_hmac_sha256(salt, 16, ikm, 32, prk);
	expand1(prk, cek_info, sizeof(cek_info), t);
	memcpy(cek, t, 16);
	expand1(prk, nonce_info, sizeof(nonce_info), t);
	memcpy(nonce, t, 12);
	px_crypto_wipe(prk_key, sizeof(prk_key));
	px_crypto_wipe(ikm, sizeof(ikm));
	px_crypto_wipe(prk, sizeof(prk));
	px_crypto_wipe(t, sizeof(t));
}

/* AES-128-GCM of record[0..n) appended to out with its tag. */
static int seal(const unsigned char cek[16], const unsigned char nonce[12],
		const unsigned char *record, size_t n, struct px_buf *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0, ok = 0;

	if (!c || px_buf_reserve(out, n + TAG_LEN) != 0)
		goto out;
	ok = EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, cek, nonce) == 1 &&
	     EVP_EncryptUpdate(c, (unsigned char *)out->data + out->len, &len, record,
			       (int)n) == 1 &&
	     EVP_EncryptFinal_ex(c, (unsigned char *)out->data + out->len + len, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
				 out->data + out->len + len + fin) == 1;
	if (ok) {
		out->len += (size_t)(len + fin) + TAG_LEN;
		out->data[out->len] = '\0';
	}
out:
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

enum px_err px_webpush_encrypt_with(const unsigned char ua_pub[PX_WEBPUSH_PUB],
				    const unsigned char auth[PX_WEBPUSH_AUTH],
				    const unsigned char as_priv[PX_WEBPUSH_PRIV],
				    const unsigned char as_pub[PX_WEBPUSH_PUB],
				    const unsigned char salt[PX_WEBPUSH_SALT],
				    const void *plain, size_t n, struct px_buf *out)
{
	unsigned char secret[32], cek[16], nonce[12], hdr[4];
	unsigned char record[PX_WEBPUSH_MAX_PLAIN + 1];
	EVP_PKEY *ua = NULL, *as = NULL;
	enum px_err e = PX_E_VALIDATION_FIELD_FORMAT;

	if (n > PX_WEBPUSH_MAX_PLAIN || !(ua = ec_key(NULL, ua_pub)))
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	if (!(as = ec_key(as_priv, as_pub)) || ecdh(as, ua, secret) != 0)
		goto out;
	derive(secret, auth, ua_pub, as_pub, salt, cek, nonce);
	memcpy(record, plain, n);
	record[n] = 0x02; /* the last (only) record, no padding */
	hdr[0] = (RECORD_SIZE >> 24) & 0xff;
	hdr[1] = (RECORD_SIZE >> 16) & 0xff;
	hdr[2] = (RECORD_SIZE >> 8) & 0xff;
	hdr[3] = RECORD_SIZE & 0xff;
	px_buf_append(out, salt, PX_WEBPUSH_SALT);
	px_buf_append(out, hdr, sizeof(hdr));
	px_buf_putc(out, (char)PX_WEBPUSH_PUB);
	px_buf_append(out, as_pub, PX_WEBPUSH_PUB);
	if (!out->failed && seal(cek, nonce, record, n + 1, out) == 0)
		e = PX_OK;
out:
	px_crypto_wipe(secret, sizeof(secret));
	px_crypto_wipe(cek, sizeof(cek));
	px_crypto_wipe(record, sizeof(record));
	EVP_PKEY_free(ua);
	EVP_PKEY_free(as);
	return e;
}

enum px_err px_webpush_encrypt(const unsigned char ua_pub[PX_WEBPUSH_PUB],
			       const unsigned char auth[PX_WEBPUSH_AUTH], const void *plain,
			       size_t n, struct px_buf *out)
{
	unsigned char priv[PX_WEBPUSH_PRIV], pub[PX_WEBPUSH_PUB], salt[PX_WEBPUSH_SALT];
	enum px_err e;

	if ((e = px_webpush_keygen(priv, pub)) != PX_OK)
		return e;
	if (px_crypto_random(salt, sizeof(salt)) != 0)
		e = PX_E_SYSTEM_INTERNAL;
	else
		e = px_webpush_encrypt_with(ua_pub, auth, priv, pub, salt, plain, n, out);
	px_crypto_wipe(priv, sizeof(priv));
	return e;
}

/* ES256 over text: the raw r || s (JWS) signature into sig. */
static int es256(EVP_PKEY *key, const char *text, unsigned char sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	const unsigned char *p = der;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *es = NULL;
	size_t n = sizeof(der);
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(md, der, &n, (const unsigned char *)text, strlen(text)) == 1 &&
		 (es = d2i_ECDSA_SIG(NULL, &p, (long)n)) != NULL;

	if (ok) {
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
	}
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

enum px_err px_webpush_vapid(const unsigned char priv[PX_WEBPUSH_PRIV],
			     const unsigned char pub[PX_WEBPUSH_PUB], const char *aud,
			     long long exp, const char *sub, struct px_buf *out)
{
	static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
	struct px_buf claims = PX_BUF_INIT, jwt = PX_BUF_INIT;
	unsigned char sig[64];
	EVP_PKEY *key = ec_key(priv, pub);
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (!key)
		goto out;
	px_buf_puts(&claims, "{\"aud\":");
	px_buf_json_str(&claims, aud, strlen(aud));
	px_buf_printf(&claims, ",\"exp\":%lld,\"sub\":", exp);
	px_buf_json_str(&claims, sub, strlen(sub));
	px_buf_putc(&claims, '}');
	px_codec_b64_encode(&jwt, header, strlen(header), PX_CODEC_B64_URL);
	px_buf_putc(&jwt, '.');
	px_codec_b64_encode(&jwt, claims.data, claims.len, PX_CODEC_B64_URL);
	if (claims.failed || jwt.failed || es256(key, jwt.data, sig) != 0)
		goto out;
	px_buf_putc(&jwt, '.');
	px_codec_b64_encode(&jwt, sig, sizeof(sig), PX_CODEC_B64_URL);
	px_buf_printf(out, "vapid t=%s, k=", jwt.data);
	px_codec_b64_encode(out, pub, PX_WEBPUSH_PUB, PX_CODEC_B64_URL);
	e = jwt.failed || out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	EVP_PKEY_free(key);
	px_buf_free(&claims);
	px_buf_free(&jwt);
	return e;
}

int px_webpush_origin(const char *url, char *out, size_t cap)
{
	const char *host;
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return -1;
	n = strcspn(host, "/?#");
	if (n == 0 || memchr(host, '@', n) || (size_t)(host - url) + n >= cap)
		return -1;
	memcpy(out, url, (size_t)(host - url) + n);
	out[(host - url) + n] = '\0';
	return 0;
}

/* 1 when origin o matches the list entry e[0..n). */
static int origin_match(const char *o, const char *e, size_t n)
{
	const char *star = memchr(e, '*', n), *host;
	size_t pre, suf, ol = strlen(o);

	if (!star)
		return n == ol && strncasecmp(o, e, n) == 0;
	/* "scheme://" then "*" then ".suffix": the scheme, any labels, ".suffix" */
	pre = (size_t)(star - e);
	suf = n - pre - 1;
	if (star + 1 >= e + n || star[1] != '.' || ol <= pre + suf ||
	    strncasecmp(o, e, pre) != 0 || strncasecmp(o + ol - suf, star + 1, suf) != 0)
		return 0;
	host = o + pre;
	return strcspn(host, "/:@") >= (size_t)(o + ol - suf - host);
}

int px_webpush_allowed(const char *endpoint, const char *list)
{
	char o[512];
	const char *p = list;

	if (px_webpush_origin(endpoint, o, sizeof(o)) != 0)
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *e = p;

		while (n && (*e == ' ' || *e == '\t')) {
			e++;
			n--;
		}
		while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			n--;
		if (n && origin_match(o, e, n))
			return 1;
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	return 0;
}

enum px_err px_webpush_post(const char *endpoint, const char *authorization,
			    const struct px_buf *body, int ttl, const char *urgency,
			    const struct px_webpush_target *to, int *status, char *detail,
			    size_t dlen)
{
	struct px_buf auth = PX_BUF_INIT;
	char line[64], urg[40], origin[512];
	const char *lines[7];
	struct px_sf_req req;
	struct px_sf_resp resp;
	enum px_sf_result r;
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	*status = 0;
	memset(&resp, 0, sizeof(resp));
	if (detail && dlen)
		detail[0] = '\0';
	if (px_webpush_origin(endpoint, origin, sizeof(origin)) != 0)
		return PX_E_VALIDATION_FIELD_FORMAT;
	px_buf_printf(&auth, "Authorization: %s", authorization);
	if (auth.failed)
		goto out;
	snprintf(line, sizeof(line), "TTL: %d", ttl);
	snprintf(urg, sizeof(urg), "Urgency: %s", urgency);
	lines[0] = auth.data;
	lines[1] = line;
	lines[2] = "Content-Encoding: aes128gcm";
	lines[3] = "Content-Type: application/octet-stream";
	lines[4] = urg;
	lines[5] = "Expect:";
	lines[6] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = endpoint;
	req.body = body->data ? body->data : "";
	req.body_len = body->len;
	req.headers = lines;
	req.allow = to->allow;
	req.max_bytes = 64 * 1024; /* the service's answer is not needed */
	req.timeout_ms = 10000;
	req.max_redirects = 0;     /* a push service that redirects is not one */
	req.resolve = to->resolve;
	req.resolve_arg = to->resolve_arg;
	r = px_sf_fetch(&req, &resp);
	if (detail && dlen)
		snprintf(detail, dlen, "%s%s%s", px_sf_result_name(r), resp.detail[0] ? ": " : "",
			 resp.detail);
	switch (r) {
	case PX_SF_DONE:
		*status = (int)resp.status;
		e = PX_OK;
		break;
	case PX_SF_REFUSED: e = PX_E_SECURITY_SSRF_BLOCKED; break;
	case PX_SF_BAD_URL: e = PX_E_VALIDATION_FIELD_FORMAT; break;
	case PX_SF_DNS:
	case PX_SF_CONNECT: e = PX_E_NETWORK_UNREACHABLE; break;
	case PX_SF_TIMEOUT: e = PX_E_NETWORK_TIMEOUT; break;
	case PX_SF_TOO_LARGE:
	case PX_SF_REDIRECTS: e = PX_E_NETWORK_BAD_RESPONSE; break;
	case PX_SF_NOMEM: e = PX_E_SYSTEM_INTERNAL; break;
	}
out:
	px_buf_free(&resp.body);
	px_buf_free(&auth);
	return e;
}
