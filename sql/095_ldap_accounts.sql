-- 095_ldap_accounts: accounts whose password lives in an LDAP directory
-- (handlers/auth_ldap.c). A row makes the account LDAP-sourced: its
-- password is checked only by binding to the directory, it has no local
-- password hash, and role and e-mail are copied from the directory at
-- every login. Accounts without a row are local and never checked
-- against the directory.
CREATE TABLE ldap_accounts (
    user_id    bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    dn         text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    synced_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ldap_accounts_dn ON ldap_accounts (lower(dn));
