-- 041_waf_events.sql: the WAF's security events live in audit_log (action
-- 'waf.*'); this partial index serves the admin event list, the JSON-lines
-- export and the top-rules window without scanning other audit rows.
CREATE INDEX audit_log_waf ON audit_log (id) WHERE action LIKE 'waf.%';
CREATE INDEX audit_log_waf_at ON audit_log (at) WHERE action LIKE 'waf.%';
