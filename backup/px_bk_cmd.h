/* px_bk_cmd.h: the plexichat-backup commands. Each takes the resolved
 * options and its own arguments and returns a process exit code. */
#ifndef PX_BK_CMD_H
#define PX_BK_CMD_H

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

#endif
