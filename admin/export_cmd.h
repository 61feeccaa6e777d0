/* admin/export_cmd.h: plexichat-admin export compliance: the compliance
 * export (model/compliance.h) of chosen channels as JSON lines on stdout,
 * every page until the end, the same as GET /api/v1/admin/compliance/export. */
#ifndef PX_ADMIN_EXPORT_CMD_H
#define PX_ADMIN_EXPORT_CMD_H

#include "admin/admin.h"

/* export compliance --channels 1,2 [--since T] [--until T] [--after ID] */
int admin_cmd_export(struct admin *a, int argc, char **argv);

#endif
