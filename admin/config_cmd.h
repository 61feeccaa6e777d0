/* admin/config_cmd.h: plexichat-admin config, configuration versions. */
#ifndef PX_ADMIN_CONFIG_CMD_H
#define PX_ADMIN_CONFIG_CMD_H

#include "admin/admin.h"

/* config show [--json] | check [--who W] | diff [N] | history [--json] |
 * rollback N [--who W]. Returns the exit status, -1 for usage. */
int admin_cmd_config(struct admin *a, int argc, char **argv);

#endif
