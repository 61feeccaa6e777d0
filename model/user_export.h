/* model/user_export.h: SQL of a person's own data export: one JSON
 * document of their profile, channel memberships, messages, reactions and
 * files' metadata (never secrets: no password hash, tokens, MFA or push
 * keys). docs/API.md "Your own data". */
#ifndef PX_M_USER_EXPORT_H
#define PX_M_USER_EXPORT_H

#include "core/buf.h"
#include "core/db.h"

/* The export of user into out: {"format":"plexichat-user-export/1",
 * "exported_at", "profile", "channels":[...], "messages":[...oldest
 * first, not deleted], "reactions":[...], "files":[...metadata]}.
 * VALIDATION_NOT_FOUND when there is no such user. */
enum px_err px_m_user_export(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

#endif
