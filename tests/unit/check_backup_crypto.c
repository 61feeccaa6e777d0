/* check_backup_crypto.c: sealed boxes (round trip, every kind of tamper,
 * wrong key, swapped name) and the key set (passphrase, key file, wrong
 * secret, extra wrap entries, rotation, export) on a local store. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/bk_fixture.h"
#include "backup/px_bk_box.h"
#include "backup/px_bk_keys.h"
#include "storage/px_st_local.h"
#include "backup/px_bk_repo.h"
#include "tests/unit/run_suite.h"

static const struct px_bk_kdf fast = { 1, 256, 1 };   /* tests only */
static const unsigned char key_a[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key_b[32] = "fedcba9876543210fedcba9876543210";
static const unsigned char kid_a[8] = "keyid-A!";

static const unsigned char *lookup_a(const void *arg, const unsigned char *id)
{
	return memcmp(id, kid_a, 8) ? NULL : arg;
}

static void sample(struct px_buf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		px_buf_printf(b, "row %zu of a chat table\n", i % 97);
}

START_TEST(test_box_round_trip)
{
	struct px_bk_codec *c = px_bk_codec_new(3);
	struct px_buf pt = PX_BUF_INIT, box = PX_BUF_INIT, out = PX_BUF_INIT;

	sample(&pt, 5000);
	ck_assert_int_eq(px_bk_box_seal(c, "PXSH", key_a, kid_a, "id1", 3, pt.data,
					pt.len, 1, &box), 0);
	ck_assert_uint_lt(box.len, pt.len);           /* compressed */
	ck_assert_int_eq(box.data[5], 1);
	ck_assert_int_eq(px_bk_box_open(c, "PXSH", lookup_a, key_a, "id1", 3,
					box.data, box.len, &out), PX_OK);
	ck_assert_uint_eq(out.len, pt.len);
	ck_assert(!memcmp(out.data, pt.data, pt.len));
	/* two seals of the same plaintext differ (random nonce) */
	px_buf_reset(&out);
	ck_assert_int_eq(px_bk_box_seal(c, "PXSH", key_a, kid_a, "id1", 3, pt.data,
					pt.len, 1, &out), 0);
	ck_assert(out.len != box.len || memcmp(out.data, box.data, box.len));
	px_bk_codec_free(c);
	px_buf_free(&pt);
	px_buf_free(&box);
	px_buf_free(&out);
}
END_TEST

static const struct {
	int line;
	const char *what;
	long off;          /* byte to flip; negative counts from the end */
	enum px_err want;
} tampers[] = {
	{ __LINE__, "magic", 0, PX_E_STORAGE_SHARD_CORRUPT },
	{ __LINE__, "flags", 5, PX_E_STORAGE_SHARD_CORRUPT },
	{ __LINE__, "key id", 9, PX_E_STORAGE_KEY_INVALID },
	{ __LINE__, "nonce", 20, PX_E_STORAGE_SHARD_CORRUPT },
	{ __LINE__, "ciphertext", 40, PX_E_STORAGE_SHARD_CORRUPT },
	{ __LINE__, "tag", -1, PX_E_STORAGE_SHARD_CORRUPT },
};

START_TEST(test_box_tamper)
{
	struct px_bk_codec *c = px_bk_codec_new(1);
	struct px_buf pt = PX_BUF_INIT, box = PX_BUF_INIT, out = PX_BUF_INIT;
	long off;
	enum px_err got;

	sample(&pt, 300);
	ck_assert_int_eq(px_bk_box_seal(c, "PXSH", key_a, kid_a, "id", 2, pt.data,
					pt.len, 1, &box), 0);
	off = tampers[_i].off < 0 ? (long)box.len + tampers[_i].off : tampers[_i].off;
	box.data[off] ^= 0x01;
	got = px_bk_box_open(c, "PXSH", lookup_a, key_a, "id", 2, box.data, box.len, &out);
	ck_assert_msg(got == tampers[_i].want, "line %d: %s: want %s got %s",
		      tampers[_i].line, tampers[_i].what, px_err_name(tampers[_i].want),
		      px_err_name(got));
	ck_assert_uint_eq(out.len, 0);
	px_bk_codec_free(c);
	px_buf_free(&pt);
	px_buf_free(&box);
	px_buf_free(&out);
}
END_TEST

START_TEST(test_box_wrong_key_name_truncation)
{
	struct px_bk_codec *c = px_bk_codec_new(1);
	struct px_buf box = PX_BUF_INIT, out = PX_BUF_INIT;

	ck_assert_int_eq(px_bk_box_seal(c, "PXSH", key_a, kid_a, "id", 2, "secret",
					6, 0, &box), 0);
	/* same key id, other key: authentication fails */
	ck_assert_int_eq(px_bk_box_open(c, "PXSH", lookup_a, key_b, "id", 2, box.data,
					box.len, &out), PX_E_STORAGE_SHARD_CORRUPT);
	/* moved under another name (swapped shard) */
	ck_assert_int_eq(px_bk_box_open(c, "PXSH", lookup_a, key_a, "ie", 2, box.data,
					box.len, &out), PX_E_STORAGE_SHARD_CORRUPT);
	/* a shard presented as a manifest */
	ck_assert_int_eq(px_bk_box_open(c, "PXMF", lookup_a, key_a, "id", 2, box.data,
					box.len, &out), PX_E_STORAGE_SHARD_CORRUPT);
	ck_assert_int_eq(px_bk_box_open(c, "PXSH", lookup_a, key_a, "id", 2, box.data,
					10, &out), PX_E_STORAGE_SHARD_CORRUPT);
	ck_assert_int_eq(px_bk_box_open(c, "PXSH", lookup_a, key_a, "id", 2, box.data,
					box.len, &out), PX_OK);
	ck_assert_str_eq(out.data, "secret");
	px_bk_codec_free(c);
	px_buf_free(&box);
	px_buf_free(&out);
}
END_TEST


static struct px_st_store *store(void)
{
	struct px_buf err = PX_BUF_INIT, path = PX_BUF_INIT;
	struct px_st_store *s;

	px_buf_printf(&path, "%s/store", bk_root);
	s = px_st_local_open(path.data, &err);
	ck_assert_msg(s != NULL, "%s", err.data);
	px_buf_init(&s->errmsg);
	px_buf_free(&err);
	px_buf_free(&path);
	return s;
}

static void secret(struct px_bk_secret *s, enum px_bk_secret_kind k, const char *v)
{
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->len = strlen(v);
	memcpy(s->data, v, s->len);
}

START_TEST(test_keys_passphrase)
{
	struct px_st_store *st = store();
	struct px_bk_secret good, bad, kf;
	struct px_bk_keyring r1, r2;
	char id[17];

	secret(&good, PX_BK_PASSPHRASE, "correct horse battery staple");
	secret(&bad, PX_BK_PASSPHRASE, "correct horse battery stapler");
	secret(&kf, PX_BK_KEYFILE, "0123456789abcdef-random-key-file");
	ck_assert_int_eq(px_bk_keys_init(st, &good, &fast, &r1), PX_OK);
	ck_assert_int_eq(px_bk_keys_init(st, &good, &fast, &r2), PX_E_VALIDATION_CONFLICT);
	ck_assert_int_eq(px_bk_keys_open(st, &bad, &r2), PX_E_STORAGE_KEY_INVALID);
	ck_assert_int_eq(px_bk_keys_open(st, &kf, &r2), PX_E_STORAGE_KEY_INVALID);
	ck_assert_int_eq(px_bk_keys_open(st, &good, &r2), PX_OK);
	ck_assert(!memcmp(r1.master, r2.master, 32));
	ck_assert(!memcmp(r1.id_key, r2.id_key, 32));
	/* a second wrapping key opens the same store */
	ck_assert_int_eq(px_bk_keys_add(st, &r2, &kf, &fast, id), PX_OK);
	ck_assert_int_eq(px_bk_keys_open(st, &kf, &r2), PX_OK);
	ck_assert(!memcmp(r1.master, r2.master, 32));
	ck_assert_int_eq(px_bk_keys_remove(st, id), PX_OK);
	ck_assert_int_eq(px_bk_keys_open(st, &kf, &r2), PX_E_STORAGE_KEY_INVALID);
	px_st_store_free(st);
}
END_TEST

START_TEST(test_keys_remove_last_refused)
{
	struct px_st_store *st = store();
	struct px_bk_secret good;
	struct px_bk_keyring r;
	struct px_buf list = PX_BUF_INIT;
	char id[17];
	const char *p;

	secret(&good, PX_BK_PASSPHRASE, "pw");
	ck_assert_int_eq(px_bk_keys_init(st, &good, &fast, &r), PX_OK);
	ck_assert_int_eq(px_bk_keys_list(st, &list), PX_OK);
	p = strstr(list.data, "\"id\":\"");
	ck_assert_ptr_nonnull(p);
	memcpy(id, p + 6, 16);
	id[16] = '\0';
	ck_assert_int_eq(px_bk_keys_remove(st, id), PX_E_VALIDATION_CONFLICT);
	ck_assert_int_eq(px_bk_keys_remove(st, "0000000000000000"), PX_E_VALIDATION_NOT_FOUND);
	px_buf_free(&list);
	px_st_store_free(st);
}
END_TEST

START_TEST(test_keys_rotate_and_export)
{
	struct px_st_store *st = store();
	struct px_bk_codec *c = px_bk_codec_new(1);
	struct px_bk_secret good, master;
	struct px_bk_keyring r, r2;
	struct px_buf box = PX_BUF_INIT, out = PX_BUF_INIT, exp = PX_BUF_INIT;
	const struct px_bk_datakey *k;
	FILE *f;
	char path[128];

	secret(&good, PX_BK_PASSPHRASE, "pw");
	ck_assert_int_eq(px_bk_keys_init(st, &good, &fast, &r), PX_OK);
	k = px_bk_keys_current(&r);
	ck_assert_int_eq(px_bk_box_seal(c, "PXSH", k->enc, k->id, "x", 1, "old", 3, 0,
					&box), 0);
	ck_assert_int_eq(px_bk_keys_rotate(st, &r), PX_OK);
	ck_assert_uint_eq(r.keyset_version, 2);
	ck_assert(memcmp(px_bk_keys_current(&r)->id, k->id, 8) != 0);
	/* reopened: newest key set, old objects still open, names stable */
	ck_assert_int_eq(px_bk_keys_open(st, &good, &r2), PX_OK);
	ck_assert_uint_eq(r2.nkeys, 2);
	ck_assert_uint_eq(r2.current, 1);
	ck_assert(!memcmp(r.id_key, r2.id_key, 32));
	ck_assert_int_eq(px_bk_box_open(c, "PXSH", px_bk_keys_lookup, &r2, "x", 1,
					box.data, box.len, &out), PX_OK);
	ck_assert_str_eq(out.data, "old");
	/* the exported master key opens the store without any wrap entry */
	px_bk_keys_export(&r2, &exp);
	ck_assert(!strncmp(exp.data, "plexichat-backup-master-key:", 28));
	snprintf(path, sizeof(path), "%s/master.key", bk_root);
	f = fopen(path, "w");
	fputs(exp.data, f);
	fclose(f);
	{
		struct px_buf err = PX_BUF_INIT;

		ck_assert_int_eq(px_bk_secret_read(path, PX_BK_KEYFILE, &master, &err), 0);
		px_buf_free(&err);
	}
	ck_assert_int_eq(master.kind, PX_BK_MASTER);
	ck_assert_int_eq(px_bk_keys_open(st, &master, &r2), PX_OK);
	ck_assert(!memcmp(r.master, r2.master, 32));
	px_bk_codec_free(c);
	px_buf_free(&box);
	px_buf_free(&out);
	px_buf_free(&exp);
	px_st_store_free(st);
}
END_TEST

START_TEST(test_secret_files)
{
	struct px_bk_secret s;
	struct px_buf err = PX_BUF_INIT;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pass", bk_root);
	f = fopen(path, "w");
	fputs("hunter2\r\nignored second line\n", f);
	fclose(f);
	ck_assert_int_eq(px_bk_secret_read(path, PX_BK_PASSPHRASE, &s, &err), 0);
	ck_assert_uint_eq(s.len, 7);
	ck_assert(!memcmp(s.data, "hunter2", 7));
	/* too short for a key file */
	ck_assert_int_eq(px_bk_secret_read(path, PX_BK_KEYFILE, &s, &err), 0);
	f = fopen(path, "w");
	fputs("short", f);
	fclose(f);
	ck_assert_int_eq(px_bk_secret_read(path, PX_BK_KEYFILE, &s, &err), -1);
	ck_assert_int_eq(px_bk_secret_read("/nonexistent/x", PX_BK_KEYFILE, &s, &err), -1);
	px_buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_crypto");
	TCase *box = tcase_create("box"), *keys = tcase_create("keys");

	tcase_add_test(box, test_box_round_trip);
	tcase_add_loop_test(box, test_box_tamper, 0, sizeof(tampers) / sizeof(tampers[0]));
	tcase_add_test(box, test_box_wrong_key_name_truncation);
	tcase_add_checked_fixture(keys, bk_fixture_setup, bk_fixture_teardown);
	tcase_set_timeout(keys, 30);
	tcase_add_test(keys, test_keys_passphrase);
	tcase_add_test(keys, test_keys_remove_last_refused);
	tcase_add_test(keys, test_keys_rotate_and_export);
	tcase_add_test(keys, test_secret_files);
	suite_add_tcase(s, box);
	suite_add_tcase(s, keys);
	return px_check_run(s, CK_FORK_GETENV);
}
