/* model/people.h: finding people and channels, and what each account
 * chooses for itself: profiles (status line, time zone and the local time
 * there), the public channel directory, per-channel notification levels,
 * and the site settings an admin changes at run time (sql/121, sql/122). */
#ifndef PX_M_PEOPLE_H
#define PX_M_PEOPLE_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* Longest status line (characters) and time zone name (bytes). */
#define PX_M_STATUS_MAX 100
#define PX_M_TZ_MAX 64

/* The profile of the active account username as JSON into out: id,
 * username, display_name, bio, status_text, time_zone, local_time ("HH:MM"
 * there, null without a zone), utc_offset ("+01:00", null likewise),
 * avatar (version, "" without one), online (seen in the last 5 minutes),
 * created_at, and dm_id (the DM channel viewer shares with the account,
 * null when none). VALIDATION_NOT_FOUND when there is no such account. */
enum px_err px_m_people_profile(struct px_db *db, const char *username, long long viewer,
				struct px_buf *out)
	__attribute__((nonnull(1, 2, 4), warn_unused_result));

/* Sets user's status line and time zone ("" clears either). A zone that
 * is not one of PostgreSQL's names is VALIDATION_FIELD_FORMAT and changes
 * nothing. */
enum px_err px_m_people_set_status(struct px_db *db, long long user, const char *status,
				   const char *time_zone)
	__attribute__((nonnull, warn_unused_result));

/* The time zone names a user may choose, as a JSON array of strings. */
enum px_err px_m_people_time_zones(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Every public, unarchived channel as the channel JSON for user (with
 * member_count, my_role null when not a member, notify), by name. */
enum px_err px_m_people_directory(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Sets user's notification level in channel: "all", "mentions" or "none"
 * (the caller checked it). VALIDATION_NOT_FOUND when user is not a member. */
enum px_err px_m_people_set_notify(struct px_db *db, long long channel, long long user,
				   const char *level)
	__attribute__((nonnull, warn_unused_result));

/* The site settings as JSON into out: {"default_channel": name or ""}. */
enum px_err px_m_people_settings(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Sets the channel new accounts join: the name of a public, unarchived
 * channel, or "" for none. VALIDATION_NOT_FOUND when there is no such
 * channel. */
enum px_err px_m_people_set_default_channel(struct px_db *db, const char *name, long long actor)
	__attribute__((nonnull, warn_unused_result));

/* The id of the default channel into *id (0 when none is set or it is no
 * longer public and open). */
enum px_err px_m_people_default_channel(struct px_db *db, long long *id)
	__attribute__((nonnull, warn_unused_result));

#endif
