/* check_backup_s3.c: the S3 backend against a canned HTTP server on
 * loopback. A listing is whole or it fails: a page truncated without a
 * continuation token, without IsTruncated, with a bad entry, a failed
 * page or a repeating token is an error, never a short list reported as
 * complete. A transfer whose setup fails ends with an error and frees its
 * curl handle (counted by wrapping curl_easy_init/cleanup, and failing
 * curl_multi_add_handle on demand, in this program). */
#include <check.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "storage/px_st_open.h"
#include "tests/unit/run_suite.h"

/* ---- curl wrappers: the backend links to these, they call libcurl ---- */

static int easy_live;   /* easy handles made and not cleaned up */
static int fail_add;    /* curl_multi_add_handle calls still to refuse */

static void *real_fn(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	ck_assert_msg(f != NULL, "no %s in libcurl", name);
	return f;
}

CURL *curl_easy_init(void)
{
	CURL *(*real)(void) = (CURL *(*)(void))real_fn("curl_easy_init");
	CURL *h = real();

	if (h)
		easy_live++;
	return h;
}

void curl_easy_cleanup(CURL *h)
{
	void (*real)(CURL *) = (void (*)(CURL *))real_fn("curl_easy_cleanup");

	if (h)
		easy_live--;
	real(h);
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
	CURLMcode (*real)(CURLM *, CURL *) =
		(CURLMcode (*)(CURLM *, CURL *))real_fn("curl_multi_add_handle");

	if (fail_add > 0) {
		fail_add--;
		return CURLM_OUT_OF_MEMORY;
	}
	return real(m, h);
}

/* ---- a canned ListObjectsV2 server ---- */

/* The answer to a request with this continuation token (NULL: none). */
struct page {
	const char *token;
	int status;
	const char *body;
};

struct fake {
	int fd, port, requests;
	pthread_t thread;
	const struct page *pages;   /* ended by status 0 */
};

/* The page for the request line in req, or NULL. */
static const struct page *page_for(const struct fake *f, const char *req)
{
	const char *t = strstr(req, "continuation-token=");
	size_t n = 0;
	int i;

	if (t) {
		t += strlen("continuation-token=");
		n = strcspn(t, "& \r\n");
	}
	for (i = 0; f->pages[i].status; i++)
		if (t ? f->pages[i].token && strlen(f->pages[i].token) == n &&
			!strncmp(f->pages[i].token, t, n) : !f->pages[i].token)
			return &f->pages[i];
	return NULL;
}

/* Reads one request's head from c and answers it; the connection closes. */
static void serve(struct fake *f, int c)
{
	char req[8192], head[256];
	const struct page *p;
	size_t len = 0;
	ssize_t n;
	const char *body;
	int status;

	while (len < sizeof(req) - 1 &&
	       (n = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	f->requests++;
	p = page_for(f, req);
	status = p ? p->status : 400;
	body = p ? p->body : "<Error><Code>InvalidArgument</Code></Error>";
	snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/xml\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, strlen(body));
	if (send(c, head, strlen(head), MSG_NOSIGNAL) < 0 ||
	    send(c, body, strlen(body), MSG_NOSIGNAL) < 0)
		return;
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	int c;

	while ((c = accept(f->fd, NULL, NULL)) >= 0) {
		serve(f, c);
		close(c);
	}
	return NULL;
}

static void fake_start(struct fake *f, const struct page *pages)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->pages = pages;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(f->fd, 8), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&a, &alen), 0);
	f->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR);   /* wakes accept() */
	pthread_join(f->thread, NULL);
	close(f->fd);
}

static struct px_st_store *open_store(int port)
{
	char ep[64];
	struct px_st_store_opts o = {
		.url = "s3://bkt/pre", .s3_endpoint = ep, .s3_access_key = "AK",
		.s3_secret_key = "SK", .s3_path_style = 1, .concurrency = 2,
	};
	struct px_buf err = PX_BUF_INIT;
	struct px_st_store *st;

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	st = px_st_store_open(&o, &err);
	ck_assert_msg(st != NULL, "open: %s", err.data ? err.data : "?");
	px_buf_free(&err);
	return st;
}

/* ---- listings ---- */

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
	"<Name>bkt</Name><Prefix>pre/shards/</Prefix>"
#define TRUNC(t) "<IsTruncated>" t "</IsTruncated>"
#define NEXT(t) "<NextContinuationToken>" t "</NextContinuationToken>"
#define OBJ(k, n) "<Contents><Key>pre/shards/" k "</Key><Size>" n "</Size></Contents>"
#define END "</ListBucketResult>"

static const struct page one_page[] = {
	{ NULL, 200, HEAD TRUNC("false") OBJ("a", "1") OBJ("b", "22") END },
	{ NULL, 0, NULL },
};
static const struct page two_pages[] = {
	{ NULL, 200, HEAD TRUNC("true") NEXT("t1") OBJ("a", "1") END },
	{ "t1", 200, HEAD TRUNC("false") OBJ("b", "2") OBJ("c", "3") END },
	{ NULL, 0, NULL },
};
/* the truncated page names no next page: the listing cannot go on */
static const struct page no_token[] = {
	{ NULL, 200, HEAD TRUNC("true") OBJ("a", "1") END },
	{ NULL, 0, NULL },
};
static const struct page empty_token[] = {
	{ NULL, 200, HEAD TRUNC("true") NEXT("") OBJ("a", "1") END },
	{ NULL, 0, NULL },
};
static const struct page later_no_token[] = {
	{ NULL, 200, HEAD TRUNC("true") NEXT("t1") OBJ("a", "1") END },
	{ "t1", 200, HEAD TRUNC("true") OBJ("b", "2") END },
	{ NULL, 0, NULL },
};
static const struct page no_truncated[] = {
	{ NULL, 200, HEAD OBJ("a", "1") END },
	{ NULL, 0, NULL },
};
static const struct page page_fails[] = {
	{ NULL, 200, HEAD TRUNC("true") NEXT("t1") OBJ("a", "1") END },
	{ "t1", 403, "<Error><Code>AccessDenied</Code></Error>" },
	{ NULL, 0, NULL },
};
static const struct page cut_xml[] = {
	{ NULL, 200, HEAD TRUNC("false") "<Contents><Key>pre/shards/a</Key>" },
	{ NULL, 0, NULL },
};
static const struct page bad_size[] = {
	{ NULL, 200, HEAD TRUNC("false") OBJ("a", "1") OBJ("b", "x") END },
	{ NULL, 0, NULL },
};
static const struct page no_key[] = {
	{ NULL, 200, HEAD TRUNC("false") "<Contents><Size>1</Size></Contents>" END },
	{ NULL, 0, NULL },
};
/* a server that hands out the same token again would loop for ever */
static const struct page same_token[] = {
	{ NULL, 200, HEAD TRUNC("true") NEXT("t1") OBJ("a", "1") END },
	{ "t1", 200, HEAD TRUNC("true") NEXT("t1") OBJ("b", "2") END },
	{ NULL, 0, NULL },
};

static const struct {
	int line;
	const struct page *pages;
	int stop_after;        /* the callback stops after this many; 0: never */
	enum px_err want;
	const char *names;     /* when want is PX_OK */
	const char *why;       /* part of the store's errmsg otherwise */
} list_cases[] = {
	{ __LINE__, one_page, 0, PX_OK, "shards/a:1 shards/b:22 ", NULL },
	{ __LINE__, two_pages, 0, PX_OK, "shards/a:1 shards/b:2 shards/c:3 ", NULL },
	{ __LINE__, two_pages, 2, PX_OK, "shards/a:1 shards/b:2 ", NULL },
	{ __LINE__, no_token, 0, PX_E_STORAGE_FAILED, NULL, "without a continuation token" },
	{ __LINE__, empty_token, 0, PX_E_STORAGE_FAILED, NULL, "without a continuation token" },
	{ __LINE__, later_no_token, 0, PX_E_STORAGE_FAILED, NULL, "without a continuation token" },
	{ __LINE__, no_truncated, 0, PX_E_STORAGE_FAILED, NULL, "without IsTruncated" },
	{ __LINE__, page_fails, 0, PX_E_STORAGE_CREDENTIALS, NULL, "HTTP 403" },
	{ __LINE__, cut_xml, 0, PX_E_STORAGE_FAILED, NULL, "unparsable" },
	{ __LINE__, bad_size, 0, PX_E_STORAGE_FAILED, NULL, "numeric Size" },
	{ __LINE__, no_key, 0, PX_E_STORAGE_FAILED, NULL, "without a Key" },
	{ __LINE__, same_token, 0, PX_E_STORAGE_FAILED, NULL, "token repeats" },
};

struct seen {
	struct px_buf names;
	int n, stop_after;
};

static int collect(void *arg, const char *name, size_t size)
{
	struct seen *s = arg;

	px_buf_printf(&s->names, "%s:%zu ", name, size);
	return s->stop_after && ++s->n >= s->stop_after;
}

START_TEST(test_list)
{
	struct seen seen = { PX_BUF_INIT, 0, list_cases[_i].stop_after };
	struct px_st_store *st;
	struct fake f;
	enum px_err rc;

	fake_start(&f, list_cases[_i].pages);
	st = open_store(f.port);
	rc = px_st_list(st, "shards/", collect, &seen);
	px_buf_puts(&seen.names, "");
	px_buf_puts(&st->errmsg, "");
	ck_assert_msg(rc == list_cases[_i].want, "line %d: want %s got %s (%s; listed %s)",
		      list_cases[_i].line, px_err_name(list_cases[_i].want),
		      px_err_name(rc), st->errmsg.data, seen.names.data);
	if (rc == PX_OK)
		ck_assert_msg(!strcmp(seen.names.data, list_cases[_i].names),
			      "line %d: want %s got %s", list_cases[_i].line,
			      list_cases[_i].names, seen.names.data);
	else
		ck_assert_msg(strstr(st->errmsg.data, list_cases[_i].why),
			      "line %d: want \"%s\" in \"%s\"", list_cases[_i].line,
			      list_cases[_i].why, st->errmsg.data);
	px_st_store_free(st);
	fake_stop(&f);
	px_buf_free(&seen.names);
}
END_TEST

/* ---- transfers whose setup fails ---- */

START_TEST(test_setup_failure)
{
	static const struct page none[] = { { NULL, 0, NULL } };
	struct px_buf data = PX_BUF_INIT;
	struct px_st_store *st;
	struct fake f;
	int base;

	fake_start(&f, none);
	st = open_store(f.port);
	base = easy_live;   /* libcurl's multi handle makes one of its own */
	fail_add = 1;
	ck_assert_int_eq(px_st_put(st, "x", "data", 4), PX_E_STORAGE_FAILED);
	ck_assert_int_eq(easy_live, base);
	px_buf_puts(&st->errmsg, "");
	ck_assert_msg(strstr(st->errmsg.data, "PUT x: cannot set up the transfer"),
		      "got %s", st->errmsg.data);
	/* the same for a queued upload: flush reports it */
	fail_add = 1;
	px_buf_puts(&data, "data");
	ck_assert_int_eq(px_st_put_async(st, "y", &data), PX_OK);
	ck_assert_int_eq(px_st_flush(st), PX_E_STORAGE_FAILED);
	ck_assert_int_eq(easy_live, base);
	ck_assert_int_eq(fail_add, 0);
	ck_assert_int_eq(f.requests, 0);
	px_st_store_free(st);
	fake_stop(&f);
	px_buf_free(&data);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backup_s3");
	TCase *tc = tcase_create("list");

	tcase_add_loop_test(tc, test_list, 0, (int)(sizeof(list_cases) / sizeof(list_cases[0])));
	tcase_add_test(tc, test_setup_failure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
