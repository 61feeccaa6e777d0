/* px_st_azure_int.h: the Azure backend's internals, shared by
 * px_st_azure.c (requests and the store operations) and
 * px_st_azure_file.c (puts streamed from a file, HEAD, SAS URLs). Not for
 * use outside storage/. */
#ifndef PX_ST_AZURE_INT_H
#define PX_ST_AZURE_INT_H

#include <curl/curl.h>
#include <stdint.h>

#include "storage/px_st_store.h"

struct az {
	struct px_st_store base;
	CURL *curl;
	char *origin;      /* "http://127.0.0.1:10000" */
	char *path_base;   /* "/devstoreaccount1" (path-style) or "" */
	char *account, *key, *sas, *container, *prefix;
	enum px_err pending;   /* first error of put_async, for flush */
};

/* A request body: n bytes at p, or (fd >= 0) bytes [off, off + n) of
 * fd read with pread on every attempt, so a file is never held whole. */
struct azi_body {
	const char *p;
	int fd;
	uint64_t off;
	size_t n;
};

/* One request, retried when transient (connection errors, 408, 429,
 * 5xx). query: decoded "name=value" pairs; blob NULL: a container
 * request; src: the body (p/n, or bytes [off, off + n) of fd when fd >=
 * 0); range: "bytes=a-b" sent as x-ms-range (NULL: none). *status gets the HTTP status, *length (may be NULL) the answer's
 * Content-Length (-1 unknown). PX_OK means an answer came (check
 * *status); STORAGE_FAILED when none did, STORAGE_CREDENTIALS when the
 * request cannot be signed. */
enum px_err px_st_azi_request(struct az *a, const char *method, const char *blob,
			      const char *const *query, size_t nq, const struct azi_body *src,
			      int create_only, const char *range, struct px_buf *resp,
			      long *status, long long *length) __attribute__((warn_unused_result));
/* A completed request's status as a store error (404: SHARD_MISSING,
 * 401/403: CREDENTIALS), the detail in the store's errmsg. */
enum px_err px_st_azi_status(struct az *a, const char *what, const char *name, long st,
			     const struct px_buf *resp);
/* prefix + name, malloc'd (NULL when out of memory). */
char *px_st_azi_name(struct az *a, const char *name);

#endif
