/* openapi.c: joins the route table with the schema module into the
 * OpenAPI 3.1 description (see openapi.h).
 *
 * From the route table come the paths, methods, path parameters and their
 * types, security, the policy (role, permission action, rate class, WAF
 * profile, body limit, as x-plexichat-policy) and the error responses that
 * policy implies. From the schema module come summaries, query and header
 * parameters, request bodies and success responses. */
#include "fcgi/openapi.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "auth/perm.h"
#include "core/http.h"
#include "fcgi/router.h"
#include "handlers/api_schema.inc" /* px_api_schema_json, by the build */

/* Routes under this prefix are the API; the others are web pages,
 * described in docs/WEB_UI.md. */
#define API_PREFIX "/api/"

static void problem(struct px_buf *problems, const char *key, const char *what)
{
	px_buf_printf(problems, "%s: %s\n", key, what);
}

/* The OpenAPI path of a route pattern: "{id:int}" becomes "{id}". */
static void path_template(const char *pattern, struct px_buf *out)
{
	const char *p = pattern;

	while (*p) {
		const char *colon = NULL;

		if (*p == '{' && (colon = strpbrk(p, ":}")) && *colon == ':') {
			const char *close = strchr(colon, '}');

			px_buf_append(out, p, (size_t)(colon - p));
			p = close ? close : colon + strlen(colon);
			continue;
		}
		px_buf_putc(out, *p++);
	}
}

/* The schema of a path parameter of the router's type (fcgi/router.c). */
static json_object *param_schema(const char *type, size_t tl)
{
	json_object *s = json_object_new_object();

	if (tl == 3 && strncmp(type, "int", 3) == 0) {
		json_object_object_add(s, "type", json_object_new_string("integer"));
		json_object_object_add(s, "minimum", json_object_new_int(1));
		json_object_object_add(s, "maximum",
				       json_object_new_int64(999999999999999999LL));
	} else if (tl == 4 && strncmp(type, "slug", 4) == 0) {
		json_object_object_add(s, "type", json_object_new_string("string"));
		json_object_object_add(s, "pattern",
				       json_object_new_string("^[a-z0-9_-]{1,80}$"));
	} else {
		json_object_object_add(s, "type", json_object_new_string("string"));
		json_object_object_add(s, "minLength", json_object_new_int(1));
	}
	return s;
}

/* One parameter object per {name[:type]} segment of pattern, described
 * from the entry's "path" map; each must be described there or gets a
 * problem, so descriptions cannot drift from the table. */
static void add_path_params(json_object *params, const char *pattern,
			    json_object *names, const char *key,
			    struct px_buf *problems)
{
	const char *p = pattern;

	while ((p = strchr(p, '{')) != NULL) {
		const char *end = strchr(p, '}'), *colon;
		struct px_buf name = PX_BUF_INIT;
		json_object *param, *desc = NULL;

		if (!end)
			break;
		colon = memchr(p, ':', (size_t)(end - p));
		px_buf_append(&name, p + 1, (size_t)((colon ? colon : end) - p - 1));
		if (name.failed) {
			problem(problems, key, "out of memory");
			break;
		}
		if (!json_object_object_get_ex(names, name.data, &desc))
			problem(problems, key, "path parameter without a description");
		param = json_object_new_object();
		json_object_object_add(param, "name", json_object_new_string(name.data));
		json_object_object_add(param, "in", json_object_new_string("path"));
		json_object_object_add(param, "required", json_object_new_boolean(1));
		json_object_object_add(param, "description",
				       desc ? json_object_get(desc)
					    : json_object_new_string(name.data));
		json_object_object_add(param, "schema",
				       colon ? param_schema(colon + 1, (size_t)(end - colon - 1))
					     : param_schema("str", 3));
		json_object_array_add(params, param);
		px_buf_free(&name);
		p = end + 1;
	}
}

static void add_error(json_object *responses, const char *status)
{
	char ref[64];
	json_object *r;

	if (json_object_object_get_ex(responses, status, NULL))
		return;
	snprintf(ref, sizeof(ref), "#/components/responses/E%s", status);
	r = json_object_new_object();
	json_object_object_add(r, "$ref", json_object_new_string(ref));
	json_object_object_add(responses, status, r);
}

static int takes_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	       strcmp(method, "PATCH") == 0;
}

/* The errors every route of this policy can answer, whatever its handler
 * does: the pipeline's (fcgi/pipeline.c) and the WAF's, which runs first
 * on every request and refuses with 403. */
static void implied_errors(json_object *responses, const struct px_route *r)
{
	add_error(responses, "403");
	if (r->auth != PX_AUTH_NONE)
		add_error(responses, "401");
	if (takes_body(r->method)) {
		add_error(responses, "400");
		add_error(responses, "413");
		add_error(responses, "415");
	}
	if (strcmp(r->rate_class, "none") != 0)
		add_error(responses, "429");
	add_error(responses, "500");
	add_error(responses, "503");
}

static const char *auth_name(enum px_route_auth a)
{
	switch (a) {
	case PX_AUTH_NONE:
		return "none";
	case PX_AUTH_USER:
		return "user";
	case PX_AUTH_ADMIN_OR_LOOPBACK:
		return "admin-or-loopback";
	}
	return "unknown";
}

static json_object *policy(const struct px_route *r)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "auth", json_object_new_string(auth_name(r->auth)));
	json_object_object_add(p, "min_role",
			       json_object_new_string(px_perm_role_name(r->min_role)));
	json_object_object_add(p, "action",
			       r->action ? json_object_new_string(r->action) : NULL);
	json_object_object_add(p, "rate_class", json_object_new_string(r->rate_class));
	json_object_object_add(p, "waf_profile", json_object_new_string(r->waf_profile));
	/* a streamed body has no limit of its own: files_max_size bounds it */
	if (r->body_limit == PX_BODY_STREAM)
		json_object_object_add(p, "body", json_object_new_string("streamed"));
	else
		json_object_object_add(p, "body_limit",
				       json_object_new_int64((int64_t)r->body_limit));
	return p;
}

/* The operation of route r: a copy of its entry with the table's parts
 * added; NULL (and a problem) when the entry is missing or malformed. */
static json_object *operation(const struct px_route *r, json_object *entry,
			      const char *key, struct px_buf *problems)
{
	json_object *op = NULL, *names = NULL, *errors = NULL, *given = NULL;
	json_object *params, *responses = NULL;
	size_t i;

	if (json_object_deep_copy(entry, &op, NULL) != 0 ||
	    !json_object_object_get_ex(op, "responses", &responses) ||
	    !json_object_is_type(responses, json_type_object)) {
		problem(problems, key, "entry has no responses");
		json_object_put(op);
		return NULL;
	}
	json_object_object_get_ex(op, "path", &names);
	json_object_object_get_ex(op, "parameters", &given);
	params = json_object_new_array();
	add_path_params(params, r->pattern, names, key, problems);
	for (i = 0; given && i < json_object_array_length(given); i++)
		json_object_array_add(params,
				      json_object_get(json_object_array_get_idx(given, i)));
	json_object_object_add(op, "parameters", params);
	if (json_object_object_get_ex(op, "errors", &errors))
		for (i = 0; i < json_object_array_length(errors); i++)
			add_error(responses, json_object_get_string(
						     json_object_array_get_idx(errors, i)));
	implied_errors(responses, r);
	json_object_object_del(op, "errors");
	json_object_object_del(op, "path");
	if (r->auth == PX_AUTH_NONE)
		json_object_object_add(op, "security", json_object_new_array());
	json_object_object_add(op, "x-plexichat-policy", policy(r));
	return op;
}

static void lower(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	out[i] = '\0';
}

/* Adds every API route's operation to paths, marking used entries. */
static void add_routes(json_object *paths, json_object *ops, json_object *used,
		       struct px_buf *problems)
{
	const struct px_route *r;
	size_t i;

	for (i = 0; (r = px_router_route(i)); i++) {
		struct px_buf key = PX_BUF_INIT, path = PX_BUF_INIT;
		json_object *entry, *item, *op;
		char method[16];

		if (strncmp(r->pattern, API_PREFIX, strlen(API_PREFIX)) != 0)
			continue;
		px_buf_printf(&key, "%s %s", r->method, r->pattern);
		path_template(r->pattern, &path);
		if (key.failed || path.failed) {
			problem(problems, r->pattern, "out of memory");
		} else if (!json_object_object_get_ex(ops, key.data, &entry)) {
			problem(problems, key.data, "route has no entry in the schema module");
		} else if ((op = operation(r, entry, key.data, problems)) != NULL) {
			json_object_object_add(used, key.data, NULL);
			if (!json_object_object_get_ex(paths, path.data, &item)) {
				item = json_object_new_object();
				json_object_object_add(paths, path.data, item);
			}
			lower(r->method, method, sizeof(method));
			json_object_object_add(item, method, op);
		}
		px_buf_free(&key);
		px_buf_free(&path);
	}
	json_object_object_foreach(ops, k, v) {
		(void)v;
		if (!json_object_object_get_ex(used, k, NULL))
			problem(problems, k, "entry in the schema module has no route");
	}
}

static json_object *info(void)
{
	json_object *o = json_object_new_object(), *lic = json_object_new_object();

	json_object_object_add(o, "title", json_object_new_string("PlexiChat API"));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "description", json_object_new_string(
		"Self-hosted team chat. Errors share one shape (Error); see "
		"docs/ERROR_CODES.md. Generated from the route table by "
		"plexichat.fcgi --openapi."));
	json_object_object_add(lic, "name", json_object_new_string("Proprietary"));
	json_object_object_add(lic, "identifier",
			       json_object_new_string("LicenseRef-PlexiChat"));
	json_object_object_add(o, "license", lic);
	return o;
}

static json_object *security_schemes(void)
{
	json_object *s = json_object_new_object(), *bearer, *cookie;

	bearer = json_object_new_object();
	json_object_object_add(bearer, "type", json_object_new_string("http"));
	json_object_object_add(bearer, "scheme", json_object_new_string("bearer"));
	json_object_object_add(s, "bearer", bearer);
	cookie = json_object_new_object();
	json_object_object_add(cookie, "type", json_object_new_string("apiKey"));
	json_object_object_add(cookie, "in", json_object_new_string("cookie"));
	json_object_object_add(cookie, "name", json_object_new_string("px_session"));
	json_object_object_add(s, "cookie", cookie);
	return s;
}

/* The document's top level around paths, taking tags and components
 * from the module. */
static json_object *document(json_object *module, json_object *paths)
{
	json_object *doc = json_object_new_object(), *servers, *server, *sec;
	json_object *components = NULL, *tags = NULL, *any;

	json_object_object_add(doc, "openapi", json_object_new_string("3.1.0"));
	json_object_object_add(doc, "info", info());
	servers = json_object_new_array();
	server = json_object_new_object();
	json_object_object_add(server, "url", json_object_new_string("/"));
	json_object_array_add(servers, server);
	json_object_object_add(doc, "servers", servers);
	sec = json_object_new_array();
	any = json_object_new_object();
	json_object_object_add(any, "bearer", json_object_new_array());
	json_object_array_add(sec, any);
	any = json_object_new_object();
	json_object_object_add(any, "cookie", json_object_new_array());
	json_object_array_add(sec, any);
	json_object_object_add(doc, "security", sec);
	if (json_object_object_get_ex(module, "tags", &tags))
		json_object_object_add(doc, "tags", json_object_get(tags));
	json_object_object_add(doc, "paths", paths);
	if (json_object_object_get_ex(module, "components", &components)) {
		json_object_object_add(components, "securitySchemes", security_schemes());
		json_object_object_add(doc, "components", json_object_get(components));
	}
	return doc;
}

int px_openapi_describe(const char *module_json, struct px_buf *out,
			struct px_buf *problems)
{
	json_object *module = json_tokener_parse(module_json);
	json_object *ops = NULL, *used = json_object_new_object();
	json_object *doc = NULL;
	size_t before = problems->len;
	int rc = -1;

	if (!module || !json_object_object_get_ex(module, "operations", &ops) ||
	    !json_object_is_type(ops, json_type_object)) {
		problem(problems, "schema module", "no operations object");
		goto out;
	}
	doc = document(module, json_object_new_object());
	add_routes(json_object_object_get(doc, "paths"), ops, used, problems);
	if (problems->len != before || problems->failed)
		goto out;
	px_buf_puts(out, json_object_to_json_string_ext(
				 doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	px_buf_putc(out, '\n');
	rc = out->failed ? -1 : 0;
out:
	json_object_put(doc);
	json_object_put(used);
	json_object_put(module);
	return rc;
}

int px_openapi_build(struct px_buf *out, struct px_buf *problems)
{
	return px_openapi_describe(px_api_schema_json, out, problems);
}

/* Built once, then only read: workers share it without a lock. */
static struct px_buf served = PX_BUF_INIT;
static pthread_once_t served_once = PTHREAD_ONCE_INIT;

static void build_served(void)
{
	struct px_buf problems = PX_BUF_INIT;

	if (px_openapi_build(&served, &problems) != 0)
		px_buf_reset(&served);
	px_buf_free(&problems);
}

enum px_err px_openapi_get(struct px_ctx *ctx)
{
	pthread_once(&served_once, build_served);
	if (!served.len)
		return PX_E_SYSTEM_INTERNAL;
	px_response_json(ctx->resp, 200, served.data, served.len);
	px_response_header(ctx->resp, "Cache-Control", "public, max-age=300");
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
