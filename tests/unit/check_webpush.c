/* check_webpush.c: Web Push encryption against RFC 8291's worked example
 * (section 5 / Appendix A), the VAPID JWT checked the way a push service
 * checks it, refusals of bad keys and endpoints, and pushes refused before
 * any connection when the endpoint's name resolves to an address that is
 * not allowed (the fetcher's rules, core/safefetch.h). */
#include <check.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/webpush.h"
#include "tests/unit/run_suite.h"

/* RFC 8291's example, every value base64url as the RFC prints it. */
#define RFC_PLAIN "When I grow up, I want to be a watermelon"
#define RFC_AS_PRIV "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define RFC_AS_PUB "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
#define RFC_UA_PUB "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define RFC_AUTH "BTBZMqHH6r4Tts7J_aSIgg"
#define RFC_SALT "DGv6ra1nlYgDCS1FRnbzlw"
#define RFC_BODY "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"

static void b64(const char *s, unsigned char *out, size_t n)
{
	struct px_buf b = PX_BUF_INIT;

	ck_assert_int_eq(px_codec_b64_decode(s, strlen(s), PX_CODEC_B64_URL, &b), 0);
	ck_assert_uint_eq(b.len, n);
	memcpy(out, b.data, n);
	px_buf_free(&b);
}

START_TEST(test_rfc8291_example)
{
	unsigned char as_priv[32], as_pub[65], ua_pub[65], auth[16], salt[16];
	struct px_buf out = PX_BUF_INIT, text = PX_BUF_INIT;

	b64(RFC_AS_PRIV, as_priv, 32);
	b64(RFC_AS_PUB, as_pub, 65);
	b64(RFC_UA_PUB, ua_pub, 65);
	b64(RFC_AUTH, auth, 16);
	b64(RFC_SALT, salt, 16);
	ck_assert_int_eq(px_webpush_encrypt_with(ua_pub, auth, as_priv, as_pub, salt, RFC_PLAIN,
						 strlen(RFC_PLAIN), &out), PX_OK);
	px_codec_b64_encode(&text, out.data, out.len, PX_CODEC_B64_URL);
	ck_assert_msg(strcmp(text.data, RFC_BODY) == 0, "want %s\ngot  %s", RFC_BODY, text.data);
	px_buf_free(&out);
	px_buf_free(&text);
}
END_TEST

START_TEST(test_random_encrypt_shape)
{
	unsigned char ua_pub[65], auth[16], priv[32];
	struct px_buf a = PX_BUF_INIT, b = PX_BUF_INIT;

	ck_assert_int_eq(px_webpush_keygen(priv, ua_pub), PX_OK);
	memset(auth, 7, sizeof(auth));
	ck_assert_int_eq(px_webpush_encrypt(ua_pub, auth, "hi", 2, &a), PX_OK);
	ck_assert_int_eq(px_webpush_encrypt(ua_pub, auth, "hi", 2, &b), PX_OK);
	/* salt 16, rs 4096, idlen 65, key 65, then 2 + delimiter + tag 16 */
	ck_assert_uint_eq(a.len, 16 + 4 + 1 + 65 + 3 + 16);
	ck_assert_int_eq((unsigned char)a.data[16 + 2], 0x10);
	ck_assert_int_eq((unsigned char)a.data[20], 65);
	ck_assert_int_eq((unsigned char)a.data[21], 0x04);
	ck_assert(memcmp(a.data, b.data, 16) != 0);       /* fresh salt */
	ck_assert(memcmp(a.data + 21, b.data + 21, 65) != 0); /* fresh sender key */
	px_buf_free(&a);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_bad_input)
{
	unsigned char ua_pub[65], auth[16] = { 0 }, priv[32];
	static char big[PX_WEBPUSH_MAX_PLAIN + 1];
	struct px_buf out = PX_BUF_INIT;
	char origin[128];

	memset(ua_pub, 0, sizeof(ua_pub));
	ua_pub[0] = 0x04; /* (0, 0) is not on the curve */
	ck_assert_int_eq(px_webpush_encrypt(ua_pub, auth, "x", 1, &out),
			 PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_webpush_keygen(priv, ua_pub), PX_OK);
	ck_assert_int_eq(px_webpush_encrypt(ua_pub, auth, big, sizeof(big), &out),
			 PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_webpush_encrypt(ua_pub, auth, big, sizeof(big) - 1, &out), PX_OK);
	ck_assert_uint_le(out.len, 4096 + 86);
	px_buf_free(&out);
	ck_assert_int_eq(px_webpush_origin("https://push.example:8443/wpush/v2/x?y", origin,
					   sizeof(origin)), 0);
	ck_assert_str_eq(origin, "https://push.example:8443");
	ck_assert_int_eq(px_webpush_origin("ftp://push.example/", origin, sizeof(origin)), -1);
	ck_assert_int_eq(px_webpush_origin("https://u@push.example/", origin, sizeof(origin)), -1);
	ck_assert_int_eq(px_webpush_origin("https:///x", origin, sizeof(origin)), -1);
	{
		static const struct { int line; const char *url, *list; int want; } c[] = {
			{ __LINE__, "https://fcm.googleapis.com/fcm/send/x", "https://fcm.googleapis.com", 1 },
			{ __LINE__, "https://a.push.services.mozilla.com/wpush/v2/x",
			  "https://x.org, https://*.push.services.mozilla.com", 1 },
			{ __LINE__, "https://push.services.mozilla.com/x", "https://*.push.services.mozilla.com", 0 },
			{ __LINE__, "https://evilpush.services.mozilla.com/x", "https://*.push.services.mozilla.com", 0 },
			{ __LINE__, "http://fcm.googleapis.com/x", "https://fcm.googleapis.com", 0 },
			{ __LINE__, "https://fcm.googleapis.com:444/x", "https://fcm.googleapis.com", 0 },
			{ __LINE__, "http://127.0.0.1:24140/push/1", "http://127.0.0.1:24140", 1 },
			{ __LINE__, "http://127.0.0.1:24141/push/1", "http://127.0.0.1:24140", 0 },
			{ __LINE__, "https://127.0.0.1.evil/x", "https://127.0.0.1", 0 },
			{ __LINE__, "javascript:alert(1)", "https://*.x", 0 },
		};
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			ck_assert_msg(px_webpush_allowed(c[i].url, c[i].list) == c[i].want,
				      "line %d: %s in %s: want %d", c[i].line, c[i].url, c[i].list,
				      c[i].want);
	}
}
END_TEST

/* Verifies a JWS ES256 signature (raw r || s) over text with pub. */
static int verify(const unsigned char pub[65], const char *text, const unsigned char sig[64])
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int n, ok;

	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
	params = OSSL_PARAM_BLD_to_param(bld);
	ck_assert(EVP_PKEY_fromdata_init(pc) == 1);
	ck_assert(EVP_PKEY_fromdata(pc, &key, EVP_PKEY_PUBLIC_KEY, params) == 1);
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	n = i2d_ECDSA_SIG(es, &der);
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)n, (const unsigned char *)text, strlen(text)) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return ok;
}

START_TEST(test_vapid_jwt)
{
	unsigned char priv[32], pub[65], k[65], sig[64];
	struct px_buf out = PX_BUF_INIT, part = PX_BUF_INIT;
	char *t, *dot1, *dot2, *kk;

	ck_assert_int_eq(px_webpush_keygen(priv, pub), PX_OK);
	ck_assert_int_eq(px_webpush_vapid(priv, pub, "https://push.example", 1700000000,
					  "mailto:ops@example.org", &out), PX_OK);
	ck_assert(strncmp(out.data, "vapid t=", 8) == 0);
	t = out.data + 8;
	kk = strstr(t, ", k=");
	ck_assert_ptr_nonnull(kk);
	*kk = '\0';
	b64(kk + 4, k, 65);
	ck_assert(memcmp(k, pub, 65) == 0);
	dot1 = strchr(t, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	ck_assert_ptr_nonnull(dot2);
	ck_assert_int_eq(px_codec_b64_decode(t, (size_t)(dot1 - t), PX_CODEC_B64_URL, &part), 0);
	ck_assert_str_eq(part.data, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}");
	px_buf_reset(&part);
	ck_assert_int_eq(px_codec_b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
					     PX_CODEC_B64_URL, &part), 0);
	ck_assert_str_eq(part.data,
			 "{\"aud\":\"https://push.example\",\"exp\":1700000000,\"sub\":\"mailto:ops@example.org\"}");
	b64(dot2 + 1, sig, 64);
	*dot2 = '\0';
	ck_assert(verify(pub, t, sig));
	sig[5] ^= 1;
	ck_assert(!verify(pub, t, sig));
	px_buf_free(&out);
	px_buf_free(&part);
}
END_TEST

/* A resolver answering one address, counting its calls. */
struct one_answer {
	const char *addr;
	int calls;
};

static int answer(void *arg, const char *host, struct sockaddr_storage *out, int max)
{
	struct one_answer *o = arg;
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

	(void)host;
	o->calls++;
	if (max < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, o->addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		return 1;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, o->addr, &v6->sin6_addr), 1);
	v6->sin6_family = AF_INET6;
	return 1;
}

START_TEST(test_post_refused_addresses)
{
	static const struct {
		int line;
		const char *addr, *allow;
	} c[] = {
		{ __LINE__, "127.0.0.1", "" },
		{ __LINE__, "::ffff:127.0.0.1", "" },
		{ __LINE__, "::1", "" },
		{ __LINE__, "10.0.0.5", "" },
		{ __LINE__, "10.0.0.5", "10.1.0.0/16" },
		{ __LINE__, "169.254.169.254", "169.254.0.0/16" }, /* metadata: never */
		{ __LINE__, "fd00:ec2::254", "fd00::/8" },
		{ __LINE__, "192.168.1.20", NULL },
	};
	struct px_buf body = PX_BUF_INIT;
	char detail[300];
	size_t i;

	px_buf_puts(&body, "x");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct one_answer o = { c[i].addr, 0 };
		struct px_webpush_target to = { c[i].allow, answer, &o };
		int status = -1;
		enum px_err e = px_webpush_post("https://push.example/wpush/1", "vapid t=x, k=y",
						&body, 60, "normal", &to, &status, detail,
						sizeof(detail));

		ck_assert_msg(e == PX_E_SECURITY_SSRF_BLOCKED && status == 0 && o.calls == 1,
			      "line %d: %s: %s status %d calls %d (%s)", c[i].line, c[i].addr,
			      px_err_name(e), status, o.calls, detail);
		ck_assert_msg(strstr(detail, "refused_address") != NULL, "line %d: %s", c[i].line,
			      detail);
	}
	/* an address literal in the endpoint is judged as well */
	{
		struct px_webpush_target to = { "", NULL, NULL };
		int status = -1;

		ck_assert_int_eq(px_webpush_post("http://[::ffff:127.0.0.1]:9/x", "v", &body, 60,
						 "normal", &to, &status, NULL, 0),
				 PX_E_SECURITY_SSRF_BLOCKED);
		ck_assert_int_eq(px_webpush_post("ftp://push.example/x", "v", &body, 60, "normal",
						 &to, &status, NULL, 0),
				 PX_E_VALIDATION_FIELD_FORMAT);
	}
	px_buf_free(&body);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webpush");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rfc8291_example);
	tcase_add_test(tc, test_random_encrypt_shape);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_vapid_jwt);
	tcase_add_test(tc, test_post_refused_addresses);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
