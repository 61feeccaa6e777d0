/* pwpolicy.h: the password policy: 10 to 1024 characters (code points),
 * not on the shipped list of common passwords (etc/common-passwords.txt,
 * compiled in), not the username. */
#ifndef PX_PWPOLICY_H
#define PX_PWPOLICY_H

#include "core/err.h"

#define PX_PASSWORD_MIN 10
#define PX_PASSWORD_MAX 1024

/* PX_OK, or VALIDATION_WEAK_PASSWORD with *reason one of "too_short",
 * "too_long", "common", "username", "encoding" (static strings). username
 * may be NULL. */
enum px_err px_pwpolicy_check(const char *pw, const char *username,
			      const char **reason)
	__attribute__((nonnull(1, 3), warn_unused_result));
/* 1 when pw (case-insensitively) is on the common-password list. */
int px_pwpolicy_is_common(const char *pw) __attribute__((nonnull));

#endif
