/* check_wsproto.c: the RFC 6455 handshake value and the frame parser and
 * encoder of core/wsproto (masking, fragmentation, control frames, the
 * three length forms, limits, opcodes, UTF-8). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/wsproto.h"
#include "tests/unit/run_suite.h"

static const unsigned char MASK[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Parses all of b (a copy: the parser unmasks in place); returns the
 * result of the last call, with *m and *code from it. */
static enum px_ws_result parse_all(struct px_ws_parser *p, const struct px_buf *b,
				   struct px_ws_msg *m, int *code, char **keep)
{
	char *copy = malloc(b->len + 1);
	size_t used = 0;
	enum px_ws_result r;

	memcpy(copy, b->data, b->len);
	r = px_ws_parse(p, copy, b->len, &used, m, code);
	*keep = copy;
	return r;
}

START_TEST(test_accept_key)
{
	char out[29];

	/* RFC 6455 section 1.3's example */
	ck_assert_int_eq(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out), -1);
	ck_assert_int_eq(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==x", out), -1);
	/* 24 characters but not base64 of 16 bytes */
	ck_assert_int_eq(px_ws_accept_key("!!!!IHNhbXBsZSBub25jZQ==", out), -1);
	ck_assert_int_eq(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZWFh", out), -1);
}
END_TEST

START_TEST(test_masked_hello)
{
	/* RFC 6455 section 5.7: a masked text frame holding "Hello" */
	char f[] = { (char)0x81, (char)0x85, 0x37, (char)0xfa, 0x21, 0x3d, 0x7f, (char)0x9f,
		     0x4d, 0x51, 0x58 };
	struct px_ws_parser p;
	struct px_ws_msg m;
	size_t used, i;
	int code = 0;

	px_ws_parser_init(&p, 1024);
	/* byte by byte: nothing until the last one */
	for (i = 1; i < sizeof(f); i++) {
		char part[sizeof(f)];

		memcpy(part, f, i);
		ck_assert_int_eq(px_ws_parse(&p, part, i, &used, &m, &code), PX_WS_NEED_MORE);
		ck_assert_uint_eq(used, 0);
	}
	ck_assert_int_eq(px_ws_parse(&p, f, sizeof(f), &used, &m, &code), PX_WS_MESSAGE);
	ck_assert_uint_eq(used, sizeof(f));
	ck_assert_int_eq(m.op, PX_WS_TEXT);
	ck_assert_uint_eq(m.len, 5);
	ck_assert(memcmp(m.data, "Hello", 5) == 0);
	px_ws_parser_free(&p);
}
END_TEST

START_TEST(test_unmasked_refused)
{
	/* section 5.7's unmasked "Hello": a server must refuse it */
	char f[] = { (char)0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	struct px_ws_parser p;
	struct px_ws_msg m;
	size_t used;
	int code = 0;

	px_ws_parser_init(&p, 1024);
	ck_assert_int_eq(px_ws_parse(&p, f, sizeof(f), &used, &m, &code), PX_WS_ERROR);
	ck_assert_int_eq(code, PX_WS_CLOSE_PROTOCOL);
	px_ws_parser_free(&p);
}
END_TEST

START_TEST(test_fragments_with_ping_between)
{
	struct px_buf b = PX_BUF_INIT;
	struct px_ws_parser p;
	struct px_ws_msg m;
	size_t used, off = 0;
	int code = 0;
	char *copy;

	px_ws_client_frame(&b, PX_WS_TEXT, 0, "Hel", 3, MASK);
	px_ws_client_frame(&b, PX_WS_PING, 1, "p", 1, MASK);
	/* "é" split between two fragments is still valid text */
	px_ws_client_frame(&b, PX_WS_CONT, 0, "lo \xc3", 4, MASK);
	px_ws_client_frame(&b, PX_WS_CONT, 1, "\xa9", 1, MASK);
	px_ws_parser_init(&p, 1024);
	copy = malloc(b.len);
	memcpy(copy, b.data, b.len);
	ck_assert_int_eq(px_ws_parse(&p, copy, b.len, &used, &m, &code), PX_WS_MESSAGE);
	ck_assert_int_eq(m.op, PX_WS_PING);
	ck_assert_uint_eq(m.len, 1);
	off += used;
	ck_assert_int_eq(px_ws_parse(&p, copy + off, b.len - off, &used, &m, &code),
			 PX_WS_MESSAGE);
	ck_assert_int_eq(m.op, PX_WS_TEXT);
	ck_assert_uint_eq(m.len, 8);
	ck_assert(memcmp(m.data, "Hello \xc3\xa9", 8) == 0);
	off += used;
	ck_assert_uint_eq(off, b.len);
	free(copy);
	px_buf_free(&b);
	px_ws_parser_free(&p);
}
END_TEST

/* Server frames: the header form for each length boundary, and a client
 * frame of that length parses back to the same bytes. */
START_TEST(test_lengths)
{
	static const size_t lens[] = { 0, 125, 126, 65535, 65536 };
	static const size_t heads[] = { 2, 2, 4, 4, 10 };
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct px_buf s = PX_BUF_INIT, c = PX_BUF_INIT;
		char *payload = malloc(lens[i] + 1), *keep;
		struct px_ws_parser p;
		struct px_ws_msg m;
		int code = 0;

		memset(payload, 'a' + (int)(i % 26), lens[i]);
		px_ws_frame(&s, PX_WS_BINARY, payload, lens[i]);
		ck_assert_uint_eq(s.len, heads[i] + lens[i]);
		ck_assert_uint_eq((unsigned char)s.data[0], 0x82);
		if (heads[i] == 2)
			ck_assert_uint_eq((unsigned char)s.data[1], lens[i]);
		else if (heads[i] == 4)
			ck_assert_uint_eq((unsigned char)s.data[1], 126);
		else
			ck_assert_uint_eq((unsigned char)s.data[1], 127);
		px_ws_client_frame(&c, PX_WS_TEXT, 1, payload, lens[i], MASK);
		ck_assert_uint_eq(c.len, heads[i] + 4 + lens[i]);
		px_ws_parser_init(&p, 70000);
		ck_assert_int_eq(parse_all(&p, &c, &m, &code, &keep), PX_WS_MESSAGE);
		ck_assert_uint_eq(m.len, lens[i]);
		ck_assert(lens[i] == 0 || memcmp(m.data, payload, lens[i]) == 0);
		free(keep);
		px_ws_parser_free(&p);
		px_buf_free(&s);
		px_buf_free(&c);
		free(payload);
	}
}
END_TEST

static int error_of(const struct px_buf *b, size_t max)
{
	struct px_ws_parser p;
	struct px_ws_msg m;
	int code = 0;
	char *keep;
	enum px_ws_result r;

	px_ws_parser_init(&p, max);
	r = parse_all(&p, b, &m, &code, &keep);
	/* a message first (a fragment's start is not one): parse the rest */
	free(keep);
	px_ws_parser_free(&p);
	return r == PX_WS_ERROR ? code : 0;
}

START_TEST(test_oversize)
{
	struct px_buf b = PX_BUF_INIT;
	char big[1001];

	memset(big, 'x', sizeof(big));
	px_ws_client_frame(&b, PX_WS_TEXT, 1, big, sizeof(big), MASK);
	ck_assert_int_eq(error_of(&b, 1000), PX_WS_CLOSE_TOO_BIG);
	ck_assert_int_eq(error_of(&b, 1001), 0);
	/* fragments that together exceed the limit */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_TEXT, 0, big, 600, MASK);
	px_ws_client_frame(&b, PX_WS_CONT, 1, big, 600, MASK);
	ck_assert_int_eq(error_of(&b, 1000), PX_WS_CLOSE_TOO_BIG);
	/* a 64-bit length with the top bit set is a protocol error, and a
	 * huge declared length is refused before its bytes arrive */
	{
		char f[14] = { (char)0x81, (char)0xff, (char)0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
		char g[14] = { (char)0x81, (char)0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4 };
		struct px_ws_parser p;
		struct px_ws_msg m;
		size_t used;
		int code = 0;

		px_ws_parser_init(&p, 1000);
		ck_assert_int_eq(px_ws_parse(&p, f, sizeof(f), &used, &m, &code), PX_WS_ERROR);
		ck_assert_int_eq(code, PX_WS_CLOSE_PROTOCOL);
		ck_assert_int_eq(px_ws_parse(&p, g, sizeof(g), &used, &m, &code), PX_WS_ERROR);
		ck_assert_int_eq(code, PX_WS_CLOSE_TOO_BIG);
		px_ws_parser_free(&p);
	}
	px_buf_free(&b);
}
END_TEST

START_TEST(test_bad_frames)
{
	struct px_buf b = PX_BUF_INIT;
	char long_ping[126];

	/* opcodes 3-7 and 0xB-0xF are reserved */
	px_ws_client_frame(&b, (enum px_ws_op)0x3, 1, "x", 1, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	px_buf_reset(&b);
	px_ws_client_frame(&b, (enum px_ws_op)0xB, 1, "x", 1, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	/* a continuation with nothing to continue */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_CONT, 1, "x", 1, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	/* a new message inside a fragmented one */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_TEXT, 0, "x", 1, MASK);
	px_ws_client_frame(&b, PX_WS_TEXT, 1, "y", 1, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	/* control frames: fragmented, or longer than 125 */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_PING, 0, "x", 1, MASK);
	ck_assert_int_eq(error_of(&b, 1000), PX_WS_CLOSE_PROTOCOL);
	px_buf_reset(&b);
	memset(long_ping, 'p', sizeof(long_ping));
	px_ws_client_frame(&b, PX_WS_PING, 1, long_ping, sizeof(long_ping), MASK);
	ck_assert_int_eq(error_of(&b, 1000), PX_WS_CLOSE_PROTOCOL);
	/* an RSV bit without an extension */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_TEXT, 1, "x", 1, MASK);
	b.data[0] |= 0x40;
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	/* close frames: one byte, a code that must not be sent, bad reason */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_CLOSE, 1, "\x03", 1, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_CLOSE, 1, "\x03\xed", 2, MASK);   /* 1005 */
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_PROTOCOL);
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_CLOSE, 1, "\x03\xe8\xff", 3, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_BAD_UTF8);
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_CLOSE, 1, "\x03\xe8ok", 4, MASK); /* 1000 "ok" */
	ck_assert_int_eq(error_of(&b, 100), 0);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_utf8)
{
	struct px_buf b = PX_BUF_INIT;

	px_ws_client_frame(&b, PX_WS_TEXT, 1, "\xc3\x28", 2, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_BAD_UTF8);
	px_buf_reset(&b);
	/* an encoded surrogate and an overlong form */
	px_ws_client_frame(&b, PX_WS_TEXT, 1, "\xed\xa0\x80", 3, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_BAD_UTF8);
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_TEXT, 1, "\xc0\xaf", 2, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_BAD_UTF8);
	/* the same bytes are fine in a binary frame; U+0000 is fine in text */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_BINARY, 1, "\xc3\x28", 2, MASK);
	ck_assert_int_eq(error_of(&b, 100), 0);
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_TEXT, 1, "a\0b \xf0\x9f\x98\x80", 8, MASK);
	ck_assert_int_eq(error_of(&b, 100), 0);
	/* fragments whose joined text is invalid */
	px_buf_reset(&b);
	px_ws_client_frame(&b, PX_WS_TEXT, 0, "ok \xc3", 4, MASK);
	px_ws_client_frame(&b, PX_WS_CONT, 1, "x", 1, MASK);
	ck_assert_int_eq(error_of(&b, 100), PX_WS_CLOSE_BAD_UTF8);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_close_frame_encoding)
{
	struct px_buf b = PX_BUF_INIT;
	char reason[200];

	px_ws_close_frame(&b, PX_WS_CLOSE_SLOW, "slow");
	ck_assert_uint_eq(b.len, 2 + 2 + 4);
	ck_assert_uint_eq((unsigned char)b.data[0], 0x88);
	ck_assert_uint_eq((unsigned char)b.data[2] << 8 | (unsigned char)b.data[3], 4001);
	/* a long reason is cut so that the frame stays a control frame */
	px_buf_reset(&b);
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	px_ws_close_frame(&b, 1000, reason);
	ck_assert_uint_eq((unsigned char)b.data[1], 125);
	px_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wsproto");
	TCase *tc = tcase_create("wsproto");

	tcase_add_test(tc, test_accept_key);
	tcase_add_test(tc, test_masked_hello);
	tcase_add_test(tc, test_unmasked_refused);
	tcase_add_test(tc, test_fragments_with_ping_between);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_bad_frames);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_close_frame_encoding);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
