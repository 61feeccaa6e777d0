/* check_tmpl.c: the template engine's own tests (no ../shared needed):
 * rendering, errors, the file cache with dev-mode reload, names, threads
 * and the raw-use listing. */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "web/tmpl.h"
#include "tests/unit/run_suite.h"

/* ---- rendering from strings ---- */

static const struct {
	int line;
	const char *tmpl;
	const char *data;      /* JSON text */
	const char *partials;  /* JSON object text or NULL */
	const char *want;
} render_cases[] = {
	/* escaping */
	{ __LINE__, "{{x}}", "{\"x\":\"<a href='u'>&\\\"</a>\"}", NULL,
	  "&lt;a href=&#39;u&#39;&gt;&amp;&quot;&lt;/a&gt;" },
	{ __LINE__, "{{{x}}}|{{&x}}|{{& x }}", "{\"x\":\"<b>\"}", NULL,
	  "<b>|<b>|<b>" },
	{ __LINE__, "{{x}}", "{\"x\":\"caf\\u00e9 \\u2713\"}", NULL,
	  "caf\xc3\xa9 \xe2\x9c\x93" },
	/* values */
	{ __LINE__, "{{i}} {{n}} {{d}} {{e}} {{t}} {{f}} [{{z}}] [{{o}}]",
	  "{\"i\":42,\"n\":-7,\"d\":1.5,\"e\":0.1,\"t\":true,\"f\":false,"
	  "\"z\":null,\"o\":{\"a\":1}}", NULL,
	  "42 -7 1.5 0.1 true false [] []" },
	{ __LINE__, "{{u}}", "{\"u\":18446744073709551615}", NULL,
	  "18446744073709551615" },
	{ __LINE__, "[{{missing}}][{{a.missing}}]", "{\"a\":{}}", NULL, "[][]" },
	/* dotted names and the implicit iterator */
	{ __LINE__, "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", NULL,
	  "deep" },
	{ __LINE__, "{{#a}}{{b.c}}{{/a}}", "{\"a\":{\"b\":{}},\"b\":{\"c\":\"no\"}}",
	  NULL, "" },
	{ __LINE__, "{{.}}", "\"<root>\"", NULL, "&lt;root&gt;" },
	{ __LINE__, "{{#l}}({{.}}){{/l}}", "{\"l\":[1,\"a\",2.25]}", NULL,
	  "(1)(a)(2.25)" },
	/* sections */
	{ __LINE__, "{{#u}}<{{name}}>{{/u}}",
	  "{\"u\":[{\"name\":\"ann\"},{\"name\":\"bob\"}]}", NULL,
	  "<ann><bob>" },
	{ __LINE__, "{{#u}}{{name}}@{{site}}{{/u}}",
	  "{\"u\":{\"name\":\"ann\"},\"site\":\"px\"}", NULL, "ann@px" },
	{ __LINE__, "[{{#b}}yes{{/b}}][{{#f}}no{{/f}}][{{#e}}no{{/e}}]"
	  "[{{#s}}no{{/s}}][{{#z}}no{{/z}}][{{#m}}no{{/m}}][{{#zero}}0{{/zero}}]",
	  "{\"b\":true,\"f\":false,\"e\":[],\"s\":\"\",\"z\":null,\"zero\":0}",
	  NULL, "[yes][][][][][][0]" },
	{ __LINE__, "{{#a}}{{#b}}{{x}}{{/b}}{{/a}}",
	  "{\"x\":1,\"a\":{\"x\":2,\"b\":{\"y\":3}}}", NULL, "2" },
	{ __LINE__, "{{#l}}{{#.}}{{.}}{{/.}};{{/l}}", "{\"l\":[[1,2],[3]]}",
	  NULL, "12;3;" },
	/* inverted sections */
	{ __LINE__, "{{^l}}none{{/l}}{{^t}}hidden{{/t}}{{^m}}!{{/m}}",
	  "{\"l\":[],\"t\":true}", NULL, "none!" },
	{ __LINE__, "{{#l}}{{x}}{{/l}}{{^l}}empty{{/l}}", "{\"l\":[]}", NULL,
	  "empty" },
	/* comments */
	{ __LINE__, "a{{! note }}b{{!\nmulti\nline }}c", "{}", NULL, "abc" },
	{ __LINE__, "a\n  {{! alone }}\nb\n", "{}", NULL, "a\nb\n" },
	/* partials */
	{ __LINE__, "<{{>p}}>", "{\"x\":\"&\"}", "{\"p\":\"[{{x}}]\"}",
	  "<[&amp;]>" },
	{ __LINE__, "<{{>missing}}>", "{}", "{}", "<>" },
	{ __LINE__, "{{#l}}{{>item}}{{/l}}", "{\"l\":[{\"n\":1},{\"n\":2}]}",
	  "{\"item\":\"{{n}},\"}", "1,2," },
	{ __LINE__, "<ul>\n  {{>li}}\n</ul>\n", "{\"t\":\"a\\nb\"}",
	  "{\"li\":\"<li>\\n{{t}}\\n</li>\\n\"}",
	  "<ul>\n  <li>\n  a\nb\n  </li>\n</ul>\n" },
	{ __LINE__, "{{>outer}}", "{}",
	  "{\"outer\":\"A\\n  {{>inner}}\\nB\\n\",\"inner\":\"x\\ny\\n\"}",
	  "A\n  x\n  y\nB\n" },
	{ __LINE__, " {{>layout}}", "{\"title\":\"T\",\"body\":\"b\"}",
	  "{\"layout\":\"<h1>{{title}}</h1>\\n{{>content}}\\n\","
	  "\"content\":\"<p>{{body}}</p>\"}",
	  " <h1>T</h1>\n <p>b</p>" },
	/* set delimiters */
	{ __LINE__, "{{=<% %>=}}<%x%> {{x}} <%={{ }}=%>{{x}}", "{\"x\":1}",
	  NULL, "1 {{x}} 1" },
	{ __LINE__, "{{=[ ]=}}[#s][{x}][/s]", "{\"s\":{\"x\":\"<\"}}", NULL,
	  "<" },
	{ __LINE__, "{{=| |=}}|>p|", "{\"x\":1}", "{\"p\":\"{{x}}\"}", "1" },
	/* standalone lines */
	{ __LINE__, "<p>\n  {{#s}}\n  hi\n  {{/s}}\n</p>\n", "{\"s\":true}",
	  NULL, "<p>\n  hi\n</p>\n" },
	{ __LINE__, "a\r\n{{#s}}\r\nb\r\n{{/s}}\r\nc", "{\"s\":1}", NULL,
	  "a\r\nb\r\nc" },
	{ __LINE__, "x {{#s}}\ny\n{{/s}} z", "{\"s\":1}", NULL,
	  "x \ny\n z" },
	{ __LINE__, "  {{x}}\n", "{\"x\":1}", NULL, "  1\n" },
	{ __LINE__, "a\n{{=<% %>=}}\nb", "{}", NULL, "a\nb" },
	{ __LINE__, "{{#s}}x{{/s}}", "{\"s\":true}", NULL, "x" },
	{ __LINE__, "", "{}", NULL, "" },
	{ __LINE__, "no tags { } }} here", "null", NULL,
	  "no tags { } }} here" },
};

START_TEST(test_render)
{
	struct json_object *data, *partials = NULL;
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	int rc;

	data = json_tokener_parse(render_cases[_i].data);
	if (render_cases[_i].partials) {
		partials = json_tokener_parse(render_cases[_i].partials);
		ck_assert_msg(partials != NULL, "line %d: bad partials JSON",
			      render_cases[_i].line);
	}
	rc = px_tmpl_render_string(render_cases[_i].tmpl, data, partials,
				   &out, &err);
	ck_assert_msg(rc == 0, "line %d: render failed: %s",
		      render_cases[_i].line, err.data ? err.data : "");
	ck_assert_msg(strcmp(out.data ? out.data : "", render_cases[_i].want) == 0,
		      "line %d: want [%s] got [%s]", render_cases[_i].line,
		      render_cases[_i].want, out.data ? out.data : "");
	json_object_put(data);
	json_object_put(partials);
	px_buf_free(&out);
	px_buf_free(&err);
}
END_TEST

/* ---- syntax and render errors ---- */

static const struct {
	int line;
	const char *tmpl;
	const char *partials;
	const char *want;      /* substring of the error */
} error_cases[] = {
	{ __LINE__, "a\nb {{x\nc", NULL, "template line 2: unclosed tag '{{'" },
	{ __LINE__, "{{{x}}", NULL, "line 1: unclosed tag" },
	{ __LINE__, "\n\n{{=<% %>=}}\n<%x", NULL, "line 4: unclosed tag '<%'" },
	{ __LINE__, "x\n{{#a}}\n{{#b}}{{/b}}\n", NULL,
	  "line 2: section 'a' is never closed" },
	{ __LINE__, "{{#a}}\n{{/b}}", NULL,
	  "line 2: section 'a' (line 1) closed by 'b'" },
	{ __LINE__, "x\n\n{{/a}}", NULL, "line 3: 'a' closed but never opened" },
	{ __LINE__, "{{}}", NULL, "line 1: empty tag" },
	{ __LINE__, "{{#}}{{/}}", NULL, "line 1: empty tag" },
	{ __LINE__, "{{a..b}}", NULL, "line 1: bad name 'a..b'" },
	{ __LINE__, "{{.a}}", NULL, "bad name '.a'" },
	{ __LINE__, "{{=<%=}}", NULL, "line 1: bad delimiters" },
	{ __LINE__, "{{=a b c=}}", NULL, "bad delimiters" },
	{ __LINE__, "{{=a= b=}}", NULL, "bad delimiters" },
	{ __LINE__, "{{>self}}", "{\"self\":\"x{{>self}}\"}",
	  "self line 1: nested deeper than 64 levels" },
	{ __LINE__, "{{>bad}}", "{\"bad\":\"\\n{{#x}}\"}",
	  "template line 1: partial 'bad': bad line 2: section 'x' is never closed" },
};

START_TEST(test_errors)
{
	struct json_object *partials = NULL, *data;
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	int rc;

	data = json_tokener_parse("{\"x\":true}");
	if (error_cases[_i].partials)
		partials = json_tokener_parse(error_cases[_i].partials);
	px_buf_puts(&out, "keep");
	rc = px_tmpl_render_string(error_cases[_i].tmpl, data, partials,
				   &out, &err);
	ck_assert_msg(rc == -1, "line %d: render should fail",
		      error_cases[_i].line);
	ck_assert_msg(err.data && strstr(err.data, error_cases[_i].want),
		      "line %d: want error containing [%s] got [%s]",
		      error_cases[_i].line, error_cases[_i].want,
		      err.data ? err.data : "");
	ck_assert_msg(strcmp(out.data, "keep") == 0,
		      "line %d: output not restored: [%s]",
		      error_cases[_i].line, out.data);
	json_object_put(data);
	json_object_put(partials);
	px_buf_free(&out);
	px_buf_free(&err);
}
END_TEST

START_TEST(test_depth_limit)
{
	struct px_buf src = PX_BUF_INIT, out = PX_BUF_INIT, err = PX_BUF_INIT;
	struct json_object *seven;
	int i, rc;

	/* 63 nested sections plus the template itself is the limit */
	for (i = 0; i < PX_TMPL_MAX_DEPTH - 1; i++)
		px_buf_puts(&src, "{{#.}}");
	px_buf_puts(&src, "{{.}}");
	for (i = 0; i < PX_TMPL_MAX_DEPTH - 1; i++)
		px_buf_puts(&src, "{{/.}}");
	seven = json_object_new_int(7);
	rc = px_tmpl_render_string(src.data, seven, NULL, &out, &err);
	json_object_put(seven);
	ck_assert_msg(rc == 0, "error: %s", err.data ? err.data : "");
	ck_assert_str_eq(out.data, "7");
	px_buf_reset(&src);
	for (i = 0; i < PX_TMPL_MAX_DEPTH; i++)
		px_buf_puts(&src, "{{#a}}");
	ck_assert_int_eq(px_tmpl_render_string(src.data, NULL, NULL, &out,
					       &err), -1);
	ck_assert_msg(strstr(err.data, "sections nested deeper than 63"),
		      "got %s", err.data);
	px_buf_free(&src);
	px_buf_free(&out);
	px_buf_free(&err);
}
END_TEST

START_TEST(test_output_limit)
{
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	struct json_object *d = json_tokener_parse("{\"x\":\"0123456789\"}");

	out.max = 15;
	ck_assert_int_eq(px_tmpl_render_string("{{x}}{{x}}", d, NULL, &out,
					       &err), -1);
	ck_assert_msg(strstr(err.data, "output buffer"), "got %s", err.data);
	/* a NULL err is allowed */
	ck_assert_int_eq(px_tmpl_render_string("{{x", d, NULL, &out, NULL), -1);
	json_object_put(d);
	px_buf_free(&out);
	px_buf_free(&err);
}
END_TEST

/* ---- names ---- */

static const struct {
	int line;
	const char *name;
	int valid;
} name_cases[] = {
	{ __LINE__, "page/login", 1 },
	{ __LINE__, "layout", 1 },
	{ __LINE__, "a/b-c/d_e.f", 1 },
	{ __LINE__, "", 0 },
	{ __LINE__, "/etc/passwd", 0 },
	{ __LINE__, "../secret", 0 },
	{ __LINE__, "page/../../x", 0 },
	{ __LINE__, "page/..", 0 },
	{ __LINE__, "./x", 0 },
	{ __LINE__, "page/.hidden", 0 },
	{ __LINE__, "page//x", 0 },
	{ __LINE__, "page/", 0 },
	{ __LINE__, "pa ge", 0 },
	{ __LINE__, "page\\x", 0 },
	{ __LINE__, "x%2f", 0 },
};

START_TEST(test_names)
{
	ck_assert_msg(px_tmpl_name_valid(name_cases[_i].name) ==
		      name_cases[_i].valid, "line %d: '%s' want %d",
		      name_cases[_i].line, name_cases[_i].name,
		      name_cases[_i].valid);
}
END_TEST

START_TEST(test_name_too_long)
{
	char name[PX_TMPL_MAX_NAME + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(px_tmpl_name_valid(name), 0);
	name[PX_TMPL_MAX_NAME] = '\0';
	ck_assert_int_eq(px_tmpl_name_valid(name), 1);
}
END_TEST

/* ---- the file cache ---- */

static char tmpdir[64];

/* Writes a file whole through a rename, as editors do, so a concurrent
 * dev-mode reload never reads it half-written. */
static void write_file(const char *name, const char *text)
{
	char path[256], tmp[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	ck_assert_msg(f != NULL, "cannot write %s", tmp);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* Moves a file's mtime by delta seconds, so a reload never depends on the
 * file system's timestamp granularity. */
static void shift_mtime(const char *name, int delta)
{
	struct timespec ts[2];
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += delta;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static const char *tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
	return buf;
}

static void make_dir(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static void setup_dir(void)
{
	strcpy(tmpdir, "/tmp/check_tmpl.XXXXXX");
	ck_assert(mkdtemp(tmpdir) != NULL);
	make_dir("page");
	make_dir("layout");
	write_file("layout/base.mustache",
		   "<title>{{title}}</title>\n<main>\n  {{>page/body}}\n</main>\n");
	write_file("page/body.mustache", "<p>{{msg}}</p>\n");
	write_file("page/login.mustache", "{{>layout/base}}");
	write_file("page/usesbad.mustache", "a\n{{>../etc}}");
	write_file("page/usesmissing.mustache", "{{>page/nothere}}");
	write_file("page/loop.mustache", "{{>page/loop}}");
}

static void teardown_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void expect_render(struct px_tmpl_cache *c, const char *name,
			  const char *data, const char *want, int line)
{
	struct json_object *d = json_tokener_parse(data);
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	int rc = px_tmpl_render(c, name, d, &out, &err);

	ck_assert_msg(rc == 0, "line %d: %s failed: %s", line, name,
		      err.data ? err.data : "");
	ck_assert_msg(strcmp(out.data ? out.data : "", want) == 0,
		      "line %d: want [%s] got [%s]", line, want,
		      out.data ? out.data : "");
	json_object_put(d);
	px_buf_free(&out);
	px_buf_free(&err);
}

static void expect_fail(struct px_tmpl_cache *c, const char *name,
			const char *want, int line)
{
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;

	ck_assert_msg(px_tmpl_render(c, name, NULL, &out, &err) == -1,
		      "line %d: %s should fail", line, name);
	ck_assert_msg(err.data && strstr(err.data, want),
		      "line %d: want error containing [%s] got [%s]", line,
		      want, err.data ? err.data : "");
	ck_assert_uint_eq(out.len, 0);
	px_buf_free(&out);
	px_buf_free(&err);
}

START_TEST(test_cache_layout)
{
	struct px_tmpl_cache *c = px_tmpl_cache_new(tmpdir, 0);

	ck_assert(c != NULL);
	expect_render(c, "page/login", "{\"title\":\"A&B\",\"msg\":\"hi\"}",
		      "<title>A&amp;B</title>\n<main>\n  <p>hi</p>\n</main>\n",
		      __LINE__);
	/* second use comes from the cache and gives the same result */
	expect_render(c, "page/login", "{\"title\":\"T\",\"msg\":\"m\"}",
		      "<title>T</title>\n<main>\n  <p>m</p>\n</main>\n", __LINE__);
	px_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_cache_errors)
{
	struct px_tmpl_cache *c = px_tmpl_cache_new(tmpdir, 0);

	expect_fail(c, "../page/login", "invalid template name '../page/login'",
		    __LINE__);
	expect_fail(c, "/etc/passwd", "invalid template name", __LINE__);
	expect_fail(c, "page/none", "page/none.mustache: No such file", __LINE__);
	make_dir("page/dir.mustache");
	expect_fail(c, "page/dir", "not a regular file", __LINE__);
	expect_fail(c, "page/usesbad",
		    "page/usesbad line 2: partial '../etc': invalid template name",
		    __LINE__);
	expect_fail(c, "page/usesmissing",
		    "page/usesmissing line 1: partial 'page/nothere': cannot open",
		    __LINE__);
	expect_fail(c, "page/loop", "nested deeper than 64", __LINE__);
	write_file("page/broken.mustache", "ok\n{{#x}}\n{{/y}}\n");
	expect_fail(c, "page/broken",
		    "page/broken line 3: section 'x' (line 2) closed by 'y'",
		    __LINE__);
	px_tmpl_cache_free(c);
	px_tmpl_cache_free(NULL);
}
END_TEST

START_TEST(test_cache_dev_reload)
{
	struct px_tmpl_cache *dev = px_tmpl_cache_new(tmpdir, 1);
	struct px_tmpl_cache *prod = px_tmpl_cache_new(tmpdir, 0);
	char path[256];

	write_file("page/r.mustache", "one {{x}}");
	expect_render(dev, "page/r", "{\"x\":1}", "one 1", __LINE__);
	expect_render(prod, "page/r", "{\"x\":1}", "one 1", __LINE__);
	write_file("page/r.mustache", "two {{x}}");
	shift_mtime("page/r.mustache", 10);
	expect_render(dev, "page/r", "{\"x\":2}", "two 2", __LINE__);
	expect_render(prod, "page/r", "{\"x\":2}", "one 2", __LINE__);
	/* a broken edit fails, and the fixed file renders again */
	write_file("page/r.mustache", "three {{x");
	shift_mtime("page/r.mustache", 20);
	expect_fail(dev, "page/r", "page/r line 1: unclosed tag", __LINE__);
	write_file("page/r.mustache", "four {{x}}");
	shift_mtime("page/r.mustache", 30);
	expect_render(dev, "page/r", "{\"x\":4}", "four 4", __LINE__);
	/* partials reload too */
	write_file("page/body.mustache", "<b>{{msg}}</b>\n");
	shift_mtime("page/body.mustache", 10);
	expect_render(dev, "page/login", "{\"title\":\"t\",\"msg\":\"m\"}",
		      "<title>t</title>\n<main>\n  <b>m</b>\n</main>\n", __LINE__);
	/* a deleted file is an error in dev mode */
	write_file("page/gone.mustache", "x");
	expect_render(dev, "page/gone", "{}", "x", __LINE__);
	ck_assert_int_eq(unlink(tmp_path(path, sizeof(path),
					 "page/gone.mustache")), 0);
	expect_fail(dev, "page/gone", "No such file", __LINE__);
	px_tmpl_cache_free(dev);
	px_tmpl_cache_free(prod);
}
END_TEST

struct worker {
	struct px_tmpl_cache *c;
	int id, bad;
};

static void *render_loop(void *arg)
{
	struct worker *w = arg;
	struct px_buf out = PX_BUF_INIT, want = PX_BUF_INIT;
	struct json_object *d = json_object_new_object();
	int i;

	json_object_object_add(d, "title", json_object_new_int(w->id));
	json_object_object_add(d, "msg", json_object_new_string("<m>"));
	px_buf_printf(&want, "<title>%d</title>\n<main>\n  <p>&lt;m&gt;</p>\n"
		      "</main>\n", w->id);
	for (i = 0; i < 300; i++) {
		px_buf_reset(&out);
		if (px_tmpl_render(w->c, "page/login", d, &out, NULL) != 0 ||
		    strcmp(out.data, want.data) != 0)
			w->bad++;
	}
	json_object_put(d);
	px_buf_free(&out);
	px_buf_free(&want);
	return NULL;
}

START_TEST(test_cache_threads)
{
	struct worker w[4];
	pthread_t th[4];
	int i, touches;

	struct px_tmpl_cache *c = px_tmpl_cache_new(tmpdir, 1);

	for (i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].id = i;
		w[i].bad = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, render_loop, &w[i]), 0);
	}
	/* dev-mode reloads of an unchanged text race with the renders */
	for (touches = 0; touches < 50; touches++) {
		write_file("page/body.mustache", "<p>{{msg}}</p>\n");
		shift_mtime("page/body.mustache", touches);
		usleep(1000);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(w[i].bad == 0, "thread %d: %d bad renders", i,
			      w[i].bad);
	}
	px_tmpl_cache_free(c);
}
END_TEST

/* ---- raw-use listing ---- */

START_TEST(test_list_raw)
{
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	char raw[256];

	tmp_path(raw, sizeof(raw), "raw");

	make_dir("raw");
	make_dir("raw/sub");
	write_file("raw/msg.mustache",
		   "<div>{{{body_html}}}</div>\n{{escaped}}\n{{& note }}\n");
	write_file("raw/sub/a.mustache", "{{=<% %>=}}\n<%{x}%> <%y%>");
	write_file("raw/sub/skip.txt", "{{{not_a_template}}}");
	write_file("raw/.hidden.mustache", "{{{hidden}}}");
	write_file("raw/clean.mustache", "{{x}}");
	ck_assert_int_eq(px_tmpl_list_raw(raw, &out, &err), 0);
	ck_assert_str_eq(out.data, "msg\t1\tbody_html\nmsg\t3\tnote\n"
		         "sub/a\t2\tx\n");
	write_file("raw/sub/bad.mustache", "\n\n{{{x}}");
	px_buf_reset(&out);
	ck_assert_int_eq(px_tmpl_list_raw(raw, &out, &err), -1);
	ck_assert_msg(strstr(err.data, "sub/bad line 3: unclosed tag"),
		      "got %s", err.data);
	px_buf_reset(&err);
	ck_assert_int_eq(px_tmpl_list_raw("/nonexistent/tmpl", &out, &err), -1);
	ck_assert_msg(strstr(err.data, "cannot read folder"), "got %s", err.data);
	px_buf_free(&out);
	px_buf_free(&err);
}
END_TEST

/* The project's own policy: raw tags in templates/ only for fields that
 * hold sanitised HTML (rendered Markdown). Add a field here only when the
 * handler fills it from the Markdown renderer. */
static const char *const raw_allowed[] = {
	"body_html",
};

START_TEST(test_repo_raw_policy)
{
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	struct stat st;
	char *line, *save = NULL;
	size_t i;
	int bad = 0;

	if (stat(PX_SRCDIR "/templates", &st) != 0)
		return;
	ck_assert_msg(px_tmpl_list_raw(PX_SRCDIR "/templates", &out, &err) == 0,
		      "templates/: %s", err.data ? err.data : "");
	for (line = out.len ? strtok_r(out.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *field = strrchr(line, '\t') + 1;

		for (i = 0; i < sizeof(raw_allowed) / sizeof(*raw_allowed); i++)
			if (strcmp(field, raw_allowed[i]) == 0)
				break;
		if (i == sizeof(raw_allowed) / sizeof(*raw_allowed)) {
			fprintf(stderr, "raw tag not allowed: %s\n", line);
			bad++;
		}
	}
	ck_assert_msg(bad == 0, "%d raw tag(s) outside the allow-list", bad);
	px_buf_free(&out);
	px_buf_free(&err);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc = tcase_create("render");
	TCase *files = tcase_create("files");

	tcase_add_loop_test(tc, test_render, 0, N(render_cases));
	tcase_add_loop_test(tc, test_errors, 0, N(error_cases));
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_output_limit);
	tcase_add_loop_test(tc, test_names, 0, N(name_cases));
	tcase_add_test(tc, test_name_too_long);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(files, setup_dir, teardown_dir);
	tcase_set_timeout(files, 60);
	tcase_add_test(files, test_cache_layout);
	tcase_add_test(files, test_cache_errors);
	tcase_add_test(files, test_cache_dev_reload);
	tcase_add_test(files, test_cache_threads);
	tcase_add_test(files, test_list_raw);
	tcase_add_test(files, test_repo_raw_policy);
	suite_add_tcase(s, files);
	return px_check_run(s, CK_FORK_GETENV);
}
