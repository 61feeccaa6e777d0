/* model/web_admin.h: SQL for the administration pages of the web UI: the
 * audit log, the WAF's security events (audit rows 'waf.%') and the
 * backup runs recorded in backup_status. Read-only. */
#ifndef PX_M_WEB_ADMIN_H
#define PX_M_WEB_ADMIN_H

#include "core/buf.h"
#include "core/db.h"

/* A page of audit rows, newest first, with id < before (0: newest):
 * {"rows":[{"id","at","action","actor","target","ip","fields"}...],
 * "has_more":b}. waf = 1 keeps only the WAF's events ('waf.%'); action,
 * when not NULL or "", keeps rows whose action starts with it. */
enum px_err px_m_web_audit(struct px_db *db, int waf, const char *action,
			   long long before, int limit, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

/* The newest backup runs: {"runs":[{"id","started_at","finished_at","ok",
 * "command","snapshot","store","host","bytes_total","bytes_uploaded",
 * "duration_ms","error_code","error_message"}...],"last_ok":{...}|null}. */
enum px_err px_m_web_backups(struct px_db *db, int limit, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

#endif
