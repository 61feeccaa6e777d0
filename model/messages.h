/* model/messages.h: SQL for messages, their edit history, threads,
 * reactions and pins. Every change emits its event in the same
 * transaction. The caller has checked the channel permission first. */
#ifndef PX_M_MESSAGES_H
#define PX_M_MESSAGES_H

#include "core/buf.h"
#include "core/db.h"

struct px_m_post {
	long long channel, author, thread_root; /* thread_root 0: top level */
	const char *kind;         /* the channel's kind, from the gate */
	const char *body, *html;  /* Markdown source and its safe rendering */
	const char *lang;         /* text-search configuration */
	const char *idem_key;     /* NULL when the client sent none */
	const char *mentions;     /* names, one per line, or "" */
	const char *preview;      /* the poster's link preview choice: "off" (none),
				   * "no_media" (without its image); NULL or "": as usual */
};

/* Posts in one round trip. *replayed is 1 when idem_key matched an earlier
 * identical post (out gets that message). VALIDATION_IDEMPOTENCY_MISMATCH:
 * the key was used for another post; VALIDATION_NOT_FOUND: no such thread
 * root in the channel (or it is a reply or deleted). */
enum px_err px_m_messages_post(struct px_db *db, const struct px_m_post *p,
			       int *replayed, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

enum px_msg_dir { PX_MSG_LATEST, PX_MSG_BEFORE, PX_MSG_AFTER, PX_MSG_AROUND };

/* A page of top-level messages: {"messages":[...oldest first],
 * "has_more_before":b,"has_more_after":b}. cursor is the message id for
 * BEFORE/AFTER/AROUND (AROUND includes it: VALIDATION_NOT_FOUND when it is
 * not a message of the channel). */
enum px_err px_m_messages_page(struct px_db *db, long long channel,
			       enum px_msg_dir dir, long long cursor, int limit,
			       struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_messages_get(struct px_db *db, long long channel, long long id,
			      struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

/* A new text: body, its rendering, its search language and the names it
 * mentions (newline-separated, may be empty). */
struct px_m_edit {
	const char *body, *html, *lang, *names;
};

/* Replaces the text, keeping the old version in the history, and tells
 * the users it names for the first time. Only the author may:
 * AUTH_NOT_AUTHOR; VALIDATION_MESSAGE_DELETED. */
enum px_err px_m_messages_edit(struct px_db *db, long long channel, long long id,
			       long long editor, const struct px_m_edit *m,
			       struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Leaves a tombstone: text, history, reactions and mentions are removed.
 * The author may, and so may a moderator (moderator = 1); else
 * AUTH_NOT_AUTHOR. Deleting twice: VALIDATION_MESSAGE_DELETED. */
enum px_err px_m_messages_delete(struct px_db *db, long long channel, long long id,
				 long long actor, int moderator, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* {"message":{...},"versions":[{"body","html","edited_at","editor"}...]}
 * oldest first; the current text is the message itself. */
enum px_err px_m_messages_history(struct px_db *db, long long channel, long long id,
				  struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* {"root":{...},"replies":[...],"has_more":b,"following":b} after reply id. */
enum px_err px_m_messages_thread(struct px_db *db, long long channel, long long root,
				 long long user, long long after, int limit,
				 struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Follows (on = 1) or unfollows a thread root. */
enum px_err px_m_messages_follow(struct px_db *db, long long channel, long long root,
				 long long user, int on)
	__attribute__((nonnull(1), warn_unused_result));
/* Adds (on = 1) or removes user's emoji reaction; *changed tells whether
 * anything changed. out gets the message's reactions array. */
enum px_err px_m_messages_react(struct px_db *db, long long channel, long long id,
				long long user, const char *emoji, int on,
				int *changed, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_messages_reactions(struct px_db *db, long long channel, long long id,
				    struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Pins (on = 1) or unpins; emits message.updated. */
enum px_err px_m_messages_pin(struct px_db *db, long long channel, long long id,
			      long long actor, int on, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Pinned messages of the channel, newest pin first: a JSON array. */
enum px_err px_m_messages_pins(struct px_db *db, long long channel, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

#endif
