-- The rolling-upgrade test's contract step (docs/CLUSTERING.md "Rolling
-- upgrades"): it removes what no running build reads any more. Here that
-- is the probe column itself, so the test's database ends with the
-- product's schema. The line below makes `plexichat-admin migrate` refuse
-- it while a live node still ships a schema without 990.
-- contract-after: 990
SET LOCAL lock_timeout = '3s';
ALTER TABLE messages DROP COLUMN upgrade_probe;
