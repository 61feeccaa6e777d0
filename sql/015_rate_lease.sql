-- 015_rate_lease: processes take tokens from a shared bucket in small
-- leases and spend them locally; granted records how many one take got.
ALTER TABLE rate_buckets ADD COLUMN granted integer NOT NULL DEFAULT 0;
