/* check_multipart.c: the streaming multipart/form-data reader, fed in small
 * and odd-sized pieces, and the text fields of a body's first bytes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/multipart.h"
#include "tests/unit/run_suite.h"

#define CT "multipart/form-data; boundary=XyZ"

struct feed {
	const char *s;
	size_t len, at, step;
	int cut; /* 1: report a short body (-1) at the end */
};

static long feed_read(void *arg, void *p, size_t n)
{
	struct feed *f = arg;
	size_t k = f->len - f->at;

	if (k == 0)
		return f->cut ? -1 : 0;
	if (k > f->step)
		k = f->step;
	if (k > n)
		k = n;
	memcpy(p, f->s + f->at, k);
	f->at += k;
	return (long)k;
}

static enum px_err keep(void *arg, const void *p, size_t n)
{
	px_buf_append(arg, p, n);
	return PX_OK;
}

/* Reads body whole into "name[filename;type]=value|..." (file bodies as
 * their length); returns the reader's error. */
static enum px_err summary(const char *ct, const char *body, size_t step, int cut,
			   struct px_buf *out)
{
	struct px_multipart_part p = { PX_BUF_INIT, PX_BUF_INIT, 0, PX_BUF_INIT };
	struct feed f = { body, strlen(body), 0, step, cut };
	struct px_buf v = PX_BUF_INIT;
	struct px_multipart m;
	enum px_err e;
	int end = 0;

	e = px_multipart_open(&m, ct, feed_read, &f);
	while (e == PX_OK && (e = px_multipart_next(&m, &p, &end)) == PX_OK && !end) {
		px_buf_reset(&v);
		if ((e = px_multipart_body(&m, keep, &v)) != PX_OK)
			break;
		if (p.has_filename)
			px_buf_printf(out, "%s[%s;%s]=%zu|", p.name.data, p.filename.data, p.type.data,
				      v.len);
		else
			px_buf_printf(out, "%s=%s|", p.name.data, v.data ? v.data : "");
	}
	px_buf_free(&v);
	px_multipart_part_free(&p);
	px_multipart_close(&m);
	return e;
}

static const struct {
	int line;
	const char *ct, *body;
	int cut;
	enum px_err want;
	const char *parts;
} cases[] = {
	{ __LINE__, CT,
	  "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n"
	  "Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n",
	  0, PX_OK, "a=1|f[x.txt;text/plain]=5|" },
	/* a preamble, an empty file input, a value holding a near-delimiter */
	{ __LINE__, CT,
	  "ignored\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\n"
	  "Content-Type: application/octet-stream\r\n\r\n\r\n"
	  "--XyZ\r\ncontent-disposition: form-data; name=body\r\n\r\nx\r\n--Xy z\r\n--XyZ--",
	  0, PX_OK, "files[;application/octet-stream]=0|body=x\r\n--Xy z|" },
	/* "filename" does not pass for "name" */
	{ __LINE__, CT,
	  "--XyZ\r\nContent-Disposition: form-data; filename=\"n\"\r\n\r\nv\r\n--XyZ--",
	  0, PX_OK, "[n;]=1|" },
	{ __LINE__, "multipart/form-data; boundary=\"q;b\"",
	  "--q;b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--q;b--", 0, PX_OK,
	  "a=|" },
	{ __LINE__, CT, "--XyZ--\r\n", 0, PX_OK, "" },
	/* wrong or missing boundary */
	{ __LINE__, "multipart/form-data", "--XyZ--", 0, PX_E_VALIDATION_CONTENT_TYPE, "" },
	{ __LINE__, "text/plain; boundary=XyZ", "--XyZ--", 0, PX_E_VALIDATION_CONTENT_TYPE, "" },
	{ __LINE__, NULL, "--XyZ--", 0, PX_E_VALIDATION_CONTENT_TYPE, "" },
	/* no delimiter, no closing delimiter, no end of headers */
	{ __LINE__, CT, "just text", 0, PX_E_FILES_MULTIPART_INVALID, "" },
	{ __LINE__, CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1", 0,
	  PX_E_FILES_MULTIPART_INVALID, "" },
	{ __LINE__, CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"", 0,
	  PX_E_FILES_MULTIPART_INVALID, "" },
	{ __LINE__, CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ", 0,
	  PX_E_FILES_MULTIPART_INVALID, "a=1|" },
	/* the connection broke */
	{ __LINE__, CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12", 1,
	  PX_E_VALIDATION_BODY_INCOMPLETE, "" },
};

START_TEST(test_reader)
{
	static const size_t steps[] = { 1, 3, 7, 64, 1 << 20 };
	size_t k;

	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct px_buf got = PX_BUF_INIT;
		enum px_err e = summary(cases[_i].ct, cases[_i].body, steps[k], cases[_i].cut, &got);

		ck_assert_msg(e == cases[_i].want, "line %d step %zu: want %s got %s", cases[_i].line,
			      steps[k], px_err_name(cases[_i].want), px_err_name(e));
		ck_assert_msg(strcmp(got.data ? got.data : "", cases[_i].parts) == 0,
			      "line %d step %zu: want parts %s got %s", cases[_i].line, steps[k],
			      cases[_i].parts, got.data ? got.data : "");
		px_buf_free(&got);
	}
}
END_TEST

/* A file part larger than the window streams through it. */
START_TEST(test_large_part)
{
	size_t n = 3 * PX_MULTIPART_WINDOW + 17, i;
	struct px_buf b = PX_BUF_INIT, got = PX_BUF_INIT;

	px_buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big\"\r\n\r\n");
	for (i = 0; i < n; i++)
		px_buf_putc(&b, (char)('a' + i % 26));
	px_buf_puts(&b, "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nyes\r\n--XyZ--");
	ck_assert_int_eq(summary(CT, b.data, 65536, 0, &got), PX_OK);
	ck_assert_str_eq(got.data, "file[big;]=393233|after=yes|");
	px_buf_free(&b);
	px_buf_free(&got);
}
END_TEST

#define NUL_BODY "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\0y\r\n--XyZ--"

static const struct {
	int line;
	const char *body;
	size_t len;          /* bytes of body; 0: strlen */
	size_t cut;          /* bytes of body the prefix holds; 0: all */
	enum px_err want;
	const char *form;    /* "name=value|..." */
} prefix_cases[] = {
	{ __LINE__,
	  "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nhi \xc3\xa9\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.png\"\r\n\r\nPNG\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nsend\r\n--XyZ--",
	  0, 0, PX_OK, "csrf_token=tok|body=hi \xc3\xa9|action=send|" },
	/* the prefix ends inside the file: fields after it are not in the form */
	{ __LINE__,
	  "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.png\"\r\n\r\nPNGPNGPNG\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nsend\r\n--XyZ--",
	  0, 130, PX_OK, "csrf_token=tok|" },
	/* a field cut at the end of the prefix is left out */
	{ __LINE__,
	  "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nlong text\r\n--XyZ--",
	  0, 120, PX_OK, "csrf_token=tok|" },
	/* malformed: what came before stays, the handler reports the rest */
	{ __LINE__, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nbroken", 0, 0,
	  PX_OK, "a=1|" },
	{ __LINE__, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n--XyZ--", 0, 0,
	  PX_E_VALIDATION_INVALID_ENCODING, "" },
	{ __LINE__, NUL_BODY, sizeof(NUL_BODY) - 1, 0, PX_E_VALIDATION_INVALID_ENCODING, "" },
};

START_TEST(test_prefix_form)
{
	struct px_request r;
	struct px_buf got = PX_BUF_INIT;
	size_t len = prefix_cases[_i].len ? prefix_cases[_i].len : strlen(prefix_cases[_i].body), i;
	enum px_err e;

	px_request_init(&r);
	r.content_type = strdup(CT);
	r.body_len = prefix_cases[_i].cut ? prefix_cases[_i].cut : len;
	r.body = malloc(r.body_len + 1);
	memcpy(r.body, prefix_cases[_i].body, r.body_len);
	r.body[r.body_len] = '\0';
	r.body_partial = prefix_cases[_i].cut != 0;
	r.content_length = len;
	e = px_multipart_prefix_form(&r);
	ck_assert_msg(e == prefix_cases[_i].want, "line %d: want %s got %s", prefix_cases[_i].line,
		      px_err_name(prefix_cases[_i].want), px_err_name(e));
	for (i = 0; e == PX_OK && i < r.form.n; i++)
		px_buf_printf(&got, "%s=%s|", r.form.items[i].name, r.form.items[i].value);
	if (e == PX_OK)
		ck_assert_msg(strcmp(got.data ? got.data : "", prefix_cases[_i].form) == 0,
			      "line %d: want %s got %s", prefix_cases[_i].line, prefix_cases[_i].form,
			      got.data ? got.data : "");
	px_buf_free(&got);
	px_request_clear(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("reader");

	tcase_add_loop_test(tc, test_reader, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_large_part);
	tcase_add_loop_test(tc, test_prefix_form, 0, sizeof(prefix_cases) / sizeof(prefix_cases[0]));
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
