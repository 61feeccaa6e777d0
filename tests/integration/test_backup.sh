#!/bin/bash
# test_backup.sh: plexichat-backup against a real PostgreSQL (own cluster on
# a free port in 18400-18450) and both stores: a local folder and s3rver
# behind tests/integration/s3_proxy.py (SigV4 checked with botocore, faults
# injected on demand). Objects are read back with curl --aws-sigv4.
#
#   BUILD=/work/build/backup tests/integration/test_backup.sh
#   (scripts/test.sh runs it with PX_BUILD set)
#
# Needs: PostgreSQL 15 server binaries, curl, node/npm (s3rver, node_tools.sh,
# installed into $NODE_DIR, default $BUILD/node, ignored by git), and
# /usr/bin/python3 with Debian's awscli; npm and awscli are apt-installed
# when missing.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-${PX_BUILD:-$SRC}}
B=$BUILD/plexichat-backup
NODE_DIR=${NODE_DIR:-$BUILD/node}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d /tmp/test_backup.XXXXXX)
chmod 755 "$T"
PASS=0 FAIL=0
PIDS=()

ok()   { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad()  {   # with the end of the last run's log, which says why
	FAIL=$((FAIL + 1)); echo "FAIL - $*"
	[ -s "$T/err" ] && tail -n 3 "$T/err" | cut -c1-400 | sed 's/^/     /'
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
free_port() {
	local p
	for p in $(seq "$1" "$2"); do
		(echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -d "$T/pg" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" stop -m fast >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

[ -x "$B" ] || { echo "no $B: build first"; exit 2; }

# What this test needs beyond the project's package list: npm (for s3rver)
# and Debian's awscli (its botocore checks signatures). Installed when absent.
need=()
command -v npm >/dev/null || need+=(npm)
/usr/bin/python3 -c "import awscli" 2>/dev/null || need+=(awscli)
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "missing ${need[*]} (run as root to install)"; exit 2; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; } ||
		{ echo "cannot install ${need[*]}"; exit 2; }
fi

# ---- PostgreSQL ----
PGPORT=$(free_port 18400 18429) || { echo "no free port"; exit 2; }
mkdir -p "$T/pg" "$T/sock"
chown postgres "$T/pg" "$T/sock"
runuser -u postgres -- "$PGBIN/initdb" -D "$T/pg" -A trust -U postgres >/dev/null || exit 2
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -l "$T/sock/log" -w \
	-o "-k $T/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB" \
	start >/dev/null || exit 2
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres
db() { psql -X -q -At -d "$1" -c "$2"; }
createdb src
for f in "$SRC"/sql/*.sql; do psql -X -q -d src -f "$f" >/dev/null 2>&1; done   # the real schema
db src "SELECT 1 FROM backup_status LIMIT 0" >/dev/null 2>&1 || \
	psql -X -q -d src -f "$SRC/sql/050_backup_status.sql"
DB="dbname=src" SIZE_MB=${SIZE_MB:-15} UPLOADS="$T/uploads" UPLOADS_MB=3 \
	"$SRC/bench/gen-chat-data.sh" >/dev/null || { echo "dataset generation failed"; exit 2; }
# Every type the dumper reads in binary, and some it leaves to the server,
# at the edges of their ranges: the restore checksums below must match.
psql -X -q -d src -v ON_ERROR_STOP=1 <<'SQL' || { echo "type table failed"; exit 2; }
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA zoo;
CREATE TYPE zoo.mood AS ENUM ('calm', 'busy');
CREATE TABLE zoo.v (id int PRIMARY KEY, b bool, s int2, i int4, big int8, f float8, d date,
  ts timestamp, tz timestamptz, j json, jb jsonb, t text, vc varchar(20), n numeric, u uuid,
  ip inet, arr text[], iv interval, cfg regconfig, ci citext, m zoo.mood, by bytea);
INSERT INTO zoo.v VALUES
  (1, true, -32768, -2147483648, -9223372036854775808, 'NaN', '-infinity', '-infinity',
   'infinity', '{"a": [1, "x\ty"]}', '{"b": "\n"}', E'tab\there\nnew\\back\rcr\001ctl',
   'varchar', 1.50, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.1', '{a,"b c",NULL}',
   '1 day 02:03:04', 'english', 'CiText', 'busy', '\x00ff'),
  (2, false, 32767, 2147483647, 9223372036854775807, '-Infinity', 'infinity', 'infinity',
   '-infinity', '[]', '[]', '', '', -0.0, NULL, '::1/128', '{}', '-1 mon', 'simple', '', 'calm', ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, true, 0, 0, 0, 0.1, '0044-03-15 BC', '0044-03-15 12:34:56.789012 BC',
   '0001-01-01 00:00:00+00 BC', 'null', '"\u00e9"', 'é ✓ 𝄞', 'x', 1e-20, NULL, '192.168.0.0/16',
   '{"\\"}', '0', 'english', 'x', 'calm', NULL),
  (5, false, 1, 1, 1, -0.0, '9999-12-31', '9999-12-31 23:59:59.999999',
   '2024-02-29 13:14:15.5+05:30', '{}', '{}', 'line1
line2', 'y', 123456789.123456789,
   NULL, '2001:db8::1', '{x}', '00:00:00.000001', 'simple', 'y', 'busy', NULL),
  (6, true, 2, 2, 2, 1e308, '2000-01-01', '1999-12-31 23:59:59.999999',
   '1970-01-01 00:00:00+00', '1', '1.5', repeat('long ', 1000), 'z', 'NaN', NULL,
   '0.0.0.0', NULL, NULL, NULL, NULL, NULL, NULL);
-- a body with an empty line and a line that starts with a backslash:
-- neither is a psql meta-command, both must come back as they were
CREATE FUNCTION zoo.keep_body() RETURNS text LANGUAGE plpgsql AS $$
BEGIN

  RETURN 'two lines:
\still the same string';
END
$$;
SQL

# md5 of zoo.keep_body's source in database $1.
body_of() { db "$1" "SELECT md5(prosrc) FROM pg_proc WHERE proname = 'keep_body'"; }

# Checksum of every user table except backup_status (written after the snapshot).
sums() {
	db "$1" "SELECT string_agg(t, E'\n' ORDER BY t) FROM (
	  SELECT format('%s.%s %s', n.nspname, c.relname, (xpath('/row/s/text()',
	    query_to_xml(format('SELECT count(*) || '':'' || md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) AS s FROM %I.%I x', n.nspname, c.relname), false, true, '')))[1]::text) AS t
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
	    AND c.relname <> 'backup_status') s"
}

# ---- s3rver + checking/faulting proxy ----
bash "$SRC/tests/integration/node_tools.sh" "$NODE_DIR" || exit 2
S3PORT=$(free_port 18430 18439) && PXPORT=$(free_port $((S3PORT + 1)) 18450) || exit 2
mkdir -p "$T/s3"
"$NODE_DIR/node_modules/.bin/s3rver" -d "$T/s3" -a 127.0.0.1 -p "$S3PORT" \
	--configure-bucket plexi-backups >"$T/s3rver.log" 2>&1 &
PIDS+=($!)
/usr/bin/python3 "$SRC/tests/integration/s3_proxy.py" "$PXPORT" "$S3PORT" S3RVER S3RVER us-east-1 \
	>"$T/proxy.log" 2>&1 &
PIDS+=($!)
for i in $(seq 50); do curl -s "127.0.0.1:$PXPORT/__stats" >/dev/null && \
	curl -s "127.0.0.1:$S3PORT/" >/dev/null && break; sleep 0.2; done
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
EP=http://127.0.0.1:$PXPORT
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3curl() { curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER "$@"; }
faults() { curl -s -XPOST "$EP/__faults?$1" >/dev/null; }
stat_of() { curl -s "$EP/__stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

printf 'correct horse battery staple\n' > "$T/pass"
printf 'wrong horse\n' > "$T/wrongpass"

# Runs plexichat-backup for the current backend; output in $T/out, $T/err.
run() { "$B" $STORE --passphrase-file "$T/pass" --cache-dir "$T/cache-$NAME" "$@" >"$T/out" 2>"$T/err"; }
field() { grep -o "\"$1\":[0-9]*" "$T/err" | tail -1 | cut -d: -f2; }
# Names of the store's shards (relative), one per line.
shard_list() {
	if [ "$NAME" = local ]; then (cd "$T/store-local" && find shards -type f ! -name '*.tmp-*' | sort)
	else s3curl -H "x-amz-content-sha256: $EMPTY" \
		"http://127.0.0.1:$S3PORT/plexi-backups?list-type=2&prefix=$NAME%2Fshards%2F" |
		grep -o '<Key>[^<]*</Key>' | sed -e 's/<Key>//' -e 's/<\/Key>//' -e "s#^$NAME/##" | sort
	fi
}
get_obj() {   # name -> stdout (read back independently of the program)
	if [ "$NAME" = local ]; then cat "$T/store-local/$1"
	else s3curl -H "x-amz-content-sha256: $EMPTY" "http://127.0.0.1:$S3PORT/plexi-backups/$NAME/$1"; fi
}
put_obj() {   # name file
	if [ "$NAME" = local ]; then cp "$2" "$T/store-local/$1"
	else s3curl -H "x-amz-content-sha256: $(sha256sum "$2" | cut -d' ' -f1)" -T "$2" \
		"http://127.0.0.1:$S3PORT/plexi-backups/$NAME/$1" >/dev/null; fi
}
del_obj() {
	if [ "$NAME" = local ]; then rm -f "$T/store-local/$1"
	else s3curl -X DELETE -H "x-amz-content-sha256: $EMPTY" \
		"http://127.0.0.1:$S3PORT/plexi-backups/$NAME/$1" >/dev/null; fi
}

for NAME in local s3; do
	echo "# backend: $NAME"
	if [ $NAME = local ]; then STORE="--store $T/store-local"
	else STORE="--store s3://plexi-backups/$NAME --s3-endpoint $EP --concurrency 4"; fi
	STORE="$STORE --db dbname=src --uploads $T/uploads"

	run init; check "$NAME: init" [ $? = 0 ]
	run init; check "$NAME: second init refused" [ $? = 1 ]
	"$B" $STORE --passphrase-file "$T/wrongpass" --cache-dir "$T/c" list >"$T/out" 2>"$T/err"
	rc=$?
	check "$NAME: wrong passphrase exits 3" [ $rc = 3 ]
	check "$NAME: wrong passphrase says STORAGE_KEY_INVALID" grep -q STORAGE_KEY_INVALID "$T/err"

	before=$(sums src)
	run backup; rc=$?
	check "$NAME: first backup" [ $rc = 0 ]
	first_new=$(field shards_new)
	# what the run reports as uploaded is what the store holds
	up=$(field bytes_uploaded); held=$(shard_list | while read -r o; do get_obj "$o" | wc -c; done | awk '{s += $1} END {print s + 0}')
	check "$NAME: reported upload ($up bytes) is the shards' size ($held)" test "${up:-0}" -gt 0 -a "${up:-0}" = "$held"
	check "$NAME: status row written" [ "$(db src "SELECT ok FROM backup_status ORDER BY id DESC LIMIT 1")" = t ]
	get_obj config | grep -q '"format":"plexichat-backup"'; check "$NAME: config read back independently" [ $? = 0 ]
	first=$(shard_list | head -1)
	get_obj "$first" | head -c 4 | grep -q PXSH; check "$NAME: shard read back is a sealed PXSH box" [ $? = 0 ]

	# a run killed before its rename leaves a temporary file in a local
	# store; the next run, under the exclusive lock, removes it
	tmpf=$(dirname "$T/store-local/$first")/x.tmp-999999-1
	[ $NAME = local ] && echo partial > "$tmpf"
	# only backup_status, which every run appends to, may change
	run backup; check "$NAME: unchanged backup uploads at most the backup_status shard ($(field shards_new))" [ "$(field shards_new)" -le 1 ]

	if [ $NAME = local ]; then
		check "local: temporary file of a killed run removed" [ ! -e "$tmpf" ]
		check "local: its removal is logged" grep -q 'temporary files left by an interrupted run' "$T/err"
		# Tables are read in physical order. A table larger than a quarter of
		# shared_buffers (16MB here) is scanned in step with any other scan of
		# it: a scan that stopped halfway leaves its place for the next one,
		# which would start there and turn every shard of the table around
		check "local: chatbench.messages is large enough for synchronized scans" \
			[ "$(db src "SELECT pg_relation_size('chatbench.messages') / 8192 >
			     pg_size_bytes(current_setting('shared_buffers')) / 8192 / 4")" = t ]
		db src "SELECT count(*) FROM (SELECT 1 FROM chatbench.messages
		        LIMIT (SELECT count(*) / 2 FROM chatbench.messages)) x" >/dev/null
		run backup; check "local: after a scan stopped halfway, an unchanged backup uploads at most the backup_status shard ($(field shards_new))" [ "$(field shards_new)" -le 1 ]
		# tables read on 3 connections in the one snapshot give the serial
		# dump's streams: the same shards, rows and order (backup_status
		# aside, which every run appends to)
		tables_of() { /usr/bin/python3 -c 'import json, sys
m = json.JSONDecoder().raw_decode(sys.stdin.read())[0]
print(json.dumps([[t["schema"], t["name"], t["rows"], t["shards"]] for t in m["db"]["tables"]
                  if t["name"] != "backup_status"]))'; }
		# scattered edits: a range of messages whose first edited_at (or
		# reply_to) comes after its first row steps from another range's
		# last value, which the writer codes when it joins the ranges
		db src "UPDATE chatbench.messages SET edited_at = created_at + interval '90 s'
		        WHERE id % 1999 = 7"
		run backup --jobs 1; check "local: serial dump (--jobs 1)" [ $? = 0 ]
		run show --quiet; tables_of < "$T/out" > "$T/serial.json"
		run backup --jobs 3; rc=$?
		check "local: parallel dump (--jobs 3)" [ $rc = 0 ]
		check "local: it read on 3 connections in the exported snapshot" grep -q '"jobs":3' "$T/err"
		ranges=$(grep -o '"block_ranges":[0-9]*' "$T/err" | head -1 | cut -d: -f2)
		check "local: it read chatbench.messages in block ranges (${ranges:-none})" \
			grep -q 'chatbench.messages read in [0-9]* block ranges' "$T/err"
		check "local: it stored nothing new but backup_status ($(field shards_new) new shards)" [ "$(field shards_new)" -le 1 ]
		run show --quiet; tables_of < "$T/out" > "$T/parallel.json"
		check "local: parallel and serial table streams are identical" \
			[ -s "$T/serial.json" ] && cmp -s "$T/serial.json" "$T/parallel.json"
	fi

	# 1% of the most recent messages edited: few shards change
	db src "UPDATE chatbench.messages SET body = body || ' (edited)', edited_at = now()
	        WHERE id > (SELECT max(id) - count(*) / 100 FROM chatbench.messages)"
	echo "new upload" > "$T/uploads/new-file.txt"
	after=$(sums src)
	run backup; rc=$?
	check "$NAME: incremental backup" [ $rc = 0 ]
	inc_new=$(field shards_new)
	check "$NAME: recent edits re-upload few shards ($inc_new of $first_new)" [ "$inc_new" -le $((first_new / 4 + 2)) ]
	check "$NAME: unchanged files skipped" [ "$(field files_unchanged)" -ge 10 ]
	if [ $NAME = local ]; then
		# --table-order key: rows by primary key, so a restore lays the
		# messages out in id order, where the edits above moved some of
		# them in the source
		run backup --table-order key --jobs 3; rc=$?
		check "local: backup in key order (--jobs 3)" [ $rc = 0 ]
		run show --quiet
		check "local: its manifest has chatbench.messages ordered by id" /usr/bin/python3 -c 'import json, sys
m = json.JSONDecoder().raw_decode(sys.stdin.read())[0]
sys.exit(0 if [t.get("ordered_by") for t in m["db"]["tables"] if (t["schema"], t["name"]) == ("chatbench", "messages")] == [["id"]] else 1)' < "$T/out"
		createdb ko_local
		run restore --target-db dbname=ko_local; rc=$?
		check "local: restore of the key-order backup" [ $rc = 0 ]
		out_of_order() { db "$1" "SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY ctid) AS p
		                          FROM chatbench.messages) x WHERE id < p"; }
		check "local: the source holds messages out of id order ($(out_of_order src))" [ "$(out_of_order src)" -gt 0 ]
		check "local: the restored key-order backup holds none ($(out_of_order ko_local))" [ "$(out_of_order ko_local)" = 0 ]
	fi

	nsnap=3; [ $NAME = local ] && nsnap=7
	run list; check "$NAME: list shows $nsnap snapshots" [ "$(grep -c snapshot "$T/out")" = $nsnap ]
	if [ $NAME = local ]; then
		# a clock set back a day: the new snapshot would sort before the
		# newest one (chains, "latest" and retention go by name): refused
		faketime -f -1d "$B" $STORE --passphrase-file "$T/pass" --cache-dir "$T/cache-$NAME" \
			backup >"$T/out" 2>"$T/err"; rc=$?
		check "local: a clock behind the newest snapshot exits 10" [ $rc = 10 ]
		check "local: it says STORAGE_CLOCK_BEHIND" grep -q STORAGE_CLOCK_BEHIND "$T/err"
		run list; check "local: nothing was added" [ "$(grep -c snapshot "$T/out")" = $nsnap ]
	fi
	run verify; check "$NAME: full verify" [ $? = 0 ]
	run verify --sample 3; check "$NAME: sampled verify" [ $? = 0 ]
	check "$NAME: sampled verify read 3" grep -q '"read":3' "$T/out"

	createdb "r_$NAME"
	run restore --target-db "dbname=r_$NAME" --target-uploads "$T/up-$NAME"; rc=$?
	check "$NAME: restore" [ $rc = 0 ]
	check "$NAME: restored tables match (row counts and checksums)" [ "$(sums "r_$NAME")" = "$after" ]
	check "$NAME: restored files match" diff -r "$T/uploads" "$T/up-$NAME"
	check "$NAME: function body with an empty line and a backslash line restored as it was" \
		[ -n "$(body_of src)" -a "$(body_of "r_$NAME")" = "$(body_of src)" ]
	run restore --target-db "dbname=r_$NAME"; rc=$?
	check "$NAME: restore into a non-empty database refused" [ $rc = 1 ]
	run list; snap1=$(head -1 "$T/out" | grep -o '"snapshot":"[^"]*"' | cut -d'"' -f4)
	createdb "r1_$NAME"
	run restore "$snap1" --target-db "dbname=r1_$NAME"; rc=$?
	check "$NAME: restore of the first snapshot" [ $rc = 0 ]
	check "$NAME: first snapshot has the data of its time" [ "$(sums "r1_$NAME")" = "$before" ]

	# locks: a live foreign lock blocks, a stale one is cleared
	now=$(date +%s)
	printf '{"host":"elsewhere","pid":1,"op":"backup","exclusive":true,"created":%d,"expires":%d}' \
		"$now" $((now + 600)) > "$T/lock"
	put_obj locks/elsewhere-1-aaaa "$T/lock"
	run backup; rc=$?
	check "$NAME: live foreign lock -> exit 2" [ $rc = 2 ]
	check "$NAME: STORAGE_LOCKED reported" grep -q STORAGE_LOCKED "$T/err"
	printf '{"host":"elsewhere","pid":1,"op":"backup","exclusive":true,"created":%d,"expires":%d}' \
		$((now - 7200)) $((now - 3600)) > "$T/lock"
	put_obj locks/elsewhere-1-aaaa "$T/lock"
	run backup; rc=$?
	check "$NAME: stale lock cleared, backup runs" [ $rc = 0 ]
	check "$NAME: stale lock removal logged" grep -q "removing stale lock" "$T/err"
	run locks; check "$NAME: no locks left" [ ! -s "$T/out" ]

	# prune keeps the newest snapshot and what it references
	run prune --keep-last 1; rc=$?
	check "$NAME: prune" [ $rc = 0 ]
	run list; check "$NAME: one snapshot after prune" [ "$(grep -c snapshot "$T/out")" = 1 ]
	run verify; check "$NAME: verify after prune" [ $? = 0 ]
	check "$NAME: prune removed unreferenced shards" [ "$(shard_list | wc -l)" -le "$(grep -o '"shards":[0-9]*' "$T/out" | cut -d: -f2)" ]

	# damage: a corrupted and a deleted shard are found and named
	victim=$(shard_list | sed -n 2p)
	vid=$(basename "$victim")
	get_obj "$victim" > "$T/shard"
	python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[40]^=1; open(sys.argv[1],'wb').write(b)" "$T/shard"
	put_obj "$victim" "$T/shard"
	run verify; rc=$?
	check "$NAME: corrupted shard -> verify exit 4" [ $rc = 4 ]
	check "$NAME: verify names the corrupt shard" grep -q "STORAGE_SHARD_CORRUPT: shard $vid" "$T/err"
	createdb "rc_$NAME"
	run restore --target-db "dbname=rc_$NAME" --target-uploads "$T/upc-$NAME"; rc=$?
	check "$NAME: restore refuses a corrupt shard (exit 4)" [ $rc = 4 ]
	check "$NAME: restore names the corrupt shard" grep -q "STORAGE_SHARD_CORRUPT.*$vid" "$T/err"
	check "$NAME: refused restore left the database empty" [ "$(db "rc_$NAME" "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")" = 0 ]
	check "$NAME: refused restore left no files" [ -z "$(ls -A "$T/upc-$NAME" 2>/dev/null)" ]
	del_obj "$victim"
	run verify; rc=$?
	check "$NAME: deleted shard -> verify exit 4" [ $rc = 4 ]
	check "$NAME: verify names the missing shard" grep -q "STORAGE_SHARD_MISSING: shard $vid" "$T/err"
	run restore --target-db "dbname=rc_$NAME"; rc=$?
	check "$NAME: restore refuses a missing shard, naming it" grep -q "STORAGE_SHARD_MISSING.*$vid" "$T/err"
	# the next backup repairs nothing by itself (cache says known); a fresh cache re-uploads
	rm -rf "$T/cache-$NAME"
	run backup; run verify; check "$NAME: backup with a rebuilt cache re-uploads the lost shard" [ $? = 0 ]
done

# ---- full disk (when this machine lets us mount a small tmpfs) ----
mkdir -p "$T/full"
if mount -t tmpfs -o size=1m tmpfs "$T/full" 2>/dev/null; then
	NAME=full
	STORE="--store $T/full/store --db dbname=src --uploads $T/uploads --no-status"
	run init
	run backup; rc=$?
	check "full disk -> exit 5" [ $rc = 5 ]
	check "full disk -> STORAGE_FULL" grep -q STORAGE_FULL "$T/err"
	run list; check "full disk left no snapshot" [ ! -s "$T/out" ]
	# a key export that cannot be written fails and leaves no cut-off key
	dd if=/dev/zero of="$T/full/fill" bs=64k 2>/dev/null
	"$B" --store "$T/store-local" --passphrase-file "$T/pass" --cache-dir "$T/cache-local" \
		key export --out "$T/full/key" >"$T/out" 2>"$T/err"; rc=$?
	check "full disk: key export fails (exit $rc)" [ $rc = 7 ]
	check "full disk: ... and leaves no partial key file" [ ! -e "$T/full/key" ]
	umount "$T/full"
else
	echo "skip - full disk (cannot mount tmpfs)"
fi

# ---- S3 only: retries, kill -9, credentials, signatures ----
NAME=s3r
STORE="--store s3://plexi-backups/$NAME --s3-endpoint $EP --concurrency 4 --db dbname=src --uploads $T/uploads --no-status"
run init
faults "fail=3&drop=7"
run backup; rc=$?
faults "fail=0&drop=0"
check "s3: backup through 500/503 answers and dropped connections" [ $rc = 0 ]
check "s3: faults were injected" [ "$(stat_of injected_5xx)" -gt 5 -a "$(stat_of dropped)" -gt 2 ]
run verify; check "s3: verify after faulty backup" [ $? = 0 ]
# a store that keeps failing: the retries are bounded, the run gives up
faults "down=1"
run backup; rc=$?
faults "down=0"
check "s3: a store that keeps answering 503 -> exit 5" [ $rc = 5 ]
check "s3: ... after 6 attempts, said in the log" grep -q "HTTP 503, 6 attempts" "$T/err"
run list; check "s3: the run that gave up added no snapshot" [ "$(grep -c snapshot "$T/out")" = 1 ]
# a listing that says it goes on but names no next page is an error, never a short list
faults "truncate_list=1"
run list; rc=$?
faults "truncate_list=0"
check "s3: listing truncated without a continuation token -> exit 5 (got $rc)" [ $rc = 5 ]
check "s3: ... said in the log" grep -q "without a continuation token" "$T/err"
check "s3: ... and the proxy truncated it" [ "$(stat_of truncated_lists)" -ge 1 ]

NAME=s3k
STORE="--store s3://plexi-backups/$NAME --s3-endpoint $EP --concurrency 2 --db dbname=src --uploads $T/uploads --no-status"
run init
faults "delay_ms=150"
"$B" $STORE --passphrase-file "$T/pass" --cache-dir "$T/cache-$NAME" backup >"$T/out" 2>"$T/err" &
bpid=$!
for i in $(seq 100); do [ "$(shard_list | wc -l)" -ge 10 ] && break; sleep 0.1; done
kill -9 $bpid; wait $bpid 2>/dev/null
faults "delay_ms=0"
present=$(shard_list | wc -l)
run list; check "s3: killed run left no snapshot" [ ! -s "$T/out" ]
run backup; rc=$?
check "s3: rerun after kill -9 completes" [ $rc = 0 ]
total=$(field shards); new=$(field shards_new)
check "s3: rerun uploads only what is missing ($new new, $present already there, $total total)" \
	[ "$new" -le $((total - present + 1)) -a "$present" -gt 0 ]
run verify; check "s3: verify after kill -9 and rerun" [ $? = 0 ]


check "s3: every request carried a valid SigV4 signature (botocore: $(stat_of valid) valid)" \
	[ "$(stat_of invalid)" = 0 -a "$(stat_of valid)" -gt 100 ]
[ "$(stat_of invalid)" = 0 ] || curl -s "$EP/__stats"

# (signed with a wrong secret on purpose: after the signature count)
"$B" --store "s3://plexi-backups/s3k" --s3-endpoint "$EP" --s3-access-key NOPE --s3-secret-key x \
	--passphrase-file "$T/pass" --cache-dir "$T/c" list >"$T/out" 2>"$T/err"
rc=$?
check "s3: rejected credentials -> exit 5" [ $rc = 5 ]
check "s3: STORAGE_CREDENTIALS reported" grep -q STORAGE_CREDENTIALS "$T/err"

echo "# $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
