/* px_bk_cmd.h: the plexichat-backup commands. Each takes the resolved
 * options and its own arguments and returns a process exit code. */
#ifndef PX_BK_CMD_H
#define PX_BK_CMD_H

#include "core/buf.h"
#include "backup/px_bk_cli.h"

int px_bk_cmd_init(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_backup(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_list(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_show(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_verify(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_restore(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_prune(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_locks(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_key(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_archive_push(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_archive_get(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_pg_settings(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_base_backup(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_drill(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_schedule(struct px_bk_opts *o, int argc, char **argv);
int px_bk_cmd_copy(struct px_bk_opts *o, int argc, char **argv);
/* restore with a --to-* target: point-in-time recovery into --target-dir. */
int px_bk_cmd_pitr_restore(struct px_bk_opts *o);

/* Appends s single-quoted for a POSIX shell. */
void px_bk_sh_quote(struct px_buf *b, const char *s);

/* Appends to b the shell command line that runs this program with the
 * store options given on this command line (not secrets), then sub. */
void px_bk_self_command(struct px_bk_opts *o, const char *sub, struct px_buf *b);

#endif
