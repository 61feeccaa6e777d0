-- The rolling-upgrade test's expand step (tests/integration/
-- test_cluster_topology.sh; docs/CLUSTERING.md "Rolling upgrades"): only
-- an addition the running build does not see. A nullable column without a
-- default is a catalogue change (no table rewrite); lock_timeout makes the
-- migration fail and leave, instead of queueing every post behind its
-- lock, if a long transaction holds the table.
SET LOCAL lock_timeout = '3s';
ALTER TABLE messages ADD COLUMN upgrade_probe text;
