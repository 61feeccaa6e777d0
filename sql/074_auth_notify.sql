-- 074_auth_notify: every change to what a request's authentication and
-- channel check read (sessions, tokens, accounts, memberships, channels)
-- notifies 'px_auth', so that plexichat.fcgi processes on every machine drop
-- the lookups they keep for a few seconds (fcgi/authmw.c). Changes to the
-- channel's messages already notify 'px_events' through px_emit.
-- Statement triggers: one notice per statement, and PostgreSQL folds equal
-- notices of one transaction into one.
CREATE FUNCTION px_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('px_auth', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER sessions_auth_changed
  AFTER UPDATE OF revoked_at, expires_at, user_id OR DELETE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION px_auth_changed();
CREATE TRIGGER api_tokens_auth_changed
  AFTER UPDATE OF revoked_at, expires_at, scopes, user_id OR DELETE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION px_auth_changed();
CREATE TRIGGER users_auth_changed
  AFTER UPDATE OF role, username, deactivated_at OR DELETE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION px_auth_changed();
CREATE TRIGGER channels_auth_changed
  AFTER UPDATE OF kind, archived_at OR DELETE ON channels
  FOR EACH STATEMENT EXECUTE FUNCTION px_auth_changed();
CREATE TRIGGER channel_members_auth_changed
  AFTER INSERT OR UPDATE OF role, channel_id, user_id OR DELETE ON channel_members
  FOR EACH STATEMENT EXECUTE FUNCTION px_auth_changed();
