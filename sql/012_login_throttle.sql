-- 012_login_throttle: failed-login counters with exponential back-off, per
-- account ("user:NAME") and per client address ("ip:ADDR"), shared by all
-- processes and nodes.
CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    last_failure timestamptz NOT NULL,
    locked_until timestamptz
);
