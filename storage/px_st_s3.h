/* px_st_s3.h: the S3-compatible storage backend (AWS S3, GCS through its
 * XML interoperability API, MinIO, s3rver ...) over libcurl's multi
 * interface: up to `concurrency` transfers run at once; transient failures
 * (connection errors, 408, 429, 5xx) are retried with exponential back-off
 * and full jitter, at most PX_ST_S3_ATTEMPTS times. Requests are signed
 * with CURLOPT_AWS_SIGV4; this module supplies x-amz-content-sha256 and
 * canonical paths and queries (px_st_sigv4.h). */
#ifndef PX_ST_S3_H
#define PX_ST_S3_H

#include <stdint.h>
#include <time.h>

#include "storage/px_st_store.h"

#define PX_ST_S3_ATTEMPTS 6
/* S3's smallest part (except the last) and largest part count. */
#define PX_ST_S3_MIN_PART (5ull << 20)
#define PX_ST_S3_MAX_PARTS 10000

/* url is "s3://bucket[/prefix]". NULL with a reason in err. */
struct px_st_store *px_st_s3_open(const struct px_st_store_opts *o,
				  struct px_buf *err);

/* Stores bytes [0, size) of the open file fd as object name without ever
 * holding the file in memory (curl reads it with pread as it sends).
 * size <= part_size: one PUT whose x-amz-content-sha256 is sha256_hex (the
 * file's SHA-256 in hex, checked by S3) or UNSIGNED-PAYLOAD when NULL.
 * Larger: a multipart upload of part_size parts (raised so that at most
 * PX_ST_S3_MAX_PARTS are needed, never below PX_ST_S3_MIN_PART), sent up
 * to the store's concurrency at once, each retried as a whole, completed
 * by their ETags; on failure the upload is aborted so that no parts stay
 * billed. fd stays open and its offset is not used. STORAGE_* errors as
 * for put, with the reason in the store's errmsg. */
enum px_err px_st_s3_put_file(struct px_st_store *s, const char *name, int fd,
			      uint64_t size, const char *sha256_hex, uint64_t part_size)
	__attribute__((warn_unused_result));

/* HEAD of object name: *size gets its length. STORAGE_SHARD_MISSING when
 * it does not exist, other STORAGE_* errors as for get. */
enum px_err px_st_s3_head(struct px_st_store *s, const char *name, uint64_t *size)
	__attribute__((warn_unused_result));

/* Replaces out's contents with bytes [off, off + len) of object name
 * (fewer at its end), one ranged GET, so that an object of any size is
 * read in pieces. STORAGE_* errors as for get. */
enum px_err px_st_s3_get_range(struct px_st_store *s, const char *name, uint64_t off,
			       size_t len, struct px_buf *out) __attribute__((warn_unused_result));

/* What a presigned GET carries besides the object. */
struct px_st_s3_presign {
	const char *endpoint;     /* "https://host[:port]" clients reach; NULL: the store's */
	long expires;             /* seconds the URL is valid, 1..604800 */
	time_t now;               /* signing time; 0: time(NULL) */
	/* response-* overrides S3 applies to its answer (NULL: none) */
	const char *content_type, *content_disposition, *cache_control;
};

/* Writes into out (replaced) a SigV4 query-string signed URL for GET of
 * object name (RFC 3986 encoded, parameters sorted, host the only signed
 * header, UNSIGNED-PAYLOAD). Pure computation, no request is made.
 * Returns 0, or -1 for bad arguments or no memory. */
int px_st_s3_presign_get(const struct px_st_store *s, const char *name,
			 const struct px_st_s3_presign *p, struct px_buf *out)
	__attribute__((warn_unused_result));

/* Whether s is an S3 store (the functions above need one). */
int px_st_s3_is(const struct px_st_store *s);

/* Retry accounting for tests and logs: transfers retried so far. */
unsigned long px_st_s3_retries(const struct px_st_store *s);

#endif
