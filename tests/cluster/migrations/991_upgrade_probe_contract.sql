-- The rolling-upgrade test's contract step, applied only once every node
-- runs the build that shipped 990 (docs/CLUSTERING.md "Rolling upgrades"):
-- it removes what no running build reads any more. Here that is the probe
-- column itself, so the test's database ends with the product's schema.
SET LOCAL lock_timeout = '3s';
ALTER TABLE messages DROP COLUMN upgrade_probe;
