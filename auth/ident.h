/* ident.h: validation of the names people choose: usernames (NFKC, allowed
 * characters, single script, reserved names, UTS #39 skeletons for
 * look-alike detection), e-mail addresses and display names. Uses ICU. */
#ifndef PX_IDENT_H
#define PX_IDENT_H

#include "core/buf.h"
#include "core/err.h"

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
 * SYSTEM_INTERNAL (ICU). *reason gets a short machine word (static). */
enum px_err px_ident_username(const char *s, struct px_buf *skeleton,
			      const char **reason)
	__attribute__((nonnull, warn_unused_result));
/* Appends the look-alike key of a name to out: its skeleton as above
 * without accents (combining diacritics) and with l read as i, so that
 * "Zoë"/"zoe" and "adm1n"/"admin"/"Iadmin"... compare equal. Stored as
 * users.username_fold, it catches look-alikes of existing accounts that
 * the plain skeleton lets through. 0, or -1 on ICU or memory failure. */
int px_ident_fold(const char *s, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* 1 when a username (or its skeleton) looks like a reserved name
 * ("admin", "root", "system", ...) or is made only of staff words ("the
 * admin team"): compared by look-alike key loosened further, digits read
 * as letters ("r00t", "5y5tem") and separators dropped ("ad-min"). So
 * "ADMIN", "admín", "adm1n" and "r00t" are reserved. 1 when ICU fails. */
int px_ident_reserved(const char *name) __attribute__((nonnull));
/* 1 when a display name is made only of staff and system words, compared
 * the same loose way: "admin", "PlexiChat System", "Support Team",
 * "The 4dmin"; not "Alice (admin)". 1 when ICU fails. */
int px_ident_display_reserved(const char *s) __attribute__((nonnull));
/* Checks an e-mail address: ASCII local@domain, at most 254 characters.
 * VALIDATION_FIELD_LENGTH or VALIDATION_FIELD_FORMAT. */
enum px_err px_ident_email(const char *s) __attribute__((nonnull, warn_unused_result));
/* Checks a display name: 1..64 code points, no control or format
 * characters (bidi overrides, zero-width), no leading/trailing space, not
 * made only of staff words (px_ident_display_reserved).
 * VALIDATION_FIELD_LENGTH, VALIDATION_FIELD_FORMAT or
 * VALIDATION_DISPLAY_NAME_RESERVED. */
enum px_err px_ident_display_name(const char *s)
	__attribute__((nonnull, warn_unused_result));

#endif
