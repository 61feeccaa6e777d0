/* admin/plugin_cmd.h: plexichat-admin plugin. */
#ifndef PX_ADMIN_PLUGIN_CMD_H
#define PX_ADMIN_PLUGIN_CMD_H

#include "admin/admin.h"

/* plugin keygen | sign PACKAGE --key FILE | key add NAME PUBKEY |
 * key remove NAME | key list | install PACKAGE [--sig FILE] | list [--json]
 * | use NAME VERSION | enable NAME [--grant PERM,...] [--all-channels |
 * --channels ID,...] | set NAME KEY (VALUE|--clear) | disable NAME |
 * remove NAME [--purge | --keep-data] (the default keeps its data). Returns the exit
 * status, -1 for usage. docs/PLUGIN_DEVELOPMENT.md and ADMIN_CLI.md. */
int admin_cmd_plugin(struct admin *a, int argc, char **argv);

#endif
