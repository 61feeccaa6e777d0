-- 050_backup_status.sql: one row per plexichat-backup run, written by the
-- backup program at the end of each run (success or failure). The health
-- endpoint and the admin UI read the newest rows.
CREATE TABLE backup_status (
	id             bigserial PRIMARY KEY,
	started_at     timestamptz NOT NULL,
	finished_at    timestamptz NOT NULL,
	ok             boolean NOT NULL,
	command        text NOT NULL DEFAULT 'backup',
	snapshot       text,
	store          text NOT NULL,
	host           text NOT NULL,
	bytes_total    bigint NOT NULL DEFAULT 0,
	bytes_uploaded bigint NOT NULL DEFAULT 0,
	shards_total   bigint NOT NULL DEFAULT 0,
	shards_new     bigint NOT NULL DEFAULT 0,
	duration_ms    bigint NOT NULL,
	error_code     text,
	error_message  text
);
CREATE INDEX backup_status_finished_idx ON backup_status (finished_at DESC);
