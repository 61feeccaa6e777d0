/* model/web_prefs.c: the web UI's per-account preferences (web_prefs.h). */
#include "model/web_prefs.h"
#include "model/rows.h"

#include <libpq-fe.h>
#include <stdio.h>

/* The one text column sql reads for user into out (empty when none). */
static enum px_err user_text(struct px_db *db, const char *name, const char *sql, long long user,
			     char *out, size_t cap)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, name, sql, 1, p, &r);

	out[0] = '\0';
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 1)
		snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_web_lang_get(struct px_db *db, long long user, char lang[PX_M_LANG_MAX])
{
	return user_text(db, "web_lang_get", "SELECT lang FROM web_prefs WHERE user_id = $1", user,
			 lang, PX_M_LANG_MAX);
}

enum px_err px_m_web_lang_set(struct px_db *db, long long user, const char *lang)
{
	char u[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), lang };

	if (!lang[0])
		return px_m_exec_rows(db, "web_lang_del", "DELETE FROM web_prefs WHERE user_id = $1",
				      1, p, NULL);
	return px_m_exec_rows(db, "web_lang_set",
		"INSERT INTO web_prefs (user_id, lang) VALUES ($1, $2)"
		" ON CONFLICT (user_id) DO UPDATE SET lang = EXCLUDED.lang", 2, p, NULL);
}

enum px_err px_m_web_theme_get(struct px_db *db, long long user, char theme[PX_M_THEME_MAX])
{
	return user_text(db, "web_theme_get", "SELECT theme FROM web_themes WHERE user_id = $1",
			 user, theme, PX_M_THEME_MAX);
}

enum px_err px_m_web_theme_set(struct px_db *db, long long user, const char *theme)
{
	char u[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), theme };

	if (!theme[0])
		return px_m_exec_rows(db, "web_theme_del", "DELETE FROM web_themes WHERE user_id = $1",
				      1, p, NULL);
	return px_m_exec_rows(db, "web_theme_set",
		"INSERT INTO web_themes (user_id, theme) VALUES ($1, $2) ON CONFLICT (user_id)"
		" DO UPDATE SET theme = EXCLUDED.theme, updated_at = now()", 2, p, NULL);
}
