/* admin/retention_cmd.h: plexichat-admin retention: message retention
 * policies (retention_days, per channel) and legal holds. */
#ifndef PX_ADMIN_RETENTION_CMD_H
#define PX_ADMIN_RETENTION_CMD_H

#include "admin/admin.h"

/* retention status [--json] | retention run [--dry-run] [--json] |
 * retention channel CHANNEL (DAYS|forever|default) |
 * retention hold add (--channel CHANNEL | --user NAME) --reason TEXT |
 * retention hold release ID. 0; 1 on a refusal or a database failure;
 * -1 (usage) for anything else. */
int admin_cmd_retention(struct admin *a, int argc, char **argv);

#endif
