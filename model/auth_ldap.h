/* model/auth_ldap.h: SQL for LDAP-sourced accounts (table ldap_accounts:
 * one row per account whose password the directory checks). */
#ifndef PX_M_AUTH_LDAP_H
#define PX_M_AUTH_LDAP_H

#include "core/db.h"
#include "model/users.h"

/* *linked = 1 when account id is LDAP-sourced, else 0. */
enum px_err px_m_ldap_linked(struct px_db *db, long long id, int *linked)
	__attribute__((nonnull(1), warn_unused_result));
/* The LDAP-sourced account with this DN (compared case-insensitively):
 * *id, 0 when none. */
enum px_err px_m_ldap_find_dn(struct px_db *db, const char *dn, long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* Creates the account n (its password_hash must be NULL) and marks it
 * LDAP-sourced with dn, in one transaction; *id gets its id.
 * VALIDATION_CONFLICT when the username, its look-alike key, the e-mail
 * or the DN is taken. */
enum px_err px_m_ldap_create(struct px_db *db, const struct px_m_user_new *n,
			     const char *dn, long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* Copies what the directory says at a login: dn, role, and e-mail (NULL
 * or "" keeps the old one; so does an address another account holds). */
enum px_err px_m_ldap_sync(struct px_db *db, long long id, const char *dn,
			   const char *role, const char *email)
	__attribute__((nonnull(1), warn_unused_result));

#endif
