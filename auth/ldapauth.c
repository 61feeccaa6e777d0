/* ldapauth.c: LDAP password checks (ldapauth.h). Each check opens its own
 * connection and closes it on its one way out; every value put into a
 * filter is escaped (RFC 4515); TLS is in place before the first bind
 * unless ldap_starttls = off; a password is never empty and never leaves
 * this file except on the bind. */
#include "auth/ldapauth.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/ctx.h"
#include "auth/perm.h"

#include <ldap.h>

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define MAX_GROUPS 256
#define DN_NORM_MAX 1024

/* One check: the connection, the account being filled, the groups seen
 * (owned copies) and why it failed. */
struct check {
	const struct px_cfg *cfg;
	LDAP *ld;
	struct px_ldapauth_user *u;
	char *groups[MAX_GROUPS];
	size_t ngroups;
	const char *why;
	char *diag;
};

int px_ldapauth_enabled(const struct px_cfg *cfg)
{
	return px_cfg_str(cfg, "ldap_url")[0] != '\0';
}

void px_ldapauth_escape(const char *s, struct px_buf *out)
{
	assert(s && out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '*' || ch == '(' || ch == ')' || ch == '\\' || ch < 0x20 || ch == 0x7f) {
			px_buf_putc(out, '\\');
			px_codec_hex_encode(out, &ch, 1);
		} else {
			px_buf_putc(out, (char)ch);
		}
	}
}

int px_ldapauth_filter(const char *tmpl, const char *value, struct px_buf *out)
{
	int subs = 0;

	assert(tmpl && value && out);
	for (; *tmpl; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			px_ldapauth_escape(value, out);
			subs++;
			tmpl++;
		} else if (tmpl[0] == '%' && tmpl[1] == '%') {
			px_buf_putc(out, '%');
			tmpl++;
		} else {
			px_buf_putc(out, *tmpl);
		}
	}
	return subs > 0 && !out->failed ? 0 : -1;
}

static int is_sep(char c)
{
	return c == ',' || c == '=' || c == '+';
}

/* Lower-cases s into out without the spaces at its ends or around
 * separators. -1 when it does not fit in cap bytes. */
static int dn_norm(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ' ') {
			const char *q = s;

			while (*q == ' ')
				q++;
			if (n == 0 || !*q || is_sep(*q) || is_sep(out[n - 1])) {
				s = q - 1;
				continue;
			}
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	return 0;
}

int px_ldapauth_dn_equal(const char *a, const char *b)
{
	char na[DN_NORM_MAX], nb[DN_NORM_MAX];

	return dn_norm(a, na, sizeof(na)) == 0 && dn_norm(b, nb, sizeof(nb)) == 0 &&
	       strcmp(na, nb) == 0;
}

/* Copies [p, end) without surrounding spaces into out (cap bytes);
 * -1 when empty or too long. */
static int trimmed(const char *p, const char *end, char *out, size_t cap)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end || (size_t)(end - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

/* One "DN=role" entry [p, end): the role (-1 when bad), and whether the
 * DN is among groups (*hit). */
static int map_entry(const char *p, const char *end, const char *const *groups, size_t n,
		     int *hit)
{
	const char *eq = NULL, *q;
	char dn[DN_NORM_MAX], name[16];
	size_t i;
	int r;

	for (q = p; q < end; q++)
		if (*q == '=')
			eq = q;
	if (!eq || trimmed(p, eq, dn, sizeof(dn)) != 0 ||
	    trimmed(eq + 1, end, name, sizeof(name)) != 0)
		return -1;
	r = px_perm_role_parse(name);
	if (r < PX_ROLE_GUEST || r > PX_ROLE_ADMIN)
		return -1;
	*hit = 0;
	for (i = 0; i < n && !*hit; i++)
		*hit = px_ldapauth_dn_equal(dn, groups[i]);
	return r;
}

int px_ldapauth_role_map(const char *spec, const char *const *groups, size_t n, int *role)
{
	const char *p = spec, *q;
	int best = -1, r, hit;

	assert(spec && role && (groups || n == 0));
	while (*p) {
		const char *end = p + strcspn(p, ";");
		for (q = p; q < end && isspace((unsigned char)*q); q++)
			;
		if (q < end) {
			if ((r = map_entry(p, end, groups, n, &hit)) < 0)
				return -1;
			if (hit && r > best)
				best = r;
		}
		p = *end ? end + 1 : end;
	}
	*role = best;
	return 0;
}

/* Records why the check failed and maps libldap's rc to an error. */
static enum px_err fail(struct check *c, int rc, const char *why)
{
	char *msg = NULL;

	c->why = why;
	if (c->ld)
		(void)ldap_get_option(c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg);
	snprintf(c->diag, 128, "%s%s%s%s", ldap_err2string(rc), msg && *msg ? " (" : "",
		 msg && *msg ? msg : "", msg && *msg ? ")" : "");
	ldap_memfree(msg);
	switch (rc) {
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_UNWILLING_TO_PERFORM:
		if (strcmp(why, "bad_password") == 0)
			return PX_E_AUTH_INVALID_CREDENTIALS;
		break;
	case LDAP_NO_MEMORY:
		return PX_E_SYSTEM_INTERNAL;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		c->why = "timeout";
		break;
	default:
		break;
	}
	return PX_E_AUTH_LDAP_UNAVAILABLE;
}

/* Applies timeouts and TLS settings (a fresh TLS context per connection,
 * certificate always demanded, TLS 1.2 at least). */
static int set_options(struct check *c)
{
	struct timeval net = { (time_t)px_cfg_int(c->cfg, "ldap_network_timeout"), 0 };
	struct timeval op = { (time_t)px_cfg_int(c->cfg, "ldap_timeout"), 0 };
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, rc;
	const char *ca = px_cfg_str(c->cfg, "ldap_ca_file");

	if ((rc = ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &net)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(c->ld, LDAP_OPT_TIMEOUT, &op)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(c->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(c->ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12)) != LDAP_OPT_SUCCESS)
		return rc;
	if (ca[0] && (rc = ldap_set_option(c->ld, LDAP_OPT_X_TLS_CACERTFILE, ca)) != LDAP_OPT_SUCCESS)
		return rc;
	return ldap_set_option(c->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
}

/* Connects; with ldap:// and ldap_starttls on, StartTLS must succeed. */
static enum px_err open_conn(struct check *c)
{
	int rc;

	if ((rc = ldap_initialize(&c->ld, px_cfg_str(c->cfg, "ldap_url"))) != LDAP_SUCCESS)
		return fail(c, rc, "config");
	if ((rc = set_options(c)) != LDAP_OPT_SUCCESS)
		return fail(c, rc, "tls");
	if ((rc = ldap_connect(c->ld)) != LDAP_SUCCESS)
		return fail(c, rc, "down");
	if (ldap_tls_inplace(c->ld) || !px_cfg_bool(c->cfg, "ldap_starttls"))
		return PX_OK;
	rc = ldap_start_tls_s(c->ld, NULL, NULL);
	if (rc == LDAP_SUCCESS && !ldap_tls_inplace(c->ld))
		rc = LDAP_CONNECT_ERROR;
	return rc == LDAP_SUCCESS ? PX_OK : fail(c, rc, "tls");
}

/* Simple bind as dn; pw must not be empty (that would be anonymous). */
static enum px_err bind_as(struct check *c, const char *dn, const char *pw, const char *why)
{
	struct berval cred;
	int rc;

	if (!dn[0] || !pw[0])
		return fail(c, LDAP_INAPPROPRIATE_AUTH, why);
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(c->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	return rc == LDAP_SUCCESS ? PX_OK : fail(c, rc, why);
}

/* Searches base (subtree) with filter for at most limit entries; a limit
 * of 2 is a search for one user, where a second entry is refused. */
static enum px_err search(struct check *c, const char *base, const char *filter,
			  char **attrs, int limit, LDAPMessage **res)
{
	struct timeval op = { (time_t)px_cfg_int(c->cfg, "ldap_timeout"), 0 };
	int rc = ldap_search_ext_s(c->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL,
				   NULL, &op, limit, res);

	if (rc == LDAP_SIZELIMIT_EXCEEDED && limit == 2) {
		c->why = "ambiguous"; /* the filter matches several users */
		return PX_E_AUTH_INVALID_CREDENTIALS;
	}
	if (rc == LDAP_SIZELIMIT_EXCEEDED)
		return PX_OK; /* the first limit entries are used */
	return rc == LDAP_SUCCESS ? PX_OK : fail(c, rc, "search");
}

/* Copies the first value of attr (when named and present) into out. */
static void first_value(struct check *c, LDAPMessage *e, const char *attr, char *out,
			size_t cap)
{
	struct berval **v;

	if (!attr[0] || !(v = ldap_get_values_len(c->ld, e, attr)))
		return;
	if (v[0])
		snprintf(out, cap, "%.*s", (int)v[0]->bv_len, v[0]->bv_val);
	ldap_value_free_len(v);
}

static enum px_err add_group(struct check *c, const char *dn, size_t len)
{
	if (c->ngroups == MAX_GROUPS)
		return PX_OK; /* more are ignored */
	if (!(c->groups[c->ngroups] = strndup(dn, len)))
		return PX_E_SYSTEM_INTERNAL;
	c->ngroups++;
	return PX_OK;
}

/* Adds the values of ldap_group_attr of entry e to the groups. */
static enum px_err read_groups(struct check *c, LDAPMessage *e)
{
	const char *attr = px_cfg_str(c->cfg, "ldap_group_attr");
	enum px_err err = PX_OK;
	struct berval **v;
	size_t i;

	if (!attr[0] || !(v = ldap_get_values_len(c->ld, e, attr)))
		return PX_OK;
	for (i = 0; v[i] && err == PX_OK; i++)
		err = add_group(c, v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
	return err;
}

/* Reads DN, names and groups of the one entry in res. */
static enum px_err read_entry(struct check *c, LDAPMessage *res)
{
	LDAPMessage *e = ldap_first_entry(c->ld, res);
	char *dn = e ? ldap_get_dn(c->ld, e) : NULL;

	if (!dn || strlen(dn) >= sizeof(c->u->dn)) {
		ldap_memfree(dn);
		return fail(c, LDAP_DECODING_ERROR, "search");
	}
	snprintf(c->u->dn, sizeof(c->u->dn), "%s", dn);
	ldap_memfree(dn);
	first_value(c, e, px_cfg_str(c->cfg, "ldap_username_attr"), c->u->username,
		    sizeof(c->u->username));
	first_value(c, e, px_cfg_str(c->cfg, "ldap_mail_attr"), c->u->email, sizeof(c->u->email));
	first_value(c, e, px_cfg_str(c->cfg, "ldap_name_attr"), c->u->display_name,
		    sizeof(c->u->display_name));
	return read_groups(c, e);
}

/* Finds exactly one entry for name under ldap_base_dn. */
static enum px_err find_user(struct check *c, const char *name)
{
	char *attrs[5] = { NULL };
	const char *names[4] = { "ldap_username_attr", "ldap_mail_attr", "ldap_name_attr",
				 "ldap_group_attr" };
	struct px_buf f = PX_BUF_INIT;
	LDAPMessage *res = NULL;
	enum px_err e;
	size_t i, n = 0;

	for (i = 0; i < 4; i++)
		if (px_cfg_str(c->cfg, names[i])[0])
			attrs[n++] = (char *)px_cfg_str(c->cfg, names[i]);
	if (px_ldapauth_filter(px_cfg_str(c->cfg, "ldap_user_filter"), name, &f) != 0) {
		e = fail(c, LDAP_FILTER_ERROR, "config");
		goto out;
	}
	if ((e = search(c, px_cfg_str(c->cfg, "ldap_base_dn"), f.data, n ? attrs : NULL, 2,
			&res)) != PX_OK)
		goto out;
	n = (size_t)ldap_count_entries(c->ld, res);
	if (n != 1) {
		c->why = n == 0 ? "unknown_user" : "ambiguous";
		e = PX_E_AUTH_INVALID_CREDENTIALS;
		goto out;
	}
	e = read_entry(c, res);
out:
	if (res)
		ldap_msgfree(res);
	px_buf_free(&f);
	return e;
}

/* Adds the DNs of the groups under ldap_group_base_dn that list the user. */
static enum px_err find_groups(struct check *c)
{
	const char *base = px_cfg_str(c->cfg, "ldap_group_base_dn");
	char *attrs[2] = { (char *)LDAP_NO_ATTRS, NULL };
	struct px_buf f = PX_BUF_INIT;
	LDAPMessage *res = NULL, *e;
	enum px_err err;
	char *dn;

	if (!base[0])
		return PX_OK;
	if (px_ldapauth_filter(px_cfg_str(c->cfg, "ldap_group_filter"), c->u->dn, &f) != 0) {
		err = fail(c, LDAP_FILTER_ERROR, "config");
		goto out;
	}
	if ((err = search(c, base, f.data, attrs, MAX_GROUPS, &res)) != PX_OK)
		goto out;
	for (e = ldap_first_entry(c->ld, res); e && err == PX_OK;
	     e = ldap_next_entry(c->ld, e)) {
		if (!(dn = ldap_get_dn(c->ld, e)))
			continue;
		err = add_group(c, dn, strlen(dn));
		ldap_memfree(dn);
	}
out:
	if (res)
		ldap_msgfree(res);
	px_buf_free(&f);
	return err;
}

/* The role from the groups, else ldap_default_role; AUTH_LDAP_NO_ROLE
 * when that is none. */
static enum px_err pick_role(struct check *c)
{
	const char *def = px_cfg_str(c->cfg, "ldap_default_role");
	int role = -1;

	if (px_ldapauth_role_map(px_cfg_str(c->cfg, "ldap_group_roles"),
				 (const char *const *)c->groups, c->ngroups, &role) != 0) {
		c->why = "config";
		snprintf(c->diag, 128, "ldap_group_roles is malformed");
		return PX_E_AUTH_LDAP_UNAVAILABLE;
	}
	if (role < 0 && px_perm_role_parse(def) >= PX_ROLE_GUEST)
		role = px_perm_role_parse(def);
	if (role < 0) {
		c->why = "no_role";
		return PX_E_AUTH_LDAP_NO_ROLE;
	}
	snprintf(c->u->role, sizeof(c->u->role), "%s", px_perm_role_name((enum px_role)role));
	return PX_OK;
}

/* Frees the groups and closes the connection. */
static void check_free(struct check *c)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++)
		free(c->groups[i]);
	if (c->ld)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
}

enum px_err px_ldapauth_login(const struct px_cfg *cfg, const char *name, const char *password,
			      struct px_ldapauth_user *u, const char **why, char diag[128])
{
	struct check c;
	enum px_err e;

	assert(cfg && name && password && u && why && diag);
	memset(u, 0, sizeof(*u));
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.u = u;
	c.diag = diag;
	diag[0] = '\0';
	if (!name[0] || !password[0]) {
		e = fail(&c, LDAP_INVALID_CREDENTIALS, "bad_password");
		goto out;
	}
	if ((e = open_conn(&c)) != PX_OK)
		goto out;
	if (px_cfg_str(cfg, "ldap_bind_dn")[0] &&
	    (e = bind_as(&c, px_cfg_str(cfg, "ldap_bind_dn"),
			 px_cfg_str(cfg, "ldap_bind_password"), "service_bind")) != PX_OK)
		goto out;
	if ((e = find_user(&c, name)) != PX_OK || (e = find_groups(&c)) != PX_OK ||
	    (e = bind_as(&c, u->dn, password, "bad_password")) != PX_OK ||
	    (e = pick_role(&c)) != PX_OK)
		goto out;
	if (!u->username[0])
		snprintf(u->username, sizeof(u->username), "%s", name);
out:
	check_free(&c);
	*why = e == PX_OK ? NULL : c.why;
	return e;
}
