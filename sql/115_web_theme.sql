-- 115_web_theme.sql: the web UI's theme per account (issue 16). No row:
-- the pages follow the system's light or dark setting. The choice is
-- copied into the px_theme cookie at sign-in and on saving, so that pages
-- are drawn in it by the server (no flash of the other theme).
CREATE TABLE web_themes (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  theme text NOT NULL CHECK (theme IN ('light', 'dark', 'contrast')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
