-- 010_sessions: login sessions, personal access tokens and the shared
-- rate-limit buckets. Only SHA-256 hashes of tokens are stored.
ALTER TABLE users
    ADD COLUMN username_skeleton text,
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN bio text NOT NULL DEFAULT '',
    ADD COLUMN password_changed_at timestamptz;
-- UTS #39 skeleton of the case-folded name: two names that look alike
-- share a skeleton, so the second is refused.
CREATE UNIQUE INDEX users_username_skeleton ON users (username_skeleton);

CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    user_agent   text NOT NULL DEFAULT '',
    ip           inet,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    scopes       integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id) WHERE revoked_at IS NULL;

-- Token buckets of the general rate limiter, shared by every process and
-- node. Unlogged: losing them in a crash only resets the limits, and
-- commits need no WAL flush, which keeps the per-request cost low.
CREATE UNLOGGED TABLE rate_buckets (
    class      text NOT NULL,
    client     text NOT NULL,
    tokens     double precision NOT NULL,
    allowed    boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (class, client)
);
