-- 116_notify_desktop.sql: whether the web UI shows desktop notifications
-- (the browser's Notification API) for this account, and asks for the
-- permission at all (issue 16). No row: on. Separate from notify_prefs
-- (135_notify), which a lower number cannot alter.
CREATE TABLE notify_desktop (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  enabled boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
