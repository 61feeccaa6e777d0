/* check_markdown.c: Markdown rendering is safe (no raw HTML, no script
 * URLs, only safe schemes), knows GFM (autolinks, strikethrough, tables,
 * task lists), links mentions and channels, is bounded (bombs refused or
 * small, and fast), finds mentions, strips to plain text and marks the
 * viewer's own mentions. */
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
	/* GFM: bare URLs, strikethrough, tables, task lists */
	{ __LINE__, "see https://example.org/x?y=1 now", "<a href=\"https://example.org/x?y=1\">https://example.org/x?y=1</a>", NULL },
	{ __LINE__, "www.example.org", "<a href=\"http://www.example.org\">", NULL },
	{ __LINE__, "~~gone~~ and ~5 min", "<del>gone</del> and ~5 min", NULL },
	{ __LINE__, "| a | b |\n| --- | --- |\n| 1 | 2 |", "<td>2</td>", NULL },
	{ __LINE__, "- [x] done\n- [ ] todo", "checked=\"\"", NULL },
	{ __LINE__, "- [ ] todo", "aria-label=\"task\"", NULL },
	/* mentions and channel references */
	{ __LINE__, "hi @Bob.", "<a class=\"mention\" href=\"/u/bob\">@Bob</a>.", NULL },
	{ __LINE__, "see #General-2 and #1", "<a class=\"channel-ref\" href=\"/c/general-2\">#General-2</a> and #1", NULL },
	{ __LINE__, "@here now", "<span class=\"mention mention-all\">@here</span>", NULL },
	{ __LINE__, "`@bob` #x", "<code>@bob</code>", "/u/bob" },
	{ __LINE__, "[@bob](https://e.org)", "<a href=\"https://e.org\">@bob</a>", "/u/bob" },
	{ __LINE__, "https://e.org/#frag", "href=\"https://e.org/#frag\"", "/c/frag" },
	{ __LINE__, "mail x@example.org", "mailto:x@example.org", "/u/example" },
	{ __LINE__, "**@bob**", "<strong><a class=\"mention\" href=\"/u/bob\">@bob</a></strong>", NULL },
	/* shortcodes, not inside code */
	{ __LINE__, "yes :thumbs_up: `:fire:`", "yes \xf0\x9f\x91\x8d <code>:fire:</code>", NULL },
	{ __LINE__, "@bob:fire: #ops", "/u/bob\">@bob</a>\xf0\x9f\x94\xa5 <a class=\"channel-ref\"", NULL },
	/* XSS attempts through the new paths */
	{ __LINE__, "[x](JaVaScRiPt:alert(1))", NULL, "alert" },
	{ __LINE__, "[x](java\tscript:alert(1))", NULL, "href=\"java" },
	{ __LINE__, "[x](&#106;avascript:alert(1))", NULL, "avascript:" },
	{ __LINE__, "[x](ftp://e.org/f)", "<a href=\"\">", "ftp:" },
	{ __LINE__, "![x](data:image/svg+xml,<svg onload=alert(1)>)", NULL, "onload" },
	{ __LINE__, "<a href=\"javascript:alert(1)\">x</a>", "raw HTML omitted", "<a href" },
	{ __LINE__, "x <b onmouseover=alert(1)>y</b>", NULL, "onmouseover" },
	{ __LINE__, "[x](https://e.org \"t\\\" onmouseover=\\\"alert(1)\")", NULL, "\" onmouseover" },
	{ __LINE__, "@bob\"><script>", NULL, "<script" },
	{ __LINE__, "#a\"onclick=x", "href=\"/c/a\">#a</a>&quot;onclick=x", NULL },
	{ __LINE__, "| <script> |\n| --- |\n| <img src=x onerror=y> |", NULL, "onerror=" },
	{ __LINE__, "- [x] <iframe src=x>", NULL, "<iframe" },
	{ __LINE__, "~~<style>~~", NULL, "<style" },
	{ __LINE__, "javascript:alert(1)", NULL, "href" },
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
	{ __LINE__, "@a #b ", PX_OK },          /* references: only the first 200 linked */
	{ __LINE__, "|a", PX_OK },              /* one very wide table row */
	{ __LINE__, "|a|\n|-|\n", PX_OK },      /* header rows, no table */
	{ __LINE__, "~~a", PX_OK },
	{ __LINE__, "- [ ] ", PX_OK },
	{ __LINE__, "www.a.b ", PX_OK },
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
	{ __LINE__, "[@linked](https://e.org) @plain", "plain\n" },
	{ __LINE__, "| @cell |\n| --- |\n| @row |", "cell\nrow\n" },
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

static const struct {
	int line;
	const char *src;
	const char *want;
} plain_cases[] = {
	{ __LINE__, "**bold** _it_ ~~del~~ `code`", "bold it del code" },
	{ __LINE__, "# Title\n\npara one\nline two", "Title para one line two" },
	{ __LINE__, "[text](https://e.org) ![alt](x.png)", "text alt" },
	{ __LINE__, "- a\n- b\n\n> quote", "a b quote" },
	{ __LINE__, "<script>alert(1)</script>\n\nok", "ok" },
	{ __LINE__, "x <b onclick=y>bold</b> ok", "x bold ok" },
	{ __LINE__, "a &amp; b &lt;tag&gt;", "a & b <tag>" },
	{ __LINE__, "| h1 | h2 |\n| --- | --- |\n| c1 | c2 |", "h1 h2 c1 c2" },
	{ __LINE__, "- [x] done", "done" },
	{ __LINE__, "hi @bob in #general", "hi @bob in #general" },
	{ __LINE__, "```\nline1\nline2\n```", "line1 line2" },
	{ __LINE__, "", "" },
};

START_TEST(test_plain)
{
	struct px_buf out = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
		const char *s = plain_cases[i].src;

		ck_assert_int_eq(px_markdown_plain(s, strlen(s), &out), PX_OK);
		ck_assert_msg(strcmp(out.data, plain_cases[i].want) == 0, "line %d: expected [%s], got [%s]",
			      plain_cases[i].line, plain_cases[i].want, out.data);
	}
	px_buf_free(&out);
}
END_TEST

START_TEST(test_plain_bounded)
{
	char *b = bomb(">", 16000);
	struct px_buf out = PX_BUF_INIT;

	ck_assert_int_eq(px_markdown_plain(b, strlen(b), &out), PX_E_VALIDATION_MARKDOWN_TOO_COMPLEX);
	free(b);
	px_buf_free(&out);
}
END_TEST

START_TEST(test_mark_self)
{
	struct px_buf html = PX_BUF_INIT, out = PX_BUF_INIT;
	const char *s = "@alice and @Bob and @bobby, [@bob](https://e.org)";

	ck_assert_int_eq(px_markdown_render(s, strlen(s), &html, NULL), PX_OK);
	px_markdown_mark_self(html.data, "BOB", &out);
	ck_assert_ptr_nonnull(strstr(out.data, "<a class=\"mention mention-self\" href=\"/u/bob\">@Bob</a>"));
	ck_assert_ptr_nonnull(strstr(out.data, "<a class=\"mention\" href=\"/u/alice\">"));
	ck_assert_ptr_nonnull(strstr(out.data, "<a class=\"mention\" href=\"/u/bobby\">"));
	/* one self mark only: the link's text is not a mention */
	ck_assert_ptr_null(strstr(strstr(out.data, "mention-self") + 1, "mention-self"));
	px_markdown_mark_self(html.data, NULL, &out);
	ck_assert_str_eq(out.data, html.data);
	px_markdown_mark_self(html.data, "", &out);
	ck_assert_str_eq(out.data, html.data);
	px_buf_free(&html);
	px_buf_free(&out);
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
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_plain_bounded);
	tcase_add_test(tc, test_mark_self);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
