/* model/imports.h: the SQL of plexichat-admin import (admin/import_*.c):
 * what each record of a source (Slack, Mattermost) became here, kept in
 * import_map (sql/131) so that a second run makes nothing twice, and the
 * batched inserts of history without the live post path's side effects. */
#ifndef PX_M_IMPORTS_H
#define PX_M_IMPORTS_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* What source's record kind/sid became: *id, 1 when mapped, 0 when not,
 * -1 on a database error. */
int px_m_import_lookup(struct px_db *db, const char *source, const char *kind,
		       const char *sid, long long *id) __attribute__((nonnull));

/* Maps source's kind/sid to id (an existing record: an account found by
 * its e-mail). VALIDATION_CONFLICT when sid is mapped already. */
enum px_err px_m_import_map(struct px_db *db, const char *source, const char *kind,
			    const char *sid, long long id)
	__attribute__((nonnull, warn_unused_result));

/* The account holding this e-mail address (case-insensitive): its id, or
 * 0 when none; -1 on a database error. */
long long px_m_import_user_by_email(struct px_db *db, const char *email)
	__attribute__((nonnull));

/* A channel as the source describes it. created_at and archived_at are
 * timestamps PostgreSQL reads ("@" + Unix seconds is not one: the caller
 * formats them), archived_at NULL when live; members are user ids one per
 * line, the creator (0: none) becomes the owner. */
struct px_m_import_channel {
	const char *source, *sid, *kind, *name, *topic, *created_at, *archived_at;
	long long creator;
	const char *members;
};

/* Creates the channel with its members and maps it: *id. Members already
 * in are left alone. VALIDATION_CONFLICT when the name is taken. */
enum px_err px_m_import_channel(struct px_db *db, const struct px_m_import_channel *c,
				long long *id) __attribute__((nonnull, warn_unused_result));

/* A direct conversation: kind "dm" (exactly two members) or "group";
 * members are user ids one per line, created_at a timestamp PostgreSQL
 * reads, creator (0: none) a group's owner. */
struct px_m_import_direct {
	const char *source, *sid, *kind, *topic, *created_at;
	long long creator;
	long long low, high; /* a dm's two members, low < high */
	const char *members;
};

/* Creates the conversation with its members and maps it: *id, *created
 * 1. A dm of the same two people here already is found instead (its
 * dm_key), mapped, and *created 0: one conversation per pair, as here. */
enum px_err px_m_import_direct(struct px_db *db, const struct px_m_import_direct *d,
			       long long *id, int *created)
	__attribute__((nonnull, warn_unused_result));

/* Adds user to channel (left alone when a member already). */
enum px_err px_m_import_member(struct px_db *db, long long channel, long long user)
	__attribute__((nonnull, warn_unused_result));

/* A batch of one channel's messages, collected as PostgreSQL array
 * literals by px_m_import_batch_add. Owned by the caller; reset by flush. */
struct px_m_import_batch {
	struct px_buf sids, authors, bodies, htmls, created, roots;
	struct px_buf r_sids, r_users, r_emoji; /* reactions */
	size_t n, nreactions;
};

/* author 0: none; created is a timestamp ("2024-01-02 03:04:05.123456+00");
 * root NULL: a top-level message. */
void px_m_import_batch_add(struct px_m_import_batch *b, const char *sid, long long author,
			   const char *body, const char *html, const char *created,
			   const char *root) __attribute__((nonnull(1, 2, 4, 5, 6)));
void px_m_import_batch_react(struct px_m_import_batch *b, const char *sid, long long user,
			     const char *emoji) __attribute__((nonnull));
/* Inserts the batch into channel: *messages and *reactions get how many
 * were new. The batch is emptied either way. */
enum px_err px_m_import_flush(struct px_db *db, const char *source, long long channel,
			      struct px_m_import_batch *b, long *messages, long *reactions)
	__attribute__((nonnull, warn_unused_result));
void px_m_import_batch_free(struct px_m_import_batch *b);

/* A file of an imported message, its bytes in the file store already. */
struct px_m_import_file {
	const char *source, *sid; /* the file's source id (import_map kind 'file') */
	const char *msg_sid;      /* its message's source id */
	const char *name;         /* normalised */
	const char *detected;     /* libmagic's type */
	long long size;
	const char *sha256;
	int position;
};

/* Inserts the files row in the message's channel (owner: its author,
 * created when it was), attaches it at position and maps it. 1: done, 0:
 * the message is not mapped (nothing written), -1: a database error.
 * Run it in the transaction holding the object's lock. */
int px_m_import_file(struct px_db *db, const struct px_m_import_file *f)
	__attribute__((nonnull));

/* Attaches replies whose root came in a later batch and sets the roots'
 * counters and followers (sql/131 px_import_threads): *orphans gets the
 * replies whose root never came (they stay top-level). */
enum px_err px_m_import_threads(struct px_db *db, const char *source, long *orphans)
	__attribute__((nonnull, warn_unused_result));

/* The full-text and trigram indexes of messages (sql/021), which cost
 * most of an import's time when kept up row by row. on 0: dropped (DROP
 * INDEX CONCURRENTLY: posting goes on; search reads without them, more
 * slowly); on 1: made again when missing or left invalid by a build that
 * died (CREATE INDEX CONCURRENTLY, with maintenance_work_mem raised for
 * this session), with the definitions of sql/021. *made (may be NULL)
 * gets how many were built. Not inside a transaction. */
enum px_err px_m_import_search_indexes(struct px_db *db, int on, int *made)
	__attribute__((nonnull(1), warn_unused_result));

#endif
