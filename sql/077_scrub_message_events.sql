-- 077_scrub_message_events: an edit or a delete rewrites every stored
-- event about the message to its current state (model/messages.c), so the
-- event log never keeps text its author removed. This index finds them.
CREATE INDEX events_message ON events ((data->>'id')) WHERE kind LIKE 'message.%';
