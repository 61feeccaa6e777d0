/* web_admin.c: the administration pages: users and roles, invites, the
 * audit log, the firewall's events, plugins and their settings, and system health with metrics,
 * backup runs and the file store's figures. Changes go through the admin API handlers; the route rows
 * carry the same actions, so only admins reach these pages. */
#include "handlers/web.h"
#include "handlers/admin_plugins.h"
#include "handlers/admin_waf.h"
#include "handlers/auth_util.h"
#include "handlers/files_store.h"
#include "handlers/plugin_manage.h"
#include "handlers/auth.h"
#include "handlers/cluster.h"
#include "handlers/system.h"
#include "handlers/hooks.h"
#include "handlers/web_util.h"
#include "auth/perm.h"
#include "web/webpage.h"
#include "model/files_gc.h"
#include "model/web_admin.h"
#include "storage/px_st_files.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/multipart.h"
#include "plugins/px_pl_pkg.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUDIT_PAGE 100
#define METRIC_LINES 80

/* Renders an admin page: the tab named tab is marked current. */
static enum px_err admin_page(struct px_ctx *ctx, int status, const char *tab,
			      const char *title, struct json_object *d)
{
	struct json_object *tabs = json_object_new_object();

	json_object_object_add(tabs, tab, json_object_new_boolean(1));
	json_object_object_add(d, "tab", tabs);
	px_web_notice(ctx, d);
	return px_web_render(ctx, status, "page/admin", title, d);
}

static void add_api_list(struct px_ctx *ctx, struct json_object *d, px_handler_fn fn,
			 const char *key);

static const char *const roles[] = { "guest", "member", "moderator", "admin", "owner" };

/* The role choices for an account holding role: selected marked. */
static struct json_object *role_options(const char *role)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		struct json_object *o = json_object_new_object();

		px_web_str(o, "name", roles[i]);
		json_object_object_add(o, "selected", json_object_new_boolean(
			role && strcmp(role, roles[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static enum px_err users_page(struct px_ctx *ctx, int status, enum px_err err)
{
	struct json_object *d = json_object_new_object(), *r = NULL, *list = NULL, *rows;
	enum px_err e;
	size_t i, n;

	if ((e = px_web_call(ctx, px_h_admin_users_list, &r)) != PX_OK) {
		json_object_put(d);
		return e;
	}
	json_object_object_get_ex(r, "users", &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	rows = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(list, i), *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(px_web_int(u, "id")));
		px_web_str(o, "username", px_web_get(u, "username"));
		px_web_str(o, "display_name", px_web_get(u, "display_name"));
		px_web_str(o, "email", px_web_get(u, "email"));
		json_object_object_add(o, "active", json_object_new_boolean(px_web_bool(u, "active")));
		json_object_object_add(o, "mfa", json_object_new_boolean(px_web_bool(u, "mfa_enabled")));
		json_object_object_add(o, "roles", role_options(px_web_get(u, "role")));
		json_object_object_add(o, "self", json_object_new_boolean(
			px_web_int(u, "id") == ctx->who.user_id));
		json_object_array_add(rows, o);
	}
	json_object_object_add(d, "users", rows);
	px_web_str(d, "q", px_request_query(ctx->req, "q"));
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	json_object_put(r);
	return admin_page(ctx, status, "users", "Users and roles", d);
}

enum px_err px_h_web_admin_users(struct px_ctx *ctx)
{
	return users_page(ctx, 200, PX_OK);
}

enum px_err px_h_web_admin_user(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_admin_user_update, NULL);

	if (e == PX_OK)
		return px_web_done(ctx, "/admin/users", "saved");
	if (e == PX_E_AUTH_FORBIDDEN || strncmp(px_err_name(e), "VALIDATION_", 11) == 0)
		return users_page(ctx, px_err_status(e), e);
	return e;
}

static enum px_err invites_page(struct px_ctx *ctx, int status, struct json_object *d)
{
	if (!d && !(d = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(d, "roles", role_options("member"));
	return admin_page(ctx, status, "invites", "Invites", d);
}

enum px_err px_h_web_admin_invites(struct px_ctx *ctx)
{
	return invites_page(ctx, 200, NULL);
}

enum px_err px_h_web_admin_invite(struct px_ctx *ctx)
{
	struct json_object *r = NULL, *d = json_object_new_object(), *o;
	struct px_buf link = PX_BUF_INIT;
	const char *base = px_request_header(ctx->req, "host");
	enum px_err e;

	if (px_web_form(ctx, "email") && !*px_web_form(ctx, "email"))
		px_web_drop_form(ctx, "email");
	if ((e = px_web_call(ctx, px_h_admin_invite_create, &r)) != PX_OK) {
		if (strncmp(px_err_name(e), "VALIDATION_", 11) != 0 && e != PX_E_AUTH_FORBIDDEN) {
			json_object_put(d);
			return e;
		}
		px_web_error(ctx, d, e);
		return invites_page(ctx, px_err_status(e), d);
	}
	o = json_object_new_object();
	px_buf_printf(&link, "%s://%s/invite/%s", ctx->req->https ? "https" : "http",
		      base ? base : "localhost", px_web_get(r, "code"));
	px_web_str(o, "code", px_web_get(r, "code"));
	px_web_str(o, "role", px_web_get(r, "role"));
	px_web_str(o, "link", link.data);
	json_object_object_add(d, "created", o);
	json_object_put(r);
	px_buf_free(&link);
	return invites_page(ctx, 201, d);
}

/* Adds the audit rows (WAF events when waf) of the page's query. */
static enum px_err audit_rows(struct px_ctx *ctx, struct json_object *d, int waf)
{
	struct px_buf out = PX_BUF_INIT;
	struct json_object *r = NULL, *rows = NULL, *views;
	const char *act = px_request_query(ctx->req, "action");
	long long before = 0;
	enum px_err e;
	size_t i, n;

	/* a page link with a broken cursor shows the first page, as before */
	if (px_request_query_int(ctx->req, "before", 0, LLONG_MAX, &before) < 0)
		before = 0;
	if (act && strlen(act) > 64)
		act = NULL;
	if ((e = px_m_web_audit(ctx->db, waf, act, before, AUDIT_PAGE, &out)) != PX_OK)
		goto out;
	r = px_web_json(&out);
	json_object_object_get_ex(r, "rows", &rows);
	n = json_object_is_type(rows, json_type_array) ? json_object_array_length(rows) : 0;
	views = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(rows, i), *o = json_object_new_object();
		struct json_object *f = NULL;

		json_object_object_add(o, "id", json_object_new_int64(px_web_int(a, "id")));
		px_web_time(ctx, o, "at", px_web_get(a, "at"));
		px_web_str(o, "action", px_web_get(a, "action"));
		px_web_str(o, "actor", px_web_get(a, "actor"));
		px_web_str(o, "target", px_web_get(a, "target"));
		px_web_str(o, "ip", px_web_get(a, "ip"));
		json_object_object_get_ex(a, "fields", &f);
		px_web_str(o, "fields", f ? json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN) : "");
		json_object_array_add(views, o);
		if (i + 1 == n && px_web_bool(r, "has_more"))
			json_object_object_add(d, "older_before", json_object_new_int64(px_web_int(a, "id")));
	}
	json_object_object_add(d, "rows", views);
	px_web_str(d, "action", act);
out:
	json_object_put(r);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_web_admin_audit(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object();
	enum px_err e = audit_rows(ctx, d, 0);

	if (e != PX_OK) {
		json_object_put(d);
		return e;
	}
	return admin_page(ctx, 200, "audit", "Audit log", d);
}

enum px_err px_h_web_admin_waf(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object();
	enum px_err e = audit_rows(ctx, d, 1);

	if (e != PX_OK) {
		json_object_put(d);
		return e;
	}
	json_object_object_add(d, "waf", json_object_new_boolean(1));
	add_api_list(ctx, d, px_h_admin_waf_top_rules, "rules");
	return admin_page(ctx, 200, "waf", "Firewall events", d);
}

/* The plexichat_* lines of the metrics text (comments dropped). */
static void metric_lines(const struct px_buf *text, struct json_object *d)
{
	struct json_object *a = json_object_new_array();
	const char *p = text->data ? text->data : "";
	int n = 0;

	while (*p && n < METRIC_LINES) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len && p[0] != '#') {
			json_object_array_add(a, json_object_new_string_len(p, (int)len));
			n++;
		}
		p += len + (nl ? 1 : 0);
	}
	json_object_object_add(d, "metrics", a);
}

static void add_backups(struct px_ctx *ctx, struct json_object *d)
{
	struct px_buf out = PX_BUF_INIT;
	struct json_object *r, *runs = NULL, *views = json_object_new_array();
	size_t i, n;

	if (px_m_web_backups(ctx->db, 20, &out) != PX_OK || !(r = px_web_json(&out))) {
		px_buf_free(&out);
		json_object_put(views);
		return;
	}
	json_object_object_get_ex(r, "runs", &runs);
	n = json_object_is_type(runs, json_type_array) ? json_object_array_length(runs) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *b = json_object_array_get_idx(runs, i), *o = json_object_new_object();

		px_web_time(ctx, o, "finished", px_web_get(b, "finished_at"));
		json_object_object_add(o, "ok", json_object_new_boolean(px_web_bool(b, "ok")));
		px_web_str(o, "command", px_web_get(b, "command"));
		px_web_str(o, "snapshot", px_web_get(b, "snapshot"));
		px_web_str(o, "store", px_web_get(b, "store"));
		json_object_object_add(o, "mb", json_object_new_double(
			(double)px_web_int(b, "bytes_total") / 1e6));
		json_object_object_add(o, "seconds", json_object_new_double(
			(double)px_web_int(b, "duration_ms") / 1e3));
		px_web_str(o, "error", px_web_get(b, "error_message"));
		json_object_array_add(views, o);
	}
	json_object_object_add(d, "backups", views);
	json_object_object_add(d, "has_backups", json_object_new_boolean(n > 0));
	{
		/* WAL archiving's achieved recovery point: the age of the newest
		 * archived WAL file */
		if (px_web_bool(r, "wal_on")) {
			json_object_object_add(d, "wal_on", json_object_new_boolean(1));
			px_web_str(d, "wal_last", px_web_get(r, "wal_last"));
			json_object_object_add(d, "wal_age", json_object_new_int64(px_web_int(r, "wal_age_s")));
			json_object_object_add(d, "wal_failed", json_object_new_int64(px_web_int(r, "wal_failed")));
		}
	}
	json_object_put(r);
	px_buf_free(&out);
}

/* bytes as megabytes with one decimal, as text (a double would render
 * with all its binary digits) */
static void add_mb(struct json_object *d, const char *key, long long bytes)
{
	char mb[32];

	snprintf(mb, sizeof(mb), "%.1f", (double)bytes / 1e6);
	px_web_str(d, key, mb);
}

/* The file store: where, files, distinct objects, quarantined, uploads. */
static void add_storage(struct px_ctx *ctx, struct json_object *d)
{
	struct px_buf out = PX_BUF_INIT, where = PX_BUF_INIT;
	const char *kind = px_cfg_str(ctx->cfg, "files_store");
	struct json_object *u;

	if (px_st_files_remote_url(ctx->cfg))
		px_buf_puts(&where, px_st_files_remote_url(ctx->cfg));
	else if (*px_cfg_str(ctx->cfg, "files_dir"))
		px_buf_puts(&where, px_cfg_str(ctx->cfg, "files_dir"));
	else
		px_buf_printf(&where, "%s/files", px_cfg_str(ctx->cfg, "data_dir"));
	px_web_str(d, "files_store", kind);
	px_web_str(d, "files_location", where.data ? where.data : "");
	if (px_m_files_usage_json(ctx->db, PX_M_FILES_BY_NONE, 1, &out) == PX_OK &&
	    (u = px_web_json(&out))) {
		json_object_object_add(d, "files_count", json_object_new_int64(px_web_int(u, "files")));
		add_mb(d, "files_mb", px_web_int(u, "bytes"));
		json_object_object_add(d, "files_objects", json_object_new_int64(px_web_int(u, "objects")));
		add_mb(d, "files_stored_mb", px_web_int(u, "stored_bytes"));
		json_object_object_add(d, "files_quarantined",
				       json_object_new_int64(px_web_int(u, "quarantined")));
		json_object_object_add(d, "files_uploads", json_object_new_int64(px_web_int(u, "uploads")));
		add_mb(d, "files_upload_mb", px_web_int(u, "upload_bytes"));
		json_object_put(u);
	}
	px_buf_free(&out);
	px_buf_free(&where);
}

/* nodes: the node registry (handlers/cluster.c), has_nodes when any. */
static void add_nodes(struct px_ctx *ctx, struct json_object *d)
{
	struct json_object *nodes;

	add_api_list(ctx, d, px_h_admin_cluster_nodes, "nodes");
	json_object_object_add(d, "has_nodes", json_object_new_boolean(
		json_object_object_get_ex(d, "nodes", &nodes) && json_object_array_length(nodes) > 0));
}

enum px_err px_h_web_admin_system(struct px_ctx *ctx)
{
	struct json_object *d = json_object_new_object(), *h = NULL, *checks = NULL;
	struct px_buf metrics = PX_BUF_INIT;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	/* an unhealthy answer is what this page is for: show it, not fail */
	if (px_web_call(ctx, px_h_system_health, &h) != PX_OK)
		h = NULL;
	px_web_str(d, "health_status", h ? px_web_get(h, "status") : "unavailable");
	if (h && json_object_object_get_ex(h, "checks", &checks)) {
		json_object_object_add(d, "db_ok", json_object_new_boolean(
			px_web_get(checks, "database") && strcmp(px_web_get(checks, "database"), "ok") == 0));
		json_object_object_add(d, "db_latency_us",
				       json_object_new_int64(px_web_int(checks, "database_latency_us")));
		json_object_object_add(d, "schema_version",
				       json_object_new_int64(px_web_int(checks, "schema_version")));
	}
	json_object_put(h);
	if (px_web_call_text(ctx, px_h_system_metrics, &metrics) == PX_OK)
		metric_lines(&metrics, d);
	px_buf_free(&metrics);
	add_backups(ctx, d);
	add_storage(ctx, d);
	add_nodes(ctx, d);
	add_api_list(ctx, d, px_h_hooks_admin_deliveries, "deliveries");
	json_object_object_add(d, "has_deliveries", json_object_new_boolean(
		json_object_object_get_ex(d, "deliveries", &h) && json_object_array_length(h) > 0));
	return admin_page(ctx, 200, "system", "System health", d);
}

enum px_err px_h_web_admin(struct px_ctx *ctx)
{
	return px_webpage_redirect(ctx, "/admin/system");
}

/* Adds key: the array under key of what API handler fn answers. */
static void add_api_list(struct px_ctx *ctx, struct json_object *d, px_handler_fn fn,
			 const char *key)
{
	struct json_object *r = NULL, *list = NULL;

	if (px_web_call(ctx, fn, &r) == PX_OK && r && json_object_object_get_ex(r, key, &list))
		json_object_object_add(d, key, json_object_get(list));
	json_object_put(r);
}

static enum px_err ip_page(struct px_ctx *ctx, int status, enum px_err err)
{
	struct json_object *d = json_object_new_object();

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	add_api_list(ctx, d, px_h_admin_waf_ip_list, "ranges");
	add_api_list(ctx, d, px_h_admin_waf_blocks, "blocks");
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	return admin_page(ctx, status, "ip", "IP allow and block lists", d);
}

enum px_err px_h_web_admin_ip(struct px_ctx *ctx)
{
	return ip_page(ctx, 200, PX_OK);
}

/* Runs a list change; form errors re-show the page. */
static enum px_err ip_change(struct px_ctx *ctx, px_handler_fn fn)
{
	enum px_err e = px_web_call(ctx, fn, NULL);

	if (e == PX_OK)
		return px_web_done(ctx, "/admin/ip", "saved");
	if (strncmp(px_err_name(e), "VALIDATION_", 11) == 0)
		return ip_page(ctx, px_err_status(e), e);
	return e;
}

enum px_err px_h_web_admin_ip_add(struct px_ctx *ctx)
{
	return ip_change(ctx, px_h_admin_waf_ip_add);
}

enum px_err px_h_web_admin_ip_delete(struct px_ctx *ctx)
{
	return ip_change(ctx, px_h_admin_waf_ip_delete);
}

enum px_err px_h_web_admin_block_lift(struct px_ctx *ctx)
{
	return ip_change(ctx, px_h_admin_waf_block_delete);
}

/* --- plugins ------------------------------------------------------------------ */

/* One declared setting as a form field: its type picks the control; a
 * bool is a choice of true and false. */
static struct json_object *setting_field(const char *plugin, struct json_object *decl,
					 struct json_object *values)
{
	struct json_object *o = json_object_new_object(), *opts = json_object_new_array();
	const char *key = px_web_get(decl, "key"), *type = px_web_get(decl, "type");
	const char *val = px_web_get(values, key ? key : "");
	const char *options = type && !strcmp(type, "bool") ? "true|false" : px_web_get(decl, "options");
	char id[120];

	if (!val)
		val = px_web_get(decl, "default");
	snprintf(id, sizeof(id), "pl-%s-%s", plugin, key ? key : "");
	px_web_str(o, "id", id);
	px_web_str(o, "key", key);
	px_web_str(o, "label", px_web_get(decl, "label") ? px_web_get(decl, "label") : key);
	px_web_str(o, "value", val ? val : "");
	json_object_object_add(o, "is_int", json_object_new_boolean(type && !strcmp(type, "int")));
	json_object_object_add(o, "is_string", json_object_new_boolean(!type || !strcmp(type, "string")));
	for (const char *s = options; s && *s; s += strcspn(s, "|") + (s[strcspn(s, "|")] != 0)) {
		struct json_object *x = json_object_new_object();
		size_t n = strcspn(s, "|");

		json_object_object_add(x, "v", json_object_new_string_len(s, (int)n));
		json_object_object_add(x, "selected", json_object_new_boolean(
			val && strlen(val) == n && !strncmp(val, s, n)));
		json_object_array_add(opts, x);
	}
	json_object_object_add(o, "is_choice", json_object_new_boolean(options != NULL));
	json_object_object_add(o, "options", opts);
	return o;
}

/* The versions installed before, for the version switch; the current
 * one selected. */
static struct json_object *version_options(struct json_object *p)
{
	struct json_object *out = json_object_new_array(), *list = NULL;
	const char *cur = px_web_get(p, "version");
	size_t n;

	json_object_object_get_ex(p, "versions", &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(list, i));
		struct json_object *x = json_object_new_object();

		px_web_str(x, "v", v);
		json_object_object_add(x, "selected",
				       json_object_new_boolean(v && cur && !strcmp(v, cur)));
		json_object_array_add(out, x);
	}
	return out;
}

static struct json_object *plugin_row(struct json_object *p)
{
	struct json_object *o = json_object_new_object(), *m = NULL, *decls = NULL, *values = NULL;
	struct json_object *fields = json_object_new_array();
	const char *name = px_web_get(p, "name");
	size_t n;

	json_object_object_get_ex(p, "manifest", &m);
	json_object_object_get_ex(p, "settings", &values);
	if (m)
		json_object_object_get_ex(m, "settings", &decls);
	n = json_object_is_type(decls, json_type_array) ? json_object_array_length(decls) : 0;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(fields, setting_field(name ? name : "",
							    json_object_array_get_idx(decls, i), values));
	px_web_str(o, "name", name);
	px_web_str(o, "version", px_web_get(p, "version"));
	px_web_str(o, "description", px_web_get(m, "description"));
	px_web_str(o, "status", px_web_get(p, "status"));
	px_web_str(o, "status_detail", px_web_get(p, "status_detail"));
	json_object_object_add(o, "enabled", json_object_new_boolean(px_web_bool(p, "enabled")));
	json_object_object_add(o, "versions", version_options(p));
	json_object_object_add(o, "has_settings", json_object_new_boolean(n > 0));
	json_object_object_add(o, "settings", fields);
	return o;
}

/* With ?catalog=1 the page lists what the configured catalogues offer
 * (fetched now, their index signatures checked), each version with its
 * install button; catalogues that could not be read are named. */
static void catalog_rows(struct px_ctx *ctx, struct json_object *d)
{
	struct px_pl_catalog c = { 0, NULL };
	struct px_buf skipped = PX_BUF_INIT;
	struct json_object *rows = json_object_new_array();
	char v[80], spec[PX_PL_NAME_MAX + 82];

	px_plugin_catalogs(ctx->db, ctx->cfg, &c, &skipped);
	for (int i = 0; i < c.n; i++) {
		struct json_object *o = json_object_new_object();

		px_pl_ver_format(&c.v[i].m.version, v, sizeof(v));
		snprintf(spec, sizeof(spec), "%s@%s", c.v[i].m.name, v);
		px_web_str(o, "name", c.v[i].m.name);
		px_web_str(o, "version", v);
		px_web_str(o, "spec", spec);
		px_web_str(o, "description", c.v[i].m.description);
		json_object_array_add(rows, o);
	}
	json_object_object_add(d, "catalog_shown", json_object_new_boolean(1));
	json_object_object_add(d, "has_catalog", json_object_new_boolean(c.n > 0));
	json_object_object_add(d, "catalog", rows);
	px_web_str(d, "catalog_skipped", skipped.data);
	px_buf_free(&skipped);
	px_pl_catalog_free(&c);
}

/* The plugins page; refused (may be NULL) is why a change was refused,
 * shown with the form again. */
static enum px_err plugins_page_why(struct px_ctx *ctx, int status, enum px_err err,
				    const char *refused);

static enum px_err plugins_page(struct px_ctx *ctx, int status, enum px_err err)
{
	return plugins_page_why(ctx, status, err, NULL);
}

static enum px_err plugins_page_why(struct px_ctx *ctx, int status, enum px_err err,
				    const char *refused)
{
	struct json_object *d = json_object_new_object(), *r = NULL, *list = NULL;
	struct json_object *rows = json_object_new_array();
	enum px_err e = px_web_call(ctx, px_h_admin_plugins_list, &r);
	size_t n;

	if (e != PX_OK) {
		json_object_put(d);
		json_object_put(rows);
		return e;
	}
	json_object_object_get_ex(r, "plugins", &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(rows, plugin_row(json_object_array_get_idx(list, i)));
	json_object_object_add(d, "plugins", rows);
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	if (refused)
		px_web_str(d, "refused", refused);
	if (px_request_query(ctx->req, "catalog"))
		catalog_rows(ctx, d);
	json_object_put(r);
	return admin_page(ctx, status, "plugins", "Plugins", d);
}

enum px_err px_h_web_admin_plugins(struct px_ctx *ctx)
{
	return plugins_page(ctx, 200, PX_OK);
}

/* Runs fn with body (taken) as the request's JSON; form errors re-show
 * the page. */
static enum px_err plugin_change(struct px_ctx *ctx, px_handler_fn fn, struct json_object *body)
{
	struct json_object *saved = ctx->req->json;
	enum px_err e;

	ctx->req->json = body;
	e = px_web_call(ctx, fn, NULL);
	ctx->req->json = saved;
	json_object_put(body);
	if (e == PX_OK)
		return px_web_done(ctx, "/admin/plugins", "saved");
	if (strncmp(px_err_name(e), "VALIDATION_", 11) == 0)
		return plugins_page(ctx, px_err_status(e), e);
	return e;
}

/* The form's "s.KEY" fields; an empty one clears the setting (its
 * default applies again). */
enum px_err px_h_web_admin_plugin_settings(struct px_ctx *ctx)
{
	struct json_object *body = json_object_new_object();
	const struct px_kvlist *f = &ctx->req->form;

	for (size_t i = 0; i < f->n; i++) {
		const char *k = f->items[i].name, *v = f->items[i].value;

		if (strncmp(k, "s.", 2) != 0 || !k[2])
			continue;
		json_object_object_add(body, k + 2, *v ? json_object_new_string(v) : NULL);
	}
	return plugin_change(ctx, px_h_admin_plugin_settings, body);
}

enum px_err px_h_web_admin_plugin_enabled(struct px_ctx *ctx)
{
	struct json_object *body = json_object_new_object();
	const char *on = px_web_form(ctx, "enabled");

	json_object_object_add(body, "enabled", json_object_new_boolean(on && !strcmp(on, "true")));
	return plugin_change(ctx, px_h_admin_plugin_enabled, body);
}

/* --- installing, switching, removing (handlers/plugin_manage.c, as the CLI) --- */

static void audit_one(void *arg, const struct px_plugin_done *d);

/* The outcome of a change: back to the page with "saved", or the page
 * again with the reason (422). */
static enum px_err plugin_outcome(struct px_ctx *ctx, int ok, const struct px_buf *why)
{
	if (ok)
		return px_web_done(ctx, "/admin/plugins", "saved");
	px_log_info("plugins", ctx->req->correlation_id, "refused from /admin: %s",
		    why->data ? why->data : "");
	return plugins_page_why(ctx, 422, PX_OK, why->data ? why->data : "refused");
}

struct part_sink {
	struct px_buf *b;
	size_t max;
};

static enum px_err part_take(void *arg, const void *p, size_t n)
{
	struct part_sink *s = arg;

	if (s->b->len + n > s->max)
		return PX_E_VALIDATION_PAYLOAD_TOO_LARGE;
	px_buf_append(s->b, p, n);
	return s->b->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* The "package" and "signature" files of a multipart form into pkg and
 * sig, within their limits. */
static enum px_err read_upload(struct px_ctx *ctx, struct px_buf *pkg, struct px_buf *sig)
{
	struct px_multipart_part p = { PX_BUF_INIT, PX_BUF_INIT, 0, PX_BUF_INIT };
	const char *ct = ctx->req->content_type ? ctx->req->content_type : "";
	struct px_hf_src in = { ctx, 0, 0 };
	struct px_multipart mp = { 0 };
	enum px_err e;
	int end = 0;

	if (strncasecmp(ct, "multipart/form-data", 19)) {
		px_ctx_detail(ctx, "field", "package");
		return PX_E_VALIDATION_CONTENT_TYPE;
	}
	if ((e = px_multipart_open(&mp, ct, px_hf_src_read, &in)) != PX_OK)
		goto out;
	while ((e = px_multipart_next(&mp, &p, &end)) == PX_OK && !end) {
		int is_pkg = p.has_filename && !strcmp(p.name.data, "package");
		int is_sig = p.has_filename && !strcmp(p.name.data, "signature");
		struct part_sink s = { is_pkg ? pkg : sig, is_pkg ? PX_PL_PKG_MAX : 1024 };

		e = px_multipart_body(&mp, is_pkg || is_sig ? part_take : NULL,
				      is_pkg || is_sig ? &s : NULL);
		if (e == PX_E_VALIDATION_PAYLOAD_TOO_LARGE)
			px_ctx_detail(ctx, "field", p.name.data);
		if (e != PX_OK)
			break;
	}
out:
	px_multipart_part_free(&p);
	px_multipart_close(&mp);
	return e;
}

enum px_err px_h_web_admin_plugin_install(struct px_ctx *ctx)
{
	struct px_buf pkg = PX_BUF_INIT, sig = PX_BUF_INIT, why = PX_BUF_INIT;
	struct px_plugin_done d;
	enum px_err e = read_upload(ctx, &pkg, &sig);
	int ok;

	if (e != PX_OK) {
		px_buf_free(&pkg);
		px_buf_free(&sig);
		return strncmp(px_err_name(e), "VALIDATION_", 11) ? e : plugins_page(ctx, px_err_status(e), e);
	}
	if (!pkg.len) {
		ok = 0;
		px_buf_puts(&why, "choose a package file (.tar.gz)");
	} else {
		ok = px_plugin_install_signed(ctx->db, ctx->cfg, pkg.data, pkg.len,
					      sig.data ? sig.data : "", &d, &why) == 0;
	}
	if (ok)
		audit_one(ctx, &d);
	e = plugin_outcome(ctx, ok, &why);
	px_buf_free(&pkg);
	px_buf_free(&sig);
	px_buf_free(&why);
	return e;
}

enum px_err px_h_web_admin_plugin_version(struct px_ctx *ctx)
{
	const char *name = px_path_str(&ctx->path, "name"), *v = px_web_form(ctx, "version");
	struct px_buf why = PX_BUF_INIT, fields = PX_BUF_INIT;
	struct px_plugin_done d;
	enum px_err e;
	int ok;

	if (!name || !v || !*v) {
		px_ctx_detail(ctx, "field", "version");
		return plugins_page(ctx, 400, PX_E_VALIDATION_MISSING_FIELD);
	}
	ok = px_plugin_use(ctx->db, name, v, &d, &why) == 0;
	if (ok) {
		px_buf_puts(&fields, "{\"version\":");
		px_buf_json_str(&fields, v, strlen(v));
		px_buf_putc(&fields, '}');
		px_auth_audit(ctx, "admin.plugin.version_set", ctx->who.user_id, name,
			      fields.failed ? NULL : fields.data);
	}
	e = plugin_outcome(ctx, ok, &why);
	px_buf_free(&why);
	px_buf_free(&fields);
	return e;
}

/* data=keep (the default, as on the command line) or data=purge. */
enum px_err px_h_web_admin_plugin_remove(struct px_ctx *ctx)
{
	const char *name = px_path_str(&ctx->path, "name"), *data = px_web_form(ctx, "data");
	struct px_buf why = PX_BUF_INIT, left = PX_BUF_INIT;
	struct px_plugin_done d;
	int purge = data && !strcmp(data, "purge"), ok;
	enum px_err e;

	if (!name || (data && *data && !purge && strcmp(data, "keep"))) {
		px_ctx_detail(ctx, "field", "data");
		return plugins_page(ctx, 400, PX_E_VALIDATION_FIELD_FORMAT);
	}
	ok = px_plugin_remove(ctx->db, name, purge, &d, &left, &why) == 0;
	if (ok) {
		if (left.len)
			px_log_warn("plugins", ctx->req->correlation_id, "remove %s: left on disk: %s", name,
				    left.data);
		px_auth_audit(ctx, "admin.plugin.removed", ctx->who.user_id, name,
			      purge ? "{\"purge\":true}" : "{\"purge\":false}");
	}
	e = plugin_outcome(ctx, ok, &why);
	px_buf_free(&why);
	px_buf_free(&left);
	return e;
}

static void audit_one(void *arg, const struct px_plugin_done *d)
{
	struct px_ctx *ctx = arg;
	struct px_buf fields = PX_BUF_INIT;

	px_buf_printf(&fields, "{\"version\":\"%s\",\"sha256\":\"%s\",\"signed_by\":", d->version,
		      d->sha256);
	px_buf_json_str(&fields, d->signer, strlen(d->signer));
	px_buf_putc(&fields, '}');
	px_auth_audit(ctx, "admin.plugin.installed", ctx->who.user_id, d->name,
		      fields.failed ? NULL : fields.data);
	px_buf_free(&fields);
}

/* spec=NAME[@RANGE]: from the configured catalogues, with its missing
 * dependencies, as plexichat-admin plugin install NAME[@RANGE]. */
enum px_err px_h_web_admin_plugin_catalog(struct px_ctx *ctx)
{
	const char *spec = px_web_form(ctx, "spec");
	struct px_buf why = PX_BUF_INIT;
	enum px_err e;
	int ok;

	if (!spec || !*spec) {
		px_ctx_detail(ctx, "field", "spec");
		return plugins_page(ctx, 400, PX_E_VALIDATION_MISSING_FIELD);
	}
	ok = px_plugin_install_catalog(ctx->db, ctx->cfg, spec, audit_one, ctx, &why) == 0;
	e = plugin_outcome(ctx, ok, &why);
	px_buf_free(&why);
	return e;
}
