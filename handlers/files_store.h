/* files_store.h: what the files handlers share: the configured store, the
 * sink that streams bytes into a temporary file while hashing them, and
 * the last step every upload ends with (type agreement, quota, commit to
 * the store, the files row). */
#ifndef PX_H_FILES_STORE_H
#define PX_H_FILES_STORE_H

#include <stdint.h>

#include "core/ctx.h"
#include "storage/px_st_files.h"

/* The configured file store for this request (px_st_files_open_config);
 * STORAGE_FAILED when it cannot be opened (logged). The caller closes it
 * with px_st_files_close, also after a failure. */
enum px_err px_hf_store(struct px_ctx *ctx, struct px_st_files *st)
	__attribute__((warn_unused_result));

/* Bytes on their way into a temporary file of the store. */
struct px_hf_sink {
	int fd;                 /* -1 once closed */
	char path[PX_ST_FILES_PATH];
	void *md;               /* EVP_MD_CTX, SHA-256 of what was written */
	uint64_t n;             /* bytes written */
	uint64_t max;           /* more than this: FILES_TOO_LARGE */
	struct px_buf head;     /* the first PX_STREAM_PREFIX bytes, for libmagic */
};

/* Opens a new temporary file in st. STORAGE_FAILED. */
enum px_err px_hf_sink_open(struct px_hf_sink *s, const struct px_st_files *st,
			    uint64_t max) __attribute__((warn_unused_result));
/* Appends p[0..n): FILES_TOO_LARGE past max, STORAGE_FULL, STORAGE_FAILED. */
enum px_err px_hf_sink_write(struct px_hf_sink *s, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* px_hf_sink_write as a px_multipart_sink_fn (core/multipart.h): arg is
 * the sink. */
enum px_err px_hf_sink_take(void *arg, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* Closes and removes the temporary file (after a failure); safe to call
 * twice and after px_hf_finish. */
void px_hf_sink_drop(struct px_hf_sink *s);

/* A streamed route's body as a source of bytes: first req->body (the
 * prefix the pipeline read for the WAF), then the connection, up to
 * Content-Length. Start with { ctx, 0, 0 }. */
struct px_hf_src {
	struct px_ctx *ctx;
	size_t pre;       /* bytes of req->body handed out */
	uint64_t got;     /* bytes handed out in all */
};

/* Up to n bytes of the body into p (a px_multipart_read_fn): the count, 0
 * at Content-Length, -1 when the connection ended before it. */
long px_hf_src_read(void *src, void *p, size_t n);

struct px_hf_meta {
	const char *name;       /* normalised */
	const char *declared;   /* client's type or "" */
	long long channel;      /* 0: draft */
};

/* Completes an upload whose bytes are all in s: refuses an empty file
 * (FILES_EMPTY), a ZIP-structured file that declares a decompression bomb
 * (FILES_ARCHIVE_BOMB, checked before the type so that it is named as
 * such), checks types (FILES_TYPE_*: libmagic's type of the content, or
 * of what follows an ID3 tag; a ZIP is named by its directory when that
 * shows an OOXML package), refuses an archive behind another format or
 * not at the file's start (FILES_POLYGLOT) and a ZIP family without a
 * readable directory (FILES_ARCHIVE_INVALID), checks an image's structure
 * and pixel count before anything decodes it (FILES_POLYGLOT,
 * FILES_IMAGE_INVALID, FILES_IMAGE_TOO_LARGE), the quotas again with the
 * real size (FILES_QUOTA_*), fsyncs, has clamd scan it when
 * files_clamd_socket is set (FILES_SCAN_UNAVAILABLE when that fails and
 * files_clamd_required is on), makes an image's derivatives unless that
 * content has them already (files_image.h), commits the bytes to the
 * store and inserts the files row, whose JSON goes to out. A file clamd
 * flags is stored in state quarantined, logged and audited
 * (files.quarantined), and answered FILES_QUARANTINED with details {id,
 * signature}. The temporary file is gone afterwards in every case. */
enum px_err px_hf_finish(struct px_ctx *ctx, const struct px_st_files *st,
			 struct px_hf_sink *s, const struct px_hf_meta *m,
			 struct px_buf *out) __attribute__((warn_unused_result));

/* Receives the request's one file into s: a multipart/form-data body's
 * "file" part (name gets its normalised file name, declared its part
 * type) or else the raw body (name from the query's optional "name",
 * declared the Content-Type). Defined in files_upload.c. FILES_EMPTY,
 * FILES_MULTIPART_INVALID, FILES_NAME_INVALID, VALIDATION_CONTENT_TYPE,
 * VALIDATION_BODY_INCOMPLETE and the sink's errors. */
enum px_err px_hf_receive(struct px_ctx *ctx, struct px_hf_sink *s, struct px_buf *name,
			  struct px_buf *declared) __attribute__((warn_unused_result));

/* Refuses size bytes more for the caller: FILES_TOO_LARGE over
 * files_max_size, FILES_QUOTA_USER / FILES_QUOTA_TOTAL over the quotas. */
enum px_err px_hf_quota(struct px_ctx *ctx, uint64_t size)
	__attribute__((warn_unused_result));

/* The channel an upload goes to: query or form value channel_id (decimal,
 * may be NULL for a draft), where the caller must be allowed to post.
 * *channel 0 for a draft. */
enum px_err px_hf_channel(struct px_ctx *ctx, const char *value, long long *channel)
	__attribute__((warn_unused_result));

#endif
