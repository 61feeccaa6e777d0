/* admin/admin.h: what every plexichat-admin sub-command shares: the loaded
 * configuration and database handle, the command table (which the usage
 * text, the bash completion and the man page are all generated from), and
 * small argument and output helpers. */
#ifndef PX_ADMIN_H
#define PX_ADMIN_H

#include <stddef.h>

#include "core/buf.h"

struct px_cfg;
struct px_db;

/* State main() sets up before a command runs. Owned by main(). */
struct admin {
	struct px_cfg *cfg;    /* NULL for ADMIN_NO_CONFIG commands, or when loading failed */
	struct px_db *db;      /* unconnected until first use; NULL when cfg is NULL */
	const char *cfg_path;  /* -c or PLEXICHAT_CONFIG; NULL when neither is given */
	const char *cfg_error; /* why the configuration did not load (ADMIN_CONFIG_OPTIONAL), else NULL */
};

/* Command flags: what main() must prepare. */
enum {
	ADMIN_NEEDS_CONFIG = 0,    /* a valid configuration and a database handle */
	ADMIN_CONFIG_OPTIONAL = 1, /* runs even when the configuration does not load */
	ADMIN_NO_CONFIG = 2        /* reads neither configuration nor database */
};

/* One sub-command. usage is "SYNOPSIS  description": the synopsis, at least
 * two spaces, then one line of description; completion.c and the man page
 * split it there. fn returns the exit status, or -1 to print the usage. */
struct command {
	const char *name;
	int (*fn)(struct admin *a, int argc, char **argv);
	const char *usage;
	int flags;
};

/* The table, defined in main.c. */
extern const struct command admin_commands[];
extern const size_t admin_ncommands;

/* The value after option name in argv (NULL when absent or last). */
const char *admin_opt_value(int argc, char **argv, const char *name);
/* 1 when name appears in argv, else 0. */
int admin_has_flag(int argc, char **argv, const char *name);
/* The first argument that is not an option or an option's value; options
 * taking a value are listed in with_value (NULL-terminated). NULL if none. */
const char *admin_positional(int argc, char **argv, unsigned nth,
			     const char *const *with_value);
/* Who runs the command: --who W when given, else the OS user name
 * (getpwuid), else "uid:N". Returns a pointer to static storage or argv. */
const char *admin_who(int argc, char **argv);
/* Appends "name":value-as-JSON-string (with a leading comma unless the
 * buffer ends with '{'). s NULL writes null. */
void admin_json_kv(struct px_buf *b, const char *name, const char *s);
/* Appends "name":n the same way. */
void admin_json_kv_int(struct px_buf *b, const char *name, long long n);
/* Reads the whole file at path into b (appended). 0, or -1 with errno set. */
int admin_read_file(const char *path, struct px_buf *b)
	__attribute__((warn_unused_result));
/* The value of "key = value" in configuration text (the last one wins, as
 * in the loader), copied into out; 1 when found, else 0 (out is ""). */
int admin_conf_value(const char *text, const char *key, char *out, size_t cap);
/* Writes n bytes for people into out: "512 B", "1.5 KiB" ... "2.0 TiB". */
void admin_human_bytes(char *out, size_t cap, long long n);
/* Writes b and a newline to stdout; returns -1 when b failed. */
int admin_put_line(const struct px_buf *b);

#endif
