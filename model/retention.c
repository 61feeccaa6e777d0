/* model/retention.c: the SQL of retention and legal holds (retention.h). */
#include "model/retention.h"
#include "model/rows.h"

#include <stdlib.h>

/* A channel given as an id or a name, as a subquery on $1. */
#define CHANNEL_OF_1 "(SELECT id FROM channels WHERE id::text = $1 OR name = $1 ORDER BY id LIMIT 1)"

enum px_err px_m_retention_due(struct px_db *db, int default_days, struct px_buf *out)
{
	char d[PX_M_LL];
	const char *p[1] = { px_m_ll(d, default_days) };

	return px_m_json_row(db, "retention_due",
		"SELECT json_build_object('due', coalesce(sum(n), 0), 'channels',"
		" coalesce(json_agg(json_build_object('channel_id', c.id, 'name', c.name, 'due', n)"
		" ORDER BY c.id), '[]'))::text"
		" FROM (SELECT channel_id, count(*) AS n FROM px_retention_due($1::int)"
		" GROUP BY channel_id) x JOIN channels c ON c.id = x.channel_id", 1, p, out);
}

enum px_err px_m_retention_delete(struct px_db *db, int default_days, int batch, long *deleted)
{
	char d[PX_M_LL], b[PX_M_LL];
	const char *p[2] = { px_m_ll(d, default_days), px_m_ll(b, batch) };
	PGresult *r = NULL;
	enum px_err e;

	/* the events of a message carry its text: they go with it */
	e = px_db_exec_prepared(db, "retention_delete",
		"WITH d AS MATERIALIZED (SELECT id, channel_id FROM px_retention_due($1::int)"
		" ORDER BY id LIMIT $2::int),"
		" ev AS (DELETE FROM events v USING d WHERE v.channel_id = d.channel_id AND"
		" ((v.kind LIKE 'message.%' AND v.data->>'id' = d.id::text) OR"
		" (v.kind LIKE 'reaction.%' AND v.data->>'message_id' = d.id::text))),"
		" m AS (DELETE FROM messages x USING d WHERE x.id = d.id RETURNING 1)"
		" SELECT count(*) FROM m", 2, p, &r);
	if (e != PX_OK)
		return e;
	*deleted = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_retention_channel(struct px_db *db, const char *channel, int days)
{
	char d[PX_M_LL];
	const char *p[2] = { channel, days < 0 ? NULL : px_m_ll(d, days) };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "retention_channel",
		"UPDATE channels SET retention_days = $2::int WHERE id = " CHANNEL_OF_1, 2, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_legal_hold_add(struct px_db *db, const char *channel, const char *user,
				const char *reason, long long *id)
{
	const char *p[3] = { channel ? channel : "", user ? user : "", reason };
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "legal_hold_add",
		"INSERT INTO legal_holds (channel_id, user_id, reason)"
		" SELECT c.id, u.id, $3 FROM (SELECT " CHANNEL_OF_1 " AS id) c,"
		" (SELECT (SELECT id FROM users WHERE username = $2) AS id) u"
		" WHERE (c.id IS NULL) <> (u.id IS NULL) RETURNING id", 3, p, &r);

	if (e != PX_OK)
		return e;
	*id = PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return *id ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_legal_hold_release(struct px_db *db, long long id)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "legal_hold_release",
		"UPDATE legal_holds SET released_at = now() WHERE id = $1::bigint"
		" AND released_at IS NULL", 1, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_retention_status(struct px_db *db, struct px_buf *out)
{
	return px_m_json_row(db, "retention_status",
		"SELECT json_build_object('channels', (SELECT coalesce(json_agg(json_build_object("
		" 'channel_id', id, 'name', name, 'retention_days', retention_days) ORDER BY id), '[]')"
		" FROM channels WHERE retention_days IS NOT NULL), 'holds', (SELECT coalesce(json_agg("
		" json_build_object('id', h.id, 'channel', c.name, 'user', u.username::text,"
		" 'reason', h.reason, 'created_at', h.created_at) ORDER BY h.id), '[]')"
		" FROM legal_holds h LEFT JOIN channels c ON c.id = h.channel_id"
		" LEFT JOIN users u ON u.id = h.user_id WHERE h.released_at IS NULL))::text",
		0, NULL, out);
}
