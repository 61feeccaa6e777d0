/* px_st_azure.h: the Azure Blob Storage backend (and Azurite), over
 * libcurl, one request at a time. Store URL "azure://container[/prefix]";
 * the endpoint is https://<account>.blob.core.windows.net unless given
 * (Azurite: http://127.0.0.1:10000/devstoreaccount1, path-style). Requests
 * are signed with Shared Key (HMAC-SHA256 of the canonical request under
 * the base64 account key) or carry a SAS token instead. Blobs are block
 * blobs written with one Put Blob (up to 5000 MiB, far above a shard);
 * a create-only put sends If-None-Match: *. Connection errors, 408, 429
 * and 5xx are retried with back-off, at most PX_ST_AZURE_ATTEMPTS times. */
#ifndef PX_ST_AZURE_H
#define PX_ST_AZURE_H

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

#endif
