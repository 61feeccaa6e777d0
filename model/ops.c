/* model/ops.c: SQL for plexichat-admin stats and doctor; read-only. */
#include "model/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_m_ops_stats(struct px_db *db, struct px_m_ops_stats *s)
{
	long long *f[] = { &s->users_active, &s->users_deactivated, &s->ch_public,
			   &s->ch_private, &s->ch_dm, &s->ch_group, &s->ch_archived,
			   &s->messages_total, &s->messages_24h, &s->db_bytes };
	PGresult *r = NULL;
	enum px_err e;
	size_t i;

	memset(s, 0, sizeof(*s));
	e = px_db_exec(db,
		"SELECT (SELECT count(*) FROM users WHERE deactivated_at IS NULL),"
		" (SELECT count(*) FROM users WHERE deactivated_at IS NOT NULL),"
		" c.pub, c.priv, c.dm, c.grp, c.arch,"
		" (SELECT count(*) FROM messages WHERE deleted_at IS NULL),"
		" (SELECT count(*) FROM messages WHERE deleted_at IS NULL"
		"   AND created_at > now() - interval '24 hours'),"
		" pg_database_size(current_database())"
		" FROM (SELECT count(*) FILTER (WHERE kind = 'public') AS pub,"
		"  count(*) FILTER (WHERE kind = 'private') AS priv,"
		"  count(*) FILTER (WHERE kind = 'dm') AS dm,"
		"  count(*) FILTER (WHERE kind = 'group') AS grp,"
		"  count(*) FILTER (WHERE archived_at IS NOT NULL) AS arch"
		"  FROM channels) c", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		*f[i] = atoll(PQgetvalue(r, 0, (int)i));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ops_clock(struct px_db *db, double *epoch)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "SELECT extract(epoch FROM clock_timestamp())::float8", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	*epoch = strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ops_backup(struct px_db *db, struct px_m_ops_backup *b)
{
	PGresult *r = NULL;
	enum px_err e;

	b->since_success = b->since_last = -1;
	b->last_ok = 0;
	b->last_error[0] = '\0';
	e = px_db_exec(db,
		"SELECT extract(epoch FROM now() - (SELECT max(finished_at) FROM backup_status"
		"  WHERE ok AND command = 'backup'))::float8,"
		" extract(epoch FROM now() - l.finished_at)::float8, l.ok, coalesce(l.error_code, '')"
		" FROM (SELECT NULL) x LEFT JOIN (SELECT finished_at, ok, error_code"
		"  FROM backup_status WHERE command = 'backup'"
		"  ORDER BY finished_at DESC LIMIT 1) l ON true", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	if (!PQgetisnull(r, 0, 0))
		b->since_success = strtod(PQgetvalue(r, 0, 0), NULL);
	if (!PQgetisnull(r, 0, 1)) {
		b->since_last = strtod(PQgetvalue(r, 0, 1), NULL);
		b->last_ok = PQgetvalue(r, 0, 2)[0] == 't';
		snprintf(b->last_error, sizeof(b->last_error), "%s", PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return PX_OK;
}
