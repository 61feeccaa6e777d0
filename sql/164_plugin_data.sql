-- 164_plugin_data: a plugin's own data (docs/PLUGIN_DEVELOPMENT.md "Data").
-- A plugin whose manifest lists migrations gets a schema of its own and a
-- login role confined to it: the role owns that schema and nothing else,
-- so it cannot read PlexiChat's tables or another plugin's schema. Its
-- migrations run as that role, inside the transaction that records the
-- install, and are listed here with their down scripts so that a later
-- downgrade can undo them without the newer package.
--
-- Neither table refers to plugins: data kept by "remove --keep-data"
-- outlives the plugin's row and is found again by a later install.
-- PlexiChat's own database role needs CREATEROLE for this.

CREATE TABLE plugin_data (
    plugin     text PRIMARY KEY CHECK (plugin ~ '^[a-z][a-z0-9_-]{0,39}$'),
    role       text NOT NULL UNIQUE,
    schema     text NOT NULL UNIQUE,
    password   text NOT NULL,               -- of role; handed only to the plugin
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plugin_migrations (
    plugin     text NOT NULL REFERENCES plugin_data (plugin) ON DELETE CASCADE,
    id         integer NOT NULL CHECK (id > 0),    -- its place in the manifest's list
    up_sha256  text NOT NULL CHECK (up_sha256 ~ '^[0-9a-f]{64}$'),
    down       text,                         -- NULL: it cannot be undone
    version    text NOT NULL,                -- the plugin version that applied it
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plugin, id)
);

-- The role and schema of p_name, made on first use. The role's name holds
-- the database's oid because roles belong to the whole cluster.
CREATE FUNCTION px_plugin_data_ensure(p_name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r text := 'pxpl_' || (SELECT oid FROM pg_database WHERE datname = current_database()) || '_' || p_name;
  s text := 'plugin_' || p_name;
  pw text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
BEGIN
  IF EXISTS (SELECT 1 FROM plugin_data WHERE plugin = p_name) THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE ROLE %I LOGIN NOINHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT 16 PASSWORD %L',
                 r, pw);
  -- PlexiChat becomes a member: to give the role its schema and to run
  -- migrations as it
  EXECUTE format('GRANT %I TO %I', r, current_user);
  EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', s, r);
  EXECUTE format('ALTER ROLE %I SET search_path = %I', r, s);
  INSERT INTO plugin_data (plugin, role, schema, password) VALUES (p_name, r, s, pw);
END $$;

-- Runs p_sql as p_name's role with its schema first in the search path.
-- The function it runs through is made in this transaction (so no other
-- session sees it, and the plugin cannot have replaced it) and is
-- SECURITY DEFINER, where SET ROLE and SET SESSION AUTHORIZATION are
-- refused: the script cannot step back out into PlexiChat's role.
CREATE FUNCTION px_plugin_data_run(p_name text, p_sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  d plugin_data;
  f text := '_px_run_' || replace(gen_random_uuid()::text, '-', '');
BEGIN
  SELECT * INTO STRICT d FROM plugin_data WHERE plugin = p_name;
  EXECUTE format('CREATE FUNCTION %I.%I(text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER'
                 ' SET search_path = %I AS $f$ BEGIN EXECUTE $1; END $f$', d.schema, f, d.schema);
  EXECUTE format('ALTER FUNCTION %I.%I(text) OWNER TO %I', d.schema, f, d.role);
  EXECUTE format('REVOKE ALL ON FUNCTION %I.%I(text) FROM PUBLIC', d.schema, f);
  EXECUTE format('SELECT %I.%I($1)', d.schema, f) USING p_sql;
  EXECUTE format('DROP FUNCTION %I.%I(text)', d.schema, f);
  -- a plain SET in the script (DateStyle, timeouts...) would outlast it
  -- on this connection, which serves other requests: back to the
  -- connection's own defaults (its startup options stay)
  RESET ALL;
END $$;

-- Drops p_name's schema, with everything in it, and its role.
CREATE FUNCTION px_plugin_data_purge(p_name text) RETURNS boolean LANGUAGE plpgsql
  SET client_min_messages = warning AS $$
DECLARE
  d plugin_data;
BEGIN
  SELECT * INTO d FROM plugin_data WHERE plugin = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', d.schema);
  EXECUTE format('DROP OWNED BY %I', d.role);
  EXECUTE format('DROP ROLE %I', d.role);
  DELETE FROM plugin_data WHERE plugin = p_name;
  RETURN true;
END $$;
