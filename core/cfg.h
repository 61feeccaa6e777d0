/* cfg.h: configuration as an immutable snapshot.
 *
 * Keys are declared once in cfg_keys.def (name, type, default, flags,
 * limits, doc). The file format is "key = value" lines; '#' starts a
 * comment. Each key can be overridden by PLEXICHAT_<KEY> in the
 * environment (upper case). Keys flagged secret may instead be given as
 * <key>_file = /path, whose first line is the value; secrets are never
 * logged. In a file, a relative path (keys flagged PATH, and <key>_file) is
 * taken from the file's folder; a file every user may write is refused. A loaded snapshot never changes; reload builds a new one. */
#ifndef PX_CFG_H
#define PX_CFG_H

#include "core/buf.h"

struct px_cfg;

/* Loads defaults, then the file at path (NULL = none), then the
 * environment. On error returns -1 and writes "path:line: key: reason"
 * into err; *out is untouched. On success *out is a new snapshot, freed
 * with px_cfg_free (or handed to a px_snap that frees it). */
int px_cfg_load(const char *path, struct px_cfg **out, struct px_buf *err)
	__attribute__((nonnull(2, 3), warn_unused_result));
/* Which configuration file a program uses: given (its -c) when set, else
 * $PLEXICHAT_CONFIG when set, else plexichat.conf in the folder of the
 * running program itself (/proc/self/exe, so symbolic links to the program
 * are followed) when that file exists; NULL: none (defaults and the
 * environment only). This lets a web server that passes no environment
 * (mod_fcgid under .htaccess) start PlexiChat with its configuration. The
 * result is given, the environment's string, or found's data. */
const char *px_cfg_locate(const char *given, struct px_buf *found)
	__attribute__((nonnull(2)));
/* Frees a snapshot; NULL is allowed. */
void px_cfg_free(struct px_cfg *c);

/* Typed getters; the key must be declared (asserted). A string is owned by
 * the snapshot and lives as long as it does. */
const char *px_cfg_str(const struct px_cfg *c, const char *key) __attribute__((nonnull));
long long px_cfg_int(const struct px_cfg *c, const char *key) __attribute__((nonnull));
int px_cfg_bool(const struct px_cfg *c, const char *key) __attribute__((nonnull));
/* Path of the file the snapshot was loaded from (or NULL; owned by the
 * snapshot), and a stamp of that file (mtime in ns plus size) to notice
 * changes; 0 without a file. */
const char *px_cfg_path(const struct px_cfg *c) __attribute__((nonnull));
long long px_cfg_stamp(const struct px_cfg *c) __attribute__((nonnull));
/* The same stamp for a file on disk now; -1 when it cannot be read. */
long long px_cfg_file_stamp(const char *path) __attribute__((nonnull));
/* Writes every key and value as a JSON object, secrets as "***". */
void px_cfg_dump_json(const struct px_cfg *c, struct px_buf *out) __attribute__((nonnull));

/* Iterates the key table (for docs tests): returns the name of key i (a
 * static string), or NULL past the end. */
const char *px_cfg_key_name(unsigned i);

#endif
