/* wafmw.c: runs the WAF first on every request and records its decisions. */
#include "wafmw.h"
#include "core/audit.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/snap.h"
#include "core/waf.h"
#include "core/waf_ip.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The config-derived lists, immutable once built. */
struct lists {
	struct px_waf_ip_list *allow, *deny, *trusted;
	int mode; /* 0 off, 1 detect, 2 block */
};

struct px_wafmw {
	struct px_snap *rules;  /* struct px_waf */
	struct px_snap *lists;  /* struct lists */
	struct px_waf_autoblock *autoblock;
	pthread_mutex_t lock;   /* guards rules_path */
	char *rules_path;
	long long bad_mtime;
};

static void waf_free(void *p)
{
	px_waf_free(p);
}

static void lists_free(void *p)
{
	struct lists *l = p;

	px_waf_ip_list_free(l->allow);
	px_waf_ip_list_free(l->deny);
	px_waf_ip_list_free(l->trusted);
	free(l);
}

static struct px_waf_ip_list *list_from(const char *csv, const char *key)
{
	struct px_waf_ip_list *l = px_waf_ip_list_new();
	const char *p = csv;

	while (l && *p) {
		size_t n = strcspn(p, ", ");

		if (n && px_waf_ip_list_add(l, p, n) != 0)
			px_log_warn("waf", NULL, "%s: ignoring malformed range '%.*s'",
				    key, (int)n, p);
		p += n;
		p += strspn(p, ", ");
	}
	if (l)
		px_waf_ip_list_finish(l);
	return l;
}

static struct lists *lists_new(const struct px_cfg *cfg)
{
	struct lists *l = calloc(1, sizeof(*l));
	const char *mode = px_cfg_str(cfg, "waf");

	if (!l)
		return NULL;
	l->allow = list_from(px_cfg_str(cfg, "waf_allow"), "waf_allow");
	l->deny = list_from(px_cfg_str(cfg, "waf_deny"), "waf_deny");
	l->trusted = list_from(px_cfg_str(cfg, "trusted_proxies"), "trusted_proxies");
	l->mode = strcmp(mode, "off") == 0 ? 0 : strcmp(mode, "detect") == 0 ? 1 : 2;
	if (!l->allow || !l->deny || !l->trusted) {
		lists_free(l);
		return NULL;
	}
	return l;
}

struct px_wafmw *px_wafmw_new(const struct px_cfg *cfg, struct px_buf *err)
{
	static const struct px_waf_autoblock_cfg ab_cfg = {
		1, 100, 60, 600, 4096,
	};
	struct px_wafmw *w = calloc(1, sizeof(*w));
	struct px_waf *waf = NULL;
	struct lists *l = NULL;

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	w->rules_path = strdup(px_cfg_str(cfg, "waf_rules"));
	if (!w->rules_path || px_waf_load(w->rules_path, &waf, err) != 0)
		goto fail;
	w->rules = px_snap_new(waf, waf_free);
	if (!w->rules) {
		px_waf_free(waf);
		goto fail;
	}
	l = lists_new(cfg);
	w->lists = l ? px_snap_new(l, lists_free) : NULL;
	w->autoblock = px_waf_autoblock_new(&ab_cfg);
	if (!w->lists || !w->autoblock) {
		if (!w->lists && l)
			lists_free(l);
		goto fail;
	}
	px_waf_autoblock_set_enabled(w->autoblock, px_cfg_bool(cfg, "waf_auto_block"));
	return w;
fail:
	px_wafmw_free(w);
	return NULL;
}

void px_wafmw_free(struct px_wafmw *w)
{
	if (!w)
		return;
	px_snap_free(w->rules);
	px_snap_free(w->lists);
	px_waf_autoblock_free(w->autoblock);
	free(w->rules_path);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void px_wafmw_configure(struct px_wafmw *w, const struct px_cfg *cfg)
{
	struct lists *l = lists_new(cfg);
	char *path = strdup(px_cfg_str(cfg, "waf_rules"));

	if (l && px_snap_swap(w->lists, l) != 0)
		lists_free(l);
	px_waf_autoblock_set_enabled(w->autoblock, px_cfg_bool(cfg, "waf_auto_block"));
	pthread_mutex_lock(&w->lock);
	if (path && strcmp(path, w->rules_path) != 0) {
		free(w->rules_path);
		w->rules_path = path;
		path = NULL;
		w->bad_mtime = -1; /* force a load of the new file */
	}
	pthread_mutex_unlock(&w->lock);
	free(path);
}

void px_wafmw_maybe_reload(struct px_wafmw *w)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_waf *fresh = NULL;
	struct px_snap_ref *ref;
	const struct px_waf *cur;
	struct stat st;
	char *path;
	int due;

	pthread_mutex_lock(&w->lock);
	path = strdup(w->rules_path);
	pthread_mutex_unlock(&w->lock);
	if (!path || stat(path, &st) != 0)
		goto out;
	cur = px_snap_acquire(w->rules, &ref);
	due = st.st_mtime != px_waf_mtime(cur) && st.st_mtime != w->bad_mtime;
	px_snap_release(w->rules, ref);
	if (!due)
		goto out;
	if (px_waf_load(path, &fresh, &err) != 0) {
		px_log_error("waf", NULL, "rules reload refused, keeping the old rules: %s",
			     err.data ? err.data : "out of memory");
		w->bad_mtime = st.st_mtime;
		goto out;
	}
	if (px_snap_swap(w->rules, fresh) != 0)
		px_waf_free(fresh);
	else
		px_log_info("waf", NULL, "rules reloaded from %s", path);
out:
	free(path);
	px_buf_free(&err);
}

/* One security event: a log line and an audit row. */
static void security_event(struct px_ctx *ctx, const char *action,
			   const struct px_waf_verdict *v, enum px_err e)
{
	struct px_buf f = PX_BUF_INIT;
	struct px_audit_event ev = { 0 };
	char labels[64];

	if (v)
		px_waf_verdict_json(v, &f);
	else
		px_buf_printf(&f, "{\"code\":\"%s\"}", px_err_name(e));
	ev.action = action;
	ev.target = ctx->req->raw_path;
	ev.ip = ctx->client_ip[0] ? ctx->client_ip : NULL;
	ev.correlation_id = ctx->req->correlation_id;
	ev.fields_json = f.failed ? NULL : f.data;
	(void)px_audit(ctx->db, &ev);
	snprintf(labels, sizeof(labels), "action=\"%s\"", action);
	px_metrics_count("plexichat_waf_events_total", labels, 1);
	px_buf_free(&f);
}

enum px_err px_wafmw_client(struct px_wafmw *w, struct px_ctx *ctx)
{
	struct px_snap_ref *ref;
	const struct lists *l = px_snap_acquire(w->lists, &ref);
	const char *addr = ctx->req->remote_addr ? ctx->req->remote_addr : "";
	enum px_err e = PX_OK;
	time_t until;

	if (px_waf_ip_client(addr, px_request_header(ctx->req, "x-forwarded-for"),
			     l->trusted, ctx->client_ip, sizeof(ctx->client_ip)) != 0)
		snprintf(ctx->client_ip, sizeof(ctx->client_ip), "%s", addr);
	if (l->mode == 0 || px_waf_ip_list_contains(l->allow, ctx->client_ip))
		goto out;
	if (px_waf_ip_list_contains(l->deny, ctx->client_ip) ||
	    px_waf_autoblock_blocked(w->autoblock, ctx->client_ip, time(NULL), &until)) {
		e = PX_E_SECURITY_IP_BLOCKED;
		security_event(ctx, "waf.ip_blocked", NULL, e);
		if (l->mode == 1)
			e = PX_OK;
	}
out:
	px_snap_release(w->lists, ref);
	return e;
}

/* Mode from the lists snapshot (0 off, 1 detect, 2 block). */
static int mode_of(struct px_wafmw *w)
{
	struct px_snap_ref *ref;
	const struct lists *l = px_snap_acquire(w->lists, &ref);
	int mode = l->mode;

	px_snap_release(w->lists, ref);
	return mode;
}

enum px_err px_wafmw_body_limit(struct px_wafmw *w, struct px_ctx *ctx,
				const char *profile)
{
	struct px_snap_ref *ref;
	const struct px_waf *waf;
	size_t max;
	int mode = mode_of(w);

	if (mode == 0)
		return PX_OK;
	waf = px_snap_acquire(w->rules, &ref);
	max = px_waf_max_body(waf, profile);
	px_snap_release(w->rules, ref);
	if (max == 0 || ctx->req->content_length <= max)
		return PX_OK;
	security_event(ctx, "waf.body_too_large", NULL, PX_E_SECURITY_REQUEST_BLOCKED);
	return mode == 2 ? PX_E_SECURITY_REQUEST_BLOCKED : PX_OK;
}

enum px_err px_wafmw_inspect(struct px_wafmw *w, struct px_ctx *ctx,
			     const char *profile)
{
	struct px_waf_verdict v;
	struct px_snap_ref *ref;
	const struct px_waf *waf;
	enum px_err e;
	int mode = mode_of(w);

	if (mode == 0)
		return PX_OK;
	waf = px_snap_acquire(w->rules, &ref);
	memset(&v, 0, sizeof(v));
	e = px_waf_inspect(waf, ctx->req, profile, &v);
	px_snap_release(w->rules, ref);
	if (v.action == PX_WAF_ALLOW)
		return PX_OK;
	if (e != PX_OK) {
		security_event(ctx, mode == 2 ? "waf.block" : "waf.detect", &v, e);
		if (px_waf_autoblock_record(w->autoblock, ctx->client_ip, v.score,
					    time(NULL)))
			px_log_warn("waf", ctx->req->correlation_id,
				    "client %s blocked for a while after repeated attacks",
				    ctx->client_ip);
		return mode == 2 ? e : PX_OK;
	}
	security_event(ctx, "waf.detect", &v, e);
	return PX_OK;
}
