-- 011_mfa: TOTP second factor, recovery codes and trusted devices.
-- Secrets are sealed with AES-256-GCM (core/crypto.h); codes and device
-- tokens are stored as SHA-256 hashes only.
CREATE TABLE mfa_totp (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_enc   text NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mfa_recovery_codes (
    id        bigserial PRIMARY KEY,
    user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    used_at   timestamptz,
    UNIQUE (user_id, code_hash)
);

CREATE TABLE trusted_devices (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   text NOT NULL UNIQUE,
    user_agent   text NOT NULL DEFAULT '',
    ip           inet,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX trusted_devices_user ON trusted_devices (user_id) WHERE revoked_at IS NULL;
