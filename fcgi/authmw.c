/* authmw.c: authentication, authorisation (through the permission table,
 * plus CSRF and Origin checks) and the shared rate limiter for the
 * pipeline. Policy comes only from the route row. */
#include "fcgi/authmw.h"
#include "fcgi/app.h"
#include "fcgi/events_hub.h"
#include "core/gen.h"
#include "core/metrics.h"
#include "core/vcache.h"
#include "core/ratelease.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "auth/perm.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "handlers/auth_webauthn.h"
#include "model/auth_limits.h"
#include "model/sessions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The token from "Authorization: Bearer X" or the session cookie. */
static const char *find_token(struct px_ctx *ctx, int *via_cookie)
{
	const char *h = px_request_header(ctx->req, "authorization");

	*via_cookie = 0;
	if (h && strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || !h[6])) {
		h += 6;
		h += strspn(h, " ");
		return h;
	}
	*via_cookie = 1;
	return px_request_cookie(ctx->req, px_auth_cookie_name(ctx->req));
}

/* Routes under this prefix act on the channel {id}: the principal's
 * standing there is read with the session, saving the handler's check a
 * round trip (px_hm_gate uses it once). */
#define CHANNEL_ROUTES "/api/v1/channels/{id:int}"

/* A lookup kept for reuse: the token's hash and the channel asked about
 * are checked on the way out, the cache key being only part of them. */
struct kept_auth {
	char hash[65];
	long long channel;
	int is_pat;
	struct px_m_auth a;
};

/* The cache key of a token: the last 64 bits of its hash. */
static long long kept_key(const char *hash)
{
	return (long long)strtoull(hash + 48, NULL, 16);
}

/* Lookups are reused only for GETs (the hot reads: a channel's messages,
 * downloads of its files, avatars), channel routes with the caller's
 * standing in that channel, other routes with the token alone (channel 0);
 * only while the hub hears every change so that none can be missed, and
 * only at the machine's current generation (core/gen.h): any write through
 * this machine, or a notified one from elsewhere, ends them. Sets *gen to
 * the generation to store under, or -1 when the cache is not to be used. */
static int cached(struct px_ctx *ctx, long long channel, const char *hash,
		  int is_pat, struct px_m_auth *a, long long *gen)
{
	struct px_buf out = PX_BUF_INIT;
	struct kept_auth k;
	int hit = 0;

	*gen = -1;
	if (!ctx->app->auth || strcmp(ctx->req->method, "GET") != 0)
		return 0;
	if (!px_hub_hearing()) {
		/* the hub listens from its first start on */
		if (px_hub_ensure(ctx) != PX_OK)
			px_log_warn("auth", ctx->req->correlation_id, "event hub not started");
		return 0;
	}
	*gen = px_gen_now();
	if (*gen < 0)
		return 0;
	if (px_vcache_get(ctx->app->auth, kept_key(hash), (int)channel, *gen, &out) == 1 &&
	    out.len == sizeof(k)) {
		memcpy(&k, out.data, sizeof(k));
		hit = k.channel == channel && k.is_pat == is_pat && !strcmp(k.hash, hash);
		if (hit)
			*a = k.a;
	}
	px_buf_free(&out);
	px_metrics_count(hit ? "px_auth_cache_hits_total" : "px_auth_cache_misses_total",
			 NULL, 1);
	return hit;
}

static void keep(struct px_ctx *ctx, long long channel, const char *hash,
		 int is_pat, const struct px_m_auth *a, long long gen)
{
	struct kept_auth k;

	if (gen < 0 || a->deactivated || a->expired)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.hash, hash, sizeof(k.hash));
	k.channel = channel;
	k.is_pat = is_pat;
	k.a = *a;
	k.a.stale = 0; /* recorded by this request */
	px_vcache_put(ctx->app->auth, kept_key(hash), (int)channel, gen, &k, sizeof(k));
}

static enum px_err lookup(struct px_ctx *ctx, const struct px_route *r,
			  const char *token, struct px_m_auth *a, int *is_pat)
{
	long long channel = 0, gen;
	char hash[65];
	enum px_err e;

	if (strncmp(r->pattern, CHANNEL_ROUTES, strlen(CHANNEL_ROUTES)) == 0)
		channel = px_path_int(&ctx->path, "id");

	*is_pat = strncmp(token, "pxp_", 4) == 0;
	if (!*is_pat && strncmp(token, "pxs_", 4) != 0)
		return PX_E_VALIDATION_NOT_FOUND;
	px_crypto_sha256_hex(token, strlen(token), hash);
	if (cached(ctx, channel, hash, *is_pat, a, &gen))
		return PX_OK;
	if (*is_pat)
		e = px_m_tokens_lookup(ctx->db, hash, channel, a);
	else
		e = px_m_sessions_lookup(ctx->db, hash,
					 px_cfg_int(ctx->cfg, "session_idle_timeout"),
					 channel, a);
	if (e == PX_OK)
		keep(ctx, channel, hash, *is_pat, a, gen);
	return e;
}

/* Maps a failed lookup to its error and audits refusals that matter. */
static enum px_err refuse(struct px_ctx *ctx, const struct px_m_auth *a,
			  enum px_err found, int via_cookie, int is_pat)
{
	if (found == PX_E_VALIDATION_NOT_FOUND)
		return via_cookie ? PX_E_AUTH_SESSION_EXPIRED : PX_E_AUTH_TOKEN_INVALID;
	if (found != PX_OK)
		return found;
	if (a->deactivated) {
		px_auth_audit_user(ctx, "auth.refused_deactivated", a->user_id,
				   a->user_id, is_pat ? "{\"via\":\"token\"}"
						      : "{\"via\":\"session\"}");
		return PX_E_AUTH_ACCOUNT_DISABLED;
	}
	if (a->expired)
		return is_pat || !via_cookie ? PX_E_AUTH_TOKEN_INVALID
					     : PX_E_AUTH_SESSION_EXPIRED;
	return PX_OK;
}

static void fill_principal(struct px_ctx *ctx, const struct px_m_auth *a,
			   int via_cookie, int is_pat)
{
	int role = px_perm_role_parse(a->role);

	ctx->who.user_id = a->user_id;
	ctx->who.role = role < 0 ? PX_ROLE_GUEST : (enum px_role)role;
	snprintf(ctx->who.username, sizeof(ctx->who.username), "%s", a->username);
	ctx->who.session_id = is_pat ? 0 : a->session_id;
	ctx->who.via_cookie = via_cookie;
	/* re-checked on every use: a token keeps only the scopes its owner's
	 * role allows now (an admin-scope token of a demoted admin, or one
	 * minted before minting checked, cannot reach admin routes) */
	ctx->who.scopes = is_pat ? a->scopes & px_auth_role_scopes(ctx->who.role)
				 : PX_SCOPE_ALL;
	ctx->chan = a->chan;
	ctx->chan.sys = ctx->who.role;
}

enum px_err px_authmw_authenticate(struct px_ctx *ctx, const struct px_route *r)
{
	struct px_m_auth a;
	const char *token;
	int via_cookie, is_pat = 0;
	enum px_err e;

	memset(&ctx->who, 0, sizeof(ctx->who));
	memset(&ctx->chan, 0, sizeof(ctx->chan));
	ctx->who.role = PX_ROLE_ANON;
	token = find_token(ctx, &via_cookie);
	if (!token || !*token)
		return via_cookie ? PX_OK : PX_E_AUTH_TOKEN_INVALID;
	e = refuse(ctx, &a, lookup(ctx, r, token, &a, &is_pat), via_cookie, is_pat);
	if (e != PX_OK) {
		/* a stale cookie must not block pages anyone may see */
		if (via_cookie && r->auth == PX_AUTH_NONE &&
		    e != PX_E_SYSTEM_DB_UNAVAILABLE)
			return PX_OK;
		return e;
	}
	fill_principal(ctx, &a, via_cookie, is_pat);
	/* last use is written at most once a minute, keeping reads cheap */
	if (a.stale && (is_pat ? px_m_tokens_touch(ctx->db, a.session_id)
			       : px_m_sessions_touch(ctx->db, a.session_id,
						     px_auth_ip(ctx))) != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "last use not recorded");
	return PX_OK;
}

static enum px_err check_csrf(struct px_ctx *ctx)
{
	if (!ctx->who.via_cookie || ctx->who.user_id == 0 ||
	    px_http_method_safe(ctx->req->method))
		return PX_OK;
	if (!px_auth_origin_ok(ctx)) {
		px_ctx_detail(ctx, "reason", "origin");
		return PX_E_AUTH_CSRF_FAILED;
	}
	if (!px_auth_csrf_valid(ctx)) {
		px_ctx_detail(ctx, "reason", "token");
		return PX_E_AUTH_CSRF_FAILED;
	}
	return PX_OK;
}

/* The route's role rule: its permission-table action, else min_role. */
static int role_ok(const struct px_ctx *ctx, const struct px_route *r)
{
	if (r->action)
		return px_perm_principal_allowed(&ctx->who, r->action);
	return ctx->who.role >= r->min_role;
}

enum px_err px_authmw_authorise(struct px_ctx *ctx, const struct px_route *r)
{
	enum px_err e;

	switch (r->auth) {
	case PX_AUTH_NONE:
		break;
	case PX_AUTH_ADMIN_OR_LOOPBACK:
		if (ctx->loopback && px_cfg_bool(ctx->cfg, "metrics_loopback"))
			break;
		/* fall through */
	case PX_AUTH_USER:
		if (ctx->who.user_id == 0)
			return PX_E_AUTH_REQUIRED;
		if (!role_ok(ctx, r))
			return PX_E_AUTH_FORBIDDEN;
		/* mfa_required: an account without a second factor may only
		 * reach its own security settings until it enrols one */
		if ((e = px_auth_mfa_gate(ctx, r->action)) != PX_OK)
			return e;
		break;
	default:
		return PX_E_AUTH_FORBIDDEN;
	}
	return check_csrf(ctx);
}

/* Finds "class=burst:per_minute" for cls (or "default") in the config. */
static int bucket_params(const char *spec, const char *cls, double *burst,
			 double *per_sec)
{
	const char *p = spec;
	size_t n = strlen(cls);
	double b, m;

	while (p && *p) {
		p += strspn(p, ", ");
		if (strncmp(p, cls, n) == 0 && p[n] == '=' &&
		    sscanf(p + n + 1, "%lf:%lf", &b, &m) == 2 && b >= 1 && m > 0) {
			*burst = b;
			*per_sec = m / 60.0;
			return 0;
		}
		p = strchr(p, ',');
	}
	return strcmp(cls, "default") == 0 ? -1
					   : bucket_params(spec, "default", burst, per_sec);
}

/* Tokens one process takes at a time: a tenth of the burst, so a client
 * costs a database round trip about once every burst/10 requests while
 * the shared bucket still holds the limit across processes and nodes. */
static int lease_size(double burst)
{
	int n = (int)(burst / 10);

	return n < 1 ? 1 : n > 100 ? 100 : n;
}

enum px_err px_authmw_rate_limit(struct px_ctx *ctx, const struct px_route *r)
{
	const char *cls = r->rate_class ? r->rate_class : "default";
	double burst, per_sec, left = 0;
	char client[96], key[128];
	unsigned char dice;
	int granted = 0, want, refund;
	long wait;
	time_t now = time(NULL);
	enum px_err e;

	/* class "none": health checks and the like must answer under any load */
	if (!px_cfg_bool(ctx->cfg, "rate_limit") || strcmp(cls, "none") == 0 ||
	    bucket_params(px_cfg_str(ctx->cfg, "rate_limits"), cls, &burst, &per_sec) != 0)
		return PX_OK;
	if (ctx->who.user_id)
		snprintf(client, sizeof(client), "user:%lld", ctx->who.user_id);
	else
		snprintf(client, sizeof(client), "ip:%s",
			 px_auth_ip(ctx) ? px_auth_ip(ctx) : "-");
	/* tokens leased earlier by this process are spent without a round trip */
	snprintf(key, sizeof(key), "%s|%s", cls, client);
	switch (px_ratelease_take(ctx->app->rl, key, now)) {
	case 1:
		return PX_OK;
	case -1: /* refused a moment ago: refusing again costs no round trip */
		px_auth_retry_after(ctx, 1);
		return PX_E_SECURITY_RATE_LIMITED;
	}
	want = px_ratelease_plan(ctx->app->rl, key, now, lease_size(burst), &refund);
	e = px_m_rate_take(ctx->db, cls, client, burst, per_sec, want, refund, &granted, &left);
	if (e != PX_OK)
		return e;
	if (granted > 1)
		px_ratelease_put(ctx->app->rl, key, granted - 1, now,
				 now + PX_RATELEASE_SECONDS);
	else if (granted == 1)
		px_ratelease_note(ctx->app->rl, key, now);
	/* about one request in 256 sweeps out idle buckets */
	if (px_crypto_random(&dice, 1) == 0 && dice == 0 &&
	    px_m_rate_prune(ctx->db) != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "rate buckets not pruned");
	if (granted > 0)
		return PX_OK;
	wait = (long)ceil((1.0 - left) / per_sec);
	px_ratelease_put(ctx->app->rl, key, 0, now, now + (wait < 1 ? 1 : wait));
	px_auth_retry_after(ctx, wait);
	return PX_E_SECURITY_RATE_LIMITED;
}

void px_authmw_error_headers(struct px_ctx *ctx, enum px_err e)
{
	char v[24];
	long s;

	if (e != PX_E_SECURITY_RATE_LIMITED && e != PX_E_AUTH_LOCKED_OUT)
		return;
	if ((s = px_auth_retry_after_get(ctx)) > 0) {
		snprintf(v, sizeof(v), "%ld", s);
		px_response_header(ctx->resp, "Retry-After", v);
	}
}
