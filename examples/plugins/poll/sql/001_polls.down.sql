-- back to poll 1.0.0, which keeps nothing
DROP TABLE polls;
