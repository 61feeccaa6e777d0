/* model/commands.h: SQL for bot accounts owned by people, slash commands
 * and their response URLs (sql/125_hooks.sql, sql/126_commands.sql). */
#ifndef PX_M_COMMANDS_H
#define PX_M_COMMANDS_H

#include "core/buf.h"
#include "core/db.h"

/* Marks account bot (just made by px_m_users_create) as a bot owned by
 * owner. */
enum px_err px_m_bots_mark(struct px_db *db, long long bot, long long owner)
	__attribute__((nonnull(1), warn_unused_result));
/* {"bots":[{id, username, display_name, created_at, deactivated}]} of owner. */
enum px_err px_m_bots_list(struct px_db *db, long long owner, struct px_buf *out)
	__attribute__((nonnull(1, 3), warn_unused_result));
/* VALIDATION_NOT_FOUND unless bot is a live bot account of owner. */
enum px_err px_m_bots_owned(struct px_db *db, long long bot, long long owner)
	__attribute__((nonnull(1), warn_unused_result));
/* Deactivates owner's bot and revokes its tokens; NOT_FOUND as above. */
enum px_err px_m_bots_deactivate(struct px_db *db, long long bot, long long owner)
	__attribute__((nonnull(1), warn_unused_result));

/* Registers /command with its own bot account (display name "/command");
 * out gets {id, command, url, description, created_at, bot}.
 * VALIDATION_CONFLICT when the command exists. */
enum px_err px_m_commands_create(struct px_db *db, const char *command, const char *url,
				 const char *description, const char *token_sealed,
				 long long creator, struct px_buf *out)
	__attribute__((nonnull(1, 2, 3, 4, 5, 7), warn_unused_result));
enum px_err px_m_commands_list(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
enum px_err px_m_commands_delete(struct px_db *db, long long id)
	__attribute__((nonnull(1), warn_unused_result));

struct px_m_command {
	long long id, bot;
	char url[2100];
	char token_sealed[300];
};
/* The registered command name; VALIDATION_NOT_FOUND when none. */
enum px_err px_m_commands_find(struct px_db *db, const char *command, struct px_m_command *c)
	__attribute__((nonnull, warn_unused_result));

/* Stores an invocation's response URL secret (by hash). */
enum px_err px_m_commands_response_new(struct px_db *db, const char *token_hash,
				       long long command, long long channel, long long user)
	__attribute__((nonnull(1, 2), warn_unused_result));
/* Spends one use of a live response URL: *channel, *bot, *kind (the
 * channel's, 8 bytes) and *command_name (33 bytes) get where and as whom to
 * post. VALIDATION_NOT_FOUND when unknown, used up or expired. */
enum px_err px_m_commands_response_use(struct px_db *db, const char *token_hash,
				       long long *channel, long long *bot, char *kind,
				       char *command_name)
	__attribute__((nonnull, warn_unused_result));

/* /mute: sets the member's muted flag (sql/135: no mail or push for the
 * channel, also for notices from before). VALIDATION_NOT_FOUND when user
 * is not a member. */
enum px_err px_m_commands_mute(struct px_db *db, long long channel, long long user, int on)
	__attribute__((nonnull, warn_unused_result));

#endif
