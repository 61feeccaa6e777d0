/* px_st_azure.h: the Azure Blob Storage backend (and Azurite), over
 * libcurl, one request at a time. Store URL "azure://container[/prefix]";
 * the endpoint is https://<account>.blob.core.windows.net unless given
 * (Azurite: http://127.0.0.1:10000/devstoreaccount1, path-style). Requests
 * are signed with Shared Key (HMAC-SHA256 of the canonical request under
 * the base64 account key) or carry a SAS token instead. Blobs are block
 * blobs written with one Put Blob (up to 5000 MiB, far above a shard), or
 * for the file store's large files Put Block + Put Block List streamed
 * from the file (px_st_azure_put_file, in px_st_azure_file.c with HEAD,
 * ranged reads and read-only service SAS URLs); a create-only put sends
 * If-None-Match: *. Connection errors, 408, 429
 * and 5xx are retried with back-off, at most PX_ST_AZURE_ATTEMPTS times. */
#ifndef PX_ST_AZURE_H
#define PX_ST_AZURE_H

#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "storage/px_st_store.h"

#define PX_ST_AZURE_ATTEMPTS 5
#define PX_ST_AZURE_VERSION "2021-08-06"

/* NULL with the reason in err. */
struct px_st_store *px_st_azure_open(const struct px_st_store_opts *o,
				     struct px_buf *err);

/* The Shared Key string to sign for a Blob service request: method, the
 * standard headers in their fixed order (content_length "" for 0), the
 * x-ms-* headers (lower-case names, sorted, "name:value\n" each), then
 * "/" + account + path (as sent, without the query) and each query
 * parameter as "\nname:value", sorted by name. Appends to out. */
void px_st_azure_string_to_sign(struct px_buf *out, const char *method,
				const char *content_length, const char *if_none_match,
				const char *const *xms, size_t nxms, const char *account,
				const char *path, const char *const *query, size_t nquery);
/* "SharedKey account:base64(HMAC-SHA256(key, string))" into out; key is
 * the account key in base64. 0, or -1 when the key is not base64. */
int px_st_azure_sign(struct px_buf *out, const char *account, const char *key_b64,
		     const char *string_to_sign) __attribute__((warn_unused_result));

/* Whether s is an Azure store (the functions below need one). */
int px_st_azure_is(const struct px_st_store *s);

/* Stores bytes [0, size) of the open file fd as blob name without ever
 * holding the file in memory (curl reads it with pread as it sends).
 * size <= block_size: one Put Blob; larger: Put Block of block_size
 * bytes each (raised so that at most PX_ST_AZURE_MAX_BLOCKS are needed),
 * then Put Block List, which makes the blob appear whole (uncommitted
 * blocks of a failed upload are discarded by the service after a week).
 * fd stays open. STORAGE_* errors as for put, the reason in errmsg. */
enum px_err px_st_azure_put_file(struct px_st_store *s, const char *name, int fd,
				 uint64_t size, uint64_t block_size)
	__attribute__((warn_unused_result));

/* Get Blob Properties of blob name: *size gets its length.
 * STORAGE_SHARD_MISSING when it does not exist. */
enum px_err px_st_azure_head(struct px_st_store *s, const char *name, uint64_t *size)
	__attribute__((warn_unused_result));

/* Replaces out's contents with bytes [off, off + len) of blob name (fewer
 * at its end): one Get Blob with x-ms-range. STORAGE_* as for get. */
enum px_err px_st_azure_get_range(struct px_st_store *s, const char *name, uint64_t off,
				  size_t len, struct px_buf *out) __attribute__((warn_unused_result));

#define PX_ST_AZURE_MAX_BLOCKS 50000
/* The service version a SAS is made for (sv); its string to sign has
 * the signed encryption scope line (2020-12-06 and later). */
#define PX_ST_AZURE_SAS_VERSION "2021-08-06"

/* What a read-only service SAS for one blob carries. */
struct px_st_azure_sas {
	const char *endpoint;     /* clients' "scheme://host[:port][/account]"; NULL: the store's */
	long expires;             /* seconds the URL is valid, 1..604800 */
	time_t now;               /* signing time; 0: time(NULL) */
	/* rsct, rscd, rscc: headers the service answers with (NULL: none) */
	const char *content_type, *content_disposition, *cache_control;
};

/* The service SAS string to sign for read access (sp=r, sr=b) to blob
 * (the full name, prefix included) of container in account until
 * expiry ("2026-12-06T14:00:00Z"), with the given overrides (NULL: ""),
 * appended to out. Exposed for tests. */
void px_st_azure_sas_string(struct px_buf *out, const char *account, const char *container,
			    const char *blob, const char *expiry, const char *cache_control,
			    const char *content_disposition, const char *content_type);

/* Writes into out (replaced) a URL that reads blob name for p->expires
 * seconds: a service SAS (sv, sr=b, sp=r, se, the overrides, sig) signed
 * with the account key. Pure computation. -1 for bad arguments, a store
 * opened with a SAS token instead of a key (a service SAS needs the key),
 * or no memory. */
int px_st_azure_presign_get(const struct px_st_store *s, const char *name,
			    const struct px_st_azure_sas *p, struct px_buf *out)
	__attribute__((warn_unused_result));

#endif
