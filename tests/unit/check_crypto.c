/* check_crypto.c: digests, HMAC, tokens, the AES-256-GCM field
 * helper, and the name and password rules built on them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "auth/ident.h"
#include "auth/pwpolicy.h"
#include "tests/unit/run_suite.h"

static struct px_cfg *load_cfg(const char *secret)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_cfg *c = NULL;

	setenv("PLEXICHAT_SECRET_KEY", secret, 1);
	ck_assert_msg(px_cfg_load(NULL, &c, &err) == 0, "cfg: %s", err.data);
	px_buf_free(&err);
	return c;
}

START_TEST(test_sha256_hmac)
{
	unsigned char mac[32];
	struct px_buf b = PX_BUF_INIT;
	char hex[65];

	px_crypto_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2 */
	px_crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	px_codec_hex_encode(&b, mac, sizeof(mac));
	ck_assert_str_eq(b.data, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	px_buf_free(&b);
	ck_assert(px_crypto_memeq("abc", "abc", 3));
	ck_assert(!px_crypto_memeq("abc", "abd", 3));
	ck_assert(px_crypto_streq("token", "token"));
	ck_assert(!px_crypto_streq("token", "token2"));
	ck_assert(!px_crypto_streq(NULL, "x"));
}
END_TEST

START_TEST(test_tokens_unique)
{
	char a[PX_TOKEN_MAX], b[PX_TOKEN_MAX];

	ck_assert_int_eq(px_crypto_token("pxs_", a, sizeof(a)), 0);
	ck_assert_int_eq(px_crypto_token("pxs_", b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), 4 + 43); /* 256 bits */
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(px_crypto_token("pxs_", a, 20), -1);
}
END_TEST

START_TEST(test_field_seal)
{
	struct px_cfg *c = load_cfg("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	struct px_cfg *other = NULL;
	struct px_buf s = PX_BUF_INIT, s2 = PX_BUF_INIT, p = PX_BUF_INIT;
	char *tampered;

	ck_assert_int_eq(px_crypto_seal(c, "totp:1", "secret!", 7, &s), PX_OK);
	ck_assert_int_eq(px_crypto_seal(c, "totp:1", "secret!", 7, &s2), PX_OK);
	ck_assert(strncmp(s.data, "v1.", 3) == 0);
	ck_assert_str_ne(s.data, s2.data); /* fresh nonce each time */
	ck_assert_int_eq(px_crypto_open(c, "totp:1", s.data, &p), PX_OK);
	ck_assert_str_eq(p.data, "secret!");
	px_buf_reset(&p);
	ck_assert_int_eq(px_crypto_open(c, "totp:2", s.data, &p), PX_E_AUTH_TOKEN_INVALID);
	tampered = strdup(s.data);
	tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(px_crypto_open(c, "totp:1", tampered, &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(px_crypto_open(c, "totp:1", "v1.AAAA", &p), PX_E_AUTH_TOKEN_INVALID);
	ck_assert_int_eq(px_crypto_open(c, "totp:1", "garbage", &p), PX_E_AUTH_TOKEN_INVALID);
	other = load_cfg("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
	ck_assert_int_eq(px_crypto_open(other, "totp:1", s.data, &p), PX_E_AUTH_TOKEN_INVALID);
	px_cfg_free(other);
	other = load_cfg("short");
	ck_assert_int_eq(px_crypto_seal(other, "x", "a", 1, &s2), PX_E_SYSTEM_INTERNAL);
	free(tampered);
	px_cfg_free(other);
	px_cfg_free(c);
	px_buf_free(&s);
	px_buf_free(&s2);
	px_buf_free(&p);
}
END_TEST

START_TEST(test_usernames)
{
	static const struct {
		int line;
		const char *name;
		enum px_err want;
		int reserved;
	} cases[] = {
		{ __LINE__, "alice", PX_OK, 0 },
		{ __LINE__, "Zoë_99", PX_OK, 0 },
		{ __LINE__, "дмитрий", PX_OK, 0 },
		{ __LINE__, "山田太郎", PX_OK, 0 },
		{ __LINE__, "ab", PX_E_VALIDATION_FIELD_LENGTH, 0 },
		{ __LINE__, "abcdefghijklmnopqrstuvwxyz0123456", PX_E_VALIDATION_FIELD_LENGTH, 0 },
		{ __LINE__, "with space", PX_E_VALIDATION_FIELD_FORMAT, 0 },
		{ __LINE__, "-dash", PX_E_VALIDATION_FIELD_FORMAT, 0 },
		{ __LINE__, "dot.", PX_E_VALIDATION_FIELD_FORMAT, 0 },
		{ __LINE__, "ｆｕｌｌ", PX_E_VALIDATION_FIELD_FORMAT, 0 },
		{ __LINE__, "zero\xe2\x80\x8bwidth", PX_E_VALIDATION_FIELD_FORMAT, 0 },
		{ __LINE__, "p\xd0\xb0ypal", PX_E_VALIDATION_USERNAME_CONFUSABLE, 0 },
		{ __LINE__, "ADMIN", PX_OK, 1 },
		{ __LINE__, "r00t", PX_OK, 1 },
		{ __LINE__, "support", PX_OK, 1 },
	};
	struct px_buf sk = PX_BUF_INIT;
	const char *reason;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum px_err e;

		px_buf_reset(&sk);
		e = px_ident_username(cases[i].name, &sk, &reason);
		ck_assert_msg(e == cases[i].want, "line %d (%s): want %d got %d (%s)",
			      cases[i].line, cases[i].name, cases[i].want, e, reason);
		if (e == PX_OK)
			ck_assert_msg(px_ident_reserved(sk.data) == cases[i].reserved,
				      "line %d: reserved want %d", cases[i].line,
				      cases[i].reserved);
	}
	px_buf_free(&sk);
}
END_TEST

/* Names that look alike share a skeleton. */
START_TEST(test_skeletons)
{
	static const char *const same[][2] = {
		{ "modern", "rnodern" }, { "Alice", "alice" }, { "paul1", "paull" },
	};
	struct px_buf a = PX_BUF_INIT, b = PX_BUF_INIT;
	const char *reason;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		px_buf_reset(&a);
		px_buf_reset(&b);
		ck_assert_int_eq(px_ident_username(same[i][0], &a, &reason), PX_OK);
		ck_assert_int_eq(px_ident_username(same[i][1], &b, &reason), PX_OK);
		ck_assert_msg(strcmp(a.data, b.data) == 0, "%s vs %s: %s != %s",
			      same[i][0], same[i][1], a.data, b.data);
	}
	px_buf_free(&a);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_email_display_password)
{
	const char *r;

	ck_assert_int_eq(px_ident_email("ann@example.org"), PX_OK);
	ck_assert_int_eq(px_ident_email("a.b+c@mail.example.org"), PX_OK);
	ck_assert_int_eq(px_ident_email("no-at.example"), PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_ident_email("a@localhost"), PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_ident_email("a..b@x.org"), PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_ident_email("a@-x.org"), PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_ident_display_name("Ann O'Neil"), PX_OK);
	ck_assert_int_eq(px_ident_display_name(" lead"), PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_ident_display_name("a\xe2\x80\xae" "b"), PX_E_VALIDATION_FIELD_FORMAT);
	ck_assert_int_eq(px_ident_display_name(""), PX_E_VALIDATION_FIELD_LENGTH);
	ck_assert_int_eq(px_pwpolicy_check("short", NULL, &r), PX_E_VALIDATION_WEAK_PASSWORD);
	ck_assert_str_eq(r, "too_short");
	ck_assert_int_eq(px_pwpolicy_check("Password123", NULL, &r), PX_E_VALIDATION_WEAK_PASSWORD);
	ck_assert_str_eq(r, "common");
	ck_assert_int_eq(px_pwpolicy_check("qwertyuiop", NULL, &r), PX_E_VALIDATION_WEAK_PASSWORD);
	ck_assert_int_eq(px_pwpolicy_check("longusername1", "LongUserName1", &r),
			 PX_E_VALIDATION_WEAK_PASSWORD);
	ck_assert_str_eq(r, "username");
	ck_assert_int_eq(px_pwpolicy_check("glass-otter-ribbon", NULL, &r), PX_OK);
	ck_assert_int_eq(px_pwpolicy_check("ünïcødé-pässwörd", NULL, &r), PX_OK);
	ck_assert_int_eq(px_pwpolicy_check("éééééééé", NULL, &r), PX_E_VALIDATION_WEAK_PASSWORD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("crypto");

	tcase_add_test(tc, test_sha256_hmac);
	tcase_add_test(tc, test_tokens_unique);
	tcase_add_test(tc, test_field_seal);
	tcase_add_test(tc, test_usernames);
	tcase_add_test(tc, test_skeletons);
	tcase_add_test(tc, test_email_display_password);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
