/* check_totp.c: RFC 6238 vectors (from the shared spec folder when present,
 * plus embedded ones), the verification window and replay rule, base32
 * and otpauth URIs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/totp.h"
#include "tests/unit/run_suite.h"

static const char k20[] = "12345678901234567890";
static const char k32[] = "12345678901234567890123456789012";
static const char k64[] =
	"1234567890123456789012345678901234567890123456789012345678901234";

static const struct {
	int line;
	long long t;
	enum px_totp_alg alg;
	const char *want;
} vectors[] = {
	{ __LINE__, 59, PX_TOTP_SHA1, "94287082" },
	{ __LINE__, 59, PX_TOTP_SHA256, "46119246" },
	{ __LINE__, 59, PX_TOTP_SHA512, "90693936" },
	{ __LINE__, 1111111109, PX_TOTP_SHA1, "07081804" },
	{ __LINE__, 1234567890, PX_TOTP_SHA1, "89005924" },
	{ __LINE__, 2000000000, PX_TOTP_SHA1, "69279037" },
	{ __LINE__, 20000000000LL, PX_TOTP_SHA1, "65353130" },
	{ __LINE__, 20000000000LL, PX_TOTP_SHA256, "77737706" },
	{ __LINE__, 20000000000LL, PX_TOTP_SHA512, "47863826" },
};

static const char *key_for(enum px_totp_alg a)
{
	return a == PX_TOTP_SHA256 ? k32 : a == PX_TOTP_SHA512 ? k64 : k20;
}

START_TEST(test_embedded_vectors)
{
	char got[9];
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *k = key_for(vectors[i].alg);

		ck_assert_int_eq(px_totp_code(vectors[i].alg, (const unsigned char *)k,
					      strlen(k), (uint64_t)(vectors[i].t / 30), 8, got), 0);
		ck_assert_msg(strcmp(got, vectors[i].want) == 0,
			      "line %d: want %s got %s", vectors[i].line, vectors[i].want, got);
	}
}
END_TEST

static enum px_totp_alg parse_alg(const char *s)
{
	return !strcmp(s, "SHA256") ? PX_TOTP_SHA256 : !strcmp(s, "SHA512") ? PX_TOTP_SHA512
									   : PX_TOTP_SHA1;
}

/* The shared TSV: unix_time, T_hex, algorithm, key_ascii, totp. */
START_TEST(test_spec_file_vectors)
{
	char path[4096], line[512], alg[16], key[80], want[16], got[9];
	long long t;
	int n = 0, lineno = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/../shared/specs/rfc6238-totp/totp-vectors.tsv",
		 PX_SRCDIR);
	if (!(fp = fopen(path, "r")))
		return; /* the spec folder is optional; the embedded cases run anyway */
	while (fgets(line, sizeof(line), fp)) {
		if (lineno++ == 0)
			continue;
		ck_assert_int_eq(sscanf(line, "%lld %*s %15s %79s %15s", &t, alg, key, want), 4);
		ck_assert_int_eq(px_totp_code(parse_alg(alg), (const unsigned char *)key,
					      strlen(key), (uint64_t)(t / 30), 8, got), 0);
		ck_assert_msg(strcmp(got, want) == 0, "spec line %d (%s @%lld): want %s got %s",
			      lineno, alg, t, want, got);
		n++;
	}
	fclose(fp);
	ck_assert_int_eq(n, 18);
}
END_TEST

START_TEST(test_six_digits_and_window)
{
	const unsigned char *k = (const unsigned char *)k20;
	char code[9];
	time_t now = 1111111109; /* step 37037036 */
	long long step = now / 30;

	ck_assert_int_eq(px_totp_code(PX_TOTP_SHA1, k, 20, (uint64_t)step, 6, code), 0);
	ck_assert_str_eq(code, "081804"); /* last 6 digits of 07081804 */
	ck_assert_int_eq(px_totp_verify(k, 20, code, now, 0), step);
	ck_assert_int_eq(px_totp_verify(k, 20, code, now + 30, 0), step);  /* -1 step */
	ck_assert_int_eq(px_totp_verify(k, 20, code, now - 30, 0), step);  /* +1 step */
	ck_assert_int_eq(px_totp_verify(k, 20, code, now + 60, 0), -1);    /* outside */
	ck_assert_int_eq(px_totp_verify(k, 20, code, now, step), -1);      /* replay */
	ck_assert_int_eq(px_totp_verify(k, 20, "000000", now, 0) == step, 0);
	ck_assert_int_eq(px_totp_verify(k, 20, "12345", now, 0), -1);
	ck_assert_int_eq(px_totp_code(PX_TOTP_SHA1, k, 20, 1, 5, code), -1);
}
END_TEST

START_TEST(test_base32)
{
	static const struct {
		int line;
		const char *raw, *b32;
	} cases[] = {
		{ __LINE__, "", "" },
		{ __LINE__, "f", "MY" },
		{ __LINE__, "foobar", "MZXW6YTBOI" },
		{ __LINE__, "12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
	};
	struct px_buf b = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		px_buf_reset(&b);
		px_base32_encode(&b, (const unsigned char *)cases[i].raw, strlen(cases[i].raw));
		ck_assert_msg(strcmp(b.data, cases[i].b32) == 0, "line %d: want %s got %s",
			      cases[i].line, cases[i].b32, b.data);
		px_buf_reset(&b);
		ck_assert_int_eq(px_base32_decode(cases[i].b32, &b), 0);
		ck_assert_msg(b.len == strlen(cases[i].raw) && !memcmp(b.data, cases[i].raw, b.len),
			      "line %d: decode mismatch", cases[i].line);
	}
	px_buf_reset(&b);
	ck_assert_int_eq(px_base32_decode("mzxw6ytboi", &b), 0);
	ck_assert_str_eq(b.data, "foobar");
	px_buf_reset(&b);
	ck_assert_int_eq(px_base32_decode("MZ1W", &b), -1);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_uri_and_qr)
{
	struct px_buf b = PX_BUF_INIT;

	px_totp_uri(&b, "Plexi Chat", "ann@example", "ABC");
	ck_assert_str_eq(b.data, "otpauth://totp/Plexi%20Chat:ann%40example?secret=ABC"
				 "&issuer=Plexi%20Chat&algorithm=SHA1&digits=6&period=30");
	px_buf_reset(&b);
	ck_assert_int_eq(px_totp_qr_svg("otpauth://totp/x?secret=ABC", &b), 0);
	ck_assert(strncmp(b.data, "<svg ", 5) == 0);
	ck_assert(strstr(b.data, "</svg>") != NULL);
	px_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");

	tcase_add_test(tc, test_embedded_vectors);
	tcase_add_test(tc, test_spec_file_vectors);
	tcase_add_test(tc, test_six_digits_and_window);
	tcase_add_test(tc, test_base32);
	tcase_add_test(tc, test_uri_and_qr);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
