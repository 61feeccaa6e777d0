/* audit.c: writes audit events to the log and the audit_log table. */
#include "core/audit.h"
#include "core/log.h"

#define PX_STR_(x) #x
#define PX_STR(x) PX_STR_(x)

enum px_err px_audit(struct px_db *db, const struct px_audit_event *ev)
{
	const char *p[6] = { ev->action, ev->actor_id, ev->target, ev->ip,
			     ev->correlation_id,
			     ev->fields_json ? ev->fields_json : "{}" };
	enum px_err e;

	px_log_fields(PX_LOG_INFO, "audit", ev->correlation_id, ev->fields_json,
		      "%s actor=%s target=%s ip=%s", ev->action,
		      ev->actor_id ? ev->actor_id : "-",
		      ev->target ? ev->target : "-", ev->ip ? ev->ip : "-");
	if (!db)
		return PX_OK;
	/* the lock is taken in the FROM item, before the id default runs */
	e = px_db_exec(db,
		       "INSERT INTO audit_log(action, actor_id, target, ip,"
		       " correlation_id, fields) SELECT $1, $2::bigint, $3,"
		       " $4::inet, $5, $6::jsonb FROM (SELECT pg_advisory_xact_lock_shared("
		       PX_STR(PX_AUDIT_INSERT_LOCK) ")) l", 6, p, NULL);
	if (e != PX_OK)
		px_log_error("audit", ev->correlation_id,
			     "audit row for %s not stored: %s", ev->action,
			     px_err_name(e));
	return e;
}
