/* admin/doctor.h: plexichat-admin doctor, the system check. */
#ifndef PX_ADMIN_DOCTOR_H
#define PX_ADMIN_DOCTOR_H

#include "admin/admin.h"

/* doctor [--json] [--timeout S] [--service-user U]: runs every check and
 * prints ok/warn/fail with what to do; returns 0 when all are ok, 1 when
 * the worst is a warning, 2 when one failed. */
int admin_cmd_doctor(struct admin *a, int argc, char **argv);

#endif
