/* check_markdown.c: Markdown rendering is safe (no raw HTML, no script
 * URLs), bounded (bombs refused or small, and fast) and finds mentions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/markdown.h"
#include "tests/unit/run_suite.h"

static const struct {
	int line;
	const char *src;
	const char *must;      /* substring the HTML must hold, or NULL */
	const char *must_not;  /* substring it must not hold, or NULL */
} render_cases[] = {
	{ __LINE__, "**bold** and _it_", "<strong>bold</strong>", NULL },
	{ __LINE__, "<script>alert(1)</script>", "raw HTML omitted", "<script" },
	{ __LINE__, "<img src=x onerror=alert(1)>", NULL, "onerror" },
	{ __LINE__, "[x](javascript:alert(1))", "<a href=\"\">", "javascript:" },
	{ __LINE__, "[x](vbscript:msgbox)", NULL, "vbscript:" },
	{ __LINE__, "![i](data:text/html;base64,AAAA)", NULL, "data:text/html" },
	{ __LINE__, "[ok](https://example.org/a?b=1&c=2)", "href=\"https://example.org/a?b=1&amp;c=2\"", NULL },
	{ __LINE__, "`<b>code</b>`", "&lt;b&gt;code&lt;/b&gt;", "<b>" },
	{ __LINE__, "a \"quote\" & <tag", "&amp;", "<tag" },
};

START_TEST(test_render_safe)
{
	struct px_buf html = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		const char *s = render_cases[i].src;
		enum px_err e = px_markdown_render(s, strlen(s), &html, NULL);

		ck_assert_msg(e == PX_OK, "line %d: expected OK, got %s", render_cases[i].line,
			      px_err_name(e));
		ck_assert_msg(!render_cases[i].must || strstr(html.data, render_cases[i].must),
			      "line %d: expected %s in %s", render_cases[i].line,
			      render_cases[i].must, html.data);
		ck_assert_msg(!render_cases[i].must_not ||
				      !strstr(html.data, render_cases[i].must_not),
			      "line %d: expected no %s in %s", render_cases[i].line,
			      render_cases[i].must_not, html.data);
	}
	px_buf_free(&html);
}
END_TEST

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Builds a bomb of 16000 bytes: pattern repeated. */
static char *bomb(const char *pattern, size_t total)
{
	size_t pl = strlen(pattern), n = 0;
	char *b = malloc(total + 1);

	while (n + pl <= total) {
		memcpy(b + n, pattern, pl);
		n += pl;
	}
	b[n] = '\0';
	return b;
}

static const struct {
	int line;
	const char *pattern;
	enum px_err want; /* PX_OK: renders small; else refused */
} bombs[] = {
	{ __LINE__, ">", PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX },
	{ __LINE__, "* ", PX_OK },              /* one thematic break */
	{ __LINE__, "- a\n  ", PX_OK },
	{ __LINE__, "[", PX_OK },
	{ __LINE__, "*a ", PX_OK },
	{ __LINE__, "`", PX_OK },
	{ __LINE__, "\xcc\x81", PX_OK },        /* combining acute accents */
	{ __LINE__, "[a]: /u\n", PX_OK },       /* a huge link reference table */
};

START_TEST(test_bombs_bounded)
{
	struct px_buf html = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		char *b = bomb(bombs[i].pattern, 16000);
		double t0 = now(), dt;
		enum px_err e = px_markdown_render(b, strlen(b), &html, NULL);

		dt = now() - t0;
		ck_assert_msg(e == bombs[i].want, "line %d: expected %s, got %s", bombs[i].line,
			      px_err_name(bombs[i].want), px_err_name(e));
		/* generous: a linear parse of 16 KB takes a few ms */
		ck_assert_msg(dt < 0.5, "line %d: took %.3f s", bombs[i].line, dt);
		ck_assert_msg(e != PX_OK || html.len < 16000 * 13, "line %d: %zu bytes out",
			      bombs[i].line, html.len);
		free(b);
	}
	px_buf_free(&html);
}
END_TEST

START_TEST(test_nested_lists_refused)
{
	struct px_buf html = PX_BUF_INIT, src = PX_BUF_INIT;
	int i;

	for (i = 0; i < 60; i++)
		px_buf_printf(&src, "%*s- level %d\n", i * 2, "", i);
	ck_assert_int_eq(px_markdown_render(src.data, src.len, &html, NULL),
			 PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX);
	px_buf_reset(&src);
	for (i = 0; i < 5; i++)
		px_buf_printf(&src, "%*s- level %d\n", i * 2, "", i);
	ck_assert_int_eq(px_markdown_render(src.data, src.len, &html, NULL), PX_OK);
	px_buf_free(&html);
	px_buf_free(&src);
}
END_TEST

static const struct {
	int line;
	const char *src;
	const char *want; /* names, one per line */
} mention_cases[] = {
	{ __LINE__, "hi @bob and @alice.", "bob\nalice\n" },
	{ __LINE__, "@channel please, @here too", "channel\nhere\n" },
	{ __LINE__, "mail me at x@example.org", "" },
	{ __LINE__, "`@notme` but @me", "me\n" },
	{ __LINE__, "@Bob @bob @BOB", "Bob\n" },
	{ __LINE__, "```\n@code\n```\n@real", "real\n" },
};

START_TEST(test_mentions)
{
	struct px_buf html = PX_BUF_INIT, m = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(mention_cases) / sizeof(mention_cases[0]); i++) {
		const char *s = mention_cases[i].src;

		ck_assert_int_eq(px_markdown_render(s, strlen(s), &html, &m), PX_OK);
		ck_assert_msg(strcmp(m.data ? m.data : "", mention_cases[i].want) == 0,
			      "line %d: expected [%s], got [%s]", mention_cases[i].line,
			      mention_cases[i].want, m.data ? m.data : "");
	}
	px_buf_free(&html);
	px_buf_free(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("markdown");
	TCase *tc = tcase_create("markdown");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_render_safe);
	tcase_add_test(tc, test_bombs_bounded);
	tcase_add_test(tc, test_nested_lists_refused);
	tcase_add_test(tc, test_mentions);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
