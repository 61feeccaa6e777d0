-- 013_invites: single-use invites issued by admins (registration = invite)
-- and single-use password-reset tokens. Only hashes of the codes are kept.
CREATE TABLE invites (
    id         bigserial PRIMARY KEY,
    code_hash  text NOT NULL UNIQUE,
    created_by bigint REFERENCES users(id) ON DELETE SET NULL,
    email      citext,
    role       text NOT NULL DEFAULT 'member'
               CHECK (role IN ('admin', 'moderator', 'member', 'guest')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    bigint REFERENCES users(id) ON DELETE SET NULL
);

CREATE TABLE password_resets (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;
