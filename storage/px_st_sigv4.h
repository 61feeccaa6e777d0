/* px_st_sigv4.h: AWS Signature Version 4 pieces the S3 backend needs.
 * libcurl (CURLOPT_AWS_SIGV4) signs the requests, but signs the query
 * string and path verbatim, so they must be built canonical here: RFC 3986
 * encoding (unreserved A-Z a-z 0-9 - _ . ~ kept, everything else %XX in
 * upper case) and query parameters sorted by name with "=" always present.
 * px_st_sigv4_sign is a full signer used to check curl's signatures in
 * tests and to diagnose rejected requests. */
#ifndef PX_ST_SIGV4_H
#define PX_ST_SIGV4_H

#include <stddef.h>

#include "core/buf.h"

struct px_st_kv {
	const char *name;
	const char *value;
};

/* Appends the canonical query of the n pairs (sorted by encoded name,
 * then value; the array is not modified). */
void px_st_canonical_query(struct px_buf *out, const struct px_st_kv *q,
			   size_t n);

struct px_st_sigv4_req {
	const char *method;
	const char *path;          /* already encoded, e.g. "/bucket/key" */
	const char *query;         /* canonical query, "" when none */
	const struct px_st_kv *headers; /* lower-case names, trimmed values */
	size_t nheaders;
	const char *payload_hash;  /* hex SHA-256 or "UNSIGNED-PAYLOAD" */
	const char *amz_date;      /* "20261125T184900Z" */
	const char *region, *service;
	const char *secret_key;
	const char *access_key;
};

/* Computes the canonical request, string to sign and signature (64 hex
 * digits + NUL) and the Authorization header value. Any out buffer may be
 * NULL. Returns 0, or -1 on allocation failure. */
int px_st_sigv4_sign(const struct px_st_sigv4_req *r, struct px_buf *canon,
		     struct px_buf *to_sign, char signature[65],
		     struct px_buf *authorization)
	__attribute__((warn_unused_result));

#endif
