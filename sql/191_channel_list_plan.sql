-- 191_channel_list_plan: the list of a user's channels (GET /channels, the
-- sidebar of every page) keeps one plan per database session.
--
-- Prepared by plexichat.fcgi, the statement over px_channel_list was planned
-- again on every call: PostgreSQL judged the generic plan costlier than the
-- custom ones and kept making custom plans, each inlining px_channel_list
-- and planning its joins and sub-selects (0.65 ms of planning beside 1.8 ms
-- of execution at 10 M messages, a third of PostgreSQL's time on the route
-- by perf). The generic plan is the same plan. PL/pgSQL keeps its
-- statement's plan for the session, and this function tells it to keep the
-- generic one; a changed px_channel_list invalidates it as before.
CREATE FUNCTION px_channels_mine(uid bigint) RETURNS json
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN (SELECT coalesce(json_agg(l.j ORDER BY l.id), '[]') FROM px_channel_list(uid) l
           WHERE l.member);
END $$;
