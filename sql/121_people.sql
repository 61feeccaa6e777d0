-- 121_people: what a profile shows beyond the name: the account's time zone
-- (an IANA name checked against pg_timezone_names; '' = not given) and a
-- short status line; and the site settings an admin changes at run time,
-- first of them the public channel every new account joins.
ALTER TABLE users
    ADD COLUMN time_zone   text NOT NULL DEFAULT '' CHECK (length(time_zone) <= 64),
    ADD COLUMN status_text text NOT NULL DEFAULT '' CHECK (length(status_text) <= 100);

CREATE TABLE site_settings (
    key        text PRIMARY KEY CHECK (key IN ('default_channel')),
    value      text NOT NULL,
    updated_by bigint REFERENCES users(id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
