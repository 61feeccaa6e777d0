/* auth_ldap.c: password login of LDAP-sourced accounts, called from
 * auth_login.c: which names the directory answers for, the account made
 * at a first login, the role and e-mail copied at every login, and
 * password re-checks for them.
 * Invariant: an account without an ldap_accounts row is never checked
 * against (or taken over through) the directory. */
#include "handlers/auth_ldap.h"
#include "handlers/auth_util.h"
#include "auth/ident.h"
#include "auth/ldapauth.h"
#include "core/log.h"
#include "auth/password.h"
#include "model/auth_ldap.h"
#include "model/users.h"

#include <stdio.h>
#include <string.h>

/* Asks the directory; logs what an operator needs and maps the reason of
 * a counted failure to the audit word. */
static enum px_err ask(struct px_ctx *ctx, const char *name, const char *password,
		       struct px_ldapauth_user *lu, const char **why)
{
	const char *w = NULL;
	char diag[128];
	enum px_err e = px_ldapauth_login(ctx->cfg, name, password, lu, &w, diag);

	if (e == PX_E_AUTH_INVALID_CREDENTIALS) {
		if (w && strcmp(w, "ambiguous") == 0)
			px_log_warn("auth", ctx->req->correlation_id,
				    "ldap: ldap_user_filter matches several entries");
		*why = !w || strcmp(w, "bad_password") == 0 ? "ldap_bad_password"
		       : strcmp(w, "unknown_user") == 0     ? "ldap_unknown_user"
							    : "ldap_ambiguous";
	} else if (e == PX_E_AUTH_LDAP_NO_ROLE) {
		px_auth_audit(ctx, "auth.ldap_no_role", 0, lu->dn, NULL);
	} else if (e != PX_OK) {
		px_log_warn("auth", ctx->req->correlation_id, "ldap: %s: %s", w ? w : "error",
			    diag);
		px_ctx_detail(ctx, "reason", w ? w : "error");
	}
	return e;
}

/* Refuses to make an account whose name is taken here (or unusable). */
static enum px_err conflict(struct px_ctx *ctx, const struct px_ldapauth_user *lu,
			    const char *reason)
{
	char f[80];

	snprintf(f, sizeof(f), "{\"reason\":\"%s\"}", reason);
	px_auth_audit(ctx, "auth.ldap_account_conflict", 0, lu->dn, f);
	px_ctx_detail(ctx, "reason", reason);
	return PX_E_AUTH_LDAP_ACCOUNT_CONFLICT;
}

/* Makes the account of a directory entry at its first login: its
 * username, display name and e-mail (left out when another account has
 * it), the mapped role, no local password. */
static enum px_err provision(struct px_ctx *ctx, const struct px_ldapauth_user *lu,
			     long long *id)
{
	const char *email = lu->email[0] && px_ident_email(lu->email) == PX_OK ? lu->email : NULL;
	const char *reason = "", *which = NULL;
	struct px_buf skel = PX_BUF_INIT;
	struct px_m_user_new n;
	char f[64];
	enum px_err e;

	if (px_ident_username(lu->username, &skel, &reason) != PX_OK ||
	    px_ident_reserved(lu->username)) {
		e = conflict(ctx, lu, "username_unusable");
		goto out;
	}
	if ((e = px_m_users_clash(ctx->db, lu->username, skel.data, email, 0, &which)) != PX_OK)
		goto out;
	if (which && strcmp(which, "email") == 0)
		email = NULL;
	else if (which) {
		e = conflict(ctx, lu, "username_taken");
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.username = lu->username;
	n.skeleton = skel.data;
	n.email = email;
	n.display_name = lu->display_name[0] && px_ident_display_name(lu->display_name) == PX_OK
				 ? lu->display_name
				 : lu->username;
	n.role = lu->role;
	n.email_verified = email != NULL;
	e = px_m_ldap_create(ctx->db, &n, lu->dn, id);
	if (e == PX_E_VALIDATION_CONFLICT)
		e = conflict(ctx, lu, "username_taken");
	if (e != PX_OK)
		goto out;
	snprintf(f, sizeof(f), "{\"via\":\"ldap\",\"role\":\"%s\"}", lu->role);
	px_auth_audit_user(ctx, "auth.register", *id, *id, f);
out:
	px_buf_free(&skel);
	return e;
}

/* Copies DN, role and e-mail from the directory; an owner stays owner
 * (the directory cannot grant that role, nor take it). Reloads *u. */
static enum px_err sync(struct px_ctx *ctx, struct px_m_user *u, const struct px_ldapauth_user *lu)
{
	const char *role = strcmp(u->role, "owner") == 0 ? u->role : lu->role;
	const char *email = lu->email[0] && px_ident_email(lu->email) == PX_OK ? lu->email : NULL;
	enum px_err e;

	if ((e = px_m_ldap_sync(ctx->db, u->id, lu->dn, role, email)) != PX_OK)
		return e;
	if (strcmp(u->role, role) != 0) {
		char f[96];

		snprintf(f, sizeof(f), "{\"from\":\"%s\",\"to\":\"%s\",\"via\":\"ldap\"}", u->role,
			 role);
		px_auth_audit_user(ctx, "auth.role_changed", 0, u->id, f);
	}
	return px_m_users_get(ctx->db, u->id, u);
}

enum px_err px_auth_ldap_login(struct px_ctx *ctx, const char *name, const char *password,
			       int found, struct px_m_user *u, int *dir, const char **why)
{
	struct px_ldapauth_user lu;
	long long id = 0;
	int linked = 0;
	enum px_err e;

	*dir = 0;
	*why = NULL;
	if (!px_ldapauth_enabled(ctx->cfg))
		return PX_OK;
	if (found && (e = px_m_ldap_linked(ctx->db, u->id, &linked)) != PX_OK)
		return e;
	if (found && !linked)
		return PX_OK; /* a local account: its own password decides */
	*dir = 1;
	if ((e = ask(ctx, name, password, &lu, why)) != PX_OK ||
	    (e = px_m_ldap_find_dn(ctx->db, lu.dn, &id)) != PX_OK)
		return e;
	/* the entry's account; when none has its DN but the name found an
	 * LDAP-sourced account, the entry moved and that account follows */
	if (!id && found)
		id = u->id;
	if (!id && (e = provision(ctx, &lu, &id)) != PX_OK)
		return e;
	if ((e = px_m_users_get(ctx->db, id, u)) != PX_OK)
		return e;
	if (u->deactivated) {
		px_auth_audit_user(ctx, "auth.login_refused_deactivated", u->id, u->id,
				   "{\"via\":\"ldap\"}");
		return PX_E_AUTH_ACCOUNT_DISABLED;
	}
	return sync(ctx, u, &lu);
}

int px_auth_ldap_password_ok(struct px_ctx *ctx, const struct px_m_user *u, const char *pw)
{
	struct px_ldapauth_user lu;
	const char *why = NULL;
	long long id = 0;
	int linked = 0;

	if (px_m_ldap_linked(ctx->db, u->id, &linked) != PX_OK)
		return 0;
	if (!linked)
		return px_password_verify(u->password_hash, pw, strlen(pw));
	return px_ldapauth_enabled(ctx->cfg) && ask(ctx, u->username, pw, &lu, &why) == PX_OK &&
	       px_m_ldap_find_dn(ctx->db, lu.dn, &id) == PX_OK && id == u->id;
}

enum px_err px_auth_ldap_local_password(struct px_ctx *ctx, long long id)
{
	int linked = 0;
	enum px_err e = px_m_ldap_linked(ctx->db, id, &linked);

	if (e != PX_OK)
		return e;
	return linked ? PX_E_AUTH_PASSWORD_MANAGED : PX_OK;
}
