/* check_safefetch.c: the SSRF-safe client: the address classifier (a
 * table of addresses and what each is), the allow-list, DNS rebinding
 * between the save-time check and the fetch (a resolver that changes its
 * answer), and fetches from a one-thread HTTP server on loopback: allowed
 * only through the allow-list, redirects to other private addresses
 * refused, answers bounded in size and time. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/safefetch.h"
#include "tests/unit/run_suite.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void addr(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else {
		ck_assert_msg(inet_pton(AF_INET6, text,
					&((struct sockaddr_in6 *)ss)->sin6_addr) == 1,
			      "bad test address %s", text);
		ss->ss_family = AF_INET6;
	}
}

static const struct {
	int line;
	const char *addr;
	const char *want; /* NULL: public */
} cases[] = {
	{ __LINE__, "127.0.0.1", "loopback" },
	{ __LINE__, "127.255.255.254", "loopback" },
	{ __LINE__, "10.0.0.1", "private" },
	{ __LINE__, "10.255.255.255", "private" },
	{ __LINE__, "172.16.0.1", "private" },
	{ __LINE__, "172.31.255.255", "private" },
	{ __LINE__, "172.32.0.1", NULL },
	{ __LINE__, "172.15.255.255", NULL },
	{ __LINE__, "192.168.1.1", "private" },
	{ __LINE__, "192.169.0.1", NULL },
	{ __LINE__, "169.254.169.254", "metadata" },
	{ __LINE__, "169.254.0.1", "link-local" },
	{ __LINE__, "100.64.0.1", "cgnat" },
	{ __LINE__, "100.127.255.255", "cgnat" },
	{ __LINE__, "100.128.0.1", NULL },
	{ __LINE__, "100.63.255.255", NULL },
	{ __LINE__, "0.0.0.0", "unspecified" },
	{ __LINE__, "0.1.2.3", "unspecified" },
	{ __LINE__, "224.0.0.1", "multicast" },
	{ __LINE__, "239.255.255.250", "multicast" },
	{ __LINE__, "255.255.255.255", "broadcast" },
	{ __LINE__, "240.0.0.1", "reserved" },
	{ __LINE__, "192.0.2.1", "reserved" },
	{ __LINE__, "198.51.100.7", "reserved" },
	{ __LINE__, "203.0.113.9", "reserved" },
	{ __LINE__, "198.18.0.1", "reserved" },
	{ __LINE__, "192.0.0.8", "reserved" },
	{ __LINE__, "8.8.8.8", NULL },
	{ __LINE__, "93.184.216.34", NULL },
	{ __LINE__, "1.1.1.1", NULL },
	{ __LINE__, "::", "unspecified" },
	{ __LINE__, "::1", "loopback" },
	{ __LINE__, "::ffff:127.0.0.1", "loopback" },
	{ __LINE__, "::ffff:169.254.169.254", "metadata" },
	{ __LINE__, "::ffff:10.1.2.3", "private" },
	{ __LINE__, "::ffff:8.8.8.8", NULL },
	{ __LINE__, "::127.0.0.1", "loopback" },           /* IPv4-compatible */
	{ __LINE__, "64:ff9b::7f00:1", "loopback" },        /* NAT64 of 127.0.0.1 */
	{ __LINE__, "64:ff9b::a9fe:a9fe", "metadata" },
	{ __LINE__, "64:ff9b::808:808", NULL },
	{ __LINE__, "64:ff9b:1::1", "nat64-local" },
	{ __LINE__, "2002:7f00:1::1", "loopback" },         /* 6to4 of 127.0.0.1 */
	{ __LINE__, "2002:c0a8:101::1", "private" },
	{ __LINE__, "2002:808:808::1", NULL },
	{ __LINE__, "2001::1", "teredo" },
	{ __LINE__, "2001:db8::1", "reserved" },
	{ __LINE__, "100::1", "reserved" },
	{ __LINE__, "fc00::1", "private" },
	{ __LINE__, "fd12:3456::1", "private" },
	{ __LINE__, "fd00:ec2::254", "metadata" },
	{ __LINE__, "fe80::1", "link-local" },
	{ __LINE__, "febf::1", "link-local" },
	{ __LINE__, "fec0::1", "private" },
	{ __LINE__, "ff02::1", "multicast" },
	{ __LINE__, "2606:4700::1111", NULL },
	{ __LINE__, "2a00:1450:4001::200e", NULL },
};

START_TEST(test_classify)
{
	struct sockaddr_storage ss;
	const char *got;

	addr(cases[_i].addr, &ss);
	got = px_sf_classify((struct sockaddr *)&ss);
	ck_assert_msg((got == NULL && cases[_i].want == NULL) ||
		      (got && cases[_i].want && strcmp(got, cases[_i].want) == 0),
		      "line %d: %s: want %s, got %s", cases[_i].line, cases[_i].addr,
		      cases[_i].want ? cases[_i].want : "public", got ? got : "public");
}
END_TEST

static const struct {
	int line;
	const char *allow, *addr;
	int want;
} allow_cases[] = {
	{ __LINE__, "", "127.0.0.1", 0 },
	{ __LINE__, NULL, "10.0.0.1", 0 },
	{ __LINE__, "127.0.0.2", "127.0.0.2", 1 },
	{ __LINE__, "127.0.0.2", "127.0.0.1", 0 },
	{ __LINE__, "127.0.0.2/32", "::ffff:127.0.0.2", 1 },
	{ __LINE__, "10.0.0.0/8, 192.168.0.0/16", "192.168.4.4", 1 },
	{ __LINE__, "10.0.0.0/8, 192.168.0.0/16", "172.16.0.1", 0 },
	{ __LINE__, "0.0.0.0/0", "169.254.169.254", 0 },  /* metadata: never */
	{ __LINE__, "::/0", "fd00:ec2::254", 0 },
	{ __LINE__, "fd00::/8", "fd12::1", 1 },
	{ __LINE__, "fd00::/8", "fc00::1", 0 },
	{ __LINE__, "", "8.8.8.8", 1 },                   /* public is always fine */
	{ __LINE__, "127.0.0.0/31", "127.0.0.1", 1 },
	{ __LINE__, "127.0.0.0/31", "127.0.0.2", 0 },
};

START_TEST(test_allow)
{
	struct sockaddr_storage ss;
	int got;

	addr(allow_cases[_i].addr, &ss);
	got = px_sf_allowed((struct sockaddr *)&ss, allow_cases[_i].allow, NULL);
	ck_assert_msg(got == allow_cases[_i].want, "line %d: allow %s, %s: want %d got %d",
		      allow_cases[_i].line, allow_cases[_i].allow ? allow_cases[_i].allow : "NULL",
		      allow_cases[_i].addr, allow_cases[_i].want, got);
}
END_TEST

START_TEST(test_allow_valid)
{
	ck_assert_int_eq(px_sf_allow_valid(""), 0);
	ck_assert_int_eq(px_sf_allow_valid(NULL), 0);
	ck_assert_int_eq(px_sf_allow_valid("127.0.0.2, 10.0.0.0/8,fd00::/8"), 0);
	ck_assert_int_eq(px_sf_allow_valid("10.0.0.0/33"), -1);
	ck_assert_int_eq(px_sf_allow_valid("example.com"), -1);
	ck_assert_int_eq(px_sf_allow_valid("10.0.0.0/"), -1);
	ck_assert_int_eq(px_sf_allow_valid("10.0.0.0/8,,"), -1);
}
END_TEST

/* A resolver that answers from a list, one call after another: the
 * attacker's DNS that says "public" at save time and "loopback" later. */
struct script {
	const char *answers[4];
	int calls;
};

static int scripted(void *arg, const char *host, struct sockaddr_storage *out, int max)
{
	struct script *s = arg;
	const char *a = s->answers[s->calls < 3 ? s->calls : 3];
	char one[64];
	const char *p = a;
	int n = 0;

	(void)host;
	s->calls++;
	while (p && *p && n < max) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		addr(one, &out[n++]);
		p = comma ? comma + 1 : NULL;
	}
	return n;
}

START_TEST(test_url_checks)
{
	static const struct {
		int line;
		const char *url;
		enum px_sf_result want;
	} u[] = {
		{ __LINE__, "http://127.0.0.1/", PX_SF_REFUSED },
		{ __LINE__, "http://[::ffff:127.0.0.1]:8080/x", PX_SF_REFUSED },
		{ __LINE__, "http://[::1]/", PX_SF_REFUSED },
		{ __LINE__, "http://169.254.169.254/latest/meta-data/", PX_SF_REFUSED },
		{ __LINE__, "http://[64:ff9b::a9fe:a9fe]/", PX_SF_REFUSED },
		{ __LINE__, "http://0x7f000001/", PX_SF_REFUSED },      /* curl reads it as 127.0.0.1 */
		{ __LINE__, "http://2130706433/", PX_SF_REFUSED },
		{ __LINE__, "http://0177.0.0.1/", PX_SF_REFUSED },
		{ __LINE__, "ftp://example.com/", PX_SF_BAD_URL },
		{ __LINE__, "file:///etc/passwd", PX_SF_BAD_URL },
		{ __LINE__, "gopher://example.com/", PX_SF_BAD_URL },
		{ __LINE__, "http://user:pw@example.com/", PX_SF_BAD_URL },
		{ __LINE__, "not a url", PX_SF_BAD_URL },
		{ __LINE__, "http://8.8.8.8/", PX_SF_DONE },
	};
	char d[256];
	size_t i;

	for (i = 0; i < N(u); i++) {
		enum px_sf_result r = px_sf_check_url(u[i].url, "", NULL, NULL, d, sizeof(d));

		ck_assert_msg(r == u[i].want, "line %d: %s: want %s got %s (%s)", u[i].line,
			      u[i].url, px_sf_result_name(u[i].want), px_sf_result_name(r), d);
	}
}
END_TEST

START_TEST(test_names_all_addresses)
{
	struct script s = { { "93.184.216.34,10.0.0.5", NULL, NULL, NULL }, 0 };
	char d[256];

	/* one private address among public ones refuses the name */
	ck_assert_int_eq(px_sf_check_url("https://hooks.example/", "", scripted, &s, d,
					 sizeof(d)), PX_SF_REFUSED);
	ck_assert_msg(strstr(d, "private") != NULL, "%s", d);
}
END_TEST

START_TEST(test_rebinding)
{
	struct script s = { { "93.184.216.34", "127.0.0.1", "127.0.0.1", "127.0.0.1" }, 0 };
	struct px_sf_req req = { 0 };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result r;

	/* saved while the name pointed outside ... */
	ck_assert_int_eq(px_sf_check_url("http://rebind.example/", "", scripted, &s, NULL, 0),
			 PX_SF_DONE);
	/* ... and at delivery it says loopback: nothing is connected */
	req.method = "POST";
	req.url = "http://rebind.example/";
	req.body = "{}";
	req.body_len = 2;
	req.resolve = scripted;
	req.resolve_arg = &s;
	req.timeout_ms = 2000;
	r = px_sf_fetch(&req, &resp);
	ck_assert_msg(r == PX_SF_REFUSED, "got %s (%s)", px_sf_result_name(r), resp.detail);
	ck_assert_msg(strstr(resp.detail, "loopback") != NULL, "%s", resp.detail);
	ck_assert_int_eq(resp.status, 0);
	px_buf_free(&resp.body);
}
END_TEST

/* --- a one-thread HTTP server on 127.0.0.1 --------------------------------- */

struct server {
	int fd;
	int port;
	const char *answer;     /* whole HTTP answer; "%d" is replaced by port */
	size_t flood;           /* after the answer's head, this many more bytes */
	int silent;             /* accept and never answer */
	int served;
	pthread_t th;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	char buf[8192], out[1024];
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		ssize_t n = read(c, buf, sizeof(buf));

		(void)n;
		s->served++;
		if (s->silent) {
			sleep(3);
			close(c);
			continue;
		}
		snprintf(out, sizeof(out), s->answer, s->port);
		/* MSG_NOSIGNAL: the client hangs up on a flood before it ends, and
		 * a write to it would kill the whole test with SIGPIPE */
		if (send(c, out, strlen(out), MSG_NOSIGNAL) < 0)
			goto next;
		if (s->flood) {
			size_t left = s->flood;

			memset(buf, 'x', sizeof(buf));
			while (left) {
				size_t k = left < sizeof(buf) ? left : sizeof(buf);

				if (send(c, buf, k, MSG_NOSIGNAL) < 0)
					break;
				left -= k;
			}
		}
next:
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s->fd, 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7F000001);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->fd, 16), 0);
	getsockname(s->fd, (struct sockaddr *)&a, &len);
	s->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->th, NULL);
}

static enum px_sf_result get(struct server *s, const char *allow, const char *path,
			     size_t max, long ms, struct px_sf_resp *resp)
{
	struct px_sf_req req = { 0 };
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	req.method = "GET";
	req.url = url;
	req.allow = allow;
	req.max_bytes = max;
	req.timeout_ms = ms;
	req.max_redirects = 3;
	return px_sf_fetch(&req, resp);
}

START_TEST(test_fetch_allow_list)
{
	struct server s = { .answer = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				      "Content-Length: 5\r\n\r\nhello" };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result r;

	server_start(&s);
	/* without the allow-list loopback is never reached */
	r = get(&s, "", "/", 0, 3000, &resp);
	ck_assert_msg(r == PX_SF_REFUSED, "got %s", px_sf_result_name(r));
	ck_assert_int_eq(s.served, 0);
	r = get(&s, "127.0.0.2", "/", 0, 3000, &resp);
	ck_assert_msg(r == PX_SF_REFUSED, "got %s", px_sf_result_name(r));
	/* with it, it is */
	r = get(&s, "127.0.0.1/32", "/", 0, 3000, &resp);
	ck_assert_msg(r == PX_SF_DONE, "got %s (%s)", px_sf_result_name(r), resp.detail);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.data, "hello");
	ck_assert_str_eq(resp.content_type, "text/plain");
	server_stop(&s);
	px_buf_free(&resp.body);
}
END_TEST

START_TEST(test_fetch_redirect_rechecked)
{
	struct server s = { .answer = "HTTP/1.0 302 Found\r\nLocation: http://127.0.0.3:%d/in\r\n"
				      "Content-Length: 0\r\n\r\n" };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result r;

	server_start(&s);
	/* the first hop is allowed, its redirect to another loopback address
	 * is not: refused before connecting */
	r = get(&s, "127.0.0.1", "/", 0, 3000, &resp);
	ck_assert_msg(r == PX_SF_REFUSED, "got %s (%s)", px_sf_result_name(r), resp.detail);
	ck_assert_int_eq(s.served, 1);
	server_stop(&s);
	px_buf_free(&resp.body);
}
END_TEST

START_TEST(test_fetch_redirect_loop)
{
	struct server s = { .answer = "HTTP/1.0 307 Temporary\r\nLocation: /again\r\n"
				      "Content-Length: 0\r\n\r\n" };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result r;

	server_start(&s);
	r = get(&s, "127.0.0.1", "/", 0, 3000, &resp);
	ck_assert_msg(r == PX_SF_REDIRECTS, "got %s", px_sf_result_name(r));
	ck_assert_int_eq(s.served, 4);
	server_stop(&s);
	px_buf_free(&resp.body);
}
END_TEST

START_TEST(test_fetch_bounded)
{
	struct server big = { .answer = "HTTP/1.0 200 OK\r\n\r\n", .flood = 8u << 20 };
	struct server mute = { .silent = 1 };
	struct px_sf_resp resp = { 0 };
	enum px_sf_result r;

	server_start(&big);
	r = get(&big, "127.0.0.1", "/", 64 * 1024, 5000, &resp);
	ck_assert_msg(r == PX_SF_TOO_LARGE, "got %s", px_sf_result_name(r));
	ck_assert_uint_le(resp.body.len, 64 * 1024);
	server_stop(&big);
	server_start(&mute);
	r = get(&mute, "127.0.0.1", "/", 0, 500, &resp);
	ck_assert_msg(r == PX_SF_TIMEOUT, "got %s", px_sf_result_name(r));
	server_stop(&mute);
	px_buf_free(&resp.body);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("safefetch");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_classify, 0, N(cases));
	tcase_add_loop_test(tc, test_allow, 0, N(allow_cases));
	tcase_add_test(tc, test_allow_valid);
	tcase_add_test(tc, test_url_checks);
	tcase_add_test(tc, test_names_all_addresses);
	tcase_add_test(tc, test_rebinding);
	tcase_add_test(tc, test_fetch_allow_list);
	tcase_add_test(tc, test_fetch_redirect_rechecked);
	tcase_add_test(tc, test_fetch_redirect_loop);
	tcase_add_test(tc, test_fetch_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_ALL);
	rc = px_check_run(suite(), CK_FORK_GETENV);
	curl_global_cleanup();
	return rc;
}
