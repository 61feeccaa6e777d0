/* check_web.c: the web UI's model-JSON-to-template conversions
 * (handlers/web_view.c) and helpers (handlers/web_util.c) that need no
 * server: initials, edit rights, one's own reactions, DM names and links,
 * search snippets split into escaped parts, times, URL encoding, files
 * (thumbnail or content, the size shown, card labels) and avatars. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/ctx.h"
#include "core/http.h"
#include "web/webpage.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "tests/unit/run_suite.h"

static struct px_request req;
static struct px_response resp;
static struct px_ctx ctx;

static void setup(void)
{
	px_request_init(&req);
	px_response_init(&resp);
	req.method = strdup("GET");
	req.path = strdup("/");
	req.raw_path = strdup("/");
	memset(&ctx, 0, sizeof(ctx));
	ctx.req = &req;
	ctx.resp = &resp;
	ctx.who.user_id = 7;
	snprintf(ctx.who.username, sizeof(ctx.who.username), "alice");
}

static void teardown(void)
{
	px_request_clear(&req);
	px_response_clear(&resp);
}

static const char *str(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *k;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(v, k, &v))
			return NULL;
	return v ? json_object_get_string(v) : NULL;
}

/* What a view of model JSON holds: key (a dotted path) with the value
 * want (NULL: absent). */
#define M px_web_message_view
#define F px_web_file_view
static const struct {
	int line;
	struct json_object *(*view)(struct px_ctx *, struct json_object *);
	const char *json;
	const char *key, *want;
} view_cases[] = {
	/* messages */
	{ __LINE__, M, "{\"id\":5,\"author\":{\"id\":7,\"username\":\"alice\",\"display_name\":\"bob\"},"
		    "\"html\":\"<p>x</p>\",\"deleted\":false}", "author.initial", "B" },
	{ __LINE__, M, "{\"id\":5,\"author\":{\"id\":7,\"username\":\"alice\",\"display_name\":\"\xc3\xa9lan\"}}",
		    "author.initial", "\xc3\xa9" },
	{ __LINE__, M, "{\"id\":5,\"author\":{\"id\":7,\"username\":\"alice\",\"display_name\":\"\"}}",
		    "author.display_name", "alice" },
	{ __LINE__, M, "{\"id\":5,\"author\":null}", "author.display_name", "?" },
	{ __LINE__, M, "{\"id\":5,\"author\":{\"id\":7},\"html\":\"<p>x</p>\"}", "can_edit", "true" },
	{ __LINE__, M, "{\"id\":5,\"author\":{\"id\":8},\"html\":\"<p>x</p>\"}", "can_edit", "false" },
	{ __LINE__, M, "{\"id\":5,\"author\":{\"id\":7},\"deleted\":true,\"html\":\"<p>x</p>\"}",
		    "can_edit", "false" },
	{ __LINE__, M, "{\"id\":5,\"deleted\":true,\"html\":\"<p>secret</p>\"}", "body_html", NULL },
	{ __LINE__, M, "{\"id\":5,\"edited_at\":\"2026-01-01T00:00:00+00:00\"}", "edited", "true" },
	{ __LINE__, M, "{\"id\":5,\"edited_at\":null}", "edited", "false" },
	{ __LINE__, M, "{\"id\":5,\"thread_root_id\":3}", "is_reply", "true" },
	{ __LINE__, M, "{\"id\":5,\"created_at\":\"2026-11-25T10:00:00.123456+01:00\"}",
		    "time", "2026-11-25T09:00:00Z" },
	{ __LINE__, M, "{\"id\":5,\"created_at\":\"2026-11-25T10:00:00-02:30\"}",
		    "time", "2026-11-25T12:30:00Z" },
	{ __LINE__, M, "{\"id\":5,\"created_at\":\"garbage\"}", "time", NULL },
	/* files: an image with its size is shown from the thumbnail, fitted,
	 * the file as fallback */
	{ __LINE__, F, "{\"id\":3,\"name\":\"a.png\",\"type\":\"image/png\",\"size\":1536,"
		    "\"width\":800,\"height\":600}", "src", "/api/v1/files/3/thumbnail" },
	{ __LINE__, F, "{\"id\":3,\"name\":\"a.png\",\"type\":\"image/png\",\"size\":1536,"
		    "\"width\":800,\"height\":600}", "fallback", "/api/v1/files/3/content" },
	{ __LINE__, F, "{\"id\":3,\"name\":\"a.png\",\"type\":\"image/png\",\"size\":1536,"
		    "\"width\":800,\"height\":600}", "h", "300" },
	{ __LINE__, F, "{\"id\":3,\"name\":\"a.png\",\"type\":\"image/png\",\"size\":1536}",
		    "size_text", "1.5 KB" },
	{ __LINE__, F, "{\"id\":3,\"name\":\"tall.jpg\",\"type\":\"image/jpeg\",\"width\":300,"
		    "\"height\":1200}", "w", "100" },
	{ __LINE__, F, "{\"id\":3,\"name\":\"dot.gif\",\"type\":\"image/gif\",\"width\":40,"
		    "\"height\":30}", "w", "40" },
	/* no size known (yet): the file itself in a fixed box */
	{ __LINE__, F, "{\"id\":4,\"name\":\"b.webp\",\"type\":\"image/webp\",\"width\":null,"
		    "\"height\":null}", "src", "/api/v1/files/4/content" },
	{ __LINE__, F, "{\"id\":4,\"name\":\"b.webp\",\"type\":\"image/webp\"}", "nodim", "true" },
	{ __LINE__, F, "{\"id\":4,\"name\":\"b.webp\",\"type\":\"image/webp\"}", "fallback", NULL },
	/* other files: cards */
	{ __LINE__, F, "{\"id\":5,\"name\":\"notes.Md\",\"type\":\"text/plain\",\"size\":12}",
		    "label", "MD" },
	{ __LINE__, F, "{\"id\":5,\"name\":\"notes.Md\",\"type\":\"text/plain\",\"size\":12}",
		    "image", NULL },
	{ __LINE__, F, "{\"id\":5,\"name\":\"notes\",\"type\":\"text/plain\"}", "label", "TXT" },
	{ __LINE__, F, "{\"id\":6,\"name\":\"report.final\",\"type\":\"application/pdf\"}",
		    "label", "PDF" },
	{ __LINE__, F, "{\"id\":6,\"name\":\"r.p-f\",\"type\":\"application/pdf\"}", "kind", "pdf" },
	{ __LINE__, F, "{\"id\":6,\"name\":\"r.p-f\",\"type\":\"application/pdf\"}", "label", "PDF" },
	{ __LINE__, F, "{\"id\":7,\"name\":\"x.bin\",\"type\":\"application/zip\"}", "kind", "file" },
	{ __LINE__, F, "{\"id\":7,\"name\":\"x.bin\",\"type\":\"application/zip\"}",
		    "download_url", "/api/v1/files/7/content?download=1" },
};
#undef M
#undef F

START_TEST(test_views)
{
	struct json_object *in = json_tokener_parse(view_cases[_i].json);
	struct json_object *v = view_cases[_i].view(&ctx, in);
	const char *got = str(v, view_cases[_i].key), *want = view_cases[_i].want;
	int line = view_cases[_i].line;

	ck_assert_msg(v != NULL, "line %d: no view", line);
	if (!want)
		ck_assert_msg(got == NULL, "line %d: %s: want absent, got %s", line,
			      view_cases[_i].key, got);
	else
		ck_assert_msg(got && strcmp(got, want) == 0, "line %d: %s: want %s, got %s", line,
			      view_cases[_i].key, want, got ? got : "(absent)");
	json_object_put(v);
	json_object_put(in);
}
END_TEST

/* Messages carry their files; deleted ones show none. Avatars are only
 * shown from this site's own paths. */
START_TEST(test_files_and_avatars)
{
	static const char *const users[][2] = {
		{ "{\"id\":7,\"username\":\"a\",\"avatar_url\":\"/api/v1/users/7/avatar?size=64\"}",
		  "/api/v1/users/7/avatar?size=64" },
		{ "{\"id\":7,\"username\":\"a\",\"avatar_url\":null}", NULL },
		{ "{\"id\":7,\"username\":\"a\",\"avatar_url\":\"https://elsewhere/a.png\"}", NULL },
		{ "{\"id\":7,\"username\":\"a\",\"avatar_url\":\"//elsewhere/a.png\"}", NULL },
		{ "{\"id\":7,\"username\":\"a\"}", NULL },
	};
	struct json_object *m, *v, *fs;
	size_t i;

	m = json_tokener_parse("{\"id\":5,\"html\":\"<p>x</p>\",\"files\":[{\"id\":1,\"name\":\"a.png\","
			       "\"type\":\"image/png\"},{\"id\":2,\"name\":\"b.txt\",\"type\":\"text/plain\"}]}");
	v = px_web_message_view(&ctx, m);
	ck_assert_str_eq(str(v, "has_files"), "true");
	ck_assert(json_object_object_get_ex(v, "files", &fs));
	ck_assert_int_eq((int)json_object_array_length(fs), 2);
	ck_assert_str_eq(str(json_object_array_get_idx(fs, 1), "label"), "TXT");
	json_object_put(v);
	json_object_put(m);
	m = json_tokener_parse("{\"id\":5,\"deleted\":true,\"files\":[{\"id\":1,\"name\":\"a.png\"}]}");
	v = px_web_message_view(&ctx, m);
	ck_assert_ptr_null(str(v, "has_files"));
	ck_assert_ptr_null(str(v, "files"));
	json_object_put(v);
	json_object_put(m);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		const char *got;

		m = json_tokener_parse(users[i][0]);
		v = px_web_user_view(m);
		got = str(v, "avatar_url");
		if (users[i][1])
			ck_assert_msg(got && !strcmp(got, users[i][1]), "user %zu: got %s", i, got);
		else
			ck_assert_msg(!got, "user %zu: want no avatar, got %s", i, got);
		ck_assert_str_eq(str(v, "initial"), "A");
		json_object_put(v);
		json_object_put(m);
	}
}
END_TEST

/* Grouping: a run of one author within five minutes on one day; the
 * first unread message of someone else; day separators. */
START_TEST(test_group)
{
	static const struct {
		int line;
		long long id, author;
		const char *time;
		int day_sep, grouped, first_unread;
	} cases[] = {
		{ __LINE__, 1, 3, "2026-12-05T23:58:00Z", 1, 0, 0 },
		{ __LINE__, 2, 3, "2026-12-05T23:59:00Z", 0, 1, 0 },
		{ __LINE__, 3, 3, "2026-12-06T00:01:00Z", 1, 0, 0 }, /* a new day */
		{ __LINE__, 4, 3, "2026-12-06T00:07:00Z", 0, 0, 0 }, /* six minutes later */
		{ __LINE__, 5, 7, "2026-12-06T00:08:00Z", 0, 0, 0 }, /* the reader's own */
		{ __LINE__, 6, 3, "2026-12-06T00:09:00Z", 0, 0, 1 }, /* first unread (> 4) */
		{ __LINE__, 7, 3, "2026-12-06T00:10:00Z", 0, 1, 0 },
	};
	struct json_object *views = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *v = json_object_new_object(), *a = json_object_new_object();

		json_object_object_add(a, "id", json_object_new_int64(cases[i].author));
		json_object_object_add(v, "id", json_object_new_int64(cases[i].id));
		json_object_object_add(v, "author", a);
		json_object_object_add(v, "time", json_object_new_string(cases[i].time));
		json_object_object_add(v, "time_day", json_object_new_string_len(cases[i].time, 10));
		json_object_array_add(views, v);
	}
	px_web_messages_group(views, 4, 7);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *v = json_object_array_get_idx(views, i), *x;
		int d = json_object_object_get_ex(v, "day_sep", &x) && json_object_get_boolean(x);
		int g = json_object_object_get_ex(v, "grouped", &x) && json_object_get_boolean(x);
		int u = json_object_object_get_ex(v, "first_unread", &x) && json_object_get_boolean(x);

		ck_assert_msg(d == cases[i].day_sep && g == cases[i].grouped && u == cases[i].first_unread,
			      "line %d: want day %d grouped %d unread %d, got %d %d %d", cases[i].line,
			      cases[i].day_sep, cases[i].grouped, cases[i].first_unread, d, g, u);
	}
	/* last_read < 0 (a thread, a guest): no line */
	px_web_messages_group(views, -1, 7);
	json_object_put(views);
}
END_TEST

START_TEST(test_fit)
{
	static const struct {
		int line;
		long long w, h, want_w, want_h;
	} cases[] = {
		{ __LINE__, 800, 600, 400, 300 },
		{ __LINE__, 600, 800, 300, 400 },
		{ __LINE__, 400, 400, 400, 400 },
		{ __LINE__, 12, 9, 12, 9 },
		{ __LINE__, 60000, 1, 400, 1 },
		{ __LINE__, 1, 60000, 1, 400 },
		{ __LINE__, 0, 100, 400, 300 },
		{ __LINE__, -5, -5, 400, 300 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long w, h;

		px_web_fit(cases[i].w, cases[i].h, 400, &w, &h);
		ck_assert_msg(w == cases[i].want_w && h == cases[i].want_h,
			      "line %d: want %lldx%lld got %lldx%lld", cases[i].line, cases[i].want_w,
			      cases[i].want_h, w, h);
	}
}
END_TEST

START_TEST(test_reactions_mine)
{
	struct json_object *m = json_tokener_parse(
		"{\"id\":1,\"reactions\":[{\"emoji\":\"A\",\"count\":2,\"users\":[\"bob\",\"alice\"]},"
		"{\"emoji\":\"B\",\"count\":1,\"users\":[\"alicex\"]}]}");
	struct json_object *v = px_web_message_view(&ctx, m), *rs;

	ck_assert(json_object_object_get_ex(v, "reactions", &rs));
	ck_assert_int_eq(json_object_array_length(rs), 2);
	ck_assert_str_eq(str(json_object_array_get_idx(rs, 0), "mine"), "true");
	ck_assert_str_eq(str(json_object_array_get_idx(rs, 1), "mine"), "false");
	ck_assert_str_eq(str(json_object_array_get_idx(rs, 0), "count"), "2");
	json_object_put(v);
	json_object_put(m);
}
END_TEST

START_TEST(test_channel_view)
{
	static const struct {
		int line;
		const char *json, *slug, *name, *peer;
	} cases[] = {
		{ __LINE__, "{\"id\":3,\"kind\":\"public\",\"name\":\"general\"}", "general", "general", NULL },
		{ __LINE__, "{\"id\":4,\"kind\":\"private\",\"name\":\"ops\"}", "ops", "ops", NULL },
		{ __LINE__, "{\"id\":9,\"kind\":\"dm\",\"name\":null,\"members\":[{\"id\":7,\"username\":"
			    "\"alice\"},{\"id\":8,\"username\":\"bob\",\"display_name\":\"Bob <b>\"}]}",
			    "9", "Bob <b>", "8" },
		{ __LINE__, "{\"id\":10,\"kind\":\"group\",\"members\":[{\"id\":7,\"username\":\"alice\"},"
			    "{\"id\":8,\"username\":\"bob\"},{\"id\":9,\"username\":\"cy\"}]}",
			    "10", "bob, cy", NULL },
		{ __LINE__, "{\"id\":11,\"kind\":\"dm\",\"members\":[]}", "11", "?", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *c = json_tokener_parse(cases[i].json);
		struct json_object *v = px_web_channel_view(c, 7);

		ck_assert_msg(strcmp(str(v, "slug"), cases[i].slug) == 0, "line %d: slug want %s got %s",
			      cases[i].line, cases[i].slug, str(v, "slug"));
		ck_assert_msg(strcmp(str(v, "name"), cases[i].name) == 0, "line %d: name want %s got %s",
			      cases[i].line, cases[i].name, str(v, "name"));
		if (cases[i].peer)
			ck_assert_msg(str(v, "peer_id") && strcmp(str(v, "peer_id"), cases[i].peer) == 0,
				      "line %d: peer want %s got %s", cases[i].line, cases[i].peer,
				      str(v, "peer_id"));
		else
			ck_assert_msg(!str(v, "peer_id"), "line %d: unexpected peer", cases[i].line);
		json_object_put(v);
		json_object_put(c);
	}
}
END_TEST

START_TEST(test_snippet_parts)
{
	static const struct {
		int line;
		const char *snippet, *want; /* want: parts as "text|" with marked ones in [] */
	} cases[] = {
		{ __LINE__, "plain", "plain|" },
		{ __LINE__, "a <mark>zebra</mark> &lt;b&gt;x&lt;/b&gt; &amp;&quot;&#39;",
			    "a |[zebra]| <b>x</b> &\"'|" },
		{ __LINE__, "<mark>one</mark><mark>two</mark>", "[one]|[two]|" },
		{ __LINE__, "open <mark>end", "open |[end]|" },
		{ __LINE__, "&amp;lt; &unknown;", "&lt; &unknown;|" },
		{ __LINE__, "", "" },
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *p = px_web_snippet_parts(cases[i].snippet);
		struct px_buf got = PX_BUF_INIT;

		for (j = 0; j < json_object_array_length(p); j++) {
			struct json_object *x = json_object_array_get_idx(p, j);
			int mark = strcmp(str(x, "mark"), "true") == 0;

			px_buf_printf(&got, "%s%s%s|", mark ? "[" : "", str(x, "text"), mark ? "]" : "");
		}
		ck_assert_msg(strcmp(got.data ? got.data : "", cases[i].want) == 0,
			      "line %d: want %s got %s", cases[i].line, cases[i].want,
			      got.data ? got.data : "");
		px_buf_free(&got);
		json_object_put(p);
	}
}
END_TEST

START_TEST(test_urlenc)
{
	struct px_buf b = PX_BUF_INIT;

	px_web_urlenc(&b, "/c/x?a=1&b=\xc3\xa9 #");
	ck_assert_str_eq(b.data, "/c/x%3Fa%3D1%26b%3D%C3%A9%20%23");
	px_buf_free(&b);
}
END_TEST

/* Redirect targets as a browser reads them (WHATWG URL parsing): tab and
 * newlines vanish, surrounding controls and spaces are stripped and a
 * backslash is a slash, so each of the refused ones names another host. */
START_TEST(test_local_path_browser)
{
	static const struct {
		int line;
		const char *s;
		int want;
	} cases[] = {
		{ __LINE__, "/", 1 },
		{ __LINE__, "/c/general?x=1#m5", 1 },
		{ __LINE__, "/%09/evil.example", 1 }, /* stays encoded: a path */
		{ __LINE__, "/%2F%2Fevil.example", 1 },
		{ __LINE__, "/c/\xc3\xa9t\xc3\xa9", 1 },
		{ __LINE__, "/\t/evil.example", 0 },
		{ __LINE__, "/\n/evil", 0 },
		{ __LINE__, "/\r/evil", 0 },
		{ __LINE__, "\t//evil", 0 },
		{ __LINE__, "/\t\t/evil", 0 },
		{ __LINE__, " //evil", 0 },
		{ __LINE__, " /ok", 0 },    /* not what the browser follows */
		{ __LINE__, "/ok ", 0 },
		{ __LINE__, "\x01/ok", 0 },
		{ __LINE__, "/ok\x7f", 0 },
		{ __LINE__, "/\\evil", 0 },
		{ __LINE__, "\\/evil", 0 },
		{ __LINE__, "\\\\evil", 0 },
		{ __LINE__, "/a\\b", 0 },
		{ __LINE__, "//evil", 0 },
		{ __LINE__, "///evil", 0 },
		{ __LINE__, "http:/evil", 0 },
		{ __LINE__, "https://evil.example/", 0 },
		{ __LINE__, "java\tscript:alert(1)", 0 },
		{ __LINE__, "evil.example", 0 },
		{ __LINE__, "", 0 },
		{ __LINE__, NULL, 0 },
	};
	char longest[2001];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(px_webpage_local_path(cases[i].s) == cases[i].want,
			      "line %d: want %d got %d", cases[i].line, cases[i].want,
			      px_webpage_local_path(cases[i].s));
	memset(longest, 'a', sizeof(longest) - 1);
	longest[0] = '/';
	longest[1999] = '\0';
	ck_assert_int_eq(px_webpage_local_path(longest), 1);
	longest[1999] = 'a';
	longest[2000] = '\0';
	ck_assert_int_eq(px_webpage_local_path(longest), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("web");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_views, 0, sizeof(view_cases) / sizeof(view_cases[0]));
	tcase_add_test(tc, test_reactions_mine);
	tcase_add_test(tc, test_files_and_avatars);
	tcase_add_test(tc, test_fit);
	tcase_add_test(tc, test_group);
	tcase_add_test(tc, test_channel_view);
	tcase_add_test(tc, test_snippet_parts);
	tcase_add_test(tc, test_urlenc);
	tcase_add_test(tc, test_local_path_browser);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
