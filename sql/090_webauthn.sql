-- 090_webauthn: passkeys and security keys (WebAuthn).
-- webauthn_users: the random user handle of an account, given to
-- authenticators instead of anything that names the person (§14.6.1).
-- webauthn_credentials: one row per registered key; the public key is
-- DER SubjectPublicKeyInfo in base64url, the credential id base64url and
-- unique across all accounts. sign_count only ever rises (the update is
-- conditional on the value that was read).
-- webauthn_challenges: issued challenges, stored as SHA-256 hex, single
-- use (taken by DELETE ... RETURNING) and short-lived. purpose is
-- 'register', 'login' (passwordless: no user yet) or 'mfa' (second factor
-- of a known user).
CREATE TABLE webauthn_users (
    user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    handle  text NOT NULL UNIQUE
);

CREATE TABLE webauthn_credentials (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id text NOT NULL UNIQUE,
    public_key    text NOT NULL,
    alg           integer NOT NULL CHECK (alg IN (-7, -8, -257)),
    sign_count    bigint NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    name          text NOT NULL,
    aaguid        text NOT NULL DEFAULT '',
    fmt           text NOT NULL DEFAULT 'none',
    attestation   text NOT NULL DEFAULT 'none',
    uv_at_create  boolean NOT NULL DEFAULT false,
    backup_state  boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

CREATE TABLE webauthn_challenges (
    challenge_hash text PRIMARY KEY,
    purpose        text NOT NULL CHECK (purpose IN ('register', 'login', 'mfa')),
    user_id        bigint REFERENCES users(id) ON DELETE CASCADE,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
