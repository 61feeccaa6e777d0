/* model/previews.h: SQL of link previews: the job's source (a message's
 * rendering and whether it may have a preview), the per-URL cache, the
 * preview stored on its message with its message.updated event, the
 * author's removal, and the channel switch. */
#ifndef PX_M_PREVIEWS_H
#define PX_M_PREVIEWS_H

#include "core/buf.h"
#include "core/db.h"

/* What an unfurl job needs of message id. html: its rendering (caller
 * frees); *wanted 0 when it is deleted, its author removed the preview or
 * its channel has previews off; *has 1 when it carries a preview now.
 * VALIDATION_NOT_FOUND: no such message. */
enum px_err px_m_previews_source(struct px_db *db, long long id, struct px_buf *html,
				 int *wanted, int *has)
	__attribute__((nonnull, warn_unused_result));

/* The cached preview of url fetched less than ttl_s ago: *hit 1 and out
 * gets its JSON ("" when the URL gave nothing to show), else *hit 0. */
enum px_err px_m_previews_cached(struct px_db *db, const char *url, long long ttl_s,
				 int *hit, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Puts preview (JSON text, or NULL for none) on message id and, when
 * url is not NULL, into the cache under url, in one transaction; then a
 * few cache entries older than ttl_s are dropped, so the cache stays the
 * size of what was fetched within ttl_s. When the message's preview
 * changed, message.updated is emitted with it; *changed (may be NULL) says
 * whether. A deleted message or one whose preview was removed is left
 * alone. */
enum px_err px_m_previews_store(struct px_db *db, long long id, const char *url,
				const char *preview, long long ttl_s, int *changed)
	__attribute__((nonnull(1), warn_unused_result));

/* The author takes the preview of message id (in channel) away for good:
 * it is not fetched again, also after an edit. out gets the message.
 * AUTH_NOT_AUTHOR, VALIDATION_MESSAGE_DELETED, VALIDATION_NOT_FOUND. */
enum px_err px_m_previews_remove(struct px_db *db, long long channel, long long id,
				 long long actor, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* The channel's switch: {"channel_id":n,"enabled":b} into out; set
 * changes it first when >= 0. */
enum px_err px_m_previews_channel(struct px_db *db, long long channel, int set,
				  struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

#endif
