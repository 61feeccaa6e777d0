-- 127_reminders: /remind, delivered later by the outgoing webhooks' durable
-- queue (hook_deliveries): a reminder is a delivery of kind 'reminder'
-- without a hook, due at its time, which the senders post into its channel
-- as the reminder bot, mentioning whoever set it.
ALTER TABLE hook_deliveries ALTER COLUMN hook_id DROP NOT NULL;
ALTER TABLE hook_deliveries ADD CONSTRAINT hook_deliveries_target
  CHECK ((hook_id IS NULL) = (kind = 'reminder'));

-- The one reminder bot; its name is generated, so no existing account can
-- stand in its way.
CREATE TABLE reminder_bot (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    bot_id bigint NOT NULL REFERENCES users(id)
);
WITH bot AS (INSERT INTO users (username, display_name, role, is_bot)
  VALUES ('reminders-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 8),
          'Reminders', 'member', true) RETURNING id)
INSERT INTO reminder_bot (bot_id) SELECT id FROM bot;
