#!/bin/bash
# test_backup_wal.sh: continuous WAL archiving, physical base backups and
# point-in-time recovery with plexichat-backup, against real PostgreSQL 15
# clusters (its own, on free ports in 26100-26139) and both store kinds: a
# local folder and s3rver behind tests/integration/s3_proxy.py (SigV4
# checked with botocore, faults injected on demand).
#
#   BUILD=/work/build/x tests/integration/test_backup_wal.sh
#   (scripts/test.sh runs it with PX_BUILD set)
#
# The clusters run as the postgres system user, so archive_command runs
# plexichat-backup as postgres: the store, key and cache are theirs.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-${PX_BUILD:-$SRC}}
B=$BUILD/plexichat-backup
NODE_DIR=${NODE_DIR:-$BUILD/node}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d /tmp/test_backup_wal.XXXXXX)
chmod 755 "$T"
PASS=0 FAIL=0
PIDS=()
CLUSTERS=()

ok()   { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad()  {
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
asp() { runuser -u postgres -- "$@"; }
pgctl() { asp "$PGBIN/pg_ctl" "$@"; }
cleanup() {
	local p c
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for c in "${CLUSTERS[@]}"; do
		[ -f "$c/postmaster.pid" ] && pgctl -D "$c" stop -m immediate >/dev/null 2>&1
	done
	[ -n "${KEEP_T:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT

[ -x "$B" ] || { echo "no $B: build first"; exit 2; }
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

head -c 32 /dev/urandom > "$T/key"
head -c 32 /dev/urandom > "$T/wrongkey"
mkdir -p "$T/cache" "$T/work"
chown -R postgres "$T"
chmod 600 "$T/key" "$T/wrongkey"
STORE=$T/store
# plexichat-backup as the cluster's user; output in $T/out, log in $T/err
bk() { asp "$B" --store "$STORE" --key-file "$T/key" --cache-dir "$T/cache" "$@" >"$T/out" 2>"$T/err"; }
# bk_rss: bk, leaving the peak RSS of the run in KiB in $T/rss (ru_maxrss
# of the largest process waited for: plexichat-backup under runuser)
bk_rss() {
	/usr/bin/python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$T/rss" runuser -u postgres -- "$B" --store "$STORE" --key-file "$T/key" \
		--cache-dir "$T/cache" "$@" >"$T/out" 2>"$T/err"
}
# the issue's bound for every command: memory must not grow with the
# cluster (whole files or manifests held as JSON objects per block did)
RSS_LIMIT_KB=$((64 * 1024))
rss_ok() { [ -s "$T/rss" ] && [ "$(cat "$T/rss")" -gt 0 ] && [ "$(cat "$T/rss")" -lt $RSS_LIMIT_KB ]; }
rss_mib() { echo "$(( $(cat "$T/rss" 2>/dev/null || echo 0) / 1024 )) MiB"; }

bk init; check "init a local store" [ $? = 0 ]

# ---- PostgreSQL with archive_command from pg-settings ----
PGPORT=$(free_port 26100 26119) || { echo "no free port"; exit 2; }
PGD=$T/pg
mkdir -p "$PGD" "$T/sock" && chown postgres "$PGD" "$T/sock"
asp "$PGBIN/initdb" -D "$PGD" -A trust -U postgres >/dev/null || exit 2
CLUSTERS+=("$PGD")
bk pg-settings 2; rc=$?
check "pg-settings prints the archiving settings" [ $rc = 0 ]
check "... wal_level, archive_mode, archive_timeout, archive_command" \
	grep -q "^archive_command = '.*archive-push %p'" "$T/out"
grep -q "^wal_level = replica" "$T/out" && grep -q "^archive_mode = on" "$T/out" &&
	grep -q "^archive_timeout = 2" "$T/out" || bad "pg-settings lines"
cat "$T/out" >> "$PGD/postgresql.conf"
pgctl -D "$PGD" -l "$T/pg.log" -w -o "-k $T/sock -p $PGPORT -c listen_addresses=127.0.0.1" \
	start >/dev/null || { cat "$T/pg.log"; exit 2; }
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres
db() { psql -X -q -At -d "${2:-postgres}" -c "$1"; }
# Waits (up to 30 s) until segment $1 or a later one is archived.
wait_archived() {
	local i
	for i in $(seq 150); do
		[ "$(db "SELECT coalesce(last_archived_wal, '') >= '$1' FROM pg_stat_archiver")" = t ] && return 0
		sleep 0.2
	done
	return 1
}
# Switches to a new segment; prints the name of the one just closed.
switch_wal() { db "SELECT pg_walfile_name(pg_switch_wal())"; }

db "CREATE TABLE notes (id serial PRIMARY KEY, body text, at timestamptz DEFAULT clock_timestamp())"
db "INSERT INTO notes (body) VALUES ('plaintext-marker-one')"
SEG=$(switch_wal)
check "PostgreSQL archives through archive-push ($SEG)" wait_archived "$SEG"
check "... into wal/$SEG in the store" [ -f "$STORE/wal/$SEG" ]
check "... sealed: no plaintext in the stored object" \
	[ "$(grep -c plaintext-marker-one "$STORE/wal/$SEG")" = 0 ]
bk archive-get "$SEG" "$T/work/got"; rc=$?
check "archive-get of an archived segment" [ $rc = 0 ]
check "... gives back the segment with the row in it" grep -q plaintext-marker-one "$T/work/got"

# ---- push and get on their own ----
FAKE=0000000100000000000000F0
cp "$PGD/pg_wal/$(db "SELECT pg_walfile_name(pg_current_wal_lsn())")" "$T/work/seg"
head -c 1000 /dev/urandom >> "$T/work/seg"    # content no cluster wrote
chown postgres "$T/work/seg"
bk archive-push "$T/work/seg" "$FAKE"; check "archive-push PATH NAME" [ $? = 0 ]
bk archive-get "$FAKE" "$T/work/back"
check "archive-get returns it byte for byte" cmp -s "$T/work/seg" "$T/work/back"
bk archive-push "$T/work/seg" "$FAKE"; rc=$?
check "a re-sent segment with the same content -> 0" [ $rc = 0 ]
check "... said in the log" grep -q "already in the store" "$T/err"
cp "$T/work/seg" "$T/work/seg2"; printf 'X' | dd of="$T/work/seg2" bs=1 seek=100 conv=notrunc 2>/dev/null
chown postgres "$T/work/seg2"
bk archive-push "$T/work/seg2" "$FAKE"; rc=$?
check "the same name with other content -> exit 8 (got $rc)" [ $rc = 8 ]
check "... named in the log" grep -q "already archived with different content" "$T/err"
bk archive-get "$FAKE" "$T/work/back"
check "... and the stored segment is unchanged" cmp -s "$T/work/seg" "$T/work/back"
bk archive-push /etc/hostname; check "a file that is not WAL -> exit 1" [ $? = 1 ]
bk archive-get 000000010000000000000FFF "$T/work/none"; rc=$?
check "archive-get of a segment never archived -> exit 1 (got $rc)" [ $rc = 1 -a ! -e "$T/work/none" ]
asp "$B" --store "$STORE" --key-file "$T/wrongkey" --cache-dir "$T/cache" archive-get "$FAKE" \
	"$T/work/wk" >/dev/null 2>"$T/err"; rc=$?
check "a wrong key -> exit 3 (got $rc)" [ $rc = 3 -a ! -e "$T/work/wk" ]

# two archivers racing: same content -> both 0; different content ->
# exactly one stores, the other gets 8, and the store holds the winner's
same=0 split=0 wrong=0
for i in 1 2 3 4 5 6 7 8; do
	n=00000001000000000000A00$i
	asp "$B" --store "$STORE" --key-file "$T/key" --cache-dir "$T/cache" archive-push "$T/work/seg" "$n" 2>/dev/null & p1=$!
	asp "$B" --store "$STORE" --key-file "$T/key" --cache-dir "$T/cache" archive-push "$T/work/seg" "$n" 2>/dev/null & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	[ $r1 = 0 -a $r2 = 0 ] && same=$((same + 1))
	n=00000001000000000000B00$i
	asp "$B" --store "$STORE" --key-file "$T/key" --cache-dir "$T/cache" archive-push "$T/work/seg" "$n" 2>/dev/null & p1=$!
	asp "$B" --store "$STORE" --key-file "$T/key" --cache-dir "$T/cache" archive-push "$T/work/seg2" "$n" 2>/dev/null & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	bk archive-get "$n" "$T/work/race"
	if [ $r1 = 0 -a $r2 = 8 ] && cmp -s "$T/work/race" "$T/work/seg"; then split=$((split + 1))
	elif [ $r1 = 8 -a $r2 = 0 ] && cmp -s "$T/work/race" "$T/work/seg2"; then split=$((split + 1))
	else wrong=$((wrong + 1)); echo "     race $i: exit $r1 and $r2"; fi
done
check "racing archivers, same content: both succeed (8/8: $same)" [ $same = 8 ]
check "racing archivers, different content: one wins, one gets 8, the winner is stored ($split/8)" \
	[ $split = 8 -a $wrong = 0 ]

# corruption: one flipped byte in the stored object
cp "$STORE/wal/$FAKE" "$T/work/saved"
printf 'Z' | dd of="$STORE/wal/$FAKE" bs=1 seek=200 conv=notrunc 2>/dev/null
bk --report "$T/work/report" archive-get "$FAKE" "$T/work/bad"; rc=$?
check "a corrupted segment in the store -> exit 4 (got $rc)" [ $rc = 4 -a ! -e "$T/work/bad" ]
check "... named in the log" grep -q "WAL file $FAKE in the store is corrupt" "$T/err"
check "... and in the restore report" grep -q "^$FAKE" "$T/work/report"
cp "$T/work/saved" "$STORE/wal/$FAKE"

# the store unreachable: archive-push fails, PostgreSQL keeps the segment
# and retries, and the archive catches up once the store is back
chmod 000 "$STORE/wal"
db "INSERT INTO notes (body) VALUES ('while the store is down')"
SEG2=$(switch_wal)
sleep 3
fails=$(db "SELECT failed_count FROM pg_stat_archiver")
check "store unreachable: archive-push fails, nothing acknowledged ($fails failures)" \
	[ "$fails" -gt 0 -a "$(db "SELECT last_archived_wal < '$SEG2' FROM pg_stat_archiver")" = t ]
check "... PostgreSQL keeps the segment" [ -f "$PGD/pg_wal/$SEG2" ]
chmod 700 "$STORE/wal"
# after three failures the archiver waits for its next wake-up: a new
# segment is one (else it retries within a minute)
db "INSERT INTO notes (body) VALUES ('after the store is back')"; switch_wal >/dev/null
check "... and the archive catches up when it is back" wait_archived "$SEG2"

# the segments pushed by hand above are not this cluster's WAL: out of
# the store before it serves recoveries
rm -f "$STORE"/wal/00000001000000000000[AB]* "$STORE/wal/$FAKE"

# ---- base backups: full, then only the changed blocks ----
PORT2=$(free_port $((PGPORT + 1)) 26119) || { echo "no free port"; exit 2; }
CI="host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"
db "CREATE TABLE big (id int PRIMARY KEY, pad text)"
db "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 40000) g"
db "CREATE TABLE doomed (x int)"; db "INSERT INTO doomed VALUES (1)"
# settled pages, as in a database that has been running: hint bits set
# by the first scan would otherwise change every page of the new table
db "VACUUM (FREEZE, ANALYZE)"
bk_rss base-backup --db "$CI"; rc=$?
check "base-backup (full) through the replication protocol" [ $rc = 0 ]
check "... peak RSS $(rss_mib), under 64 MiB" rss_ok
check "... reports a full backup" grep -q '"kind":"full"' "$T/out"
full_up=$(grep -o '"bytes_uploaded":[0-9]*' "$T/out" | cut -d: -f2)
full_blocks=$(grep -o '"blocks":[0-9]*' "$T/out" | cut -d: -f2)
# change a few rows, drop a table, make another
db "UPDATE big SET pad = 'changed' WHERE id % 1000 = 0"
db "DROP TABLE doomed"; db "CREATE TABLE fresh AS SELECT 1 AS y"
bk_rss base-backup --db "$CI"; rc=$?
check "base-backup (incremental)" [ $rc = 0 ]
check "... peak RSS $(rss_mib), under 64 MiB" rss_ok
check "... against the full one" grep -q '"kind":"incr"' "$T/out"
inc_up=$(grep -o '"bytes_uploaded":[0-9]*' "$T/out" | cut -d: -f2)
inc_changed=$(grep -o '"blocks_changed":[0-9]*' "$T/out" | cut -d: -f2)
check "... uploads only changed blocks ($inc_changed of $full_blocks blocks, $inc_up of $full_up bytes)" \
	[ "$inc_changed" -lt $((full_blocks / 5)) -a "$inc_up" -lt $((full_up / 5)) ]
jf() { grep -o "\"$1\":[0-9]*" "$T/out" | cut -d: -f2; }
inc_name=$(grep -o '"snapshot":"[^"]*"' "$T/out" | cut -d'"' -f4)
inc_sliced=$(jf blocks_sliced); inc_written=$(jf bytes_written); inc_bytes=$(jf bytes_changed)
check "... of those, only the changed 256-byte slices ($inc_sliced blocks sliced, $inc_written of $inc_bytes bytes)" \
	grep -q '"parent_sums":"used"' "$T/out" && [ "$inc_sliced" -gt 0 -a "$inc_written" -lt $((inc_bytes / 2)) ]
check "... and leaves its own sums in the cache, private" \
	[ "$(find "$T/cache" -name 'base-sums-*' -perm 600 | wc -l)" = 2 ]
# the sums of the parent damaged: the next increment stores whole blocks
# and the chain still restores (every restore below checks each file
# against the block map of the backup it ends at)
db "UPDATE big SET pad = 'again' WHERE id % 997 = 0"
newest_sums=$(ls "$T"/cache/*/base-sums-"$inc_name")
byte=$(od -An -tu1 -j 200 -N 1 "$newest_sums" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 1)))" | dd of="$newest_sums" bs=1 seek=200 conv=notrunc 2>/dev/null
bk base-backup --db "$CI"; rc=$?
check "base-backup over damaged slice sums of $(basename "$newest_sums") (exit $rc) stores whole blocks \
($(grep -o '"parent_sums":"[a-z]*"' "$T/out"), $(jf blocks_changed) changed, $(jf blocks_sliced) sliced)" \
	grep -q '"parent_sums":"damaged","' "$T/out" && [ "$(jf blocks_sliced)" = 0 -a "$(jf blocks_changed)" -gt 0 ]

# ---- point-in-time recovery: post A, note the time, post B ----
db "INSERT INTO notes (body) VALUES ('post A')"
switch_wal >/dev/null
sleep 1.1
TA=$(db "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
sleep 1.1
# a commit after TA in the same segment as post A: recovery to TA stops
# there without needing the next segment
db "INSERT INTO notes (body) VALUES ('post A2')"
switch_wal >/dev/null
db "INSERT INTO notes (body) VALUES ('post B')"
SEGB=$(switch_wal)
check "the segment with post B is archived" wait_archived "$SEGB"
NOTES_ALL=$(db "SELECT count(*) FROM notes")
R1=$T/restored1
bk_rss restore --to-time "$TA" --target-dir "$R1" --start --port "$PORT2" --check notes,big; rc=$?
CLUSTERS+=("$R1")
check "restore --to-time $TA --start (exit $rc)" [ $rc = 0 ]
check "... peak RSS $(rss_mib), under 64 MiB" rss_ok
r1() { psql -X -q -At -h 127.0.0.1 -p "$PORT2" -U postgres -d postgres -c "$1"; }
check "... the restored server has post A" [ "$(r1 "SELECT count(*) FROM notes WHERE body = 'post A'")" = 1 ]
check "... and not post B" [ "$(r1 "SELECT count(*) FROM notes WHERE body = 'post B'")" = 0 ]
check "... it was promoted and takes writes" [ "$(r1 "INSERT INTO notes (body) VALUES ('after') RETURNING 1")" = 1 ]
check "... the increment's changes are there (dropped table gone, new one present)" \
	[ "$(r1 "SELECT to_regclass('doomed') IS NULL AND to_regclass('fresh') IS NOT NULL")" = t ]
check "... big is whole" [ "$(r1 "SELECT count(*), sum(length(pad)) FROM big")" = \
	"$(db "SELECT count(*), sum(length(pad)) FROM big")" ]
check "... the checks are reported" grep -q '"table":"big","rows":40000' "$T/out"
check "... the recovery point is reported" grep -q '"recovery_point":"20' "$T/out"
pgctl -D "$R1" stop -m fast >/dev/null

bk drill --to-latest --port "$PORT2" --check notes; rc=$?
check "drill --to-latest (exit $rc)" [ $rc = 0 ]
check "... recovers everything archived ($NOTES_ALL notes)" grep -q "\"table\":\"notes\",\"rows\":$NOTES_ALL," "$T/out"
check "... prints its recovery point and time" grep -q '"recovery_point":"20.*"recovery_seconds"\|"recovery_seconds".*"recovery_point":"20' "$T/out"
dir=$(grep -o '"dir":"[^"]*"' "$T/out" | cut -d'"' -f4)
check "... and removes its scratch cluster" [ -n "$dir" -a ! -e "$dir" ]

XID=$(db "SELECT txid_current()")
db "INSERT INTO notes (body) VALUES ('post C')"; LSN=$(db "SELECT pg_current_wal_lsn()")
db "INSERT INTO notes (body) VALUES ('post D')"
check "segment with post D archived" wait_archived "$(switch_wal)"
bk drill --to-lsn "$LSN" --port "$PORT2" --check notes; rc=$?
check "drill --to-lsn $LSN (exit $rc): post C in, post D out" \
	grep -q "\"table\":\"notes\",\"rows\":$((NOTES_ALL + 1))," "$T/out"
bk drill --to-xid "$XID" --port "$PORT2" --check notes; rc=$?
check "drill --to-xid $XID (exit $rc): stops at that transaction" \
	grep -q "\"table\":\"notes\",\"rows\":$NOTES_ALL," "$T/out"

# a WAL segment missing in the middle of the archive: named, never skipped
MID=$SEGB
mv "$STORE/wal/$MID" "$T/work/mid"
bk drill --to-latest --port "$PORT2"; rc=$?
check "a missing WAL segment -> exit 9 (got $rc)" [ $rc = 9 ]
check "... the log names where recovery stopped" grep -q "the WAL file after .* is missing or damaged" "$T/err"
cp "$T/work/mid" "$STORE/wal/$MID"; chown postgres "$STORE/wal/$MID"
printf 'Z' | dd of="$STORE/wal/$MID" bs=1 seek=300 conv=notrunc 2>/dev/null
bk drill --to-latest --port "$PORT2"; rc=$?
check "a corrupted WAL segment -> exit 9 (got $rc)" [ $rc = 9 ]
check "... named as corrupt" grep -q "WAL file $MID in the store is corrupt" "$T/err"
bk drill --to-time "$TA" --port "$PORT2" --check notes; rc=$?
check "... a target before the damage is still reached (exit $rc)" [ $rc = 0 ]
check "... with post A, without A2 and B" grep -q "\"table\":\"notes\",\"rows\":$((NOTES_ALL - 2))," "$T/out"
mv "$T/work/mid" "$STORE/wal/$MID"
asp "$B" --store "$STORE" --key-file "$T/wrongkey" --cache-dir "$T/cache" drill --to-latest \
	--port "$PORT2" >/dev/null 2>"$T/err"; rc=$?
check "drill with a wrong key -> exit 3 (got $rc)" [ $rc = 3 ]
bk restore --to-time "2000-01-01T00:00:00Z" --target-dir "$T/r-old"; rc=$?
check "a target before every base backup -> exit 1 and said (got $rc)" \
	[ $rc = 1 ] && grep -q "no base backup ends before the target" "$T/err"

bk restore latest --target-db "dbname=nowhere"; rc=$?
check "a logical restore of a base backup is refused, with the way to do it (exit $rc)" \
	[ $rc = 1 ] && grep -q "is a base backup: restore it with --to-latest" "$T/err"

# retention keeps an increment's parent
bk prune --keep-last 1 --dry-run; rc=$?
check "prune --keep-last 1 keeps the increment and its parents" grep -q '"kept":3' "$T/out"
# a new full base backup; then WAL before its start is no longer needed
bk base-backup --full --db "$CI"; check "base-backup --full" [ $? = 0 ]
START_WAL=$(bk show latest && grep -o '"start_wal": *"[0-9A-F]*"' "$T/out" | grep -o '[0-9A-F]\{24\}')
before=$(ls "$STORE/wal" | wc -l)
bk prune --keep-last 1; rc=$?
check "prune --keep-last 1 (exit $rc) keeps only the newest base backup" grep -q '"kept":1' "$T/out"
wal_deleted=$(grep -o '"wal_deleted":[0-9]*' "$T/out" | cut -d: -f2)
oldest=$(ls "$STORE/wal" | grep -v history | sort | head -1)
check "... and deletes the WAL before its start $START_WAL ($wal_deleted of $before files; oldest kept $oldest)" \
	[ "${wal_deleted:-0}" -gt 0 -a "$(ls "$STORE/wal" | wc -l)" = $((before - wal_deleted)) ] && [[ ! "$oldest" < "$START_WAL" ]]
db "INSERT INTO notes (body) VALUES ('post E')"; check "segment with post E archived" wait_archived "$(switch_wal)"
NOTES_NOW=$(db "SELECT count(*) FROM notes")
bk drill --to-latest --port "$PORT2" --check notes; rc=$?
check "drill after prune still recovers everything (exit $rc, $NOTES_NOW notes)" \
	grep -q "\"table\":\"notes\",\"rows\":$NOTES_NOW," "$T/out"

# ---- one cron line: the schedule file says what each day does ----
cat > "$T/work/schedule" <<'SCHED'
# DAYS     ACTION [ARGS]
sun        base-backup --full
mon-sat    base-backup        # incremental
*          prune --keep-last 2
1,15       verify
SCHED
chown postgres "$T/work/schedule"
bk --dry-run schedule "$T/work/schedule" 2026-12-06
check "schedule on a Sunday: full base backup and prune" \
	[ "$(grep -c would_run "$T/out")" = 2 ] && grep -q '"base-backup --full' "$T/out"
bk --dry-run schedule "$T/work/schedule" 2026-12-01
check "schedule on Tuesday the 1st: incremental, prune, verify" \
	[ "$(grep -c would_run "$T/out")" = 3 ] && grep -q '"verify' "$T/out"
printf 'someday backup\n' > "$T/work/badsched"; chown postgres "$T/work/badsched"
bk schedule "$T/work/badsched"; rc=$?
check "a malformed schedule runs nothing -> exit 1 (got $rc)" [ $rc = 1 ] && grep -q "badsched:1" "$T/err"
bk --db "$CI" schedule "$T/work/schedule" 2026-12-07; rc=$?
check "schedule on a Monday runs an incremental base backup, then prune (exit $rc)" \
	grep -q '"kind":"incr"' "$T/out" && grep -q '"kept":2' "$T/out"

# ---- a base backup interrupted: no snapshot, the next run completes ----
snaps_before=$(bk list && grep -c snapshot "$T/out")
runuser -u postgres -- "$B" --store "$STORE" --key-file "$T/key" --cache-dir "$T/cache" base-backup \
	--full --db "$CI" >/dev/null 2>&1 & bbpid=$!
sleep 0.4
child=$(pgrep -P $bbpid)   # runuser's child: plexichat-backup itself
kill -9 ${child:-$bbpid} 2>/dev/null; wait $bbpid 2>/dev/null; rc=$?
check "... it was still running when killed" [ -n "$child" ]
bk list; check "base-backup killed with -9 (exit $rc) leaves no snapshot" [ "$(grep -c snapshot "$T/out")" = "$snaps_before" ]
bk base-backup --db "$CI"; check "... and the next base-backup completes" [ $? = 0 ]

# ---- failover: the restored copy becomes the primary on timeline 2 ----
printf "archive_mode = 'on'\n" >> "$R1/postgresql.auto.conf"
pgctl -D "$R1" -l "$T/r1.log" -w -o "-p $PORT2 -k $T/sock -c listen_addresses=127.0.0.1" start >/dev/null
# it was promoted with archiving off: its history file goes by hand
bk archive-push "$R1/pg_wal/00000002.history"
r1 "INSERT INTO notes (body) VALUES ('post on timeline 2')"
seg=$(r1 "SELECT pg_walfile_name(pg_switch_wal())")
for i in $(seq 100); do
	[ "$(r1 "SELECT coalesce(last_archived_wal, '') >= '$seg' FROM pg_stat_archiver")" = t ] && break; sleep 0.2
done
check "the new primary archives timeline 2 into the same store (history file too)" \
	[ -f "$STORE/wal/00000002.history" -a -f "$STORE/wal/$seg" ]
pgctl -D "$PGD" stop -m fast >/dev/null   # the old primary is gone
bk base-backup --db "host=127.0.0.1 port=$PORT2 user=postgres dbname=postgres"; rc=$?
check "base-backup of the new primary (exit $rc)" [ $rc = 0 ]
r1 "INSERT INTO notes (body) VALUES ('post after failover backup')"
seg=$(r1 "SELECT pg_walfile_name(pg_switch_wal())")
for i in $(seq 100); do
	[ "$(r1 "SELECT coalesce(last_archived_wal, '') >= '$seg' FROM pg_stat_archiver")" = t ] && break; sleep 0.2
done
check "the new primary archived $seg" [ -f "$STORE/wal/$seg" ] || { r1 "SELECT * FROM pg_stat_archiver"; ls "$STORE/wal" | tail -5; }
pgctl -D "$R1" stop -m fast >/dev/null
R3=$T/restored3
bk restore --to-latest --target-dir "$R3" --start --port "$PORT2"; rc=$?
CLUSTERS+=("$R3")
check "restore --to-latest after the failover (exit $rc)" [ $rc = 0 ]
got=$(r1 "SELECT string_agg(body, ',' ORDER BY id) FROM notes WHERE body IN ('post A', 'post B', 'post on timeline 2', 'post after failover backup')")
check "... follows timeline 2: post A and both new posts, not post B ($got)" \
	[ "$got" = "post A,post on timeline 2,post after failover backup" ]
check "... and opens on a later timeline" [ "$(r1 "SELECT timeline_id > 2 FROM pg_control_checkpoint()")" = t ]
pgctl -D "$R3" stop -m fast >/dev/null

# ---- S3: s3rver behind the checking, faulting proxy ----
bash "$SRC/tests/integration/node_tools.sh" "$NODE_DIR" || exit 2
S3PORT=$(free_port 26120 26129) && PXPORT=$(free_port $((S3PORT + 1)) 26139) || exit 2
mkdir -p "$T/s3"
"$NODE_DIR/node_modules/.bin/s3rver" -d "$T/s3" -a 127.0.0.1 -p "$S3PORT" \
	--configure-bucket plexi-backups >"$T/s3rver.log" 2>&1 &
PIDS+=($!)
/usr/bin/python3 "$SRC/tests/integration/s3_proxy.py" "$PXPORT" "$S3PORT" S3RVER S3RVER us-east-1 \
	>"$T/proxy.log" 2>&1 &
PIDS+=($!)
for i in $(seq 50); do curl -s "127.0.0.1:$PXPORT/__stats" >/dev/null && \
	curl -s "127.0.0.1:$S3PORT/" >/dev/null && break; sleep 0.2; done
EP=http://127.0.0.1:$PXPORT
faults() { curl -s -XPOST "$EP/__faults?$1" >/dev/null; }
stat_of() { curl -s "$EP/__stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
s3bk() { AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER asp "$B" --store s3://plexi-backups/wal \
	--s3-endpoint "$EP" --key-file "$T/key" --cache-dir "$T/cache" "$@" >"$T/out" 2>"$T/err"; }
s3has() { [ -f "$T/s3/plexi-backups/wal/wal/$1._S3rver_object" ]; }

s3bk init; check "s3: init" [ $? = 0 ]
s3bk archive-push "$T/work/seg" "$FAKE"; check "s3: archive-push" [ $? = 0 ]
s3bk archive-get "$FAKE" "$T/work/s3back"
check "s3: archive-get returns it byte for byte" cmp -s "$T/work/seg" "$T/work/s3back"
s3bk archive-push "$T/work/seg2" "$FAKE"; rc=$?
check "s3: the same name with other content -> exit 8 (got $rc)" [ $rc = 8 ]
faults "down=1"
s3bk archive-push "$T/work/seg" 00000001000000000000C001; rc=$?
faults "down=0"
check "s3: store answering 503 -> exit 5 (got $rc), PostgreSQL would retry" [ $rc = 5 ]
s3bk archive-get 00000001000000000000C001 "$T/work/x"
check "s3: ... nothing stored" [ $? = 1 ]
# killed while the upload is in flight: no object, and the retry succeeds
faults "delay_ms=4000"
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "$B" --store s3://plexi-backups/wal \
	--s3-endpoint "$EP" --key-file "$T/key" --cache-dir "$T/cache" \
	archive-push "$T/work/seg" 00000001000000000000C002 >/dev/null 2>&1 & kp=$!
sleep 2.5
kill -9 $kp; wait $kp 2>/dev/null; rc=$?
faults "delay_ms=0"
sleep 2
s3bk archive-get 00000001000000000000C002 "$T/work/x"; rc2=$?
check "s3: archive-push killed mid-upload: no ack (exit $rc), nothing stored (get: $rc2)" [ $rc = 137 -a $rc2 = 1 ]
s3bk archive-push "$T/work/seg" 00000001000000000000C002; check "s3: ... the retry succeeds" [ $? = 0 ]
s3bk archive-get 00000001000000000000C002 "$T/work/x"
check "s3: ... and the segment is whole" cmp -s "$T/work/seg" "$T/work/x"
check "s3: every request carried a valid SigV4 signature ($(stat_of valid) valid)" \
	[ "$(stat_of invalid)" = 0 -a "$(stat_of valid)" -gt 10 ]

echo "# $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
