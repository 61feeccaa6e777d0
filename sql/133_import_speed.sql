-- 133_import_speed: the import's bulk path (plexichat-admin import) skips
-- the link-preview trigger altogether: 131 made its function return at
-- once for imported history, but it was still called for every row. The
-- WHEN clause is judged without calling PL/pgSQL.
DROP TRIGGER messages_unfurl ON messages;
CREATE TRIGGER messages_unfurl AFTER INSERT OR UPDATE OF body ON messages
  FOR EACH ROW WHEN (current_setting('plexichat.import', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION px_unfurl_enqueue();

-- A batch is one statement over arrays of up to 2,000 rows. After five
-- calls PL/pgSQL may keep a generic plan, made without knowing the arrays'
-- sizes (it guesses 10 rows), and from the sixth batch on each took about
-- twice as long (a 20,000-message import: 113 ms for the fifth batch of
-- ~1,000 rows, 276 ms for the sixth). Planning each call for its arrays
-- costs far less than that.
ALTER FUNCTION px_import_messages(text, bigint, text[], bigint[], text[], text[],
    timestamptz[], text[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION px_import_reactions(text, text[], bigint[], text[])
    SET plan_cache_mode = force_custom_plan;
