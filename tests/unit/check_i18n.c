/* check_i18n.c: message catalogs, language negotiation, locale formats,
 * and the page helpers of web/webpage.c that need no server. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/http.h"
#include "web/i18n.h"
#include "web/webpage.h"
#include "tests/unit/run_suite.h"

static const struct px_i18n *cat(void)
{
	struct px_buf err = PX_BUF_INIT;
	const struct px_i18n *t = px_i18n_get(PX_BUILDDIR "/po", &err);

	ck_assert_msg(t != NULL, "out of memory");
	ck_assert_msg(err.len == 0, "catalog errors: %s", err.data);
	px_buf_free(&err);
	return t;
}

START_TEST(test_lookup)
{
	static const struct {
		int line;
		const char *lang, *ctx, *msgid, *want;
	} cases[] = {
		{ __LINE__, "de", NULL, "Sign in", "Anmelden" },
		{ __LINE__, "en", NULL, "Sign in", "Sign in" },
		{ __LINE__, "de", NULL, "no such text", "no such text" },
		{ __LINE__, "fr", NULL, "Sign in", "Sign in" },
		{ __LINE__, "de", "month", "Mar", "März" },
		{ __LINE__, "de", "nope", "Mar", "Mar" },
		{ __LINE__, "de", NULL, "Mar", "Mar" },
		{ __LINE__, "de", NULL, "", "" },
		{ __LINE__, "de", NULL, "Authentication is required.", "Bitte melden Sie sich an." },
	};
	const struct px_i18n *t = cat();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = px_i18n_pgettext(t, cases[i].lang, cases[i].ctx,
						   cases[i].msgid);
		ck_assert_msg(strcmp(got, cases[i].want) == 0,
			      "line %d: want '%s' got '%s'", cases[i].line,
			      cases[i].want, got);
	}
	ck_assert_ptr_eq(px_i18n_get(PX_BUILDDIR "/po", NULL), t);
}
END_TEST

/* Texts that read the same in German. */
static int same_in_german(const char *s)
{
	return strcmp(s, "PlexiChat") == 0 || strcmp(s, "Status") == 0 ||
	       strcmp(s, "online") == 0 || strcmp(s, "offline") == 0 ||
	       strcmp(s, "Version") == 0;
}

START_TEST(test_every_text_translated)
{
	static const char *const ui[] = {
#define S(key, msgid) msgid,
#include "web/ui_strings.def"
#undef S
	};
	const struct px_i18n *t = cat();
	int bad = 0, e;
	size_t i;

	for (i = 0; i < sizeof(ui) / sizeof(ui[0]); i++)
		if (strcmp(px_i18n_gettext(t, "de", ui[i]), ui[i]) == 0 &&
		    !same_in_german(ui[i])) {
			fprintf(stderr, "no German for UI text '%s'\n", ui[i]);
			bad++;
		}
	ck_assert_msg(bad == 0, "%d UI text(s) without a German translation", bad);
	/* Error messages are added by every area: a missing translation shows
	 * the English text, so it is reported here but does not fail. */
	for (e = 1; e < PX_E__COUNT; e++) {
		const char *m = px_err_message((enum px_err)e);

		if (strcmp(px_i18n_gettext(t, "de", m), m) == 0)
			fprintf(stderr, "note: no German for error '%s' (po/de.po)\n", m);
	}
	ck_assert_str_eq(px_i18n_gettext(t, "de", px_err_message(PX_E_AUTH_CSRF_FAILED)),
			 "Das Formular ist abgelaufen; bitte laden Sie die Seite neu "
			 "und versuchen Sie es noch einmal.");
}
END_TEST

START_TEST(test_plural)
{
	const struct px_i18n *t = cat();

	ck_assert_str_eq(px_i18n_ngettext(t, "en", "1 file", "%d files", 1), "1 file");
	ck_assert_str_eq(px_i18n_ngettext(t, "en", "1 file", "%d files", 2), "%d files");
	ck_assert_str_eq(px_i18n_ngettext(t, "de", "1 file", "%d files", 0), "%d files");
}
END_TEST

START_TEST(test_negotiate)
{
	static const struct {
		int line;
		const char *header, *want;
	} cases[] = {
		{ __LINE__, NULL, "en" },
		{ __LINE__, "", "en" },
		{ __LINE__, "de", "de" },
		{ __LINE__, "de-AT,de;q=0.9", "de" },
		{ __LINE__, "DE-de", "de" },
		{ __LINE__, "fr-FR,fr;q=0.9,de;q=0.5,en;q=0.4", "de" },
		{ __LINE__, "en;q=0.2, de;q=0.8", "de" },
		{ __LINE__, "de;q=0, en;q=0.1", "en" },
		{ __LINE__, "fr, es", "en" },
		{ __LINE__, "*", "en" },
		{ __LINE__, ";;;,,,q=", "en" },
		{ __LINE__, "deutsch", "en" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = px_i18n_negotiate(cases[i].header);

		ck_assert_msg(strcmp(got, cases[i].want) == 0,
			      "line %d: '%s': want %s got %s", cases[i].line,
			      cases[i].header ? cases[i].header : "(null)",
			      cases[i].want, got);
	}
}
END_TEST

START_TEST(test_formats)
{
	static const struct {
		int line;
		const char *lang;
		long long n;
		const char *want_date, *want_int;
	} cases[] = {
		/* 2026-03-05 14:07:09 UTC */
		{ __LINE__, "en", 1772719629LL, "Mar 5, 2026, 14:07", "1,772,719,629" },
		{ __LINE__, "de", 1772719629LL, "5. März 2026, 14:07", "1.772.719.629" },
		{ __LINE__, "xx", 0, "1970-01-01 00:00", "0" },
		{ __LINE__, "de", -1234, "31. Dez. 1969, 23:39", "-1.234" },
		{ __LINE__, "en", 999, "Jan 1, 1970, 00:16", "999" },
	};
	const struct px_i18n *t = cat();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct px_buf d = PX_BUF_INIT, n = PX_BUF_INIT;

		px_i18n_datetime(t, cases[i].lang, (time_t)cases[i].n, &d);
		px_i18n_int(t, cases[i].lang, cases[i].n, &n);
		ck_assert_msg(d.data && strcmp(d.data, cases[i].want_date) == 0,
			      "line %d: date want '%s' got '%s'", cases[i].line,
			      cases[i].want_date, d.data);
		ck_assert_msg(n.data && strcmp(n.data, cases[i].want_int) == 0,
			      "line %d: int want '%s' got '%s'", cases[i].line,
			      cases[i].want_int, n.data);
		px_buf_free(&d);
		px_buf_free(&n);
	}
}
END_TEST

START_TEST(test_sizes)
{
	static const struct {
		int line;
		const char *lang;
		long long n;
		const char *want;
	} cases[] = {
		{ __LINE__, "en", 0, "0 B" },
		{ __LINE__, "en", 1023, "1023 B" },
		{ __LINE__, "en", 1024, "1 KB" },
		{ __LINE__, "en", 1536, "1.5 KB" },
		{ __LINE__, "de", 1536, "1,5 KB" },
		{ __LINE__, "en", 10 * 1024 - 1, "10 KB" },
		{ __LINE__, "en", 123 * 1024 + 900, "124 KB" },
		{ __LINE__, "en", 23LL * 1024 * 1024, "23 MB" },
		{ __LINE__, "de", 5LL * 1024 * 1024 * 1024 / 2, "2,5 GB" },
		{ __LINE__, "en", 3LL << 50, "3072 TB" },
	};
	const struct px_i18n *t = cat();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct px_buf b = PX_BUF_INIT;

		px_i18n_size(t, cases[i].lang, cases[i].n, &b);
		ck_assert_msg(b.data && strcmp(b.data, cases[i].want) == 0,
			      "line %d: want '%s' got '%s'", cases[i].line, cases[i].want, b.data);
		px_buf_free(&b);
	}
}
END_TEST

/* A folder with a truncated and a garbage catalog: lookups fall back to
 * the msgid and the reasons are reported. */
START_TEST(test_bad_catalogs)
{
	char dir[] = "/tmp/px-i18n-XXXXXX", path[256];
	struct px_buf err = PX_BUF_INIT;
	const struct px_i18n *t;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/de.mo", dir);
	fp = fopen(path, "wb");
	/* valid magic, 1000 strings, tables far past the end */
	fwrite("\xde\x12\x04\x95\0\0\0\0\xe8\x03\0\0\x1c\0\0\0\xff\xff\0\0"
	       "\0\0\0\0\0\0\0\0", 1, 28, fp);
	fclose(fp);
	t = px_i18n_get(dir, &err);
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(err.data && strstr(err.data, "de.mo: not a valid .mo file"),
		      "got '%s'", err.data);
	ck_assert_msg(strstr(err.data, "en.mo: cannot read"), "got '%s'", err.data);
	ck_assert_str_eq(px_i18n_gettext(t, "de", "Sign in"), "Sign in");
	unlink(path);
	rmdir(dir);
	px_buf_free(&err);
}
END_TEST

START_TEST(test_local_path)
{
	static const struct {
		int line;
		const char *s;
		int want;
	} cases[] = {
		{ __LINE__, "/", 1 },
		{ __LINE__, "/c/general?x=1", 1 },
		{ __LINE__, "//evil.example/", 0 },
		{ __LINE__, "/\\evil.example", 0 },
		{ __LINE__, "https://evil.example/", 0 },
		{ __LINE__, "javascript:alert(1)", 0 },
		{ __LINE__, "/a\r\nSet-Cookie: x=1", 0 },
		{ __LINE__, "", 0 },
		{ __LINE__, NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(px_webpage_local_path(cases[i].s) == cases[i].want,
			      "line %d: want %d", cases[i].line, cases[i].want);
}
END_TEST

START_TEST(test_security_headers)
{
	static const char *const want[] = {
		"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self';",
		"frame-ancestors 'none'", "X-Content-Type-Options: nosniff",
		"Referrer-Policy: same-origin", "Permissions-Policy: camera=()",
		"X-Frame-Options: DENY", "Cache-Control: no-store",
	};
	struct px_response w;
	size_t i;

	px_response_init(&w);
	px_webpage_security_headers(&w, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(w.headers.data, want[i]), "missing %s in %s",
			      want[i], w.headers.data);
	ck_assert_msg(!strstr(w.headers.data, "unsafe-inline"), "inline allowed");
	ck_assert_msg(!strstr(w.headers.data, "Strict-Transport-Security"),
		      "HSTS over plain HTTP");
	px_response_clear(&w);
	px_webpage_security_headers(&w, 1);
	ck_assert_msg(strstr(w.headers.data, "Strict-Transport-Security: max-age="),
		      "no HSTS over HTTPS");
	px_response_clear(&w);
}
END_TEST

START_TEST(test_wants_html)
{
	static const struct {
		int line;
		const char *path, *accept;
		int want;
	} cases[] = {
		{ __LINE__, "/c/general", "text/html,application/xhtml+xml", 1 },
		{ __LINE__, "/c/general", NULL, 0 },
		{ __LINE__, "/c/general", "application/json", 0 },
		{ __LINE__, "/api/v1/channels", "text/html", 0 },
		{ __LINE__, "/static/x.css", "text/html", 0 },
		{ __LINE__, "/apiary", "text/html", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct px_request r;

		px_request_init(&r);
		r.raw_path = strdup(cases[i].path);
		if (cases[i].accept)
			px_kvlist_add(&r.headers, "accept", 6, cases[i].accept,
				      strlen(cases[i].accept));
		ck_assert_msg(px_webpage_wants_html(&r) == cases[i].want,
			      "line %d: want %d", cases[i].line, cases[i].want);
		px_request_clear(&r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("i18n");
	TCase *tc = tcase_create("i18n");
	int rc;

	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_every_text_translated);
	tcase_add_test(tc, test_plural);
	tcase_add_test(tc, test_negotiate);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_bad_catalogs);
	tcase_add_test(tc, test_local_path);
	tcase_add_test(tc, test_security_headers);
	tcase_add_test(tc, test_wants_html);
	suite_add_tcase(s, tc);
	rc = px_check_run(s, CK_FORK_GETENV);
	px_i18n_free_all();
	return rc;
}
