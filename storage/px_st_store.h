/* px_st_store.h: the one interface every storage backend implements.
 *
 * Objects are named by slash-separated relative names ("shards/ab/ab12..",
 * "snapshots/2026-..."). A put makes the object appear whole or not at all.
 * Errors are canonical codes: STORAGE_SHARD_MISSING (no such object),
 * STORAGE_FULL, STORAGE_CREDENTIALS, STORAGE_FAILED (anything else, after
 * the backend's own retries). A store is used by one thread. */
#ifndef PX_ST_STORE_H
#define PX_ST_STORE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct px_st_store;

/* Called once per listed object with its name and size; a non-zero
 * return stops the listing (which then returns PX_OK). */
typedef int (*px_st_list_fn)(void *arg, const char *name, size_t size);

struct px_st_store_ops {
	const char *kind;
	enum px_err (*put)(struct px_st_store *s, const char *name,
			   const void *p, size_t n);
	/* Queues a put; the store takes data (freed by it). Completion is
	 * only guaranteed after flush, which returns the first error. */
	enum px_err (*put_async)(struct px_st_store *s, const char *name,
				 struct px_buf *data);
	enum px_err (*flush)(struct px_st_store *s);
	/* Replaces out's contents with the object. */
	enum px_err (*get)(struct px_st_store *s, const char *name,
			   struct px_buf *out);
	/* Starts fetching name (backends may run several at once); *h is
	 * then passed once to get_end, which waits and fills out exactly as
	 * get would. */
	enum px_err (*get_begin)(struct px_st_store *s, const char *name,
				 void **h);
	enum px_err (*get_end)(struct px_st_store *s, void *h,
			       struct px_buf *out);
	enum px_err (*list)(struct px_st_store *s, const char *prefix,
			    px_st_list_fn fn, void *arg);
	/* Deleting a missing object is not an error. */
	enum px_err (*del)(struct px_st_store *s, const char *name);
	void (*free)(struct px_st_store *s);
	/* Removes what interrupted runs left half-written (NULL when a put
	 * is atomic, as in S3); called only under an exclusive lock. Returns
	 * how many were removed. */
	long (*sweep)(struct px_st_store *s);
	/* Makes what a new store needs before its first backup (NULL:
	 * nothing). The local store makes its 256 shard folders at init, as
	 * restic does, instead of during the first backup. */
	enum px_err (*prepare)(struct px_st_store *s);
	/* Stores the object only if no object has that name, atomically
	 * and durably: PX_OK, or VALIDATION_CONFLICT when one exists (it is
	 * left as it was). NULL when the backend cannot promise that (S3's
	 * PUT replaces): callers then put and read back. */
	enum px_err (*put_new)(struct px_st_store *s, const char *name,
			       const void *p, size_t n);
};

struct px_st_store {
	const struct px_st_store_ops *ops;
	char *url;            /* for messages, without credentials */
	struct px_buf errmsg; /* last backend-specific detail */
};

struct px_st_store_opts {
	const char *url;          /* "/path", "file:///path", "s3://bucket/prefix",
				   * "gs://bucket/prefix" or "azure://container/prefix" */
	const char *s3_endpoint;  /* "https://host[:port]"; NULL = AWS for the region */
	const char *s3_region;    /* NULL = "us-east-1" */
	const char *s3_access_key;
	const char *s3_secret_key;
	int s3_path_style;        /* 1: endpoint/bucket/key; 0: bucket.host/key */
	int concurrency;          /* parallel transfers; 0 = 8 */
	/* Azure ("azure://container/prefix"): account, and the account key
	 * (base64) or a SAS token; endpoint NULL = https://<account>.blob.core.windows.net */
	const char *azure_account, *azure_key, *azure_sas, *azure_endpoint;
};

static inline enum px_err px_st_put(struct px_st_store *s, const char *name,
				    const void *p, size_t n)
{
	return s->ops->put(s, name, p, n);
}
static inline enum px_err px_st_put_async(struct px_st_store *s,
					  const char *name, struct px_buf *d)
{
	return s->ops->put_async(s, name, d);
}
static inline enum px_err px_st_flush(struct px_st_store *s)
{
	return s->ops->flush(s);
}
static inline enum px_err px_st_get(struct px_st_store *s, const char *name,
				    struct px_buf *out)
{
	return s->ops->get(s, name, out);
}
static inline enum px_err px_st_list(struct px_st_store *s, const char *prefix,
				     px_st_list_fn fn, void *arg)
{
	return s->ops->list(s, prefix, fn, arg);
}
static inline enum px_err px_st_del(struct px_st_store *s, const char *name)
{
	return s->ops->del(s, name);
}
static inline enum px_err px_st_get_begin(struct px_st_store *s,
					  const char *name, void **h)
{
	return s->ops->get_begin(s, name, h);
}
static inline enum px_err px_st_get_end(struct px_st_store *s, void *h,
					struct px_buf *out)
{
	return s->ops->get_end(s, h, out);
}
void px_st_store_free(struct px_st_store *s);

#endif
