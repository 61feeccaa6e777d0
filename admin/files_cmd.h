/* admin/files_cmd.h: plexichat-admin files, the file store's upkeep. */
#ifndef PX_ADMIN_FILES_CMD_H
#define PX_ADMIN_FILES_CMD_H

#include "admin/admin.h"

/* files usage [--by user|channel] [--limit N] [--json]: totals (files,
 * bytes, objects and the bytes the store holds, quarantined, uploads in
 * progress) and the largest users or channels.
 * files cleanup [--dry-run] [--json]: expired uploads, stale temporary
 * files, retention per channel, deleted rows, orphan objects
 * (model/files_gc.h); meant for cron or the systemd timer.
 * files quota USER [BYTES|default]: shows the account's usage and quota,
 * or sets its own quota (K, M, G, T suffixes are binary; 0: no limit;
 * default: back to files_quota_user), audited.
 * files rethumb (--all | SHA256...) [--dry-run] [--json]: drops the
 * derivatives (served copy, thumbnail, preview) of the images whose
 * original has that SHA-256, or of all, so that the next view makes them
 * again (local store only).
 * Returns 0, 1 on failure, -1 for usage. */
int admin_cmd_files(struct admin *a, int argc, char **argv);

/* Parses BYTES as above into *out: 0, or -1 when malformed. */
int admin_parse_bytes(const char *s, long long *out);

#endif
