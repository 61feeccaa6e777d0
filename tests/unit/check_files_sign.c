/* check_files_sign.c: signed download URLs (handlers/files_sign.h): the
 * documented MAC (a vector made independently, with Python's hmac), the
 * round trip, and every changed field refused. The same vector is what
 * lighttpd's script computes (tests/integration/test_files_signed.py
 * checks that side). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "handlers/files_sign.h"
#include "tests/unit/run_suite.h"

#define KEY "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" /* 32 */
#define OBJ "abababababababababababababababababababababababababababababababab"
#define T64 "aW1hZ2UvcG5n"                          /* image/png */
#define D64 "aW5saW5lOyBmaWxlbmFtZT0iYS5wbmci"      /* inline; filename="a.png" */
#define MAC "5d85bc69ddccda163e52cbc60b5bb0c4e4d3af981ab05ef7141551a2f47e0fb6"
#define NOW 1750000000LL

static struct px_cfg *load(const char *key)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_cfg *c = NULL;

	setenv("PLEXICHAT_FILES_URL_KEY", key, 1);
	ck_assert_msg(px_cfg_load(NULL, &c, &err) == 0, "cfg: %s", err.data);
	px_buf_free(&err);
	return c;
}

static enum px_err check(struct px_cfg *c, long long fid, const char *o, const char *m,
			 const char *e, const char *t, const char *d, const char *s)
{
	struct px_hf_signed v;
	enum px_err r = px_hf_sign_check(c, fid, o, m, e, t, d, s, NOW, &v);

	if (r == PX_OK) {
		ck_assert_int_eq(v.fid, fid);
		ck_assert_str_eq(v.type.data, "image/png");
		ck_assert_str_eq(v.disposition.data, "inline; filename=\"a.png\"");
		ck_assert_int_eq(v.mtime, 1700000000LL);
	}
	px_hf_signed_free(&v);
	return r;
}

START_TEST(test_vector)
{
	struct px_cfg *c = load(KEY);
	struct px_buf url = PX_BUF_INIT;

	ck_assert(px_hf_sign_enabled(c));
	ck_assert_int_eq(px_hf_sign_url(c, 42, OBJ, 1700000000LL, "image/png",
					"inline; filename=\"a.png\"", 1800000000LL, &url), 0);
	ck_assert_str_eq(url.data, "/api/v1/files/42/signed?o=" OBJ "&m=1700000000&e=1800000000"
				   "&t=" T64 "&d=" D64 "&s=" MAC);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64, D64, MAC), PX_OK);
	px_buf_free(&url);
	px_cfg_free(c);
}
END_TEST

START_TEST(test_changed_fields)
{
	struct px_cfg *c = load(KEY);
	const char *upper = "5D85BC69DDCCDA163E52CBC60B5BB0C4E4D3AF981AB05EF7141551A2F47E0FB6";
	const char *bad_mac = "5d85bc69ddccda163e52cbc60b5bb0c4e4d3af981ab05ef7141551a2f47e0fb7";
	const char *other_obj = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";

	/* hex of either case, as lighttpd's digest_eq */
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64, D64, upper), PX_OK);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64, D64, bad_mac),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 43, OBJ, "1700000000", "1800000000", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, other_obj, "1700000000", "1800000000", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000001", "1800000000", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000001", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "+1800000000", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", "dGV4dC9odG1s", D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64, T64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64 "=", D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, NULL, "1700000000", "1800000000", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64, D64, NULL),
			 PX_E_FILES_URL_INVALID);
	px_cfg_free(c);
}
END_TEST

START_TEST(test_expiry_after_mac)
{
	struct px_cfg *c = load(KEY);
	struct px_buf url = PX_BUF_INIT;
	char mac[65];
	const char *s;

	/* a genuine URL past its expiry: expired; with a wrong MAC: invalid */
	ck_assert_int_eq(px_hf_sign_url(c, 42, OBJ, 1700000000LL, "image/png",
					"inline; filename=\"a.png\"", NOW - 1, &url), 0);
	s = strstr(url.data, "&s=") + 3;
	snprintf(mac, sizeof(mac), "%s", s);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1749999999", T64, D64, mac),
			 PX_E_FILES_URL_EXPIRED);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1749999999", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	px_buf_free(&url);
	px_cfg_free(c);
}
END_TEST

START_TEST(test_key_and_values)
{
	struct px_cfg *c = load("short");
	struct px_buf url = PX_BUF_INIT;

	/* no usable key: nothing issued, everything refused */
	ck_assert(!px_hf_sign_enabled(c));
	ck_assert_int_ne(px_hf_sign_url(c, 42, OBJ, 1, "image/png", "inline", NOW + 60, &url), 0);
	ck_assert_int_eq(check(c, 42, OBJ, "1700000000", "1800000000", T64, D64, MAC),
			 PX_E_FILES_URL_INVALID);
	px_cfg_free(c);
	c = load(KEY "\"quote");
	ck_assert(!px_hf_sign_enabled(c));
	px_cfg_free(c);
	c = load(KEY);
	/* a value that could not be a header line is never signed */
	ck_assert_int_ne(px_hf_sign_url(c, 42, "AB" OBJ, 1, "image/png", "inline", NOW + 60, &url),
			 0);
	px_buf_reset(&url);
	ck_assert_int_eq(px_hf_sign_url(c, 42, OBJ, 1, "image/png", "inline\r\nX: y", NOW + 60,
					&url), 0);
	{
		/* ...and a URL carrying one is refused even with a good MAC */
		const char *t = strstr(url.data, "&t=") + 3, *d = strstr(url.data, "&d=") + 3,
			   *s = strstr(url.data, "&s=") + 3;
		char tt[64], dd[64];

		snprintf(tt, sizeof(tt), "%.*s", (int)(strchr(t, '&') - t), t);
		snprintf(dd, sizeof(dd), "%.*s", (int)(strchr(d, '&') - d), d);
		ck_assert_int_eq(check(c, 42, OBJ, "1", "1750000060", tt, dd, s),
				 PX_E_FILES_URL_INVALID);
	}
	px_buf_free(&url);
	px_cfg_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("files_sign");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_vector);
	tcase_add_test(tc, test_changed_fields);
	tcase_add_test(tc, test_expiry_after_mac);
	tcase_add_test(tc, test_key_and_values);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
