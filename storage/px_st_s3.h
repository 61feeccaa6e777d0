/* px_st_s3.h: the S3-compatible storage backend (AWS S3, GCS through its
 * XML interoperability API, MinIO, s3rver ...) over libcurl's multi
 * interface: up to `concurrency` transfers run at once; transient failures
 * (connection errors, 408, 429, 5xx) are retried with exponential back-off
 * and full jitter, at most PX_ST_S3_ATTEMPTS times. Requests are signed
 * with CURLOPT_AWS_SIGV4; this module supplies x-amz-content-sha256 and
 * canonical paths and queries (px_st_sigv4.h). */
#ifndef PX_ST_S3_H
#define PX_ST_S3_H

#include "storage/px_st_store.h"

#define PX_ST_S3_ATTEMPTS 6

/* url is "s3://bucket[/prefix]". NULL with a reason in err. */
struct px_st_store *px_st_s3_open(const struct px_st_store_opts *o,
				  struct px_buf *err);

/* Retry accounting for tests and logs: transfers retried so far. */
unsigned long px_st_s3_retries(const struct px_st_store *s);

#endif
