/* check_htmlmeta.c: what link previews read from a page: a table of pages
 * (Open Graph, Twitter cards, plain <title>, broken markup, relative and
 * hostile values) with the title, description, image and site name each
 * must give; and the first web link of a rendered message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/htmlmeta.h"
#include "tests/unit/run_suite.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BASE "https://example.org/blog/post.html"

static const struct {
	int line;
	const char *html;
	const char *title, *desc, *image, *site;
} cases[] = {
	{ __LINE__, "<html><head><meta property=\"og:title\" content=\"OG title\">"
	  "<meta property=\"og:description\" content=\"OG desc\">"
	  "<meta property=\"og:image\" content=\"https://cdn.example.org/a.png\">"
	  "<meta property=\"og:site_name\" content=\"Example\"><title>Tag title</title>"
	  "</head><body></body></html>",
	  "OG title", "OG desc", "https://cdn.example.org/a.png", "Example" },
	/* Twitter cards when there is no Open Graph; <title> as last resort */
	{ __LINE__, "<head><meta name=\"twitter:title\" content=\"TW\">"
	  "<meta name=\"twitter:description\" content=\"tw d\">"
	  "<meta name=\"twitter:image\" content=\"/img/x.jpg\"><title>T</title></head>",
	  "TW", "tw d", "https://example.org/img/x.jpg", NULL },
	{ __LINE__, "<title>  Only\n\t a   title </title><meta name=description content='plain d'>",
	  "Only a title", "plain d", NULL, NULL },
	/* Open Graph wins whatever the order; the first of equal rank stays */
	{ __LINE__, "<meta name=twitter:title content=second><meta property=og:title content=first>"
	  "<meta property=og:title content=third>",
	  "first", NULL, NULL, NULL },
	{ __LINE__, "<meta property=og:image content=http://x.example/a.png>"
	  "<meta property=og:image:secure_url content=https://x.example/s.png>",
	  NULL, NULL, "https://x.example/s.png", NULL },
	/* relative image against the page's folder */
	{ __LINE__, "<meta property=og:image content=pic.png>", NULL, NULL,
	  "https://example.org/blog/pic.png", NULL },
	/* broken markup: unclosed tags, meta in the body */
	{ __LINE__, "<html><body><div><p>text<meta property=og:title content='In body'>"
	  "<table><tr><td>", "In body", NULL, NULL, NULL },
	/* entities decoded, markup inside a value stays text, controls dropped */
	{ __LINE__, "<meta property=og:title content='Fish &amp; Chips &lt;b&gt;\x01'>",
	  "Fish & Chips <b>", NULL, NULL, NULL },
	/* nothing to say */
	{ __LINE__, "<html><body><p>Hello</p></body></html>", NULL, NULL, NULL, NULL },
	{ __LINE__, "<title>   </title><meta property=og:title content=''>", NULL, NULL, NULL,
	  NULL },
	/* no content attribute: ignored, the next one counts */
	{ __LINE__, "<meta property=og:title><title>Fallback</title>", "Fallback", NULL, NULL,
	  NULL },
	{ __LINE__, "not html at all { \"json\": true }", NULL, NULL, NULL, NULL },
};

START_TEST(test_parse)
{
	struct px_htmlmeta m;
	const char *html = cases[_i].html;
	int rc = px_htmlmeta_parse(html, strlen(html), BASE, NULL, &m);

	ck_assert_msg(rc == 0, "line %d: parse failed", cases[_i].line);
#define SAME(got, want)                                                                     \
	ck_assert_msg((!(got) && !(want)) || ((got) && (want) && strcmp((got), (want)) == 0),   \
		      "line %d: %s: expected [%s], got [%s]", cases[_i].line, #want,             \
		      (want) ? (want) : "(none)", (got) ? (got) : "(none)")
	SAME(m.title, cases[_i].title);
	SAME(m.description, cases[_i].desc);
	SAME(m.image, cases[_i].image);
	SAME(m.site_name, cases[_i].site);
#undef SAME
	px_htmlmeta_free(&m);
}
END_TEST

/* Long values are cut at a character boundary, never inside one. */
START_TEST(test_limits)
{
	size_t n = 3 * PX_HTMLMETA_TITLE_MAX, i;
	char *html = malloc(n + 64);
	struct px_htmlmeta m;
	char *p;

	ck_assert_ptr_nonnull(html);
	p = html + sprintf(html, "<title>");
	for (i = 0; i < PX_HTMLMETA_TITLE_MAX / 2 + 10; i++)
		p += sprintf(p, "\xc3\xa9");   /* é, two bytes */
	strcpy(p, "</title>");
	ck_assert_int_eq(px_htmlmeta_parse(html, strlen(html), BASE, "UTF-8", &m), 0);
	ck_assert_ptr_nonnull(m.title);
	ck_assert_uint_le(strlen(m.title), PX_HTMLMETA_TITLE_MAX);
	ck_assert_uint_eq(strlen(m.title) % 2, 0);
	px_htmlmeta_free(&m);
	free(html);
}
END_TEST

/* The charset of the Content-Type is believed. */
START_TEST(test_charset)
{
	static const char html[] = "<title>caf\xe9</title>";
	struct px_htmlmeta m;

	ck_assert_int_eq(px_htmlmeta_parse(html, strlen(html), BASE, "ISO-8859-1", &m), 0);
	ck_assert_str_eq(m.title, "caf\xc3\xa9");
	px_htmlmeta_free(&m);
}
END_TEST

static const struct {
	int line;
	const char *html, *want;
} links[] = {
	{ __LINE__, "<p>see <a href=\"https://example.org/x?a=1&amp;b=2\">it</a></p>",
	  "https://example.org/x?a=1&b=2" },
	/* mentions and relative links are not web links; the first web one counts */
	{ __LINE__, "<p><a class=\"mention\" href=\"/u/bob\">@bob</a> <a href=\"mailto:a@b\">m</a>"
	  " <a href=\"http://one.example/\">1</a> <a href=\"https://two.example/\">2</a></p>",
	  "http://one.example/" },
	{ __LINE__, "<p><a href=\"https://user:pw@example.org/\">creds</a></p>", NULL },
	{ __LINE__, "<p><a href=\"javascript:alert(1)\">x</a></p>", NULL },
	{ __LINE__, "<pre><code>https://example.org/ not a link</code></pre>", NULL },
	{ __LINE__, "", NULL },
};

START_TEST(test_first_link)
{
	char *got = px_htmlmeta_first_link(links[_i].html, strlen(links[_i].html));
	const char *want = links[_i].want;

	ck_assert_msg((!got && !want) || (got && want && strcmp(got, want) == 0),
		      "line %d: expected [%s], got [%s]", links[_i].line, want ? want : "(none)",
		      got ? got : "(none)");
	free(got);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("htmlmeta");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse, 0, N(cases));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_charset);
	tcase_add_loop_test(tc, test_first_link, 0, N(links));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	px_htmlmeta_init();
	return px_check_run(suite(), CK_FORK_GETENV);
}
