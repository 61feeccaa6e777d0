/* model/search.c: one parameterised search statement. Words become a
 * prefix tsquery (quote_literal keeps tsquery syntax out of user text)
 * and ILIKE patterns with LIKE wildcards escaped. */
#include "search.h"
#include "channels.h"

static const char SQL_SEARCH[] =
	"WITH w AS (SELECT coalesce(array_agg(x), '{}') AS a FROM"
	"  unnest(string_to_array(nullif($2, ''), E'\\n')) x),"
	" q AS (SELECT CASE WHEN cardinality(w.a) = 0 THEN NULL ELSE"
	"  to_tsquery($9::regconfig, (SELECT string_agg(quote_literal(x) || ':*', ' & ')"
	"  FROM unnest(w.a) x)) END AS tq,"
	"  (SELECT array_agg('%' || replace(replace(replace(x, '\\', '\\\\'), '%', '\\%'),"
	"   '_', '\\_') || '%') FROM unnest(w.a) x) AS pats,"
	"  (SELECT bool_and(length(x) >= 3) FROM unnest(w.a) x) AS trgm, w.a AS words FROM w),"
	" hits AS (SELECT m AS msg, m.id, m.body, m.channel_id, CASE WHEN q.tq IS NULL THEN 0 ELSE ts_rank(m.tsv, q.tq) END"
	"  + CASE WHEN q.trgm AND m.body ILIKE ALL (q.pats) THEN 0.05 ELSE 0 END AS rank"
	"  FROM messages m, q"
	"  WHERE m.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1)"
	"  AND m.deleted_at IS NULL"
	"  AND ($3::bigint = 0 OR m.channel_id = $3::bigint)"
	"  AND ($4::text IS NULL OR m.channel_id = (SELECT id FROM channels WHERE name = $4::citext))"
	"  AND ($5::text IS NULL OR m.author_id = (SELECT id FROM users WHERE username = $5::citext))"
	"  AND ($6::date IS NULL OR m.created_at < $6::date)"
	"  AND ($7::date IS NULL OR m.created_at >= $7::date)"
	"  AND ($8 = '0' OR m.pinned_at IS NOT NULL)"
	"  AND (q.tq IS NULL OR m.tsv @@ q.tq OR (q.trgm AND m.body ILIKE ALL (q.pats)))"
	"  ORDER BY rank DESC, m.id DESC LIMIT $10)"
	" SELECT jsonb_build_object('results', coalesce(jsonb_agg(jsonb_build_object("
	"  'message', px_message_json(h.msg), 'rank', round(h.rank::numeric, 4),"
	"  'channel', jsonb_build_object('id', c.id, 'name', c.name::text, 'kind', c.kind),"
	"  'snippet', px_snippet(h.body, (SELECT words FROM q))) ORDER BY h.rank DESC, h.id DESC),"
	"  '[]')) FROM hits h JOIN channels c ON c.id = h.channel_id";

enum px_err px_m_search(struct px_db *db, const struct px_m_search *q, struct px_buf *out)
{
	char u[PX_M_LL], c[PX_M_LL], l[PX_M_LL];
	const char *p[10] = { px_m_ll(u, q->user), q->terms, px_m_ll(c, q->channel),
			      q->in_name, q->from, q->before, q->after,
			      q->pinned ? "1" : "0", q->lang, px_m_ll(l, q->limit) };

	return px_m_json_row(db, "msg_search", SQL_SEARCH, 10, p, out);
}
