/* perm.h: THE permission table (action x role) and its check functions.
 *
 * Every authorisation decision in PlexiChat is a lookup here: routes name
 * an action in their policy column (fcgi/routes.c) and the pipeline asks
 * px_perm_allowed(); handlers that decide on a specific object (a channel,
 * another user's account) ask px_perm_channel_allowed() or
 * px_perm_can_manage(). No handler compares roles itself.
 *
 * Actions are dotted names ("users.read", "message.delete_any"). An action
 * that is not in the table, or NULL, is refused for everyone (fail
 * closed), so the action arguments below carry no nonnull attribute. */
#ifndef PX_PERM_H
#define PX_PERM_H

#include "core/ctx.h"

/* Personal-access-token scopes (struct px_principal.scopes). Sessions
 * carry PX_SCOPE_ALL. */
#define PX_SCOPE_READ 1u
#define PX_SCOPE_WRITE 2u
#define PX_SCOPE_ADMIN 4u
#define PX_SCOPE_ALL (~0u)

/* 1 when a principal of system role `role` may perform `action`, else 0.
 * Unknown actions give 0. */
int px_perm_allowed(enum px_role role, const char *action);

/* 1 when the principal may perform the channel-level `action` on a
 * channel where it holds `chan` (PX_CHAN_NONE when not a member): allowed
 * when either its system role or its channel role is granted the action. */
int px_perm_channel_allowed(enum px_role role, enum px_chan_role chan,
			    const char *action);

/* 1 when `who` (role and token scopes) may perform `action`: the role
 * must be allowed and the token must carry the scope the action needs.
 * This is what the pipeline calls for a route's action. */
int px_perm_principal_allowed(const struct px_principal *who, const char *action)
	__attribute__((nonnull(1)));

/* The lowest system role allowed `action` (PX_ROLE_OWNER + 1 when none);
 * used by tests to keep route rows' min_role in step with the table. */
int px_perm_min_role(const char *action);

/* 1 when an actor with role `actor` may change an account whose role is
 * `target` to role `to` (pass to == target for non-role changes such as
 * deactivation): owners may do anything; admins only below admin. */
int px_perm_can_manage(enum px_role actor, enum px_role target, enum px_role to);

/* Role names as stored in users.role ("owner" ... "guest"; static
 * strings); "anonymous" for PX_ROLE_ANON. px_perm_role_parse returns -1
 * for unknown names and NULL. */
const char *px_perm_role_name(enum px_role role);
int px_perm_role_parse(const char *name);

/* Scope names "read", "write", "admin" as a bit set; -1 on unknown names.
 * s is a comma- or space-separated list (NULL: none). */
long px_perm_scopes_parse(const char *s);
/* Writes the scope names of bits into out as a JSON-free "read,write". */
void px_perm_scopes_format(unsigned bits, struct px_buf *out) __attribute__((nonnull));

/* Iterates the table for docs and tests: action name i, or NULL past end. */
const char *px_perm_action(unsigned i);

#endif
