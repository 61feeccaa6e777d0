/* system.c: health, version and metrics handlers, and security.txt. */
#include "handlers/system.h"
#include "config.h"
#include "core/cfg.h"
#include "core/metrics.h"
#include "core/node.h"
#include "core/tlscert.h"
#include "model/system.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The newest backup run, as reported by plexichat-backup; a failed or
 * missing backup is shown but does not make the service unhealthy. */
static void add_backup(struct px_ctx *ctx, struct json_object *checks)
{
	char *text = NULL;

	if (px_m_system_backup(ctx->db, &text) != PX_OK)
		return;
	json_object_object_add(checks, "backup",
			       text ? json_tokener_parse(text) : NULL);
	free(text);
	text = NULL;
	/* continuous archiving: the age of the newest archived WAL file is
	 * the data a lost server would take with it */
	if (px_m_system_wal(ctx->db, &text) == PX_OK && text)
		json_object_object_add(checks, "wal_archive", json_tokener_parse(text));
	free(text);
}

static const char *iso(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
	return out;
}

/* The certificates in tls_cert_files: each with its days left (also
 * the metric plexichat_tls_cert_days_left, set by whichever process
 * answers /health or /metrics), and whether any is expiring. checks NULL:
 * the metric only. */
static void add_tls(struct px_ctx *ctx, struct json_object *checks)
{
	const char *list = px_cfg_str(ctx->cfg, "tls_cert_files");
	long warn = (long)px_cfg_int(ctx->cfg, "tls_warn_days");
	struct json_object *a;
	const char *state = "ok";
	char path[1024], labels[1100], at[32];

	if (!list || !*list)
		return;
	a = json_object_new_array();
	for (const char *s = list; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] != 0)) {
		struct json_object *o = json_object_new_object();
		struct px_tlscert c;
		size_t n = strcspn(s, ",");

		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		snprintf(path, sizeof(path), "%.*s", (int)n, s);
		json_object_object_add(o, "file", json_object_new_string(path));
		if (px_tlscert_read(path, time(NULL), &c) != 0) {
			json_object_object_add(o, "error", json_object_new_string("unreadable"));
			state = "unreadable";
		} else {
			json_object_object_add(o, "subject", json_object_new_string(c.subject));
			json_object_object_add(o, "days_left", json_object_new_int64(c.days_left));
			json_object_object_add(o, "not_after", json_object_new_string(iso(c.not_after, at)));
			snprintf(labels, sizeof(labels), "file=\"%s\"", path);
			px_metrics_gauge("plexichat_tls_cert_days_left", labels, (double)c.days_left);
			if (c.days_left < warn && strcmp(state, "unreadable") != 0)
				state = c.days_left < 0 ? "expired" : "expiring";
		}
		json_object_array_add(a, o);
	}
	if (!checks) {
		json_object_put(a);
		return;
	}
	json_object_object_add(checks, "tls", json_object_new_string(state));
	json_object_object_add(checks, "tls_certificates", a);
}

enum px_err px_h_system_health(struct px_ctx *ctx)
{
	struct json_object *o = json_object_new_object(), *checks;
	uint64_t t0 = px_metrics_now_us();
	int schema = 0;
	enum px_err e = px_m_system_ping(ctx->db, &schema);

	if (!o)
		return PX_E_SYSTEM_INTERNAL;
	checks = json_object_new_object();
	json_object_object_add(o, "status",
			       json_object_new_string(e == PX_OK ? "ok" : "unavailable"));
	json_object_object_add(checks, "database",
			       json_object_new_string(e == PX_OK ? "ok" : px_err_name(e)));
	json_object_object_add(checks, "database_latency_us",
			       json_object_new_int64((int64_t)(px_metrics_now_us() - t0)));
	json_object_object_add(checks, "schema_version", json_object_new_int(schema));
	json_object_object_add(checks, "node", json_object_new_string(px_node_id()));
	json_object_object_add(checks, "draining", json_object_new_boolean(px_node_draining()));
	if (e == PX_OK)
		add_backup(ctx, checks);
	add_tls(ctx, checks);
	json_object_object_add(o, "checks", checks);
	json_object_object_add(o, "correlation_id",
			       json_object_new_string(ctx->req->correlation_id));
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	if (e != PX_OK) {
		/* the failure goes out in the central error format, checks as details */
		px_buf_reset(&ctx->details);
		px_buf_puts(&ctx->details, json_object_to_json_string_ext(checks, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return e;
	}
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_system_ready(struct px_ctx *ctx)
{
	struct json_object *o;
	int schema = 0;
	enum px_err e;

	px_response_header(ctx->resp, "Cache-Control", "no-store");
	if (ctx->stopping)
		return PX_E_SYSTEM_SHUTTING_DOWN;
	if (px_node_draining()) {
		px_ctx_detail(ctx, "node", px_node_id());
		return PX_E_SYSTEM_DRAINING;
	}
	e = px_m_system_ping(ctx->db, &schema);
	if (e != PX_OK)
		return e;
	o = json_object_new_object();
	if (!o)
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(o, "status", json_object_new_string("ready"));
	json_object_object_add(o, "node", json_object_new_string(px_node_id()));
	json_object_object_add(o, "address", json_object_new_string(px_node_address()));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "schema_version", json_object_new_int(schema));
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_system_version(struct px_ctx *ctx)
{
	static const char body[] =
		"{\"name\":\"" PACKAGE_NAME "\",\"version\":\"" PACKAGE_VERSION
		"\",\"api\":\"v1\"}";

	px_response_json(ctx->resp, 200, body, sizeof(body) - 1);
	return PX_OK;
}

enum px_err px_h_system_metrics(struct px_ctx *ctx)
{
	add_tls(ctx, NULL);
	px_buf_reset(&ctx->resp->body);
	px_metrics_render(&ctx->resp->body);
	ctx->resp->status = 200;
	px_response_header(ctx->resp, "Content-Type", "text/plain; version=0.0.4");
	px_response_header(ctx->resp, "Cache-Control", "no-store");
	return ctx->resp->body.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* 1 when s[0..n) has no control character (a value from the environment
 * could hold a line break and so forge a field). */
static int printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Appends "Contact: URI" for each comma-separated entry of list; an entry
 * without a scheme that holds '@' is an e-mail address. Returns how many. */
static int put_contacts(struct px_buf *out, const char *list)
{
	const char *p = list;
	int n = 0;

	while (*p) {
		size_t len = strcspn(p, ",");
		const char *next = p + len + (p[len] == ',');

		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len && printable(p, len)) {
			int bare = !memchr(p, ':', len) && memchr(p, '@', len);

			px_buf_printf(out, "Contact: %s%.*s\n", bare ? "mailto:" : "",
				      (int)len, p);
			n++;
		}
		p = next;
	}
	return n;
}

enum px_err px_h_system_security_txt(struct px_ctx *ctx)
{
	const char *base = px_cfg_str(ctx->cfg, "public_url");
	const char *langs = px_cfg_str(ctx->cfg, "security_languages");
	const char *policy = px_cfg_str(ctx->cfg, "security_policy");
	long long days = px_cfg_int(ctx->cfg, "security_txt_days");
	struct px_buf *out = &ctx->resp->body;
	size_t baselen = strlen(base);
	time_t expires = time(NULL);
	struct tm tm;
	char when[32];

	px_buf_reset(out);
	if (put_contacts(out, px_cfg_str(ctx->cfg, "security_contact")) == 0)
		return PX_E_VALIDATION_NOT_FOUND;
	/* from today's midnight, so that the file changes once a day and
	 * Expires stays under a year even at the largest setting */
	expires -= expires % 86400;
	expires += (time_t)days * 86400;
	if (!gmtime_r(&expires, &tm) ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return PX_E_SYSTEM_INTERNAL;
	px_buf_printf(out, "Expires: %s\n", when);
	if (*langs && printable(langs, strlen(langs)))
		px_buf_printf(out, "Preferred-Languages: %s\n", langs);
	if (*policy && printable(policy, strlen(policy)))
		px_buf_printf(out, "Policy: %s\n", policy);
	while (baselen && base[baselen - 1] == '/')
		baselen--;
	if (printable(base, baselen))
		px_buf_printf(out, "Canonical: %.*s/.well-known/security.txt\n",
			      (int)baselen, base);
	ctx->resp->status = 200;
	px_response_header(ctx->resp, "Content-Type", "text/plain; charset=utf-8");
	px_response_header(ctx->resp, "Cache-Control", "public, max-age=3600");
	px_response_header(ctx->resp, "X-Content-Type-Options", "nosniff");
	return out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
