/* model/plugins.c: the SQL of installed plugins (see plugins.h). */
#include "model/plugins.h"
#include "model/plugin_data.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_m_plugin_key_add(struct px_db *db, const char *name, const char *pub)
{
	const char *p[2] = { name, pub };

	return px_m_exec_rows(db, "plugin_key_add",
		"INSERT INTO plugin_keys (name, public_key) VALUES ($1, $2)", 2, p, NULL);
}

enum px_err px_m_plugin_key_remove(struct px_db *db, const char *name)
{
	const char *p[1] = { name };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "plugin_key_remove",
				       "DELETE FROM plugin_keys WHERE name = $1", 1, p, &rows);

	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_plugin_keys_each(struct px_db *db,
				  int (*fn)(void *arg, const char *name, const char *pub),
				  void *arg)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "plugin_keys",
		"SELECT name, public_key FROM plugin_keys ORDER BY name", 0, NULL, &r);

	for (int i = 0; e == PX_OK && i < PQntuples(r); i++)
		if (fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)))
			break;
	PQclear(r);
	return e;
}

enum px_err px_m_plugins_each(struct px_db *db, int (*fn)(void *arg, const struct px_m_plugin *p),
			      void *arg)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "plugins_each",
		"SELECT p.name, p.version, v.manifest::text, v.dir, v.sha256, v.entry_sha256,"
		" v.signed_by, p.status,"
		" p.status_detail, p.enabled, p.all_channels, p.granted::text"
		" FROM plugins p JOIN plugin_versions v USING (name, version) ORDER BY p.name",
		0, NULL, &r);

	for (int i = 0; e == PX_OK && i < PQntuples(r); i++) {
		struct px_m_plugin p = {
			PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
			PQgetvalue(r, i, 6), PQgetvalue(r, i, 7), PQgetvalue(r, i, 8),
			PQgetvalue(r, i, 9)[0] == 't', PQgetvalue(r, i, 10)[0] == 't',
			PQgetvalue(r, i, 11),
		};

		if (fn(arg, &p))
			break;
	}
	PQclear(r);
	return e;
}

enum px_err px_m_plugin_version_get(struct px_db *db, const char *name, const char *version,
				    struct px_buf *dir, struct px_buf *manifest, struct px_buf *sha256,
				    struct px_buf *entry_sha256)
{
	const char *p[2] = { name, version };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "plugin_version_get",
		"SELECT dir, manifest::text, sha256, entry_sha256 FROM plugin_versions"
		" WHERE name = $1 AND version = $2",
		2, p, &r);

	if (e != PX_OK)
		return e;
	px_buf_puts(dir, PQgetvalue(r, 0, 0));
	px_buf_puts(manifest, PQgetvalue(r, 0, 1));
	px_buf_puts(sha256, PQgetvalue(r, 0, 2));
	px_buf_puts(entry_sha256, PQgetvalue(r, 0, 3));
	PQclear(r);
	return PX_OK;
}

struct install {
	const char *p[7];
	const struct px_m_plugin_mig *migs;
	int nmigs;
	struct px_buf *why;
};

static enum px_err install_tx(struct px_db *db, void *arg)
{
	struct install *in = arg;
	PGresult *r = NULL;
	enum px_err e;

	/* the same version again must be the same package */
	e = px_db_exec_prepared(db, "plugin_install_version",
		"INSERT INTO plugin_versions (name, version, manifest, dir, sha256, entry_sha256,"
		" signed_by) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)"
		" ON CONFLICT (name, version) DO UPDATE SET installed_at = now()"
		"  WHERE plugin_versions.sha256 = EXCLUDED.sha256"
		" RETURNING 1", 7, in->p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return PX_E_VALIDATION_CONFLICT;
	}
	PQclear(r);
	/* the plugin's data follows its version, in this same transaction */
	e = px_m_plugin_data_migrate(db, in->p[0], in->p[1], in->migs, in->nmigs, in->why);
	if (e != PX_OK)
		return e;
	/* granted permissions shrink to what the new manifest asks for */
	return px_m_exec_rows(db, "plugin_install_current",
		"INSERT INTO plugins (name, version) VALUES ($1, $2)"
		" ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, status = 'ok',"
		"  status_detail = '', updated_at = now(),"
		"  granted = ARRAY(SELECT g FROM unnest(plugins.granted) g WHERE g IN"
		"   (SELECT jsonb_array_elements_text(coalesce($3::jsonb->'permissions', '[]'))))",
		3, in->p, NULL);
}

enum px_err px_m_plugin_install(struct px_db *db, const char *name, const char *version,
				const char *manifest, const char *dir, const char *sha256,
				const char *entry_sha256, const char *signed_by,
				const struct px_m_plugin_mig *migs, int nmigs, struct px_buf *why)
{
	struct install in = { { name, version, manifest, dir, sha256, entry_sha256, signed_by },
			      migs, nmigs, why };

	return px_db_tx(db, install_tx, &in);
}

struct enable {
	const char *p[5];
};

static enum px_err enable_tx(struct px_db *db, void *arg)
{
	struct enable *en = arg;
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "plugin_enable",
		"UPDATE plugins SET enabled = $2::boolean, granted = coalesce($3::text[], granted),"
		" all_channels = $4::boolean, status = 'ok', status_detail = '', updated_at = now()"
		" WHERE name = $1", 4, en->p, &rows);
	if (e != PX_OK || !rows)
		return e != PX_OK ? e : PX_E_VALIDATION_NOT_FOUND;
	if (!en->p[4])
		return PX_OK;
	e = px_m_exec_rows(db, "plugin_channels_clear", "DELETE FROM plugin_channels WHERE name = $1",
			   1, en->p, NULL);
	if (e != PX_OK)
		return e;
	{
		const char *q[2] = { en->p[0], en->p[4] };

		return px_m_exec_rows(db, "plugin_channels_set",
			"INSERT INTO plugin_channels (name, channel_id)"
			" SELECT $1, c.id FROM channels c WHERE c.id = ANY($2::bigint[])", 2, q, NULL);
	}
}

enum px_err px_m_plugin_enable(struct px_db *db, const char *name, int on, const char *granted,
			       int all_channels, const char *channels)
{
	struct enable en = { { name, on ? "t" : "f", granted, all_channels ? "t" : "f", channels } };

	return px_db_tx(db, enable_tx, &en);
}

enum px_err px_m_plugin_status(struct px_db *db, const char *name, const char *status,
			       const char *detail)
{
	const char *p[3] = { name, status, detail };

	return px_m_exec_rows(db, "plugin_status",
		"UPDATE plugins SET status = $2, status_detail = $3, updated_at = now(),"
		" enabled = enabled AND $2 NOT LIKE 'disabled%' WHERE name = $1", 3, p, NULL);
}

struct remove {
	const char *p[1];
	int purge, *had_data;
};

static enum px_err remove_tx(struct px_db *db, void *arg)
{
	struct remove *rm = arg;
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "plugin_remove", "DELETE FROM plugins WHERE name = $1",
				       1, rm->p, &rows);

	if (e != PX_OK || !rows)
		return e != PX_OK ? e : PX_E_VALIDATION_NOT_FOUND;
	e = px_m_exec_rows(db, "plugin_remove_versions",
			   "DELETE FROM plugin_versions WHERE name = $1", 1, rm->p, NULL);
	if (e != PX_OK || !rm->purge)
		return e;
	return px_m_plugin_data_purge(db, rm->p[0], rm->had_data);
}

enum px_err px_m_plugin_remove(struct px_db *db, const char *name, int purge, int *had_data,
			       struct px_buf *dirs)
{
	struct remove rm = { { name }, purge, had_data };
	const char **p = rm.p;
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "plugin_dirs",
		"SELECT dir FROM plugin_versions WHERE name = $1", 1, p, &r);

	if (e != PX_OK)
		return e;
	*had_data = 0;
	e = px_db_tx(db, remove_tx, &rm);
	for (int i = 0; e == PX_OK && i < PQntuples(r); i++) {
		px_buf_puts(dirs, PQgetvalue(r, i, 0));
		px_buf_putc(dirs, '\n');
	}
	PQclear(r);
	return e;
}

enum px_err px_m_plugins_stamp(struct px_db *db, struct px_buf *out)
{
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "plugins_stamp",
		"SELECT coalesce(md5(string_agg(name || ' ' || version || ' ' || enabled || ' '"
		" || granted::text || ' ' || all_channels, ',' ORDER BY name)), '') || ':'"
		" || (SELECT count(*) || ':' || coalesce(sum(channel_id), 0) FROM plugin_channels)"
		" || ':' || (SELECT coalesce(md5(string_agg(name || key || value, ','"
		"  ORDER BY name, key)), '') FROM plugin_settings)"
		" FROM plugins", 0, NULL, &r);

	if (e != PX_OK)
		return e;
	px_buf_puts(out, PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_plugin_setting_set(struct px_db *db, const char *name, const char *key,
				    const char *value)
{
	const char *p[3] = { name, key, value };
	long rows = 0;
	enum px_err e;

	if (!value)
		return px_m_exec_rows(db, "plugin_setting_clear",
				      "DELETE FROM plugin_settings WHERE name = $1 AND key = $2", 2, p,
				      NULL);
	e = px_m_exec_rows(db, "plugin_setting_set",
		"INSERT INTO plugin_settings (name, key, value)"
		" SELECT name, $2, $3 FROM plugins WHERE name = $1"
		" ON CONFLICT (name, key) DO UPDATE SET value = EXCLUDED.value", 3, p, &rows);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_plugin_settings_json(struct px_db *db, const char *name, struct px_buf *out)
{
	const char *p[1] = { name };

	return px_m_json_row(db, "plugin_settings_json",
		"SELECT coalesce(jsonb_object_agg(key, value), '{}')::text FROM plugin_settings"
		" WHERE name = $1", 1, p, out);
}

enum px_err px_m_plugin_channels(struct px_db *db, const char *name, struct px_buf *out)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "plugin_channels",
		"SELECT channel_id FROM plugin_channels WHERE name = $1 ORDER BY channel_id", 1, p, &r);

	for (int i = 0; e == PX_OK && i < PQntuples(r); i++)
		px_buf_printf(out, "%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	return e;
}

enum px_err px_m_plugins_json(struct px_db *db, struct px_buf *out)
{
	return px_m_json_row(db, "plugins_json",
		"SELECT jsonb_build_object('plugins', coalesce(jsonb_agg(jsonb_build_object("
		" 'name', p.name, 'version', p.version, 'enabled', p.enabled,"
		" 'granted', to_jsonb(p.granted), 'all_channels', p.all_channels,"
		" 'channels', (SELECT coalesce(jsonb_agg(c.channel_id ORDER BY c.channel_id), '[]')"
		"  FROM plugin_channels c WHERE c.name = p.name),"
		" 'status', p.status, 'status_detail', p.status_detail, 'signed_by', v.signed_by,"
		" 'versions', (SELECT jsonb_agg(x.version ORDER BY x.installed_at)"
		"  FROM plugin_versions x WHERE x.name = p.name),"
		" 'settings', (SELECT coalesce(jsonb_object_agg(s.key, s.value), '{}')"
		"  FROM plugin_settings s WHERE s.name = p.name),"
		" 'manifest', v.manifest) ORDER BY p.name), '[]'))::text"
		" FROM plugins p JOIN plugin_versions v USING (name, version)", 0, NULL, out);
}

enum px_err px_m_plugin_events_claim(struct px_db *db, int max, int lease_s, PGresult **r)
{
	char m[PX_M_LL], l[PX_M_LL];
	const char *p[2] = { px_m_ll(m, max), px_m_ll(l, lease_s) };

	return px_db_exec_prepared(db, "plugin_ev_claim",
		"WITH c AS (SELECT id FROM plugin_deliveries d WHERE next_at <= now()"
		" AND id = (SELECT min(x.id) FROM plugin_deliveries x WHERE x.plugin = d.plugin)"
		" ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
		" UPDATE plugin_deliveries d SET attempts = d.attempts + 1,"
		" next_at = now() + make_interval(secs => $2::int) FROM c WHERE d.id = c.id"
		" RETURNING d.id, d.plugin, d.body, d.attempts,"
		" (d.body::json->>'channel_id')::bigint, coalesce((SELECT ch.kind FROM channels ch"
		" WHERE ch.id = (d.body::json->>'channel_id')::bigint), '')", 2, p, r);
}

enum px_err px_m_plugin_events_done(struct px_db *db, long long id, long retry_ms)
{
	char i[PX_M_LL], ms[PX_M_LL];
	const char *p[2] = { px_m_ll(i, id), px_m_ll(ms, retry_ms) };

	if (retry_ms < 0)
		return px_m_exec_rows(db, "plugin_ev_done",
			"DELETE FROM plugin_deliveries WHERE id = $1", 1, p, NULL);
	return px_m_exec_rows(db, "plugin_ev_retry",
		"UPDATE plugin_deliveries SET next_at = now() + make_interval(secs => $2::int / 1000.0)"
		" WHERE id = $1", 2, p, NULL);
}

enum px_err px_m_plugin_bot(struct px_db *db, const char *name, long long *bot)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "plugin_bot", "SELECT px_plugin_bot($1)", 1, p, &r);

	if (e != PX_OK)
		return e;
	*bot = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return *bot ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_plugin_manifest(struct px_db *db, const char *name, struct px_buf *out)
{
	const char *p[1] = { name };

	return px_m_json_row(db, "plugin_manifest",
		"SELECT v.manifest::text FROM plugins p JOIN plugin_versions v USING (name, version)"
		" WHERE p.name = $1", 1, p, out);
}

enum px_err px_m_plugin_set_enabled(struct px_db *db, const char *name, int on)
{
	const char *p[2] = { name, on ? "t" : "f" };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "plugin_set_enabled",
		"UPDATE plugins SET enabled = $2::boolean, updated_at = now(),"
		" status = CASE WHEN $2::boolean THEN 'ok' ELSE status END,"
		" status_detail = CASE WHEN $2::boolean THEN '' ELSE status_detail END"
		" WHERE name = $1 AND (NOT $2::boolean OR granted <> '{}')", 2, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_plugin_schedules_claim(struct px_db *db, PGresult **r)
{
	enum px_err e = px_db_exec(db,
		"INSERT INTO plugin_schedules (plugin, next_at) SELECT p.name, now()"
		" FROM plugins p JOIN plugin_versions v USING (name, version)"
		" WHERE p.enabled AND v.manifest -> 'hooks' ? 'schedule'"
		" ON CONFLICT (plugin) DO NOTHING", 0, NULL, NULL);

	if (e != PX_OK)
		return e;
	return px_db_exec_prepared(db, "plugin_sched_claim",
		"UPDATE plugin_schedules s SET next_at = now() + make_interval(secs =>"
		" (v.manifest->>'schedule_seconds')::int)"
		" FROM plugins p JOIN plugin_versions v USING (name, version)"
		" WHERE s.plugin = p.name AND p.enabled AND s.next_at <= now() RETURNING s.plugin,"
		" p.all_channels, (SELECT coalesce(json_agg(c.channel_id ORDER BY c.channel_id), '[]')"
		" FROM plugin_channels c WHERE c.name = s.plugin)",
		0, NULL, r);
}

enum px_err px_m_plugin_channel_kind(struct px_db *db, const char *name, long long channel,
				     char kind[16])
{
	char c[PX_M_LL];
	const char *p[2] = { name, px_m_ll(c, channel) };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "plugin_chan_kind",
		"SELECT ch.kind FROM channels ch JOIN plugins p ON p.name = $1"
		" WHERE ch.id = $2::bigint AND p.enabled AND ch.archived_at IS NULL"
		" AND ch.kind IN ('public', 'private') AND (p.all_channels OR EXISTS (SELECT 1"
		" FROM plugin_channels pc WHERE pc.name = p.name AND pc.channel_id = ch.id))",
		2, p, &r);

	if (e != PX_OK)
		return e;
	snprintf(kind, 16, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}
