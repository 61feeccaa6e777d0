-- 040_waf_ip.sql: the WAF's shared IP reputation. Allow/deny ranges from
-- the admin API and threat-intelligence feeds, temporary automatic blocks
-- shared by every process and node, and version counters that let each
-- process notice a change with one cheap query every few seconds.
CREATE TABLE waf_ip_list (
	id         bigserial PRIMARY KEY,
	list       text NOT NULL CHECK (list IN ('allow', 'deny')),
	cidr       cidr NOT NULL,
	-- 'admin' for ranges added through the API or CLI, 'feed:NAME' for
	-- ranges loaded by `plexichat-admin waf update-feeds`
	source     text NOT NULL DEFAULT 'admin',
	comment    text NOT NULL DEFAULT '',
	created_by bigint REFERENCES users(id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (list, cidr, source)
);
CREATE INDEX waf_ip_list_source ON waf_ip_list (source);

CREATE TABLE waf_blocks (
	ip         inet PRIMARY KEY,
	until      timestamptz NOT NULL,
	reason     text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX waf_blocks_until ON waf_blocks (until);

-- One row; list_v changes with waf_ip_list, block_v with waf_blocks.
CREATE TABLE waf_version (
	id      integer PRIMARY KEY CHECK (id = 1),
	list_v  bigint NOT NULL DEFAULT 0,
	block_v bigint NOT NULL DEFAULT 0
);
INSERT INTO waf_version (id) VALUES (1);

CREATE FUNCTION waf_bump_list_v() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE waf_version SET list_v = list_v + 1 WHERE id = 1;
	RETURN NULL;
END $$;

CREATE FUNCTION waf_bump_block_v() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE waf_version SET block_v = block_v + 1 WHERE id = 1;
	RETURN NULL;
END $$;

CREATE TRIGGER waf_ip_list_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON waf_ip_list FOR EACH STATEMENT EXECUTE FUNCTION waf_bump_list_v();
CREATE TRIGGER waf_blocks_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON waf_blocks FOR EACH STATEMENT EXECUTE FUNCTION waf_bump_block_v();
