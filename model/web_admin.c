/* model/web_admin.c: audit, WAF event and backup queries of the admin
 * pages (see web_admin.h). The WAF statement repeats the literal
 * "action LIKE 'waf.%'" so the planner uses the partial indexes of
 * sql/041_waf_events.sql. */
#include "model/web_admin.h"
#include "model/rows.h"

#include <stdio.h>

#define AUDIT_ROW                                                               \
	"jsonb_build_object('id', a.id, 'at', a.at, 'action', a.action,"        \
	" 'actor', u.username::text, 'target', a.target, 'ip', host(a.ip),"     \
	" 'fields', a.fields)"

enum px_err px_m_web_audit(struct px_db *db, int waf, const char *action,
			   long long before, int limit, struct px_buf *out)
{
	char b[PX_M_LL], l[16];
	const char *p[3] = { px_m_ll(b, before > 0 ? before : 9223372036854775807LL), l,
			     action ? action : "" };

	snprintf(l, sizeof(l), "%d", limit);
	if (waf)
		return px_m_json_row(db, "web_audit_waf",
			"SELECT jsonb_build_object('rows', coalesce(jsonb_agg(j ORDER BY id DESC)"
			" FILTER (WHERE rn <= $2::int), '[]'), 'has_more', count(*) > $2::int)"
			" FROM (SELECT a.id, row_number() OVER (ORDER BY a.id DESC) AS rn, " AUDIT_ROW " AS j"
			" FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id"
			" WHERE a.action LIKE 'waf.%' AND a.id < $1::bigint"
			" AND ($3 = '' OR starts_with(a.action, $3))"
			" ORDER BY a.id DESC LIMIT $2::int + 1) s", 3, p, out);
	return px_m_json_row(db, "web_audit",
		"SELECT jsonb_build_object('rows', coalesce(jsonb_agg(j ORDER BY id DESC)"
		" FILTER (WHERE rn <= $2::int), '[]'), 'has_more', count(*) > $2::int)"
		" FROM (SELECT a.id, row_number() OVER (ORDER BY a.id DESC) AS rn, " AUDIT_ROW " AS j"
		" FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id"
		" WHERE a.id < $1::bigint AND ($3 = '' OR starts_with(a.action, $3))"
		" ORDER BY a.id DESC LIMIT $2::int + 1) s", 3, p, out);
}

enum px_err px_m_web_backups(struct px_db *db, int limit, struct px_buf *out)
{
	char l[16];
	const char *p[1] = { l };

	snprintf(l, sizeof(l), "%d", limit);
	return px_m_json_row(db, "web_backups",
		"SELECT jsonb_build_object("
		" 'runs', (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.finished_at DESC), '[]')"
		"  FROM (SELECT id, started_at, finished_at, ok, command, snapshot, store, host,"
		"   bytes_total, bytes_uploaded, duration_ms, error_code, error_message"
		"   FROM backup_status ORDER BY finished_at DESC LIMIT $1::int) r),"
		" 'last_ok', (SELECT to_jsonb(r) FROM (SELECT finished_at, snapshot, store, bytes_total"
		"  FROM backup_status WHERE ok ORDER BY finished_at DESC LIMIT 1) r),"
		" 'wal_on', current_setting('archive_mode') <> 'off',"
		" 'wal_last', (SELECT last_archived_wal FROM pg_stat_archiver),"
		" 'wal_age_s', (SELECT round(extract(epoch FROM now() - last_archived_time))"
		"  FROM pg_stat_archiver),"
		" 'wal_failed', (SELECT failed_count FROM pg_stat_archiver))", 1, p, out);
}
