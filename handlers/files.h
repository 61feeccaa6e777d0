/* files.h: the files area's handlers (fcgi/routes_files.inc): uploads
 * (multipart, raw and resumable, all streamed to the file store), metadata,
 * channel listings, downloads handed to the web server, deletion. */
#ifndef PX_H_FILES_H
#define PX_H_FILES_H

#include "core/ctx.h"
#include "storage/px_st_files.h"

enum px_err px_h_files_upload_multipart(struct px_ctx *ctx);
enum px_err px_h_files_upload_raw(struct px_ctx *ctx);
enum px_err px_h_files_get(struct px_ctx *ctx);
enum px_err px_h_files_content(struct px_ctx *ctx);
enum px_err px_h_files_signed(struct px_ctx *ctx);
enum px_err px_h_files_thumbnail(struct px_ctx *ctx);
enum px_err px_h_files_delete(struct px_ctx *ctx);
enum px_err px_h_files_channel_list(struct px_ctx *ctx);
enum px_err px_h_uploads_create(struct px_ctx *ctx);
enum px_err px_h_uploads_status(struct px_ctx *ctx);
enum px_err px_h_uploads_append(struct px_ctx *ctx);
enum px_err px_h_uploads_cancel(struct px_ctx *ctx);

/* Answers with object hex of st, sent by the web server (X-Sendfile):
 * ETag (the object's name), Last-Modified (mtime), Cache-Control (cache,
 * NULL: "private, no-cache"), nosniff, a sandbox CSP, same-origin CORP,
 * Content-Type type and, when not NULL, Content-Disposition disposition;
 * 304 when If-None-Match names the ETag. The caller has authorised the
 * request. SYSTEM_INTERNAL for a malformed name. */
enum px_err px_hf_send(struct px_ctx *ctx, const struct px_st_files *st, const char *hex,
		       const char *type, const char *disposition, long long mtime,
		       const char *cache) __attribute__((warn_unused_result));

/* The comma-separated ids of the JSON body's "file_ids" array (at most
 * 10 positive integers, no repeats) into csv; *count gets how many (0
 * when absent). VALIDATION_FIELD_TYPE with details.field otherwise. Used
 * by the message post handler. */
enum px_err px_hf_file_ids(struct px_ctx *ctx, struct px_buf *csv, int *count)
	__attribute__((warn_unused_result));

/* The request body's "files_retention_days" (PATCH /api/v1/channels/{id}):
 * *present 1 when the member is there, *days its value (0 for null: keep
 * files forever). VALIDATION_FIELD_TYPE unless null or an integer in
 * 1..36500. */
enum px_err px_hf_retention_value(struct px_ctx *ctx, int *present, int *days)
	__attribute__((warn_unused_result));
/* Sets route channel {id}'s retention to days (0: keep), for channel
 * owners and administrators (PX_CHAN_MANAGE); files older than that are
 * removed by `plexichat-admin files cleanup`. */
enum px_err px_hf_retention_set(struct px_ctx *ctx, int days)
	__attribute__((warn_unused_result));

#endif
