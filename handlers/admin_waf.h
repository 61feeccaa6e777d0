/* admin_waf.h: /api/v1/admin/waf: the shared IP allow/deny ranges, the
 * automatic blocks in force, the security-event list, the top rules of a
 * window, and the JSON-lines event export for a SIEM. Routes are admins
 * only (admin.waf.read / admin.waf.manage); every change is audited as
 * admin.waf.* (never waf.*, which are the WAF's own events). */
#ifndef PX_H_ADMIN_WAF_H
#define PX_H_ADMIN_WAF_H

#include "core/ctx.h"

/* GET ?list=allow|deny&source=S&after=ID&limit=N (1..1000, default 100):
 * {"ranges":[{id,list,cidr,source,comment,created_by,created_at}],
 *  "next_after":ID|null}. */
enum px_err px_h_admin_waf_ip_list(struct px_ctx *ctx);
/* POST {"list":"allow"|"deny","cidr":"...","comment":"..."}: 201 with the
 * stored range (cidr canonical). VALIDATION_FIELD_FORMAT for a bad list or
 * cidr, VALIDATION_CONFLICT when the range is already there. */
enum px_err px_h_admin_waf_ip_add(struct px_ctx *ctx);
/* DELETE /{id}: {"deleted":id}; VALIDATION_NOT_FOUND when absent. */
enum px_err px_h_admin_waf_ip_delete(struct px_ctx *ctx);
/* GET: {"blocks":[{ip,until,reason}]} for blocks still in force. */
enum px_err px_h_admin_waf_blocks(struct px_ctx *ctx);
/* DELETE /{ip}: lifts a block on every node (within waf_db_refresh s). */
enum px_err px_h_admin_waf_block_delete(struct px_ctx *ctx);
/* GET ?limit=N (1..500, default 50)&before=ID&action=waf.X&ip=ADDR:
 * newest first, {"events":[{id,at,action,target,ip,correlation_id,
 * fields}],"next_before":ID|null}. */
enum px_err px_h_admin_waf_events(struct px_ctx *ctx);
/* GET ?hours=H (1..720, default 24)&limit=N (1..100, default 20):
 * {"hours":H,"rules":[{rule,count,last_at}]}, most frequent first. */
enum px_err px_h_admin_waf_top_rules(struct px_ctx *ctx);
/* GET ?after=ID&since=TIMESTAMP&limit=N (1..10000, default 1000): one JSON
 * object per line, oldest first (application/x-ndjson); the header
 * X-Next-After carries the last id, X-More "1" when more events follow. */
enum px_err px_h_admin_waf_events_jsonl(struct px_ctx *ctx);

#endif
