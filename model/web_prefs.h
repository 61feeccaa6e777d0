/* model/web_prefs.h: SQL for the web UI's per-account preferences (the
 * UI language). */
#ifndef PX_M_WEB_PREFS_H
#define PX_M_WEB_PREFS_H

#include "core/db.h"

#define PX_M_LANG_MAX 9 /* 8 letters and the NUL */

/* The chosen language of user into lang ("" when none was chosen). */
enum px_err px_m_web_lang_get(struct px_db *db, long long user, char lang[PX_M_LANG_MAX])
	__attribute__((nonnull(1), warn_unused_result));
/* Stores lang for user; "" removes the choice. */
enum px_err px_m_web_lang_set(struct px_db *db, long long user, const char *lang)
	__attribute__((nonnull(1), warn_unused_result));

#define PX_M_THEME_MAX 9 /* "contrast" and the NUL */

/* The chosen theme of user into theme ("light", "dark", "contrast"; ""
 * when none was chosen). */
enum px_err px_m_web_theme_get(struct px_db *db, long long user, char theme[PX_M_THEME_MAX])
	__attribute__((nonnull(1), warn_unused_result));
/* Stores theme for user; "" removes the choice. A theme the table does not
 * allow is VALIDATION_FIELD_FORMAT (the caller checks it first). */
enum px_err px_m_web_theme_set(struct px_db *db, long long user, const char *theme)
	__attribute__((nonnull(1, 3), warn_unused_result));

#endif
