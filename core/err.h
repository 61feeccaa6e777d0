/* err.h: canonical error codes, generated from errors.def.
 * PX_OK is 0; every other value names one row of errors.def. */
#ifndef PX_ERR_H
#define PX_ERR_H

enum px_err {
	PX_OK = 0,
#define X(code, status, msg) PX_E_##code,
#include "core/errors.def"
#undef X
	PX_E__COUNT
};

/* Name such as "AUTH_REQUIRED"; "OK" for PX_OK. Never NULL; static. */
const char *px_err_name(enum px_err e);
/* HTTP status for the code (200 for PX_OK). */
int px_err_status(enum px_err e);
/* Safe message for clients. Never NULL; static. */
const char *px_err_message(enum px_err e);
/* Code for a name, or -1 when the name is unknown. */
int px_err_from_name(const char *name) __attribute__((nonnull));

#endif
