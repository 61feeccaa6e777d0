/* check_backup_manifest.c: snapshot names, the sealed manifest through a
 * real repository on a local store, the known-shard set, and retention
 * selection. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/bk_fixture.h"
#include "storage/px_st_local.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_prune.h"
#include "backup/px_bk_repo.h"
#include "tests/unit/run_suite.h"


static struct px_st_store *store(void)
{
	struct px_buf err = PX_BUF_INIT, path = PX_BUF_INIT;
	struct px_st_store *s;

	px_buf_printf(&path, "%s/store", bk_root);
	s = px_st_local_open(path.data, &err);
	ck_assert_ptr_nonnull(s);
	px_buf_init(&s->errmsg);
	s->url = strdup(path.data);
	px_buf_free(&err);
	px_buf_free(&path);
	return s;
}

static struct px_bk_repo *repo(void)
{
	static const struct px_bk_kdf fast = { 1, 256, 1 };
	struct px_bk_secret sec = { PX_BK_KEYFILE, "sixteen-or-more-bytes-of-key", 28 };
	struct px_bk_repo *r;
	struct px_buf cache = PX_BUF_INIT;
	struct px_st_store *st = store();

	ck_assert_int_eq(px_bk_repo_init(st, &sec, &fast, 1u << 20), PX_OK);
	ck_assert_int_eq(px_bk_repo_init(st, &sec, &fast, 1u << 20), PX_E_VALIDATION_CONFLICT);
	px_buf_printf(&cache, "%s/cache", bk_root);
	ck_assert_int_eq(px_bk_repo_open(st, &sec, cache.data, 1, &r, NULL), PX_OK);
	px_buf_free(&cache);
	return r;
}

START_TEST(test_snapshot_names)
{
	char name[64];
	time_t t = 1795633334;   /* 2026-11-25T19:02:14Z */

	char later[64];

	ck_assert_int_eq(px_bk_snapshot_name(t, 5, name, sizeof(name)), 0);
	ck_assert(!strncmp(name, "snapshots/20261125T190214.000005Z-", 34));
	ck_assert_int_eq(strlen(name), 34 + 8);
	ck_assert_int_eq(px_bk_snapshot_time(name), t);
	/* within one second names still sort by time */
	ck_assert_int_eq(px_bk_snapshot_name(t, 40, later, sizeof(later)), 0);
	ck_assert_int_lt(strcmp(name, later), 0);
	ck_assert_int_eq(px_bk_snapshot_time("snapshots/20261125T190214Z-0000abcd"), t);
	ck_assert_int_eq(px_bk_snapshot_time("snapshots/20261125T190214.5Z-0000abcd"), -1);
	ck_assert_int_eq(px_bk_snapshot_time("snapshots/garbage"), -1);
	ck_assert_int_eq(px_bk_snapshot_time("shards/20261125T190214Z-aa"), -1);
}
END_TEST

START_TEST(test_manifest_round_trip_and_tamper)
{
	struct px_bk_repo *r = repo();
	json_object *m = json_tokener_parse(
		"{\"db\":{\"pre\":{\"shards\":[[\"aa\",1]]},\"tables\":[{\"shards\":"
		"[[\"bb\",2],[\"cc\",3]]}],\"post\":{\"shards\":[]}},"
		"\"files\":[{\"shards\":[[\"dd\",4]]}]}");
	json_object *back = NULL;
	struct px_buf raw = PX_BUF_INIT, path = PX_BUF_INIT;
	struct px_bk_snaplist l;
	char name[64];
	FILE *f;

	ck_assert_int_eq(px_bk_snapshot_name_now(name, sizeof(name)), 0);
	ck_assert_int_eq(px_bk_manifest_save(r, name, m), PX_OK);
	ck_assert_int_eq(px_bk_manifest_load(r, name, &back), PX_OK);
	ck_assert_str_eq(json_object_to_json_string(back), json_object_to_json_string(m));
	json_object_put(back);
	ck_assert_int_eq(px_bk_snapshots(r->store, &l), PX_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(px_bk_snapshot_find(&l, "latest"), name);
	ck_assert_str_eq(px_bk_snapshot_find(&l, name + 10), name);
	ck_assert_ptr_null(px_bk_snapshot_find(&l, "1999"));
	px_bk_snaplist_free(&l);
	/* stored under another name: refused */
	ck_assert_int_eq(px_st_get(r->store, name, &raw), PX_OK);
	ck_assert_int_eq(px_st_put(r->store, "snapshots/20200101T000000Z-00000000",
				   raw.data, raw.len), PX_OK);
	ck_assert_int_eq(px_bk_manifest_load(r, "snapshots/20200101T000000Z-00000000",
					     &back), PX_E_STORAGE_SHARD_CORRUPT);
	/* one flipped byte: refused */
	px_buf_printf(&path, "%s/store/%s", bk_root, name);
	raw.data[raw.len / 2] ^= 0x20;
	f = fopen(path.data, "w");
	fwrite(raw.data, 1, raw.len, f);
	fclose(f);
	ck_assert_int_eq(px_bk_manifest_load(r, name, &back), PX_E_STORAGE_SHARD_CORRUPT);
	ck_assert_int_eq(px_bk_manifest_load(r, "snapshots/20200102T000000Z-00000000",
					     &back), PX_E_STORAGE_SHARD_MISSING);
	json_object_put(m);
	px_buf_free(&raw);
	px_buf_free(&path);
	px_bk_repo_close(r);
}
END_TEST

static int collect(void *arg, const char *hex, size_t size)
{
	px_buf_printf(arg, "%s:%zu ", hex, size);
	return 0;
}

START_TEST(test_each_shard_order)
{
	json_object *m = json_tokener_parse(
		"{\"db\":{\"pre\":{\"shards\":[[\"aa\",1]]},\"tables\":[{\"shards\":"
		"[[\"bb\",2],[\"cc\",3]]}],\"post\":{\"shards\":[[\"ee\",5]]}},"
		"\"files\":[{\"type\":\"dir\"},{\"shards\":[[\"dd\",4]]}]}");
	struct px_buf b = PX_BUF_INIT;

	px_bk_manifest_each_shard(m, collect, &b);
	ck_assert_str_eq(b.data, "aa:1 bb:2 cc:3 ee:5 dd:4 ");
	json_object_put(m);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_known_set)
{
	struct px_bk_known *k = px_bk_known_new(), *k2 = px_bk_known_new();
	unsigned char id[32];
	char path[128], name[80];
	unsigned i;

	for (i = 0; i < 5000; i++) {
		px_bk_sha256(&i, sizeof(i), id);
		ck_assert_int_eq(px_bk_known_add(k, id), 0);
		ck_assert_int_eq(px_bk_known_add(k, id), 0);   /* idempotent */
	}
	ck_assert_uint_eq(px_bk_known_count(k), 5000);
	for (i = 0; i < 5000; i += 2) {
		px_bk_sha256(&i, sizeof(i), id);
		px_bk_known_del(k, id);
	}
	ck_assert_uint_eq(px_bk_known_count(k), 2500);
	for (i = 0; i < 5000; i++) {
		px_bk_sha256(&i, sizeof(i), id);
		ck_assert_int_eq(px_bk_known_has(k, id), i % 2);
	}
	snprintf(path, sizeof(path), "%s/known", bk_root);
	ck_assert_int_eq(px_bk_known_save(k, path), 0);
	ck_assert_int_eq(px_bk_known_load(k2, path), 0);
	ck_assert_uint_eq(px_bk_known_count(k2), 2500);
	px_bk_sha256(&(unsigned){ 7 }, sizeof(unsigned), id);
	ck_assert(px_bk_known_has(k2, id));
	ck_assert_int_eq(px_bk_known_load(k2, "/nonexistent"), -1);
	ck_assert_uint_eq(px_bk_known_count(k2), 0);
	px_bk_shard_name(id, name);
	ck_assert_int_eq(strlen(name), 7 + 3 + 64);
	{
		unsigned char back[32];

		ck_assert_int_eq(px_bk_shard_parse(name, back), 0);
		ck_assert(!memcmp(back, id, 32));
		name[8] ^= 1;   /* folder no longer matches the id */
		ck_assert_int_eq(px_bk_shard_parse(name, back), -1);
	}
	px_bk_known_free(k);
	px_bk_known_free(k2);
}
END_TEST

/* Snapshots at these UTC times, oldest first. */
static const char *const snaps[] = {
	"snapshots/20260101T020000Z-00000001",   /* 0 Thu, month 01 */
	"snapshots/20260201T020000Z-00000002",   /* 1 Sun, month 02 */
	"snapshots/20260210T020000Z-00000003",   /* 2 Tue */
	"snapshots/20260210T140000Z-00000004",   /* 3 Tue, same day */
	"snapshots/20260211T020000Z-00000005",   /* 4 Wed */
	"snapshots/20260212T020000Z-00000006",   /* 5 Thu */
	"snapshots/20260212T030000Z-00000007",   /* 6 Thu, newest */
};

static const struct {
	int line;
	struct px_bk_policy p;
	const char *want;   /* keep flags, oldest first */
} policies[] = {
	{ __LINE__, { 1, 0, 0, 0, 0, 0 }, "0000001" },
	{ __LINE__, { 3, 0, 0, 0, 0, 0 }, "0000111" },
	{ __LINE__, { 0, 3, 0, 0, 0, 0 }, "0001101" },   /* newest of each of 3 days */
	{ __LINE__, { 0, 0, 2, 0, 0, 0 }, "0100001" },   /* ISO weeks 7 and 5 */
	{ __LINE__, { 0, 0, 0, 5, 0, 0 }, "1000001" },   /* only two months exist */
	{ __LINE__, { 1, 1, 1, 1, 0, 0 }, "0000001" },
	{ __LINE__, { 0, 0, 0, 0, 0, 0 }, "0000000" },
	{ __LINE__, { 100, 0, 0, 0, 0, 0 }, "1111111" },
	{ __LINE__, { 0, 0, 0, 0, 2, 0 }, "0000011" },   /* newest of each of 2 hours */
	{ __LINE__, { 0, 0, 0, 0, 0, 3 }, "0000001" },   /* only one year exists */
};

START_TEST(test_prune_select)
{
	struct px_bk_snaplist l = { (char **)snaps, 7 };
	int keep[7];
	char got[8];
	size_t i;

	px_bk_prune_select(&l, &policies[_i].p, keep);
	for (i = 0; i < 7; i++)
		got[i] = keep[i] ? '1' : '0';
	got[7] = '\0';
	ck_assert_msg(!strcmp(got, policies[_i].want), "line %d: want %s got %s",
		      policies[_i].line, policies[_i].want, got);
}
END_TEST

static const struct {
	int line;
	const char *name, *start;
	int want;
} walp[] = {
	{ __LINE__, "000000010000000000000003", "000000010000000000000004", 1 },
	{ __LINE__, "000000010000000000000004", "000000010000000000000004", 0 },
	{ __LINE__, "000000010000000000000005", "000000010000000000000004", 0 },
	{ __LINE__, "000000010000000000000003.00000028.backup", "000000010000000000000004", 1 },
	{ __LINE__, "000000010000000000000004.partial", "000000010000000000000004", 0 },
	{ __LINE__, "00000002.history", "000000030000000100000000", 0 },
	{ __LINE__, "0000000100000000000000FF", "000000020000000100000000", 1 },   /* older timeline */
	{ __LINE__, "000000020000000100000001", "000000010000000100000000", 0 },
	{ __LINE__, "000000010000000000000001", "", 0 },                         /* no base kept */
};

START_TEST(test_wal_prunable)
{
	ck_assert_msg(px_bk_wal_prunable(walp[_i].name, walp[_i].start) == walp[_i].want,
		      "line %d: %s against %s: want %d", walp[_i].line, walp[_i].name,
		      walp[_i].start, walp[_i].want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_manifest");
	TCase *tc = tcase_create("manifest");

	tcase_add_checked_fixture(tc, bk_fixture_setup, bk_fixture_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_snapshot_names);
	tcase_add_test(tc, test_manifest_round_trip_and_tamper);
	tcase_add_test(tc, test_each_shard_order);
	tcase_add_test(tc, test_known_set);
	tcase_add_loop_test(tc, test_prune_select, 0, sizeof(policies) / sizeof(policies[0]));
	tcase_add_loop_test(tc, test_wal_prunable, 0, sizeof(walp) / sizeof(walp[0]));
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
