/* perm.c: the permission table. One row per action: which system roles and
 * which channel roles may perform it, and which token scope it needs. */
#include "auth/perm.h"

#include <string.h>
#include <strings.h>

#define R(role) (1u << (role))
#define SIGNED_IN (R(PX_ROLE_GUEST) | MEMBERS)
#define MEMBERS (R(PX_ROLE_MEMBER) | MODS)
#define MODS (R(PX_ROLE_MODERATOR) | ADMINS)
#define ADMINS (R(PX_ROLE_ADMIN) | R(PX_ROLE_OWNER))
#define C(role) (1u << (role))
#define CH_ANY (C(PX_CHAN_MEMBER) | CH_MODS)
#define CH_MODS (C(PX_CHAN_MODERATOR) | C(PX_CHAN_OWNER))
#define CH_OWNER C(PX_CHAN_OWNER)
/* Only interactive sessions carry this scope; tokens can never get it, so
 * a leaked token cannot change the password, MFA or mint more tokens. */
#define SCOPE_ACCOUNT 0x100u

struct perm {
	const char *action;
	unsigned roles;      /* bit per enum px_role */
	unsigned chan_roles; /* bit per enum px_chan_role */
	unsigned scope;      /* scope a token needs; 0: none */
};

static const struct perm table[] = {
	/* own account and session */
	{ "auth.session", SIGNED_IN, 0, PX_SCOPE_READ },
	{ "auth.account", SIGNED_IN, 0, SCOPE_ACCOUNT },
	{ "tokens.manage", MEMBERS, 0, SCOPE_ACCOUNT },
	/* the user directory */
	{ "users.read", SIGNED_IN, 0, PX_SCOPE_READ },
	{ "users.update_self", SIGNED_IN, 0, PX_SCOPE_WRITE },
	/* administration */
	{ "admin.users.read", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.users.manage", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.invites", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.audit.read", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.compliance.export", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.waf.read", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.waf.manage", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.plugins.read", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.plugins.manage", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.hooks.read", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.commands.manage", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.ai.read", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "admin.ai.manage", ADMINS, 0, PX_SCOPE_ADMIN },
	{ "system.metrics", ADMINS, 0, PX_SCOPE_ADMIN },
	/* chat routes: the route admits any signed-in user, the handler then
	 * asks for the channel-level action below */
	{ "chat.read", SIGNED_IN, 0, PX_SCOPE_READ },
	{ "chat.write", SIGNED_IN, 0, PX_SCOPE_WRITE },
	{ "channel.create", MEMBERS, 0, PX_SCOPE_WRITE },
	{ "channel.read", ADMINS, CH_ANY, PX_SCOPE_READ },
	{ "message.post", 0, CH_ANY, PX_SCOPE_WRITE },
	{ "message.edit_own", 0, CH_ANY, PX_SCOPE_WRITE },
	{ "message.delete_any", MODS, CH_MODS, PX_SCOPE_WRITE },
	{ "message.pin", MODS, CH_MODS, PX_SCOPE_WRITE },
	{ "channel.members.manage", ADMINS, CH_MODS, PX_SCOPE_WRITE },
	{ "channel.manage", ADMINS, CH_OWNER, PX_SCOPE_WRITE },
	{ "channel.roles.manage", ADMINS, CH_OWNER, PX_SCOPE_WRITE },
	{ "upload.create", MEMBERS, 0, PX_SCOPE_WRITE },
	/* files: the handler then applies the file's own gate (channel, draft) */
	{ "file.read", SIGNED_IN, 0, PX_SCOPE_READ },
	{ "file.delete", SIGNED_IN, 0, PX_SCOPE_WRITE },
	/* web pages for signed-in users */
	{ "web.page", SIGNED_IN, 0, PX_SCOPE_READ },
};
#define NPERM (sizeof(table) / sizeof(table[0]))

static const struct perm *find(const char *action)
{
	size_t i;

	if (!action)
		return NULL;
	for (i = 0; i < NPERM; i++)
		if (strcmp(table[i].action, action) == 0)
			return &table[i];
	return NULL;
}

int px_perm_allowed(enum px_role role, const char *action)
{
	const struct perm *p = find(action);

	return p && (unsigned)role < 32 && (p->roles & R(role)) != 0;
}

int px_perm_channel_allowed(enum px_role role, enum px_chan_role chan,
			    const char *action)
{
	const struct perm *p = find(action);

	if (!p || role == PX_ROLE_ANON)
		return 0;
	return (p->roles & R(role)) != 0 ||
	       ((unsigned)chan < 32 && (p->chan_roles & C(chan)) != 0);
}

int px_perm_principal_allowed(const struct px_principal *who, const char *action)
{
	const struct perm *p = find(action);

	if (!p || !px_perm_allowed(who->role, action))
		return 0;
	return p->scope == 0 || (who->scopes & p->scope) == p->scope;
}

int px_perm_min_role(const char *action)
{
	const struct perm *p = find(action);
	int r;

	for (r = PX_ROLE_ANON; p && r <= PX_ROLE_OWNER; r++)
		if (p->roles & R(r))
			return r;
	return PX_ROLE_OWNER + 1;
}

int px_perm_can_manage(enum px_role actor, enum px_role target, enum px_role to)
{
	if (actor == PX_ROLE_OWNER)
		return 1;
	if (actor == PX_ROLE_ADMIN)
		return target < PX_ROLE_ADMIN && to < PX_ROLE_ADMIN;
	return 0;
}

static const char *const role_names[] = { "anonymous", "guest", "member",
					  "moderator", "admin", "owner" };

const char *px_perm_role_name(enum px_role role)
{
	return (unsigned)role <= PX_ROLE_OWNER ? role_names[role] : "anonymous";
}

int px_perm_role_parse(const char *name)
{
	int i;

	for (i = PX_ROLE_GUEST; name && i <= PX_ROLE_OWNER; i++)
		if (strcmp(role_names[i], name) == 0)
			return i;
	return -1;
}

static const struct {
	const char *name;
	unsigned bit;
} scope_names[] = {
	{ "read", PX_SCOPE_READ },
	{ "write", PX_SCOPE_WRITE },
	{ "admin", PX_SCOPE_ADMIN },
};

long px_perm_scopes_parse(const char *s)
{
	unsigned bits = 0;
	size_t i, n;
	int found;

	while (s && *s) {
		n = strcspn(s, ", ");
		for (i = 0, found = n == 0; i < 3 && n; i++)
			if (strlen(scope_names[i].name) == n &&
			    strncmp(scope_names[i].name, s, n) == 0) {
				bits |= scope_names[i].bit;
				found = 1;
			}
		if (!found)
			return -1;
		s += n;
		s += strspn(s, ", ");
	}
	return (long)bits;
}

void px_perm_scopes_format(unsigned bits, struct px_buf *out)
{
	size_t i;
	int first = 1;

	for (i = 0; i < 3; i++)
		if (bits & scope_names[i].bit) {
			if (!first)
				px_buf_putc(out, ',');
			px_buf_puts(out, scope_names[i].name);
			first = 0;
		}
	if (!out->data)
		px_buf_puts(out, "");
}

const char *px_perm_action(unsigned i)
{
	return i < NPERM ? table[i].action : NULL;
}
