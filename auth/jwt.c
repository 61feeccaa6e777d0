/* jwt.c: JWS RS256/ES256 verification with OpenSSL 3 from JWK public
 * keys, and ID-token claim checks. */
#include "auth/jwt.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <string.h>

/* Decodes one base64url member of a JWK into a BIGNUM (NULL if absent). */
static BIGNUM *jwk_bn(struct json_object *jwk, const char *name)
{
	struct px_buf b = PX_BUF_INIT;
	struct json_object *v;
	BIGNUM *bn = NULL;
	const char *s;

	if (json_object_object_get_ex(jwk, name, &v) &&
	    json_object_is_type(v, json_type_string) && (s = json_object_get_string(v)) &&
	    px_codec_b64_decode(s, strlen(s), PX_CODEC_B64_URL, &b) == 0 && b.len > 0)
		bn = BN_bin2bn((unsigned char *)b.data, (int)b.len, NULL);
	px_buf_free(&b);
	return bn;
}

/* Builds the EVP_PKEY from an RSA or P-256 JWK; NULL when unusable. */
static EVP_PKEY *jwk_key(struct json_object *jwk, int ec)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *a = jwk_bn(jwk, ec ? "x" : "n"), *b = jwk_bn(jwk, ec ? "y" : "e");
	unsigned char pub[65];
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (!bld || !a || !b)
		goto out;
	if (ec) {
		pub[0] = 0x04; /* uncompressed point x || y */
		if (BN_bn2binpad(a, pub + 1, 32) != 32 || BN_bn2binpad(b, pub + 33, 32) != 32 ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						     "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
						      sizeof(pub)))
			goto out;
	} else if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, a) ||
		   !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, b)) {
		goto out;
	}
	if (!(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, ec ? "EC" : "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(a);
	BN_free(b);
	return key;
}

static const char *str_member(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The JWK for kid (or the only one of kty when kid is NULL). */
static struct json_object *find_jwk(struct json_object *jwks, const char *kid,
				    const char *kty)
{
	struct json_object *keys, *k, *hit = NULL;
	size_t i, n;
	int count = 0;

	if (!json_object_object_get_ex(jwks, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array))
		return NULL;
	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		k = json_object_array_get_idx(keys, i);
		if (!str_member(k, "kty") || strcmp(str_member(k, "kty"), kty) != 0)
			continue;
		if (kid ? (str_member(k, "kid") && !strcmp(str_member(k, "kid"), kid)) : 1) {
			hit = k;
			count++;
		}
	}
	return kid || count == 1 ? hit : NULL;
}

/* JWS ES256 signatures are r || s; OpenSSL wants DER. */
static int es256_der(const struct px_buf *raw, unsigned char **der, int *len)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;

	*der = NULL;
	if (raw->len != 64 || !(sig = ECDSA_SIG_new()) ||
	    !(r = BN_bin2bn((unsigned char *)raw->data, 32, NULL)) ||
	    !(s = BN_bin2bn((unsigned char *)raw->data + 32, 32, NULL)) ||
	    !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return -1;
	}
	*len = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	return *len > 0 ? 0 : -1;
}

static int verify_sig(EVP_PKEY *key, int ec, const char *input, size_t n,
		      const struct px_buf *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int len = (int)sig->len, ok = 0;

	if (ec && es256_der(sig, &der, &len) != 0)
		goto out;
	ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, der ? der : (unsigned char *)sig->data, (size_t)len,
			      (const unsigned char *)input, n) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return ok;
}

static struct json_object *parse_part(const char *p, size_t n)
{
	struct px_buf b = PX_BUF_INIT;
	struct json_object *o = NULL;

	if (px_codec_b64_decode(p, n, PX_CODEC_B64_URL, &b) == 0 && b.len)
		o = json_tokener_parse(b.data);
	px_buf_free(&b);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

enum px_err px_jwt_verify(const char *token, struct json_object *jwks,
			  struct json_object **payload)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	struct json_object *hdr = NULL, *body = NULL, *jwk;
	struct px_buf sig = PX_BUF_INIT;
	EVP_PKEY *key = NULL;
	enum px_err e = PX_E_AUTH_TOKEN_INVALID;
	const char *alg;
	int ec;

	*payload = NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.') ||
	    !(hdr = parse_part(token, (size_t)(d1 - token))) ||
	    !(body = parse_part(d1 + 1, (size_t)(d2 - d1 - 1))) ||
	    px_codec_b64_decode(d2 + 1, strlen(d2 + 1), PX_CODEC_B64_URL, &sig) != 0 ||
	    !(alg = str_member(hdr, "alg")))
		goto out;
	if (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0)
		goto out;
	ec = alg[0] == 'E';
	if (!(jwk = find_jwk(jwks, str_member(hdr, "kid"), ec ? "EC" : "RSA"))) {
		e = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	if (!(key = jwk_key(jwk, ec)) ||
	    !verify_sig(key, ec, token, (size_t)(d2 - token), &sig))
		goto out;
	*payload = body;
	body = NULL;
	e = PX_OK;
out:
	EVP_PKEY_free(key);
	json_object_put(hdr);
	json_object_put(body);
	px_buf_free(&sig);
	return e;
}

const char *px_jwt_claim_str(struct json_object *payload, const char *name)
{
	return str_member(payload, name);
}

static int aud_ok(struct json_object *payload, const char *audience)
{
	struct json_object *v;
	size_t i;

	if (!json_object_object_get_ex(payload, "aud", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), audience) == 0;
	if (!json_object_is_type(v, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(v); i++) {
		struct json_object *a = json_object_array_get_idx(v, i);

		if (json_object_is_type(a, json_type_string) &&
		    strcmp(json_object_get_string(a), audience) == 0)
			return 1;
	}
	return 0;
}

static long long num_claim(struct json_object *payload, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(payload, name, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return -1;
	return json_object_get_int64(v);
}

enum px_err px_jwt_check_claims(struct json_object *payload, const char *issuer,
				const char *audience, const char *nonce, time_t now)
{
	const char *iss = str_member(payload, "iss"), *n = str_member(payload, "nonce");
	long long exp = num_claim(payload, "exp"), iat = num_claim(payload, "iat");

	if (!iss || strcmp(iss, issuer) != 0 || !aud_ok(payload, audience) ||
	    !str_member(payload, "sub"))
		return PX_E_AUTH_TOKEN_INVALID;
	if (exp < 0 || exp + PX_JWT_SKEW < (long long)now ||
	    (iat >= 0 && iat > (long long)now + PX_JWT_SKEW))
		return PX_E_AUTH_TOKEN_INVALID;
	if (nonce && (!n || !px_crypto_streq(n, nonce)))
		return PX_E_AUTH_TOKEN_INVALID;
	return PX_OK;
}
