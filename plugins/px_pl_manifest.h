/* px_pl_manifest.h: a plugin's manifest (plugin.json), read and checked
 * before anything of the plugin runs: name, version, kind, the ABI or
 * protocol it was built for, entry point, hooks, permissions, resource
 * limits, dependencies and settings schema. A manifest that passes is
 * fully described by this struct; nothing here allocates. The format is
 * documented in docs/PLUGIN_DEVELOPMENT.md. */
#ifndef PX_PL_MANIFEST_H
#define PX_PL_MANIFEST_H

#include <stddef.h>

#include "core/buf.h"
#include "plugins/px_pl_semver.h"

/* What this PlexiChat speaks: an in-process module must have been built
 * for PX_PL_ABI, an out-of-process plugin must speak PX_PL_PROTOCOL. */
#define PX_PL_ABI 1
#define PX_PL_PROTOCOL 1

#define PX_PL_NAME_MAX 41     /* [a-z][a-z0-9-]*, 40 characters at most */
#define PX_PL_PATH_MAX 129
#define PX_PL_TEXT_MAX 281
#define PX_PL_MAX_HOOKS 16
#define PX_PL_MAX_DEPS 16
#define PX_PL_MAX_SETTINGS 24
#define PX_PL_RANGE_TEXT 96
#define PX_PL_MAX_MIGRATIONS 32

enum px_pl_kind { PX_PL_INPROC, PX_PL_PROCESS };

/* Hooks a plugin may declare. */
enum px_pl_hook {
	PX_PL_HOOK_BEFORE_STORE,  /* "message.before_store": modify, reject or pass */
	PX_PL_HOOK_EVENT,         /* "event.message", "event.reaction", ... */
	PX_PL_HOOK_COMMAND,       /* "command:/name" */
	PX_PL_HOOK_ROUTE,         /* "route": /api/v1/plugins/{name}/... */
	PX_PL_HOOK_SCHEDULE,      /* "schedule": every schedule_seconds */
};

/* Permissions, as bits. */
enum {
	PX_PL_PERM_MESSAGES_READ = 1u << 0,   /* "messages.read" */
	PX_PL_PERM_MESSAGES_MODIFY = 1u << 1, /* "messages.modify" */
	PX_PL_PERM_MESSAGES_POST = 1u << 2,   /* "messages.post" */
	PX_PL_PERM_CHANNELS_READ = 1u << 3,   /* "channels.read" */
	PX_PL_PERM_USERS_READ = 1u << 4,      /* "users.read" */
	PX_PL_PERM_FILES_READ = 1u << 5,      /* "files.read" */
	PX_PL_PERM_NETWORK = 1u << 6,         /* "network" */
	PX_PL_PERM_STORAGE = 1u << 7,         /* "storage": its own schema */
};

struct px_pl_hookdecl {
	enum px_pl_hook hook;
	char arg[PX_PL_NAME_MAX];  /* event type ("message") or command name */
};

struct px_pl_dep {
	char name[PX_PL_NAME_MAX];
	char text[PX_PL_RANGE_TEXT];  /* the range as written */
	struct px_pl_range range;
};

enum px_pl_stype { PX_PL_S_STRING, PX_PL_S_BOOL, PX_PL_S_INT, PX_PL_S_ENUM };

struct px_pl_setting {
	char key[PX_PL_NAME_MAX];
	enum px_pl_stype type;
	char label[PX_PL_NAME_MAX * 2];
	char def[PX_PL_TEXT_MAX];     /* default, as text */
	char options[PX_PL_TEXT_MAX]; /* enum: values joined by '|' */
};

/* One data migration: SQL files inside the package, run as the plugin's
 * own database role in its own schema (docs/PLUGIN_DEVELOPMENT.md "Data").
 * Its number is its place in the list, from 1. */
struct px_pl_migration {
	char up[PX_PL_PATH_MAX];
	char down[PX_PL_PATH_MAX];    /* "" when it cannot be undone */
};

struct px_pl_manifest {
	char name[PX_PL_NAME_MAX];
	struct px_pl_ver version;
	char description[PX_PL_TEXT_MAX];
	enum px_pl_kind kind;
	int abi;                      /* the ABI (in-process) or protocol (process) */
	char entry[PX_PL_PATH_MAX];   /* relative to the package's root */
	int nhooks;
	struct px_pl_hookdecl hooks[PX_PL_MAX_HOOKS];
	unsigned perms;
	int ndeps;
	struct px_pl_dep deps[PX_PL_MAX_DEPS];
	int nsettings;
	struct px_pl_setting settings[PX_PL_MAX_SETTINGS];
	/* limits (out-of-process plugins; the call timeout applies to both) */
	int memory_mb, cpu_seconds, open_files, call_timeout_ms, schedule_seconds;
	int fail_closed;              /* a failing before_store hook refuses the post */
	int nmigrations;              /* "migrations": need the "storage" permission */
	struct px_pl_migration migrations[PX_PL_MAX_MIGRATIONS];
};

/* Parses and checks the manifest JSON in text[0..len). 0, or -1 with
 * the first problem appended to err as "field: reason" (unknown fields,
 * wrong types, names, versions, paths with "..", an ABI or protocol
 * other than this build's, unknown hooks or permissions, a hook that
 * needs a permission not asked for, duplicate dependencies, limits out
 * of range). */
int px_pl_manifest_parse(const char *text, size_t len, struct px_pl_manifest *m,
			 struct px_buf *err) __attribute__((nonnull, warn_unused_result));

/* 1 when value fits setting s's type (bool "true"/"false", a decimal
 * int, one of an enum's options, a string of a sane length). */
int px_pl_setting_ok(const struct px_pl_setting *s, const char *value) __attribute__((nonnull));
/* m's setting key, or NULL. */
const struct px_pl_setting *px_pl_setting_find(const struct px_pl_manifest *m, const char *key)
	__attribute__((nonnull));
/* The permission a declared hook needs to be called (0: none). */
unsigned px_pl_hook_needs(const struct px_pl_hookdecl *h) __attribute__((nonnull));
/* The permission bit of a name ("network"), or 0. */
unsigned px_pl_perm_bit(const char *name) __attribute__((nonnull));
/* The name of one permission bit, or NULL. */
const char *px_pl_perm_name(unsigned bit);

/* Whether s is a valid plugin (or setting, command) name. */
int px_pl_name_valid(const char *s) __attribute__((nonnull));

#endif
