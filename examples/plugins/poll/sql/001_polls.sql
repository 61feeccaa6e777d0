-- poll 1.1.0: the tally of each poll, kept as people vote, so that
-- GET /api/v1/plugins/poll/results?poll=ID answers without reading the
-- message. Runs as the plugin's own role, in its own schema.
CREATE TABLE polls (
    message_id bigint PRIMARY KEY,
    question   text NOT NULL,
    tally      jsonb NOT NULL,           -- {"option": votes, ...} in order
    updated_at timestamptz NOT NULL DEFAULT now()
);
