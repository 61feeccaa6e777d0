-- 135_notify: notifications that reach people away from the app.
-- E-mail digests: a mention or DM still unread after the user's delay is
-- mailed once (notifications.mailed_at), in one digest per user per delay,
-- at most notify_mail_max_per_hour digests per hour (notify_mail_log).
-- Web Push: per-device subscriptions; a notification is pushed once
-- (notifications.pushed_at) when its user has no open event stream.
CREATE TABLE notify_prefs (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    mail_minutes int NOT NULL DEFAULT 0 CHECK (mail_minutes IN (0, 5, 15, 60, 240, 1440)),
    push         boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notifications ADD COLUMN mailed_at timestamptz,
                          ADD COLUMN pushed_at timestamptz;
-- what the sender looks for: unread and not yet sent one way or the other
CREATE INDEX notifications_unmailed ON notifications (user_id, created_at)
    WHERE read_at IS NULL AND mailed_at IS NULL;
CREATE INDEX notifications_unpushed ON notifications (id)
    WHERE read_at IS NULL AND pushed_at IS NULL;

CREATE TABLE notify_mail_log (
    user_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sent_at  timestamptz NOT NULL DEFAULT now(),
    items    int NOT NULL
);
CREATE INDEX notify_mail_log_user ON notify_mail_log (user_id, sent_at DESC);

-- A muted channel sends neither mail nor push. (The slash command /mute and
-- a channel menu are meant to set it; IF NOT EXISTS so that another change
-- adding the same column first does not clash.)
ALTER TABLE channel_members ADD COLUMN IF NOT EXISTS muted boolean NOT NULL DEFAULT false;

CREATE TABLE push_subscriptions (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint    text NOT NULL UNIQUE,
    p256dh      text NOT NULL,          -- base64url, the browser's P-256 key (65 bytes)
    auth        text NOT NULL,          -- base64url, 16 bytes
    user_agent  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_ok_at  timestamptz,
    failures    int NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- The server's VAPID key pair (RFC 8292), made on first use; the private
-- key is sealed with the configured secret_key.
CREATE TABLE push_vapid (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    public_key  text NOT NULL,          -- base64url uncompressed point
    private_sealed text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
