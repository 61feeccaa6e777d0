/* model/commands.c: bots owned by people, slash commands and response
 * URLs. A person's bot is an ordinary account marked is_bot with its owner;
 * its tokens are ordinary personal access tokens (model/sessions.c). */
#include "model/commands.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_m_bots_mark(struct px_db *db, long long bot, long long owner)
{
	char b[PX_M_LL], o[PX_M_LL];
	const char *p[2] = { px_m_ll(b, bot), px_m_ll(o, owner) };

	return px_m_exec_rows(db, "bot_mark",
		"UPDATE users SET is_bot = true, bot_owner_id = $2 WHERE id = $1", 2, p, NULL);
}

enum px_err px_m_bots_list(struct px_db *db, long long owner, struct px_buf *out)
{
	char o[PX_M_LL];
	const char *p[1] = { px_m_ll(o, owner) };

	return px_m_json_row(db, "bot_list",
		"SELECT json_build_object('bots', coalesce(json_agg(json_build_object('id', u.id,"
		" 'username', u.username::text, 'display_name', u.display_name,"
		" 'created_at', u.created_at, 'deactivated', u.deactivated_at IS NOT NULL)"
		" ORDER BY u.id), '[]')) FROM users u WHERE u.bot_owner_id = $1 AND u.is_bot"
		" AND NOT EXISTS (SELECT 1 FROM incoming_hooks h WHERE h.bot_id = u.id)"
		" AND NOT EXISTS (SELECT 1 FROM outgoing_hooks h WHERE h.bot_id = u.id)",
		1, p, out);
}

enum px_err px_m_bots_owned(struct px_db *db, long long bot, long long owner)
{
	char b[PX_M_LL], o[PX_M_LL];
	const char *p[2] = { px_m_ll(b, bot), px_m_ll(o, owner) };
	long n = 0;
	enum px_err e = px_m_exec_rows(db, "bot_owned",
		"SELECT 1 FROM users WHERE id = $1 AND bot_owner_id = $2 AND is_bot"
		" AND deactivated_at IS NULL", 2, p, &n);

	return e == PX_OK && n == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_bots_deactivate(struct px_db *db, long long bot, long long owner)
{
	char b[PX_M_LL], o[PX_M_LL];
	const char *p[2] = { px_m_ll(b, bot), px_m_ll(o, owner) };
	long n = 0;
	enum px_err e = px_m_exec_rows(db, "bot_deactivate",
		"WITH u AS (UPDATE users SET deactivated_at = now() WHERE id = $1"
		" AND bot_owner_id = $2 AND is_bot AND deactivated_at IS NULL RETURNING id),"
		" t AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id IN (SELECT id FROM u)"
		" AND revoked_at IS NULL) SELECT id FROM u", 2, p, &n);

	return e == PX_OK && n == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

#define CMD_JSON(c, botname) \
	"json_build_object('id', " c ".id, 'command', " c ".command, 'url', " c ".url," \
	" 'description', " c ".description, 'created_at', " c ".created_at, 'bot', " botname ")"

enum px_err px_m_commands_create(struct px_db *db, const char *command, const char *url,
				 const char *description, const char *token_sealed,
				 long long creator, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[5] = { command, url, description, token_sealed, px_m_ll(u, creator) };

	return px_m_json_row(db, "cmd_create",
		"WITH bot AS (INSERT INTO users (username, display_name, role, is_bot, bot_owner_id)"
		" VALUES ('cmd-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12),"
		" '/' || $1, 'member', true, $5::bigint) RETURNING id, username, display_name),"
		" c AS (INSERT INTO slash_commands (command, url, description, token_sealed, bot_id,"
		" creator_id) SELECT $1, $2, $3, $4, bot.id, $5 FROM bot RETURNING *)"
		" SELECT " CMD_JSON("c", "json_build_object('id', bot.id, 'username',"
		" bot.username::text, 'display_name', bot.display_name)")
		" FROM c JOIN bot ON bot.id = c.bot_id", 5, p, out);
}

enum px_err px_m_commands_list(struct px_db *db, struct px_buf *out)
{
	return px_m_json_row(db, "cmd_list",
		"SELECT json_build_object('commands', coalesce(json_agg(" CMD_JSON("c",
		"px_user_json(c.bot_id)") " ORDER BY c.command), '[]')) FROM slash_commands c",
		0, NULL, out);
}

enum px_err px_m_commands_delete(struct px_db *db, long long id)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };
	long n = 0;
	enum px_err e = px_m_exec_rows(db, "cmd_delete",
		"DELETE FROM slash_commands WHERE id = $1", 1, p, &n);

	return e == PX_OK && n == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_commands_find(struct px_db *db, const char *command, struct px_m_command *c)
{
	const char *p[1] = { command };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "cmd_find",
		"SELECT id, bot_id, url, token_sealed FROM slash_commands WHERE command = $1",
		1, p, &r);

	if (e != PX_OK)
		return e;
	c->id = atoll(PQgetvalue(r, 0, 0));
	c->bot = atoll(PQgetvalue(r, 0, 1));
	snprintf(c->url, sizeof(c->url), "%s", PQgetvalue(r, 0, 2));
	snprintf(c->token_sealed, sizeof(c->token_sealed), "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_commands_response_new(struct px_db *db, const char *token_hash,
				       long long command, long long channel, long long user)
{
	char c[PX_M_LL], ch[PX_M_LL], u[PX_M_LL];
	const char *p[4] = { token_hash, px_m_ll(c, command), px_m_ll(ch, channel),
			     px_m_ll(u, user) };

	/* expired ones go as new ones come */
	return px_m_exec_rows(db, "cmd_resp_new",
		"WITH old AS (DELETE FROM command_responses WHERE expires_at < now())"
		" INSERT INTO command_responses (token_hash, command_id, channel_id, user_id)"
		" VALUES ($1, $2, $3, $4)", 4, p, NULL);
}

enum px_err px_m_commands_response_use(struct px_db *db, const char *token_hash,
				       long long *channel, long long *bot, char *kind,
				       char *command_name)
{
	const char *p[1] = { token_hash };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "cmd_resp_use",
		"WITH r AS (UPDATE command_responses SET uses_left = uses_left - 1"
		" WHERE token_hash = $1 AND uses_left > 0 AND expires_at > now() RETURNING *)"
		" SELECT r.channel_id, c.bot_id, ch.kind, c.command FROM r"
		" JOIN slash_commands c ON c.id = r.command_id"
		" JOIN channels ch ON ch.id = r.channel_id", 1, p, &r);

	if (e != PX_OK)
		return e;
	*channel = atoll(PQgetvalue(r, 0, 0));
	*bot = atoll(PQgetvalue(r, 0, 1));
	snprintf(kind, 8, "%s", PQgetvalue(r, 0, 2));
	snprintf(command_name, 33, "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_commands_mute(struct px_db *db, long long channel, long long user, int on)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(u, user), on ? "true" : "false" };
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "cmd_mute",
		"UPDATE channel_members SET muted = $3::boolean WHERE channel_id = $1"
		" AND user_id = $2", 3, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}
