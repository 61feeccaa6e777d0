/* check_waf_feed.c: canonical CIDR text and overlaps, the shared-block
 * set, the waf_feeds value, feed validation (malformed lines skipped,
 * reserved ranges skipped, broken feeds refused) and upload kinds by
 * content (libmagic backed by the built-in sniffer). */
#include "waf/waf_feed.h"
#include "waf/waf_ftype.h"
#include "waf/waf_ip.h"
#include "waf/waf_magic.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/run_suite.h"

static const struct {
	int line;
	const char *in, *want; /* want NULL: malformed */
	int v4, bits;
} norm_cases[] = {
	{__LINE__, "192.0.2.7", "192.0.2.7/32", 1, 32},
	{__LINE__, "192.0.2.77/24", "192.0.2.0/24", 1, 24},
	{__LINE__, "10.1.2.3/8", "10.0.0.0/8", 1, 8},
	{__LINE__, "0.0.0.0/0", "0.0.0.0/0", 1, 0},
	{__LINE__, "2001:DB8::1/32", "2001:db8::/32", 0, 32},
	{__LINE__, "2001:db8::1", "2001:db8::1/128", 0, 128},
	{__LINE__, "::ffff:10.1.2.3/120", "::ffff:10.1.2.0/120", 0, 120},
	{__LINE__, "192.0.2.1/33", NULL, 0, 0},
	{__LINE__, "192.0.2.1/", NULL, 0, 0},
	{__LINE__, "192.0.2.1/+8", NULL, 0, 0},
	{__LINE__, "192.0.2.1/-1", NULL, 0, 0},
	{__LINE__, "2001:db8::/129", NULL, 0, 0},
	{__LINE__, "300.1.1.1", NULL, 0, 0},
	{__LINE__, "example.com", NULL, 0, 0},
	{__LINE__, "", NULL, 0, 0},
};

START_TEST(test_cidr_norm)
{
	size_t i;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		char out[64] = "";
		int v4 = -1, bits = -1;
		int rc = px_waf_ip_cidr_norm(norm_cases[i].in, strlen(norm_cases[i].in), out,
					     sizeof(out), &v4, &bits);

		if (!norm_cases[i].want) {
			ck_assert_msg(rc == -1, "line %d: %s: expected malformed, got %s",
				      norm_cases[i].line, norm_cases[i].in, out);
			continue;
		}
		ck_assert_msg(rc == 0 && strcmp(out, norm_cases[i].want) == 0 &&
				      v4 == norm_cases[i].v4 && bits == norm_cases[i].bits,
			      "line %d: %s: expected %s v4=%d /%d, got rc=%d %s v4=%d /%d",
			      norm_cases[i].line, norm_cases[i].in, norm_cases[i].want,
			      norm_cases[i].v4, norm_cases[i].bits, rc, out, v4, bits);
	}
}
END_TEST

START_TEST(test_overlap)
{
	static const struct {
		int line;
		const char *a, *b;
		int want;
	} c[] = {
		{__LINE__, "10.0.0.0/8", "10.200.0.0/16", 1},
		{__LINE__, "10.200.0.0/16", "10.0.0.0/8", 1},
		{__LINE__, "11.0.0.0/8", "10.0.0.0/8", 0},
		{__LINE__, "8.0.0.0/6", "10.0.0.0/8", 1},
		{__LINE__, "192.0.2.1", "192.0.2.0/24", 1},
		{__LINE__, "2001:db8::/32", "10.0.0.0/8", 0},
		{__LINE__, "::ffff:10.0.0.1", "10.0.0.0/8", 1},
		{__LINE__, "bad", "10.0.0.0/8", -1},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int got = px_waf_ip_cidr_overlap(c[i].a, strlen(c[i].a), c[i].b, strlen(c[i].b));

		ck_assert_msg(got == c[i].want, "line %d: %s vs %s: expected %d got %d", c[i].line,
			      c[i].a, c[i].b, c[i].want, got);
	}
}
END_TEST

START_TEST(test_blocks)
{
	struct px_waf_ip_blocks *b = px_waf_ip_blocks_new();
	char addr[64];
	time_t until = 0;

	ck_assert_int_eq(px_waf_ip_blocks_add(b, "203.0.113.9", 1000), 0);
	ck_assert_int_eq(px_waf_ip_blocks_add(b, "2001:db8::7", 2000), 0);
	ck_assert_int_eq(px_waf_ip_blocks_add(b, "198.51.100.1", 500), 0);
	ck_assert_int_eq(px_waf_ip_blocks_add(b, "not an ip", 500), -1);
	px_waf_ip_blocks_finish(b);
	ck_assert_uint_eq(px_waf_ip_blocks_count(b), 3);
	ck_assert_int_eq(px_waf_ip_blocks_find(b, "203.0.113.9", 999, &until), 1);
	ck_assert_int_eq((int)until, 1000);
	ck_assert_int_eq(px_waf_ip_blocks_find(b, "203.0.113.9", 1000, NULL), 0); /* ended */
	ck_assert_int_eq(px_waf_ip_blocks_find(b, "::ffff:203.0.113.9", 10, NULL), 1);
	ck_assert_int_eq(px_waf_ip_blocks_find(b, "2001:db8:0::7", 10, NULL), 1);
	ck_assert_int_eq(px_waf_ip_blocks_find(b, "203.0.113.10", 10, NULL), 0);
	ck_assert_int_eq(px_waf_ip_blocks_find(NULL, "203.0.113.9", 10, NULL), 0);
	ck_assert_int_eq(px_waf_ip_blocks_get(b, 0, addr, sizeof(addr), &until), 0);
	ck_assert_str_eq(addr, "198.51.100.1"); /* sorted by address */
	ck_assert_int_eq(px_waf_ip_blocks_get(b, 3, addr, sizeof(addr), &until), -1);
	px_waf_ip_blocks_free(b);
}
END_TEST

START_TEST(test_sources)
{
	struct px_waf_feed_src s[4];
	struct px_buf err = PX_BUF_INIT;
	int n;

	n = px_waf_feed_sources("drop=https://www.spamhaus.org/drop/drop.txt, "
				"http://127.0.0.1:9/level1.netset?x=a=b",
				s, 4, &err);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(s[0].name, "drop");
	ck_assert_str_eq(s[0].url, "https://www.spamhaus.org/drop/drop.txt");
	ck_assert_str_eq(s[1].url, "http://127.0.0.1:9/level1.netset?x=a=b");
	ck_assert_str_eq(s[1].name, "http://127.0.0.1:9/level1.netset?x=a=b");
	ck_assert_int_eq(px_waf_feed_sources("", s, 4, &err), 0);
	ck_assert_int_eq(px_waf_feed_sources("ftp://x/y", s, 4, &err), -1);
	ck_assert_int_eq(px_waf_feed_sources("Bad Name=https://x/", s, 4, &err), -1);
	ck_assert_int_eq(px_waf_feed_sources("file:///etc/passwd", s, 4, &err), -1);
	ck_assert_int_eq(px_waf_feed_sources("a=https://x/ b=https://y/ c=https://z/", s, 2, &err), -1);
	px_buf_free(&err);
}
END_TEST

static const struct {
	int line;
	const char *text;
	int rc;
	size_t n, bad, reserved;
} feed_cases[] = {
	{__LINE__, "; Spamhaus DROP\n1.10.16.0/20 ; SBL256894\n2.56.192.0/22 ; SBL459831\n", 0, 2, 0, 0},
	{__LINE__, "# FireHOL level1\n203.0.113.0/24\n198.51.100.7\r\n10.0.0.0/8\n127.0.0.0/8\n"
		   "0.0.0.0/8\n192.168.0.0/16\n2001:db8::/32\nfe80::/10\n1.0.0.0/4\n",
	 0, 3, 0, 6},
	{__LINE__, "203.0.113.0/24\n198.51.100.0/24\n192.0.2.0/24\nnot-an-ip\n", 0, 3, 1, 0},
	{__LINE__, "203.0.113.0/24\nfoo\nbar\nbaz\n", -1, 1, 3, 0},        /* mostly garbage */
	{__LINE__, "", -1, 0, 0, 0},                                          /* empty */
	{__LINE__, "# only comments\n; and more\n\n", -1, 0, 0, 0},
	{__LINE__, "10.0.0.0/8\n172.16.0.0/12\n", -1, 0, 0, 2},              /* nothing usable */
	{__LINE__, "  <!DOCTYPE html><html>203.0.113.0/24</html>", -1, 0, 0, 0},
};

START_TEST(test_feed_parse)
{
	size_t i;

	for (i = 0; i < sizeof(feed_cases) / sizeof(feed_cases[0]); i++) {
		struct px_buf err = PX_BUF_INIT;
		struct px_waf_feed f;
		int rc = px_waf_feed_parse(feed_cases[i].text, strlen(feed_cases[i].text), &f, &err);

		ck_assert_msg(rc == feed_cases[i].rc && f.n == feed_cases[i].n &&
				      f.bad == feed_cases[i].bad && f.reserved == feed_cases[i].reserved,
			      "line %d: expected rc=%d n=%zu bad=%zu reserved=%zu, got rc=%d n=%zu "
			      "bad=%zu reserved=%zu (%s)",
			      feed_cases[i].line, feed_cases[i].rc, feed_cases[i].n, feed_cases[i].bad,
			      feed_cases[i].reserved, rc, f.n, f.bad, f.reserved,
			      err.data ? err.data : "");
		ck_assert_msg(rc == 0 || (err.data && strstr(err.data, "refused")),
			      "line %d: a refusal names itself", feed_cases[i].line);
		px_waf_feed_free(&f);
		px_buf_free(&err);
	}
}
END_TEST

START_TEST(test_feed_entries_canonical)
{
	static const char text[] = "203.0.113.77/24\n2001:DB8:0::1/48\n";
	struct px_buf err = PX_BUF_INIT;
	struct px_waf_feed f;

	ck_assert_int_eq(px_waf_feed_parse(text, sizeof(text) - 1, &f, &err), 0);
	ck_assert_uint_eq(f.n, 2);
	ck_assert_str_eq(f.cidrs[0], "203.0.113.0/24");
	ck_assert_str_eq(f.cidrs[1], "2001:db8::/48");
	px_waf_feed_free(&f);
	px_buf_free(&err);
}
END_TEST

START_TEST(test_feed_fetch_refuses_schemes)
{
	struct px_buf body = PX_BUF_INIT, err = PX_BUF_INIT;

	ck_assert_int_eq(px_waf_feed_fetch("file:///etc/hostname", 5, 1024, &body, &err), -1);
	ck_assert_uint_eq(body.len, 0);
	px_buf_free(&body);
	px_buf_free(&err);
}
END_TEST

/* Bytes by content: what the sniffer and libmagic agree on. */
#define B(lit) lit, sizeof(lit) - 1
static const struct {
	int line;
	const char *bytes;
	size_t n;
	enum px_waf_ftype want;
} kind_cases[] = {
	{__LINE__, B("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"),
	 PX_WAF_F_PNG},
	{__LINE__, B("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
	 PX_WAF_F_PDF},
	{__LINE__, B("meeting notes\n- SELECT * FROM users; rm -rf /tmp/x\n"), PX_WAF_F_TEXT},
	{__LINE__, B("#!/bin/sh\necho deploy\n"), PX_WAF_F_TEXT},
	{__LINE__, B("<?php system($_GET['c']); ?>\n"), PX_WAF_F_OTHER},
	{__LINE__, B("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"),
	 PX_WAF_F_OTHER},
	{__LINE__, B("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x</script></svg>\n"),
	 PX_WAF_F_OTHER},
	{__LINE__, B("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0"), PX_WAF_F_OTHER},
	{__LINE__, B("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"), PX_WAF_F_OTHER},
	/* media: the sniffer's kind is libmagic's */
	{__LINE__, B("\xff\xfb\x90\0\0\0\0\0\0\0\0\0\0\0\0\0"), PX_WAF_F_MP3},
	{__LINE__, B("\xff\xf1\x50\x80\x02\x1f\xfc\xff\xf1\x50\x80\x02\x1f\xfc"), PX_WAF_F_AAC},
	{__LINE__, B("OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x13"
		     "OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0"), PX_WAF_F_OGG},
	{__LINE__, B("\0\0\0\x18" "ftypM4A \0\0\0\0M4A isom"), PX_WAF_F_MP4},
	{__LINE__, B("\0\0\0\x14" "ftypqt  \0\0\x02\0qt  "), PX_WAF_F_MP4},
	{__LINE__, B("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic"), PX_WAF_F_OTHER},
	/* an ID3 tag: what follows it, or MP3 while the tag fills the view */
	{__LINE__, B("ID3\x03\0\0\0\x06\x1a\x20TIT2\0\0\0\x02\0\0\0x"), PX_WAF_F_MP3},
	{__LINE__, B("ID3\x04\0\0\0\0\0\x0c" "TIT2\0\0\0\x02\0\0\0x<?php system($_GET[1]); ?>\n"),
	 PX_WAF_F_OTHER},
	{__LINE__, B("ID3\x04\0\0\0\0\0\x0c" "TIT2\0\0\0\x02\0\0\0xfLaC\x80\0\0\x22\x10\0\x10\0"
		     "\0\0\0\0\0\0\x0a\xc4\x40\xf0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
	 PX_WAF_F_FLAC},
	{__LINE__, B("7z\xbc\xaf\x27\x1c\0\x04\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
	 PX_WAF_F_7Z},
};

START_TEST(test_content_kind)
{
	size_t i;

	for (i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		enum px_waf_ftype got = px_waf_ftype_content(kind_cases[i].bytes, kind_cases[i].n);
		char mime[128];

		(void)px_waf_magic_mime(kind_cases[i].bytes, kind_cases[i].n, mime, sizeof(mime));
		ck_assert_msg(got == kind_cases[i].want, "line %d: expected %s got %s (libmagic: %s)",
			      kind_cases[i].line, px_waf_ftype_name(kind_cases[i].want),
			      px_waf_ftype_name(got), mime);
	}
	px_waf_magic_cleanup();
}
END_TEST

START_TEST(test_magic_names)
{
	char mime[128];

	ck_assert_int_eq(px_waf_magic_preload(), 0);
	ck_assert_int_eq(px_waf_magic_preload(), 0);
	ck_assert_int_eq(px_waf_magic_mime("GIF89a\x01\0\x01\0\0\0\0;", 13, mime, sizeof(mime)), 0);
	ck_assert_str_eq(mime, "image/gif");
	px_waf_magic_cleanup();
	/* a new handle opens after the pool was emptied */
	ck_assert_int_eq(px_waf_magic_mime("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10, mime, sizeof(mime)), 0);
	ck_assert_str_eq(mime, "application/gzip");
	px_waf_magic_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("waf_feed");
	TCase *tc = tcase_create("waf_feed");

	tcase_add_test(tc, test_cidr_norm);
	tcase_add_test(tc, test_overlap);
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_feed_parse);
	tcase_add_test(tc, test_feed_entries_canonical);
	tcase_add_test(tc, test_feed_fetch_refuses_schemes);
	tcase_add_test(tc, test_content_kind);
	tcase_add_test(tc, test_magic_names);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
