/* check_backup_bincopy.c: binary COPY rows to text COPY rows: every type
 * with a binary reading, NULLs, escapes, dates before year 1 and the
 * infinities, and refusal of malformed input. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/px_bk_bincopy.h"
#include "tests/unit/run_suite.h"

/* A binary COPY message under construction. */
struct msg {
	unsigned char b[512];
	size_t n;
};

static void put_be(struct msg *m, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--)
		m->b[m->n++] = (unsigned char)(v >> (8 * i));
}

static void header(struct msg *m)
{
	memcpy(m->b, "PGCOPY\n\377\r\n\0", 11);
	m->n = 11;
	put_be(m, 0, 4);   /* flags */
	put_be(m, 0, 4);   /* no extension */
}

static void field(struct msg *m, const void *p, int len)
{
	put_be(m, (uint32_t)len, 4);
	if (len > 0) {
		memcpy(m->b + m->n, p, (size_t)len);
		m->n += (size_t)len;
	}
}

static void field_int(struct msg *m, uint64_t v, int bytes)
{
	put_be(m, (uint32_t)bytes, 4);
	put_be(m, v, bytes);
}

/* Converts m as one message of a one-column COPY of type t. */
static char *one(enum px_bk_col t, const struct msg *m)
{
	static struct px_buf out;
	struct px_bk_bincopy b;
	enum px_bk_col cols[1] = { t };

	px_buf_free(&out);
	px_bk_bincopy_init(&b, cols, 1);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m->b, m->n, &out), 0);
	ck_assert_int_eq(b.rows, 1);
	return out.data;
}

/* One row holding value v (bytes wide) of type t, after the header. */
static char *conv_int(enum px_bk_col t, uint64_t v, int bytes)
{
	struct msg m;

	header(&m);
	put_be(&m, 1, 2);
	field_int(&m, v, bytes);
	return one(t, &m);
}

START_TEST(test_integers_and_bool)
{
	ck_assert_str_eq(conv_int(PX_BK_COL_INT2, (uint16_t)-32768, 2), "-32768\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_INT4, 2147483647, 4), "2147483647\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_INT8, (uint64_t)INT64_MIN, 8),
			 "-9223372036854775808\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_INT8, 0, 8), "0\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_BOOL, 1, 1), "t\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_BOOL, 0, 1), "f\n");
}
END_TEST

START_TEST(test_dates_and_times)
{
	const int64_t us_day = 86400000000LL;

	ck_assert_str_eq(conv_int(PX_BK_COL_TIMESTAMPTZ, 0, 8), "2000-01-01 00:00:00.000000+00\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_TIMESTAMPTZ, (uint64_t)-1, 8),
			 "1999-12-31 23:59:59.999999+00\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_TIMESTAMP, (uint64_t)(8825 * us_day + 3723000004LL), 8),
			 "2024-02-29 01:02:03.000004\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_DATE, (uint32_t)-730119, 4), "0001-01-01\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_DATE, (uint32_t)-730120, 4), "0001-12-31 BC\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_TIMESTAMPTZ, (uint64_t)(-730120 * us_day + 1), 8),
			 "0001-12-31 00:00:00.000001+00 BC\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_DATE, (uint32_t)INT32_MAX, 4), "infinity\n");
	ck_assert_str_eq(conv_int(PX_BK_COL_TIMESTAMP, (uint64_t)INT64_MIN, 8), "-infinity\n");
}
END_TEST

START_TEST(test_float8)
{
	double v = 0.1, inf = 1.0 / 0.0;
	uint64_t bits;

	memcpy(&bits, &v, 8);
	ck_assert_str_eq(conv_int(PX_BK_COL_FLOAT8, bits, 8), "0.10000000000000001\n");
	v = -inf;
	memcpy(&bits, &v, 8);
	ck_assert_str_eq(conv_int(PX_BK_COL_FLOAT8, bits, 8), "-Infinity\n");
	v = 0.0 / 0.0;
	memcpy(&bits, &v, 8);
	ck_assert_str_eq(conv_int(PX_BK_COL_FLOAT8, bits, 8), "NaN\n");
}
END_TEST

START_TEST(test_text_nulls_and_escapes)
{
	static const char raw[] = "tab\there\nnew\\back\rcr\001ctl\v\b\f";
	static const char jsonb[] = "\001{\"a\": \"\\n\"}";
	struct px_buf out = PX_BUF_INIT;
	enum px_bk_col cols[3] = { PX_BK_COL_TEXT, PX_BK_COL_INT4, PX_BK_COL_JSONB };
	struct px_bk_bincopy b;
	struct msg m;

	header(&m);
	put_be(&m, 3, 2);
	field(&m, raw, (int)strlen(raw));
	field(&m, NULL, -1);
	field(&m, jsonb, (int)strlen(jsonb));
	put_be(&m, 3, 2);   /* a second row in the same message */
	field(&m, "", 0);
	field_int(&m, 7, 4);
	field(&m, NULL, -1);
	put_be(&m, (uint16_t)-1, 2);   /* trailer */
	px_bk_bincopy_init(&b, cols, 3);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m.b, m.n, &out), 0);
	ck_assert_str_eq(out.data, "tab\\there\\nnew\\\\back\\rcr\001ctl\\v\\b\\f\t\\N\t"
				   "{\"a\": \"\\\\n\"}\n\t7\t\\N\n");
	ck_assert_int_eq(b.rows, 2);
	ck_assert(b.trailer_seen);
	px_buf_free(&out);
}
END_TEST

START_TEST(test_malformed)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_bk_col cols[1] = { PX_BK_COL_INT4 };
	struct px_bk_bincopy b;
	struct msg m;

	header(&m);
	m.b[0] = 'X';   /* bad signature */
	px_bk_bincopy_init(&b, cols, 1);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m.b, m.n, &out), -1);

	header(&m);
	put_be(&m, 2, 2);   /* two fields where one is declared */
	field_int(&m, 1, 4);
	field_int(&m, 2, 4);
	px_bk_bincopy_init(&b, cols, 1);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m.b, m.n, &out), -1);

	header(&m);
	put_be(&m, 1, 2);
	field_int(&m, 1, 8);   /* an int4 eight bytes wide */
	px_bk_bincopy_init(&b, cols, 1);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m.b, m.n, &out), -1);

	header(&m);
	put_be(&m, 1, 2);
	put_be(&m, 100, 4);   /* length past the end */
	px_bk_bincopy_init(&b, cols, 1);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m.b, m.n, &out), -1);

	header(&m);
	put_be(&m, (uint16_t)-1, 2);
	put_be(&m, 1, 2);   /* a row after the trailer */
	field_int(&m, 1, 4);
	px_bk_bincopy_init(&b, cols, 1);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)m.b, m.n, &out), -1);
	px_buf_free(&out);
}
END_TEST

START_TEST(test_type_map)
{
	ck_assert_int_eq(px_bk_col_for_oid(20), PX_BK_COL_INT8);
	ck_assert_int_eq(px_bk_col_for_oid(1184), PX_BK_COL_TIMESTAMPTZ);
	ck_assert_int_eq(px_bk_col_for_oid(25), PX_BK_COL_TEXT);
	ck_assert_int_eq(px_bk_col_for_oid(869), PX_BK_COL_OTHER);    /* inet */
	ck_assert_int_eq(px_bk_col_for_oid(3734), PX_BK_COL_OTHER);   /* regconfig */
	ck_assert_int_eq(px_bk_col_for_oid(16400), PX_BK_COL_OTHER);  /* an extension's */
}
END_TEST

/* A stream of four rows over every delta-coded width, with NULLs, the
 * extremes (infinities) and a text column; the trailer in its own message. */
static const enum px_bk_col delta_cols[] = {
	PX_BK_COL_INT8, PX_BK_COL_TEXT, PX_BK_COL_TIMESTAMPTZ, PX_BK_COL_INT4,
	PX_BK_COL_INT2, PX_BK_COL_DATE, PX_BK_COL_FLOAT8,
};

static void delta_row(struct msg *m, uint64_t id, const char *txt, uint64_t ts, int null_ts)
{
	put_be(m, 7, 2);
	field_int(m, id, 8);
	field(m, txt, (int)strlen(txt));
	if (null_ts)
		put_be(m, 0xFFFFFFFFu, 4);
	else
		field_int(m, ts, 8);
	field_int(m, (uint32_t)-5 + (uint32_t)id, 4);
	field_int(m, (uint16_t)(0x8000 + id), 2);
	field_int(m, (uint32_t)INT32_MAX, 4);
	field_int(m, 0x400921FB54442D18ull, 8);
}

static void delta_stream(struct msg *m)
{
	header(m);
	delta_row(m, 1000, "first", 700000000000000ull, 0);
	delta_row(m, 1001, "second", 0, 1);
	delta_row(m, 1002, "third", (uint64_t)INT64_MAX, 0);
	delta_row(m, 999, "fourth", (uint64_t)INT64_MIN, 0);
	put_be(m, 0xFFFF, 2);
}

START_TEST(test_delta_round_trip)
{
	struct msg orig = { .n = 0 };
	struct px_bk_delta enc, dec;
	struct px_buf coded = PX_BUF_INIT, text = PX_BUF_INIT, want = PX_BUF_INIT;
	struct px_buf pending = PX_BUF_INIT, decoded = PX_BUF_INIT;
	struct px_bk_bincopy b;
	size_t fed = 0, trailer_at;

	delta_stream(&orig);
	trailer_at = orig.n - 2;
	/* coded as the dumper does: one message of rows, then the trailer */
	ck_assert_int_eq(px_bk_delta_init(&enc, delta_cols, 7), 0);
	ck_assert_int_eq(px_bk_delta_encode(&enc, orig.b, trailer_at, &coded), 0);
	ck_assert_int_eq(px_bk_delta_encode(&enc, orig.b + trailer_at, 2, &coded), 0);
	ck_assert_int_eq(enc.rows, 4);
	ck_assert(enc.trailer_seen);
	ck_assert_uint_lt(coded.len, orig.n);
	/* the second row's id is stored as its step from the first: +1,
	 * zigzagged to 2, in one byte (bit 0 set: not NULL) */
	ck_assert_ptr_nonnull(memmem(coded.data, coded.len, "\0\7\5", 3));
	/* decoded as the restore does, from slices of every size the shards
	 * could cut: whole units pass on, the rest waits in pending */
	ck_assert_int_eq(px_bk_delta_init(&dec, delta_cols, 7), 0);
	while (fed < coded.len) {
		size_t step = 1 + fed % 5 < coded.len - fed ? 1 + fed % 5 : coded.len - fed;
		long k;

		px_buf_append(&pending, coded.data + fed, step);
		fed += step;
		k = px_bk_delta_decode(&dec, pending.data, pending.len, &decoded);
		ck_assert_int_ge(k, 0);
		px_buf_drop(&pending, (size_t)k);
	}
	ck_assert_uint_eq(pending.len, 0);
	ck_assert_uint_eq(decoded.len, orig.n);
	ck_assert_int_eq(memcmp(decoded.data, orig.b, orig.n), 0);
	ck_assert_int_eq(dec.rows, 4);
	ck_assert(dec.trailer_seen);
	/* and the decoded bytes read as the rows they were */
	px_bk_bincopy_init(&b, delta_cols, 7);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, decoded.data, decoded.len, &text), 0);
	px_bk_bincopy_init(&b, delta_cols, 7);
	ck_assert_int_eq(px_bk_bincopy_feed(&b, (const char *)orig.b, orig.n, &want), 0);
	ck_assert_str_eq(text.data, want.data);
	ck_assert_ptr_nonnull(strstr(text.data, "999\tfourth\t-infinity"));
	px_bk_delta_free(&enc);
	px_bk_delta_free(&dec);
	px_buf_free(&coded);
	px_buf_free(&text);
	px_buf_free(&want);
	px_buf_free(&pending);
	px_buf_free(&decoded);
}
END_TEST

/* Codes orig[from, to) as one part of a stream: the flags as the dumper
 * sets them for a key range, fixes into fix. */
static void code_part(struct px_bk_delta *d, const struct msg *orig, size_t from, size_t to,
		      int flags, struct px_bk_delta_fix *fix, struct px_buf *out)
{
	ck_assert_int_eq(px_bk_delta_init(d, delta_cols, 7), 0);
	d->flags = flags;
	d->fix = fix;
	if (flags & PX_BK_DELTA_NO_HEADER) {   /* a range's COPY has its own header */
		struct msg h = { .n = 0 };

		header(&h);
		ck_assert_int_eq(px_bk_delta_encode(d, h.b, h.n, out), 0);
	}
	ck_assert_int_eq(px_bk_delta_encode(d, orig->b + from, to - from, out), 0);
	if (flags & PX_BK_DELTA_NO_TRAILER) {   /* ... and its own trailer */
		static const unsigned char trailer[2] = { 0xFF, 0xFF };

		ck_assert_int_eq(px_bk_delta_encode(d, trailer, 2, out), 0);
		ck_assert(d->trailer_seen);
	}
}

/* A stream coded in two key ranges and joined with the fixes' codes is
 * byte for byte the stream coded in one pass: what the parallel dump
 * relies on to store a split table as the serial dump does. */
START_TEST(test_delta_parts_join)
{
	struct msg orig = { .n = 0 };
	struct px_bk_delta whole, a, b;
	struct px_bk_delta_fix fix[7];
	struct px_buf one = PX_BUF_INIT, pa = PX_BUF_INIT, pb = PX_BUF_INIT, joined = PX_BUF_INIT;
	size_t cut, at = 0;
	int i;

	header(&orig);
	delta_row(&orig, 1000, "first", 700000000000000ull, 0);
	cut = orig.n;
	/* the second range starts with a NULL timestamp: its fix for that
	 * column falls in its second row, not its first */
	delta_row(&orig, 1001, "second", 0, 1);
	delta_row(&orig, 1002, "third", (uint64_t)INT64_MAX, 0);
	delta_row(&orig, 999, "fourth", 5, 0);
	put_be(&orig, 0xFFFF, 2);
	ck_assert_int_eq(px_bk_delta_init(&whole, delta_cols, 7), 0);
	ck_assert_int_eq(px_bk_delta_encode(&whole, orig.b, orig.n, &one), 0);

	/* the first range: header, no trailer; the second: neither header
	 * nor the steps of its first values, which it records */
	code_part(&a, &orig, 0, cut, PX_BK_DELTA_NO_TRAILER, NULL, &pa);
	code_part(&b, &orig, cut, orig.n, PX_BK_DELTA_NO_HEADER | PX_BK_DELTA_JOIN, fix, &pb);
	ck_assert_int_eq(a.rows + b.rows, 4);
	ck_assert_int_eq(a.nfix, 0);
	ck_assert_int_eq(b.nfix, 5);   /* the five delta-coded columns */
	ck_assert_int_eq(fix[0].col, 0);
	ck_assert_uint_eq(fix[0].value, 1001);
	ck_assert_int_eq(fix[4].col, 2);   /* the timestamp, in the next row */
	ck_assert_uint_gt(fix[4].at, fix[3].at);
	ck_assert_uint_eq(b.emitted, pb.len);

	/* joined as the writer does: the first range, then the second with
	 * each fix's code stepping from the first range's last values */
	px_buf_append(&joined, pa.data, pa.len);
	for (i = 0; i < b.nfix; i++) {
		px_buf_append(&joined, pb.data + at, (size_t)(fix[i].at - at));
		at = fix[i].at;
		px_bk_delta_code(delta_cols[fix[i].col], a.prev[fix[i].col], fix[i].value, &joined);
	}
	px_buf_append(&joined, pb.data + at, pb.len - at);
	ck_assert_uint_eq(joined.len, one.len);
	ck_assert_int_eq(memcmp(joined.data, one.data, one.len), 0);
	px_bk_delta_free(&whole);
	px_bk_delta_free(&a);
	px_bk_delta_free(&b);
	px_buf_free(&one);
	px_buf_free(&pa);
	px_buf_free(&pb);
	px_buf_free(&joined);
}
END_TEST

START_TEST(test_delta_refuses)
{
	struct msg m = { .n = 0 };
	struct px_buf out = PX_BUF_INIT;
	struct px_bk_delta d;
	enum px_bk_col one_int8[1] = { PX_BK_COL_INT8 };
	static const unsigned char overlong[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0"
		"\0\1\377\377\377\377\377\377\377\377\377\377\1";

	header(&m);
	put_be(&m, 1, 2);
	field_int(&m, 7, 4);          /* an int8 column four bytes wide */
	ck_assert_int_eq(px_bk_delta_init(&d, one_int8, 1), 0);
	ck_assert_int_eq(px_bk_delta_encode(&d, m.b, m.n, &out), -1);
	px_bk_delta_free(&d);
	m.n = 0;
	header(&m);
	put_be(&m, 2, 2);             /* two fields for one column */
	ck_assert_int_eq(px_bk_delta_init(&d, one_int8, 1), 0);
	ck_assert_int_eq(px_bk_delta_encode(&d, m.b, m.n, &out), -1);
	px_bk_delta_free(&d);
	memcpy(m.b, "NOTCOPY\n\377\r\n", 11);
	ck_assert_int_eq(px_bk_delta_init(&d, one_int8, 1), 0);
	ck_assert_int_eq(px_bk_delta_encode(&d, m.b, m.n, &out), -1);
	ck_assert_int_eq(px_bk_delta_decode(&d, m.b, m.n, &out), -1);
	px_bk_delta_free(&d);
	/* a code longer than 64 bits is refused, not wrapped */
	ck_assert_int_eq(px_bk_delta_init(&d, one_int8, 1), 0);
	ck_assert_int_eq(px_bk_delta_decode(&d, overlong, sizeof(overlong) - 1, &out), -1);
	px_bk_delta_free(&d);
	/* names of the readings, kept in manifests, read back */
	ck_assert_str_eq(px_bk_col_name(PX_BK_COL_TIMESTAMPTZ), "timestamptz");
	ck_assert_int_eq(px_bk_col_parse("int8"), PX_BK_COL_INT8);
	ck_assert_int_eq(px_bk_col_parse("other"), PX_BK_COL_OTHER);
	ck_assert_int_eq(px_bk_col_parse("int16"), -1);
	px_buf_free(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_bincopy");
	TCase *tc = tcase_create("bincopy");

	tcase_add_test(tc, test_integers_and_bool);
	tcase_add_test(tc, test_dates_and_times);
	tcase_add_test(tc, test_float8);
	tcase_add_test(tc, test_text_nulls_and_escapes);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_type_map);
	tcase_add_test(tc, test_delta_round_trip);
	tcase_add_test(tc, test_delta_parts_join);
	tcase_add_test(tc, test_delta_refuses);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
