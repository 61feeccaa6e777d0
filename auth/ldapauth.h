/* ldapauth.h: password checks against an LDAP directory (OpenLDAP's libldap):
 * connect (ldaps://, or ldap:// with StartTLS unless ldap_starttls = off),
 * bind as the service account, find exactly one entry for the name with
 * ldap_user_filter, bind as that entry with the given password, read its
 * username, mail, display name and groups, and map the groups to a
 * PlexiChat role with ldap_group_roles. One connection per check, so
 * nothing is shared between threads; no database access.
 *
 * (Named ldapauth, not ldap: core/ is on the include path, and a
 * core/ldap.h would hide the system's <ldap.h>.) */
#ifndef PX_LDAPAUTH_H
#define PX_LDAPAUTH_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>

struct px_cfg;

#define PX_LDAPAUTH_DN_MAX 512

/* What a successful check found. Strings are NUL-terminated; empty when
 * the entry lacks the attribute. */
struct px_ldapauth_user {
	char dn[PX_LDAPAUTH_DN_MAX];
	char username[64];     /* ldap_username_attr, else the name asked for */
	char email[256];       /* ldap_mail_attr */
	char display_name[256]; /* ldap_name_attr */
	char role[16];         /* from ldap_group_roles or ldap_default_role */
};

/* 1 when LDAP login is configured (ldap_url is not empty). */
int px_ldapauth_enabled(const struct px_cfg *cfg) __attribute__((nonnull));

/* Checks name and password against the directory and fills *u. Never
 * sends an empty password (a simple bind with one is anonymous).
 * *why gets a short word for the audit log (a static string), *diag
 * libldap's text (for the log: never holds a password). Errors:
 *   AUTH_INVALID_CREDENTIALS  no entry ("unknown_user"), more than one
 *                             ("ambiguous"), wrong or empty password
 *                             ("bad_password");
 *   AUTH_LDAP_NO_ROLE         right password, but no group maps to a role
 *                             and ldap_default_role is none ("no_role");
 *   AUTH_LDAP_UNAVAILABLE     server down or slow ("down", "timeout"),
 *                             TLS could not be set up ("tls"), the service
 *                             bind or the search failed ("service_bind",
 *                             "search"), bad settings ("config");
 *   SYSTEM_INTERNAL           out of memory. */
enum px_err px_ldapauth_login(const struct px_cfg *cfg, const char *name, const char *password,
			  struct px_ldapauth_user *u, const char **why, char diag[128])
	__attribute__((warn_unused_result));

/* Appends s to out escaped as an RFC 4515 assertion value: '*', '(',
 * ')', '\\', NUL-free control bytes and DEL as \XX (two hex digits). */
void px_ldapauth_escape(const char *s, struct px_buf *out);
/* Appends tmpl to out with every "%s" replaced by value escaped as
 * above ("%%" gives '%'). -1 when tmpl has no "%s" or out failed. */
int px_ldapauth_filter(const char *tmpl, const char *value, struct px_buf *out)
	__attribute__((warn_unused_result));

/* 1 when two DNs are equal ignoring case and the spaces around ',', '='
 * and '+' ("CN=Staff, OU=Groups" equals "cn=staff,ou=groups"). */
int px_ldapauth_dn_equal(const char *a, const char *b);

/* Maps groups (n DNs) to a role with spec, "DN=role;DN=role" (split at
 * each ';' and each entry at its last '='; blank entries ignored; roles
 * guest, member, moderator, admin). *role gets the highest role (an enum
 * px_role from core/ctx.h) whose DN is among groups, or -1 when none is.
 * Returns -1 when spec is malformed (*role untouched), else 0. */
int px_ldapauth_role_map(const char *spec, const char *const *groups, size_t n, int *role)
	__attribute__((warn_unused_result));

#endif
