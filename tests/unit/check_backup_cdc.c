/* check_backup_cdc.c: FastCDC boundaries: bounds, independence from how
 * the stream is fed, and locality (an insert moves few boundaries). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "backup/px_bk_cdc.h"
#include "backup/px_bk_crypto.h"
#include "tests/unit/run_suite.h"

#define AVG (64u << 10)

static const unsigned char seed[32] = "seed-for-the-gear-table-01234567";

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static void fill(unsigned char *p, size_t n, unsigned long long s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = (unsigned char)(s >> 24);
	}
}

/* Cuts p into chunks feeding `step` bytes at a time; writes chunk
 * lengths to lens, returns their count. */
static size_t cut_all(const struct px_bk_cdc *c, const unsigned char *p,
		      size_t n, size_t step, size_t *lens, size_t maxn)
{
	struct px_bk_cdc_state st;
	size_t off = 0, cur = 0, k = 0;

	px_bk_cdc_reset(&st);
	while (off < n) {
		size_t want = n - off < step ? n - off : step, got;
		int cut;

		while (want) {
			got = px_bk_cdc_feed(c, &st, p + off, want, &cut);
			off += got;
			want -= got;
			cur += got;
			if (cut) {
				ck_assert_uint_lt(k, maxn);
				lens[k++] = cur;
				cur = 0;
			}
		}
	}
	if (cur)
		lens[k++] = cur;
	return k;
}

START_TEST(test_bounds)
{
	struct px_bk_cdc c;
	size_t n = 8u << 20, lens[1024], k, i, sum = 0;
	unsigned char *p = malloc(n);

	ck_assert_int_eq(px_bk_cdc_init(&c, AVG, seed), 0);
	ck_assert_uint_eq(c.min, AVG / 4);
	ck_assert_uint_eq(c.max, AVG * 4);
	fill(p, n, 1);
	k = cut_all(&c, p, n, n, lens, 1024);
	for (i = 0; i < k; i++) {
		sum += lens[i];
		if (i + 1 < k) {
			ck_assert_msg(lens[i] >= c.min && lens[i] <= c.max,
				      "chunk %zu: length %zu outside [%zu, %zu]", i,
				      lens[i], c.min, c.max);
		}
	}
	ck_assert_uint_eq(sum, n);
	/* normalised chunking keeps the mean near the target */
	ck_assert_msg(n / k > AVG / 2 && n / k < AVG * 2, "mean %zu for target %u",
		      n / k, AVG);
	free(p);
}
END_TEST

START_TEST(test_zero_bytes_hit_max)
{
	struct px_bk_cdc c;
	size_t n = 1u << 20, lens[64], k, i;
	unsigned char *p = calloc(1, n);

	/* a run of equal bytes gives a constant hash: only max can cut */
	ck_assert_int_eq(px_bk_cdc_init(&c, AVG, seed), 0);
	k = cut_all(&c, p, n, 4096, lens, 64);
	for (i = 0; i + 1 < k; i++)
		ck_assert_uint_le(lens[i], c.max);
	free(p);
}
END_TEST

static const struct {
	int line;
	size_t step;
} steps[] = {
	{ __LINE__, 1 }, { __LINE__, 7 }, { __LINE__, 4096 },
	{ __LINE__, 65537 }, { __LINE__, 1u << 22 },
};

START_TEST(test_feed_size_irrelevant)
{
	struct px_bk_cdc c;
	size_t n = 2u << 20, a[256], b[256], ka, kb, i;
	unsigned char *p = malloc(n);

	ck_assert_int_eq(px_bk_cdc_init(&c, AVG, seed), 0);
	fill(p, n, 7);
	ka = cut_all(&c, p, n, n, a, 256);
	kb = cut_all(&c, p, n, steps[_i].step, b, 256);
	ck_assert_msg(ka == kb, "line %d: step %zu: %zu chunks, want %zu",
		      steps[_i].line, steps[_i].step, kb, ka);
	for (i = 0; i < ka; i++)
		ck_assert_msg(a[i] == b[i], "line %d: chunk %zu: %zu, want %zu",
			      steps[_i].line, i, b[i], a[i]);
	free(p);
}
END_TEST

/* Hashes every chunk so chunk sets can be compared. */
static size_t chunk_ids(const struct px_bk_cdc *c, const unsigned char *p,
			size_t n, unsigned char (*ids)[32], size_t maxn)
{
	size_t lens[1024], k = cut_all(c, p, n, n, lens, 1024), i, off = 0;

	ck_assert_uint_le(k, maxn);
	for (i = 0; i < k; i++) {
		px_bk_sha256(p + off, lens[i], ids[i]);
		off += lens[i];
	}
	return k;
}

static const struct {
	int line;
	size_t at, len;   /* insert len bytes at offset `at` */
	size_t max_new;   /* chunks of the new stream not in the old one */
} edits[] = {
	{ __LINE__, 4u << 20, 1, 2 },
	{ __LINE__, 4u << 20, 300, 2 },     /* one chat row */
	{ __LINE__, 1u << 20, 70000, 5 },   /* larger than a chunk: itself + neighbours */
	{ __LINE__, 0, 17, 2 },
	{ __LINE__, 8u << 20, 100, 1 },     /* append */
};

START_TEST(test_insert_is_local)
{
	static unsigned char a_ids[1024][32], b_ids[1024][32];
	struct px_bk_cdc c;
	size_t n = 8u << 20, ka, kb, i, j, fresh = 0;
	unsigned char *a = malloc(n), *b = malloc(n + edits[_i].len);

	ck_assert_int_eq(px_bk_cdc_init(&c, AVG, seed), 0);
	fill(a, n, 3);
	memcpy(b, a, edits[_i].at);
	fill(b + edits[_i].at, edits[_i].len, 99);
	memcpy(b + edits[_i].at + edits[_i].len, a + edits[_i].at, n - edits[_i].at);
	ka = chunk_ids(&c, a, n, a_ids, 1024);
	kb = chunk_ids(&c, b, n + edits[_i].len, b_ids, 1024);
	for (i = 0; i < kb; i++) {
		int found = 0;

		for (j = 0; j < ka && !found; j++)
			found = !memcmp(b_ids[i], a_ids[j], 32);
		fresh += !found;
	}
	ck_assert_msg(fresh <= edits[_i].max_new,
		      "line %d: insert %zu at %zu: %zu of %zu chunks new, want <= %zu",
		      edits[_i].line, edits[_i].len, edits[_i].at, fresh, kb,
		      edits[_i].max_new);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_seed_changes_boundaries)
{
	static const unsigned char other[32] = "another-seed-for-the-gear-table!";
	struct px_bk_cdc c1, c2;
	size_t n = 2u << 20, a[256], b[256], ka, kb;
	unsigned char *p = malloc(n);

	ck_assert_int_eq(px_bk_cdc_init(&c1, AVG, seed), 0);
	ck_assert_int_eq(px_bk_cdc_init(&c2, AVG, other), 0);
	fill(p, n, 5);
	ka = cut_all(&c1, p, n, n, a, 256);
	kb = cut_all(&c2, p, n, n, b, 256);
	ck_assert(ka != kb || memcmp(a, b, ka * sizeof(size_t)) != 0);
	free(p);
}
END_TEST

START_TEST(test_bad_avg)
{
	struct px_bk_cdc c;

	ck_assert_int_eq(px_bk_cdc_init(&c, 1000, seed), -1);
	ck_assert_int_eq(px_bk_cdc_init(&c, (size_t)1 << 40, seed), -1);
	ck_assert_int_eq(px_bk_cdc_init(&c, 3u << 20, seed), 0);
	ck_assert_uint_eq(c.avg, 2u << 20);   /* rounded down to a power of two */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_cdc");
	TCase *tc = tcase_create("cdc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_zero_bytes_hit_max);
	tcase_add_loop_test(tc, test_feed_size_irrelevant, 0,
			    sizeof(steps) / sizeof(steps[0]));
	tcase_add_loop_test(tc, test_insert_is_local, 0,
			    sizeof(edits) / sizeof(edits[0]));
	tcase_add_test(tc, test_seed_changes_boundaries);
	tcase_add_test(tc, test_bad_avg);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
