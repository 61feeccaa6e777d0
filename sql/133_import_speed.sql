-- 133_import_speed: the import's bulk path (plexichat-admin import) skips
-- the link-preview trigger altogether: 131 made its function return at
-- once for imported history, but it was still called for every row. The
-- WHEN clause is judged without calling PL/pgSQL.
DROP TRIGGER messages_unfurl ON messages;
CREATE TRIGGER messages_unfurl AFTER INSERT OR UPDATE OF body ON messages
  FOR EACH ROW WHEN (current_setting('plexichat.import', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION px_unfurl_enqueue();
