/* auth_util.c: typed input, details, audit and account JSON for the auth
 * handlers. */
#include "handlers/auth_util.h"
#include "core/audit.h"
#include "core/cfg.h"
#include "auth/perm.h"
#include "core/utf8.h"
#include "model/users.h"

#include <limits.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Looks the field up: *json when the body is JSON, *form otherwise. */
static enum px_err lookup(struct px_ctx *ctx, const char *name,
			  struct json_object **json, const char **form)
{
	struct px_request *req = ctx->req;

	*json = NULL;
	*form = NULL;
	if (req->json) {
		if (!json_object_is_type(req->json, json_type_object)) {
			px_ctx_detail(ctx, "field", "(body)");
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		json_object_object_get_ex(req->json, name, json);
		if (*json && json_object_is_type(*json, json_type_null))
			*json = NULL;
		return PX_OK;
	}
	if (req->body_len && !req->form.n)
		return PX_E_VALIDATION_CONTENT_TYPE;
	*form = px_kvlist_get(&req->form, name);
	return PX_OK;
}

void px_auth_detail_limits(struct px_ctx *ctx, const char *field, size_t min,
			   size_t max)
{
	px_buf_reset(&ctx->details);
	px_buf_puts(&ctx->details, "{\"field\":");
	px_buf_json_str(&ctx->details, field, strlen(field));
	px_buf_printf(&ctx->details, ",\"min\":%zu,\"max\":%zu}", min, max);
}

enum px_err px_in_str(struct px_ctx *ctx, const char *name, int required,
		      size_t min, size_t max, const char **out)
{
	struct json_object *j;
	const char *s;
	enum px_err e;
	size_t n;

	*out = NULL;
	if ((e = lookup(ctx, name, &j, &s)) != PX_OK)
		return e;
	if (j) {
		if (!json_object_is_type(j, json_type_string)) {
			px_ctx_detail(ctx, "field", name);
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		s = json_object_get_string(j);
		n = (size_t)json_object_get_string_len(j);
		if (strlen(s) != n) {
			px_ctx_detail(ctx, "field", name);
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
	}
	if (!s) {
		if (required)
			px_ctx_detail(ctx, "field", name);
		return required ? PX_E_VALIDATION_MISSING_FIELD : PX_OK;
	}
	n = px_utf8_count(s, strlen(s));
	if (n < min || n > max) {
		px_auth_detail_limits(ctx, name, min, max);
		return PX_E_VALIDATION_FIELD_LENGTH;
	}
	*out = s;
	return PX_OK;
}

enum px_err px_in_bool(struct px_ctx *ctx, const char *name, int *out)
{
	struct json_object *j;
	const char *s;
	enum px_err e;

	*out = 0;
	if ((e = lookup(ctx, name, &j, &s)) != PX_OK)
		return e;
	if (j && json_object_is_type(j, json_type_boolean)) {
		*out = json_object_get_boolean(j);
		return PX_OK;
	}
	if (!j && !s)
		return PX_OK;
	if (s && (!strcmp(s, "1") || !strcmp(s, "on") || !strcmp(s, "true"))) {
		*out = 1;
		return PX_OK;
	}
	if (s && (!strcmp(s, "0") || !strcmp(s, "off") || !strcmp(s, "false")))
		return PX_OK;
	px_ctx_detail(ctx, "field", name);
	return PX_E_VALIDATION_FIELD_TYPE;
}

enum px_err px_in_bool_or(struct px_ctx *ctx, const char *name, int def, int *out)
{
	struct json_object *j;
	const char *s;
	enum px_err e;

	*out = def;
	if ((e = lookup(ctx, name, &j, &s)) != PX_OK || (!j && !s))
		return e;
	return px_in_bool(ctx, name, out);
}

enum px_err px_in_int(struct px_ctx *ctx, const char *name, long long min,
		      long long max, long long *out)
{
	struct json_object *j;
	const char *s;
	long long v = 0;
	enum px_err e;

	if ((e = lookup(ctx, name, &j, &s)) != PX_OK)
		return e;
	if (!j && !s)
		return PX_OK;
	if (j ? !json_object_is_type(j, json_type_int)
	      : px_http_parse_int(s, LLONG_MIN, LLONG_MAX, &v) != 0) {
		px_ctx_detail(ctx, "field", name);
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	if (j)
		v = json_object_get_int64(j);
	if (v < min || v > max) {
		px_auth_detail_limits(ctx, name, (size_t)min, (size_t)max);
		return PX_E_VALIDATION_FIELD_LENGTH;
	}
	*out = v;
	return PX_OK;
}

enum px_err px_in_query_int(struct px_ctx *ctx, const char *name, long long min,
			    long long max, enum px_err bad, long long *out)
{
	if (px_request_query_int(ctx->req, name, min, max, out) >= 0)
		return PX_OK;
	px_buf_reset(&ctx->details);
	px_buf_puts(&ctx->details, "{\"field\":");
	px_buf_json_str(&ctx->details, name, strlen(name));
	px_buf_printf(&ctx->details, ",\"min\":%lld,\"max\":%lld}", min, max);
	return bad;
}

void px_auth_retry_after(struct px_ctx *ctx, long seconds)
{
	px_buf_reset(&ctx->details);
	px_buf_printf(&ctx->details, "{\"retry_after\":%ld}", seconds < 1 ? 1 : seconds);
}

long px_auth_retry_after_get(const struct px_ctx *ctx)
{
	const char *p = ctx->details.data ? strstr(ctx->details.data, "\"retry_after\":")
					  : NULL;

	return p ? atol(p + 14) : 0;
}

const char *px_auth_ip(const struct px_ctx *ctx)
{
	/* the WAF step has already resolved the client behind trusted proxies */
	const char *a = ctx->client_ip[0] ? ctx->client_ip : ctx->req->remote_addr;

	return a && *a ? a : NULL;
}

unsigned px_auth_role_scopes(enum px_role role)
{
	if (role < PX_ROLE_GUEST)
		return 0;
	return PX_SCOPE_READ | PX_SCOPE_WRITE |
	       (role >= PX_ROLE_ADMIN ? PX_SCOPE_ADMIN : 0u);
}

/* Length of the scheme://host[:port] prefix of url, 0 when it has none. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	return p ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#") : 0;
}

/* 1 when origin is this site: public_url's origin, or the scheme and Host
 * the request came in on (the rule fcgi/authmw.c applies to cookie
 * requests). */
static int own_origin(const struct px_ctx *ctx, const char *origin)
{
	const char *pub = px_cfg_str(ctx->cfg, "public_url");
	const char *host = px_request_header(ctx->req, "host");
	size_t n = pub ? origin_len(pub) : 0;
	char self[300];

	if (n && strlen(origin) == n && strncmp(origin, pub, n) == 0)
		return 1;
	if (!host)
		return 0;
	snprintf(self, sizeof(self), "%s://%s", ctx->req->https ? "https" : "http", host);
	return strcmp(origin, self) == 0;
}

int px_auth_cross_site(const struct px_ctx *ctx)
{
	const char *o = px_request_header(ctx->req, "origin");
	const char *site = px_request_header(ctx->req, "sec-fetch-site");

	/* a sibling subdomain ("same-site") can plant a session too */
	if (site && (strcmp(site, "cross-site") == 0 || strcmp(site, "same-site") == 0))
		return 1;
	return o && !own_origin(ctx, o);
}

void px_auth_audit(struct px_ctx *ctx, const char *action, long long actor,
		   const char *target, const char *fields_json)
{
	struct px_audit_event ev;
	char aid[24];

	snprintf(aid, sizeof(aid), "%lld", actor);
	memset(&ev, 0, sizeof(ev));
	ev.action = action;
	ev.actor_id = actor ? aid : NULL;
	ev.target = target;
	ev.ip = px_auth_ip(ctx);
	ev.correlation_id = ctx->req->correlation_id;
	ev.fields_json = fields_json;
	(void)px_audit(ctx->db, &ev);
}

void px_auth_audit_user(struct px_ctx *ctx, const char *action, long long actor,
			long long target, const char *fields_json)
{
	char t[32];

	snprintf(t, sizeof(t), "user:%lld", target);
	px_auth_audit(ctx, action, actor, t, fields_json);
}

struct json_object *px_auth_user_json(const struct px_m_user *u, int self)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(u->id));
	json_object_object_add(o, "username", json_object_new_string(u->username));
	json_object_object_add(o, "display_name", json_object_new_string(u->display_name));
	json_object_object_add(o, "bio", json_object_new_string(u->bio));
	json_object_object_add(o, "role", json_object_new_string(u->role));
	json_object_object_add(o, "created_at", json_object_new_string(u->created_at));
	if (u->avatar[0]) {
		char url[96];

		snprintf(url, sizeof(url), "/api/v1/users/%lld/avatar?v=%s", u->id, u->avatar);
		json_object_object_add(o, "avatar_url", json_object_new_string(url));
	} else {
		json_object_object_add(o, "avatar_url", NULL);
	}
	if (!self)
		return o;
	json_object_object_add(o, "email", u->email[0] ? json_object_new_string(u->email)
						       : NULL);
	json_object_object_add(o, "email_verified", json_object_new_boolean(u->email_verified));
	json_object_object_add(o, "mfa_enabled", json_object_new_boolean(u->mfa_enabled));
	json_object_object_add(o, "active", json_object_new_boolean(!u->deactivated));
	return o;
}

enum px_err px_auth_display_name_free(struct px_ctx *ctx, const char *name, long long self)
{
	const char *which = NULL;
	enum px_err e = px_m_users_clash(ctx->db, name, NULL, NULL, self, &which);

	if (e != PX_OK || !which)
		return e;
	px_ctx_detail(ctx, "field", "display_name");
	return PX_E_VALIDATION_DISPLAY_NAME_CONFUSABLE;
}
