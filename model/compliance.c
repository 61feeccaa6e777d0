/* model/compliance.c: the compliance export (see compliance.h). */
#include "model/compliance.h"
#include "model/rows.h"

#include <stdlib.h>
#include <string.h>

/* The highest message id below which every post of these channels has
 * ended: the sequence's position, then each channel's post lock taken and
 * let go (px_message_post and px_import_messages hold it from before they
 * draw an id until they commit). */
static enum px_err settled(struct px_db *db, const char *channels, long long *upto)
{
	const char *p[1] = { channels };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
			   " FROM messages_id_seq", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	*upto = PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return px_db_exec(db, "SELECT count(pg_advisory_lock(7243002, hashint8(c)))"
			      " + count(pg_advisory_unlock(7243002, hashint8(c)))"
			      " FROM (SELECT DISTINCT x::bigint AS c FROM"
			      " unnest(string_to_array($1, E'\\n')) x ORDER BY 1) s",
			  1, p, NULL);
}

enum px_err px_m_compliance_export(struct px_db *db, const struct px_m_compliance_q *q,
				   struct px_buf *out, long long *next, int *more)
{
	char after[PX_M_LL], upto_s[PX_M_LL], lim[16];
	const char *p[6] = { q->channels, px_m_ll(after, q->after), upto_s, q->since, q->until,
			     lim };
	PGresult *r = NULL;
	long long upto = 0;
	enum px_err e;
	int i, n;

	*next = q->after;
	*more = 0;
	if ((e = settled(db, q->channels, &upto)) != PX_OK)
		return e;
	px_m_ll(upto_s, upto);
	snprintf(lim, sizeof(lim), "%d", q->limit + 1);
	e = px_db_exec_prepared(db, "compliance_export",
		"SELECT m.id, json_build_object('id', m.id, 'channel_id', m.channel_id,"
		" 'channel', c.name, 'author_id', m.author_id, 'author', u.username,"
		" 'thread_root_id', m.thread_root_id, 'body', m.body,"
		" 'created_at', to_char(m.created_at AT TIME ZONE 'UTC',"
		"   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
		" 'edited_at', to_char(m.edited_at AT TIME ZONE 'UTC',"
		"   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
		" 'deleted', m.deleted_at IS NOT NULL)::text"
		" FROM messages m JOIN channels c ON c.id = m.channel_id"
		" LEFT JOIN users u ON u.id = m.author_id"
		" WHERE m.channel_id = ANY (string_to_array($1, E'\\n')::bigint[])"
		" AND m.id > $2::bigint AND m.id <= $3::bigint"
		" AND ($4::timestamptz IS NULL OR m.created_at >= $4::timestamptz)"
		" AND ($5::timestamptz IS NULL OR m.created_at < $5::timestamptz)"
		" ORDER BY m.id LIMIT $6::int", 6, p, &r);
	if (e != PX_OK)
		return strncmp(px_db_last_sqlstate(db), "2200", 4) == 0
			       ? PX_E_VALIDATION_FIELD_FORMAT : e;
	n = PQntuples(r);
	*more = n > q->limit;
	for (i = 0; i < n && i < q->limit; i++) {
		px_buf_append(out, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
		px_buf_putc(out, '\n');
		*next = atoll(PQgetvalue(r, i, 0));
	}
	/* not full: every settled id up to upto was looked at */
	if (!*more && upto > *next)
		*next = upto;
	PQclear(r);
	return out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
