/* check_jwt.c: ID-token verification with keys made here: RS256 and ES256
 * accepted, tampering, foreign algorithms, unknown keys and bad claims
 * refused. */
#include <check.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "auth/jwt.h"
#include "tests/unit/run_suite.h"

static EVP_PKEY *rsa_key, *ec_key;
static struct json_object *jwks;

static void b64_bn(struct px_buf *out, const BIGNUM *bn, int pad)
{
	unsigned char buf[512];
	int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);

	px_codec_b64_encode(out, buf, (size_t)n, PX_CODEC_B64_URL);
}

static void add_jwk(const char *kid, EVP_PKEY *k, int ec)
{
	struct json_object *keys, *o = json_object_new_object();
	struct px_buf a = PX_BUF_INIT, b = PX_BUF_INIT;
	BIGNUM *x = NULL, *y = NULL;

	ck_assert(EVP_PKEY_get_bn_param(k, ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_N, &x));
	ck_assert(EVP_PKEY_get_bn_param(k, ec ? OSSL_PKEY_PARAM_EC_PUB_Y : OSSL_PKEY_PARAM_RSA_E, &y));
	b64_bn(&a, x, ec ? 32 : 0);
	b64_bn(&b, y, ec ? 32 : 0);
	json_object_object_add(o, "kty", json_object_new_string(ec ? "EC" : "RSA"));
	json_object_object_add(o, "kid", json_object_new_string(kid));
	if (ec)
		json_object_object_add(o, "crv", json_object_new_string("P-256"));
	json_object_object_add(o, ec ? "x" : "n", json_object_new_string(a.data));
	json_object_object_add(o, ec ? "y" : "e", json_object_new_string(b.data));
	json_object_object_get_ex(jwks, "keys", &keys);
	json_object_array_add(keys, o);
	BN_free(x);
	BN_free(y);
	px_buf_free(&a);
	px_buf_free(&b);
}

static void setup(void)
{
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert(rsa_key && ec_key);
	jwks = json_object_new_object();
	json_object_object_add(jwks, "keys", json_object_new_array());
	add_jwk("r1", rsa_key, 0);
	add_jwk("e1", ec_key, 1);
}

static void teardown(void)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	json_object_put(jwks);
}

/* Signs header.payload with k, ES256 signatures converted to r || s. */
static char *sign(const char *header, const char *payload, EVP_PKEY *k, int ec)
{
	struct px_buf t = PX_BUF_INIT;
	unsigned char sig[512], raw[64];
	const unsigned char *p = sig;
	size_t n = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es;

	px_codec_b64_encode(&t, header, strlen(header), PX_CODEC_B64_URL);
	px_buf_putc(&t, '.');
	px_codec_b64_encode(&t, payload, strlen(payload), PX_CODEC_B64_URL);
	ck_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1);
	ck_assert(EVP_DigestSign(md, sig, &n, (unsigned char *)t.data, t.len) == 1);
	EVP_MD_CTX_free(md);
	px_buf_putc(&t, '.');
	if (ec) {
		es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
		ECDSA_SIG_free(es);
		px_codec_b64_encode(&t, raw, 64, PX_CODEC_B64_URL);
	} else {
		px_codec_b64_encode(&t, sig, n, PX_CODEC_B64_URL);
	}
	return px_buf_steal(&t);
}

static char *claims(long long exp, const char *aud, const char *nonce)
{
	char *s = malloc(512);

	snprintf(s, 512, "{\"iss\":\"https://idp.example\",\"sub\":\"u-1\",\"aud\":%s,"
			 "\"exp\":%lld,\"iat\":%lld,\"nonce\":\"%s\",\"email\":\"a@b.example\"}",
		 aud, exp, (long long)time(NULL) - 5, nonce);
	return s;
}

static enum px_err verify(const char *tok, struct json_object **payload)
{
	return px_jwt_verify(tok, jwks, payload);
}

START_TEST(test_rs256_and_es256_accepted)
{
	char *c = claims(time(NULL) + 300, "\"client-1\"", "n-1");
	char *rs = sign("{\"alg\":\"RS256\",\"kid\":\"r1\"}", c, rsa_key, 0);
	char *es = sign("{\"alg\":\"ES256\",\"kid\":\"e1\"}", c, ec_key, 1);
	struct json_object *p = NULL;

	ck_assert_int_eq(verify(rs, &p), PX_OK);
	ck_assert_int_eq(px_jwt_check_claims(p, "https://idp.example", "client-1", "n-1", time(NULL)), PX_OK);
	ck_assert_str_eq(px_jwt_claim_str(p, "email"), "a@b.example");
	json_object_put(p);
	ck_assert_int_eq(verify(es, &p), PX_OK);
	json_object_put(p);
	free(c);
	free(rs);
	free(es);
}
END_TEST

START_TEST(test_tampering_and_algorithms_refused)
{
	char *c = claims(time(NULL) + 300, "\"client-1\"", "n-1");
	char *rs = sign("{\"alg\":\"RS256\",\"kid\":\"r1\"}", c, rsa_key, 0);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char *wrongkey = sign("{\"alg\":\"RS256\",\"kid\":\"r1\"}", c, other, 0);
	char *swapped = sign("{\"alg\":\"ES256\",\"kid\":\"r1\"}", c, ec_key, 1);
	char *unknown = sign("{\"alg\":\"RS256\",\"kid\":\"r9\"}", c, rsa_key, 0);
	struct px_buf none = PX_BUF_INIT;
	struct json_object *p = NULL;
	char *bad = strdup(rs), *dot = strchr(bad, '.');

	dot[3] = dot[3] == 'A' ? 'B' : 'A'; /* one payload character */
	ck_assert_int_eq(verify(bad, &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(verify(wrongkey, &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(verify(swapped, &p), PX_E_VALIDATION_NOT_FOUND); /* no EC key r1 */
	ck_assert_int_eq(verify(unknown, &p), PX_E_VALIDATION_NOT_FOUND);
	px_codec_b64_encode(&none, "{\"alg\":\"none\"}", 14, PX_CODEC_B64_URL);
	px_buf_putc(&none, '.');
	px_codec_b64_encode(&none, c, strlen(c), PX_CODEC_B64_URL);
	px_buf_putc(&none, '.');
	ck_assert_int_eq(verify(none.data, &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(verify("a.b", &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(verify("a.b.c.d", &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(verify("", &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert(p == NULL);
	px_buf_free(&none);
	EVP_PKEY_free(other);
	free(c);
	free(rs);
	free(wrongkey);
	free(swapped);
	free(unknown);
	free(bad);
}
END_TEST

START_TEST(test_claims_checked)
{
	static const struct {
		int line;
		long long exp_delta;
		const char *aud, *iss, *nonce;
		enum px_err want;
	} cases[] = {
		{ __LINE__, 300, "\"client-1\"", "https://idp.example", "n-1", PX_OK },
		{ __LINE__, 300, "[\"x\",\"client-1\"]", "https://idp.example", "n-1", PX_OK },
		{ __LINE__, 300, "\"client-2\"", "https://idp.example", "n-1", PX_E_AUTH_TOKEN_INVALID },
		{ __LINE__, 300, "\"client-1\"", "https://evil.example", "n-1", PX_E_AUTH_TOKEN_INVALID },
		{ __LINE__, 300, "\"client-1\"", "https://idp.example", "n-2", PX_E_AUTH_TOKEN_INVALID },
		{ __LINE__, -120, "\"client-1\"", "https://idp.example", "n-1", PX_E_AUTH_TOKEN_INVALID },
		{ __LINE__, -30, "\"client-1\"", "https://idp.example", "n-1", PX_OK }, /* skew */
	};
	struct json_object *p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = claims(time(NULL) + cases[i].exp_delta, cases[i].aud, "n-1");
		enum px_err e;

		p = json_tokener_parse(c);
		e = px_jwt_check_claims(p, cases[i].iss, "client-1", cases[i].nonce, time(NULL));
		ck_assert_msg(e == cases[i].want, "line %d: want %d got %d", cases[i].line,
			      cases[i].want, e);
		json_object_put(p);
		free(c);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jwt");
	TCase *tc = tcase_create("jwt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rs256_and_es256_accepted);
	tcase_add_test(tc, test_tampering_and_algorithms_refused);
	tcase_add_test(tc, test_claims_checked);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
