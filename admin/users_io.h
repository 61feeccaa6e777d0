/* admin/users_io.h: plexichat-admin users import|export. */
#ifndef PX_ADMIN_USERS_IO_H
#define PX_ADMIN_USERS_IO_H

#include "admin/admin.h"

/* users import FILE [--dry-run] | users export [--json]. Returns the exit
 * status (import: 1 when a line was rejected), -1 for usage. */
int admin_cmd_users(struct admin *a, int argc, char **argv);

#endif
