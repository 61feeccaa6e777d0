/* audit.h: the audit sink for security-relevant events. Each event is one
 * log line (module "audit") and one row in the audit_log table. */
#ifndef PX_AUDIT_H
#define PX_AUDIT_H

#include "core/db.h"
#include "core/err.h"

struct px_audit_event {
	const char *action;         /* e.g. "auth.login_failed" */
	const char *actor_id;       /* user id as text, or NULL */
	const char *target;         /* what was acted on, or NULL */
	const char *ip;             /* client address, or NULL */
	const char *correlation_id;
	const char *fields_json;    /* JSON object text, or NULL */
};

/* The advisory lock key every audit_log insert holds shared from before
 * its id is drawn until its transaction ends. A reader that takes it
 * exclusively once has waited for every id drawn before: model/waf.c's
 * export uses that so that its cursor never passes a row still to come. */
#define PX_AUDIT_INSERT_LOCK 7243041

/* Logs the event and inserts it; the row is written even when the caller's
 * transaction later rolls back only if db is not inside one. Returns the
 * database outcome; the log line is written regardless (db NULL: the log
 * line only, PX_OK). */
enum px_err px_audit(struct px_db *db, const struct px_audit_event *ev)
	__attribute__((nonnull(2)));

#endif
