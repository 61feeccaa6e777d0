/* check_tlscert.c: days left on a certificate, read from PEM files made
 * here with OpenSSL: whole days rounded down, the leaf of a chain, and
 * files that hold no certificate refused. */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tlscert.h"
#include "tests/unit/run_suite.h"

/* A self-signed certificate for cn valid from now-1h to now+secs. */
static X509 *make(const char *cn, long secs, time_t now)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	ck_assert_ptr_nonnull(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, secs, &now);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	ck_assert_int_gt(X509_sign(x, k, NULL), 0);
	EVP_PKEY_free(k);
	return x;
}

static void write_pem(const char *path, X509 *const *certs, int n)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(PEM_write_X509(f, certs[i]), 1);
	fclose(f);
}

START_TEST(test_days_left)
{
	char path[32] = "/tmp/px-tlscert-";
	size_t at = strlen(path);
	int fd;

	/* mkstemp's template: six Xs it replaces */
	memset(path + at, 'X', 6);
	path[at + 6] = '\0';
	fd = mkstemp(path);
	time_t now = time(NULL);
	struct px_tlscert c;
	X509 *x[2];

	ck_assert_int_ge(fd, 0);
	close(fd);
	/* ten days and an hour: 10; the leaf of a chain is the one read */
	x[0] = make("chat.example.org", 10 * 86400 + 3600, now);
	x[1] = make("Some CA", 400 * 86400, now);
	write_pem(path, x, 2);
	ck_assert_int_eq(px_tlscert_read(path, now, &c), 0);
	ck_assert_int_eq(c.days_left, 10);
	ck_assert_str_eq(c.subject, "chat.example.org");
	ck_assert_int_eq(c.not_after, now + 10 * 86400 + 3600);
	/* the last hours of the last day: 0; an hour past the end: -1 */
	ck_assert_int_eq(px_tlscert_read(path, now + 10 * 86400 + 60, &c), 0);
	ck_assert_int_eq(c.days_left, 0);
	ck_assert_int_eq(px_tlscert_read(path, now + 10 * 86400 + 7200, &c), 0);
	ck_assert_int_eq(c.days_left, -1);
	X509_free(x[0]);
	X509_free(x[1]);
	/* no certificate in it, or no file at all */
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	ck_assert_int_eq(px_tlscert_read(path, now, &c), -1);
	unlink(path);
	ck_assert_int_eq(px_tlscert_read(path, now, &c), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlscert");
	TCase *tc = tcase_create("tlscert");

	tcase_add_test(tc, test_days_left);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
