/* web_attach.h: what the composer's form carries besides its text: kept
 * drafts and new files, stored as the author's drafts with the files API's
 * upload path, then attached by the messages API. */
#ifndef PX_H_WEB_ATTACH_H
#define PX_H_WEB_ATTACH_H

#include "core/buf.h"
#include "core/ctx.h"

struct json_object;

#define PX_WEB_ATTACH_MAX 10 /* files on one message (the messages API's limit) */

/* The files a composer post carries, in order. */
struct px_web_attach {
	long long id[PX_WEB_ATTACH_MAX];
	int n;
};

/* Collects the files of a composer post into f: the form's "file_ids"
 * (drafts kept from an earlier try or uploaded by the script; decimal ids,
 * repeats dropped),
 * then, for a multipart/form-data body, each non-empty part "files",
 * streamed into the store as a draft of the caller (handlers/files_store.h:
 * type agreement, size, quotas). The text fields of the body were read by
 * the pipeline from its first bytes, which the WAF saw; a text part that
 * ends after them is VALIDATION_PAYLOAD_TOO_LARGE. Files need the
 * "upload.create" permission (AUTH_FORBIDDEN) and the right to post in
 * channel; more than PX_WEB_ATTACH_MAX is VALIDATION_FIELD_LENGTH. On a
 * file's error bad gets its name; f keeps the drafts stored before. */
enum px_err px_web_attach_receive(struct px_ctx *ctx, long long channel, struct px_web_attach *f,
				 struct px_buf *bad) __attribute__((warn_unused_result));

/* Adds "attached" (px_web_file_view of each) to page data d for the files
 * of f that are still drafts of the caller, so a form shown again keeps
 * them (checked boxes named file_ids). */
void px_web_attach_list(struct px_ctx *ctx, struct json_object *d,
			   const struct px_web_attach *f);


/* 1 when the signed-in caller may attach files (the "upload.create"
 * permission of the files API). */
int px_web_attach_allowed(const struct px_ctx *ctx);

#endif
