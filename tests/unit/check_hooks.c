/* check_hooks.c: Slack payloads to Markdown (mrkdwn conversion, blocks,
 * attachments, what is refused), the bot name and icon filters, the
 * delivery signature (a known HMAC-SHA256 vector) and the backoff. */
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/hooks_send.h"
#include "handlers/hooks_slack.h"
#include "tests/unit/run_suite.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	int line;
	const char *in, *want;
} mrkdwn[] = {
	{ __LINE__, "plain", "plain" },
	{ __LINE__, "*bold* and _it_", "**bold** and _it_" },
	{ __LINE__, "a*b*c", "a*b*c" },                       /* inside a word: literal */
	{ __LINE__, "**already**", "**already**" },
	{ __LINE__, "<https://x.example/a|label>", "[label](https://x.example/a)" },
	{ __LINE__, "<https://x.example/a>", "[https://x.example/a](https://x.example/a)" },
	{ __LINE__, "<javascript:alert(1)|click>", "click" },
	{ __LINE__, "<https://x.example/a b|x>", "x" },
	{ __LINE__, "<https://x.example/|a [b] c>", "[a \\[b\\] c](https://x.example/)" },
	{ __LINE__, "<@U123|alice> hi", "@alice hi" },
	{ __LINE__, "<@U123>", "@U123" },
	{ __LINE__, "<#C1|general>", "#general" },
	{ __LINE__, "<!here> now", "@here now" },
	{ __LINE__, "<!date^1392734382^{date}|Feb 18>", "Feb 18" },
	{ __LINE__, "a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c" },
	{ __LINE__, "x < y", "x &lt; y" },
	{ __LINE__, "one\ntwo", "one\\\ntwo" },
	{ __LINE__, "one\n\ntwo", "one\n\ntwo" },
	{ __LINE__, "`*code*`", "`*code*`" },
	{ __LINE__, "```*x*\n<y>```", "```\n*x*\n<y>\n```" },
	{ __LINE__, "> quoted", "> quoted" },
	{ __LINE__, "a > b", "a &gt; b" },
};

START_TEST(test_mrkdwn)
{
	struct px_buf b = PX_BUF_INIT;

	px_slack_mrkdwn(mrkdwn[_i].in, strlen(mrkdwn[_i].in), &b);
	ck_assert_msg(b.data && strcmp(b.data, mrkdwn[_i].want) == 0,
		      "line %d: %s: want [%s] got [%s]", mrkdwn[_i].line, mrkdwn[_i].in,
		      mrkdwn[_i].want, b.data ? b.data : "(null)");
	px_buf_free(&b);
}
END_TEST

static const struct {
	int line;
	const char *payload;
	enum px_err err;
	const char *want; /* NULL: only err matters */
} render[] = {
	{ __LINE__, "{\"text\":\"hi\"}", PX_OK, "hi" },
	{ __LINE__, "{}", PX_E_HOOK_EMPTY, NULL },
	{ __LINE__, "{\"text\":\"\"}", PX_E_HOOK_EMPTY, NULL },
	{ __LINE__, "{\"text\":5,\"attachments\":{}}", PX_E_HOOK_EMPTY, NULL },
	{ __LINE__, "{\"attachments\":[{\"color\":\"good\"}]}", PX_E_HOOK_EMPTY, NULL },
	{ __LINE__, "{\"attachments\":[{\"fallback\":\"fb\",\"color\":\"danger\"}]}", PX_OK,
	  "> 🔴 fb" },
	{ __LINE__, "{\"attachments\":[{\"title\":\"T\",\"title_link\":\"https://e.x/\","
		    "\"text\":\"body\",\"color\":\"#36a64f\",\"footer\":\"F\","
		    "\"fields\":[{\"title\":\"K\",\"value\":\"V\",\"short\":true}]}]}", PX_OK,
	  "> 🟢 **[T](https://e.x/)**\\\n> body\\\n> **K**: V\\\n> _F_" },
	{ __LINE__, "{\"text\":\"pre\",\"attachments\":[{\"pretext\":\"p\",\"text\":\"t\"}]}", PX_OK,
	  "pre\n\np\n\n> t" },
	{ __LINE__, "{\"text\":\"ignored\",\"blocks\":[{\"type\":\"header\",\"text\":"
		    "{\"type\":\"plain_text\",\"text\":\"H-1.\"}},{\"type\":\"divider\"},"
		    "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*s*\"}}]}", PX_OK,
	  "### H\\-1\\.\n\n---\n\n**s**" },
	{ __LINE__, "{\"blocks\":[{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\","
		    "\"text\":\"a\"},{\"type\":\"image\",\"alt_text\":\"b\"}]}]}", PX_OK, "a · b" },
	{ __LINE__, "{\"blocks\":[{\"type\":\"actions\"}],\"text\":\"fallback\"}", PX_OK,
	  "fallback" },
	{ __LINE__, "{\"attachments\":[{\"title\":\"t\",\"title_link\":\"javascript:x()\"}]}", PX_OK,
	  "> **t**" },
};

START_TEST(test_render)
{
	struct json_object *j = json_tokener_parse(render[_i].payload);
	struct px_buf b = PX_BUF_INIT;
	enum px_err e;

	ck_assert_msg(j != NULL, "line %d: bad test JSON", render[_i].line);
	e = px_slack_render(j, &b);
	ck_assert_msg(e == render[_i].err, "line %d: want %s got %s", render[_i].line,
		      px_err_name(render[_i].err), px_err_name(e));
	if (render[_i].want)
		ck_assert_msg(b.data && strcmp(b.data, render[_i].want) == 0,
			      "line %d: want [%s] got [%s]", render[_i].line, render[_i].want,
			      b.data ? b.data : "(null)");
	json_object_put(j);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_name_and_icon)
{
	char out[300];

	px_slack_name("  Alert\tManager  ", out, sizeof(out));
	ck_assert_str_eq(out, "Alert Manager");
	px_slack_name("<b>x</b> **y** [z](u) @all", out, sizeof(out));
	ck_assert_str_eq(out, "bx/b y zu all");
	px_slack_name("Zoë 🚀", out, sizeof(out));
	ck_assert_str_eq(out, "Zoë 🚀");
	px_slack_name("\x01\x02", out, sizeof(out));
	ck_assert_str_eq(out, "");
	px_slack_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out,
		      sizeof(out));
	ck_assert_uint_eq(strlen(out), 64);
	ck_assert(px_slack_icon_ok("https://e.x/i.png"));
	ck_assert(!px_slack_icon_ok("javascript:alert(1)"));
	ck_assert(!px_slack_icon_ok("https://e.x/\"onerror=x"));
	ck_assert(!px_slack_icon_ok("data:image/png;base64,AAAA"));
}
END_TEST

/* The value a receiver recomputes: HMAC-SHA256(secret, ts "." body) in
 * hex (the expected value computed independently with Python's hmac). */
START_TEST(test_unfurl_choice)
{
	static const struct {
		int line;
		const char *payload, *want;
	} c[] = {
		{ __LINE__, "{\"text\":\"x\"}", NULL },
		{ __LINE__, "{\"unfurl_links\":true,\"unfurl_media\":true}", NULL },
		{ __LINE__, "{\"unfurl_links\":false}", "off" },
		{ __LINE__, "{\"unfurl_links\":false,\"unfurl_media\":false}", "off" },
		{ __LINE__, "{\"unfurl_media\":false}", "no_media" },
		{ __LINE__, "{\"unfurl_links\":\"false\",\"unfurl_media\":0}", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct json_object *j = json_tokener_parse(c[i].payload);
		const char *got;

		ck_assert_ptr_nonnull(j);
		got = px_slack_unfurl(j);
		ck_assert_msg((!got && !c[i].want) || (got && c[i].want && !strcmp(got, c[i].want)),
			      "line %d: want %s got %s", c[i].line, c[i].want ? c[i].want : "NULL",
			      got ? got : "NULL");
		json_object_put(j);
	}
}
END_TEST

START_TEST(test_sign)
{
	char sig[PX_HOOKS_SIG_LEN], other[PX_HOOKS_SIG_LEN];

	px_hooks_sign("pxw_test", "1700000000", "{\"a\":1}", 7, sig);
	ck_assert_str_eq(sig, "v1=9b54069f3a8124acb9533244e4aca70b6ad0d03fe8aeeddda0b2f63778333e66");
	px_hooks_sign("pxw_test", "1700000001", "{\"a\":1}", 7, other);
	ck_assert_str_ne(sig, other);
}
END_TEST

START_TEST(test_backoff)
{
	int a;

	for (a = 1; a <= 30; a++) {
		long lo = px_hooks_backoff_ms(a, 0), hi = px_hooks_backoff_ms(a, ~0u);

		ck_assert_int_ge(lo, 500);
		ck_assert_int_le(hi, 3600L * 1000);
		ck_assert_int_le(lo, hi);
		if (a > 1 && a < 12)
			ck_assert_int_eq(lo, 2 * px_hooks_backoff_ms(a - 1, 0));
	}
	ck_assert_int_eq(px_hooks_backoff_ms(1, 0), 500);
	ck_assert_int_eq(px_hooks_backoff_ms(40, 0), 1800L * 1000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hooks");
	TCase *tc = tcase_create("slack");

	tcase_add_loop_test(tc, test_mrkdwn, 0, N(mrkdwn));
	tcase_add_loop_test(tc, test_render, 0, N(render));
	tcase_add_test(tc, test_name_and_icon);
	tcase_add_test(tc, test_unfurl_choice);
	tcase_add_test(tc, test_sign);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
