-- Moderation asked again: a post whose moderation provider did not answer
-- within ai_moderation_budget_ms, and that the channel's policy posted,
-- waits in ai_moderation as "unchecked"; the AI worker asks the provider
-- again (docs/AI.md). recheck_at: when it is due (NULL: not, or no more);
-- a worker that takes an entry moves it 10 minutes ahead first, so an entry
-- whose worker died is taken again then. recheck_attempts: tries so far.
ALTER TABLE ai_moderation
    ADD COLUMN recheck_at timestamptz,
    ADD COLUMN recheck_attempts int NOT NULL DEFAULT 0;
CREATE INDEX ai_moderation_recheck ON ai_moderation (recheck_at) WHERE recheck_at IS NOT NULL;
