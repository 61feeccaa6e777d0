-- 014_oidc: OpenID Connect login: pending authorization requests (state,
-- nonce, sealed PKCE verifier; single use, ten minutes) and the links
-- between provider subjects and accounts.
CREATE TABLE oidc_states (
    state_hash   text PRIMARY KEY,
    provider     text NOT NULL,
    nonce        text NOT NULL,
    verifier_enc text NOT NULL,
    next         text NOT NULL DEFAULT '/',
    expires_at   timestamptz NOT NULL
);

CREATE TABLE oidc_links (
    provider   text NOT NULL,
    subject    text NOT NULL,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email      citext,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX oidc_links_user ON oidc_links (user_id);
