-- 085_username_fold: each username's look-alike key (core/ident.c,
-- px_ident_fold): its UTS #39 skeleton without accents and with l read as
-- i, so "admín", "adm1n" and "admin", or "Zoë" and "zoe", share a key where
-- the plain skeleton keeps them apart. A new account is refused when its
-- key is taken. Not unique: accounts made before this may share a key.
ALTER TABLE users ADD COLUMN username_fold text;

-- Accounts made before: derived from the stored skeleton the way the code
-- derives it (the skeleton is in NFD, so accents are these combining
-- diacritics; px_ident_fold strips the same ranges).
UPDATE users
   SET username_fold = translate(regexp_replace(
         coalesce(username_skeleton, lower(username::text)),
         '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]',
         '', 'g'), 'l', 'i');

CREATE INDEX users_username_fold ON users (username_fold);
