/* check_backup_delta.c: sub-page deltas: slice geometry, which slices a
 * change marks, that packed slices rebuild the new block over the old
 * one, that sums files round-trip and refuse damage or another
 * backup's file, and that the manifest's packed runs and slice masks
 * decode as px_bk_base.h lays them out and refuse malformed bytes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/px_bk_base.h"
#include "backup/px_bk_delta.h"
#include "tests/unit/run_suite.h"

static const unsigned char key[32] = "key-for-the-slice-sums-012345678";

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static unsigned long long fill(unsigned char *p, size_t n, unsigned long long s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = (unsigned char)(s >> 24);
	}
	return s;
}

START_TEST(test_geometry)
{
	ck_assert_uint_eq(PX_BK_SLICES, 32);
	ck_assert_uint_eq(px_bk_slice_all(8192), 0xffffffffu);
	ck_assert_uint_eq(px_bk_slice_all(0), 0);
	ck_assert_uint_eq(px_bk_slice_all(256), 1);
	ck_assert_uint_eq(px_bk_slice_all(257), 3);
	ck_assert_uint_eq(px_bk_slice_len(300, 0), 256);
	ck_assert_uint_eq(px_bk_slice_len(300, 1), 44);
	ck_assert_uint_eq(px_bk_slice_len(300, 2), 0);
	ck_assert_uint_eq(px_bk_slice_len(8192, 31), 256);
	ck_assert_uint_eq(px_bk_slice_len(8192, 32), 0);
	ck_assert_uint_eq(px_bk_slice_bytes(0xffffffffu, 8192), 8192);
	ck_assert_uint_eq(px_bk_slice_bytes(0x3, 300), 300);
	ck_assert_uint_eq(px_bk_slice_bytes(0x2, 300), 44);
}
END_TEST

/* The test vector of the SipHash paper (appendix A): key 00..0f,
 * message 00..0e. */
START_TEST(test_siphash_vector)
{
	unsigned char m[15];
	unsigned i;

	for (i = 0; i < 15; i++)
		m[i] = (unsigned char)i;
	ck_assert_uint_eq(px_bk_siphash(2, 4, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m, 15),
			  0xa129ca6149be45e5ULL);
	/* the slice sums' variant differs from it, and from a message one byte shorter */
	ck_assert_uint_ne(px_bk_siphash(1, 3, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m, 15),
			  0xa129ca6149be45e5ULL);
	ck_assert_uint_ne(px_bk_siphash(1, 3, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m, 15),
			  px_bk_siphash(1, 3, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m, 14));
}
END_TEST

START_TEST(test_diff_marks_changed_slices)
{
	struct px_bk_slicer *s = px_bk_slicer_new(key);
	unsigned char a[8192], b[8192], sa[PX_BK_SUMS_PER_BLOCK], sb[PX_BK_SUMS_PER_BLOCK];

	ck_assert_ptr_nonnull(s);
	fill(a, sizeof(a), 7);
	memcpy(b, a, sizeof(a));
	ck_assert_int_eq(px_bk_slicer_sums(s, a, sizeof(a), sa), 0);
	ck_assert_int_eq(px_bk_slicer_sums(s, b, sizeof(b), sb), 0);
	ck_assert_uint_eq(px_bk_slice_diff(sa, sb, 8192), 0);
	b[10] ^= 1;       /* slice 0: a page header */
	b[5000] ^= 0x80;  /* slice 19: one hint bit */
	b[8191] ^= 1;     /* slice 31: the last byte */
	ck_assert_int_eq(px_bk_slicer_sums(s, b, sizeof(b), sb), 0);
	ck_assert_uint_eq(px_bk_slice_diff(sa, sb, 8192), 1u | 1u << 19 | 1u << 31);
	px_bk_slicer_free(s);
}
END_TEST

START_TEST(test_key_matters)
{
	unsigned char other[32], a[8192], s1[PX_BK_SUMS_PER_BLOCK], s2[PX_BK_SUMS_PER_BLOCK];
	struct px_bk_slicer *x = px_bk_slicer_new(key), *y;

	memcpy(other, key, 32);
	other[0] ^= 1;
	y = px_bk_slicer_new(other);
	fill(a, sizeof(a), 9);
	ck_assert_int_eq(px_bk_slicer_sums(x, a, sizeof(a), s1), 0);
	ck_assert_int_eq(px_bk_slicer_sums(y, a, sizeof(a), s2), 0);
	/* sums under another key never pass for "unchanged" */
	ck_assert_uint_eq(px_bk_slice_diff(s1, s2, 8192), 0xffffffffu);
	px_bk_slicer_free(x);
	px_bk_slicer_free(y);
}
END_TEST

START_TEST(test_grown_block)
{
	struct px_bk_slicer *s = px_bk_slicer_new(key);
	unsigned char a[8192], sa[PX_BK_SUMS_PER_BLOCK], sb[PX_BK_SUMS_PER_BLOCK];

	fill(a, sizeof(a), 11);
	/* the last block of a file grows from 300 bytes to a whole block */
	ck_assert_int_eq(px_bk_slicer_sums(s, a, 300, sa), 0);
	ck_assert_int_eq(px_bk_slicer_sums(s, a, 8192, sb), 0);
	ck_assert_uint_eq(px_bk_slice_diff(sa, sb, 8192), 0xfffffffeu);
	/* and shrinks back: only slice 1 (cut short) differs within 300 bytes */
	ck_assert_uint_eq(px_bk_slice_diff(sb, sa, 300), 2u);
	/* an empty block's sums are all alike */
	ck_assert_int_eq(px_bk_slicer_sums(s, a, 0, sa), 0);
	ck_assert_int_eq(memcmp(sa, sa + PX_BK_SLICE_SUM, PX_BK_SLICE_SUM), 0);
	ck_assert_int_eq(px_bk_slicer_sums(s, a, 8193, sa), -1);
	px_bk_slicer_free(s);
}
END_TEST

/* Scattered edits of random sizes; the packed changed slices, unpacked
 * over the old block, give the new one byte for byte. */
START_TEST(test_pack_rebuilds)
{
	struct px_bk_slicer *s = px_bk_slicer_new(key);
	unsigned char old[8192], cur[8192], out[8192];
	unsigned char so[PX_BK_SUMS_PER_BLOCK], sc[PX_BK_SUMS_PER_BLOCK];
	struct px_buf pack = PX_BUF_INIT;
	unsigned long long r = 1234 + (unsigned long long)_i;
	size_t len = _i % 3 ? 8192 : 1000 + (size_t)_i * 37, k, at, n;
	uint32_t mask;
	unsigned char rnd[8];

	fill(old, sizeof(old), 99 + (unsigned long long)_i);
	memcpy(cur, old, sizeof(old));
	for (k = 0; k < (size_t)(_i % 7) + 1; k++) {
		r = fill(rnd, sizeof(rnd), r);
		at = (rnd[0] | (size_t)rnd[1] << 8) % len;
		n = 1 + rnd[2] % 300;
		if (at + n > len)
			n = len - at;
		r = fill(cur + at, n, r);
	}
	ck_assert_int_eq(px_bk_slicer_sums(s, old, len, so), 0);
	ck_assert_int_eq(px_bk_slicer_sums(s, cur, len, sc), 0);
	mask = px_bk_slice_diff(so, sc, len);
	px_bk_slice_pack(cur, len, mask, &pack);
	ck_assert_uint_eq(pack.len, px_bk_slice_bytes(mask, len));
	if (len == 8192)   /* at most 7 edits of 300 bytes never touch all 32 slices */
		ck_assert_uint_lt(pack.len, len);
	memcpy(out, old, sizeof(old));
	px_bk_slice_unpack(out, len, mask, (const unsigned char *)pack.data);
	ck_assert_int_eq(memcmp(out, cur, len), 0);
	px_buf_free(&pack);
	px_bk_slicer_free(s);
}
END_TEST

static char *tmp_path(void)
{
	static char p[64];

	snprintf(p, sizeof(p), "/tmp/check_backup_delta.%ld", (long)getpid());
	return p;
}

/* Writes a sums file for "snapshots/b1": file "a" with 2 blocks, "b/c" with 3. */
static void write_sample(const char *path)
{
	struct px_buf err = PX_BUF_INIT;
	unsigned char sums[PX_BK_SUMS_PER_BLOCK];
	struct px_bk_sums_out *o = px_bk_sums_create(path, "b1", &err);
	int i;

	ck_assert_ptr_nonnull(o);
	px_bk_sums_file(o, "a", 2);
	for (i = 0; i < 2; i++) {
		memset(sums, 'a' + i, sizeof(sums));
		px_bk_sums_add(o, sums);
	}
	px_bk_sums_file(o, "b/c", 3);
	for (i = 0; i < 3; i++) {
		memset(sums, 'p' + i, sizeof(sums));
		px_bk_sums_add(o, sums);
	}
	px_bk_sums_file(o, "empty", 0);
	ck_assert_int_eq(px_bk_sums_finish(o, &err), 0);
	px_buf_free(&err);
}

START_TEST(test_sums_file_roundtrip)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_bk_sums_in *in = NULL;
	unsigned char sums[PX_BK_SUMS_PER_BLOCK];
	const char *path = tmp_path();

	write_sample(path);
	ck_assert_int_eq(px_bk_sums_open(path, "b1", &in, &err), PX_OK);
	ck_assert_int_eq(px_bk_sums_seek(in, "b/c"), 3);
	ck_assert_int_eq(px_bk_sums_next(in, sums), 0);
	ck_assert_int_eq(sums[0], 'p');
	ck_assert_int_eq(px_bk_sums_next(in, sums), 0);
	ck_assert_int_eq(sums[PX_BK_SUMS_PER_BLOCK - 1], 'q');
	ck_assert_int_eq(px_bk_sums_seek(in, "a"), 2);
	ck_assert_int_eq(px_bk_sums_next(in, sums), 0);
	ck_assert_int_eq(sums[5], 'a');
	ck_assert_int_eq(px_bk_sums_next(in, sums), 0);
	ck_assert_int_eq(sums[5], 'b');
	ck_assert_int_eq(px_bk_sums_next(in, sums), -1);   /* past its blocks */
	ck_assert_int_eq(px_bk_sums_seek(in, "empty"), 0);
	ck_assert_int_eq(px_bk_sums_next(in, sums), -1);
	ck_assert_int_eq(px_bk_sums_seek(in, "nope"), -1);
	ck_assert_int_eq(px_bk_sums_next(in, sums), -1);
	px_bk_sums_close(in);
	unlink(path);
	px_buf_free(&err);
}
END_TEST

START_TEST(test_sums_file_refused)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_bk_sums_in *in = NULL;
	const char *path = tmp_path();
	FILE *f;
	long size;

	unlink(path);
	ck_assert_int_eq(px_bk_sums_open(path, "b1", &in, &err), PX_E_VALIDATION_NOT_FOUND);
	write_sample(path);
	px_buf_reset(&err);
	ck_assert_int_eq(px_bk_sums_open(path, "b2", &in, &err), PX_E_VALIDATION_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.data, "of backup b1, not b2"));
	ck_assert_ptr_null(in);
	/* one flipped bit in a sum */
	f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 40, SEEK_SET);
	fputc('Z', f);
	fclose(f);
	ck_assert_int_eq(px_bk_sums_open(path, "b1", &in, &err), PX_E_STORAGE_SHARD_CORRUPT);
	ck_assert_ptr_null(in);
	/* cut short */
	write_sample(path);
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	ck_assert_int_eq(truncate(path, size - 100), 0);
	ck_assert_int_eq(px_bk_sums_open(path, "b1", &in, &err), PX_E_STORAGE_SHARD_CORRUPT);
	unlink(path);
	px_buf_free(&err);
}
END_TEST

START_TEST(test_sums_abort_leaves_nothing)
{
	struct px_buf err = PX_BUF_INIT;
	const char *path = tmp_path();
	struct px_bk_sums_out *o;

	unlink(path);
	o = px_bk_sums_create(path, "b1", &err);
	ck_assert_ptr_nonnull(o);
	px_bk_sums_file(o, "a", 0);
	px_bk_sums_abort(o);
	ck_assert_int_ne(access(path, F_OK), 0);
	px_buf_free(&err);
}
END_TEST

static void packed_on(struct px_bk_packed *it, const unsigned char *p, size_t n)
{
	it->p = p;
	it->end = p + n;
	it->next = 0;
}

START_TEST(test_packed_runs)
{
	/* runs [3, 2], [5, 1] (gap 0), [300, 200]: gaps 3, 0, 294 */
	static const unsigned char b[] = { 3, 2, 0, 1, 0xa6, 0x02, 0xc8, 0x01 };
	struct px_bk_packed it;
	uint64_t f, c;

	packed_on(&it, b, sizeof(b));
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), 1);
	ck_assert(f == 3 && c == 2);
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), 1);
	ck_assert(f == 5 && c == 1);
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), 1);
	ck_assert(f == 300 && c == 200);
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), 0);
}
END_TEST

START_TEST(test_packed_runs_refused)
{
	static const unsigned char zero[] = { 1, 0 };           /* a run of no blocks */
	static const unsigned char cut[] = { 1, 0x80 };         /* varint cut short */
	static const unsigned char odd[] = { 1 };               /* no length */
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0x01, 1 };   /* past any file */
	struct px_bk_packed it;
	uint64_t f, c;

	packed_on(&it, zero, sizeof(zero));
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), -1);
	packed_on(&it, cut, sizeof(cut));
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), -1);
	packed_on(&it, odd, sizeof(odd));
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), -1);
	packed_on(&it, huge, sizeof(huge));
	ck_assert_int_eq(px_bk_packed_run(&it, &f, &c), -1);
}
END_TEST

START_TEST(test_packed_slices)
{
	/* block 4 mask 0x80000001, block 5 mask 0x3 (gap 0), block 9 mask 0x10 */
	static const unsigned char b[] = { 4, 0x01, 0, 0, 0x80, 0, 0x03, 0, 0, 0,
					   3, 0x10, 0, 0, 0 };
	static const unsigned char cut[] = { 4, 0x01, 0, 0 };   /* mask cut short */
	struct px_bk_packed it;
	uint64_t blk;
	uint32_t m;

	packed_on(&it, b, sizeof(b));
	ck_assert_int_eq(px_bk_packed_slice(&it, &blk, &m), 1);
	ck_assert(blk == 4 && m == 0x80000001u);
	ck_assert_int_eq(px_bk_packed_slice(&it, &blk, &m), 1);
	ck_assert(blk == 5 && m == 3);
	ck_assert_int_eq(px_bk_packed_slice(&it, &blk, &m), 1);
	ck_assert(blk == 9 && m == 0x10);
	ck_assert_int_eq(px_bk_packed_slice(&it, &blk, &m), 0);
	packed_on(&it, cut, sizeof(cut));
	ck_assert_int_eq(px_bk_packed_slice(&it, &blk, &m), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_delta");
	TCase *tc = tcase_create("delta");

	tcase_add_test(tc, test_geometry);
	tcase_add_test(tc, test_siphash_vector);
	tcase_add_test(tc, test_diff_marks_changed_slices);
	tcase_add_test(tc, test_key_matters);
	tcase_add_test(tc, test_grown_block);
	tcase_add_loop_test(tc, test_pack_rebuilds, 0, 60);
	tcase_add_test(tc, test_sums_file_roundtrip);
	tcase_add_test(tc, test_sums_file_refused);
	tcase_add_test(tc, test_sums_abort_leaves_nothing);
	tcase_add_test(tc, test_packed_runs);
	tcase_add_test(tc, test_packed_runs_refused);
	tcase_add_test(tc, test_packed_slices);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
