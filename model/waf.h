/* model/waf.h: SQL for the WAF's shared state: IP allow/deny ranges (from
 * admins and feeds), temporary automatic blocks, the version counters
 * processes poll, and the security events in audit_log. Strings handed to
 * callbacks are valid only during the call. */
#ifndef PX_M_WAF_H
#define PX_M_WAF_H

#include <time.h>

#include "core/db.h"

/* --- version counters ---------------------------------------------------- */

/* Reads the counters that change with the lists and with the blocks. */
enum px_err px_m_waf_versions(struct px_db *db, long long *list_v, long long *block_v)
	__attribute__((nonnull(1), warn_unused_result));

/* --- allow/deny ranges --------------------------------------------------- */

struct px_m_waf_ip {
	long long id;
	const char *list;       /* "allow" or "deny" */
	const char *cidr;       /* canonical text */
	const char *source;     /* "admin" or "feed:NAME" */
	const char *comment;
	long long created_by;   /* 0: none */
	const char *created_at; /* ISO 8601 UTC */
};

/* Calls fn for every range (list, cidr only filled), for the WAF refresh. */
enum px_err px_m_waf_ip_all(struct px_db *db,
			    void (*fn)(const char *list, const char *cidr, void *arg),
			    void *arg) __attribute__((nonnull(1), warn_unused_result));
/* Calls fn for up to limit ranges with id > after_id in id order, filtered
 * by list and source when those are non-NULL; *more is set to 1 when more
 * rows follow. */
enum px_err px_m_waf_ip_page(struct px_db *db, const char *list, const char *source,
			     long long after_id, int limit,
			     void (*fn)(const struct px_m_waf_ip *r, void *arg), void *arg,
			     int *more) __attribute__((nonnull(1), warn_unused_result));
/* Adds a range (cidr must be canonical; created_by 0: none) and sets *id;
 * VALIDATION_CONFLICT when the same range is already on that list from
 * that source. */
enum px_err px_m_waf_ip_add(struct px_db *db, const char *list, const char *cidr,
			    const char *source, const char *comment, long long created_by,
			    long long *id) __attribute__((nonnull(1), warn_unused_result));
/* Deletes one range by id; VALIDATION_NOT_FOUND when absent. */
enum px_err px_m_waf_ip_delete(struct px_db *db, long long id)
	__attribute__((nonnull(1), warn_unused_result));
/* Replaces every deny range of source with cidrs[0..n) in one transaction;
 * *removed and *added receive the counts. */
enum px_err px_m_waf_ip_replace_source(struct px_db *db, const char *source,
				       char *const *cidrs, size_t n, long long *removed,
				       long long *added)
	__attribute__((nonnull(1), warn_unused_result));

/* --- automatic blocks ---------------------------------------------------- */

/* Records that ip is blocked until now + seconds (an existing block is
 * extended, never shortened), and drops blocks that ended a day ago. */
enum px_err px_m_waf_block_add(struct px_db *db, const char *ip, long long seconds,
			       const char *reason)
	__attribute__((nonnull(1), warn_unused_result));
/* Calls fn for each block still in force (address, end as a Unix time). */
enum px_err px_m_waf_blocks_active(struct px_db *db,
				   void (*fn)(const char *ip, time_t until, const char *reason,
					      void *arg),
				   void *arg)
	__attribute__((nonnull(1), warn_unused_result));
/* Lifts the block of ip; VALIDATION_NOT_FOUND when none is in force. */
enum px_err px_m_waf_block_delete(struct px_db *db, const char *ip)
	__attribute__((nonnull(1), warn_unused_result));

/* --- security events ----------------------------------------------------- */

struct px_m_waf_event {
	long long id;
	const char *at;             /* ISO 8601 UTC with milliseconds */
	const char *action;         /* "waf.block", "waf.detect", "waf.ip_blocked" ... */
	const char *target;         /* request path */
	const char *ip;
	const char *correlation_id;
	const char *fields;         /* JSON object text */
};

/* Filters of an event query; NULL/0 members do not filter. */
struct px_m_waf_event_q {
	const char *action;   /* exact action, e.g. "waf.block" */
	const char *ip;       /* client address */
	const char *since;    /* timestamp text PostgreSQL accepts */
	long long before_id;  /* ids below this (0: no bound) */
	long long after_id;   /* ids above this (0: from the first) */
	int oldest_first;     /* exports: ascending ids, so after_id is a cursor */
	int limit;
};

/* Calls fn for matching WAF events (action 'waf.*'), newest first, or
 * oldest first when q->oldest_first (exports: the caller passes the last
 * id it got as the next after_id; the direction never depends on the
 * cursor's value, so after_id 0 starts at the oldest event). *more is 1
 * when more rows match beyond limit. VALIDATION_FIELD_FORMAT when since
 * is not a timestamp. */
enum px_err px_m_waf_events(struct px_db *db, const struct px_m_waf_event_q *q,
			    void (*fn)(const struct px_m_waf_event *ev, void *arg), void *arg,
			    int *more) __attribute__((nonnull(1), warn_unused_result));
/* Appends ev as one JSON-lines record for a SIEM (a JSON object with
 * "source":"plexichat.waf", id, at, action, target, ip, correlation_id and
 * the event's fields object, then '\n'); the API export and the CLI both
 * write this shape. */
void px_m_waf_event_jsonl(const struct px_m_waf_event *ev, struct px_buf *out);
/* Calls fn for the most frequent rule ids in WAF events of the last
 * `seconds`, most frequent first, at most limit. */
enum px_err px_m_waf_top_rules(struct px_db *db, long long seconds, int limit,
			       void (*fn)(long long rule, long long count, const char *last_at,
					  void *arg),
			       void *arg) __attribute__((nonnull(1), warn_unused_result));

#endif
