-- 070_msg_hot_functions: the JSON helpers that run on every page of
-- messages, every post and every event read, made cheap to call.
--
-- px_user_obj and px_event_json were declared IMMUTABLE, but they call
-- json_build_object, which is only STABLE; PostgreSQL does not inline a
-- function whose body is more volatile than its declaration, so each row of
-- a page ran them through the SQL-function executor. Declared STABLE, as
-- their bodies are, they are inlined into the calling query.
ALTER FUNCTION px_user_obj(bigint, citext, text) STABLE;
ALTER FUNCTION px_event_json(events) STABLE;

-- px_user_json runs on every post (the author of the message.created
-- event) and notification. A SQL function with a FROM clause cannot be
-- inlined, so its body was parsed and planned again in every transaction;
-- in PL/pgSQL the plan is kept for the life of the connection.
CREATE OR REPLACE FUNCTION px_user_json(uid bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE j json;
BEGIN
  SELECT px_user_obj(u.id, u.username, u.display_name) INTO j FROM users u WHERE u.id = uid;
  RETURN j;
END $$;
