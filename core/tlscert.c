/* tlscert.c: certificate expiry (tlscert.h), with OpenSSL. */
#include "core/tlscert.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <string.h>

static void subject_of(X509 *x, char *out, size_t n)
{
	X509_NAME *name = X509_get_subject_name(x);
	int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	ASN1_STRING *cn = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
	unsigned char *utf8 = NULL;
	int len = cn ? ASN1_STRING_to_UTF8(&utf8, cn) : -1;

	if (len >= 0)
		snprintf(out, n, "%.*s", len, (const char *)utf8);
	else if (name)
		X509_NAME_oneline(name, out, (int)n);
	else
		out[0] = '\0';
	OPENSSL_free(utf8);
}

int px_tlscert_read(const char *path, time_t now, struct px_tlscert *out)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	const ASN1_TIME *end = x ? X509_get0_notAfter(x) : NULL;
	struct tm tm;
	int days = 0, secs = 0, rc = -1;
	ASN1_TIME *at = NULL;

	if (f)
		fclose(f);
	if (!end || !(at = ASN1_TIME_set(NULL, now)) || !ASN1_TIME_diff(&days, &secs, at, end) ||
	    !ASN1_TIME_to_tm(end, &tm))
		goto out;
	memset(out, 0, sizeof(*out));
	/* whole days, rounded down: 0 on the last day, -1 the day after */
	out->days_left = days - (secs < 0);
	out->not_after = timegm(&tm);
	subject_of(x, out->subject, sizeof(out->subject));
	rc = 0;
out:
	ASN1_TIME_free(at);
	X509_free(x);
	return rc;
}
