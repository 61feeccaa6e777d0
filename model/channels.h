/* model/channels.h: SQL for channels, members, read markers and presence,
 * and THE channel permission check every messaging handler goes through. */
#ifndef PX_M_CHANNELS_H
#define PX_M_CHANNELS_H

#include "core/buf.h"
#include "core/db.h"
#include "auth/perm.h"

/* What a user may try on a channel. px_chan_check maps each to an action
 * of the permission table (auth/perm.h) plus the rules that depend on the
 * channel itself: its kind, whether it is archived, and that channels a
 * user may not see do not exist for them. */
enum px_chan_action {
	PX_CHAN_READ,        /* see the channel, its messages and members */
	PX_CHAN_POST,        /* post, react, follow threads, mark read, type */
	PX_CHAN_EDIT_OWN,    /* edit or delete one's own messages */
	PX_CHAN_JOIN,        /* join by oneself */
	PX_CHAN_LEAVE,
	PX_CHAN_INVITE,      /* add someone else */
	PX_CHAN_MANAGE,      /* rename, set the topic */
	PX_CHAN_ARCHIVE,     /* archive and unarchive */
	PX_CHAN_DELETE_ANY,  /* delete others' messages */
	PX_CHAN_PIN,
	PX_CHAN_REMOVE,      /* remove other members */
	PX_CHAN_SET_ROLE,    /* change members' channel roles */
};

/* A user's standing in a channel read beside something else in one query:
 * select PX_CHAN_STANDING_COLS (five columns) from a FROM list that names
 * the channel id and the user id as sc.chan and sc.usr (for example
 * "CROSS JOIN LATERAL (SELECT f.channel_id AS chan, $2::bigint AS usr) sc",
 * which the planner flattens) and goes on with PX_CHAN_STANDING_JOINS;
 * px_chan_standing_read parses the columns from col on. A plain string, not
 * a function-like macro: checkers that see no header can still read the
 * statements. */
#define PX_CHAN_STANDING_COLS \
	"c.id, c.kind, c.archived_at IS NOT NULL, m.role, coalesce(h.event_id, 0)"
#define PX_CHAN_STANDING_JOINS \
	" LEFT JOIN channels c ON c.id = sc.chan" \
	" LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = sc.usr" \
	" LEFT JOIN channel_heads h ON h.channel_id = c.id"
/* Fills a (but not a->sys) from row 0; 0 when there is no such channel. */
int px_chan_standing_read(const PGresult *r, int col, struct px_chan_access *a);

/* THE channel check: whether a user standing as in a may do act. Returns PX_OK,
 * VALIDATION_NOT_FOUND (a channel the user may not know of), 
 * AUTH_NOT_CHANNEL_MEMBER (a public channel they have not joined),
 * AUTH_FORBIDDEN (their role is too low or the kind forbids it) or
 * VALIDATION_CHANNEL_ARCHIVED, or VALIDATION_CONFLICT (joining twice).
 * Pure: no database access. */
enum px_err px_chan_check(const struct px_chan_access *a, enum px_chan_action act);

/* Loads user's standing in channel and applies px_chan_check; *a is filled
 * on success (may be NULL). */
enum px_err px_m_channels_authorize(struct px_db *db, long long channel,
				    long long user, enum px_role sys,
				    enum px_chan_action act, struct px_chan_access *a)
	__attribute__((nonnull(1), warn_unused_result));

struct px_m_channel_new {
	const char *kind;    /* public, private, dm, group */
	const char *name;    /* public/private only */
	const char *topic;   /* may be NULL */
	long long creator;
	const long long *members; /* other initial members */
	size_t nmembers;
};

/* Creates a channel with its creator as owner and members as members,
 * emitting member.joined for each; a 1:1 DM that exists already is
 * returned instead (*created = 0). out gets the channel JSON as the
 * creator sees it. VALIDATION_CONFLICT: the name is taken;
 * VALIDATION_NOT_FOUND: a member does not exist. */
enum px_err px_m_channels_create(struct px_db *db, const struct px_m_channel_new *c,
				 int *created, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* The channels user belongs to, with unread and mention counts: a JSON
 * array. */
enum px_err px_m_channels_mine(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Public channels user has not joined: a JSON array. */
enum px_err px_m_channels_browse(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* One channel as user sees it. */
enum px_err px_m_channels_get(struct px_db *db, long long channel, long long user,
			      struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Changes name, topic and/or archived state (NULL / -1: unchanged), emits
 * channel.updated and writes the channel as actor sees it. */
enum px_err px_m_channels_update(struct px_db *db, long long channel, long long actor,
				 const char *name, const char *topic, int archived,
				 struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

/* Members as a JSON array, with role and presence. */
enum px_err px_m_members_list(struct px_db *db, long long channel, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* The member list a channel page shows, counted in SQL: {"member_count",
 * "online_count", "members": the first limit members (online first, then
 * by id), each px_member_json plus "online"}. The viewer counts as online
 * (they are looking at the page). */
enum px_err px_m_members_summary(struct px_db *db, long long channel, long long viewer,
				 int limit, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Which of the users in ids_csv ("1,2,3") are online (active within five
 * minutes): a JSON array of ids. */
enum px_err px_m_presence_online(struct px_db *db, const char *ids_csv, struct px_buf *out)
	__attribute__((nonnull(1, 2), warn_unused_result));
/* Adds user (role member) and emits member.joined; VALIDATION_CONFLICT when
 * already a member, VALIDATION_NOT_FOUND when no such active user. */
enum px_err px_m_members_add(struct px_db *db, long long channel, long long user,
			     long long actor, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Removes user and emits member.left; VALIDATION_NOT_FOUND when not a member. */
enum px_err px_m_members_remove(struct px_db *db, long long channel, long long user,
				long long actor)
	__attribute__((nonnull(1), warn_unused_result));
/* Sets a member's role (owner, moderator, member), emits member.updated. */
/* Break-glass for an orphaned channel (plexichat-admin channel-owner):
 * makes the active account user an owner of the public or private
 * channel, adding it as a member if needed, and emits member.updated.
 * VALIDATION_NOT_FOUND when the channel (of those kinds) or the account
 * does not exist. */
enum px_err px_m_members_restore_owner(struct px_db *db, long long channel, long long user)
	__attribute__((nonnull(1)));
typedef void (*px_m_orphan_fn)(long long id, const char *kind, const char *name,
			       long members, void *arg);
/* Calls fn for each public or private channel without an active owner
 * (its owners were deactivated, or it predates the rule that keeps one). */
enum px_err px_m_channels_orphaned(struct px_db *db, px_m_orphan_fn fn, void *arg)
	__attribute__((nonnull(1)));
enum px_err px_m_members_set_role(struct px_db *db, long long channel, long long user,
				  const char *role, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* The standing of user in channel (PX_CHAN_NONE when not a member). */
enum px_err px_m_members_role(struct px_db *db, long long channel, long long user,
			      enum px_chan_role *role)
	__attribute__((nonnull(1), warn_unused_result));
/* The id of an active user by name; VALIDATION_NOT_FOUND. */
enum px_err px_m_user_id(struct px_db *db, const char *username, long long *id)
	__attribute__((nonnull(1), warn_unused_result));

/* Moves user's read marker forward to message (never back); out gets
 * {"channel_id","last_read_id","unread_count","mention_count"}. */
enum px_err px_m_read_marker_set(struct px_db *db, long long channel, long long user,
				 long long message, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

/* Presence: active = a deliberate action (post, typing, read); otherwise
 * only last_seen moves. Best effort. */
enum px_err px_m_presence_touch(struct px_db *db, long long user, int active)
	__attribute__((nonnull(1), warn_unused_result));
/* Marks the users in ids_csv ("1,2,3") seen now (open event streams). */
enum px_err px_m_presence_seen_many(struct px_db *db, const char *ids_csv)
	__attribute__((nonnull(1), warn_unused_result));
/* Sends an ephemeral typing notice to the channel's subscribers. */
enum px_err px_m_typing(struct px_db *db, long long channel, long long user)
	__attribute__((nonnull(1), warn_unused_result));

/* 1 when s is a channel name: 1 to 80 of a-z, 0-9, '-' and '_'. */
int px_m_channel_name_ok(const char *s) __attribute__((nonnull));

#endif
