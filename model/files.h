/* model/files.h: the SQL of uploaded files, resumable uploads and the
 * files messages carry (sql/105_files.sql). Rows only; the bytes are in
 * the file store (storage/px_st_files.h). */
#ifndef PX_M_FILES_H
#define PX_M_FILES_H

#include "core/buf.h"
#include "core/ctx.h"
#include "core/db.h"
#include "core/err.h"

struct px_m_file_new {
	long long owner;
	long long channel;       /* 0: a draft */
	const char *name;        /* normalised */
	const char *declared;    /* "" when none */
	const char *detected;    /* libmagic's type */
	long long size;
	const char *sha256;      /* 64 hex */
	int width, height;       /* an image's size as displayed; 0: not an image */
};

/* Inserts a ready file; out gets its JSON (px_file_json). */
enum px_err px_m_files_insert(struct px_db *db, const struct px_m_file_new *f,
			      struct px_buf *out) __attribute__((warn_unused_result));

/* A stored file as the handlers need it. */
struct px_m_file {
	long long id, owner, channel; /* channel 0: a draft */
	char name[256 * 4];
	char detected[128];
	char sha256[65];
	long long size;
	long long mtime;          /* created_at, Unix seconds */
	int unreachable;          /* carried by a deleted message */
	/* an image's derivatives (model/images.h), "" when none were made;
	 * read by px_m_files_get_as only */
	char clean[65], thumb[65], preview[65];
};

/* Reads ready file id into *f and its JSON into json (may be NULL).
 * VALIDATION_NOT_FOUND when missing or not ready. */
enum px_err px_m_files_get(struct px_db *db, long long id, struct px_m_file *f,
			   struct px_buf *json) __attribute__((warn_unused_result));
/* The same, and user's standing in the file's channel into *a (not
 * a->sys; all zero for a draft, or when user is no member of a channel
 * they may not know of): what px_chan_check needs, in one round trip. */
enum px_err px_m_files_get_as(struct px_db *db, long long id, long long user,
			      struct px_m_file *f, struct px_buf *json,
			      struct px_chan_access *a) __attribute__((warn_unused_result));

/* A page of channel's ready files, newest first, ids below before (0: the
 * newest): {"files":[...],"has_more":bool,"next_before":id|null}; each
 * file's JSON also has "uploader" ({id, username, display_name} or null),
 * "message_id" and "thread_root_id" (null when no message carries it).
 * The API's list and the web UI's files page both show it. */
enum px_err px_m_files_list(struct px_db *db, long long channel, long long before,
			    int limit, struct px_buf *out) __attribute__((warn_unused_result));

/* Marks file id deleted (it is never served again). */
enum px_err px_m_files_delete(struct px_db *db, long long id)
	__attribute__((warn_unused_result));

/* Bytes held by owner (files not deleted plus the declared sizes of
 * unfinished uploads) and by everyone. */
enum px_err px_m_files_usage(struct px_db *db, long long owner, long long *user,
			     long long *total) __attribute__((warn_unused_result));

/* Moves the ready drafts of author listed in ids (comma-separated
 * decimal ids) into channel and onto message, in list order. Fails with
 * FILES_NOT_DRAFT, changing nothing, unless every id is such a draft. Run
 * it inside the transaction that posts the message. */
enum px_err px_m_files_attach(struct px_db *db, long long message, long long channel,
			      long long author, const char *ids, int count)
	__attribute__((warn_unused_result));

/* ---- resumable uploads ---- */

struct px_m_upload {
	long long id, owner, channel;
	char token[33];
	char name[256 * 4];
	char declared[128];
	long long size, received;
	char temp_path[4096];
};

/* Creates an upload session expiring in ttl seconds; *id gets its id. */
enum px_err px_m_uploads_create(struct px_db *db, const struct px_m_upload *u, long ttl,
				long long *id) __attribute__((warn_unused_result));
/* Reads owner's unexpired upload id. VALIDATION_NOT_FOUND otherwise. */
enum px_err px_m_uploads_get(struct px_db *db, long long id, long long owner,
			     struct px_m_upload *u) __attribute__((warn_unused_result));
/* Moves the offset of upload id from `from` to `to`; VALIDATION_CONFLICT
 * when another request moved it first. */
enum px_err px_m_uploads_advance(struct px_db *db, long long id, long long from,
				 long long to) __attribute__((warn_unused_result));
enum px_err px_m_uploads_delete(struct px_db *db, long long id)
	__attribute__((warn_unused_result));

/* ---- the file store's upkeep (sql/107_files_store.sql) ---- */

/* Like px_m_files_usage, and *quota gets owner's own quota in bytes from
 * file_quotas (0: no limit), or -1 when the account has none (then
 * files_quota_user applies). */
enum px_err px_m_files_usage_quota(struct px_db *db, long long owner, long long *user,
				   long long *total, long long *quota)
	__attribute__((warn_unused_result));

/* Sets user's own quota to bytes (>= 0; 0: no limit), or removes it when
 * bytes < 0. VALIDATION_NOT_FOUND when there is no such account. */
enum px_err px_m_files_quota_set(struct px_db *db, long long user, long long bytes)
	__attribute__((warn_unused_result));

/* Reads file id in any state but deleted into *f; state gets its state
 * ("ready", "quarantined", ...; 16 bytes). VALIDATION_NOT_FOUND. */
enum px_err px_m_files_get_any(struct px_db *db, long long id, struct px_m_file *f,
			       char state[16]) __attribute__((warn_unused_result));

/* Marks file id quarantined (never listed or served) with the scanner's
 * note (its signature name). */
enum px_err px_m_files_quarantine(struct px_db *db, long long id, const char *note)
	__attribute__((warn_unused_result));

/* Sets channel's files_retention_days (days 0: NULL, keep forever). */
enum px_err px_m_files_retention_set(struct px_db *db, long long channel, int days)
	__attribute__((warn_unused_result));

/* Inside a transaction: waits for the lock that serialises storing and
 * removing the object named hex (a transaction-scoped advisory lock).
 * Whoever commits an object and inserts its row, or checks that no row
 * names it and removes it, holds this lock meanwhile; *got (may be NULL)
 * tells whether it was had (try: 1 only when free, never waits). */
enum px_err px_m_files_object_lock(struct px_db *db, const char *hex, int try_only, int *got)
	__attribute__((warn_unused_result));

/* *n gets how many file rows not deleted name object hex. */
enum px_err px_m_files_object_refs(struct px_db *db, const char *hex, long long *n)
	__attribute__((warn_unused_result));

#endif
