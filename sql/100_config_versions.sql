-- 100_config_versions.sql: versions of the configuration file, recorded by
-- `plexichat-admin config check` (when the file changed since the newest
-- version) and `config rollback`. content is the whole file as written,
-- sha256 its hex digest; who is the OS user that ran the command (or --who).
CREATE TABLE config_versions (
	id      bigserial PRIMARY KEY,
	at      timestamptz NOT NULL DEFAULT now(),
	who     text NOT NULL,
	action  text NOT NULL DEFAULT 'check',
	path    text NOT NULL DEFAULT '',
	content text NOT NULL,
	sha256  text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
