/* auth_login.c: POST /api/v1/auth/login: password, throttling with
 * exponential back-off per account and per address (shared through
 * PostgreSQL), the second factor, re-hashing, and the new session.
 * Directory (LDAP) accounts are checked by auth_ldap.c, under the same
 * back-off and second factor. */
#include "handlers/auth.h"
#include "handlers/auth_ldap.h"
#include "handlers/auth_mfa.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "core/log.h"
#include "auth/password.h"
#include "model/auth_limits.h"
#include "model/users.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Verifying against this when the account does not exist costs the same
 * Argon2id time, so response times do not reveal which names exist. */
static const char dummy_phc[] =
	"$argon2id$v=19$m=19456,t=2,p=1$cGxleGljaGF0LWR1bW15AA$"
	"L7FC53lnkSzRPcn1iYx7kFfTRAFdDljTkSEe/qjsxKE";

struct login {
	const char *name, *password, *code, *next;
	int trust;
	char user_key[96], ip_key[80];
	struct px_m_user u;
};

static void throttle_keys(struct px_ctx *ctx, struct login *l)
{
	size_t i;

	snprintf(l->user_key, sizeof(l->user_key), "user:%s", l->name);
	for (i = 5; l->user_key[i]; i++)
		l->user_key[i] = (char)tolower((unsigned char)l->user_key[i]);
	snprintf(l->ip_key, sizeof(l->ip_key), "ip:%s",
		 px_auth_ip(ctx) ? px_auth_ip(ctx) : "-");
}

/* AUTH_LOCKED_OUT while either key is in back-off. */
static enum px_err check_lock(struct px_ctx *ctx, struct login *l)
{
	long w1 = 0, w2 = 0;
	enum px_err e;

	if ((e = px_m_login_wait(ctx->db, l->user_key, &w1)) != PX_OK ||
	    (e = px_m_login_wait(ctx->db, l->ip_key, &w2)) != PX_OK)
		return e;
	if (w1 <= 0 && w2 <= 0)
		return PX_OK;
	px_auth_audit(ctx, "auth.login_locked", 0, l->user_key,
		      w1 > 0 ? "{\"by\":\"account\"}" : "{\"by\":\"address\"}");
	px_auth_retry_after(ctx, w1 > w2 ? w1 : w2);
	return PX_E_AUTH_LOCKED_OUT;
}

/* Counts a failure on both keys, audits it and any lock it starts. */
static void record_failure(struct px_ctx *ctx, struct login *l, const char *why)
{
	long max = (long)px_cfg_int(ctx->cfg, "login_backoff_max"), lock1 = 0, lock2 = 0;
	int n1 = 0, n2 = 0;
	char f[160];

	if (px_m_login_fail(ctx->db, l->user_key,
			    (int)px_cfg_int(ctx->cfg, "login_free_attempts"), 1, max,
			    &n1, &lock1) != PX_OK ||
	    px_m_login_fail(ctx->db, l->ip_key,
			    (int)px_cfg_int(ctx->cfg, "login_ip_free_attempts"), 1, max,
			    &n2, &lock2) != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "login failure not counted");
	snprintf(f, sizeof(f), "{\"reason\":\"%s\",\"failures\":%d,\"address_failures\":%d}",
		 why, n1, n2);
	px_auth_audit(ctx, "auth.login_failed", l->u.id, l->user_key, f);
	if (lock1 > 0 || lock2 > 0) {
		snprintf(f, sizeof(f), "{\"account_lock_s\":%ld,\"address_lock_s\":%ld}",
			 lock1, lock2);
		px_auth_audit(ctx, "auth.lockout", l->u.id, l->user_key, f);
	}
}

static enum px_err read_fields(struct px_ctx *ctx, struct login *l)
{
	enum px_err e;

	if ((e = px_in_str(ctx, "username", 0, 1, 256, &l->name)) != PX_OK ||
	    (e = px_in_str(ctx, "password", 1, 1, 4096, &l->password)) != PX_OK ||
	    (e = px_in_str(ctx, "code", 0, 1, 64, &l->code)) != PX_OK ||
	    (e = px_in_str(ctx, "next", 0, 1, 512, &l->next)) != PX_OK ||
	    (e = px_in_bool(ctx, "trust_device", &l->trust)) != PX_OK)
		return e;
	if (!l->name && (e = px_in_str(ctx, "email", 1, 1, 256, &l->name)) != PX_OK) {
		px_ctx_detail(ctx, "field", "username");
		return e;
	}
	return PX_OK;
}

/* Password (and account) check; errors are already audited. */
static enum px_err check_password(struct px_ctx *ctx, struct login *l)
{
	enum px_err e = px_m_users_find_login(ctx->db, l->name, &l->u), d;
	size_t n = strlen(l->password);
	const char *why = NULL;
	int dir = 0;

	if (e != PX_OK && e != PX_E_VALIDATION_NOT_FOUND)
		return e;
	/* LDAP-sourced accounts and, with LDAP on, unknown names */
	d = px_auth_ldap_login(ctx, l->name, l->password, e == PX_OK, &l->u, &dir, &why);
	if (why)
		record_failure(ctx, l, why);
	if (dir || d != PX_OK)
		return d;
	if (e != PX_OK || !l->u.password_hash[0]) {
		(void)px_password_verify(dummy_phc, l->password, n);
		l->u.id = 0;
		record_failure(ctx, l, e != PX_OK ? "unknown_user" : "no_password");
		return PX_E_AUTH_INVALID_CREDENTIALS;
	}
	if (!px_password_verify(l->u.password_hash, l->password, n)) {
		record_failure(ctx, l, "bad_password");
		return PX_E_AUTH_INVALID_CREDENTIALS;
	}
	if (l->u.deactivated) {
		px_auth_audit_user(ctx, "auth.login_refused_deactivated", l->u.id,
				   l->u.id, NULL);
		return PX_E_AUTH_ACCOUNT_DISABLED;
	}
	return PX_OK;
}

/* Stores a hash with today's parameters when the old one differs. */
static void maybe_rehash(struct px_ctx *ctx, struct login *l)
{
	struct px_buf h = PX_BUF_INIT;

	if (l->u.password_hash[0] && px_password_needs_rehash(l->u.password_hash) &&
	    px_password_hash(l->password, strlen(l->password), &h) == 0 &&
	    px_m_users_set_password_id(ctx->db, l->u.id, h.data) == PX_OK)
		px_auth_audit_user(ctx, "auth.password_rehashed", l->u.id, l->u.id, NULL);
	px_buf_free(&h);
}

enum px_err px_h_auth_login(struct px_ctx *ctx)
{
	struct login l;
	enum px_err e;

	memset(&l, 0, sizeof(l));
	/* Login CSRF: a page elsewhere must not sign the browser in to an
	 * account of its choosing. No CSRF token exists before sign-in, so the
	 * browser's own Origin and Sec-Fetch-Site headers decide; clients
	 * that send neither (JSON API clients) are unaffected. */
	if (px_auth_cross_site(ctx)) {
		px_auth_audit(ctx, "auth.login_cross_site", 0, NULL, NULL);
		px_ctx_detail(ctx, "reason", "cross_site");
		return PX_E_SECURITY_CROSS_SITE;
	}
	if ((e = read_fields(ctx, &l)) != PX_OK)
		return e;
	throttle_keys(ctx, &l);
	if ((e = check_lock(ctx, &l)) != PX_OK ||
	    (e = check_password(ctx, &l)) != PX_OK)
		return e;
	e = px_auth_mfa_login(ctx, &l.u, l.code, l.trust);
	if (e == PX_E_AUTH_MFA_INVALID)
		record_failure(ctx, &l, "bad_code");
	if (e != PX_OK)
		return e;
	if (px_m_login_clear(ctx->db, l.user_key) != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "login failures not cleared");
	maybe_rehash(ctx, &l);
	return px_auth_session_reply(ctx, &l.u, l.next, "password");
}
