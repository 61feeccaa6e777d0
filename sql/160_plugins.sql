-- 160_plugins.sql: installed plugins (plugins/, docs/PLUGIN_DEVELOPMENT.md).
-- One row per plugin at its installed version; every version ever
-- installed stays in plugin_versions (with its unpacked folder) so that a
-- downgrade needs no download. Nothing of a plugin runs unless its row
-- says enabled, and only with the permissions an admin granted.
CREATE TABLE plugin_keys (
	name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
	public_key text NOT NULL UNIQUE CHECK (public_key ~ '^[A-Za-z0-9+/]{43}=?$'),
	added_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plugin_versions (
	name         text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
	version      text NOT NULL,
	manifest     jsonb NOT NULL,
	dir          text NOT NULL,           -- the unpacked package
	sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),   -- of the package
	-- of the unpacked entry point: an in-process module whose file no
	-- longer has it is not loaded
	entry_sha256 text NOT NULL CHECK (entry_sha256 ~ '^[0-9a-f]{64}$'),
	signed_by    text NOT NULL,           -- plugin_keys.name at install time
	installed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (name, version)
);

CREATE TABLE plugins (
	name          text PRIMARY KEY,
	version       text NOT NULL,
	enabled       boolean NOT NULL DEFAULT false,
	-- permissions an admin granted, a subset of the manifest's
	granted       text[] NOT NULL DEFAULT '{}',
	-- message hooks see every channel, or only those in plugin_channels
	all_channels  boolean NOT NULL DEFAULT false,
	-- ok, or why the runtime disabled or refused it (crashes, timeouts)
	status        text NOT NULL DEFAULT 'ok',
	status_detail text NOT NULL DEFAULT '',
	updated_at    timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (name, version) REFERENCES plugin_versions (name, version)
);

CREATE TABLE plugin_channels (
	name       text NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
	channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	PRIMARY KEY (name, channel_id)
);

CREATE TABLE plugin_settings (
	name  text NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
	key   text NOT NULL,
	value text NOT NULL,
	PRIMARY KEY (name, key)
);
