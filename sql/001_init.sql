-- 001_init: accounts and the audit log, the base every feature builds on.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       citext NOT NULL UNIQUE,
    email          citext UNIQUE,
    display_name   text NOT NULL DEFAULT '',
    password_hash  text,
    role           text NOT NULL DEFAULT 'member'
                   CHECK (role IN ('owner', 'admin', 'moderator', 'member', 'guest')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    deactivated_at timestamptz
);

CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    action         text NOT NULL,
    actor_id       bigint REFERENCES users(id) ON DELETE SET NULL,
    target         text,
    ip             inet,
    correlation_id text,
    fields         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);
