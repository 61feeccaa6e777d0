/* check_storage_files.c: the file store's pieces that need no server:
 * presigned S3 GET URLs against signatures computed independently with
 * botocore (Debian awscli 2.9.19's vendored botocore, S3SigV4QueryAuth
 * with its clock fixed at the time below; the first case is also the
 * example of the AWS S3 documentation, "Authenticating Requests: Using
 * Query Parameters"; the gs:// case is GCS's XML API, region "auto"),
 * Azure read-only service SAS URLs (the string to sign line by line, and
 * its signature under Azurite's well-known account key computed with
 * Python's hmac; Azurite itself checks such URLs in
 * tests/integration/test_files_remote.py), and the local store's commit, listing, removal and
 * temporary-file checks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crypto.h"
#include "storage/px_st_azure.h"
#include "storage/px_st_files.h"
#include "core/codec.h"
#include "storage/px_st_open.h"
#include "storage/px_st_s3.h"
#include "tests/unit/run_suite.h"

static const struct {
	int line;
	const char *url, *endpoint, *ak, *sk, *name;
	int path_style;
	long expires;
	time_t now;
	const char *ctype, *disp;
	const char *want_prefix; /* the URL before its query */
	const char *want_sig;
} cases[] = {
	{ __LINE__, "s3://examplebucket", "https://s3.amazonaws.com", "AKIAIOSFODNN7EXAMPLE",
	  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "test.txt", 0, 86400,
	  1369353600 /* 20130524T000000Z */, NULL, NULL,
	  "https://examplebucket.s3.amazonaws.com/test.txt?",
	  "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404" },
	{ __LINE__, "s3://bkt/pre", "http://127.0.0.1:9000", "S3RVER", "S3RVER", "ab/cdef", 1, 120,
	  1369353600, "text/plain", "attachment; filename=\"a b.txt\"",
	  "http://127.0.0.1:9000/bkt/pre/ab/cdef?",
	  "d5b3ce4766d2d64cb5d21ac234165f068cca2380df81aebddbf64be991059418" },
	/* gs://: GCS's XML API with an HMAC key, signed as S3 is for region
	 * "auto" on storage.googleapis.com, path-style (botocore as above,
	 * region "auto") */
	{ __LINE__, "gs://px-bucket/files", "", "GOOG1EXAMPLEHMACID",
	  "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ", "objects/ab/cdef", 0, 300, 1369353600,
	  "image/png", NULL, "https://storage.googleapis.com/px-bucket/files/objects/ab/cdef?",
	  "46cfc798588593e1e4ef4b0b35c832f112641bc41f77720d59191e466341aa7b" },
};

static struct px_st_store *open_s3(const char *url, const char *ep, const char *ak,
				   const char *sk, int path_style)
{
	struct px_st_store_opts o = { 0 };
	struct px_buf err = PX_BUF_INIT;
	struct px_st_store *s;

	o.url = url;
	o.s3_endpoint = ep;
	o.s3_region = "us-east-1";
	o.s3_access_key = ak;
	o.s3_secret_key = sk;
	o.s3_path_style = path_style;
	s = px_st_store_open(&o, &err);
	ck_assert_msg(s != NULL, "open: %s", err.data ? err.data : "");
	px_buf_free(&err);
	return s;
}

START_TEST(test_presign)
{
	struct px_st_store *s = open_s3(cases[_i].url, cases[_i].endpoint, cases[_i].ak,
					cases[_i].sk, cases[_i].path_style);
	struct px_st_s3_presign p = { 0 };
	struct px_buf out = PX_BUF_INIT;
	const char *sig;

	p.expires = cases[_i].expires;
	p.now = cases[_i].now;
	p.content_type = cases[_i].ctype;
	p.content_disposition = cases[_i].disp;
	ck_assert(px_st_s3_is(s));
	ck_assert_int_eq(px_st_s3_presign_get(s, cases[_i].name, &p, &out), 0);
	ck_assert_msg(!strncmp(out.data, cases[_i].want_prefix, strlen(cases[_i].want_prefix)),
		      "line %d: %s", cases[_i].line, out.data);
	sig = strstr(out.data, "&X-Amz-Signature=");
	ck_assert_msg(sig && !strcmp(sig + 17, cases[_i].want_sig), "line %d: want %s in %s",
		      cases[_i].line, cases[_i].want_sig, out.data);
	ck_assert(strstr(out.data, "X-Amz-SignedHeaders=host"));
	if (cases[_i].disp)
		ck_assert(strstr(out.data, "response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22"));
	px_buf_free(&out);
	px_st_store_free(s);
}
END_TEST

START_TEST(test_presign_endpoint_and_limits)
{
	struct px_st_store *s = open_s3("s3://b/p", "http://10.0.0.1:9000", "AK", "SK", 1);
	struct px_st_s3_presign p = { 0 };
	struct px_buf out = PX_BUF_INIT;

	p.expires = 60;
	/* the public endpoint replaces the store's; a default port is left out */
	p.endpoint = "https://files.example.org:443";
	ck_assert_int_eq(px_st_s3_presign_get(s, "objects/ab/c d", &p, &out), 0);
	ck_assert_msg(!strncmp(out.data, "https://files.example.org/b/p/objects/ab/c%20d?X-Amz-Algorithm=",
			       62), "%s", out.data);
	p.expires = 0;
	ck_assert_int_eq(px_st_s3_presign_get(s, "x", &p, &out), -1);
	p.expires = 604801;
	ck_assert_int_eq(px_st_s3_presign_get(s, "x", &p, &out), -1);
	p.expires = 60;
	p.endpoint = "no-scheme";
	ck_assert_int_eq(px_st_s3_presign_get(s, "x", &p, &out), -1);
	px_buf_free(&out);
	px_st_store_free(s);
}
END_TEST

START_TEST(test_azure_sas)
{
	static const char key[] = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
				  "K1SZFPTOtr/KBHBeksoGMGw==";
	struct px_st_store_opts o = { 0 };
	struct px_buf err = PX_BUF_INIT, out = PX_BUF_INIT, sts = PX_BUF_INIT;
	struct px_st_azure_sas p = { 0 };
	struct px_st_store *s;

	px_st_azure_sas_string(&sts, "acct", "cont", "pre/x", "2013-05-24T00:05:00Z", NULL,
			       "inline", NULL);
	ck_assert_str_eq(sts.data, "r\n\n2013-05-24T00:05:00Z\n/blob/acct/cont/pre/x\n\n\n\n"
				   "2021-08-06\nb\n\n\n\ninline\n\n\n");
	o.url = "azure://plexi-files/px";
	o.azure_account = "devstoreaccount1";
	o.azure_key = key;
	o.azure_endpoint = "http://127.0.0.1:10000/devstoreaccount1";
	s = px_st_store_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.data ? err.data : "");
	ck_assert(px_st_azure_is(s) && !px_st_s3_is(s));
	p.expires = 300;
	p.now = 1369353600;
	p.content_type = "text/plain";
	p.content_disposition = "attachment; filename=\"a b.txt\"";
	p.cache_control = "private, max-age=60";
	ck_assert_int_eq(px_st_azure_presign_get(s, "objects/ab/cdef", &p, &out), 0);
	ck_assert_str_eq(out.data,
			 "http://127.0.0.1:10000/devstoreaccount1/plexi-files/px/objects/ab/cdef?"
			 "sv=2021-08-06&sr=b&sp=r&se=2013-05-24T00%3A05%3A00Z"
			 "&rscc=private%2C%20max-age%3D60"
			 "&rscd=attachment%3B%20filename%3D%22a%20b.txt%22&rsct=text%2Fplain"
			 "&sig=BiK%2BjdrukHaZ4OA2NBZVDbrJn4BhK5fd4r%2FU6BYtn20%3D");
	/* the public endpoint replaces the store's */
	p.endpoint = "https://blobs.example.org/devstoreaccount1/";
	ck_assert_int_eq(px_st_azure_presign_get(s, "objects/ab/cdef", &p, &out), 0);
	ck_assert(!strncmp(out.data, "https://blobs.example.org/devstoreaccount1/plexi-files/px/", 58));
	p.expires = 0;
	ck_assert_int_eq(px_st_azure_presign_get(s, "x", &p, &out), -1);
	px_st_store_free(s);
	/* a store opened with a SAS token cannot make a service SAS */
	o.azure_key = NULL;
	o.azure_sas = "sv=2019-12-12&sig=x";
	s = px_st_store_open(&o, &err);
	ck_assert(s != NULL);
	p.expires = 60;
	ck_assert_int_eq(px_st_azure_presign_get(s, "x", &p, &out), -1);
	px_st_store_free(s);
	px_buf_free(&err);
	px_buf_free(&out);
	px_buf_free(&sts);
}
END_TEST

struct seen {
	int n;
	char hex[4][65];
	uint64_t size[4];
};

static int on_obj(void *arg, const char *hex, uint64_t size, time_t mtime)
{
	struct seen *s = arg;

	(void)mtime;
	if (s->n < 4) {
		snprintf(s->hex[s->n], 65, "%s", hex);
		s->size[s->n] = size;
	}
	s->n++;
	return 0;
}

static int on_tmp(void *arg, const char *path, uint64_t size, time_t mtime)
{
	(void)path;
	(void)size;
	(void)mtime;
	(*(int *)arg)++;
	return 0;
}

/* Commits bytes p[0..n) through a temporary file; returns the hex name. */
static void put(struct px_st_files *f, const char *p, char hex[65], int *existed)
{
	char tmp[PX_ST_FILES_PATH];
	unsigned char h[32];
	int fd = px_st_files_temp(f, tmp);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, strlen(p)), (ssize_t)strlen(p));
	close(fd);
	px_crypto_sha256(p, strlen(p), h);
	px_codec_hex_str(hex, h, 32);
	ck_assert_int_eq(px_st_files_commit(f, tmp, hex, existed), PX_OK);
	ck_assert_int_ne(access(tmp, F_OK), 0);
}

START_TEST(test_local_store)
{
	char root[] = "/tmp/check_storage_files.XXXXXX", hex[65], hex2[65], key[80];
	char junk[PX_ST_FILES_PATH + 32];
	struct px_buf err = PX_BUF_INIT;
	struct px_st_files f;
	struct seen s = { 0 };
	int existed = -1, tmps = 0, gone = -1;

	ck_assert(mkdtemp(root) != NULL);
	ck_assert_int_eq(px_st_files_init(&f, root, &err), 0);
	ck_assert(f.remote == NULL);
	put(&f, "hello", hex, &existed);
	ck_assert_int_eq(existed, 0);
	put(&f, "hello", hex2, &existed);
	ck_assert_int_eq(existed, 1);
	put(&f, "other bytes", hex2, &existed);
	ck_assert_int_eq(px_st_files_key(hex, key), 0);
	ck_assert_int_eq(strncmp(key, "objects/2c/f24dba5f", 19), 0);
	ck_assert_int_eq(px_st_files_key("nothex", key), -1);
	/* something that is not an object is never listed */
	snprintf(junk, sizeof(junk), "%s/objects/2c/README", root);
	fclose(fopen(junk, "w"));
	ck_assert_int_eq(px_st_files_list(&f, on_obj, &s), PX_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert(!strcmp(s.hex[0], hex) || !strcmp(s.hex[1], hex));
	ck_assert_int_eq(px_st_files_remove(&f, hex, &gone), PX_OK);
	ck_assert_int_eq(gone, 1);
	ck_assert_int_eq(px_st_files_remove(&f, hex, &gone), PX_OK); /* already gone */
	ck_assert_int_eq(gone, 0);
	s.n = 0;
	ck_assert_int_eq(px_st_files_list(&f, on_obj, &s), PX_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.hex[0], hex2);
	ck_assert_int_eq((int)s.size[0], 11);
	/* temporary files: listed, and only real ones pass is_tmp */
	snprintf(junk, sizeof(junk), "%s/tmp/up-left", root);
	fclose(fopen(junk, "w"));
	ck_assert_int_eq(px_st_files_list_tmp(&f, on_tmp, &tmps), 0);
	ck_assert_int_eq(tmps, 1);
	ck_assert(px_st_files_is_tmp(&f, junk));
	snprintf(junk, sizeof(junk), "%s/tmp/../objects/x", root);
	ck_assert(!px_st_files_is_tmp(&f, junk));
	ck_assert(!px_st_files_is_tmp(&f, "/etc/passwd"));
	px_st_files_close(&f);
	px_buf_free(&err);
	/* its own folder only: another build's run of this test may be beside */
	snprintf(junk, sizeof(junk), "rm -rf '%s'", root);
	ck_assert_int_eq(system(junk), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storage_files");
	TCase *tc = tcase_create("files");

	tcase_add_loop_test(tc, test_presign, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_presign_endpoint_and_limits);
	tcase_add_test(tc, test_azure_sas);
	tcase_add_test(tc, test_local_store);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
