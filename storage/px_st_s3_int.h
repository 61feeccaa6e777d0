/* px_st_s3_int.h: the S3 backend's internals, shared by px_st_s3.c (the
 * transfer engine and the store operations) and px_st_s3_file.c (puts
 * streamed from a file, multipart uploads, HEAD, presigned URLs). Not for
 * use outside storage/. */
#ifndef PX_ST_S3_INT_H
#define PX_ST_S3_INT_H

#include <curl/curl.h>
#include <stdint.h>

#include "storage/px_st_store.h"

#define PX_ST_S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum px_st_s3_op { OP_PUT, OP_GET, OP_LIST, OP_DEL, OP_HEAD, OP_POST };

/* One request, retried as a whole. The body is body (a buffer) or, when
 * fd >= 0, bytes [off, off + len) of fd, read with pread on every attempt
 * (the caller keeps fd open until the transfer is done). */
struct xfer {
	struct xfer *next;
	CURL *h;
	enum px_st_s3_op op;
	char *url;
	struct px_buf body;       /* request body (PUT, POST) */
	size_t sent;
	int fd;                   /* -1: the body is `body` */
	uint64_t off, len;
	struct px_buf *resp;      /* response body sink (GET, LIST, POST) */
	struct px_buf own_resp;
	char hash[65];            /* x-amz-content-sha256: hex or UNSIGNED-PAYLOAD */
	char etag[130];           /* the answer's ETag, quotes kept */
	char range[64];           /* GET: "a-b" bytes asked for ("": all) */
	long long length;         /* the answer's Content-Length (HEAD), -1 unknown */
	int attempts, done, async;
	double not_before;
	enum px_err result;
	char name[256];
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs;
};

struct s3 {
	struct px_st_store base;
	CURLM *multi;
	char *scheme_host;        /* "http://127.0.0.1:18330" */
	char *bucket, *prefix, *sigv4, *userpwd;
	char *access_key, *secret_key, *region;
	int path_style, max_parallel, running;
	struct xfer *pending;     /* not started yet or waiting to retry */
	struct xfer *active;      /* in the multi handle */
	enum px_err async_err;
	unsigned long retries;
};

/* A new transfer for object name (NULL: the bucket, for listings) with
 * query (canonical, may be NULL); body empty, hash of the empty body,
 * fd -1. NULL when out of memory. */
struct xfer *px_st_s3i_xfer_new(struct s3 *s, enum px_st_s3_op op, const char *name,
				const char *query);
/* Frees x, which must be on no list (fd is not closed). */
void px_st_s3i_xfer_free(struct xfer *x);
/* Sets x->hash to the SHA-256 of x->body. */
void px_st_s3i_hash_body(struct xfer *x);
/* Queues x; step drives it along with everything else queued. */
void px_st_s3i_push(struct s3 *s, struct xfer *x);
/* Starts due transfers, runs curl once, collects finished ones. */
enum px_err px_st_s3i_step(struct s3 *s) __attribute__((warn_unused_result));
/* Takes x off whichever list holds it and frees it. */
void px_st_s3i_drop(struct s3 *s, struct xfer *x);
/* Queues x, drives until it is done, returns its result and frees it. */
enum px_err px_st_s3i_run(struct s3 *s, struct xfer *x) __attribute__((warn_unused_result));
/* Object URL of name (the bucket's when NULL) on scheme_host, with query
 * appended; malloc'd, NULL when out of memory. */
char *px_st_s3i_url(const struct s3 *s, const char *scheme_host, const char *name,
		    const char *query);

#endif
