/* check_backup_sigv4.c: canonical S3 paths and queries, and SigV4
 * signatures against values computed independently with botocore
 * (Debian awscli 2.9.19's vendored botocore, S3SigV4Auth, for the same
 * credentials, time, region and request; the script is in
 * tests/integration/sigv4_check.py). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "storage/px_st_azure.h"
#include "storage/px_st_sigv4.h"
#include "core/codec.h"
#include "tests/unit/run_suite.h"

#define AK "AKIDEXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static const struct {
	int line;
	const char *in;
	int keep_slash;
	const char *want;
} enc_cases[] = {
	{ __LINE__, "shards/ab/x", 1, "shards/ab/x" },
	{ __LINE__, "shards/ab/x", 0, "shards%2Fab%2Fx" },
	{ __LINE__, "a b+c~d_e.f-g", 1, "a%20b%2Bc~d_e.f-g" },
	{ __LINE__, "=&?#%", 0, "%3D%26%3F%23%25" },
	{ __LINE__, "\xc3\xa9", 0, "%C3%A9" },
	{ __LINE__, "", 0, "" },
};

START_TEST(test_uri_encode)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_puts(&b, "");
	px_codec_pct_encode(&b, enc_cases[_i].in, strlen(enc_cases[_i].in),
			    enc_cases[_i].keep_slash ? PX_CODEC_PCT_SLASH : 0);
	ck_assert_msg(!strcmp(b.data, enc_cases[_i].want),
		      "line %d: want %s got %s", enc_cases[_i].line,
		      enc_cases[_i].want, b.data);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_canonical_query)
{
	static const struct px_st_kv q[] = {
		{ "prefix", "shards/ab" },
		{ "list-type", "2" },
		{ "continuation-token", "a+b=" },
	};
	static const struct px_st_kv flag[] = { { "uploads", NULL } };
	struct px_buf b = PX_BUF_INIT;

	px_st_canonical_query(&b, q, 3);
	ck_assert_str_eq(b.data,
			 "continuation-token=a%2Bb%3D&list-type=2&prefix=shards%2Fab");
	px_buf_reset(&b);
	px_st_canonical_query(&b, flag, 1);
	ck_assert_str_eq(b.data, "uploads=");
	px_buf_free(&b);
}
END_TEST

static const struct {
	int line;
	const char *method, *path, *query, *host, *hash, *region, *sig;
} sig_cases[] = {
	{ __LINE__, "GET", "/plexi-backups",
	  "continuation-token=a%2Bb%3D&list-type=2&prefix=shards%2Fab",
	  "127.0.0.1:18330", EMPTY, "us-east-1",
	  "86f881d77244e57eea736494e3ec789bac9b0ab5672a35571ba75b420c2a455a" },
	{ __LINE__, "PUT", "/plexi-backups/shards/ab/ab01", "", "127.0.0.1:18330",
	  HELLO, "us-east-1",
	  "0de13628caa52d32dc679a04162e657b8d4dc1c34feeeefedce812af5480abef" },
	{ __LINE__, "DELETE", "/a%20b%2Bc~d", "", "bucket.s3.eu-west-3.amazonaws.com",
	  EMPTY, "eu-west-3",
	  "b25bdb11ec5ab3f17fd03fb4befdf8e55ae2d12820c4f6d7c4659a0b8e167614" },
};

START_TEST(test_signature)
{
	struct px_st_kv h[3] = {
		{ "host", sig_cases[_i].host },
		{ "x-amz-content-sha256", sig_cases[_i].hash },
		{ "x-amz-date", "20261125T184900Z" },
	};
	struct px_st_sigv4_req r = {
		sig_cases[_i].method, sig_cases[_i].path, sig_cases[_i].query, h, 3,
		sig_cases[_i].hash, "20261125T184900Z", sig_cases[_i].region, "s3",
		SK, AK,
	};
	struct px_buf auth = PX_BUF_INIT, canon = PX_BUF_INIT;
	char sig[65];

	ck_assert_int_eq(px_st_sigv4_sign(&r, &canon, NULL, sig, &auth), 0);
	ck_assert_msg(!strcmp(sig, sig_cases[_i].sig), "line %d: want %s got %s\n%s",
		      sig_cases[_i].line, sig_cases[_i].sig, sig, canon.data);
	ck_assert(strstr(auth.data, "SignedHeaders=host;x-amz-content-sha256;x-amz-date"));
	ck_assert(strstr(auth.data, "Credential=" AK "/20261125/"));
	px_buf_free(&auth);
	px_buf_free(&canon);
}
END_TEST

START_TEST(test_signature_depends_on_secret)
{
	struct px_st_kv h[1] = { { "host", "h" } };
	struct px_st_sigv4_req r = { "GET", "/", "", h, 1, EMPTY, "20261125T184900Z",
				     "us-east-1", "s3", SK, AK };
	char a[65], b[65];

	ck_assert_int_eq(px_st_sigv4_sign(&r, NULL, NULL, a, NULL), 0);
	r.secret_key = "other";
	ck_assert_int_eq(px_st_sigv4_sign(&r, NULL, NULL, b, NULL), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

/* Google Cloud Storage through its XML API with HMAC keys: the same
 * SigV4, host storage.googleapis.com, region "auto". Expected values from
 * botocore (S3SigV4Auth(Credentials(ak, sk), "s3", "auto"), timestamp
 * 20261206T081500Z, canonical_request / string_to_sign / signature). */
START_TEST(test_gcs_signature)
{
	static const struct {
		const char *method, *path, *query, *hash, *sig;
	} c[] = {
		{ "PUT", "/plexi-gcs/wal/000000010000000000000001", "", HELLO,
		  "79dc74462101514d3ead3a1b5683de3618bdd45f8767ab9bb7a5cda2f1ff6634" },
		{ "GET", "/plexi-gcs", "list-type=2&prefix=wal%2F", EMPTY,
		  "5f3d251cd3022ecc09bb4959d01735c97ec2fed7c2695c1333a4f0956648fe37" },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		struct px_st_kv h[3] = {
			{ "host", "storage.googleapis.com" },
			{ "x-amz-content-sha256", c[i].hash },
			{ "x-amz-date", "20261206T081500Z" },
		};
		struct px_st_sigv4_req r = {
			c[i].method, c[i].path, c[i].query, h, 3, c[i].hash, "20261206T081500Z",
			"auto", "s3", "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ",
			"GOOG1EXAMPLEHMACKEYID",
		};
		char sig[65];

		ck_assert_int_eq(px_st_sigv4_sign(&r, NULL, NULL, sig, NULL), 0);
		ck_assert_msg(!strcmp(sig, c[i].sig), "%s: want %s got %s", c[i].method,
			      c[i].sig, sig);
	}
}
END_TEST

/* Azure Shared Key: the string to sign written out by hand from the Blob
 * service's rules and its HMAC computed with Python's hmac (Azurite's
 * well-known development key). */
#define AZ_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define AZ_DATE "x-ms-date:Sun, 06 Dec 2026 08:15:00 GMT"

START_TEST(test_azure_shared_key)
{
	const char *put_h[] = { "x-ms-blob-type:BlockBlob", AZ_DATE, "x-ms-version:2021-08-06" };
	const char *get_h[] = { AZ_DATE, "x-ms-version:2021-08-06" };
	const char *q[] = { "restype=container", "comp=list", "prefix=repo/wal/" };
	struct px_buf s = PX_BUF_INIT, a = PX_BUF_INIT;

	px_st_azure_string_to_sign(&s, "PUT", "5", "*", put_h, 3, "devstoreaccount1",
				   "/devstoreaccount1/backups/repo/wal/000000010000000000000001",
				   NULL, 0);
	ck_assert_str_eq(s.data, "PUT\n\n\n5\n\n\n\n\n\n*\n\n\nx-ms-blob-type:BlockBlob\n"
			 AZ_DATE "\nx-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/"
			 "backups/repo/wal/000000010000000000000001");
	ck_assert_int_eq(px_st_azure_sign(&a, "devstoreaccount1", AZ_KEY, s.data), 0);
	ck_assert_str_eq(a.data, "SharedKey devstoreaccount1:2KrToZJanY3AGgrhagtPk+nAA3vqLMcAi27ZLk19zco=");
	px_buf_reset(&s);
	px_buf_reset(&a);
	px_st_azure_string_to_sign(&s, "GET", "", NULL, get_h, 2, "devstoreaccount1",
				   "/devstoreaccount1/backups", q, 3);
	ck_assert_int_eq(px_st_azure_sign(&a, "devstoreaccount1", AZ_KEY, s.data), 0);
	ck_assert_str_eq(a.data, "SharedKey devstoreaccount1:FRrWjs2IOGn+ONH+7GZ2LRHaSJ7xiAAO9PpG31BNE1U=");
	ck_assert_int_eq(px_st_azure_sign(&a, "devstoreaccount1", "not base64!", s.data), -1);
	px_buf_free(&s);
	px_buf_free(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_sigv4");
	TCase *tc = tcase_create("sigv4");

	tcase_add_loop_test(tc, test_uri_encode, 0,
			    sizeof(enc_cases) / sizeof(enc_cases[0]));
	tcase_add_test(tc, test_canonical_query);
	tcase_add_loop_test(tc, test_signature, 0,
			    sizeof(sig_cases) / sizeof(sig_cases[0]));
	tcase_add_test(tc, test_signature_depends_on_secret);
	tcase_add_test(tc, test_gcs_signature);
	tcase_add_test(tc, test_azure_shared_key);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
