-- 162_plugin_schedules: the "schedule" hook of process plugins: when each
-- plugin that declared it is next due. The sender threads of every process
-- claim due rows with one UPDATE, so a plugin is called once per period
-- however many processes and nodes run (docs/PLUGIN_DEVELOPMENT.md).
CREATE TABLE plugin_schedules (
    plugin  text PRIMARY KEY REFERENCES plugins (name) ON DELETE CASCADE,
    next_at timestamptz NOT NULL
);
