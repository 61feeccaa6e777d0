/* admin/completion.h: the bash completion script and the man page, both
 * generated from the command table's usage strings. */
#ifndef PX_ADMIN_COMPLETION_H
#define PX_ADMIN_COMPLETION_H

#include "admin/admin.h"

/* completion bash: prints a bash completion script for plexichat-admin. */
int admin_cmd_completion(struct admin *a, int argc, char **argv);
/* man: prints the plexichat-admin(8) man page in roff. */
int admin_cmd_man(struct admin *a, int argc, char **argv);

#endif
