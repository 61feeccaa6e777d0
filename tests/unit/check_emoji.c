/* check_emoji.c: the generated shortcode table is sorted and complete
 * enough to hold the common emoji with their skin tones, lookups ignore
 * case, and ":shortcode:" replacement leaves other colons alone. */
#include <check.h>
#include <string.h>

#include "web/emoji.h"
#include "tests/unit/run_suite.h"

START_TEST(test_lookup)
{
	ck_assert_uint_gt(px_emoji_count(), 3000);
	ck_assert_str_eq(px_emoji_lookup("thumbs_up", 9), "\xf0\x9f\x91\x8d");
	ck_assert_str_eq(px_emoji_lookup("Thumbs_Up", 9), "\xf0\x9f\x91\x8d");
	ck_assert_str_eq(px_emoji_lookup("thumbs_up_medium_skin_tone", 26),
			 "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd");
	ck_assert_str_eq(px_emoji_lookup("red_heart", 9), "\xe2\x9d\xa4\xef\xb8\x8f");
	ck_assert_str_eq(px_emoji_lookup("flag_germany", 12), "\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa");
	ck_assert_ptr_null(px_emoji_lookup("thumbs_up_", 10));
	ck_assert_ptr_null(px_emoji_lookup("thumbs up", 9));
	ck_assert_ptr_null(px_emoji_lookup("", 0));
	ck_assert_ptr_null(px_emoji_lookup("zzz_not_an_emoji", 16));
	/* the aliases other chat tools taught people */
	ck_assert_str_eq(px_emoji_lookup("+1", 2), "\xf0\x9f\x91\x8d");
	ck_assert_str_eq(px_emoji_lookup("-1", 2), "\xf0\x9f\x91\x8e");
	ck_assert_str_eq(px_emoji_lookup("ThumbsUp", 8), "\xf0\x9f\x91\x8d");
	ck_assert_str_eq(px_emoji_lookup("thumbsdown", 10), "\xf0\x9f\x91\x8e");
	ck_assert_str_eq(px_emoji_lookup("tada", 4), "\xf0\x9f\x8e\x89");
	ck_assert_ptr_null(px_emoji_lookup("+2", 2));
	ck_assert_ptr_null(px_emoji_lookup("-", 1));
}
END_TEST

static const struct {
	int line;
	const char *src, *want;
	size_t count;
} cases[] = {
	{ __LINE__, "ok :thumbs_up: done", "ok \xf0\x9f\x91\x8d done", 1 },
	{ __LINE__, ":fire::fire:", "\xf0\x9f\x94\xa5\xf0\x9f\x94\xa5", 2 },
	{ __LINE__, "at 10:30:45 :nope: x", "at 10:30:45 :nope: x", 0 },
	{ __LINE__, "a :b :fire: c", "a :b \xf0\x9f\x94\xa5 c", 1 },
	{ __LINE__, ":: : :", ":: : :", 0 },
	{ __LINE__, "ends with :fire", "ends with :fire", 0 },
	{ __LINE__, ":<script>:", ":<script>:", 0 },
	{ __LINE__, "yes :+1: no :-1:", "yes \xf0\x9f\x91\x8d no \xf0\x9f\x91\x8e", 2 },
	{ __LINE__, ":thumbsup::tada:", "\xf0\x9f\x91\x8d\xf0\x9f\x8e\x89", 2 },
	{ __LINE__, "10:-1:00 :+ :-) :+1", "10\xf0\x9f\x91\x8e" "00 :+ :-) :+1", 1 },
};

START_TEST(test_replace)
{
	struct px_buf out = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t c = px_emoji_shortcodes(cases[i].src, strlen(cases[i].src), &out);

		ck_assert_msg(c == cases[i].count && strcmp(out.data, cases[i].want) == 0,
			      "line %d: got %zu [%s]", cases[i].line, c, out.data);
	}
	px_buf_free(&out);
}
END_TEST

static void collect(const char *code, const char *emoji, void *arg)
{
	struct px_buf *b = arg;

	px_buf_puts(b, code);
	px_buf_putc(b, '=');
	px_buf_puts(b, emoji);
	px_buf_putc(b, '\n');
}

START_TEST(test_search)
{
	struct px_buf b = PX_BUF_INIT;

	ck_assert_uint_eq(px_emoji_search("thumbs up", 10, collect, &b), 1);
	ck_assert_str_eq(b.data, "thumbs_up=\xf0\x9f\x91\x8d\n");
	px_buf_reset(&b);
	ck_assert_uint_eq(px_emoji_search("THUMBS_UP dark tone", 10, collect, &b), 2);
	ck_assert_ptr_nonnull(strstr(b.data, "thumbs_up_dark_skin_tone="));
	px_buf_reset(&b);
	ck_assert_uint_eq(px_emoji_search("heart", 5, collect, &b), 5);
	ck_assert_uint_eq(px_emoji_search("", 5, collect, &b), 0);
	ck_assert_uint_eq(px_emoji_search("zzqqxx", 5, collect, &b), 0);
	/* an alias finds its emoji once, under the alias */
	px_buf_reset(&b);
	ck_assert_uint_eq(px_emoji_search("+1", 10, collect, &b), 1);
	ck_assert_str_eq(b.data, "+1=\xf0\x9f\x91\x8d\n");
	px_buf_reset(&b);
	ck_assert_uint_eq(px_emoji_search("thumbsup", 10, collect, &b), 1);
	ck_assert_str_eq(b.data, "thumbsup=\xf0\x9f\x91\x8d\n");
	px_buf_reset(&b);
	ck_assert_uint_eq(px_emoji_search("thumbs", 10, collect, &b), 2);
	ck_assert_str_eq(b.data, "thumbs_down=\xf0\x9f\x91\x8e\nthumbs_up=\xf0\x9f\x91\x8d\n");
	px_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("emoji");
	TCase *tc = tcase_create("emoji");

	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_search);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
