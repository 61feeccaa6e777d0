/* ident.h: validation of the names people choose: usernames (NFKC, allowed
 * characters, single script, reserved names, UTS #39 skeletons for
 * look-alike detection), e-mail addresses and display names. Uses ICU. */
#ifndef PX_IDENT_H
#define PX_IDENT_H

#include "buf.h"
#include "err.h"

#define PX_USERNAME_MIN 3
#define PX_USERNAME_MAX 32     /* code points; also at most 63 bytes */
#define PX_DISPLAY_NAME_MAX 64
#define PX_EMAIL_MAX 254

/* Checks a username and appends its skeleton (the UTS #39 skeleton of the
 * case-folded name, case-folded again) to skeleton: two names that look
 * alike have the same skeleton. Allowed: letters, digits, combining marks,
 * '_', '-', '.', starting and ending with a letter or digit, already in
 * NFKC, in one script (Latin may mix with Han/Kana as UTS #39 "highly
 * restrictive" allows), no invisible characters.
 * Errors: VALIDATION_FIELD_LENGTH, VALIDATION_FIELD_FORMAT (characters,
 * not NFKC), VALIDATION_USERNAME_CONFUSABLE (mixed scripts),
 * SYSTEM_INTERNAL (ICU). *reason gets a short machine word. */
enum px_err px_ident_username(const char *s, struct px_buf *skeleton,
			      const char **reason) __attribute__((warn_unused_result));
/* 1 when the name's skeleton equals that of a reserved name ("admin",
 * "root", "system", ...), so look-alikes of them are reserved too. */
int px_ident_reserved(const char *skeleton);
/* Checks an e-mail address: ASCII local@domain, at most 254 characters.
 * VALIDATION_FIELD_LENGTH or VALIDATION_FIELD_FORMAT. */
enum px_err px_ident_email(const char *s) __attribute__((warn_unused_result));
/* Checks a display name: 1..64 code points, no control or format
 * characters (bidi overrides, zero-width), no leading/trailing space.
 * VALIDATION_FIELD_LENGTH or VALIDATION_FIELD_FORMAT. */
enum px_err px_ident_display_name(const char *s) __attribute__((warn_unused_result));

#endif
