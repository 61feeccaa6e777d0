-- 060_web_prefs.sql: the web UI's per-account preferences. lang is the UI
-- language chosen in the settings (a code of PX_I18N_LANGS); without a row
-- the browser's Accept-Language decides. Set again as the px_lang cookie
-- at every sign-in, so the choice follows the account to other browsers.
CREATE TABLE web_prefs (
    user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    lang    text NOT NULL CHECK (lang ~ '^[a-z]{2,8}$')
);
