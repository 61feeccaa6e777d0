/* model/channels.c: channels, members, read markers, presence and typing,
 * plus the one channel permission check. Events are emitted last in each
 * transaction (px_emit holds the event-order lock until commit). */
#include "model/channels.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int px_m_channel_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 80)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int is_dm_kind(const char *kind)
{
	return strcmp(kind, "dm") == 0 || strcmp(kind, "group") == 0;
}

/* The permission-table action deciding act by role. */
static const char *table_action(enum px_chan_action act)
{
	switch (act) {
	case PX_CHAN_READ: return "channel.read";
	case PX_CHAN_POST: case PX_CHAN_LEAVE: return "message.post";
	case PX_CHAN_EDIT_OWN: return "message.edit_own";
	case PX_CHAN_INVITE: case PX_CHAN_REMOVE: return "channel.members.manage";
	case PX_CHAN_MANAGE: case PX_CHAN_ARCHIVE: return "channel.manage";
	case PX_CHAN_DELETE_ANY: return "message.delete_any";
	case PX_CHAN_PIN: return "message.pin";
	case PX_CHAN_SET_ROLE: return "channel.roles.manage";
	case PX_CHAN_JOIN: break;
	}
	return NULL;
}

/* Rules by kind that roles cannot override: a public channel is open to
 * every signed-in user to read, join, and (for members) to invite into;
 * a 1:1 DM keeps its two members, has no roles to change and is never
 * archived; group DMs are open to their members for invites. Returns -1
 * when the kind does not decide. */
static int kind_rule(const struct px_chan_access *a, enum px_chan_action act)
{
	int member = a->role != PX_CHAN_NONE;

	if (strcmp(a->kind, "public") == 0) {
		if (act == PX_CHAN_READ || act == PX_CHAN_JOIN)
			return !member || act == PX_CHAN_READ;
		if (act == PX_CHAN_INVITE && member)
			return 1;
		return -1;
	}
	if (!is_dm_kind(a->kind))
		return act == PX_CHAN_JOIN ? 0 : -1;
	switch (act) {
	case PX_CHAN_INVITE: case PX_CHAN_LEAVE:
		return strcmp(a->kind, "group") == 0 && member;
	case PX_CHAN_ARCHIVE: case PX_CHAN_SET_ROLE: case PX_CHAN_REMOVE:
	case PX_CHAN_JOIN:
		return 0;
	default:
		return -1;
	}
}

enum px_err px_chan_check(const struct px_chan_access *a, enum px_chan_action act)
{
	int member = a->role != PX_CHAN_NONE, rule;

	/* private channels and DMs do not exist for outsiders, whatever
	 * their system role */
	if (!member && strcmp(a->kind, "public") != 0)
		return PX_E_VALIDATION_NOT_FOUND;
	if (act == PX_CHAN_JOIN && member)
		return PX_E_VALIDATION_CONFLICT;
	if (a->archived && act != PX_CHAN_READ && act != PX_CHAN_LEAVE &&
	    act != PX_CHAN_ARCHIVE)
		return PX_E_VALIDATION_CHANNEL_ARCHIVED;
	rule = kind_rule(a, act);
	if (rule == 1)
		return PX_OK;
	if (rule == 0)
		return member ? PX_E_AUTH_FORBIDDEN : PX_E_AUTH_NOT_CHANNEL_MEMBER;
	/* posting, leaving and editing need membership itself */
	if (!member && (act == PX_CHAN_POST || act == PX_CHAN_LEAVE ||
			act == PX_CHAN_EDIT_OWN))
		return PX_E_AUTH_NOT_CHANNEL_MEMBER;
	if (px_perm_channel_allowed(a->sys, a->role, table_action(act)))
		return PX_OK;
	return member ? PX_E_AUTH_FORBIDDEN : PX_E_AUTH_NOT_CHANNEL_MEMBER;
}

static enum px_chan_role parse_role(const char *s)
{
	if (!s || !*s)
		return PX_CHAN_NONE;
	if (strcmp(s, "owner") == 0)
		return PX_CHAN_OWNER;
	if (strcmp(s, "moderator") == 0)
		return PX_CHAN_MODERATOR;
	return PX_CHAN_MEMBER;
}

int px_chan_standing_read(const PGresult *r, int col, struct px_chan_access *a)
{
	memset(a, 0, sizeof(*a));
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, col))
		return 0;
	a->channel_id = atoll(PQgetvalue(r, 0, col));
	snprintf(a->kind, sizeof(a->kind), "%s", PQgetvalue(r, 0, col + 1));
	a->archived = PQgetvalue(r, 0, col + 2)[0] == 't';
	a->role = PQgetisnull(r, 0, col + 3) ? PX_CHAN_NONE
					     : parse_role(PQgetvalue(r, 0, col + 3));
	a->head = atoll(PQgetvalue(r, 0, col + 4));
	return 1;
}

enum px_err px_m_channels_authorize(struct px_db *db, long long channel,
				    long long user, enum px_role sys,
				    enum px_chan_action act, struct px_chan_access *out)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(u, user) };
	struct px_chan_access a;
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "chan_access",
		"SELECT " PX_CHAN_STANDING_COLS " FROM (SELECT $1::bigint AS chan, $2::bigint AS usr) sc"
		PX_CHAN_STANDING_JOINS, 2, p, &r);
	if (e != PX_OK)
		return e;
	if (!px_chan_standing_read(r, 0, &a)) {
		PQclear(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	PQclear(r);
	a.sys = sys;
	if (out)
		*out = a;
	return px_chan_check(&a, act);
}

static const char SQL_JOIN_EVENT[] =
	"SELECT px_emit($4, $1, $2, (px_member_json($1, $2)"
	" || jsonb_build_object('actor_id', $3::bigint))::json)";

/* Adds one member with role and emits member.joined. */
static enum px_err add_member(struct px_db *db, long long channel, long long user,
			      const char *role, long long actor)
{
	char c[PX_M_LL], u[PX_M_LL], a[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(u, user), role };
	const char *ev[4] = { p[0], p[1], px_m_ll(a, actor), "member.joined" };
	enum px_err e;
	long rows = 0;

	e = px_m_exec_rows(db, "member_add",
		"INSERT INTO channel_members (channel_id, user_id, role)"
		" SELECT $1, u.id, $3 FROM users u WHERE u.id = $2 AND u.deactivated_at IS NULL"
		" ON CONFLICT DO NOTHING", 3, p, &rows);
	if (e == PX_OK && rows == 0)
		e = PX_E_VALIDATION_CONFLICT;
	if (e == PX_OK)
		e = px_m_exec_rows(db, "member_join_ev", SQL_JOIN_EVENT, 4, ev, NULL);
	return e;
}

struct create_args {
	const struct px_m_channel_new *c;
	long long id;
	int created;
};

/* Inserts the channel row, or finds the existing 1:1 DM. */
static enum px_err insert_channel(struct px_db *db, struct create_args *a)
{
	char u[PX_M_LL], key[64];
	const char *p[5];
	PGresult *r = NULL;
	enum px_err e;
	long long lo = a->c->creator, hi = a->c->nmembers ? a->c->members[0] : 0;

	if (strcmp(a->c->kind, "dm") == 0) {
		snprintf(key, sizeof(key), "%lld:%lld", lo < hi ? lo : hi, lo < hi ? hi : lo);
		p[4] = key;
	} else {
		p[4] = NULL;
	}
	p[0] = a->c->kind;
	p[1] = a->c->name;
	p[2] = a->c->topic ? a->c->topic : "";
	p[3] = px_m_ll(u, a->c->creator);
	e = px_db_exec_prepared(db, "chan_insert",
		"WITH ins AS (INSERT INTO channels (kind, name, topic, created_by, dm_key)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dm_key) DO NOTHING RETURNING id)"
		" SELECT id, true FROM ins UNION ALL"
		" SELECT id, false FROM channels WHERE dm_key = $5 AND NOT EXISTS (SELECT 1 FROM ins)",
		5, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 1) {
		a->id = atoll(PQgetvalue(r, 0, 0));
		a->created = PQgetvalue(r, 0, 1)[0] == 't';
	} else {
		e = PX_E_SYSTEM_INTERNAL;
	}
	PQclear(r);
	return e;
}

static enum px_err create_tx(struct px_db *db, void *arg)
{
	struct create_args *a = arg;
	const struct px_m_channel_new *c = a->c;
	const char *owner = strcmp(c->kind, "dm") == 0 ? "member" : "owner";
	enum px_err e;
	size_t i;

	if ((e = insert_channel(db, a)) != PX_OK || !a->created)
		return e;
	if ((e = add_member(db, a->id, c->creator, owner, c->creator)) != PX_OK)
		return e;
	for (i = 0; i < c->nmembers; i++) {
		if (c->members[i] == c->creator)
			continue;
		e = add_member(db, a->id, c->members[i], "member", c->creator);
		/* a repeated id in the list is harmless; a missing user is not */
		if (e == PX_E_VALIDATION_CONFLICT)
			continue;
		if (e != PX_OK)
			return e;
	}
	return PX_OK;
}

enum px_err px_m_channels_create(struct px_db *db, const struct px_m_channel_new *c,
				 int *created, struct px_buf *out)
{
	struct create_args a = { c, 0, 0 };
	enum px_err e = px_db_tx(db, create_tx, &a);

	if (e != PX_OK)
		return e;
	*created = a.created;
	return px_m_channels_get(db, a.id, c->creator, out);
}

enum px_err px_m_channels_mine(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };

	/* one plan per session (sql/191), the list as text (sql/195) */
	return px_m_json_row(db, "chan_mine", "SELECT px_channels_mine_text($1)", 1, p, out);
}

enum px_err px_m_channels_browse(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };

	return px_m_json_row(db, "chan_browse",
		"SELECT coalesce(json_agg(j ORDER BY name), '[]') FROM px_channel_list($1)"
		" WHERE kind = 'public' AND NOT archived AND NOT member", 1, p, out);
}

enum px_err px_m_channels_get(struct px_db *db, long long channel, long long user,
			      struct px_buf *out)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(u, user) };

	return px_m_json_row(db, "chan_get",
		"SELECT px_channel_json(c, $2) FROM channels c WHERE c.id = $1", 2, p, out);
}

struct update_args {
	const char *p[5];
};

static enum px_err update_tx(struct px_db *db, void *arg)
{
	struct update_args *a = arg;
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "chan_update",
		"UPDATE channels SET name = coalesce($2, name), topic = coalesce($3, topic),"
		" archived_at = CASE $4 WHEN '1' THEN coalesce(archived_at, now())"
		" WHEN '0' THEN NULL ELSE archived_at END WHERE id = $1", 4, a->p, &rows);
	if (e == PX_OK && rows == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	if (e == PX_OK)
		e = px_m_exec_rows(db, "chan_update_ev",
			"SELECT px_emit('channel.updated', c.id, NULL,"
			" (px_channel_json(c, NULL) || jsonb_build_object('actor_id', $2::bigint))::json)"
			" FROM channels c WHERE c.id = $1", 2,
			(const char *const[]){ a->p[0], a->p[4] }, NULL);
	return e;
}

enum px_err px_m_channels_update(struct px_db *db, long long channel, long long actor,
				 const char *name, const char *topic, int archived,
				 struct px_buf *out)
{
	char c[PX_M_LL], u[PX_M_LL];
	struct update_args a = { { px_m_ll(c, channel), name, topic,
				   archived < 0 ? NULL : archived ? "1" : "0",
				   px_m_ll(u, actor) } };
	enum px_err e = px_db_tx(db, update_tx, &a);

	return e != PX_OK ? e : px_m_channels_get(db, channel, actor, out);
}

enum px_err px_m_members_list(struct px_db *db, long long channel, struct px_buf *out)
{
	char c[PX_M_LL];
	const char *p[1] = { px_m_ll(c, channel) };

	return px_m_json_row(db, "member_list",
		"SELECT coalesce(jsonb_agg(px_member_json($1, m.user_id) ORDER BY m.user_id), '[]')"
		" FROM channel_members m WHERE m.channel_id = $1", 1, p, out);
}

enum px_err px_m_members_summary(struct px_db *db, long long channel, long long viewer,
				 int limit, struct px_buf *out)
{
	char c[PX_M_LL], v[PX_M_LL], l[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(v, viewer), px_m_ll(l, limit) };

	return px_m_json_row(db, "member_summary",
		"WITH m AS (SELECT m.user_id, (m.user_id = $2 OR coalesce(p.last_active_at >"
		" now() - interval '5 minutes', false)) AS online FROM channel_members m"
		" LEFT JOIN user_presence p ON p.user_id = m.user_id WHERE m.channel_id = $1)"
		" SELECT jsonb_build_object('member_count', (SELECT count(*) FROM m),"
		" 'online_count', (SELECT count(*) FROM m WHERE online),"
		" 'members', coalesce((SELECT jsonb_agg(px_member_json($1, s.user_id)"
		" || jsonb_build_object('online', s.online) ORDER BY s.online DESC, s.user_id)"
		" FROM (SELECT * FROM m ORDER BY online DESC, user_id LIMIT $3::int) s), '[]'))",
		3, p, out);
}

enum px_err px_m_presence_online(struct px_db *db, const char *ids_csv, struct px_buf *out)
{
	const char *p[1] = { ids_csv };

	return px_m_json_row(db, "presence_online",
		"SELECT coalesce(jsonb_agg(user_id ORDER BY user_id), '[]') FROM user_presence"
		" WHERE user_id = ANY(string_to_array($1, ',')::bigint[])"
		" AND last_active_at > now() - interval '5 minutes'", 1, p, out);
}

struct member_args {
	long long channel, user, actor;
	const char *role;
};

static enum px_err add_tx(struct px_db *db, void *arg)
{
	struct member_args *a = arg;

	return add_member(db, a->channel, a->user, "member", a->actor);
}

/* Member JSON of one user in a channel. */
static enum px_err member_json(struct px_db *db, long long channel, long long user,
			       struct px_buf *out)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(u, user) };

	return px_m_json_row(db, "member_json", "SELECT px_member_json($1, $2)", 2, p, out);
}

enum px_err px_m_members_add(struct px_db *db, long long channel, long long user,
			     long long actor, struct px_buf *out)
{
	struct member_args a = { channel, user, actor, NULL };
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e;
	int exists;

	e = px_db_exec_prepared(db, "user_active",
		"SELECT 1 FROM users WHERE id = $1 AND deactivated_at IS NULL", 1, p, &r);
	if (e != PX_OK)
		return e;
	exists = PQntuples(r) > 0;
	PQclear(r);
	if (!exists)
		return PX_E_VALIDATION_NOT_FOUND;
	e = px_db_tx(db, add_tx, &a);
	return e != PX_OK ? e : member_json(db, channel, user, out);
}

/* Locks the channel's row for the rest of the transaction (so that two
 * owners stepping down at once cannot each see the other one stay) and
 * tells whether p[1] is an owner of channel p[0] now. */
static enum px_err lock_channel(struct px_db *db, const char *const *p, int *owner)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "chan_lock",
		"SELECT m.role = 'owner' FROM channels c LEFT JOIN channel_members m"
		" ON m.channel_id = c.id AND m.user_id = $2 WHERE c.id = $1 FOR UPDATE OF c",
		2, p, &r);

	if (e != PX_OK)
		return e;
	*owner = PQntuples(r) && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return PX_OK;
}

/* A named channel keeps at least one active owner once it had one:
 * without one, nobody could manage it again (instance admins do not see
 * private channels). DMs and group DMs have no roles to manage. */
static enum px_err keep_an_owner(struct px_db *db, const char *channel)
{
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "chan_orphaned",
		"SELECT 1 FROM channels c WHERE c.id = $1 AND c.kind IN ('public', 'private')"
		" AND px_channel_orphaned(c.id)",
		1, &channel, &rows);

	return e == PX_OK && rows ? PX_E_VALIDATION_LAST_OWNER : e;
}

static enum px_err remove_tx(struct px_db *db, void *arg)
{
	struct member_args *a = arg;
	char c[PX_M_LL], u[PX_M_LL], ac[PX_M_LL];
	const char *p[3] = { px_m_ll(c, a->channel), px_m_ll(u, a->user), px_m_ll(ac, a->actor) };
	long rows = 0;
	int owner = 0;
	enum px_err e;

	e = lock_channel(db, p, &owner);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "member_del",
			"DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2",
			2, p, &rows);
	if (e == PX_OK && rows == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	if (e == PX_OK && owner)
		e = keep_an_owner(db, p[0]);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "member_left_ev",
			"SELECT px_emit('member.left', $1, $2, (px_user_json($2)::jsonb"
			" || jsonb_build_object('actor_id', $3::bigint))::json)", 3, p, NULL);
	return e;
}

enum px_err px_m_members_remove(struct px_db *db, long long channel, long long user,
				long long actor)
{
	struct member_args a = { channel, user, actor, NULL };

	return px_db_tx(db, remove_tx, &a);
}

static enum px_err role_tx(struct px_db *db, void *arg)
{
	struct member_args *a = arg;
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[3] = { px_m_ll(c, a->channel), px_m_ll(u, a->user), a->role };
	const char *ev[4] = { p[0], p[1], p[1], "member.updated" };
	long rows = 0;
	int owner = 0;
	enum px_err e;

	e = lock_channel(db, p, &owner);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "member_role",
			"UPDATE channel_members SET role = $3 WHERE channel_id = $1 AND user_id = $2",
			3, p, &rows);
	if (e == PX_OK && rows == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	if (e == PX_OK && owner)
		e = keep_an_owner(db, p[0]);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "member_join_ev", SQL_JOIN_EVENT, 4, ev, NULL);
	return e;
}

static enum px_err restore_owner_tx(struct px_db *db, void *arg)
{
	struct member_args *a = arg;
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, a->channel), px_m_ll(u, a->user) };
	const char *ev[4] = { p[0], p[1], p[1], "member.updated" };
	long rows = 0;
	int owner = 0;
	enum px_err e;

	e = lock_channel(db, p, &owner);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "owner_restore",
			"INSERT INTO channel_members (channel_id, user_id, role)"
			" SELECT c.id, u.id, 'owner' FROM channels c, users u"
			" WHERE c.id = $1 AND c.kind IN ('public', 'private')"
			" AND u.id = $2 AND u.deactivated_at IS NULL"
			" ON CONFLICT (channel_id, user_id) DO UPDATE SET role = 'owner'",
			2, p, &rows);
	if (e == PX_OK && rows == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	if (e == PX_OK)
		e = px_m_exec_rows(db, "member_join_ev", SQL_JOIN_EVENT, 4, ev, NULL);
	return e;
}

enum px_err px_m_channels_orphaned(struct px_db *db, px_m_orphan_fn fn, void *arg)
{
	PGresult *r = NULL;
	enum px_err e;
	int i;

	e = px_db_exec(db,
		"SELECT c.id, c.kind, c.name, (SELECT count(*) FROM channel_members m"
		" WHERE m.channel_id = c.id) FROM channels c"
		" WHERE c.kind IN ('public', 'private') AND px_channel_orphaned(c.id)"
		" ORDER BY c.id", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   atol(PQgetvalue(r, i, 3)), arg);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_members_restore_owner(struct px_db *db, long long channel, long long user)
{
	struct member_args a = { channel, user, user, NULL };

	return px_db_tx(db, restore_owner_tx, &a);
}

enum px_err px_m_members_set_role(struct px_db *db, long long channel, long long user,
				  const char *role, struct px_buf *out)
{
	struct member_args a = { channel, user, 0, role };
	enum px_err e = px_db_tx(db, role_tx, &a);

	return e != PX_OK ? e : member_json(db, channel, user, out);
}

enum px_err px_m_members_role(struct px_db *db, long long channel, long long user,
			      enum px_chan_role *role)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "member_role_get",
		"SELECT role FROM channel_members WHERE channel_id = $1 AND user_id = $2",
		2, p, &r);
	if (e != PX_OK)
		return e;
	*role = PQntuples(r) ? parse_role(PQgetvalue(r, 0, 0)) : PX_CHAN_NONE;
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_user_id(struct px_db *db, const char *username, long long *id)
{
	const char *p[1] = { username };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "user_by_name",
		"SELECT id FROM users WHERE username = $1 AND deactivated_at IS NULL",
		1, p, &r);
	if (e != PX_OK)
		return e;
	e = PQntuples(r) ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
	if (e == PX_OK)
		*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return e;
}

enum px_err px_m_read_marker_set(struct px_db *db, long long channel, long long user,
				 long long message, struct px_buf *out)
{
	char c[PX_M_LL], u[PX_M_LL], m[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(u, user), px_m_ll(m, message) };
	long rows = 0;
	enum px_err e;

	/* GREATEST keeps concurrent markers from moving backwards */
	e = px_m_exec_rows(db, "read_marker",
		"UPDATE channel_members SET last_read_id = GREATEST(last_read_id,"
		" (SELECT coalesce(max(id), 0) FROM messages WHERE channel_id = $1 AND id <= $3))"
		" WHERE channel_id = $1 AND user_id = $2", 3, p, &rows);
	if (e == PX_OK && rows == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	if (e != PX_OK)
		return e;
	return px_m_json_row(db, "read_marker_get",
		"SELECT jsonb_build_object('channel_id', j->'id', 'last_read_id', j->'last_read_id',"
		" 'unread_count', j->'unread_count', 'mention_count', j->'mention_count')"
		" FROM channels c, LATERAL px_channel_json(c, $2) j WHERE c.id = $1", 2, p, out);
}

enum px_err px_m_presence_touch(struct px_db *db, long long user, int active)
{
	char u[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), active ? "1" : "0" };

	/* Written at most every 10 s a user: a request whose user was seen
	 * (and, for an action, active) that recently changes no row, so its
	 * transaction ends without waiting for a WAL flush. Writing on every
	 * request cost each messaging GET one flush (about 3 ms of the channel
	 * list's 7.7 ms at 10 M messages); presence is shown by the minute. */
	return px_m_exec_rows(db, "presence_touch",
		"WITH up AS (UPDATE user_presence SET last_seen_at = now(),"
		" last_active_at = CASE WHEN $2 = '1' THEN now() ELSE last_active_at END"
		" WHERE user_id = $1 AND (last_seen_at < now() - interval '10 seconds'"
		" OR ($2 = '1' AND last_active_at < now() - interval '10 seconds')) RETURNING 1)"
		" INSERT INTO user_presence (user_id) SELECT $1::bigint"
		" WHERE NOT EXISTS (SELECT 1 FROM user_presence WHERE user_id = $1)"
		" ON CONFLICT (user_id) DO NOTHING", 2, p, NULL);
}

enum px_err px_m_presence_seen_many(struct px_db *db, const char *ids_csv)
{
	const char *p[1] = { ids_csv };

	return px_m_exec_rows(db, "presence_many",
		"INSERT INTO user_presence (user_id, last_active_at)"
		" SELECT DISTINCT u, '-infinity'::timestamptz FROM unnest(string_to_array($1, ',')::bigint[]) u"
		" JOIN users ON users.id = u"
		" ON CONFLICT (user_id) DO UPDATE SET last_seen_at = now()", 1, p, NULL);
}

enum px_err px_m_typing(struct px_db *db, long long channel, long long user)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(u, user) };

	return px_m_exec_rows(db, "typing",
		"SELECT pg_notify('px_typing', jsonb_build_object('type', 'typing',"
		" 'channel_id', $1::bigint, 'user', px_user_json($2))::text)", 2, p, NULL);
}
