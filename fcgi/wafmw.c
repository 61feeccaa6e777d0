/* wafmw.c: runs the WAF first on every request and records its decisions.
 * IP reputation merges the config lists with the shared ones in the
 * database (admin ranges, feeds, automatic blocks of every node), which
 * each process re-reads between requests every waf_db_refresh seconds. */
#include "fcgi/wafmw.h"
#include "core/audit.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/safefetch.h"
#include "core/snap.h"
#include "waf/waf.h"
#include "waf/waf_ip.h"
#include "waf/waf_magic.h"
#include "model/waf.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* How long a block lasts, on this node and in the shared table. */
#define BLOCK_SECONDS 600

/* The config-derived lists, immutable once built. */
struct lists {
	struct px_waf_ip_list *allow, *deny, *trusted;
	int mode;       /* 0 off, 1 detect, 2 block */
	int auto_block; /* waf_auto_block */
	int refresh_s;  /* waf_db_refresh */
};

/* The ranges of the shared table, immutable once built. */
struct dblists {
	struct px_waf_ip_list *allow, *deny;
};

/* State of the database refresh, guarded by refresh_lock. */
struct refresh {
	struct px_db *db;        /* own connection for refreshes between requests */
	long long list_v, block_v; /* versions loaded; -1: none yet */
	_Atomic time_t last_try; /* also read without the lock, by every worker */
	int failing;             /* the last refresh failed (logged once) */
};

struct px_wafmw {
	struct px_snap *rules;  /* struct px_waf */
	struct px_snap *lists;  /* struct lists */
	struct px_snap *dblists; /* struct dblists, or NULL before the first load */
	struct px_snap *dbblocks; /* struct px_waf_ip_blocks, or NULL */
	struct px_waf_autoblock *autoblock;
	pthread_mutex_t lock;   /* guards rules_path */
	char *rules_path;
	long long bad_mtime;
	pthread_mutex_t refresh_lock;
	struct refresh rf;
};

static void waf_free(void *p)
{
	px_waf_free(p);
}

static void dblists_free(void *p)
{
	struct dblists *d = p;

	px_waf_ip_list_free(d->allow);
	px_waf_ip_list_free(d->deny);
	free(d);
}

static void blocks_free(void *p)
{
	px_waf_ip_blocks_free(p);
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
	l->auto_block = px_cfg_bool(cfg, "waf_auto_block");
	l->refresh_s = (int)px_cfg_int(cfg, "waf_db_refresh");
	if (!l->allow || !l->deny || !l->trusted) {
		lists_free(l);
		return NULL;
	}
	return l;
}

struct px_wafmw *px_wafmw_new(const struct px_cfg *cfg, struct px_buf *err)
{
	static const struct px_waf_autoblock_cfg ab_cfg = {
		1, 100, 60, BLOCK_SECONDS, 4096,
	};
	struct px_wafmw *w = calloc(1, sizeof(*w));
	struct px_buf conninfo = PX_BUF_INIT;
	struct px_waf *waf = NULL;
	struct lists *l = NULL;

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->refresh_lock, NULL);
	w->rf.list_v = w->rf.block_v = -1;
	px_db_conninfo(px_cfg_str(cfg, "db_conninfo"), px_cfg_str(cfg, "db_password"),
		       &conninfo);
	w->rf.db = conninfo.failed ? NULL : px_db_new(conninfo.data ? conninfo.data : "");
	px_buf_free(&conninfo);
	w->dblists = px_snap_new(NULL, dblists_free);
	w->dbblocks = px_snap_new(NULL, blocks_free);
	if (!w->rf.db || !w->dblists || !w->dbblocks)
		goto fail;
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
	/* libmagic's database (about 6 MiB once touched) is loaded by the first
	 * upload a process judges, not at start, so idle processes stay small */
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
	px_snap_free(w->dblists);
	px_snap_free(w->dbblocks);
	px_waf_autoblock_free(w->autoblock);
	px_db_free(w->rf.db);
	px_waf_magic_cleanup();
	free(w->rules_path);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->refresh_lock);
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

/* --- the shared lists and blocks ------------------------------------------ */

static void add_range(const char *list, const char *cidr, void *arg)
{
	struct dblists *d = arg;

	/* the column is typed cidr, so every value parses */
	(void)px_waf_ip_list_add(strcmp(list, "allow") == 0 ? d->allow : d->deny, cidr,
				 strlen(cidr));
}

static enum px_err load_lists(struct px_wafmw *w, struct px_db *db)
{
	struct dblists *d = calloc(1, sizeof(*d));
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (!d || !(d->allow = px_waf_ip_list_new()) || !(d->deny = px_waf_ip_list_new()))
		goto out;
	if ((e = px_m_waf_ip_all(db, add_range, d)) != PX_OK)
		goto out;
	px_waf_ip_list_finish(d->allow);
	px_waf_ip_list_finish(d->deny);
	e = PX_E_SYSTEM_INTERNAL;
	if (px_snap_swap(w->dblists, d) != 0)
		goto out;
	d = NULL;
	e = PX_OK;
out:
	if (d)
		dblists_free(d);
	return e;
}

static void add_block(const char *ip, time_t until, const char *reason, void *arg)
{
	(void)reason;
	(void)px_waf_ip_blocks_add(arg, ip, until);
}

/* A block that left the table before its end was lifted by an admin: lift
 * it here too, in case this process started it. */
static void lift_vanished(struct px_wafmw *w, const struct px_waf_ip_blocks *old,
			  const struct px_waf_ip_blocks *cur, time_t now)
{
	char addr[64];
	time_t until;
	size_t i;

	for (i = 0; px_waf_ip_blocks_get(old, i, addr, sizeof(addr), &until) == 0; i++)
		if (until > now && !px_waf_ip_blocks_find(cur, addr, now, NULL))
			px_waf_autoblock_clear(w->autoblock, addr);
}

static enum px_err load_blocks(struct px_wafmw *w, struct px_db *db, time_t now)
{
	struct px_waf_ip_blocks *b = px_waf_ip_blocks_new();
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (!b)
		goto out;
	if ((e = px_m_waf_blocks_active(db, add_block, b)) != PX_OK)
		goto out;
	px_waf_ip_blocks_finish(b);
	/* only the refresher (holding refresh_lock) swaps, so peeking is safe */
	lift_vanished(w, px_snap_peek(w->dbblocks), b, now);
	e = PX_E_SYSTEM_INTERNAL;
	if (px_snap_swap(w->dbblocks, b) != 0)
		goto out;
	b = NULL;
	e = PX_OK;
out:
	px_waf_ip_blocks_free(b);
	return e;
}

/* Reloads what changed since the last load; called with refresh_lock. */
static void refresh(struct px_wafmw *w, struct px_db *db, time_t now)
{
	long long lv = 0, bv = 0;
	enum px_err e;

	atomic_store_explicit(&w->rf.last_try, now, memory_order_relaxed);
	e = px_m_waf_versions(db, &lv, &bv);
	if (e == PX_OK && lv != w->rf.list_v && (e = load_lists(w, db)) == PX_OK)
		w->rf.list_v = lv;
	if (e == PX_OK && bv != w->rf.block_v && (e = load_blocks(w, db, now)) == PX_OK)
		w->rf.block_v = bv;
	if (e != PX_OK && !w->rf.failing)
		px_log_warn("waf", NULL, "shared IP lists not refreshed (%s); keeping the last ones loaded",
			    px_err_name(e));
	else if (e == PX_OK && w->rf.failing)
		px_log_info("waf", NULL, "shared IP lists refreshed again");
	w->rf.failing = e != PX_OK;
}

/* Refreshes when the last attempt is older than `age` seconds. With wait,
 * queues behind a refresh in progress; without, leaves it to whoever is
 * refreshing and goes on with the lists it has. */
static void refresh_if_older(struct px_wafmw *w, struct px_db *db, int age, int wait)
{
	time_t now = time(NULL);

	/* relaxed: a stale value costs one extra look, the lock orders the rest */
	if (now - atomic_load_explicit(&w->rf.last_try, memory_order_relaxed) < age)
		return;
	if (wait)
		pthread_mutex_lock(&w->refresh_lock);
	else if (pthread_mutex_trylock(&w->refresh_lock) != 0)
		return;
	if (now - atomic_load_explicit(&w->rf.last_try, memory_order_relaxed) >= age)
		refresh(w, db, now);
	pthread_mutex_unlock(&w->refresh_lock);
}

static int refresh_every(struct px_wafmw *w)
{
	struct px_snap_ref *ref;
	const struct lists *l = px_snap_acquire(w->lists, &ref);
	int every = l->refresh_s;

	px_snap_release(w->lists, ref);
	return every;
}

void px_wafmw_invalidate(struct px_wafmw *w)
{
	atomic_store_explicit(&w->rf.last_try, 0, memory_order_relaxed);
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
	refresh_if_older(w, w->rf.db, refresh_every(w), 0);
}

/* One security event: a log line and an audit row. */
static void security_event(struct px_ctx *ctx, const char *action,
			   const struct px_waf_verdict *v, enum px_err e, const char *extra)
{
	struct px_buf f = PX_BUF_INIT;
	struct px_audit_event ev = { 0 };
	char labels[64];

	if (v)
		px_waf_verdict_json(v, &f);
	else
		px_buf_printf(&f, "{\"code\":\"%s\"%s%s}", px_err_name(e), extra ? "," : "",
			      extra ? extra : "");
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

/* Why addr is refused, as JSON members for the event, or NULL. */
static const char *refusal(struct px_wafmw *w, const struct lists *l,
			   const struct dblists *d, const char *addr)
{
	struct px_snap_ref *ref;
	const struct px_waf_ip_blocks *b;
	time_t now = time(NULL);
	int blocked;

	if (px_waf_ip_list_contains(l->deny, addr))
		return "\"reason\":\"deny\",\"list\":\"config\"";
	if (d && px_waf_ip_list_contains(d->deny, addr))
		return "\"reason\":\"deny\",\"list\":\"shared\"";
	if (!l->auto_block)
		return NULL; /* automatic blocks off: existing ones are ignored too */
	if (px_waf_autoblock_blocked(w->autoblock, addr, now, NULL))
		return "\"reason\":\"auto_block\",\"list\":\"local\"";
	b = px_snap_acquire(w->dbblocks, &ref);
	blocked = px_waf_ip_blocks_find(b, addr, now, NULL);
	px_snap_release(w->dbblocks, ref);
	return blocked ? "\"reason\":\"auto_block\",\"list\":\"shared\"" : NULL;
}

enum px_err px_wafmw_client(struct px_wafmw *w, struct px_ctx *ctx)
{
	struct px_snap_ref *ref, *dref = NULL;
	const struct lists *l = px_snap_acquire(w->lists, &ref);
	const struct dblists *d = NULL;
	const char *addr = ctx->req->remote_addr ? ctx->req->remote_addr : "";
	const char *why;
	enum px_err e = PX_OK;

	if (px_waf_ip_client(addr, px_request_header(ctx->req, "x-forwarded-for"),
			     l->trusted, ctx->client_ip, sizeof(ctx->client_ip)) != 0)
		snprintf(ctx->client_ip, sizeof(ctx->client_ip), "%s", addr);
	if (l->mode == 0)
		goto out;
	/* an idle process has not refreshed between requests: do it now, so
	 * no request is judged on lists older than a few seconds; only a
	 * process that never loaded them makes its requests wait */
	if (ctx->db) {
		time_t last = atomic_load_explicit(&w->rf.last_try, memory_order_relaxed);

		refresh_if_older(w, ctx->db, l->refresh_s + 2, last == 0);
	}
	d = px_snap_acquire(w->dblists, &dref);
	if (px_waf_ip_list_contains(l->allow, ctx->client_ip) ||
	    (d && px_waf_ip_list_contains(d->allow, ctx->client_ip)))
		goto out;
	why = refusal(w, l, d, ctx->client_ip);
	if (why) {
		e = PX_E_SECURITY_IP_BLOCKED;
		security_event(ctx, "waf.ip_blocked", NULL, e, why);
		if (l->mode == 1)
			e = PX_OK;
	}
out:
	if (dref)
		px_snap_release(w->dblists, dref);
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
	security_event(ctx, "waf.body_too_large", NULL, PX_E_SECURITY_REQUEST_BLOCKED, NULL);
	return mode == 2 ? PX_E_SECURITY_REQUEST_BLOCKED : PX_OK;
}

/* This process just started blocking the client: share the block with
 * every process and node through the table. */
static void start_block(struct px_wafmw *w, struct px_ctx *ctx)
{
	char extra[64];
	enum px_err e;

	px_log_warn("waf", ctx->req->correlation_id,
		    "client %s blocked for %d s after repeated attacks", ctx->client_ip,
		    BLOCK_SECONDS);
	snprintf(extra, sizeof(extra), "\"reason\":\"auto_block\",\"seconds\":%d",
		 BLOCK_SECONDS);
	security_event(ctx, "waf.auto_block", NULL, PX_E_SECURITY_IP_BLOCKED, extra);
	e = ctx->db ? px_m_waf_block_add(ctx->db, ctx->client_ip, BLOCK_SECONDS,
					 "repeated attacks")
		    : PX_E_SYSTEM_DB_UNAVAILABLE;
	if (e != PX_OK)
		px_log_error("waf", ctx->req->correlation_id,
			     "block of %s not shared with other nodes: %s", ctx->client_ip,
			     px_err_name(e));
	px_wafmw_invalidate(w);
}

/* 1 when the request's URLs are all inside the administrator's
 * outbound_allow_private: a URL the WAF's SSRF detector refuses by its
 * text alone (a private literal) is one the fetcher (core/safefetch) was
 * told it may reach, so an SSRF-only verdict does not stand. Each URL must
 * pass the fetcher's own check now; it is checked again at every fetch. */
static int urls_admin_allowed(const struct px_ctx *ctx)
{
	const char *allow = px_cfg_str(ctx->cfg, "outbound_allow_private");
	struct json_object_iterator it, end;
	int seen = 0;

	if (!*allow || !ctx->req->json || !json_object_is_type(ctx->req->json, json_type_object))
		return 0;
	it = json_object_iter_begin(ctx->req->json);
	end = json_object_iter_end(ctx->req->json);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		struct json_object *v = json_object_iter_peek_value(&it);
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) ||
		    (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0))
			continue;
		if (px_sf_check_url(s, allow, NULL, NULL, NULL, 0) != PX_SF_DONE)
			return 0;
		seen = 1;
	}
	return seen;
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
	/* the verdict points into the rules (its profile's name): they are
	 * held until it has been logged, or a reload could free them first */
	waf = px_snap_acquire(w->rules, &ref);
	memset(&v, 0, sizeof(v));
	e = px_waf_inspect(waf, ctx->req, profile, &v);
	if (e == PX_E_SECURITY_SSRF_BLOCKED && urls_admin_allowed(ctx))
		e = PX_OK;    /* logged as a detection, not scored for blocking */
	if (v.action != PX_WAF_ALLOW)
		security_event(ctx, e != PX_OK && mode == 2 ? "waf.block" : "waf.detect", &v, e,
			       NULL);
	px_snap_release(w->rules, ref);
	if (v.action == PX_WAF_ALLOW)
		return PX_OK;
	if (e != PX_OK) {
		if (px_waf_autoblock_record(w->autoblock, ctx->client_ip, v.score, time(NULL)))
			start_block(w, ctx);
		return mode == 2 ? e : PX_OK;
	}
	return PX_OK;
}
