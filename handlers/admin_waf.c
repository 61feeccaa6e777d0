/* admin_waf.c: the WAF's admin API: shared IP ranges and blocks, security
 * events, top rules and the JSON-lines export. Input is validated here;
 * the model holds the SQL; running processes pick changes up by polling. */
#include "handlers/admin_waf.h"
#include "handlers/auth_util.h"
#include "core/audit.h"
#include "waf/waf_ip.h"
#include "model/waf.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Query parameter name as an integer in [min, max]; def when absent.
 * VALIDATION_FIELD_FORMAT (details name the parameter and range) otherwise. */
static enum px_err q_int(struct px_ctx *ctx, const char *name, long long min,
			 long long max, long long def, long long *out)
{
	*out = def;
	return px_in_query_int(ctx, name, min, max, PX_E_VALIDATION_FIELD_FORMAT, out);
}

/* A new JSON integer holding the "id" of the last of n array items (the
 * paging cursor). */
static struct json_object *last_id(struct json_object *arr, size_t n)
{
	struct json_object *id = json_object_object_get(json_object_array_get_idx(arr, n - 1), "id");

	return json_object_new_int64(json_object_get_int64(id));
}

static void audit(struct px_ctx *ctx, const char *action, const char *target,
		  const char *fields)
{
	px_auth_audit(ctx, action, ctx->who.user_id, target, fields);
}

static void range_json(const struct px_m_waf_ip *r, void *arg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "list", json_object_new_string(r->list));
	json_object_object_add(o, "cidr", json_object_new_string(r->cidr));
	json_object_object_add(o, "source", json_object_new_string(r->source));
	json_object_object_add(o, "comment", json_object_new_string(r->comment));
	json_object_object_add(o, "created_by",
			       r->created_by ? json_object_new_int64(r->created_by) : NULL);
	json_object_object_add(o, "created_at", json_object_new_string(r->created_at));
	json_object_array_add(arg, o);
}

static int list_ok(const char *list)
{
	return list && (strcmp(list, "allow") == 0 || strcmp(list, "deny") == 0);
}

enum px_err px_h_admin_waf_ip_list(struct px_ctx *ctx)
{
	const char *list = px_request_query(ctx->req, "list");
	const char *source = px_request_query(ctx->req, "source");
	struct json_object *arr, *o;
	long long after, limit;
	enum px_err e;
	int more = 0;
	size_t n;

	if (list && !list_ok(list)) {
		px_ctx_detail(ctx, "field", "list");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if ((e = q_int(ctx, "after", 0, LLONG_MAX, 0, &after)) != PX_OK ||
	    (e = q_int(ctx, "limit", 1, 1000, 100, &limit)) != PX_OK)
		return e;
	if (!(arr = json_object_new_array()))
		return PX_E_SYSTEM_INTERNAL;
	e = px_m_waf_ip_page(ctx->db, list, source, after, (int)limit, range_json, arr, &more);
	if (e != PX_OK) {
		json_object_put(arr);
		return e;
	}
	n = json_object_array_length(arr);
	o = json_object_new_object();
	json_object_object_add(o, "ranges", arr);
	json_object_object_add(o, "next_after", more && n ? last_id(arr, n) : NULL);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_admin_waf_ip_add(struct px_ctx *ctx)
{
	const char *list = NULL, *cidr = NULL, *comment = NULL;
	char norm[64], fields[256];
	struct json_object *o;
	long long id = 0;
	enum px_err e;

	if ((e = px_in_str(ctx, "list", 1, 1, 8, &list)) != PX_OK ||
	    (e = px_in_str(ctx, "cidr", 1, 1, 64, &cidr)) != PX_OK ||
	    (e = px_in_str(ctx, "comment", 0, 0, 200, &comment)) != PX_OK)
		return e;
	if (!list_ok(list)) {
		px_ctx_detail(ctx, "field", "list");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	/* the strict form only: no brackets, zones or blanks in stored ranges */
	if (strpbrk(cidr, "[]% \t") ||
	    px_waf_ip_cidr_norm(cidr, strlen(cidr), norm, sizeof(norm), NULL, NULL) != 0) {
		px_ctx_detail(ctx, "field", "cidr");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	e = px_m_waf_ip_add(ctx->db, list, norm, "admin", comment, ctx->who.user_id, &id);
	if (e != PX_OK)
		return e;
	snprintf(fields, sizeof(fields), "{\"list\":\"%s\",\"cidr\":\"%s\",\"id\":%lld}", list,
		 norm, id);
	audit(ctx, "admin.waf.ip_added", norm, fields);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "list", json_object_new_string(list));
	json_object_object_add(o, "cidr", json_object_new_string(norm));
	json_object_object_add(o, "source", json_object_new_string("admin"));
	json_object_object_add(o, "comment", json_object_new_string(comment ? comment : ""));
	return px_ctx_json(ctx, 201, o);
}

enum px_err px_h_admin_waf_ip_delete(struct px_ctx *ctx)
{
	long long id = px_path_int(&ctx->path, "id");
	char fields[64];
	struct json_object *o;
	enum px_err e;

	if ((e = px_m_waf_ip_delete(ctx->db, id)) != PX_OK)
		return e;
	snprintf(fields, sizeof(fields), "{\"id\":%lld}", id);
	audit(ctx, "admin.waf.ip_deleted", NULL, fields);
	o = json_object_new_object();
	json_object_object_add(o, "deleted", json_object_new_int64(id));
	return px_ctx_json(ctx, 200, o);
}

static void block_json(const char *ip, time_t until, const char *reason, void *arg)
{
	struct json_object *o = json_object_new_object();
	char at[32];
	struct tm tm;

	gmtime_r(&until, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "ip", json_object_new_string(ip));
	json_object_object_add(o, "until", json_object_new_string(at));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_array_add(arg, o);
}

enum px_err px_h_admin_waf_blocks(struct px_ctx *ctx)
{
	struct json_object *arr = json_object_new_array(), *o;
	enum px_err e;

	if (!arr)
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_m_waf_blocks_active(ctx->db, block_json, arr)) != PX_OK) {
		json_object_put(arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "blocks", arr);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_admin_waf_block_delete(struct px_ctx *ctx)
{
	const char *ip = px_path_str(&ctx->path, "ip");
	struct px_waf_ip parsed;
	struct json_object *o;
	char norm[64];
	enum px_err e;

	if (!ip || strpbrk(ip, "[]%/") || px_waf_ip_parse(ip, strlen(ip), &parsed) != 0 ||
	    px_waf_ip_cidr_norm(ip, strlen(ip), norm, sizeof(norm), NULL, NULL) != 0) {
		px_ctx_detail(ctx, "field", "ip");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	norm[strcspn(norm, "/")] = '\0';
	if ((e = px_m_waf_block_delete(ctx->db, norm)) != PX_OK)
		return e;
	audit(ctx, "admin.waf.block_lifted", norm, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "lifted", json_object_new_string(norm));
	return px_ctx_json(ctx, 200, o);
}

/* Reads the shared event filters (action, ip); VALIDATION_FIELD_FORMAT
 * names the bad one. */
static enum px_err event_filters(struct px_ctx *ctx, struct px_m_waf_event_q *q)
{
	struct px_waf_ip parsed;

	q->action = px_request_query(ctx->req, "action");
	q->ip = px_request_query(ctx->req, "ip");
	if (q->action && (strncmp(q->action, "waf.", 4) != 0 || strlen(q->action) > 40)) {
		px_ctx_detail(ctx, "field", "action");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if (q->ip && (strpbrk(q->ip, "[]%/") ||
		      px_waf_ip_parse(q->ip, strlen(q->ip), &parsed) != 0)) {
		px_ctx_detail(ctx, "field", "ip");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return PX_OK;
}

static void event_json(const struct px_m_waf_event *ev, void *arg)
{
	struct json_object *o = json_object_new_object();
	struct json_object *f = json_tokener_parse(ev->fields);

	json_object_object_add(o, "id", json_object_new_int64(ev->id));
	json_object_object_add(o, "at", json_object_new_string(ev->at));
	json_object_object_add(o, "action", json_object_new_string(ev->action));
	json_object_object_add(o, "target", json_object_new_string(ev->target));
	json_object_object_add(o, "ip", json_object_new_string(ev->ip));
	json_object_object_add(o, "correlation_id", json_object_new_string(ev->correlation_id));
	json_object_object_add(o, "fields", f ? f : json_object_new_object());
	json_object_array_add(arg, o);
}

enum px_err px_h_admin_waf_events(struct px_ctx *ctx)
{
	struct px_m_waf_event_q q;
	struct json_object *arr, *o;
	long long limit, before;
	enum px_err e;
	int more = 0;
	size_t n;

	memset(&q, 0, sizeof(q));
	if ((e = event_filters(ctx, &q)) != PX_OK ||
	    (e = q_int(ctx, "limit", 1, 500, 50, &limit)) != PX_OK ||
	    (e = q_int(ctx, "before", 0, LLONG_MAX, 0, &before)) != PX_OK)
		return e;
	q.limit = (int)limit;
	q.before_id = before;
	if (!(arr = json_object_new_array()))
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_m_waf_events(ctx->db, &q, event_json, arr, &more)) != PX_OK) {
		json_object_put(arr);
		return e;
	}
	n = json_object_array_length(arr);
	o = json_object_new_object();
	json_object_object_add(o, "events", arr);
	json_object_object_add(o, "next_before", more && n ? last_id(arr, n) : NULL);
	return px_ctx_json(ctx, 200, o);
}

static void rule_json(long long rule, long long count, const char *last_at, void *arg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "rule", json_object_new_int64(rule));
	json_object_object_add(o, "count", json_object_new_int64(count));
	json_object_object_add(o, "last_at", json_object_new_string(last_at));
	json_object_array_add(arg, o);
}

enum px_err px_h_admin_waf_top_rules(struct px_ctx *ctx)
{
	struct json_object *arr, *o;
	long long hours, limit;
	enum px_err e;

	if ((e = q_int(ctx, "hours", 1, 720, 24, &hours)) != PX_OK ||
	    (e = q_int(ctx, "limit", 1, 100, 20, &limit)) != PX_OK)
		return e;
	if (!(arr = json_object_new_array()))
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_m_waf_top_rules(ctx->db, hours * 3600, (int)limit, rule_json, arr)) != PX_OK) {
		json_object_put(arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "hours", json_object_new_int64(hours));
	json_object_object_add(o, "rules", arr);
	return px_ctx_json(ctx, 200, o);
}

struct export {
	struct px_buf *out;
	long long last_id;
};

static void event_line(const struct px_m_waf_event *ev, void *arg)
{
	struct export *x = arg;

	px_m_waf_event_jsonl(ev, x->out);
	x->last_id = ev->id;
}

enum px_err px_h_admin_waf_events_jsonl(struct px_ctx *ctx)
{
	struct px_response *resp = ctx->resp;
	struct export x = { &resp->body, 0 };
	struct px_m_waf_event_q q;
	long long limit, after;
	char hdr[24];
	enum px_err e;
	int more = 0;

	memset(&q, 0, sizeof(q));
	q.since = px_request_query(ctx->req, "since");
	if ((e = event_filters(ctx, &q)) != PX_OK ||
	    (e = q_int(ctx, "limit", 1, 10000, 1000, &limit)) != PX_OK ||
	    (e = q_int(ctx, "after", 0, LLONG_MAX, 0, &after)) != PX_OK)
		return e;
	if (q.since && (strlen(q.since) > 64 || !*q.since)) {
		px_ctx_detail(ctx, "field", "since");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	q.limit = (int)limit;
	q.after_id = after;
	q.oldest_first = 1;
	x.last_id = after;
	px_buf_reset(&resp->body);
	if ((e = px_m_waf_events(ctx->db, &q, event_line, &x, &more)) != PX_OK) {
		if (e == PX_E_VALIDATION_FIELD_FORMAT)
			px_ctx_detail(ctx, "field", "since");
		px_buf_reset(&resp->body);
		return e;
	}
	if (resp->body.failed)
		return PX_E_SYSTEM_INTERNAL;
	resp->status = 200;
	px_response_header(resp, "Content-Type", "application/x-ndjson; charset=utf-8");
	snprintf(hdr, sizeof(hdr), "%lld", x.last_id);
	px_response_header(resp, "X-Next-After", hdr);
	px_response_header(resp, "X-More", more ? "1" : "0");
	return PX_OK;
}
