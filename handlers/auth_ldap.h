/* auth_ldap.h: password login for accounts whose password lives in an
 * LDAP directory (auth/ldapauth.h does the talking, model/auth_ldap.h
 * records which accounts are LDAP-sourced). */
#ifndef PX_H_AUTH_LDAP_H
#define PX_H_AUTH_LDAP_H

#include "core/ctx.h"

struct px_m_user;

/* Checks name and password against the directory when it applies: LDAP
 * is on, and name is unknown here (found = 0) or found the LDAP-sourced
 * account *u. A local account (found, not LDAP-sourced) is never the
 * directory's: *dir = 0 and PX_OK, and the caller checks the local
 * password. Otherwise *dir = 1 and on PX_OK *u is the account the
 * directory entry belongs to (made at its first login; role and e-mail
 * copied from the directory), active. *why is set (a short word for the
 * audit log) when the failure must count towards the login back-off:
 * AUTH_INVALID_CREDENTIALS. Other errors: AUTH_ACCOUNT_DISABLED (audited),
 * AUTH_LDAP_NO_ROLE, AUTH_LDAP_UNAVAILABLE (logged with libldap's reason),
 * AUTH_LDAP_ACCOUNT_CONFLICT (the entry's username, or a look-alike, is a
 * local account here; audited), SYSTEM_*. */
enum px_err px_auth_ldap_login(struct px_ctx *ctx, const char *name, const char *password,
			       int found, struct px_m_user *u, int *dir, const char **why)
	__attribute__((warn_unused_result));

/* 1 when pw is u's password, for re-authentication (self-deactivation,
 * turning TOTP off): for an LDAP-sourced account a bind to the directory
 * as its entry (found by u's username, and linked to u), else the local
 * hash. 0 otherwise, also when the directory cannot be reached (logged). */
int px_auth_ldap_password_ok(struct px_ctx *ctx, const struct px_m_user *u, const char *pw);

/* AUTH_PASSWORD_MANAGED when account id is LDAP-sourced (its password
 * cannot be set here), PX_OK when it is local, SYSTEM_* on errors. */
enum px_err px_auth_ldap_local_password(struct px_ctx *ctx, long long id)
	__attribute__((warn_unused_result));

#endif
